import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import hf from 'tokenizers';
import { CharTokenizer } from './char.js';
import { loadTokenizer } from './load.js';
import { bertWords } from './pretokenize.js';
import { trainTokenizer } from './train.js';

const SHAKESPEARE = '../shared/data/tinyshakespeare/input.txt';
const dir = mkdtempSync(join(tmpdir(), 'llmk-train-'));

test('byte-level BPE from an iterable: exact vocab size, specials first, round trip, no merge across specials', async () => {
  const docs = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog'];
  const tok = await trainTokenizer({
    type: 'bpe',
    texts: docs,
    vocabSize: 270,
    specialTokens: ['<|endoftext|>', '<pad>'],
  });
  assert.equal(tok.vocabSize, 270);
  assert.equal(tok.tokenToId('<|endoftext|>'), 0);
  assert.equal(tok.tokenToId('<pad>'), 1);
  const text = 'the cat<|endoftext|>the dog ✓';
  const enc = await tok.encode(text);
  assert.equal(enc.ids.filter((id) => id === 0).length, 1);
  assert.equal(await tok.decode(enc.ids), text);
  // The most frequent pair in the corpus (" t"+"he" family) is merged: "the" is not 3 byte tokens.
  assert.ok((await tok.encode('the')).ids.length < 3);
});

test('WordPiece: BERT normalisation, ## continuations, [CLS]/[SEP] template, exact vocab size', async () => {
  const tok = await trainTokenizer({
    type: 'wordpiece',
    texts: [readFileSync(SHAKESPEARE, 'utf8').slice(0, 300_000)],
    vocabSize: 1500,
  });
  assert.equal(tok.vocabSize, 1500);
  assert.equal(tok.tokenToId('[PAD]'), 0);
  const enc = await tok.encode('KING RICHARD: Wherefore?');
  assert.equal(enc.tokens[0], '[CLS]');
  assert.equal(enc.tokens.at(-1), '[SEP]');
  assert.ok(enc.tokens.slice(1, -1).every((t) => t === t.toLowerCase()));
  assert.equal(await tok.decode(enc.ids, { skipSpecialTokens: true }), 'king richard : wherefore?');
});

test('Unigram via Hugging Face: at most vocabSize pieces, <unk> present, decodes back', async () => {
  const tok = await trainTokenizer({
    type: 'unigram',
    texts: [readFileSync(SHAKESPEARE, 'utf8').slice(0, 300_000)],
    vocabSize: 1000,
  });
  assert.ok(tok.vocabSize <= 1000 && tok.vocabSize > 500, `vocab ${tok.vocabSize}`);
  assert.equal(tok.tokenToId('<unk>'), 0);
  const text = 'First Citizen: Before we proceed any further, hear me speak.';
  assert.equal(await tok.decode((await tok.encode(text)).ids), text);
  await assert.rejects(
    trainTokenizer({ type: 'unigram', texts: ['a b'], vocabSize: 32000 }),
    /LLMK_E_UNSUPPORTED: a Unigram vocabulary of 32000/,
  );
});

test('char tokenizer: nanoGPT vocabulary (65 chars for shakespeare), saved tokenizer.json encodes the same in HF', async () => {
  const tok = (await trainTokenizer({
    type: 'char',
    files: [SHAKESPEARE],
    vocabSize: 1000,
  })) as CharTokenizer;
  assert.equal(tok.vocabSize, 65); // nanoGPT shakespeare_char reports vocab size 65
  assert.equal(tok.idToToken(0), '\n');
  assert.equal(tok.idToToken(1), ' ');
  const path = join(dir, 'char.json');
  tok.save(path);
  const text = 'Hello there!\nO Romeo.';
  const ids = (await tok.encode(text)).ids;
  const raw = hf.Tokenizer.fromFile(path);
  assert.deepEqual((await raw.encode(text, null)).getIds(), ids);
  assert.equal(await raw.decode(ids, false), text);
  const loaded = loadTokenizer(path);
  assert.equal(loaded.kind, 'char');
  assert.deepEqual((await loaded.encode(text)).ids, ids);
  await assert.rejects(tok.encode('€'), /LLMK_E_TOKENIZER: character "€"/);
  const withUnk = CharTokenizer.fromText('abc', ['<unk>', '<pad>']);
  assert.deepEqual((await withUnk.encode('a€')).ids, [2, 0]);
  const batch = await withUnk.encodeBatch(['abc', 'a'], { padding: 'longest', paddingSide: 'left' });
  assert.deepEqual(batch[1].ids, [1, 1, 2]);
  assert.deepEqual(batch[1].attentionMask, [0, 0, 1]);
});

test('training input errors are typed', async () => {
  await assert.rejects(
    trainTokenizer({ type: 'bpe', files: [join(dir, 'nope.txt')], vocabSize: 300 }),
    /LLMK_E_NOT_FOUND: training file .*nope\.txt does not exist/,
  );
  await assert.rejects(trainTokenizer({ type: 'bpe', texts: ['x'], vocabSize: 0 }), /LLMK_E_ARG/);
});

test('bertWords (training-side BERT normalisation) equals Hugging Face BertNormalizer + BertPreTokenizer', () => {
  const text = `${readFileSync(SHAKESPEARE, 'utf8').slice(0, 20000)} Héllo 我想在apple工作 naïve — “quoted” \u0007 x\u00a0y ½ Führer ﬁ`;
  const normalizer = hf.bertNormalizer({ lowercase: true });
  const pre = hf.bertPreTokenizer();
  const theirs = text
    .split('\n')
    .flatMap((line) => pre.preTokenizeString(normalizer.normalizeString(line)).map(([w]) => w));
  assert.deepEqual(bertWords(text), theirs);
});

test('counting on worker threads gives the same tokenizer as counting in one thread', async () => {
  const texts = [readFileSync(SHAKESPEARE, 'utf8').slice(0, 200_000), 'the end<|endoftext|>the start', 'x'];
  const one = await trainTokenizer({
    type: 'bpe',
    texts,
    vocabSize: 400,
    specialTokens: ['<|endoftext|>'],
    threads: 1,
  });
  const two = await trainTokenizer({
    type: 'bpe',
    texts,
    vocabSize: 400,
    specialTokens: ['<|endoftext|>'],
    threads: 2,
  });
  assert.equal(two.toJSON(), one.toJSON());
});
