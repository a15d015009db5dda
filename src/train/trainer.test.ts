import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenWindowSampler } from '../data/sampler.js';
import { MemoryTokens } from '../data/shards.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import { CausalLMObjective } from './objectives/causal-lm.js';
import { learningRate } from './schedule.js';
import { Trainer, type TrainerOptions } from './trainer.js';

function corpus(n: number): MemoryTokens {
  const rng = new Rng(5);
  // A learnable sequence: mostly "next = prev + 1 mod 11" with noise.
  const t = new Uint16Array(n);
  for (let i = 1; i < n; i++) t[i] = rng.uniform() < 0.9 ? (t[i - 1] + 1) % 11 : rng.int(11);
  return new MemoryTokens(t);
}

const batch = { batchSize: 4, seqLen: 8, evalBatches: 4, evalSeed: 1 };
const options: Partial<TrainerOptions> = {
  steps: 20,
  lr: 3e-3,
  minLr: 3e-4,
  warmupSteps: 4,
  evalInterval: 0,
  progress: 'quiet',
  seed: 9,
};

function build(engine: ReturnType<typeof createEngine>): GPT {
  return new GPT(
    engine,
    gptConfig({ vocabSize: 11, nCtx: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1 }),
    { rng: new Rng(3) },
  );
}

test('resume is exact: 20 steps straight equals 10 + save + resume + 10 (within 1e-6)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-resume-'));
  try {
    const data = { train: new TokenWindowSampler(corpus(2000)) };
    const e1 = createEngine({ backend: 'reference' });
    const straight = new Trainer(e1, new CausalLMObjective(build(e1), data, batch), options);
    await straight.run();

    const e2 = createEngine({ backend: 'reference' });
    // The same 20-step run, stopped after 10 steps (as SIGINT would) and saved.
    const first = new Trainer(e2, new CausalLMObjective(build(e2), data, batch), options);
    for (let i = 0; i < 10; i++) first.trainStep();
    first.save(join(dir, 'ckpt'));
    const e3 = createEngine({ backend: 'reference' });
    const resumed = Trainer.resume(e3, join(dir, 'ckpt'), new CausalLMObjective(build(e3), data, batch));
    assert.equal(resumed.step, 10);
    await resumed.run();
    const a = straight.params.values;
    const b = resumed.params.values;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    assert.ok(maxDiff <= 1e-6, `max parameter difference ${maxDiff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training lowers the loss on a learnable sequence, and a step allocates nothing after warm-up', async () => {
  const engine = createEngine({ backend: 'reference' });
  const data = { train: new TokenWindowSampler(corpus(4000)), val: new TokenWindowSampler(corpus(500)) };
  const trainer = new Trainer(engine, new CausalLMObjective(build(engine), data, batch), {
    ...options,
    steps: 100,
    evalInterval: 100,
  });
  const before = trainer.evaluate()!.metrics.loss;
  for (let i = 0; i < 2; i++) trainer.trainStep();
  const warm = engine.stats();
  for (let i = 0; i < 98; i++) trainer.trainStep();
  const after = engine.stats();
  assert.equal(after.allocatedBytes, warm.allocatedBytes, 'pool grew after warm-up');
  assert.equal(after.liveBytes, warm.liveBytes, 'live bytes changed between step 2 and step 100');
  const val = trainer.evaluate()!.metrics.loss;
  // ln 11 ≈ 2.40 at init; 90% of transitions are deterministic, so a trained model is far below.
  assert.ok(before > 2.2 && val < 1.5, `val loss ${before} → ${val}`);
});

test('schedules: warmup then cosine to minLr', () => {
  const o = { kind: 'cosine' as const, lr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
  assert.equal(learningRate(0, o), 0.1);
  assert.equal(learningRate(9, o), 1);
  assert.ok(Math.abs(learningRate(60, o) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(110, o) - 0.1) < 1e-12);
  assert.equal(learningRate(50, { ...o, kind: 'constant' }), 1);
  assert.ok(Math.abs(learningRate(60, { ...o, kind: 'linear' }) - 0.55) < 1e-12);
});

test('determinism: the same seed and thread count give bit-identical parameters (default backend)', async () => {
  const data = { train: new TokenWindowSampler(corpus(2000)) };
  const runOnce = async (): Promise<Float32Array> => {
    const engine = createEngine();
    const trainer = new Trainer(engine, new CausalLMObjective(build(engine), data, batch), {
      ...options,
      steps: 5,
    });
    await trainer.run();
    return trainer.params.values.slice();
  };
  const a = await runOnce();
  const b = await runOnce();
  assert.ok(
    a.every((x, i) => Object.is(x, b[i])),
    'two runs differ',
  );
});

test('frozen blocks: the Trainer packs, clips and updates only trainable parameters; checkpoints hold their state only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-frozen-'));
  try {
    const engine = createEngine({ backend: 'reference' });
    const model = build(engine);
    model.transformer.h.freeze();
    const blocks = model.transformer.h.namedParameters();
    const before = blocks.map(([, t]) => t.toArray());
    const data = { train: new TokenWindowSampler(corpus(2000)) };
    const trainer = new Trainer(engine, new CausalLMObjective(model, data, batch), { ...options, steps: 3 });
    const trainable = model.parameterCount({ trainable: true });
    assert.equal(trainer.params.size, trainable);
    assert.equal(trainer.optimizer.m.length, trainable);
    assert.ok(trainable < model.parameterCount() / 2, 'the blocks are most of this model');
    for (let i = 0; i < 3; i++) assert.ok(Number.isFinite(trainer.trainStep().loss));
    for (const [i, [name, t]] of blocks.entries()) {
      assert.deepEqual(t.toArray(), before[i], `${name} unchanged`);
      assert.equal(t.grad, null, `${name} has no gradient`);
    }
    trainer.save(join(dir, 'ckpt'));
    const e2 = createEngine({ backend: 'reference' });
    const again = build(e2);
    again.transformer.h.freeze();
    const resumed = Trainer.resume(e2, join(dir, 'ckpt'), new CausalLMObjective(again, data, batch));
    assert.deepEqual([...resumed.optimizer.m], [...trainer.optimizer.m]);
    // Nothing trainable at all is a typed error, not a silent no-op.
    again.freeze();
    assert.throws(
      () => new Trainer(e2, new CausalLMObjective(again, data, batch), options),
      (e: unknown) =>
        e instanceof Error && /LLMK_E_CONFIG: the model has no trainable parameters/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
