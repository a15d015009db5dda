/**
 * The kernel interface every backend implements. Kernels see flat typed arrays and integers only,
 * never Tensors: the Tensor layer does shapes, broadcasting, views and autograd, then calls these.
 *
 * Conventions (llm.c style):
 * - Outputs first, then inputs, then sizes. Arrays are already offset (callers pass `subarray`s).
 * - Row-major. Sizes are element counts. Strides are in elements.
 * - Every `...Backward` ACCUMULATES into its gradient outputs (`dx[i] += …`); zeroing is the caller's step.
 * - Values a backward needs (mean, rstd, lse, dropout mask) are explicit outputs of the forward.
 * - Float kernels take `FloatArray`: the reference backend runs them in f32 or f64 (f64 is what the
 *   finite-difference gradient checks use); the native backend runs f32 and delegates f64 to the reference.
 *
 * Nothing here assumes a CPU: a GPU backend implements the same calls over device buffers later.
 */

export type FloatArray = Float32Array | Float64Array;
export type NumArray = Float32Array | Float64Array | Int32Array;

/** Elementwise binary operators (`binary`). Comparisons write 1 or 0. */
export const BinaryOp = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  gt: 8,
  lt: 9,
} as const;
export type BinaryOpCode = (typeof BinaryOp)[keyof typeof BinaryOp];

/**
 * Elementwise unary operators (`unary`, `unaryBackward`). `alpha` is the scalar operand where one
 * is used: scale (x*alpha), addScalar (x+alpha), powScalar (x^alpha).
 * geluTanh: 0.5x(1+tanh(√(2/π)(x+0.044715x³))) (GPT-2); geluErf: 0.5x(1+erf(x/√2)) (BERT).
 */
export const UnaryOp = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  tanh: 4,
  sigmoid: 5,
  relu: 6,
  geluTanh: 7,
  geluErf: 8,
  silu: 9,
  abs: 10,
  scale: 11,
  addScalar: 12,
  powScalar: 13,
  square: 14,
  rsqrt: 15,
} as const;
export type UnaryOpCode = (typeof UnaryOp)[keyof typeof UnaryOp];

/** Reductions over the middle axis of an (outer, n, inner) view (`reduce`). */
export const ReduceOp = { sum: 0, max: 1, min: 2 } as const;
export type ReduceOpCode = (typeof ReduceOp)[keyof typeof ReduceOp];

