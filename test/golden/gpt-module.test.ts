/**
 * The GPT module (src/models/gpt, Hugging Face GPT-2 names) against the same PyTorch fixture as the
 * engine test (scripts/golden/gpt_engine.py): weights load by their checkpoint keys, then logits,
 * loss, every gradient (through the flat gradient buffer, tied wte/lm_head summed) and the losses
 * of 3 AdamW steps taken with the library's own AdamW over FlatParameters must match.
 * Error measure and tolerance as in gpt_engine.test.ts: max |a − b| / max |b| ≤ 1e-4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { gptConfig } from '../../src/models/gpt/config.js';
import { GPT } from '../../src/models/gpt/model.js';
import { FlatParameters } from '../../src/nn/params.js';
import { createEngine } from '../../src/tensor/create.js';
import type { Engine } from '../../src/tensor/engine.js';
import { crossEntropy } from '../../src/tensor/ops/fused.js';
import { reshape } from '../../src/tensor/ops/shape.js';
import { AdamW } from '../../src/train/optim.js';

const fixture = readSafetensors(
  fileURLToPath(new URL('./fixtures/gpt2_tiny_engine.safetensors', import.meta.url)),
);
const TOL = 1e-4;

function data(name: string): Float32Array | Int32Array {
  const t = fixture.get(name);
  assert.ok(t, `fixture has no '${name}'`);
  return t.data as Float32Array | Int32Array;
}

function scaledMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-6);
}

function run(engine: Engine): void {
  const model = new GPT(engine, gptConfig({ vocabSize: 64, nCtx: 16, nLayer: 2, nHead: 4, nEmbd: 32 }));
  const weights = new Map<string, Float32Array>();
  for (const key of fixture.keys())
    if (key.startsWith('param.')) weights.set(key.slice(6), data(key) as Float32Array);
  model.loadState(weights);
  const params = new FlatParameters(model, () => 0);
  const idxData = data('input.idx') as Int32Array;
  const tgtData = data('input.targets') as Int32Array;
  const B = 2;
  const T = idxData.length / B;
  const lossOf = (): { loss: number; logits: number[] } =>
    engine.scope(() => {
      const idx = engine.tensor(idxData, [B, T], 'i32');
      const logits = model.forward(idx);
      const loss = crossEntropy(reshape(logits, [B * T, 64]), engine.tensor(tgtData, [B * T], 'i32'));
      loss.backward();
      return { loss: loss.item(), logits: logits.toArray() };
    });
  const first = lossOf();
  assert.ok(scaledMaxError(first.logits, data('out.logits')) <= TOL, 'logits');
  assert.ok(Math.abs(first.loss - data('out.loss')[0]) / data('out.loss')[0] <= TOL, 'loss');
  for (const e of params.entries) {
    const err = scaledMaxError(params.grads.subarray(e.offset, e.offset + e.size), data(`grad.${e.name}`));
    assert.ok(err <= TOL, `grad ${e.name}: ${err}`);
  }
  const opt = new AdamW(engine, params, {
    lr: 1e-2,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    groups: [{ weightDecay: 0.1 }],
  });
  opt.update();
  for (let step = 1; step < 3; step++) {
    params.zeroGrad();
    const { loss } = lossOf();
    const expected = data(`adamw3.loss.${step}`)[0];
    assert.ok(
      Math.abs(loss - expected) / expected <= TOL,
      `loss before AdamW step ${step + 1}: ${loss} vs ${expected}`,
    );
    opt.update();
  }
}

test('GPT module matches PyTorch: logits, loss, gradients and AdamW steps (reference backend)', () => {
  run(createEngine({ backend: 'reference' }));
});

test('GPT module matches PyTorch on the default backend', () => {
  run(createEngine());
});
