/**
 * Scalar math of the reference backend: each unary/binary operator's value and derivative, erf, and
 * the strided odometer walk. Plain numbers, so the same code serves f32 and f64 arrays.
 */
import { BinaryOp, type BinaryOpCode, UnaryOp, type UnaryOpCode } from '../backend.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** erf by Abramowitz–Stegun 7.1.26 is too coarse for gradient checks; use a series/continued fraction. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); converges fast for |x| < 2.5.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc (Lentz), accurate for |x| ≥ 2.5.
  const z = ax;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = z + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = z + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  return x > 0 ? 1 - erfc : erfc - 1;
}

export function unaryValue(op: UnaryOpCode, x: number, alpha: number): number {
  switch (op) {
    case UnaryOp.neg:
      return -x;
    case UnaryOp.exp:
      return Math.exp(x);
    case UnaryOp.log:
      return Math.log(x);
    case UnaryOp.sqrt:
      return Math.sqrt(x);
    case UnaryOp.tanh:
      return Math.tanh(x);
    case UnaryOp.sigmoid:
      return 1 / (1 + Math.exp(-x));
    case UnaryOp.relu:
      return Math.max(x, 0);
    case UnaryOp.geluTanh:
      return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
    case UnaryOp.geluErf:
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case UnaryOp.silu:
      return x / (1 + Math.exp(-x));
    case UnaryOp.abs:
      return Math.abs(x);
    case UnaryOp.scale:
      return x * alpha;
    case UnaryOp.addScalar:
      return x + alpha;
    case UnaryOp.powScalar:
      return x ** alpha;
    case UnaryOp.square:
      return x * x;
    case UnaryOp.rsqrt:
      return 1 / Math.sqrt(x);
  }
}

/** f'(x), given x and y = f(x). */
export function unaryDerivative(op: UnaryOpCode, x: number, y: number, alpha: number): number {
  switch (op) {
    case UnaryOp.neg:
      return -1;
    case UnaryOp.exp:
      return y;
    case UnaryOp.log:
      return 1 / x;
    case UnaryOp.sqrt:
      return 0.5 / y;
    case UnaryOp.tanh:
      return 1 - y * y;
    case UnaryOp.sigmoid:
      return y * (1 - y);
    case UnaryOp.relu:
      return x > 0 ? 1 : 0;
    case UnaryOp.geluTanh: {
      const inner = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
      const t = Math.tanh(inner);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
    }
    case UnaryOp.geluErf:
      return 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
    case UnaryOp.silu: {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    }
    case UnaryOp.abs:
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UnaryOp.scale:
      return alpha;
    case UnaryOp.addScalar:
      return 1;
    case UnaryOp.powScalar:
      return alpha * x ** (alpha - 1);
    case UnaryOp.square:
      return 2 * x;
    case UnaryOp.rsqrt:
      return -0.5 * y * y * y;
  }
}

export function binaryValue(op: BinaryOpCode, a: number, b: number): number {
  switch (op) {
    case BinaryOp.add:
      return a + b;
    case BinaryOp.sub:
      return a - b;
    case BinaryOp.mul:
      return a * b;
    case BinaryOp.div:
      return a / b;
    case BinaryOp.pow:
      return a ** b;
    case BinaryOp.maximum:
      return a > b || Number.isNaN(a) ? a : b;
    case BinaryOp.minimum:
      return a < b || Number.isNaN(a) ? a : b;
    case BinaryOp.eq:
      return a === b ? 1 : 0;
    case BinaryOp.gt:
      return a > b ? 1 : 0;
    case BinaryOp.lt:
      return a < b ? 1 : 0;
  }
}

/** Calls fn(outIndex, aIndex, bIndex) for every element of `shape`, walking strides like an odometer. */
export function forEachIndex2(
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  fn: (o: number, ia: number, ib: number) => void,
): void {
  const nd = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    fn(o, ia, ib);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      ia += aStrides[d];
      ib += bStrides[d];
      if (idx[d] < shape[d]) break;
      ia -= aStrides[d] * shape[d];
      ib -= bStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}
