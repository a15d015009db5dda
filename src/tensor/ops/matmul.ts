/**
 * Matrix products. C = op(A)·op(B) over the last two dims, batch dims broadcast (a 2D operand is
 * shared by every batch item with stride 0). A batched A times a shared 2D B is flattened into one
 * large GEMM — the shape every Linear layer has, and the one the native kernel is fastest on.
 *
 * Backward, with A' = op(A), B' = op(B):  dA' = dC·B'ᵀ,  dB' = A'ᵀ·dC, written into the stored
 * layouts by choosing the transpose flags (see gradA/gradB). Both accumulate (beta = 1).
 */
import { LlmkError } from '../../errors.js';
import { ReduceOp } from '../backend.js';
import { shapeString, type Tensor } from '../tensor.js';
import { floats, record } from './record.js';
import { contiguous } from './shape.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

interface Plan {
  M: number;
  N: number;
  K: number;
  batch: number;
  strideA: number;
  strideB: number;
  outShape: number[];
}

function plan(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Plan {
  if (a.rank < 2 || b.rank < 2) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `matmul needs rank ≥ 2, got ${shapeString(a.shape)} x ${shapeString(b.shape)}`,
      'unsqueeze vectors to (1, n) or (n, 1)',
    );
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `matmul ${shapeString(a.shape)}${transA ? 'ᵀ' : ''} x ${shapeString(b.shape)}${transB ? 'ᵀ' : ''}: inner dims differ (${K} vs ${Kb})`,
      'did you mean to transpose one operand (transA/transB)?',
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batchShape: number[];
  if (batchB.length === 0) batchShape = batchA;
  else if (batchA.length === 0) batchShape = batchB;
  else if (batchA.join(',') === batchB.join(',')) batchShape = batchA;
  else {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `matmul batch dims differ: ${shapeString(a.shape)} x ${shapeString(b.shape)}`,
      'batch dims must be equal, or one operand 2D',
    );
  }
  const batch = batchShape.reduce((p, d) => p * d, 1);
  return {
    M,
    N,
    K,
    batch,
    strideA: batchA.length === 0 ? 0 : M * K,
    strideB: batchB.length === 0 ? 0 : K * N,
    outShape: [...batchShape, M, N],
  };
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const ac = contiguous(a);
  const bc = contiguous(b);
  const p = plan(ac, bc, transA, transB);
  const engine = a.engine;
  const out = engine.empty(p.outShape, a.dtype, { uninitialized: true });
  gemmInto(engine, transA, transB, p, floats(ac), floats(bc), floats(out), 0);
  return record(out, 'matmul', [ac, bc], (g, sink) => {
    const gc = floats(contiguous(g));
    const ga = sink.grad(ac);
    if (ga) gradA(engine, transA, transB, p, gc, floats(bc), floats(ga));
    const gb = sink.grad(bc);
    if (gb) gradB(engine, transA, transB, p, gc, floats(ac), floats(gb));
  });
}

type Engine = Tensor['engine'];
type F = Float32Array | Float64Array;

/** C = op(A)·op(B) (+ beta·C), flattening a batch against a shared B into one GEMM when possible. */
function gemmInto(
  engine: Engine,
  transA: boolean,
  transB: boolean,
  p: Plan,
  A: F,
  B: F,
  C: F,
  beta: number,
): void {
  const { M, N, K, batch } = p;
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  if (p.strideB === 0 && !transA && p.strideA !== 0) {
    engine.backend.gemm(false, transB, batch * M, N, K, 1, A, lda, 0, B, ldb, 0, beta, C, N, 0, 1);
    return;
  }
  engine.backend.gemm(
    transA,
    transB,
    M,
    N,
    K,
    1,
    A,
    lda,
    p.strideA,
    B,
    ldb,
    p.strideB,
    beta,
    C,
    N,
    M * N,
    batch,
  );
}

/** dA += (stored layout of) dC·op(B)ᵀ, per batch item; a shared A sums over the batch. */
function gradA(engine: Engine, transA: boolean, transB: boolean, p: Plan, dC: F, B: F, dA: F): void {
  const { M, N, K, batch } = p;
  const ldb = transB ? K : N;
  if (p.strideB === 0 && !transA && p.strideA !== 0) {
    // (batch·M, N) · op(B)ᵀ as one GEMM.
    engine.backend.gemm(false, !transB, batch * M, K, N, 1, dC, N, 0, B, ldb, 0, 1, dA, K, 0, 1);
    return;
  }
  for (let i = 0; i < batch; i++) {
    const dCi = dC.subarray(i * M * N);
    const Bi = B.subarray(i * p.strideB);
    const dAi = dA.subarray(i * p.strideA);
    if (!transA) engine.backend.gemm(false, !transB, M, K, N, 1, dCi, N, 0, Bi, ldb, 0, 1, dAi, K, 0, 1);
    else engine.backend.gemm(transB, true, K, M, N, 1, Bi, ldb, 0, dCi, N, 0, 1, dAi, M, 0, 1);
  }
}

