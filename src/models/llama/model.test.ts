import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenWindowSampler } from '../../data/sampler.js';
import { MemoryTokens } from '../../data/shards.js';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { CausalLMObjective } from '../../train/objectives/causal-lm.js';
import { Trainer } from '../../train/trainer.js';
import { loadModel } from '../load.js';
import { llamaConfig } from './config.js';
import { Llama } from './model.js';

const engine = createEngine({ backend: 'reference' });
const cfg = llamaConfig({ vocabSize: 11, nCtx: 16, nLayer: 2, nHead: 4, nKvHead: 2, dim: 16, hiddenDim: 24 });

test('Llama parameter names are the Hugging Face keys; tying shares embed_tokens', () => {
  const model = new Llama(engine, cfg, { rng: new Rng(1) });
  const names = model.namedParameters().map(([n]) => n);
  assert.ok(names.includes('model.layers.1.self_attn.q_proj.weight'));
  assert.ok(names.includes('model.layers.0.mlp.gate_proj.weight'));
  assert.deepEqual(model.stateDict().get('model.layers.0.self_attn.k_proj.weight')?.shape, [8, 16]);
  assert.ok(names.includes('lm_head.weight'));
  // 11·16 (embed) + 2·(16+16 + 16·16 + 2·8·16 + 16·16 + 3·16·24) + 16 (norm) + 11·16 (head)
  assert.equal(model.parameterCount(), 176 + 2 * (32 + 256 + 256 + 256 + 1152) + 16 + 176);
  const tied = new Llama(engine, { ...cfg, tieEmbeddings: true }, { rng: new Rng(1) });
  assert.equal(tied.stateDict().get('lm_head.weight'), tied.stateDict().get('model.embed_tokens.weight'));
  assert.equal(tied.parameterCount(), model.parameterCount() - 176);
});

test('the KV-cache decode matches the full forward (rotary positions continue after the cache)', () => {
  const model = new Llama(engine, cfg, { rng: new Rng(2) }).eval();
  engine.noGrad(() =>
    engine.scope(() => {
      const ids = [1, 5, 7, 2, 9, 3];
      const full = model.forward(engine.tensor(Int32Array.from(ids), [1, 6], 'i32')).toArray();
      const cache = model.newCache();
      const parts = [ids.slice(0, 4), [ids[4]], [ids[5]]].flatMap((chunk) =>
        model.forward(engine.tensor(Int32Array.from(chunk), [1, chunk.length], 'i32'), { cache }).toArray(),
      );
      const err = Math.max(...full.map((x, i) => Math.abs(x - parts[i])));
      // Same math in a different order: f32 rounding only.
      assert.ok(err < 1e-5, `cache decode differs by ${err}`);
      cache.dispose();
    }),
  );
});

test('Llama trains through the generic Trainer and saves an HF checkpoint that reloads', async () => {
  const rng = new Rng(5);
  const t = new Uint16Array(3000);
  for (let i = 1; i < t.length; i++) t[i] = rng.uniform() < 0.9 ? (t[i - 1] + 1) % 11 : rng.int(11);
  const data = {
    train: new TokenWindowSampler(new MemoryTokens(t)),
    val: new TokenWindowSampler(new MemoryTokens(t)),
  };
  const model = new Llama(engine, cfg, { rng: new Rng(3) });
  const objective = new CausalLMObjective(model, data, {
    batchSize: 4,
    seqLen: 8,
    evalBatches: 4,
    evalSeed: 1,
  });
  const trainer = new Trainer(engine, objective, {
    steps: 60,
    lr: 1e-2,
    minLr: 1e-3,
    warmupSteps: 5,
    evalInterval: 0,
    progress: 'quiet',
    seed: 9,
  });
  const before = trainer.evaluate()!.metrics.loss;
  await trainer.run();
  const after = trainer.evaluate()!.metrics.loss;
  // ln 11 ≈ 2.40 at init; 90% of transitions are deterministic, so training must get well below.
  assert.ok(before > 2.2 && after < 1.6, `val loss ${before} → ${after}`);
  const dir = join(mkdtempSync(join(tmpdir(), 'llmk-llama-train-')), 'ckpt');
  trainer.save(dir);
  assert.ok(existsSync(join(dir, 'config.json')));
  const back = loadModel(engine, dir);
  assert.equal(back.modelType, 'llama');
  const w = back.model.stateDict().get('model.layers.1.mlp.down_proj.weight')!.values();
  assert.deepEqual([...w], [...model.stateDict().get('model.layers.1.mlp.down_proj.weight')!.values()]);
});
