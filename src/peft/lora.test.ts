import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { Linear } from '../nn/layers.js';
import { FlatParameters } from '../nn/params.js';
import { createEngine } from '../tensor/create.js';
import { sum } from '../tensor/ops/reduce.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { AdamW } from '../train/optim.js';
import { loraConfig } from './config.js';
import { LoraLinear } from './lora.js';
import {
  addLora,
  mergeAdapter,
  mergeAndUnload,
  resolveTargets,
  setAdapter,
  trainableParameters,
  unmergeAdapter,
  withAdaptersDisabled,
} from './model.js';

const engine = createEngine({ backend: 'reference' });
const cfg = gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0 });
const ids = (): Tensor => engine.tensor(Int32Array.from([1, 5, 7, 2, 9, 3]), [1, 6], 'i32');
const logits = (m: GPT): number[] => engine.noGrad(() => m.forward(ids()).toArray());

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ in float64 loops, W read in either layout. */
function reference(l: LoraLinear, x: Float32Array, rows: number, s: number): Float64Array {
  const inF = l.inFeatures;
  const outF = l.outFeatures;
  const W = l.weight.values();
  const A = l.loraA.get('default').weight.values(); // (r, in)
  const B = l.loraB.get('default').weight.values(); // (out, r)
  const r = A.length / inF;
  const y = new Float64Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    const u = new Float64Array(r);
    for (let k = 0; k < r; k++) for (let i = 0; i < inF; i++) u[k] += x[n * inF + i] * A[k * inF + i];
    for (let o = 0; o < outF; o++) {
      let acc = l.bias ? l.bias.values()[o] : 0;
      for (let i = 0; i < inF; i++)
        acc += x[n * inF + i] * (l.layout === 'out_in' ? W[o * inF + i] : W[i * outF + o]);
      for (let k = 0; k < r; k++) acc += s * u[k] * B[o * r + k];
      y[n * outF + o] = acc;
    }
  }
  return y;
}

for (const layout of ['out_in', 'in_out'] as const) {
  test(`LoraLinear (${layout}): forward = base + scaling·B·A·x; merge matches it; unmerge restores W; gradients reach only A and B`, () => {
    const rng = new Rng(3);
    const base = new Linear(engine, 6, 5, { layout, rng, std: 0.5 });
    base.bias?.values().set([0.1, -0.2, 0.3, 0.05, -0.4]);
    base.freeze();
    const l = new LoraLinear(base);
    const info = l.addAdapter('default', { r: 3, alpha: 6, dropout: 0, useRslora: false, init: false, rng });
    assert.equal(info.scaling, 2);
    const xv = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i * 0.7));
    const want = reference(l, xv, 4, 2);
    const x = engine.tensor(xv, [4, 6]);
    const y = l.forward(x);
    // f32 GEMMs of length ≤ 6 on values below 3: rounding is below 1e-5.
    assert.ok(maxDiff(y.toArray(), want) < 1e-5, `unmerged forward off by ${maxDiff(y.toArray(), want)}`);
    // dL/dB = s·Σ_n g ⊗ u (u = x·Aᵀ), dL/dA = s·Σ_n (Bᵀg) ⊗ x with g = 1 (L = Σ y).
    engine.backward(sum(y));
    assert.equal(l.weight.grad, null, 'the frozen base gets no gradient');
    const A = l.loraA.get('default').weight;
    const B = l.loraB.get('default').weight;
    const Av = A.values();
    const Bv = B.values();
    const dB = new Float64Array(5 * 3);
    const dA = new Float64Array(3 * 6);
    for (let n = 0; n < 4; n++)
      for (let k = 0; k < 3; k++) {
        let u = 0;
        for (let i = 0; i < 6; i++) u += xv[n * 6 + i] * Av[k * 6 + i];
        let bsum = 0;
        for (let o = 0; o < 5; o++) {
          dB[o * 3 + k] += 2 * u;
          bsum += Bv[o * 3 + k];
        }
        for (let i = 0; i < 6; i++) dA[k * 6 + i] += 2 * bsum * xv[n * 6 + i];
      }
    assert.ok(maxDiff(B.grad?.toArray() ?? [], dB) < 1e-4);
    assert.ok(maxDiff(A.grad?.toArray() ?? [], dA) < 1e-4);
    const w0 = Float32Array.from(l.weight.values());
    l.merge();
    assert.ok(maxDiff(l.weight.values(), w0) > 1e-3, 'merging changes W');
    const ym = engine.noGrad(() => l.forward(x));
    assert.ok(maxDiff(ym.toArray(), want) < 1e-5, 'merged forward equals the unmerged one');
    l.unmerge();
    assert.ok(maxDiff(l.weight.values(), w0) < 1e-6, 'unmerge restores W up to rounding');
  });
}

