/**
 * Stanford CS336 assignment 1 reference: byte-level BPE trained on corpus.en, vocab 500, special
 * token <|endoftext|>. The upstream test compares the merge list in order and the vocabulary; we
 * compare both exactly (same ids too).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { trainTokenizer } from '../../src/tokenize/train.js';

const D = '../shared/data/tokenizer-vectors/cs336-bpe-train';

test('BPE training reproduces the CS336 reference merges (in order) and vocabulary (with ids)', async () => {
  const tok = await trainTokenizer({
    type: 'bpe',
    files: [`${D}/corpus.en`],
    vocabSize: 500,
    specialTokens: ['<|endoftext|>'],
  });
  const json = JSON.parse(tok.toJSON()) as {
    model: { merges: [string, string][]; vocab: Record<string, number> };
  };
  const reference = readFileSync(`${D}/train-bpe-reference-merges.txt`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(' '));
  assert.equal(reference.length, 243);
  assert.deepEqual(json.model.merges, reference);
  assert.deepEqual(json.model.vocab, JSON.parse(readFileSync(`${D}/train-bpe-reference-vocab.json`, 'utf8')));
  assert.equal(tok.vocabSize, 500);
});
