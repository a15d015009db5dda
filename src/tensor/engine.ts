/**
 * Engine: the backend, the buffer pool, the scope stack and the grad mode. Every tensor belongs to
 * one engine; there is no global engine. Create one with `createEngine()` (./create.ts).
 */
import { check, LlmkError } from '../errors.js';
import { backward } from './autograd.js';
import type { Backend } from './backend.js';
import { type AnyArray, allocArray, type DType, dtypeOf } from './dtype.js';
import { MemoryPool, type PoolStats } from './pool.js';
import { Rng } from './random.js';
import { numel, Storage, shapeString, Tensor } from './tensor.js';

export interface EmptyOptions {
  /** Skip zero-filling (the caller overwrites every element). */
  uninitialized?: boolean;
  /** Not owned by the current scope (parameters, gradients, optimizer state). */
  persistent?: boolean;
}

type Scope = Set<Tensor>;

export class Engine {
  readonly backend: Backend;
  readonly pool = new MemoryPool();
  /** Seeds dropout masks and default initialisers; save/restore its state for exact resume. */
  readonly rng: Rng;
  private readonly scopes: Scope[] = [];
  private gradEnabled = true;
  /** Bytes `empty` may still allocate inside withAllocationBudget (null: unbounded). */
  private budget: { left: number; onExceed: (bytes: number) => Error } | null = null;

  constructor(backend: Backend, seed = 0) {
    this.backend = backend;
    this.rng = new Rng(seed);
  }

  // ---- creation ----

  /**
   * Runs `fn` with at most `bytes` of new tensors; the allocation that would pass the budget throws
   * `onExceed(itsBytes)` before any memory is taken. Loaders build a model under the bytes its file
   * can fill, so a config that declares a huge model fails at once instead of allocating for minutes.
   */
  withAllocationBudget<T>(bytes: number, onExceed: (bytes: number) => Error, fn: () => T): T {
    const outer = this.budget;
    const inner = { left: Math.min(bytes, outer?.left ?? Number.POSITIVE_INFINITY), onExceed };
    const start = inner.left;
    this.budget = inner;
    try {
      return fn();
    } finally {
      if (outer) outer.left -= start - inner.left;
      this.budget = outer;
    }
  }

