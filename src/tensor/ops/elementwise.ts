/**
 * Elementwise ops with PyTorch broadcasting. Forward and backward side by side; the backward of a
 * broadcasting op reduces its gradient back to each input's shape (sumToShape).
 */
import { LlmkError } from '../../errors.js';
import { BinaryOp, type BinaryOpCode, UnaryOp, type UnaryOpCode } from '../backend.js';
import { shapeString, type Tensor } from '../tensor.js';
import { floats, record } from './record.js';
import { accumulateInto, contiguous, sumToShape } from './shape.js';

/** The broadcast shape of two shapes (numpy/PyTorch rules), or a typed error naming both. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `shapes ${shapeString(a)} and ${shapeString(b)} do not broadcast (dim ${i}: ${da} vs ${db})`,
        'sizes must match or be 1 in every trailing dimension; reshape or unsqueeze one operand',
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read t as if broadcast to `shape` (0 where t repeats). */
export function broadcastStrides(t: Tensor, shape: readonly number[]): number[] {
  const lead = shape.length - t.rank;
  return shape.map((_, i) => (i < lead || t.shape[i - lead] === 1 ? 0 : t.strides[i - lead]));
}

function binaryRaw(op: BinaryOpCode, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) {
    throw new LlmkError(
      'LLMK_E_DTYPE',
      `binary op on ${a.dtype} ${shapeString(a.shape)} and ${b.dtype} ${shapeString(b.shape)}`,
      'convert one operand so both have the same dtype',
    );
  }
  const shape = broadcastShapes(a.shape, b.shape);
  const out = a.engine.empty(shape, a.dtype, { uninitialized: true });
  a.engine.backend.binary(
    op,
    out.values(),
    a.buffer.subarray(a.offset),
    broadcastStrides(a, shape),
    b.buffer.subarray(b.offset),
    broadcastStrides(b, shape),
    shape,
  );
  return out;
}

function scalarLike(ref: Tensor, value: number): Tensor {
  return ref.engine.full([], value, ref.dtype);
}

type Operand = Tensor | number;

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new LlmkError('LLMK_E_ARG', 'both operands are numbers', 'at least one operand must be a tensor');
  }
  const ta = typeof a === 'number' ? scalarLike(b as Tensor, a) : a;
  const tb = typeof b === 'number' ? scalarLike(ta, b) : b;
  return [ta, tb];
}

/** Accumulates a gradient computed at the broadcast shape into `input`'s gradient. */
function give(sink: { grad(t: Tensor): Tensor | null }, input: Tensor, g: Tensor): void {
  const gi = sink.grad(input);
  if (gi) accumulateInto(gi, sumToShape(g, input.shape));
}

export function add(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return unary(UnaryOp.addScalar, a, b);
  if (typeof a === 'number' && typeof b !== 'number') return unary(UnaryOp.addScalar, b, a);
  const [ta, tb] = operands(a, b);
  const out = binaryRaw(BinaryOp.add, ta, tb);
  return record(out, 'add', [ta, tb], (g, sink) => {
    give(sink, ta, g);
    give(sink, tb, g);
  });
}

export function sub(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return unary(UnaryOp.addScalar, a, -b);
  const [ta, tb] = operands(a, b);
  const out = binaryRaw(BinaryOp.sub, ta, tb);
  return record(out, 'sub', [ta, tb], (g, sink) => {
    give(sink, ta, g);
    if (tb.requiresGrad) give(sink, tb, unary(UnaryOp.neg, g));
  });
}

export function mul(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return unary(UnaryOp.scale, a, b);
  if (typeof a === 'number' && typeof b !== 'number') return unary(UnaryOp.scale, b, a);
  const [ta, tb] = operands(a, b);
  const out = binaryRaw(BinaryOp.mul, ta, tb);
  return record(out, 'mul', [ta, tb], (g, sink) => {
    if (ta.requiresGrad) give(sink, ta, binaryRaw(BinaryOp.mul, g, tb));
    if (tb.requiresGrad) give(sink, tb, binaryRaw(BinaryOp.mul, g, ta));
  });
}

export function div(a: Operand, b: Operand): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return unary(UnaryOp.scale, a, 1 / b);
  const [ta, tb] = operands(a, b);
  const out = binaryRaw(BinaryOp.div, ta, tb);
  return record(out, 'div', [ta, tb], (g, sink) => {
    // d(a/b)/da = 1/b;  d(a/b)/db = −a/b² = −out/b
    if (ta.requiresGrad) give(sink, ta, binaryRaw(BinaryOp.div, g, tb));
    if (tb.requiresGrad) {
      const t = binaryRaw(BinaryOp.div, binaryRaw(BinaryOp.mul, g, out), tb);
      give(sink, tb, unary(UnaryOp.neg, t));
    }
  });
}

