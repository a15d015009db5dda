/**
 * Layout ops: views where cheap (reshape of contiguous data, transpose, permute, slice, expand),
 * copies where needed (contiguous, concat). Gradients flow back through the inverse layout.
 */
import { check, LlmkError } from '../../errors.js';
import type { FloatArray } from '../backend.js';
import { contiguousStrides, numel, shapeString, type Tensor } from '../tensor.js';
import { floats, normDim, record, sameShape } from './record.js';

/** Adds src (any layout, shape `shape`) into the region of `dst` described by offset and strides. */
export function addStrided(
  dst: FloatArray,
  dstOffset: number,
  dstStrides: readonly number[],
  src: Tensor,
): void {
  const shape = src.shape;
  const nd = shape.length;
  const s = src.buffer as FloatArray;
  const idx = new Array<number>(nd).fill(0);
  let pd = dstOffset;
  let ps = src.offset;
  for (let i = 0; i < src.size; i++) {
    dst[pd] += s[ps];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      pd += dstStrides[d];
      ps += src.strides[d];
      if (idx[d] < shape[d]) break;
      pd -= dstStrides[d] * shape[d];
      ps -= src.strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** True when a (shape, strides) view covers one dense block (size-1 dims are free). */
export function isDense(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== s) return false;
    s *= shape[d];
  }
  return true;
}

/**
 * grad += g for a contiguous `grad` and a g of the same shape in any layout. A strided g is first
 * made dense by the backend's copy kernel (fast), rather than walked element by element here.
 */
export function accumulateInto(grad: Tensor, g: Tensor): void {
  const engine = grad.engine;
  if (g.isContiguous()) {
    engine.backend.accumulate(floats(grad), floats(g), g.size, 1);
    return;
  }
  const dense = engine.empty(g.shape, g.dtype, { uninitialized: true });
  engine.backend.copyStrided(dense.values(), g.buffer.subarray(g.offset), g.shape, g.strides);
  engine.backend.accumulate(floats(grad), floats(dense), g.size, 1);
  dense.dispose();
}

/** A dense copy when x is not already contiguous (x itself otherwise). */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = x.engine.empty(x.shape, x.dtype, { uninitialized: true });
  x.engine.backend.copyStrided(out.values(), x.buffer.subarray(x.offset), x.shape, x.strides);
  return record(out, 'contiguous', [x], (g, sink) => {
    const gx = sink.grad(x);
    if (gx) accumulateInto(gx, g);
  });
}

/** Resolves one −1 in a target shape. */
function resolveShape(size: number, shape: readonly number[]): number[] {
  const out = [...shape];
  const infer = out.indexOf(-1);
  if (infer >= 0) {
    const known = out.reduce((p, d, i) => (i === infer ? p : p * d), 1);
    check(
      known > 0 && size % known === 0,
      'LLMK_E_SHAPE',
      () => `cannot reshape ${size} elements to ${shapeString(shape)}`,
      'the known dimensions must divide the size',
    );
    out[infer] = size / known;
  }
  check(
    numel(out) === size,
    'LLMK_E_SHAPE',
    () => `cannot reshape ${size} elements to ${shapeString(shape)}`,
    'the new shape must hold the same number of elements',
  );
  return out;
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = resolveShape(x.size, shape);
  if (sameShape(target, x.shape)) return x;
  const src = contiguous(x);
  const out = src.view(target, contiguousStrides(target), src.offset);
  return record(out, 'reshape', [src], (g, sink) => {
    const gs = sink.grad(src);
    if (gs) accumulateInto(gs, reshape(contiguous(g), src.shape));
  });
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const s = normDim(startDim, x.rank);
  const e = normDim(endDim, x.rank);
  const mid = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = dim < 0 ? dim + x.rank + 1 : dim;
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

export function squeeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.rank);
  check(
    x.shape[d] === 1,
    'LLMK_E_SHAPE',
    () => `squeeze(${dim}) of size ${x.shape[d]} in ${shapeString(x.shape)}`,
    'only size-1 dimensions can be squeezed',
  );
  return reshape(x, [...x.shape.slice(0, d), ...x.shape.slice(d + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  check(
    dims.length === x.rank,
    'LLMK_E_ARG',
    () => `permute needs ${x.rank} dims, got (${dims})`,
    'list every dimension once',
  );
  const norm = dims.map((d) => normDim(d, x.rank));
  check(
    new Set(norm).size === norm.length,
    'LLMK_E_ARG',
    () => `permute dims (${dims}) repeat a dimension`,
    'list every dimension once',
  );
  const out = x.view(
    norm.map((d) => x.shape[d]),
    norm.map((d) => x.strides[d]),
    x.offset,
  );
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => {
    inverse[d] = i;
  });
  return record(out, 'permute', [x], (g, sink) => {
    const gx = sink.grad(x);
    if (gx) accumulateInto(gx, permute(g, inverse));
  });
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normDim(dim0, x.rank);
  const b = normDim(dim1, x.rank);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** Elements start ≤ i < end (step 1) along `dim`, as a view. Negative indices count from the end. */
export function slice(x: Tensor, dim: number, start: number, end?: number): Tensor {
  const d = normDim(dim, x.rank);
  const n = x.shape[d];
  const s = Math.min(Math.max(start < 0 ? start + n : start, 0), n);
  const e = Math.min(Math.max(end === undefined ? n : end < 0 ? end + n : end, s), n);
  const shape = [...x.shape];
  shape[d] = e - s;
  const out = x.view(shape, x.strides, x.offset + s * x.strides[d]);
  return record(out, 'slice', [x], (g, sink) => {
    const gx = sink.grad(x);
    if (!gx) return;
    const start = gx.offset + s * gx.strides[d];
    if (isDense(shape, gx.strides) && g.isContiguous()) {
      // The slice is one dense block of the gradient (e.g. a leading-dim slice): one kernel call.
      x.engine.backend.accumulate(
        (gx.buffer as FloatArray).subarray(start, start + g.size),
        floats(g),
        g.size,
        1,
      );
    } else {
      addStrided(gx.buffer as FloatArray, start, gx.strides, g);
    }
  });
}

/** Splits along `dim` into pieces of the given sizes (or equal pieces of one size). */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim(dim, x.rank);
  const n = x.shape[d];
  const list =
    typeof sizes === 'number'
      ? Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes))
      : sizes;
  check(
    list.reduce((a, b) => a + b, 0) === n,
    'LLMK_E_SHAPE',
    () => `split sizes (${list}) do not add up to ${n} along dim ${dim}`,
    'sizes must sum to the dimension',
  );
  let start = 0;
  return list.map((size) => {
    const piece = slice(x, d, start, start + size);
    start += size;
    return piece;
  });
}

