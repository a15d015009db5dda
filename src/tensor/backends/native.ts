/**
 * The native backend: the C++ kernels of native/src behind Node-API (build/Release/llmk.node).
 * Float32 calls go to the addon; any call with a Float64Array (or another non-f32 float/int operand
 * the kernels do not take) goes to the fallback backend, normally the reference one, so f64 gradient
 * checks keep working through the same Backend object.
 */
import { createRequire } from 'node:module';
import { LlmkError } from '../../errors.js';
import type { Backend, BinaryOpCode, FloatArray, NumArray, ReduceOpCode, UnaryOpCode } from '../backend.js';

type F32 = Float32Array;

/** The addon's exports: the fast kernels under their `Kernels` names (f32 only), naive twins under `ref`. */
export interface NativeAddon {
  simd(): string;
  setThreads(n: number): void;
  getThreads(): number;
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: F32,
    lda: number,
    strideA: number,
    B: F32,
    ldb: number,
    strideB: number,
    beta: number,
    C: F32,
    ldc: number,
    strideC: number,
    batch: number,
  ): void;
  binary(
    op: number,
    out: F32,
    a: F32,
    aStrides: readonly number[],
    b: F32,
    bStrides: readonly number[],
    shape: readonly number[],
  ): void;
  unary(op: number, out: F32, x: F32, n: number, alpha: number): void;
  unaryBackward(op: number, dx: F32, x: F32, y: F32, dy: F32, n: number, alpha: number): void;
  copyStrided(
    out: F32 | Int32Array,
    x: F32 | Int32Array,
    shape: readonly number[],
    strides: readonly number[],
  ): void;
  accumulate(out: F32, x: F32, n: number, alpha: number): void;
  reduce(op: number, out: F32, x: F32, outer: number, n: number, inner: number): void;
  argReduce(op: number, out: Int32Array, x: F32, outer: number, n: number, inner: number): void;
  softmaxForward(out: F32, x: F32, rows: number, cols: number): void;
  softmaxBackward(dx: F32, y: F32, dy: F32, rows: number, cols: number): void;
  logSoftmaxForward(out: F32, x: F32, rows: number, cols: number): void;
  logSoftmaxBackward(dx: F32, y: F32, dy: F32, rows: number, cols: number): void;
  layerNormForward(
    out: F32,
    mean: F32,
    rstd: F32,
    x: F32,
    weight: F32 | null,
    bias: F32 | null,
    rows: number,
    C: number,
    eps: number,
  ): void;
  layerNormBackward(
    dx: F32,
    dweight: F32 | null,
    dbias: F32 | null,
    dy: F32,
    x: F32,
    weight: F32 | null,
    mean: F32,
    rstd: F32,
    rows: number,
    C: number,
  ): void;
  rmsNormForward(out: F32, rstd: F32, x: F32, weight: F32 | null, rows: number, C: number, eps: number): void;
  rmsNormBackward(
    dx: F32,
    dweight: F32 | null,
    dy: F32,
    x: F32,
    weight: F32 | null,
    rstd: F32,
    rows: number,
    C: number,
  ): void;
  crossEntropyForward(
    losses: F32,
    lse: F32,
    logits: F32,
    targets: Int32Array,
    rows: number,
    V: number,
    ignoreIndex: number,
    smoothing: number,
  ): void;
  crossEntropyBackward(
    dlogits: F32,
    logits: F32,
    lse: F32,
    targets: Int32Array,
    dlosses: F32,
    rows: number,
    V: number,
    ignoreIndex: number,
    smoothing: number,
  ): void;
  embeddingForward(out: F32, weight: F32, ids: Int32Array, n: number, C: number): void;
  embeddingBackward(dweight: F32, dout: F32, ids: Int32Array, n: number, C: number): void;
  attentionForward(
    out: F32,
    lse: F32,
    q: F32,
    k: F32,
    v: F32,
    mask: F32 | null,
    maskStrides: readonly number[],
    B: number,
    NH: number,
    NKV: number,
    T: number,
    S: number,
    HS: number,
    scale: number,
    causal: boolean,
    kvStride?: number | null,
  ): void;
  attentionBackward(
    dq: F32,
    dk: F32,
    dv: F32,
    dout: F32,
    q: F32,
    k: F32,
    v: F32,
    out: F32,
    lse: F32,
    mask: F32 | null,
    maskStrides: readonly number[],
    B: number,
    NH: number,
    NKV: number,
    T: number,
    S: number,
    HS: number,
    scale: number,
    causal: boolean,
  ): void;
  ropeForward(
    out: F32,
    x: F32,
    cos: F32,
    sin: F32,
    B: number,
    NH: number,
    T: number,
    HS: number,
    rotaryDim: number,
    interleaved: boolean,
  ): void;
  ropeBackward(
    dx: F32,
    dy: F32,
    cos: F32,
    sin: F32,
    B: number,
    NH: number,
    T: number,
    HS: number,
    rotaryDim: number,
    interleaved: boolean,
  ): void;
  dropoutForward(
    out: F32,
    mask: Uint8Array,
    x: F32,
    n: number,
    p: number,
    seed: number,
    offset: number,
  ): void;
  dropoutBackward(dx: F32, dy: F32, mask: Uint8Array, n: number, p: number): void;
  adamw(
    param: F32,
    grad: F32,
    m: F32,
    v: F32,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  sgd(
    param: F32,
    grad: F32,
    buf: F32 | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  sumSquares(x: F32, n: number): number;
  /** Naive C++ versions (double accumulation), the oracles of the fast kernels' tests. */
  ref: Pick<
    NativeAddon,
    | 'gemm'
    | 'layerNormForward'
    | 'layerNormBackward'
    | 'crossEntropyForward'
    | 'crossEntropyBackward'
    | 'attentionForward'
    | 'attentionBackward'
  >;
}

let cached: { addon: NativeAddon | null; error: string } | null = null;

/**
 * Loads build/Release/llmk.node once (path relative to the package root, which is three levels above
 * both src/tensor/backends and dist/tensor/backends). Returns null when it is missing or fails to load;
 * `nativeLoadError()` then says why.
 */
export function loadNativeAddon(): NativeAddon | null {
  if (cached) return cached.addon;
  const require = createRequire(import.meta.url);
  try {
    const addon = require('../../../build/Release/llmk.node') as NativeAddon;
    cached = { addon, error: '' };
  } catch (err) {
    cached = { addon: null, error: err instanceof Error ? err.message : String(err) };
  }
  return cached.addon;
}

/** Why loadNativeAddon() returned null ('' when it loaded or was not tried yet). */
export function nativeLoadError(): string {
  return cached?.error ?? '';
}

const isF32 = (a: NumArray | null): boolean => a === null || a instanceof Float32Array;

/** The addon's argument errors (too-short arrays, bad sizes) surface as LlmkError LLMK_E_ARG. */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && !(err instanceof LlmkError)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `native kernel ${err.message}`,
        'check the sizes passed to the kernel',
      );
    }
    throw err;
  }
}

