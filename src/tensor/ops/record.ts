/** Recording helpers shared by every op: whether to record, and attaching the node to an output. */
import { check } from '../../errors.js';
import type { FloatArray } from '../backend.js';
import type { GradSink, Tensor } from '../tensor.js';
import { shapeString } from '../tensor.js';

/** True when an op over these inputs must be recorded for autograd. */
export function needsGrad(...inputs: Array<Tensor | null | undefined>): boolean {
  const engine = inputs.find((t) => t)?.engine;
  if (!engine?.isGradEnabled()) return false;
  return inputs.some((t) => t?.requiresGrad);
}

/** Marks `out` as produced by `op` over `inputs` with the given gradient rule. */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  rule: (gradOut: Tensor, sink: GradSink) => void,
): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward: rule };
  return out;
}

/** The dense float elements of a contiguous tensor (kernels' view of it). */
export function floats(t: Tensor): FloatArray {
  check(
    t.dtype !== 'i32',
    'LLMK_E_DTYPE',
    () => `expected a float tensor, got i32 ${shapeString(t.shape)}`,
    'convert it with toFloat(t)',
  );
  return t.values() as FloatArray;
}

/** The dense int32 elements of a contiguous i32 tensor. */
export function ints(t: Tensor): Int32Array {
  check(
    t.dtype === 'i32',
    'LLMK_E_DTYPE',
    () => `expected an i32 tensor (ids/targets), got ${t.dtype} ${shapeString(t.shape)}`,
    'create index tensors with dtype i32',
  );
  return t.values() as Int32Array;
}

/** Normalises a possibly negative dimension index against a rank. */
export function normDim(dim: number, rank: number, what = 'dim'): number {
  const d = dim < 0 ? dim + rank : dim;
  check(
    Number.isInteger(d) && d >= 0 && d < Math.max(rank, 1),
    'LLMK_E_ARG',
    () => `${what} ${dim} out of range for rank ${rank}`,
    `use a value in [${-rank}, ${rank - 1}]`,
  );
  return d;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