/** dB += (stored layout of) op(A)ᵀ·dC, per batch item; a shared B sums over the batch. */
function gradB(engine: Engine, transA: boolean, transB: boolean, p: Plan, dC: F, A: F, dB: F): void {
  const { M, N, K, batch } = p;
  const lda = transA ? M : K;
  if (p.strideB === 0 && !transA && p.strideA !== 0) {
    const rows = batch * M;
    if (!transB) engine.backend.gemm(true, false, K, N, rows, 1, A, K, 0, dC, N, 0, 1, dB, N, 0, 1);
    else engine.backend.gemm(true, false, N, K, rows, 1, dC, N, 0, A, K, 0, 1, dB, K, 0, 1);
    return;
  }
  for (let i = 0; i < batch; i++) {
    const dCi = dC.subarray(i * M * N);
    const Ai = A.subarray(i * p.strideA);
    const dBi = dB.subarray(i * p.strideB);
    if (!transB) engine.backend.gemm(!transA, false, K, N, M, 1, Ai, lda, 0, dCi, N, 0, 1, dBi, N, 0, 1);
    else engine.backend.gemm(true, transA, N, K, M, 1, dCi, N, 0, Ai, lda, 0, 1, dBi, K, 0, 1);
  }
}

export type WeightLayout = 'out_in' | 'in_out';

/**
 * y = x·Wᵀ + b for W (out, in) (torch.nn.Linear, the default) or y = x·W + b for W (in, out)
 * (Hugging Face GPT-2's Conv1D). x is (…, in); the bias is added inside the GEMM (beta = 1).
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  layout: WeightLayout = 'out_in',
): Tensor {
  const engine = x.engine;
  const xc = contiguous(x);
  const w = contiguous(weight);
  const inF = xc.shape[xc.rank - 1];
  const [w0, w1] = w.shape;
  const outF = layout === 'out_in' ? w0 : w1;
  const wIn = layout === 'out_in' ? w1 : w0;
  if (w.rank !== 2 || wIn !== inF) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `linear: input ${shapeString(x.shape)} and weight ${shapeString(weight.shape)} (${layout}) disagree on in-features (${inF} vs ${wIn})`,
      layout === 'out_in'
        ? "weight must be (out, in); for Conv1D (in, out) weights pass layout 'in_out'"
        : 'weight must be (in, out)',
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `linear: bias ${shapeString(bias.shape)} does not match ${outF} out-features`,
      'bias must be (out,)',
    );
  }
  const rows = xc.size / inF;
  const transB = layout === 'out_in';
  const out = engine.empty([...xc.shape.slice(0, -1), outF], x.dtype, { uninitialized: true });
  const Y = floats(out);
  if (bias) {
    const b = floats(contiguous(bias));
    for (let r = 0; r < rows; r++) Y.set(b, r * outF);
  }
  engine.backend.gemm(
    false,
    transB,
    rows,
    outF,
    inF,
    1,
    floats(xc),
    inF,
    0,
    floats(w),
    transB ? inF : outF,
    0,
    bias ? 1 : 0,
    Y,
    outF,
    0,
    1,
  );
  const inputs = bias ? [xc, w, bias] : [xc, w];
  return record(out, 'linear', inputs, (g, sink) => {
    const dY = floats(contiguous(g));
    const gx = sink.grad(xc);
    // dX = dY·W (out_in) or dY·Wᵀ (in_out)
    if (gx)
      engine.backend.gemm(
        false,
        !transB,
        rows,
        inF,
        outF,
        1,
        dY,
        outF,
        0,
        floats(w),
        transB ? inF : outF,
        0,
        1,
        floats(gx),
        inF,
        0,
        1,
      );
    const gw = sink.grad(w);
    // dW = dYᵀ·X (out_in) or Xᵀ·dY (in_out)
    if (gw) {
      if (transB)
        engine.backend.gemm(
          true,
          false,
          outF,
          inF,
          rows,
          1,
          dY,
          outF,
          0,
          floats(xc),
          inF,
          0,
          1,
          floats(gw),
          inF,
          0,
          1,
        );
      else
        engine.backend.gemm(
          true,
          false,
          inF,
          outF,
          rows,
          1,
          floats(xc),
          inF,
          0,
          dY,
          outF,
          0,
          1,
          floats(gw),
          outF,
          0,
          1,
        );
    }
    const gbias = bias ? sink.grad(bias) : null;
    if (gbias) {
      const colSum = engine.empty([outF], x.dtype, { uninitialized: true });
      engine.backend.reduce(ReduceOp.sum, floats(colSum), dY, 1, rows, outF);
      engine.backend.accumulate(floats(gbias), floats(colSum), outF, 1);
    }
  });
}
