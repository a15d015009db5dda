import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaggedExample } from '../data/tasks.js';
import { LlmkError } from '../errors.js';
import { bertConfig } from '../models/bert/config.js';
import { BertForTokenClassification } from '../models/bert/heads.js';
import type { TaskInfo } from '../models/task-info.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import { trainTokenizer } from '../tokenize/train.js';
import { evaluateUnderAttack } from './evaluate.js';

test('NER under attack: words keep their tags, clean = attack at rate 0, reproducible; empty data is an error', async () => {
  const engine = createEngine();
  const sents: TaggedExample[] = Array.from({ length: 12 }, (_, i) => ({
    tokens: [['Anna', 'Bob', 'Carl'][i % 3], 'met', 'the', 'team', 'in', 'Paris'],
    tags: ['B-PER', 'O', 'O', 'O', 'O', 'B-LOC'],
    file: 'x',
    line: i,
  }));
  const tokenizer = await trainTokenizer({
    type: 'wordpiece',
    texts: sents.map((s) => s.tokens.join(' ')),
    vocabSize: 80,
    specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
    progress: 'quiet',
  });
  const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
  const cfg = bertConfig({
    vocabSize: tokenizer.vocabSize,
    hiddenSize: 16,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    maxPositionEmbeddings: 32,
    hiddenDropout: 0,
  });
  const model = new BertForTokenClassification(engine, cfg, {
    numLabels: labels.length,
    rng: new Rng(1),
  }).eval();
  const task: TaskInfo = { labels, multiLabel: false, task: 'ner', scheme: 'IOB2', maxLength: 32 };
  const tm = { model, tokenizer, task };
  const r = await evaluateUnderAttack(tm, sents, { attack: 'charswap', rate: 0.34, seed: 3 });
  assert.equal(r.examples, 12);
  assert.equal(r.perturbedExamples, 12);
  // 6 words, all with letters: round(0.34·6) = 2 changed in each sentence.
  assert.equal(r.wordsChanged, 2);
  for (const k of ['f1', 'precision', 'recall']) assert.ok(r.clean[k] >= 0 && r.clean[k] <= 1, k);
  assert.ok(r.successRate >= 0 && r.successRate <= 1);
  const again = await evaluateUnderAttack(tm, sents, { attack: 'charswap', rate: 0.34, seed: 3 });
  assert.deepEqual(again, r);
  const none = await evaluateUnderAttack(tm, sents, { attack: 'typo', rate: 0, seed: 3 });
  assert.deepEqual(none.attacked, none.clean, 'rate 0: attacked = clean');
  assert.equal(none.successRate, 0);
  await assert.rejects(
    () => evaluateUnderAttack(tm, [], { attack: 'typo' }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_DATA',
  );
});