export function pow(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return unary(UnaryOp.powScalar, a, b);
  const out = binaryRaw(BinaryOp.pow, a, b);
  return record(out, 'pow', [a, b], (g, sink) => {
    // d(aᵇ)/da = b·aᵇ⁻¹;  d(aᵇ)/db = aᵇ·ln a
    if (a.requiresGrad) {
      const bm1 = unary(UnaryOp.addScalar, b, -1);
      give(sink, a, binaryRaw(BinaryOp.mul, g, binaryRaw(BinaryOp.mul, b, binaryRaw(BinaryOp.pow, a, bm1))));
    }
    if (b.requiresGrad)
      give(sink, b, binaryRaw(BinaryOp.mul, g, binaryRaw(BinaryOp.mul, out, unary(UnaryOp.log, a))));
  });
}

function select(op: 'maximum' | 'minimum', a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(op === 'maximum' ? BinaryOp.maximum : BinaryOp.minimum, a, b);
  return record(out, op, [a, b], (g, sink) => {
    // The gradient goes to a where a won (ties go to a), to b elsewhere.
    const aWon = binaryRaw(BinaryOp.eq, out, a);
    if (a.requiresGrad) give(sink, a, binaryRaw(BinaryOp.mul, g, aWon));
    if (b.requiresGrad)
      give(sink, b, binaryRaw(BinaryOp.mul, g, unary(UnaryOp.addScalar, unary(UnaryOp.neg, aWon), 1)));
  });
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  return select('maximum', a, b);
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  return select('minimum', a, b);
}

/** Comparisons (not differentiable): 1 where true, 0 elsewhere, in a's dtype. */
export function eq(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  return binaryRaw(BinaryOp.eq, ta, tb);
}
export function gt(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  return binaryRaw(BinaryOp.gt, ta, tb);
}
export function lt(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  return binaryRaw(BinaryOp.lt, ta, tb);
}

const UNARY_NAMES: Record<UnaryOpCode, string> = {
  [UnaryOp.neg]: 'neg',
  [UnaryOp.exp]: 'exp',
  [UnaryOp.log]: 'log',
  [UnaryOp.sqrt]: 'sqrt',
  [UnaryOp.tanh]: 'tanh',
  [UnaryOp.sigmoid]: 'sigmoid',
  [UnaryOp.relu]: 'relu',
  [UnaryOp.geluTanh]: 'geluTanh',
  [UnaryOp.geluErf]: 'geluErf',
  [UnaryOp.silu]: 'silu',
  [UnaryOp.abs]: 'abs',
  [UnaryOp.scale]: 'scale',
  [UnaryOp.addScalar]: 'addScalar',
  [UnaryOp.powScalar]: 'powScalar',
  [UnaryOp.square]: 'square',
  [UnaryOp.rsqrt]: 'rsqrt',
};

/** y = f(x) elementwise; the gradient rule is the kernel's unaryBackward (dx += dy·f'(x)). */
export function unary(op: UnaryOpCode, x: Tensor, alpha = 0): Tensor {
  const xc = contiguous(x);
  const out = x.engine.empty(x.shape, x.dtype, { uninitialized: true });
  x.engine.backend.unary(op, floats(out), floats(xc), x.size, alpha);
  return record(out, UNARY_NAMES[op], [xc], (g, sink) => {
    const gx = sink.grad(xc);
    if (gx)
      x.engine.backend.unaryBackward(
        op,
        floats(gx),
        floats(xc),
        floats(out),
        floats(contiguous(g)),
        x.size,
        alpha,
      );
  });
}

export const neg = (x: Tensor): Tensor => unary(UnaryOp.neg, x);
export const exp = (x: Tensor): Tensor => unary(UnaryOp.exp, x);
export const log = (x: Tensor): Tensor => unary(UnaryOp.log, x);
export const sqrt = (x: Tensor): Tensor => unary(UnaryOp.sqrt, x);
export const rsqrt = (x: Tensor): Tensor => unary(UnaryOp.rsqrt, x);
export const tanh = (x: Tensor): Tensor => unary(UnaryOp.tanh, x);
export const sigmoid = (x: Tensor): Tensor => unary(UnaryOp.sigmoid, x);
export const relu = (x: Tensor): Tensor => unary(UnaryOp.relu, x);
export const silu = (x: Tensor): Tensor => unary(UnaryOp.silu, x);
export const abs = (x: Tensor): Tensor => unary(UnaryOp.abs, x);
export const square = (x: Tensor): Tensor => unary(UnaryOp.square, x);
export const scale = (x: Tensor, alpha: number): Tensor => unary(UnaryOp.scale, x, alpha);
/** GELU, 'tanh' approximation (GPT-2) by default or the exact 'erf' form (BERT). */
export const gelu = (x: Tensor, approximate: 'tanh' | 'none' = 'tanh'): Tensor =>
  unary(approximate === 'tanh' ? UnaryOp.geluTanh : UnaryOp.geluErf, x);
