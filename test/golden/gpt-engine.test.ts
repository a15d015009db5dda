/**
 * The tensor engine against PyTorch: a tiny 2-layer GPT-2 built from llmk ops must reproduce the
 * logits, loss, every parameter gradient and the parameters after 3 AdamW steps that
 * scripts/golden/gpt_engine.py computed with torch 1.13 (CPU, float32) and stored in
 * test/golden/fixtures/gpt2_tiny_engine.safetensors (read with our own safetensors reader).
 *
 * Error measure: scaled max error  e(a, b) = max_i |a_i − b_i| / max(max_i |b_i|, 1e-6)
 * (b = PyTorch). Element-wise relative error is meaningless for entries that are ~0 (many gradient
 * entries are, and their float32 rounding noise is relative to the tensor's scale, not to the
 * entry), so errors are scaled by the tensor's largest magnitude. Two float32 implementations that
 * sum in different orders differ by ~1e-7 of that scale per reduction, so 1e-4 leaves room for the
 * ~10 chained reductions of this network (measured: < 1e-6), while a wrong rule moves results by
 * more — the subtlest one tried, the erf GELU instead of tanh, moves the logits by 2.5e-4.
 *
 * AdamW is ill-conditioned where a gradient is ~0: the update lr·m̂/(√v̂ + eps) has sensitivity
 * ≈ lr/|g| to the gradient, so float32 noise δg ≈ 1e-6·max|g| becomes a parameter error of about
 * lr·δg/|g|. (The extreme case is the key third of each `attn.c_attn.bias`: softmax ignores the
 * constant q·b it adds to a row of scores, so its gradient is 0 in real arithmetic, ~1e-8 of
 * rounding noise in float32, and AdamW turns that into ±lr steps whose signs depend on summation
 * order.) So the 1e-4 check covers the elements whose initial gradient is exactly 0 (unused
 * position rows: m = v = 0, only weight decay moves them) or ≥ τ·max|g| with τ = 1e-3, where the
 * error is ≲ lr·1e-6/τ = 1e-5 of the scale. The rest (asserted to be under 2% of the elements;
 * 1.5% measured) get what AdamW guarantees: each side moved at most steps·lr·κ from the
 * weight-decayed start (κ = max |m̂/√v̂| ≤ 1.01 for 3 steps, Cauchy–Schwarz on the bias-corrected
 * moment weights).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type SafetensorsTensor } from '../../src/formats/safetensors.js';
import {
  add,
  attention,
  contiguous,
  createEngine,
  crossEntropy,
  type Engine,
  embedding,
  gelu,
  layerNorm,
  linear,
  reshape,
  split,
  type Tensor,
  transpose,
} from '../../src/tensor/index.js';
import { scaledMaxError } from './tolerance.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/gpt2_tiny_engine.safetensors', import.meta.url));
// Must match scripts/golden/gpt_engine.py.
const N_LAYER = 2;
const N_HEAD = 4;
const ADAMW = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, steps: 3 };
const TOL = 1e-4;
/** AdamW conditioning threshold on |g| / max|g| and the bound on |m̂/√v̂| over 3 steps (see the header). */
const ADAM_TAU = 1e-3;
const ADAM_KAPPA = 1.01;

const fixture = readSafetensors(FIXTURE);

function get(name: string): SafetensorsTensor {
  const t = fixture.get(name);
  assert.ok(t, `fixture has no tensor '${name}'`);
  return t;
}

function floatsOf(name: string): Float32Array {
  const t = get(name);
  assert.equal(t.dtype, 'F32', `${name} dtype`);
  return t.data as Float32Array;
}

const paramNames = [...fixture.keys()]
  .filter((k) => k.startsWith('param.'))
  .map((k) => k.slice('param.'.length));

type Params = Record<string, Tensor>;