  /** A new tensor from the pool (zero-filled unless `uninitialized`). */
  empty(shape: readonly number[], dtype: DType = 'f32', options: EmptyOptions = {}): Tensor {
    for (const d of shape) {
      check(
        Number.isInteger(d) && d >= 0,
        'LLMK_E_SHAPE',
        () => `invalid shape ${shapeString(shape)}`,
        'dimensions must be non-negative integers',
      );
    }
    const n = numel(shape);
    if (this.budget) {
      const bytes = n * (dtype === 'f64' ? 8 : 4);
      if (bytes > this.budget.left) throw this.budget.onExceed(bytes);
      this.budget.left -= bytes;
    }
    const data = this.pool.acquire(dtype, n, !options.uninitialized);
    const t = new Tensor(this, new Storage(data, true), [...shape], dtype);
    if (!options.persistent) this.track(t);
    return t;
  }

  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.empty(shape, dtype);
  }

  full(shape: readonly number[], value: number, dtype: DType = 'f32'): Tensor {
    const t = this.empty(shape, dtype, { uninitialized: true });
    t.values().fill(value);
    return t;
  }

  ones(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.full(shape, 1, dtype);
  }

  /** A tensor holding a copy of `data` (nested arrays are not accepted: pass a flat list and a shape). */
  tensor(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
    const dt: DType = dtype ?? (ArrayBuffer.isView(data) ? dtypeOf(data as AnyArray) : 'f32');
    const s = shape ?? [data.length];
    check(
      numel(s) === data.length,
      'LLMK_E_SHAPE',
      () => `${data.length} values cannot fill shape ${shapeString(s)}`,
      'pass a shape whose product equals the number of values',
    );
    const t = this.empty(s, dt, { uninitialized: true });
    (t.values() as AnyArray).set(data as ArrayLike<number>);
    return t;
  }

  /** Wraps an existing typed array without copying (it is never returned to the pool). */
  wrap(array: AnyArray, shape: readonly number[], options: { persistent?: boolean } = {}): Tensor {
    check(
      numel(shape) === array.length,
      'LLMK_E_SHAPE',
      () => `array of ${array.length} cannot have shape ${shapeString(shape)}`,
      'pass a matching shape',
    );
    const t = new Tensor(this, new Storage(array, false), [...shape], dtypeOf(array));
    if (!options.persistent) this.track(t);
    return t;
  }

  /** Normal(mean, std) values from `rng` (the engine's by default). */
  randn(
    shape: readonly number[],
    options: { mean?: number; std?: number; rng?: Rng; dtype?: DType } = {},
  ): Tensor {
    const { mean = 0, std = 1, rng = this.rng, dtype = 'f32' } = options;
    const t = this.empty(shape, dtype, { uninitialized: true });
    const v = t.values();
    for (let i = 0; i < v.length; i++) v[i] = mean + std * rng.normal();
    return t;
  }

  /** Uniform [low, high) values. */
  rand(
    shape: readonly number[],
    options: { low?: number; high?: number; rng?: Rng; dtype?: DType } = {},
  ): Tensor {
    const { low = 0, high = 1, rng = this.rng, dtype = 'f32' } = options;
    const t = this.empty(shape, dtype, { uninitialized: true });
    const v = t.values();
    for (let i = 0; i < v.length; i++) v[i] = low + (high - low) * rng.uniform();
    return t;
  }

  /** 0, 1, …, n−1. */
  arange(n: number, dtype: DType = 'i32'): Tensor {
    const t = this.empty([n], dtype, { uninitialized: true });
    const v = t.values();
    for (let i = 0; i < n; i++) v[i] = i;
    return t;
  }

  /** Copies src's elements (any layout) into dst (contiguous, same size). */
  copyInto(dst: Tensor, src: Tensor): void {
    check(
      dst.size === src.size,
      'LLMK_E_SHAPE',
      () => `copy of ${shapeString(src.shape)} into ${shapeString(dst.shape)}`,
      'sizes must match',
    );
    check(dst.isContiguous(), 'LLMK_E_ARG', () => 'copy destination must be contiguous');
    const out = dst.values();
    if (src.dtype !== dst.dtype) {
      const tmp = allocArray(src.dtype, src.size);
      this.backend.copyStrided(tmp, src.buffer.subarray(src.offset), src.shape, src.strides);
      out.set(tmp);
      return;
    }
    this.backend.copyStrided(out, src.buffer.subarray(src.offset), src.shape, src.strides);
  }

  // ---- scopes ----

  /** Registers a tensor with the innermost scope (called by every constructor path). */
  track(t: Tensor): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.add(t);
  }

  /**
   * Runs fn; every tensor created inside and not returned (a tensor, or an array/record of tensors)
   * or kept with `keep()` is disposed when it ends. Returned tensors move to the enclosing scope.
   */
  scope<T>(fn: () => T): T {
    const scope: Scope = new Set();
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors);
    for (const t of scope) {
      if (survivors.has(t)) this.track(t);
      else t.dispose();
    }
    return result;
  }

  /** Removes t from its scope so it outlives it (the caller disposes it). */
  keep<T extends Tensor>(t: T): T {
    for (const scope of this.scopes) scope.delete(t);
    return t;
  }

  // ---- autograd ----

  isGradEnabled(): boolean {
    return this.gradEnabled;
  }

  /** Runs fn without recording operations for autograd. */
  noGrad<T>(fn: () => T): T {
    const previous = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = previous;
    }
  }

  backward(root: Tensor, gradient?: Tensor, retainGraph = false): void {
    backward(root, gradient, retainGraph);
  }

  /** Memory statistics of the pool behind every tensor of this engine. */
  stats(): PoolStats {
    return this.pool.snapshot();
  }

  /** A one-element tensor as a number, with a clear error when it is not one element. */
  scalar(t: Tensor): number {
    if (t.size !== 1)
      throw new LlmkError('LLMK_E_SHAPE', `expected one element, got ${shapeString(t.shape)}`);
    return t.item();
  }
}

function collectTensors(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out);
  }
}
