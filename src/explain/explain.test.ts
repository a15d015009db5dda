import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { LlmkError } from '../errors.js';
import { bertConfig } from '../models/bert/config.js';
import { BertForSequenceClassification } from '../models/bert/heads.js';
import type { TaskInfo } from '../models/task-info.js';
import { encodeClassification } from '../tasks/classification.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import { trainTokenizer } from '../tokenize/train.js';
import type { Tokenizer } from '../tokenize/types.js';
import { SequenceClassificationObjective } from '../train/objectives/classification.js';
import { Trainer } from '../train/trainer.js';
import { explainClassifier } from './classifier.js';
import { renderExplanationHtml } from './html.js';
import { approximationParameters, legendreGauss } from './integrated-gradients.js';
import { addResidual, attentionRollout } from './rollout.js';

const engine = createEngine();
const WORDS = ['the', 'film', 'was', 'a', 'story', 'about', 'people', 'and', 'it', 'felt'];
let tokenizer: Tokenizer;
let trained: BertForSequenceClassification;
const task: TaskInfo = { labels: ['neg', 'pos'], multiLabel: false, task: 'classification', maxLength: 32 };

/** Sentences whose label is decided by one word (great/awful) among neutral filler. */
function sentences(n: number, seed: number): Array<{ text: string; labels: string[] }> {
  const r = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const w = Array.from({ length: 6 }, () => WORDS[r.int(WORDS.length)]);
    w.splice(r.int(6), 0, i % 2 ? 'great' : 'awful');
    return { text: w.join(' '), labels: [i % 2 ? 'pos' : 'neg'] };
  });
}

function model(seed: number): BertForSequenceClassification {
  const cfg = bertConfig({
    vocabSize: tokenizer.vocabSize,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    maxPositionEmbeddings: 32,
    hiddenDropout: 0,
    padTokenId: tokenizer.padId() ?? 0,
  });
  return new BertForSequenceClassification(engine, cfg, {
    numLabels: 2,
    rng: new Rng(seed),
    classifierDropout: 0,
  });
}

before(async () => {
  const data = sentences(200, 1);
  tokenizer = await trainTokenizer({
    type: 'wordpiece',
    texts: data.map((d) => d.text),
    vocabSize: 120,
    specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
    progress: 'quiet',
  });
  trained = model(3);
  const train = await encodeClassification(
    tokenizer,
    data.map((d) => ({ ...d, file: 'x', line: 0 })),
    task.labels,
    32,
  );
  const objective = new SequenceClassificationObjective(
    trained,
    { train, val: null },
    { batchSize: 16, padId: tokenizer.padId() ?? 0, labels: task.labels, multiLabel: false, save: () => {} },
  );
  const t = new Trainer(engine, objective, {
    steps: 80,
    lr: 1e-3,
    warmupSteps: 5,
    evalInterval: 0,
    progress: 'quiet',
    seed: 2,
  });
  for (let i = 0; i < 80; i++) t.trainStep();
  trained.eval();
});

test('Gauss–Legendre nodes/weights equal numpy leggauss; every rule’s weights sum to 1', () => {
  const g2 = legendreGauss(2);
  assert.ok(Math.abs(g2.nodes[0] + 1 / Math.sqrt(3)) < 1e-15 && Math.abs(g2.weights[0] - 1) < 1e-14);
  // numpy.polynomial.legendre.leggauss(3): nodes ±0.7745966692414834, 0; weights 5/9, 8/9, 5/9.
  const g3 = legendreGauss(3);
  assert.ok(Math.abs(g3.nodes[2] - 0.7745966692414834) < 1e-15 && Math.abs(g3.weights[1] - 8 / 9) < 1e-14);
  // n = 50 integrates x^99 exactly (odd: 0) and x^98 to 2/99.
  const g50 = legendreGauss(50);
  const q = (k: number) => g50.nodes.reduce((s, x, i) => s + g50.weights[i] * x ** k, 0);
  assert.ok(Math.abs(q(98) - 2 / 99) < 1e-13 && Math.abs(q(99)) < 1e-13);
  for (const m of [
    'gausslegendre',
    'riemann_trapezoid',
    'riemann_left',
    'riemann_right',
    'riemann_middle',
  ] as const) {
    const { alphas, stepSizes } = approximationParameters(m, 50);
    assert.equal(alphas.length, 50);
    assert.ok(Math.abs(stepSizes.reduce((a, b) => a + b, 0) - 1) < 1e-12, m);
  }
  assert.deepEqual(approximationParameters('riemann_trapezoid', 3), {
    alphas: [0, 0.5, 1],
    stepSizes: [0.25, 0.5, 0.25],
  });
  assert.throws(() => approximationParameters('riemann_left', 1), LlmkError);
});