/** GPT-2 forward (HF modeling_gpt2 with Conv1D (in, out) weights), the same network as the Python script. */
function gpt2Forward(p: Params, idx: Tensor): Tensor {
  const engine = idx.engine;
  const [B, T] = idx.shape;
  const C = p['transformer.wte.weight'].shape[1];
  const NH = N_HEAD;
  const HS = C / NH;
  const pos = engine.arange(T); // (T)
  let x = add(embedding(idx, p['transformer.wte.weight']), embedding(pos, p['transformer.wpe.weight'])); // (B, T, C)
  const heads = (t: Tensor): Tensor => transpose(reshape(t, [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
  for (let i = 0; i < N_LAYER; i++) {
    const h = `transformer.h.${i}.`;
    const a = layerNorm(x, p[`${h}ln_1.weight`], p[`${h}ln_1.bias`], 1e-5); // (B, T, C)
    const qkv = linear(a, p[`${h}attn.c_attn.weight`], p[`${h}attn.c_attn.bias`], 'in_out'); // (B, T, 3C)
    const [q, k, v] = split(qkv, C, 2).map(heads); // 3 × (B, NH, T, HS)
    const y = reshape(contiguous(transpose(attention(q, k, v, { causal: true }), 1, 2)), [B, T, C]); // (B, T, C)
    x = add(x, linear(y, p[`${h}attn.c_proj.weight`], p[`${h}attn.c_proj.bias`], 'in_out')); // (B, T, C)
    const m = layerNorm(x, p[`${h}ln_2.weight`], p[`${h}ln_2.bias`], 1e-5); // (B, T, C)
    const f = gelu(linear(m, p[`${h}mlp.c_fc.weight`], p[`${h}mlp.c_fc.bias`], 'in_out'), 'tanh'); // (B, T, 4C)
    x = add(x, linear(f, p[`${h}mlp.c_proj.weight`], p[`${h}mlp.c_proj.bias`], 'in_out')); // (B, T, C)
  }
  const xf = layerNorm(x, p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], 1e-5); // (B, T, C)
  return linear(xf, p['transformer.wte.weight']); // (B, T, V): lm_head tied to wte
}

function loadParams(engine: Engine): Params {
  const p: Params = {};
  for (const name of paramNames) {
    const t = get(`param.${name}`);
    p[name] = engine.tensor(t.data as Float32Array, t.shape);
    p[name].requiresGrad = true;
    p[name].name = name;
  }
  return p;
}

function inputs(engine: Engine): { idx: Tensor; targets: Tensor } {
  const idx = get('input.idx');
  const targets = get('input.targets');
  assert.equal(idx.dtype, 'I32');
  assert.equal(targets.dtype, 'I32');
  return {
    idx: engine.tensor(idx.data as Int32Array, idx.shape, 'i32'),
    targets: engine.tensor(targets.data as Int32Array, targets.shape, 'i32'),
  };
}

/** One forward + backward; returns the logits and loss values (gradients land on the parameters). */
function forwardBackward(
  engine: Engine,
  p: Params,
  idx: Tensor,
  targets: Tensor,
): { logits: Float32Array; loss: number } {
  return engine.scope(() => {
    const logits = gpt2Forward(p, idx);
    const loss = crossEntropy(logits, targets);
    loss.backward();
    return { logits: Float32Array.from(logits.toArray()), loss: loss.item() };
  });
}

/** The engines under test: the reference backend, and createEngine()'s default when it differs (native). */
function engines(): Array<[string, () => Engine]> {
  const list: Array<[string, () => Engine]> = [['reference', () => createEngine({ backend: 'reference' })]];
  const fallback: string[] = [];
  const probe = createEngine({ warn: (m) => fallback.push(m) });
  if (probe.backend.name !== 'reference') list.push([probe.backend.name, () => createEngine()]);
  return list;
}

for (const [backendName, makeEngine] of engines()) {
  describe(`GPT-2 tiny vs PyTorch (${backendName} backend)`, () => {
    test('logits, loss and every parameter gradient', () => {
      const engine = makeEngine();
      const p = loadParams(engine);
      const { idx, targets } = inputs(engine);
      const { logits, loss } = forwardBackward(engine, p, idx, targets);
      const eLogits = scaledMaxError(logits, floatsOf('out.logits'));
      const eLoss = scaledMaxError([loss], floatsOf('out.loss'));
      assert.ok(eLogits <= TOL, `logits error ${eLogits}`);
      assert.ok(eLoss <= TOL, `loss ${loss} vs ${floatsOf('out.loss')[0]}: error ${eLoss}`);
      const errors: string[] = [];
      let worst = 0;
      for (const name of paramNames) {
        const grad = p[name].grad;
        assert.ok(grad, `no gradient for ${name}`);
        const e = scaledMaxError(grad.values(), floatsOf(`grad.${name}`));
        worst = Math.max(worst, e);
        if (!(e <= TOL)) errors.push(`${name}: ${e}`);
      }
      assert.deepEqual(errors, [], 'gradients outside tolerance');
      console.log(
        `[${backendName}] logits ${eLogits.toExponential(2)}, loss ${eLoss.toExponential(2)}, worst gradient ${worst.toExponential(2)}`,
      );
    });

    test('parameters after 3 AdamW steps', () => {
      const engine = makeEngine();
      const p = loadParams(engine);
      const { idx, targets } = inputs(engine);
      const state = paramNames.map((name) => ({
        name,
        m: new Float32Array(p[name].size),
        v: new Float32Array(p[name].size),
      }));
      const lossErrors: number[] = [];
      for (let step = 1; step <= ADAMW.steps; step++) {
        for (const { name } of state) p[name].grad?.values().fill(0);
        const { loss } = forwardBackward(engine, p, idx, targets);
        lossErrors.push(scaledMaxError([loss], floatsOf(`adamw3.loss.${step - 1}`)));
        const { lr, beta1, beta2, eps, weightDecay } = ADAMW;
        for (const { name, m, v } of state) {
          const param = p[name].values() as Float32Array;
          const grad = p[name].grad!.values() as Float32Array;
          engine.backend.adamw(param, grad, m, v, param.length, lr, beta1, beta2, eps, weightDecay, step);
        }
      }
      for (const [i, e] of lossErrors.entries()) assert.ok(e <= TOL, `loss before step ${i + 1}: error ${e}`);
      const errors: string[] = [];
      let worst = 0;
      const { lr, weightDecay, steps } = ADAMW;
      const bound = steps * lr * ADAM_KAPPA;
      let illConditioned = 0;
      let total = 0;
      for (const name of paramNames) {
        const ours = p[name].values();
        const torch = floatsOf(`adamw3.${name}`);
        const start = floatsOf(`param.${name}`);
        const g0 = floatsOf(`grad.${name}`);
        const gScale = g0.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const strict: number[] = [];
        for (let i = 0; i < ours.length; i++) {
          total++;
          if (g0[i] === 0 || Math.abs(g0[i]) >= ADAM_TAU * gScale) {
            strict.push(i);
            continue;
          }
          illConditioned++;
          const decayed = start[i] * (1 - lr * weightDecay) ** steps;
          for (const [side, x] of [
            ['llmk', ours[i]],
            ['torch', torch[i]],
          ] as const) {
            if (!(Math.abs(x - decayed) <= bound))
              errors.push(`${name}[${i}] (${side}) moved ${Math.abs(x - decayed)} > ${bound}`);
          }
        }
        const e = scaledMaxError(
          strict.map((i) => ours[i]),
          strict.map((i) => torch[i]),
        );
        worst = Math.max(worst, e);
        if (!(e <= TOL)) errors.push(`${name}: ${e}`);
      }
      assert.ok(
        illConditioned <= 0.02 * total,
        `${illConditioned} of ${total} elements have |g| < ${ADAM_TAU}·max|g|`,
      );
      assert.deepEqual(errors, [], 'parameters outside tolerance after 3 AdamW steps');
      console.log(
        `[${backendName}] AdamW: losses ${lossErrors.map((e) => e.toExponential(2)).join(', ')}, worst parameter ${worst.toExponential(2)} (${illConditioned} of ${total} elements ill-conditioned)`,
      );
    });
  });
}
