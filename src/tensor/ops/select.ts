/** Selection by a condition: where and maskedFill (broadcasting like PyTorch). */
import { LlmkError } from '../../errors.js';
import { shapeString, type Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides } from './elementwise.js';
import { record } from './record.js';
import { accumulateInto, sumToShape } from './shape.js';

function readBroadcast(t: Tensor, shape: readonly number[]): (i: number) => number {
  const strides = broadcastStrides(t, shape);
  const buf = t.buffer;
  const nd = shape.length;
  return (flat: number) => {
    let p = t.offset;
    let rem = flat;
    for (let d = nd - 1; d >= 0; d--) {
      const idx = rem % shape[d];
      rem = (rem - idx) / shape[d];
      p += idx * strides[d];
    }
    return buf[p];
  };
}

/** cond ? a : b elementwise (cond nonzero = true); gradients flow to the chosen side. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) {
    throw new LlmkError(
      'LLMK_E_DTYPE',
      `where: ${a.dtype} and ${b.dtype} operands`,
      'both branches must share a dtype',
    );
  }
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape), b.shape);
  const engine = a.engine;
  const out = engine.empty(shape, a.dtype, { uninitialized: true });
  const ov = out.values();
  const c = readBroadcast(cond, shape);
  const ra = readBroadcast(a, shape);
  const rb = readBroadcast(b, shape);
  const pick = new Uint8Array(out.size);
  for (let i = 0; i < out.size; i++) {
    pick[i] = c(i) !== 0 ? 1 : 0;
    ov[i] = pick[i] ? ra(i) : rb(i);
  }
  return record(out, 'where', [a, b], (g, sink) => {
    const gv = g.isContiguous() ? g.values() : engine.tensor(g.toArray(), g.shape, g.dtype).values();
    for (const [input, side] of [
      [a, 1],
      [b, 0],
    ] as const) {
      if (!sink.grad(input)) continue;
      const part = engine.empty(shape, a.dtype, { uninitialized: true });
      const pv = part.values();
      for (let i = 0; i < pv.length; i++) pv[i] = pick[i] === side ? gv[i] : 0;
      const gi = sink.grad(input);
      if (gi) accumulateInto(gi, sumToShape(part, input.shape));
    }
  });
}

/** x with `value` where mask is nonzero (mask broadcasts to x's shape). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes(x.shape, mask.shape);
  if (shape.join(',') !== x.shape.join(',')) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `maskedFill: mask ${shapeString(mask.shape)} does not broadcast to ${shapeString(x.shape)}`,
      'the mask must broadcast to the tensor, not grow it',
    );
  }
  return where(mask, x.engine.full([], value, x.dtype), x);
}