test('integrated gradients: completeness within 1e-3 at 50 steps (both rules), and the error shrinks with steps', async () => {
  const em = { model: trained, tokenizer, task };
  const text = 'the film was great and it felt a story';
  for (const integration of ['gausslegendre', 'riemann_trapezoid'] as const) {
    for (const baseline of ['pad', 'zero'] as const) {
      const e = await explainClassifier(em, text, { method: 'ig', integration, baseline, attentions: false });
      const c = e.completeness;
      assert.ok(c);
      const gap = c.fx - c.fBaseline;
      // Tolerance: 1e-3 absolute on a probability difference of ~0.35 (measured: 4e-7–4e-4). A
      // model trained to saturation turns f along the path into a near-step that 50 points cannot
      // resolve (errors up to 0.5 measured); that is what the reported delta is for.
      assert.ok(Math.abs(c.delta) < 1e-3, `${integration}/${baseline}: delta ${c.delta} (gap ${gap})`);
      assert.ok(Math.abs(c.sum - e.scores.reduce((a, v) => a + v, 0)) < 1e-9);
      assert.ok(Math.abs(gap) > 0.05, `the input and the baseline differ in f (${gap})`);
    }
  }
  const coarse = await explainClassifier(em, text, {
    method: 'ig',
    integration: 'riemann_trapezoid',
    steps: 3,
    attentions: false,
  });
  const fine = await explainClassifier(em, text, {
    method: 'ig',
    integration: 'riemann_trapezoid',
    steps: 50,
    attentions: false,
  });
  assert.ok(
    Math.abs(fine.completeness?.delta ?? 1) < Math.abs(coarse.completeness?.delta ?? 0),
    'more steps, smaller error',
  );
  // The trained model's decision word gets the largest attribution towards its label.
  const top = fine.tokens[fine.scores.indexOf(Math.max(...fine.scores))];
  assert.equal(fine.predicted, 'pos');
  assert.equal(
    top,
    'great',
    `top token ${top}: ${fine.tokens.map((t, i) => `${t}:${fine.scores[i].toFixed(3)}`).join(' ')}`,
  );
});

test('model-randomisation check (Adebayo et al. 2018): attributions change when the weights are randomised', async () => {
  const text = 'the film was great and it felt a story';
  const before = await explainClassifier({ model: trained, tokenizer, task }, text, {
    method: 'ig',
    target: 'pos',
    attentions: false,
  });
  const gxi = await explainClassifier({ model: trained, tokenizer, task }, text, {
    method: 'gradxinput',
    target: 'pos',
    attentions: false,
  });
  const random = model(99).eval();
  const after = await explainClassifier({ model: random, tokenizer, task }, text, {
    method: 'ig',
    target: 'pos',
    attentions: false,
  });
  const corr = pearson(before.scores, after.scores);
  assert.ok(corr < 0.5, `IG correlation trained vs randomised ${corr.toFixed(3)}`);
  const top = (s: number[]) => before.tokens[s.indexOf(Math.max(...s))];
  assert.equal(top(before.scores), 'great');
  assert.notEqual(top(after.scores), 'great');
  assert.equal(gxi.scores.length, before.tokens.length);
  assert.ok(gxi.scores.some((v) => v !== 0));
});

function pearson(a: readonly number[], b: readonly number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

test('attention rollout: 0.5·A + 0.5·I renormalised, multiplied bottom-up; rows sum to 1', async () => {
  const A: number[][] = [
    [0.5, 0.5],
    [1, 0],
  ];
  assert.deepEqual(addResidual(A), [
    [0.75, 0.25],
    [0.5, 0.5],
  ]);
  const r = attentionRollout([A, A]);
  // Â·Â with Â = [[.75,.25],[.5,.5]] → [[.6875,.3125],[.625,.375]].
  assert.deepEqual(r, [
    [0.6875, 0.3125],
    [0.625, 0.375],
  ]);
  const e = await explainClassifier({ model: trained, tokenizer, task }, 'the film was great', {
    method: 'rollout',
  });
  assert.equal(e.attentions?.length, 2);
  assert.equal(e.attentions?.[0].length, 2);
  for (const row of e.rollout ?? []) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  assert.deepEqual(e.scores, e.rollout?.[0]);
});

test('bad input: an unknown --target lists the labels; long text is truncated with a notice', async () => {
  const em = { model: trained, tokenizer, task };
  await assert.rejects(
    () => explainClassifier(em, 'the film', { target: 'maybe' }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG' && e.hint.includes('neg, pos'),
  );
  const long = Array.from({ length: 40 }, () => 'film').join(' ');
  const e = await explainClassifier({ ...em, task: { ...task, maxLength: 12 } }, long, {
    method: 'gradxinput',
  });
  assert.equal(e.tokens.length, 12);
  assert.match(e.truncated ?? '', /42 tokens; the model takes 12/);
  const html = renderExplanationHtml(e);
  assert.match(html, /id="truncated"/);
  assert.doesNotMatch(html, /(src|href)=["']?https?:/, 'no external resources');
  assert.match(html, /<select id="layer">/);
  const json = /<script type="application\/json" id="data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
  assert.equal(JSON.parse(json).tokens.length, 12);
});