export function concat(xs: readonly Tensor[], dim = 0): Tensor {
  check(xs.length > 0, 'LLMK_E_ARG', () => 'concat of no tensors', 'pass at least one tensor');
  const first = xs[0];
  const d = normDim(dim, first.rank);
  for (const t of xs) {
    const ok =
      t.rank === first.rank &&
      t.dtype === first.dtype &&
      t.shape.every((s, i) => i === d || s === first.shape[i]);
    if (!ok) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `concat along dim ${dim}: ${xs.map((x) => shapeString(x.shape)).join(' vs ')}`,
        'all dimensions but the concat one must match, with one dtype',
      );
    }
  }
  const shape = [...first.shape];
  shape[d] = xs.reduce((a, t) => a + t.shape[d], 0);
  const out = first.engine.empty(shape, first.dtype, { uninitialized: true });
  const outBuf = out.values();
  let start = 0;
  const offsets: number[] = [];
  for (const t of xs) {
    offsets.push(start);
    // Copy t into the out region [start, start + t.shape[d]) along d.
    const region = out.strides[d] * start;
    const tmp = out.engine.empty(t.shape, t.dtype, { uninitialized: true });
    out.engine.backend.copyStrided(tmp.values(), t.buffer.subarray(t.offset), t.shape, t.strides);
    copyDenseInto(outBuf, region, out.strides, tmp);
    tmp.dispose();
    start += t.shape[d];
  }
  return record(out, 'concat', xs, (g, sink) => {
    xs.forEach((t, i) => {
      const gt = sink.grad(t);
      if (gt) accumulateInto(gt, slice(g, d, offsets[i], offsets[i] + t.shape[d]));
    });
  });
}

function copyDenseInto(
  dst: ArrayLike<number> & { [i: number]: number },
  offset: number,
  strides: readonly number[],
  src: Tensor,
): void {
  const v = src.values();
  const shape = src.shape;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let p = offset;
  for (let i = 0; i < v.length; i++) {
    dst[p] = v[i];
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]++;
      p += strides[k];
      if (idx[k] < shape[k]) break;
      p -= strides[k] * shape[k];
      idx[k] = 0;
    }
  }
}

export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  return concat(
    xs.map((t) => unsqueeze(t, dim)),
    dim,
  );
}

/** Broadcast view to `shape` (size-1 dims and missing leading dims repeat with stride 0). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  check(
    shape.length >= x.rank,
    'LLMK_E_SHAPE',
    () => `cannot expand ${shapeString(x.shape)} to ${shapeString(shape)}`,
    'the target needs at least as many dims',
  );
  const lead = shape.length - x.rank;
  const strides = shape.map((s, i) => {
    if (i < lead) return 0;
    const xs = x.shape[i - lead];
    check(
      xs === s || xs === 1,
      'LLMK_E_SHAPE',
      () => `cannot expand ${shapeString(x.shape)} to ${shapeString(shape)}`,
      'only size-1 dims broadcast',
    );
    return xs === s ? x.strides[i - lead] : 0;
  });
  const out = x.view([...shape], strides, x.offset);
  return record(out, 'expand', [x], (g, sink) => {
    const gx = sink.grad(x);
    if (gx) accumulateInto(gx, sumToShape(g, x.shape));
  });
}

/**
 * Sums g over the dimensions that broadcasting added or stretched, giving a tensor of `shape`
 * (the gradient rule of every broadcasting op). Not recorded: used inside backward rules.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const engine = g.engine;
  let cur = contiguous(g);
  const lead = g.rank - shape.length;
  // Reduce leading dims by viewing them as one outer block.
  if (lead > 0) {
    const n = g.shape.slice(0, lead).reduce((a, b) => a * b, 1);
    const inner = cur.size / n;
    const out = engine.empty(g.shape.slice(lead), g.dtype, { uninitialized: true });
    engine.backend.reduce(0, floats(out), floats(cur), 1, n, inner);
    cur = out;
  }
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1 && cur.shape[d] !== 1) {
      const outer = cur.shape.slice(0, d).reduce((a, b) => a * b, 1);
      const inner = cur.shape.slice(d + 1).reduce((a, b) => a * b, 1);
      const newShape = [...cur.shape];
      newShape[d] = 1;
      const out = engine.empty(newShape, g.dtype, { uninitialized: true });
      engine.backend.reduce(0, floats(out), floats(cur), outer, cur.shape[d], inner);
      cur = out;
    }
  }
  return cur;
}