test('init: true gives zero B (a no-op adapter) and A within ±1/√in; gaussian A has std ≈ 1/r; rsLoRA scales α/√r', () => {
  const base = new Linear(engine, 64, 32, { rng: new Rng(1) });
  const l = new LoraLinear(base);
  l.addAdapter('default', { r: 4, alpha: 8, dropout: 0, useRslora: true, init: true, rng: new Rng(2) });
  assert.equal(l.adapters.get('default')?.scaling, 4);
  assert.ok(
    l.loraB
      .get('default')
      .weight.toArray()
      .every((v) => v === 0),
  );
  const a = l.loraA.get('default').weight.toArray();
  assert.ok(
    a.every((v) => Math.abs(v) <= 1 / 8) && Math.max(...a) > 0.1,
    'kaiming-uniform(a=√5) bound 1/√64',
  );
  l.addAdapter('g', { r: 4, alpha: 8, dropout: 0, useRslora: false, init: 'gaussian', rng: new Rng(2) });
  const g = l.loraA.get('g').weight.toArray();
  const std = Math.sqrt(g.reduce((s, v) => s + v * v, 0) / g.length);
  assert.ok(Math.abs(std - 0.25) < 0.03, `std ${std}`);
  assert.throws(
    () => l.addAdapter('z', { r: 0, alpha: 8, dropout: 0, useRslora: false, init: true, rng: new Rng(2) }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_CONFIG',
  );
});

test('addLora on GPT-2: only A/B train, logits unchanged at init, one AdamW step moves only LoRA tensors', () => {
  const model = new GPT(engine, cfg, { rng: new Rng(1) });
  const before = logits(model);
  const s = addLora(model, { r: 2, loraAlpha: 4, targetModules: ['c_attn'] }, { rng: new Rng(5) });
  assert.deepEqual(s.targets, ['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
  // per layer: A (2, 8) + B (24, 2) = 64
  assert.equal(s.trainable, 2 * 64);
  const { trainable, total, percent } = trainableParameters(model);
  assert.equal(trainable, 128);
  assert.ok(Math.abs(percent - (100 * 128) / total) < 1e-9);
  assert.deepEqual(logits(model), before, 'B = 0: the adapter adds nothing yet');
  const names = model.namedParameters({ trainable: true }).map(([n]) => n);
  assert.deepEqual(names, [
    'transformer.h.0.attn.c_attn.lora_A.default.weight',
    'transformer.h.0.attn.c_attn.lora_B.default.weight',
    'transformer.h.1.attn.c_attn.lora_A.default.weight',
    'transformer.h.1.attn.c_attn.lora_B.default.weight',
  ]);
  const params = new FlatParameters(model);
  assert.equal(params.size, 128, 'optimizer state covers the LoRA tensors only');
  const frozen = model
    .namedParameters({ trainable: false })
    .map(([n, t]) => [n, Float32Array.from(t.values())] as const);
  const opt = new AdamW(engine, params, { lr: 0.01, groups: [{ weightDecay: 0 }] });
  engine.scope(() => {
    const out = model.forward(ids());
    engine.backward(sum(out));
  });
  opt.update();
  for (const [n, v] of frozen) assert.deepEqual(model.stateDict().get(n)?.values(), v, `${n} moved`);
  assert.ok(maxDiff(logits(model), before) > 1e-6, 'the trained adapter changes the logits');
});

test('targets: suffix list, regex, all-linear (no tied LM head), layers_to_transform; no match lists the Linears', () => {
  const model = new GPT(engine, cfg, { rng: new Rng(1) });
  const t = (c: Parameters<typeof loraConfig>[0]): string[] => resolveTargets(model, loraConfig(c));
  assert.deepEqual(t({ targetModules: ['c_proj'] }), [
    'transformer.h.0.attn.c_proj',
    'transformer.h.0.mlp.c_proj',
    'transformer.h.1.attn.c_proj',
    'transformer.h.1.mlp.c_proj',
  ]);
  assert.deepEqual(t({ targetModules: ['mlp.c_proj'], layersToTransform: [1] }), [
    'transformer.h.1.mlp.c_proj',
  ]);
  assert.deepEqual(t({ targetModules: 'transformer\\.h\\.0\\.attn\\.c_.*' }), [
    'transformer.h.0.attn.c_attn',
    'transformer.h.0.attn.c_proj',
  ]);
  const all = t({ targetModules: 'all-linear' });
  assert.equal(all.length, 8);
  assert.ok(!all.includes('lm_head'));
  assert.throws(
    () => t({ targetModules: ['q_proj'] }),
    (e: unknown) =>
      e instanceof LlmkError &&
      e.code === 'LLMK_E_CONFIG' &&
      e.message.includes('q_proj') &&
      e.hint.includes('transformer.h.0.attn.c_attn'),
  );
  assert.throws(
    () => t({ targetModules: ['lm_head'] }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_UNSUPPORTED',
  );
  assert.throws(
    () => loraConfig({ r: -1, targetModules: ['c_attn'] }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_CONFIG',
  );
});

test('merge/unmerge, two adapters with setAdapter, disabled adapters, mergeAndUnload gives a plain model', () => {
  const model = new GPT(engine, cfg, { rng: new Rng(1) });
  const base = logits(model);
  addLora(
    model,
    { r: 2, loraAlpha: 4, targetModules: ['c_attn'], initLoraWeights: false },
    { rng: new Rng(5) },
  );
  const withA = logits(model);
  addLora(
    model,
    { r: 4, loraAlpha: 4, targetModules: ['c_fc'], initLoraWeights: false },
    { adapterName: 'b', rng: new Rng(6) },
  );
  const withB = logits(model);
  assert.ok(maxDiff(withA, base) > 1e-4 && maxDiff(withB, withA) > 1e-4);
  setAdapter(model, 'default');
  assert.ok(maxDiff(logits(model), withA) < 1e-6);
  assert.ok(
    maxDiff(
      withAdaptersDisabled(model, () => logits(model)),
      base,
    ) < 1e-6,
  );
  mergeAdapter(model);
  assert.ok(maxDiff(logits(model), withA) < 1e-5);
  assert.throws(
    () => setAdapter(model, 'b'),
    (e: unknown) => e instanceof LlmkError && e.message.includes('merged'),
  );
  unmergeAdapter(model);
  assert.ok(maxDiff(logits(model), withA) < 1e-5);
  assert.throws(
    () => setAdapter(model, 'c'),
    (e: unknown) => e instanceof LlmkError && e.hint.includes('default, b'),
  );
  setAdapter(model, 'b');
  const plain = mergeAndUnload(model);
  assert.equal(plain, model);
  assert.ok(!plain.namedModules().some(([, m]) => m instanceof LoraLinear));
  assert.ok(!plain.namedParameters().some(([n]) => n.includes('lora_')));
  assert.equal(plain.parameterCount({ trainable: true }), plain.parameterCount());
  assert.ok(maxDiff(logits(plain), withB) < 1e-5);
});
