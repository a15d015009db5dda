/**
 * Every differentiable op, gradient-checked by central finite differences in float64 on the
 * reference backend. Tolerance: relative error ≤ 1e-6 (h = 1e-6 gives O(h²) truncation and
 * ~1e-10 cancellation error in f64; a wrong rule is off by O(1)).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEngine } from '../create.js';
import type { DType } from '../dtype.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { gradCheck } from '../testing/gradcheck.js';
import * as ew from './elementwise.js';
import * as fused from './fused.js';
import { linear, matmul } from './matmul.js';
import * as red from './reduce.js';
import { maskedFill, where } from './select.js';
import * as sh from './shape.js';

const engine = createEngine({ backend: 'reference' });
const TOL = 1e-6;

function rnd(shape: number[], seed: number, options: { low?: number; high?: number } = {}): Tensor {
  return engine.keep(
    engine.rand(shape, {
      low: options.low ?? -1,
      high: options.high ?? 1,
      rng: new Rng(seed),
      dtype: 'f64' as DType,
    }),
  );
}

function ids(values: number[], shape?: number[]): Tensor {
  return engine.keep(engine.tensor(Int32Array.from(values), shape ?? [values.length], 'i32'));
}

function expectGrad(name: string, fn: (xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  test(name, () => {
    const r = gradCheck(engine, fn, inputs);
    assert.ok(r.maxRelError <= TOL, `${name}: rel error ${r.maxRelError} (${r.worst})`);
  });
}

describe('elementwise gradients (with broadcasting)', () => {
  expectGrad('add broadcast (3,1,4)+(2,4)', ([a, b]) => ew.add(a, b), [rnd([3, 1, 4], 1), rnd([2, 4], 2)]);
  expectGrad('sub broadcast', ([a, b]) => ew.sub(a, b), [rnd([2, 3], 3), rnd([3], 4)]);
  expectGrad('mul broadcast', ([a, b]) => ew.mul(a, b), [rnd([2, 3], 5), rnd([2, 1], 6)]);
  expectGrad('div', ([a, b]) => ew.div(a, b), [rnd([2, 3], 7), rnd([2, 3], 8, { low: 0.5, high: 2 })]);
  expectGrad('pow tensor', ([a, b]) => ew.pow(a, b), [rnd([5], 9, { low: 0.5, high: 2 }), rnd([5], 10)]);
  expectGrad('pow scalar', ([a]) => ew.pow(a, 3), [rnd([5], 11)]);
  expectGrad('maximum', ([a, b]) => ew.maximum(a, b), [rnd([7], 12), rnd([7], 13)]);
  expectGrad('scalar operands', ([a]) => ew.sub(ew.mul(ew.add(a, 2), 3), 1), [rnd([4], 14)]);
  for (const [name, f] of [
    ['neg', ew.neg],
    ['exp', ew.exp],
    ['tanh', ew.tanh],
    ['sigmoid', ew.sigmoid],
    ['silu', ew.silu],
    ['relu', ew.relu],
    ['geluTanh', (x: Tensor) => ew.gelu(x, 'tanh')],
    ['geluErf', (x: Tensor) => ew.gelu(x, 'none')],
    ['square', ew.square],
  ] as const) {
    expectGrad(`unary ${name}`, ([x]) => f(x), [rnd([3, 5], 20 + name.length)]);
  }
  expectGrad('log, sqrt, rsqrt on positives', ([x]) => ew.add(ew.log(x), ew.add(ew.sqrt(x), ew.rsqrt(x))), [
    rnd([6], 30, { low: 0.3, high: 3 }),
  ]);
});

describe('reduction gradients', () => {
  expectGrad('sum all', ([x]) => red.sum(x), [rnd([2, 3, 4], 40)]);
  expectGrad('sum dims (0,2) keepDim', ([x]) => red.sum(x, [0, 2], { keepDim: true }), [rnd([2, 3, 4], 41)]);
  expectGrad('mean dim 1', ([x]) => red.mean(x, 1), [rnd([2, 3, 4], 42)]);
  expectGrad('max dim -1', ([x]) => red.max(x, -1), [rnd([3, 5], 43)]);
  expectGrad('min dim 0', ([x]) => red.min(x, 0), [rnd([3, 5], 44)]);
  expectGrad('variance dim -1', ([x]) => red.variance(x, -1), [rnd([3, 6], 45)]);
});

describe('layout gradients', () => {
  expectGrad('transpose + contiguous', ([x]) => sh.contiguous(sh.transpose(x, 0, 2)), [rnd([2, 3, 4], 50)]);
  expectGrad('permute then reshape', ([x]) => sh.reshape(sh.permute(x, [2, 0, 1]), [4, -1]), [
    rnd([2, 3, 4], 51),
  ]);
  expectGrad('slice of a transpose', ([x]) => sh.slice(sh.transpose(x), 1, 1, 3), [rnd([4, 3], 52)]);
  expectGrad('concat dim 1', ([a, b]) => sh.concat([a, b], 1), [rnd([2, 3], 53), rnd([2, 2], 54)]);
  expectGrad(
    'split + mul',
    ([x]) => {
      const [p, q] = sh.split(x, [1, 2], 1);
      return ew.mul(p, q);
    },
    [rnd([3, 3], 55)],
  );
  expectGrad('stack dim 1', ([a, b]) => sh.stack([a, b], 1), [rnd([2, 3], 56), rnd([2, 3], 57)]);
  expectGrad('expand', ([x]) => sh.expand(x, [2, 3, 4]), [rnd([3, 1], 58)]);
  expectGrad(
    'where + maskedFill',
    ([a, b]) => {
      const cond = engine.tensor(Float64Array.from([1, 0, 1, 0, 0, 1]), [2, 3], 'f64');
      return maskedFill(where(cond, a, b), engine.tensor(Float64Array.from([0, 1, 0]), [3], 'f64'), -2);
    },
    [rnd([2, 3], 59), rnd([1, 3], 60)],
  );
});

describe('matmul and linear gradients', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      expectGrad(
        `matmul 2D transA=${transA} transB=${transB}`,
        ([a, b]) => matmul(a, b, { transA, transB }),
        [rnd(transA ? [4, 3] : [3, 4], 70), rnd(transB ? [5, 4] : [4, 5], 71)],
      );
      expectGrad(
        `batched matmul transA=${transA} transB=${transB}`,
        ([a, b]) => matmul(a, b, { transA, transB }),
        [rnd(transA ? [2, 4, 3] : [2, 3, 4], 72), rnd(transB ? [2, 5, 4] : [2, 4, 5], 73)],
      );
      expectGrad(
        `batch x shared 2D transA=${transA} transB=${transB}`,
        ([a, b]) => matmul(a, b, { transA, transB }),
        [rnd(transA ? [2, 4, 3] : [2, 3, 4], 74), rnd(transB ? [5, 4] : [4, 5], 75)],
      );
    }
  }
  expectGrad('shared 2D A x batch', ([a, b]) => matmul(a, b), [rnd([3, 4], 76), rnd([2, 4, 5], 77)]);
  expectGrad('linear out_in with bias', ([x, w, b]) => linear(x, w, b), [
    rnd([2, 3, 4], 78),
    rnd([5, 4], 79),
    rnd([5], 80),
  ]);
  expectGrad('linear in_out (Conv1D) with bias', ([x, w, b]) => linear(x, w, b, 'in_out'), [
    rnd([3, 4], 81),
    rnd([4, 5], 82),
    rnd([5], 83),
  ]);
});

describe('fused op gradients', () => {
  expectGrad('softmax last dim', ([x]) => fused.softmax(x), [rnd([3, 5], 90)]);
  expectGrad('softmax dim 0', ([x]) => fused.softmax(x, 0), [rnd([3, 5], 91)]);
  expectGrad('logSoftmax', ([x]) => fused.logSoftmax(x), [rnd([3, 5], 92)]);
  expectGrad('layerNorm with affine', ([x, w, b]) => fused.layerNorm(x, w, b), [
    rnd([3, 6], 93),
    rnd([6], 94),
    rnd([6], 95),
  ]);
  expectGrad('layerNorm without affine', ([x]) => fused.layerNorm(x, null, null), [rnd([2, 5], 96)]);
  expectGrad('rmsNorm', ([x, w]) => fused.rmsNorm(x, w), [rnd([3, 6], 97), rnd([6], 98)]);
  expectGrad('crossEntropy mean with ignore index', ([x]) => fused.crossEntropy(x, ids([2, -100, 0, 4])), [
    rnd([4, 5], 99),
  ]);
  expectGrad(
    'crossEntropy label smoothing, sum',
    ([x]) => fused.crossEntropy(x, ids([1, 3, 0]), { labelSmoothing: 0.1, reduction: 'sum' }),
    [rnd([3, 5], 100)],
  );
  expectGrad('crossEntropy none', ([x]) => fused.crossEntropy(x, ids([1, 3, 0]), { reduction: 'none' }), [
    rnd([3, 5], 101),
  ]);
  expectGrad('embedding with repeated ids', ([w]) => fused.embedding(ids([1, 3, 1, 0], [2, 2]), w), [
    rnd([5, 3], 102),
  ]);
  expectGrad(
    'dropout (fixed mask via a fresh engine seed each call)',
    ([x]) => {
      engine.rng.setState([1, 2, 3, 4]);
      return fused.dropout(x, 0.3);
    },
    [rnd([4, 6], 103)],
  );
  expectGrad('attention causal', ([q, k, v]) => fused.attention(q, k, v, { causal: true }), [
    rnd([2, 2, 3, 4], 104),
    rnd([2, 2, 3, 4], 105),
    rnd([2, 2, 3, 4], 106),
  ]);
  expectGrad(
    'attention GQA, S > T, causal (KV-cache decode)',
    ([q, k, v]) => fused.attention(q, k, v, { causal: true }),
    [rnd([1, 4, 2, 3], 107), rnd([1, 2, 5, 3], 108), rnd([1, 2, 5, 3], 109)],
  );
  expectGrad(
    'attention with padding mask',
    ([q, k, v]) => {
      const mask = engine.tensor(Float64Array.from([0, 0, -Infinity, 0, 0, 0]), [2, 1, 1, 3], 'f64');
      return fused.attention(q, k, v, { mask });
    },
    [rnd([2, 2, 3, 4], 110), rnd([2, 2, 3, 4], 111), rnd([2, 2, 3, 4], 112)],
  );
  for (const interleaved of [true, false]) {
    expectGrad(
      `rope interleaved=${interleaved}`,
      ([x]) => {
        const { cos, sin } = fused.ropeTables(engine, 3, 4, 10000, 2, 'f64');
        return fused.rope(x, cos, sin, { interleaved, rotaryDim: 4 });
      },
      [rnd([1, 2, 3, 6], 113)],
    );
  }
});
