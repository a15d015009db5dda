/** Reductions over dimensions: sum, mean, max, min, var; argmax/argmin (not differentiable). */
import { ReduceOp, type ReduceOpCode, UnaryOp } from '../backend.js';
import { contiguousStrides, type Tensor } from '../tensor.js';
import { scale, square, sub } from './elementwise.js';
import { floats, normDim, record } from './record.js';
import { accumulateInto, contiguous, expand, reshape } from './shape.js';

export interface ReduceOptions {
  keepDim?: boolean;
}

function dimList(x: Tensor, dims?: number | readonly number[]): number[] {
  if (dims === undefined) return x.shape.map((_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  return [...new Set(list.map((d) => normDim(d, x.rank)))].sort((a, b) => a - b);
}

/** Reduces the listed dims (kept as size 1) with one kernel call per dim, innermost first. */
function reduceKeep(op: ReduceOpCode, x: Tensor, dims: readonly number[]): Tensor {
  const engine = x.engine;
  let cur = contiguous(x);
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i];
    const outer = cur.shape.slice(0, d).reduce((a, b) => a * b, 1);
    const inner = cur.shape.slice(d + 1).reduce((a, b) => a * b, 1);
    const shape = [...cur.shape];
    shape[d] = 1;
    const out = engine.empty(shape, x.dtype, { uninitialized: true });
    engine.backend.reduce(op, floats(out), floats(cur), outer, cur.shape[d], inner);
    cur = out;
  }
  return cur;
}

function dropDims(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.filter((_, i) => !dims.includes(i));
}

export function sum(x: Tensor, dims?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = dimList(x, dims);
  const kept = x.engine.noGrad(() => reduceKeep(ReduceOp.sum, x, list));
  const out = options.keepDim ? kept : reshapeNoGrad(kept, dropDims(x.shape, list));
  return record(out, 'sum', [x], (g, sink) => {
    const gx = sink.grad(x);
    if (gx) accumulateInto(gx, expand(reshape(g, kept.shape), x.shape));
  });
}

export function mean(x: Tensor, dims?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  const list = dimList(x, dims);
  const count = list.reduce((a, d) => a * x.shape[d], 1);
  const s = sum(x, list, options);
  const out = x.engine.noGrad(() => {
    const o = x.engine.empty(s.shape, s.dtype, { uninitialized: true });
    x.engine.backend.unary(UnaryOp.scale, floats(o), floats(s), s.size, 1 / count);
    return o;
  });
  return record(out, 'mean', [s], (g, sink) => {
    const gs = sink.grad(s);
    if (gs) x.engine.backend.accumulate(floats(gs), floats(contiguous(g)), g.size, 1 / count);
  });
}

function extreme(op: ReduceOpCode, x: Tensor, dim: number, options: ReduceOptions): Tensor {
  const d = normDim(dim, x.rank);
  const engine = x.engine;
  const xc = contiguous(x);
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const keptShape = [...x.shape];
  keptShape[d] = 1;
  const out = engine.empty(options.keepDim ? keptShape : dropDims(x.shape, [d]), x.dtype, {
    uninitialized: true,
  });
  engine.backend.reduce(op, floats(out), floats(xc), outer, x.shape[d], inner);
  return record(out, op === ReduceOp.max ? 'max' : 'min', [xc], (g, sink) => {
    const gx = sink.grad(xc);
    if (!gx) return;
    // The gradient flows to the first extreme element of each reduced row (PyTorch's rule for max(dim)).
    const idx = new Int32Array(outer * inner);
    engine.backend.argReduce(op, idx, floats(xc), outer, x.shape[d], inner);
    const gv = floats(contiguous(g));
    const dst = floats(gx);
    const n = x.shape[d];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) dst[(o * n + idx[o * inner + i]) * inner + i] += gv[o * inner + i];
    }
  });
}

export function max(x: Tensor, dim: number, options: ReduceOptions = {}): Tensor {
  return extreme(ReduceOp.max, x, dim, options);
}

export function min(x: Tensor, dim: number, options: ReduceOptions = {}): Tensor {
  return extreme(ReduceOp.min, x, dim, options);
}

/** Variance with Bessel's correction by default (PyTorch: correction=1). Composed of sub/mul/mean. */
export function variance(
  x: Tensor,
  dims?: number | readonly number[],
  options: ReduceOptions & { correction?: number } = {},
): Tensor {
  const list = dimList(x, dims);
  const count = list.reduce((a, d) => a * x.shape[d], 1);
  const correction = options.correction ?? 1;
  const m = mean(x, list, { keepDim: true });
  const s = sum(square(sub(x, m)), list, { keepDim: options.keepDim });
  return scale(s, 1 / Math.max(count - correction, 0));
}

/** Index of the max along dim (i32; not differentiable). */
export function argmax(x: Tensor, dim = -1, options: ReduceOptions = {}): Tensor {
  return argExtreme(ReduceOp.max, x, dim, options);
}

export function argmin(x: Tensor, dim = -1, options: ReduceOptions = {}): Tensor {
  return argExtreme(ReduceOp.min, x, dim, options);
}

function argExtreme(op: ReduceOpCode, x: Tensor, dim: number, options: ReduceOptions): Tensor {
  const d = normDim(dim, x.rank);
  const xc = contiguous(x);
  const outer = x.shape.slice(0, d).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const keptShape = [...x.shape];
  keptShape[d] = 1;
  const out = x.engine.empty(options.keepDim ? keptShape : dropDims(x.shape, [d]), 'i32', {
    uninitialized: true,
  });
  x.engine.backend.argReduce(op, out.values() as Int32Array, floats(xc), outer, x.shape[d], inner);
  return out;
}

function reshapeNoGrad(x: Tensor, shape: readonly number[]): Tensor {
  return x.view([...shape], contiguousStrides(shape), x.offset);
}
