/**
 * The reference backend: every kernel as the plainest correct loop, in whatever float precision the
 * arrays carry (f64 for gradient checks). It is the oracle the native kernels are tested against and
 * the fallback where the addon cannot be built. Clarity over speed, always.
 */
import {
  type Backend,
  type BinaryOpCode,
  dropoutUniform,
  type FloatArray,
  type NumArray,
  ReduceOp,
  type ReduceOpCode,
  type UnaryOpCode,
} from '../backend.js';
import { binaryValue, forEachIndex2, unaryDerivative, unaryValue } from './reference-scalar.js';

export { erf } from './reference-scalar.js';

class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;

  threads(): number {
    return 1;
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
    for (let b = 0; b < batch; b++) {
      const a0 = b * strideA;
      const b0 = b * strideB;
      const c0 = b * strideC;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) {
            const av = transA ? A[a0 + k * lda + i] : A[a0 + i * lda + k];
            const bv = transB ? B[b0 + j * ldb + k] : B[b0 + k * ldb + j];
            acc += av * bv;
          }
          const c = c0 + i * ldc + j;
          C[c] = beta === 0 ? alpha * acc : alpha * acc + beta * C[c];
        }
      }
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
    forEachIndex2(shape, aStrides, bStrides, (o, ia, ib) => {
      out[o] = binaryValue(op, a[ia], b[ib]);
    });
  }

  unary(op: UnaryOpCode, out: FloatArray, x: FloatArray, n: number, alpha: number): void {
    for (let i = 0; i < n; i++) out[i] = unaryValue(op, x[i], alpha);
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
    for (let i = 0; i < n; i++) dx[i] += dy[i] * unaryDerivative(op, x[i], y[i], alpha);
  }

  copyStrided(out: NumArray, x: NumArray, shape: readonly number[], strides: readonly number[]): void {
    forEachIndex2(shape, strides, strides, (o, ix) => {
      out[o] = x[ix];
    });
  }

  accumulate(out: FloatArray, x: FloatArray, n: number, alpha: number): void {
    for (let i = 0; i < n; i++) out[i] += alpha * x[i];
  }

  reduce(op: ReduceOpCode, out: FloatArray, x: FloatArray, outer: number, n: number, inner: number): void {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = op === ReduceOp.sum ? 0 : op === ReduceOp.max ? -Infinity : Infinity;
        for (let j = 0; j < n; j++) {
          const v = x[(o * n + j) * inner + i];
          if (op === ReduceOp.sum) acc += v;
          else if (op === ReduceOp.max) acc = v > acc || Number.isNaN(v) ? v : acc;
          else acc = v < acc || Number.isNaN(v) ? v : acc;
        }
        out[o * inner + i] = acc;
      }
    }
  }

  argReduce(op: ReduceOpCode, out: Int32Array, x: FloatArray, outer: number, n: number, inner: number): void {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bestV = x[o * n * inner + i];
        for (let j = 1; j < n; j++) {
          const v = x[(o * n + j) * inner + i];
          if (op === ReduceOp.min ? v < bestV : v > bestV) {
            best = j;
            bestV = v;
          }
        }
        out[o * inner + i] = best;
      }
    }
  }

  softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) {
        const e = Math.exp(x[o + c] - max);
        out[o + c] = e;
        sum += e;
      }
      for (let c = 0; c < cols; c++) out[o + c] /= sum;
    }
  }

  softmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[o + c] * y[o + c];
      for (let c = 0; c < cols; c++) dx[o + c] += y[o + c] * (dy[o + c] - dot);
    }
  }

  logSoftmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c] - max);
      const lse = max + Math.log(sum);
      for (let c = 0; c < cols; c++) out[o + c] = x[o + c] - lse;
    }
  }

  logSoftmaxBackward(dx: FloatArray, y: FloatArray, dy: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += dy[o + c];
      for (let c = 0; c < cols; c++) dx[o + c] += dy[o + c] - Math.exp(y[o + c]) * sum;
    }
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
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let m = 0;
      for (let c = 0; c < C; c++) m += x[o + c];
      m /= C;
      let v = 0;
      for (let c = 0; c < C; c++) v += (x[o + c] - m) ** 2;
      v /= C;
      const s = 1 / Math.sqrt(v + eps);
      for (let c = 0; c < C; c++) {
        const n = (x[o + c] - m) * s;
        out[o + c] = n * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
      }
      mean[r] = m;
      rstd[r] = s;
    }
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
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      // dnorm = dy·w; dx = rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm))
      let meanD = 0;
      let meanDN = 0;
      for (let c = 0; c < C; c++) {
        const norm = (x[o + c] - mean[r]) * rstd[r];
        const dnorm = dy[o + c] * (weight ? weight[c] : 1);
        meanD += dnorm;
        meanDN += dnorm * norm;
      }
      meanD /= C;
      meanDN /= C;
      for (let c = 0; c < C; c++) {
        const norm = (x[o + c] - mean[r]) * rstd[r];
        const dnorm = dy[o + c] * (weight ? weight[c] : 1);
        dx[o + c] += rstd[r] * (dnorm - meanD - norm * meanDN);
        if (dweight) dweight[c] += dy[o + c] * norm;
        if (dbias) dbias[c] += dy[o + c];
      }
    }
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
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let ss = 0;
      for (let c = 0; c < C; c++) ss += x[o + c] * x[o + c];
      const s = 1 / Math.sqrt(ss / C + eps);
      for (let c = 0; c < C; c++) out[o + c] = x[o + c] * s * (weight ? weight[c] : 1);
      rstd[r] = s;
    }
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
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      const s = rstd[r];
      // y = x·s·w, s = (mean(x²)+eps)^(−1/2): dx = s·dnorm − x·s³·mean(dnorm·x)
      let dot = 0;
      for (let c = 0; c < C; c++) dot += dy[o + c] * (weight ? weight[c] : 1) * x[o + c];
      dot /= C;
      for (let c = 0; c < C; c++) {
        const dnorm = dy[o + c] * (weight ? weight[c] : 1);
        dx[o + c] += s * dnorm - x[o + c] * s * s * s * dot;
        if (dweight) dweight[c] += dy[o + c] * x[o + c] * s;
      }
    }
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
    for (let r = 0; r < rows; r++) {
      const o = r * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
      let sum = 0;
      let total = 0;
      for (let v = 0; v < V; v++) {
        sum += Math.exp(logits[o + v] - max);
        total += logits[o + v];
      }
      const l = max + Math.log(sum);
      lse[r] = l;
      const t = targets[r];
      losses[r] = t === ignoreIndex ? 0 : l - (1 - smoothing) * logits[o + t] - (smoothing * total) / V;
    }
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
    for (let r = 0; r < rows; r++) {
      const t = targets[r];
      if (t === ignoreIndex) continue;
      const o = r * V;
      const g = dlosses[r];
      for (let v = 0; v < V; v++) {
        const p = Math.exp(logits[o + v] - lse[r]);
        dlogits[o + v] += g * (p - (v === t ? 1 - smoothing : 0) - smoothing / V);
      }
    }
  }

  embeddingForward(out: FloatArray, weight: FloatArray, ids: Int32Array, n: number, C: number): void {
    for (let i = 0; i < n; i++) {
      const src = ids[i] * C;
      for (let c = 0; c < C; c++) out[i * C + c] = weight[src + c];
    }
  }

  embeddingBackward(dweight: FloatArray, dout: FloatArray, ids: Int32Array, n: number, C: number): void {
    for (let i = 0; i < n; i++) {
      const dst = ids[i] * C;
      for (let c = 0; c < C; c++) dweight[dst + c] += dout[i * C + c];
    }
  }

  /** scores row (T index t) of head (b, h): fills `row` (length S) with scaled, masked scores. */
  private scoreRow(
    row: Float64Array,
    q: FloatArray,
    k: FloatArray,
    mask: FloatArray | null,
    ms: readonly number[],
    b: number,
    h: number,
    hk: number,
    t: number,
    NH: number,
    NKV: number,
    T: number,
    S: number,
    HS: number,
    scale: number,
    causal: boolean,
    kvStride = S * HS,
  ): void {
    const qo = ((b * NH + h) * T + t) * HS;
    for (let s = 0; s < S; s++) {
      if (causal && s > t + (S - T)) {
        row[s] = -Infinity;
        continue;
      }
      const ko = (b * NKV + hk) * kvStride + s * HS;
      let dot = 0;
      for (let d = 0; d < HS; d++) dot += q[qo + d] * k[ko + d];
      row[s] = scale * dot + (mask ? mask[b * ms[0] + h * ms[1] + t * ms[2] + s] : 0);
    }
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
    kvStride = S * HS,
  ): void {
    const row = new Float64Array(S);
    const group = NH / NKV;
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        const hk = Math.floor(h / group);
        for (let t = 0; t < T; t++) {
          this.scoreRow(
            row,
            q,
            k,
            mask,
            maskStrides,
            b,
            h,
            hk,
            t,
            NH,
            NKV,
            T,
            S,
            HS,
            scale,
            causal,
            kvStride,
          );
          let max = -Infinity;
          for (let s = 0; s < S; s++) max = Math.max(max, row[s]);
          const oo = ((b * NH + h) * T + t) * HS;
          const lo = (b * NH + h) * T + t;
          if (max === -Infinity) {
            for (let d = 0; d < HS; d++) out[oo + d] = 0;
            lse[lo] = -Infinity;
            continue;
          }
          let sum = 0;
          for (let s = 0; s < S; s++) sum += Math.exp(row[s] - max);
          lse[lo] = max + Math.log(sum);
          for (let d = 0; d < HS; d++) {
            let acc = 0;
            for (let s = 0; s < S; s++) {
              const p = Math.exp(row[s] - max) / sum;
              acc += p * v[(b * NKV + hk) * kvStride + s * HS + d];
            }
            out[oo + d] = acc;
          }
        }
      }
    }
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
    const row = new Float64Array(S);
    const dp = new Float64Array(S);
    const group = NH / NKV;
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        const hk = Math.floor(h / group);
        for (let t = 0; t < T; t++) {
          const lo = (b * NH + h) * T + t;
          if (lse[lo] === -Infinity) continue;
          this.scoreRow(row, q, k, mask, maskStrides, b, h, hk, t, NH, NKV, T, S, HS, scale, causal);
          const oo = lo * HS;
          // D = Σ_d dO·O ; P = exp(score − lse); dP = dO·Vᵀ; dS = P·(dP − D)
          let D = 0;
          for (let d = 0; d < HS; d++) D += dout[oo + d] * out[oo + d];
          for (let s = 0; s < S; s++) {
            const p = Math.exp(row[s] - lse[lo]);
            const vo = ((b * NKV + hk) * S + s) * HS;
            let dps = 0;
            for (let d = 0; d < HS; d++) {
              dps += dout[oo + d] * v[vo + d];
              dv[vo + d] += p * dout[oo + d];
            }
            dp[s] = p * (dps - D);
          }
          for (let s = 0; s < S; s++) {
            const ds = dp[s] * scale;
            if (ds === 0) continue;
            const ko = ((b * NKV + hk) * S + s) * HS;
            for (let d = 0; d < HS; d++) {
              dq[oo + d] += ds * k[ko + d];
              dk[ko + d] += ds * q[oo + d];
            }
          }
        }
      }
    }
  }

  private rope(
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
    sign: number,
    accumulate: boolean,
  ): void {
    const half = rotaryDim / 2;
    for (let bh = 0; bh < B * NH; bh++) {
      for (let t = 0; t < T; t++) {
        const o = (bh * T + t) * HS;
        for (let i = 0; i < half; i++) {
          const i0 = interleaved ? o + 2 * i : o + i;
          const i1 = interleaved ? o + 2 * i + 1 : o + i + half;
          const c = cos[t * half + i];
          const s = sign * sin[t * half + i];
          const x0 = x[i0];
          const x1 = x[i1];
          const y0 = x0 * c - x1 * s;
          const y1 = x0 * s + x1 * c;
          if (accumulate) {
            out[i0] += y0;
            out[i1] += y1;
          } else {
            out[i0] = y0;
            out[i1] = y1;
          }
        }
        for (let d = rotaryDim; d < HS; d++) out[o + d] = accumulate ? out[o + d] + x[o + d] : x[o + d];
      }
    }
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
    this.rope(out, x, cos, sin, B, NH, T, HS, rotaryDim, interleaved, 1, false);
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
    this.rope(dx, dy, cos, sin, B, NH, T, HS, rotaryDim, interleaved, -1, true);
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
    const scale = 1 / (1 - p);
    for (let i = 0; i < n; i++) {
      const keep = dropoutUniform(seed, offset + i) >= p;
      mask[i] = keep ? 1 : 0;
      out[i] = keep ? x[i] * scale : 0;
    }
  }

  dropoutBackward(dx: FloatArray, dy: FloatArray, mask: Uint8Array, n: number, p: number): void {
    const scale = 1 / (1 - p);
    for (let i = 0; i < n; i++) if (mask[i]) dx[i] += dy[i] * scale;
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
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      param[i] -= lr * weightDecay * param[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      param[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
    }
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
    for (let i = 0; i < n; i++) {
      let g = grad[i] + weightDecay * param[i];
      if (buf && momentum !== 0) {
        buf[i] = firstStep ? g : momentum * buf[i] + (1 - dampening) * g;
        g = nesterov ? g + momentum * buf[i] : buf[i];
      }
      param[i] -= lr * g;
    }
  }

  sumSquares(x: FloatArray, n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    return s;
  }
}

export function createReferenceBackend(): Backend {
  return new ReferenceBackend();
}
