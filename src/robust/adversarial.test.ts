import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng as DataRng } from '../data/rng.js';
import { LlmkError } from '../errors.js';
import { bertConfig } from '../models/bert/config.js';
import { BertForSequenceClassification, BertForTokenClassification } from '../models/bert/heads.js';
import type { ClassificationExample } from '../tasks/classification.js';
import type { NerExample } from '../tasks/token-classification.js';
import { createEngine } from '../tensor/create.js';
import { scale } from '../tensor/ops/elementwise.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Objective } from '../train/objective.js';
import { SequenceClassificationObjective } from '../train/objectives/classification.js';
import { TokenClassificationObjective } from '../train/objectives/token-classification.js';
import { Trainer } from '../train/trainer.js';
import { AdversarialObjective, type AdversarialOptions, ascend, exampleNorms } from './adversarial.js';

const engine = createEngine();
// Dropout 0: the extra passes must not draw dropout masks, or the ε = 0 identity could not be exact.
const cfg = bertConfig({
  vocabSize: 30,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  maxPositionEmbeddings: 32,
  hiddenDropout: 0,
});

function data(n: number, seed: number): ClassificationExample[] {
  const r = new DataRng(seed);
  return Array.from({ length: n }, () => {
    const len = 3 + r.nextInt(6);
    const ids = [2, ...Array.from({ length: len }, () => 5 + r.nextInt(25)), 3];
    return { ids, typeIds: ids.map(() => 0), labels: [ids[1] % 3] };
  });
}

function classifier(seed = 7): {
  model: BertForSequenceClassification;
  objective: SequenceClassificationObjective;
} {
  const model = new BertForSequenceClassification(engine, cfg, {
    numLabels: 3,
    rng: new Rng(seed),
    classifierDropout: 0,
  });
  const objective = new SequenceClassificationObjective(
    model,
    { train: data(24, 1), val: null },
    { batchSize: 4, padId: 0, labels: ['a', 'b', 'c'], multiLabel: false, save: () => {} },
  );
  return { model, objective };
}

/**
 * Plain training that backpropagates each micro-batch `times` times, each pass scaled by `k`: what
 * the recipes reduce to at ε = 0 (FGM/PGD: clean + adversarial, k = 1; FreeLB: K passes of loss/K).
 * Leaf gradients accumulate pass by pass in both, so the sums round identically.
 */
class Repeated implements Objective {
  constructor(
    readonly inner: Objective,
    readonly times: number,
    readonly k: number,
  ) {}
  get model() {
    return this.inner.model;
  }
  get unitsPerBatch() {
    return this.inner.unitsPerBatch;
  }
  trainLoss(rng: DataRng): Tensor {
    const before = rng.state();
    for (let t = 0; t < this.times - 1; t++)
      engine.scope(() =>
        scale(this.inner.trainLoss(t === 0 ? rng : DataRng.fromState(before)), this.k).backward(),
      );
    return scale(this.inner.trainLoss(this.times === 1 ? rng : DataRng.fromState(before)), this.k);
  }
  evaluate() {
    return null;
  }
  saveModel(): void {}
}

const trainerOptions = {
  steps: 3,
  lr: 1e-2,
  warmupSteps: 0,
  evalInterval: 0,
  progress: 'quiet' as const,
  seed: 5,
};

function weightsAfter(objective: Objective): number[][] {
  const t = new Trainer(engine, objective, trainerOptions);
  for (let i = 0; i < trainerOptions.steps; i++) t.trainStep();
  const out = objective.model.parameters().map((p) => [...(p.values() as Float32Array)]);
  return out;
}

test('FGM: the perturbation has norm ε per example; PGD stays inside the ε-ball; FreeLB init is bounded', () => {
  const { objective } = classifier();
  for (const eps of [0.5, 2]) {
    const adv = new AdversarialObjective(engine, objective, { method: 'fgm', epsilon: eps });
    engine.scope(() => {
      adv.trainLoss(new DataRng(3)).backward();
    });
    const norms = adv.lastStep?.perturbationNorms ?? [];
    assert.equal(norms.length, 4);
    // float32 sums over 16·T values: relative error ~1e-6.
    for (const n of norms) assert.ok(Math.abs(n - eps) <= 1e-5 * eps, `FGM ‖r‖ ${n} vs ε ${eps}`);
    assert.equal(adv.lastStep?.passes, 2);
  }
  const pgd = new AdversarialObjective(engine, objective, {
    method: 'pgd',
    epsilon: 0.5,
    steps: 3,
    alpha: 0.3,
  });
  engine.scope(() => pgd.trainLoss(new DataRng(3)).backward());
  const pn = pgd.lastStep?.perturbationNorms ?? [];
  // α·K = 0.9 > ε: the projection must bind, so the norm is ε (to rounding), never above.
  for (const n of pn) assert.ok(n <= 0.5 * (1 + 1e-6) && n > 0.3, `PGD ‖r‖ ${n}`);
  assert.equal(pgd.lastStep?.passes, 4);
  const free = new AdversarialObjective(engine, objective, {
    method: 'freelb',
    epsilon: 10,
    steps: 1,
    initMag: 0.6,
  });
  engine.scope(() => free.trainLoss(new DataRng(3)).backward());
  // Every element is within ±m/√(T·C), so ‖δ₀‖ ≤ m; uniform init gives about m/√3 on average.
  for (const n of free.lastStep?.perturbationNorms ?? [])
    assert.ok(n <= 0.6 && n > 0.6 / 3, `FreeLB ‖δ₀‖ ${n}`);
});

