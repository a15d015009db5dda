/**
 * Tensor: a shape and strides over a shared storage buffer. Views (reshape, transpose, slice) share
 * storage; `contiguous()` in ops/shape.ts copies when a kernel needs dense memory. Autograd state
 * (`requiresGrad`, `grad`, `node`) lives here; the rules live beside each op in ./ops.
 */
import { check, LlmkError } from '../errors.js';
import type { AnyArray, DType } from './dtype.js';
import type { Engine } from './engine.js';

/** One recorded operation: its inputs and the rule that accumulates their gradients. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Given the output's gradient, accumulate each input's gradient into `sink.grad(input)`. */
  backward(gradOut: Tensor, sink: GradSink): void;
}

export interface GradSink {
  /** The zero-initialised (then accumulating) gradient buffer of `input`, or null if it needs none. */
  grad(input: Tensor): Tensor | null;
}

/** Reference-counted buffer shared by a tensor and its views. */
export class Storage {
  refs = 1;
  constructor(
    public data: AnyArray,
    /** Pool-owned buffers go back to the pool; wrapped user arrays are only dropped. */
    readonly pooled: boolean,
  ) {}
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: readonly number[]): string {
  return `(${shape.join(',')})`;
}

export class Tensor {
  readonly engine: Engine;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  readonly size: number;
  requiresGrad = false;
  /** Accumulated gradient (leaf tensors that require grad, after backward). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when recorded for autograd. */
  node: GradNode | null = null;
  /** Optional name (parameters carry their checkpoint key). */
  name = '';
  private store: Storage | null;

  constructor(
    engine: Engine,
    storage: Storage,
    shape: readonly number[],
    dtype: DType,
    strides?: readonly number[],
    offset = 0,
  ) {
    this.engine = engine;
    this.store = storage;
    this.shape = shape;
    this.dtype = dtype;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    this.size = numel(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.store === null;
  }

  /** The storage this tensor views (throws LLMK_E_DISPOSED after dispose). */
  get storage(): Storage {
    if (!this.store) {
      throw new LlmkError(
        'LLMK_E_DISPOSED',
        `tensor${this.name ? ` '${this.name}'` : ''} ${shapeString(this.shape)} was used after dispose`,
        'keep it alive with engine.keep(t) or return it from the scope that created it',
      );
    }
    return this.store;
  }

  /** The whole underlying buffer (index it with `offset` and `strides`). */
  get buffer(): AnyArray {
    return this.storage.data;
  }

  isContiguous(): boolean {
    let s = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== s) return false;
      s *= this.shape[d];
    }
    return true;
  }

  /** The elements as a dense typed-array view; only for contiguous tensors (no copy). */
  values(): AnyArray {
    check(
      this.isContiguous(),
      'LLMK_E_ARG',
      () => `values() needs a contiguous tensor, got strides (${this.strides})`,
      'call contiguous(t) first',
    );
    return this.buffer.subarray(this.offset, this.offset + this.size);
  }

  /** A plain-number copy of the elements in row-major order, whatever the layout. */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    const buf = this.buffer;
    const nd = this.shape.length;
    const idx = new Array<number>(nd).fill(0);
    let p = this.offset;
    for (let i = 0; i < this.size; i++) {
      out[i] = buf[p];
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]++;
        p += this.strides[d];
        if (idx[d] < this.shape[d]) break;
        p -= this.strides[d] * this.shape[d];
        idx[d] = 0;
      }
    }
    return out;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    check(
      this.size === 1,
      'LLMK_E_SHAPE',
      () => `item() needs one element, got shape ${shapeString(this.shape)}`,
      'reduce it first (sum/mean) or index it',
    );
    return this.buffer[this.offset];
  }

  /** A new tensor over the same storage (a view), sharing its reference count. */
  view(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    const storage = this.storage;
    storage.refs++;
    const t = new Tensor(this.engine, storage, shape, this.dtype, strides, offset);
    this.engine.track(t);
    return t;
  }

  /**
   * Moves this tensor onto `storage` at `offset` (contiguous), keeping its values' identity to callers.
   * Used once, when parameters are packed into one flat buffer (nn/params.ts).
   */
  rebind(storage: Storage, offset: number): void {
    const old = this.storage;
    storage.data.set(this.values(), offset);
    old.refs--;
    if (old.refs === 0 && old.pooled) this.engine.pool.release(old.data);
    storage.refs++;
    this.store = storage;
    (this as { offset: number }).offset = offset;
    (this as { strides: readonly number[] }).strides = contiguousStrides(this.shape);
  }

  /** Releases this tensor's hold on its storage; the buffer returns to the pool with its last holder. */
  dispose(): void {
    const store = this.store;
    if (!store) return;
    this.store = null;
    this.node = null;
    store.refs--;
    if (store.refs === 0 && store.pooled) this.engine.pool.release(store.data);
  }

  /** Backpropagates from this tensor (a scalar, or with an explicit upstream gradient). */
  backward(gradient?: Tensor): void {
    this.engine.backward(this, gradient);
  }

  toString(): string {
    return `Tensor${shapeString(this.shape)} ${this.dtype}${this.requiresGrad ? ' requiresGrad' : ''}`;
  }
}
