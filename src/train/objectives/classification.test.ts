import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng as DataRng } from '../../data/rng.js';
import { bertConfig } from '../../models/bert/config.js';
import { BertForSequenceClassification } from '../../models/bert/heads.js';
import { gptConfig } from '../../models/gpt/config.js';
import { GPTForSequenceClassification } from '../../models/gpt/heads.js';
import { balancedClassWeights, classificationLoss, decideLabels } from '../../tasks/classification.js';
import { caseClass, encodeNer } from '../../tasks/token-classification.js';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { CharTokenizer } from '../../tokenize/char.js';
import { Trainer } from '../trainer.js';
import { SequenceClassificationObjective } from './classification.js';

const engine = createEngine();

test('weighted cross-entropy and multi-label BCE equal the formulas torch documents', () => {
  engine.scope(() => {
    const x = [2, -1, 0.5, -0.3, 0.8, 1.5];
    const logits = engine.tensor(Float32Array.from(x), [2, 3]);
    const w = [0.5, 2, 1];
    const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    const l0 = lse(x.slice(0, 3)) - x[1];
    const l1 = lse(x.slice(3)) - x[5];
    const want = (w[1] * l0 + w[2] * l1) / (w[1] + w[2]);
    const got = classificationLoss(logits, [[1], [2]], { multiLabel: false, classWeights: w }).item();
    assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
    const y = [1, 0, 1, 0, 0, 1];
    const bce = x.map(
      (v, i) =>
        -(y[i] * Math.log(1 / (1 + Math.exp(-v))) + (1 - y[i]) * Math.log(1 - 1 / (1 + Math.exp(-v)))),
    );
    const wantB = bce.reduce((a, v) => a + v, 0) / 6;
    const gotB = classificationLoss(logits, [[0, 2], [2]], { multiLabel: true }).item();
    assert.ok(Math.abs(gotB - wantB) < 1e-6, `${gotB} vs ${wantB}`);
  });
  assert.deepEqual(
    balancedClassWeights([{ labels: [0] }, { labels: [0] }, { labels: [0] }, { labels: [1] }], 2),
    [4 / 6, 2],
  );
  assert.deepEqual(decideLabels([0.1, 2, -3, 0.5], 2, true), [[0, 1], [1]]);
  assert.deepEqual(decideLabels([0.1, 2, -3, 0.5], 2, false), [[1], [1]]);
});

test('a tiny BERT and a tiny GPT (last-token pooling) learn a separable task', async () => {
  // Label = whether the text contains 'x'; padded batches of different lengths.
  const tok = CharTokenizer.fromChars('abcx', ['[PAD]', '[CLS]', '[SEP]', '[UNK]']);
  const rng = new DataRng(11);
  const texts = Array.from(
    { length: 64 },
    (_, i) => Array.from({ length: 3 + (i % 5) }, () => 'abc'[rng.nextInt(3)]).join('') + (i % 2 ? 'x' : ''),
  );
  const examples = await Promise.all(
    texts.map(async (t, i) => {
      const e = await tok.encode(t);
      return { ids: [1, ...e.ids, 2], typeIds: new Array<number>(e.ids.length + 2).fill(0), labels: [i % 2] };
    }),
  );
  const models = [
    new BertForSequenceClassification(
      engine,
      bertConfig({
        vocabSize: tok.vocabSize,
        hiddenSize: 16,
        numHiddenLayers: 1,
        maxPositionEmbeddings: 16,
        hiddenDropout: 0,
      }),
      { numLabels: 2, rng: new Rng(1) },
    ),
    new GPTForSequenceClassification(
      engine,
      gptConfig({ vocabSize: tok.vocabSize, nCtx: 16, nLayer: 1, nHead: 2, nEmbd: 16 }),
      {
        numLabels: 2,
        rng: new Rng(2),
      },
    ),
  ];
  for (const model of models) {
    const objective = new SequenceClassificationObjective(
      model,
      { train: examples, val: examples },
      { batchSize: 16, padId: 0, labels: ['no', 'yes'], multiLabel: false, save: () => undefined },
    );
    const trainer = new Trainer(engine, objective, {
      steps: 150,
      lr: 3e-3,
      minLr: 3e-4,
      warmupSteps: 10,
      evalInterval: 0,
      progress: 'quiet',
    });
    await trainer.run();
    model.eval();
    const m = engine.noGrad(() => objective.evaluate());
    // Chance is 0.5; one character decides the label, so a working model separates the training set.
    assert.ok(m && m.accuracy >= 0.95, `${model.constructor.name} accuracy ${m?.accuracy}`);
  }
});

test('NER alignment: the first sub-token of a word carries its label, the rest are ignored', async () => {
  // Char tokenizer without word boundaries: each word is split into one token per character.
  const tok = CharTokenizer.fromChars('ParisNewYorkisbig', ['[PAD]', '[UNK]', '[CLS]', '[SEP]']);
  const [ex] = await encodeNer(
    tok,
    [{ tokens: ['Paris', 'is', 'big'], tags: ['B-LOC', 'O', 'O'] }],
    ['O', 'B-LOC', 'I-LOC'],
    { maxLength: 32, caseFeature: true },
  );
  assert.equal(ex.ids.length, 1 + 5 + 2 + 3 + 1);
  assert.deepEqual(ex.wordStarts, [1, 6, 8]);
  assert.deepEqual(ex.labels, [-100, 1, -100, -100, -100, -100, 0, -100, 0, -100, -100, -100]);
  assert.deepEqual(ex.typeIds.slice(0, 7), [0, 1, 1, 1, 1, 1, 0]);
  const [cut] = await encodeNer(
    tok,
    [{ tokens: ['Paris', 'is', 'big'], tags: ['B-LOC', 'O', 'O'] }],
    ['O', 'B-LOC', 'I-LOC'],
    {
      maxLength: 9,
      caseFeature: false,
    },
  );
  assert.deepEqual(cut.wordStarts, [1, 6, -1], 'a word that does not fit is dropped whole');
  assert.deepEqual(
    [caseClass('paris'), caseClass('Paris'), caseClass('EU'), caseClass('1996'), caseClass('I')],
    [0, 1, 2, 3, 1],
  );
});

test('sentence pairs: [CLS] A [SEP] B [SEP] with segment ids, longest side truncated first', async () => {
  const { trainTokenizer } = await import('../../tokenize/train.js');
  const { encodeTexts } = await import('../../tasks/classification.js');
  const tok = await trainTokenizer({
    type: 'wordpiece',
    texts: ['one two three four five six'],
    vocabSize: 60,
    progress: 'quiet',
  });
  const [full, cut] = await encodeTexts(
    tok,
    [
      { text: 'one two', pair: 'three' },
      { text: 'one two three four five', pair: 'six' },
    ],
    7,
  );
  const id = (t: string) => tok.tokenToId(t);
  assert.deepEqual(full.ids, [id('[CLS]'), id('one'), id('two'), id('[SEP]'), id('three'), id('[SEP]')]);
  assert.deepEqual(full.typeIds, [0, 0, 0, 0, 1, 1]);
  assert.deepEqual(cut.ids, [
    id('[CLS]'),
    id('one'),
    id('two'),
    id('three'),
    id('[SEP]'),
    id('six'),
    id('[SEP]'),
  ]);
});