export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  private readonly k: NativeAddon;
  private readonly fallback: Backend;

  constructor(addon: NativeAddon, fallback: Backend) {
    this.k = addon;
    this.fallback = fallback;
  }

  /** The SIMD level the addon was compiled for ('avx2+fma' or 'scalar'). */
  simd(): string {
    return this.k.simd();
  }
  threads(): number {
    return this.k.getThreads();
  }
  /** Sets the worker thread count (≥ 1); results are deterministic for a given count. */
  setThreads(n: number): void {
    call(() => this.k.setThreads(n));
  }

  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: FloatArray,
    lda: number,
    strideA: number,
    B: FloatArray,
    ldb: number,
    strideB: number,
    beta: number,
    C: FloatArray,
    ldc: number,
    strideC: number,
    batch: number,
  ): void {
    if (A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array) {
      call(() =>
        this.k.gemm(
          transA,
          transB,
          M,
          N,
          K,
          alpha,
          A,
          lda,
          strideA,
          B,
          ldb,
          strideB,
          beta,
          C,
          ldc,
          strideC,
          batch,
        ),
      );
    } else {
      this.fallback.gemm(
        transA,
        transB,
        M,
        N,
        K,
        alpha,
        A,
        lda,
        strideA,
        B,
        ldb,
        strideB,
        beta,
        C,
        ldc,
        strideC,
        batch,
      );
    }
  }

  binary(
    op: BinaryOpCode,
    out: NumArray,
    a: NumArray,
    aStrides: readonly number[],
    b: NumArray,
    bStrides: readonly number[],
    shape: readonly number[],
  ): void {
    if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) {
      call(() => this.k.binary(op, out, a, aStrides, b, bStrides, shape));
    } else {
      this.fallback.binary(op, out, a, aStrides, b, bStrides, shape);
    }
  }

  unary(op: UnaryOpCode, out: FloatArray, x: FloatArray, n: number, alpha: number): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.unary(op, out, x, n, alpha));
    else this.fallback.unary(op, out, x, n, alpha);
  }

  unaryBackward(
    op: UnaryOpCode,
    dx: FloatArray,
    x: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    n: number,
    alpha: number,
  ): void {
    if (
      dx instanceof Float32Array &&
      x instanceof Float32Array &&
      y instanceof Float32Array &&
      dy instanceof Float32Array
    )
      call(() => this.k.unaryBackward(op, dx, x, y, dy, n, alpha));
    else this.fallback.unaryBackward(op, dx, x, y, dy, n, alpha);
  }

  copyStrided(out: NumArray, x: NumArray, shape: readonly number[], strides: readonly number[]): void {
    const f32 = out instanceof Float32Array && x instanceof Float32Array;
    const i32 = out instanceof Int32Array && x instanceof Int32Array;
    if (f32 || i32)
      call(() => this.k.copyStrided(out as F32 | Int32Array, x as F32 | Int32Array, shape, strides));
    else this.fallback.copyStrided(out, x, shape, strides);
  }

  accumulate(out: FloatArray, x: FloatArray, n: number, alpha: number): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.accumulate(out, x, n, alpha));
    else this.fallback.accumulate(out, x, n, alpha);
  }

  reduce(op: ReduceOpCode, out: FloatArray, x: FloatArray, outer: number, n: number, inner: number): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.reduce(op, out, x, outer, n, inner));
    else this.fallback.reduce(op, out, x, outer, n, inner);
  }

  argReduce(op: ReduceOpCode, out: Int32Array, x: FloatArray, outer: number, n: number, inner: number): void {
    if (x instanceof Float32Array) call(() => this.k.argReduce(op, out, x, outer, n, inner));
    else this.fallback.argReduce(op, out, x, outer, n, inner);
  }

  softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.softmaxForward(out, x, rows, cols));
    else this.fallback.softmaxForward(out, x, rows, cols);
  }

  softmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void {
    if (dx instanceof Float32Array && y instanceof Float32Array && dy instanceof Float32Array)
      call(() => this.k.softmaxBackward(dx, y, dy, rows, cols));
    else this.fallback.softmaxBackward(dx, y, dy, rows, cols);
  }

  logSoftmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.logSoftmaxForward(out, x, rows, cols));
    else this.fallback.logSoftmaxForward(out, x, rows, cols);
  }

  logSoftmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void {
    if (dx instanceof Float32Array && y instanceof Float32Array && dy instanceof Float32Array)
      call(() => this.k.logSoftmaxBackward(dx, y, dy, rows, cols));
    else this.fallback.logSoftmaxBackward(dx, y, dy, rows, cols);
  }

  layerNormForward(
    out: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    bias: FloatArray | null,
    rows: number,
    C: number,
    eps: number,
  ): void {
    if ([out, mean, rstd, x, weight, bias].every(isF32))
      call(() =>
        this.k.layerNormForward(
          out as F32,
          mean as F32,
          rstd as F32,
          x as F32,
          weight as F32 | null,
          bias as F32 | null,
          rows,
          C,
          eps,
        ),
      );
    else this.fallback.layerNormForward(out, mean, rstd, x, weight, bias, rows, C, eps);
  }

  layerNormBackward(
    dx: FloatArray,
    dweight: FloatArray | null,
    dbias: FloatArray | null,
    dy: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    mean: FloatArray,
    rstd: FloatArray,
    rows: number,
    C: number,
  ): void {
    if ([dx, dweight, dbias, dy, x, weight, mean, rstd].every(isF32))
      call(() =>
        this.k.layerNormBackward(
          dx as F32,
          dweight as F32 | null,
          dbias as F32 | null,
          dy as F32,
          x as F32,
          weight as F32 | null,
          mean as F32,
          rstd as F32,
          rows,
          C,
        ),
      );
    else this.fallback.layerNormBackward(dx, dweight, dbias, dy, x, weight, mean, rstd, rows, C);
  }

  rmsNormForward(
    out: FloatArray,
    rstd: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    rows: number,
    C: number,
    eps: number,
  ): void {
    if ([out, rstd, x, weight].every(isF32))
      call(() =>
        this.k.rmsNormForward(out as F32, rstd as F32, x as F32, weight as F32 | null, rows, C, eps),
      );
    else this.fallback.rmsNormForward(out, rstd, x, weight, rows, C, eps);
  }

  rmsNormBackward(
    dx: FloatArray,
    dweight: FloatArray | null,
    dy: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    rstd: FloatArray,
    rows: number,
    C: number,
  ): void {
    if ([dx, dweight, dy, x, weight, rstd].every(isF32))
      call(() =>
        this.k.rmsNormBackward(
          dx as F32,
          dweight as F32 | null,
          dy as F32,
          x as F32,
          weight as F32 | null,
          rstd as F32,
          rows,
          C,
        ),
      );
    else this.fallback.rmsNormBackward(dx, dweight, dy, x, weight, rstd, rows, C);
  }

  crossEntropyForward(
    losses: FloatArray,
    lse: FloatArray,
    logits: FloatArray,
    targets: Int32Array,
    rows: number,
    V: number,
    ignoreIndex: number,
    smoothing: number,
  ): void {
    if (losses instanceof Float32Array && lse instanceof Float32Array && logits instanceof Float32Array)
      call(() => this.k.crossEntropyForward(losses, lse, logits, targets, rows, V, ignoreIndex, smoothing));
    else this.fallback.crossEntropyForward(losses, lse, logits, targets, rows, V, ignoreIndex, smoothing);
  }

  crossEntropyBackward(
    dlogits: FloatArray,
    logits: FloatArray,
    lse: FloatArray,
    targets: Int32Array,
    dlosses: FloatArray,
    rows: number,
    V: number,
    ignoreIndex: number,
    smoothing: number,
  ): void {
    if ([dlogits, logits, lse, dlosses].every(isF32))
      call(() =>
        this.k.crossEntropyBackward(
          dlogits as F32,
          logits as F32,
          lse as F32,
          targets,
          dlosses as F32,
          rows,
          V,
          ignoreIndex,
          smoothing,
        ),
      );
    else
      this.fallback.crossEntropyBackward(
        dlogits,
        logits,
        lse,
        targets,
        dlosses,
        rows,
        V,
        ignoreIndex,
        smoothing,
      );
  }

  embeddingForward(out: FloatArray, weight: FloatArray, ids: Int32Array, n: number, C: number): void {
    if (out instanceof Float32Array && weight instanceof Float32Array)
      call(() => this.k.embeddingForward(out, weight, ids, n, C));
    else this.fallback.embeddingForward(out, weight, ids, n, C);
  }

  embeddingBackward(dweight: FloatArray, dout: FloatArray, ids: Int32Array, n: number, C: number): void {
    if (dweight instanceof Float32Array && dout instanceof Float32Array)
      call(() => this.k.embeddingBackward(dweight, dout, ids, n, C));
    else this.fallback.embeddingBackward(dweight, dout, ids, n, C);
  }

  attentionForward(
    out: FloatArray,
    lse: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    mask: FloatArray | null,
    maskStrides: readonly number[],
    B: number,
    NH: number,
    NKV: number,
    T: number,
    S: number,
    HS: number,
    scale: number,
    causal: boolean,
    kvStride?: number,
  ): void {
    if ([out, lse, q, k, v, mask].every(isF32))
      call(() =>
        this.k.attentionForward(
          out as F32,
          lse as F32,
          q as F32,
          k as F32,
          v as F32,
          mask as F32 | null,
          maskStrides,
          B,
          NH,
          NKV,
          T,
          S,
          HS,
          scale,
          causal,
          kvStride ?? null,
        ),
      );
    else
      this.fallback.attentionForward(
        out,
        lse,
        q,
        k,
        v,
        mask,
        maskStrides,
        B,
        NH,
        NKV,
        T,
        S,
        HS,
        scale,
        causal,
        kvStride,
      );
  }

  attentionBackward(
    dq: FloatArray,
    dk: FloatArray,
    dv: FloatArray,
    dout: FloatArray,
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    out: FloatArray,
    lse: FloatArray,
    mask: FloatArray | null,
    maskStrides: readonly number[],
    B: number,
    NH: number,
    NKV: number,
    T: number,
    S: number,
    HS: number,
    scale: number,
    causal: boolean,
  ): void {
    if ([dq, dk, dv, dout, q, k, v, out, lse, mask].every(isF32))
      call(() =>
        this.k.attentionBackward(
          dq as F32,
          dk as F32,
          dv as F32,
          dout as F32,
          q as F32,
          k as F32,
          v as F32,
          out as F32,
          lse as F32,
          mask as F32 | null,
          maskStrides,
          B,
          NH,
          NKV,
          T,
          S,
          HS,
          scale,
          causal,
        ),
      );
    else
      this.fallback.attentionBackward(
        dq,
        dk,
        dv,
        dout,
        q,
        k,
        v,
        out,
        lse,
        mask,
        maskStrides,
        B,
        NH,
        NKV,
        T,
        S,
        HS,
        scale,
        causal,
      );
  }

  ropeForward(
    out: FloatArray,
    x: FloatArray,
    cos: FloatArray,
    sin: FloatArray,
    B: number,
    NH: number,
    T: number,
    HS: number,
    rotaryDim: number,
    interleaved: boolean,
  ): void {
    if ([out, x, cos, sin].every(isF32))
      call(() =>
        this.k.ropeForward(
          out as F32,
          x as F32,
          cos as F32,
          sin as F32,
          B,
          NH,
          T,
          HS,
          rotaryDim,
          interleaved,
        ),
      );
    else this.fallback.ropeForward(out, x, cos, sin, B, NH, T, HS, rotaryDim, interleaved);
  }

  ropeBackward(
    dx: FloatArray,
    dy: FloatArray,
    cos: FloatArray,
    sin: FloatArray,
    B: number,
    NH: number,
    T: number,
    HS: number,
    rotaryDim: number,
    interleaved: boolean,
  ): void {
    if ([dx, dy, cos, sin].every(isF32))
      call(() =>
        this.k.ropeBackward(
          dx as F32,
          dy as F32,
          cos as F32,
          sin as F32,
          B,
          NH,
          T,
          HS,
          rotaryDim,
          interleaved,
        ),
      );
    else this.fallback.ropeBackward(dx, dy, cos, sin, B, NH, T, HS, rotaryDim, interleaved);
  }

  dropoutForward(
    out: FloatArray,
    mask: Uint8Array,
    x: FloatArray,
    n: number,
    p: number,
    seed: number,
    offset: number,
  ): void {
    if (out instanceof Float32Array && x instanceof Float32Array)
      call(() => this.k.dropoutForward(out, mask, x, n, p, seed, offset));
    else this.fallback.dropoutForward(out, mask, x, n, p, seed, offset);
  }

  dropoutBackward(dx: FloatArray, dy: FloatArray, mask: Uint8Array, n: number, p: number): void {
    if (dx instanceof Float32Array && dy instanceof Float32Array)
      call(() => this.k.dropoutBackward(dx, dy, mask, n, p));
    else this.fallback.dropoutBackward(dx, dy, mask, n, p);
  }

  adamw(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void {
    call(() => this.k.adamw(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, step));
  }

  sgd(
    param: Float32Array,
    grad: Float32Array,
    buf: Float32Array | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void {
    call(() => this.k.sgd(param, grad, buf, n, lr, momentum, dampening, weightDecay, nesterov, firstStep));
  }

  sumSquares(x: FloatArray, n: number): number {
    if (x instanceof Float32Array) return call(() => this.k.sumSquares(x, n));
    return this.fallback.sumSquares(x, n);
  }
}

/** A NativeBackend over the addon, or null (see nativeLoadError()) when the addon is not built. */
export function createNativeBackend(fallback: Backend): NativeBackend | null {
  const addon = loadNativeAddon();
  return addon ? new NativeBackend(addon, fallback) : null;
}