export interface Kernels {
  /**
   * Batched GEMM, row-major: for b < batch,
   *   C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b],  op(X) = Xᵀ when its flag is set.
   * op(A) is (M, K), op(B) is (K, N), C is (M, N). A[b] starts at A[b·strideA] (likewise B, C);
   * stride 0 broadcasts one matrix over the batch. lda/ldb/ldc are row strides of the stored matrices.
   * beta = 0 must ignore C's previous contents (NaN included).
   */
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
  ): void;

  /** out (contiguous, `shape`) = a ∘ b, operands read through their strides (0 broadcasts). */
  binary(
    op: BinaryOpCode,
    out: NumArray,
    a: NumArray,
    aStrides: readonly number[],
    b: NumArray,
    bStrides: readonly number[],
    shape: readonly number[],
  ): void;

  /** out[i] = f(x[i]) for i < n. out may alias x. */
  unary(op: UnaryOpCode, out: FloatArray, x: FloatArray, n: number, alpha: number): void;

  /** dx[i] += dy[i] · f'(x[i]); y = f(x) is passed too (exp, tanh, sigmoid use it). */
  unaryBackward(
    op: UnaryOpCode,
    dx: FloatArray,
    x: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    n: number,
    alpha: number,
  ): void;

  /** out (contiguous, `shape`) = x read through `strides` (a transpose/permute/slice/expand made dense). */
  copyStrided(out: NumArray, x: NumArray, shape: readonly number[], strides: readonly number[]): void;

  /** out[i] += alpha · x[i] for i < n (gradient accumulation). */
  accumulate(out: FloatArray, x: FloatArray, n: number, alpha: number): void;

  /** out[o·inner + i] = reduce_j x[(o·n + j)·inner + i] (sum, max or min over the middle axis). */
  reduce(op: ReduceOpCode, out: FloatArray, x: FloatArray, outer: number, n: number, inner: number): void;

  /** Index (0 ≤ j < n) of the first max (or min) along the middle axis, layout as `reduce`. */
  argReduce(op: ReduceOpCode, out: Int32Array, x: FloatArray, outer: number, n: number, inner: number): void;

  /** Softmax over the last axis of (rows, cols). */
  softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void;
  /** dx += y ⊙ (dy − Σ dy⊙y), y the softmax output. */
  softmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void;
  /** log-softmax over the last axis. */
  logSoftmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void;
  /** dx += dy − exp(y) · Σ dy, y the log-softmax output. */
  logSoftmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void;

  /**
   * LayerNorm over the last axis C of (rows, C): out = (x − mean)·rstd·weight + bias.
   * Writes mean and rstd (rows each, saved for backward). weight/bias may be null (elementwise_affine off).
   */
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
  ): void;
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
  ): void;

  /** RMSNorm: out = x · rstd · weight, rstd = 1/√(mean(x²) + eps). */
  rmsNormForward(
    out: FloatArray,
    rstd: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    rows: number,
    C: number,
    eps: number,
  ): void;
  rmsNormBackward(
    dx: FloatArray,
    dweight: FloatArray | null,
    dy: FloatArray,
    x: FloatArray,
    weight: FloatArray | null,
    rstd: FloatArray,
    rows: number,
    C: number,
  ): void;

  /**
   * Cross-entropy fused with log-softmax, per row of logits (rows, V):
   *   losses[r] = lse[r] − (1−ε)·logits[r, t] − ε·mean_v logits[r, v]   (ε = label smoothing, PyTorch's rule)
   * with lse[r] = log Σ exp(logits[r, ·]) written for backward. Rows whose target equals ignoreIndex get
   * loss 0 (lse is still written). Targets outside [0, V) other than ignoreIndex are the caller's to reject.
   */
  crossEntropyForward(
    losses: FloatArray,
    lse: FloatArray,
    logits: FloatArray,
    targets: Int32Array,
    rows: number,
    V: number,
    ignoreIndex: number,
    smoothing: number,
  ): void;
  /** dlogits[r, v] += dlosses[r] · (softmax(r, v) − (1−ε)·[v = t] − ε/V); ignored rows untouched. */
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
  ): void;

  /** out[i, :] = weight[ids[i], :] for i < n; rows of width C. */
  embeddingForward(out: FloatArray, weight: FloatArray, ids: Int32Array, n: number, C: number): void;
  /** dweight[ids[i], :] += dout[i, :] (scatter-add; deterministic order). */
  embeddingBackward(dweight: FloatArray, dout: FloatArray, ids: Int32Array, n: number, C: number): void;

  /**
   * Scaled dot-product attention, q (B, NH, T, HS), k and v (B, NKV, S, HS), out (B, NH, T, HS),
   * all contiguous. Head h reads kv head ⌊h / (NH/NKV)⌋ (grouped-query attention).
   *   scores = scale · q·kᵀ + mask;  causal: query t sees key s only when s ≤ t + (S − T)
   *   out = softmax(scores) · v;  lse (B, NH, T) = logsumexp of each score row, saved for backward.
   * mask (optional, additive) is read at mask[b·mb + h·mh + t·mt + s]; strides 0 broadcast.
   * A row with no visible key yields out = 0 and lse = −Infinity.
   * kvStride (default S·HS) is the distance in elements between consecutive (b, kv head) blocks of k
   * and v, so they may be the first S rows of longer per-head buffers (a KV cache read in place).
   */
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
  ): void;
  /** Accumulates dq, dk, dv; recomputes the probabilities from q, k and lse (FlashAttention-2 style). */
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
  ): void;

  /**
   * Rotary position embedding on x (B, NH, T, HS): rotates the first `rotaryDim` features of each
   * head by the angle tables cos/sin (T, rotaryDim/2) (row t = the position of query t).
   * interleaved: pairs (2i, 2i+1) (GPT-J, llama2.c); otherwise pairs (i, i + rotaryDim/2) (HF Llama
   * rotate_half). Features past rotaryDim are copied. out may alias x.
   */
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
  ): void;
  /** dx += Rᵀ·dy (the inverse rotation). */
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
  ): void;

  /**
   * Inverted dropout: keep element i when dropoutUniform(seed, offset + i) ≥ p, then scale by 1/(1−p).
   * mask[i] = 1 for kept elements (saved for backward). Both backends use the same hash, so masks match.
   */
  dropoutForward(
    out: FloatArray,
    mask: Uint8Array,
    x: FloatArray,
    n: number,
    p: number,
    seed: number,
    offset: number,
  ): void;
  /** dx += dy · mask / (1−p). */
  dropoutBackward(dx: FloatArray, dy: FloatArray, mask: Uint8Array, n: number, p: number): void;

  /**
   * AdamW (Loshchilov & Hutter), PyTorch's torch.optim.AdamW update for step t ≥ 1:
   *   param −= lr·wd·param;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
   *   param −= lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + eps)
   */
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
  ): void;

  /**
   * SGD with momentum, torch.optim.SGD's rule: g += wd·param; buf = momentum·buf + (1−dampening)·g
   * (buf = g on the first step, signalled by firstStep); g = nesterov ? g + momentum·buf : buf;
   * param −= lr·g. buf is null when momentum is 0.
   */
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
  ): void;

  /** Σ x[i]² for i < n, accumulated in double precision (gradient-norm clipping). */
  sumSquares(x: FloatArray, n: number): number;
}

export interface Backend extends Kernels {
  readonly name: 'native' | 'reference';
  /** Worker threads the backend computes with (1 for the reference backend). */
  threads(): number;
}

/**
 * The dropout hash both backends share: element i of a draw with `seed` keeps iff
 * dropoutUniform(seed, i) ≥ p. lowbias32 (Wellons) over i mixed with the seed; 24 uniform bits.
 */
export function dropoutUniform(seed: number, i: number): number {
  let x = (i + Math.imul(seed, 0x9e3779b9)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 8) / 16777216;
}