test('ascend: the step has length α per example and the projection lands on the ball', () => {
  const r = new Float32Array(6);
  const g = Float32Array.from([3, 4, 0, 0, 0, 0]); // example 0: ‖g‖ = 5; example 1: zero (skipped)
  ascend(r, g, 2, 0.5, null);
  assert.deepEqual(
    [...r].map((v) => Math.round(v * 1e6) / 1e6),
    [0.3, 0.4, 0, 0, 0, 0],
  );
  ascend(r, g, 2, 1, 0.7);
  const n = exampleNorms(r, 2);
  assert.ok(Math.abs(n[0] - 0.7) < 1e-6 && n[1] === 0);
});

test('ε = 0 reproduces plain training bit for bit (FreeLB K = 1), and the recipes’ repeated passes (FGM, PGD, FreeLB K = 2)', () => {
  const zero = (method: 'fgm' | 'pgd' | 'freelb', steps: number): AdversarialObjective =>
    new AdversarialObjective(
      engine,
      classifier().objective,
      { method, epsilon: 0, steps, alpha: 0.3 },
      { allowZeroEpsilon: true },
    );
  const plain = weightsAfter(classifier().objective);
  assert.deepEqual(weightsAfter(zero('freelb', 1)), plain, 'FreeLB K = 1 at ε = 0 is plain training');
  const twice = weightsAfter(new Repeated(classifier().objective, 2, 1));
  assert.deepEqual(weightsAfter(zero('fgm', 1)), twice, 'FGM at ε = 0: clean + adversarial pass');
  assert.deepEqual(weightsAfter(zero('pgd', 3)), twice, 'PGD at ε = 0: intermediate gradients restored');
  assert.deepEqual(
    weightsAfter(zero('freelb', 2)),
    weightsAfter(new Repeated(classifier().objective, 2, 0.5)),
  );
  // In exact arithmetic clean + adversarial at ε = 0 is the doubled loss; float32 sums differ only
  // in the last bits (AdamW then moves weights by lr·(≈±1): 1e-5 absolute is far below lr = 1e-2).
  const doubled = weightsAfter(new Repeated(classifier().objective, 1, 2));
  twice.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) assert.ok(Math.abs(w[j] - doubled[i][j]) < 1e-5, `${i}[${j}]`);
  });
  // A real ε changes the result, so the comparisons above can fail.
  const real = weightsAfter(
    new AdversarialObjective(engine, classifier().objective, { method: 'fgm', epsilon: 1 }),
  );
  assert.notDeepEqual(real, twice);
});

test('works with the NER objective (token-level loss) and reports the clean loss', () => {
  const model = new BertForTokenClassification(engine, cfg, {
    numLabels: 3,
    rng: new Rng(9),
    classifierDropout: 0,
  });
  const train: NerExample[] = data(10, 4).map((e) => ({
    ids: e.ids,
    typeIds: e.typeIds,
    labels: e.ids.map((id, i) => (i === 0 || i === e.ids.length - 1 ? -100 : id % 3)),
    wordStarts: e.ids.slice(1, -1).map((_, i) => i + 1),
  }));
  const objective = new TokenClassificationObjective(
    model,
    { train, val: [] },
    { batchSize: 2, padId: 0, labels: ['O', 'B-X', 'I-X'], scheme: 'IOB2', valTags: [], save: () => {} },
  );
  const adv = new AdversarialObjective(engine, objective, {
    method: 'pgd',
    epsilon: 1,
    steps: 2,
    alpha: 0.5,
  });
  const t = new Trainer(engine, adv, { ...trainerOptions, steps: 2 });
  const info = t.trainStep();
  assert.ok(Number.isFinite(info.loss) && info.loss > 0);
  const clean = adv.lastStep?.cleanLoss ?? 0;
  assert.ok(info.loss >= clean - 1e-6, `adversarial loss ${info.loss} ≥ clean ${clean} (ascent)`);
});

test('memory is flat across adversarial steps (δ and its gradient are released)', () => {
  for (const method of ['fgm', 'pgd', 'freelb'] as const) {
    const adv = new AdversarialObjective(engine, classifier().objective, { method, epsilon: 0.5, steps: 2 });
    const t = new Trainer(engine, adv, { ...trainerOptions, steps: 8 });
    for (let i = 0; i < 3; i++) t.trainStep(); // warm the pool up for every batch length
    const live = engine.stats().liveBytes;
    for (let i = 0; i < 4; i++) t.trainStep();
    assert.equal(engine.stats().liveBytes, live, `${method}: live bytes after 4 more steps`);
  }
});

test('bad input: ε ≤ 0, steps < 1, an unknown method are typed errors', () => {
  const { objective } = classifier();
  const bad: AdversarialOptions[] = [
    { method: 'fgm', epsilon: 0 },
    { method: 'pgd', epsilon: -1 },
    { method: 'pgd', epsilon: 1, steps: 0 },
    { method: 'freelb', epsilon: 1, steps: 1.5 },
    { method: 'nope' as 'fgm', epsilon: 1 },
  ];
  for (const o of bad)
    assert.throws(
      () => new AdversarialObjective(engine, objective, o),
      (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG',
      JSON.stringify(o),
    );
});
