/**
 * The fused hot paths (STYLE: a short, justified list): softmax and log-softmax, layer and RMS
 * norm, cross-entropy with log-softmax, embedding, dropout, scaled-dot-product attention and rotary
 * embeddings. Each is one forward kernel and one backward kernel; saved values are explicit.
 */
import { check, LlmkError } from '../../errors.js';
import type { FloatArray } from '../backend.js';
import { shapeString, type Tensor } from '../tensor.js';
import { broadcastShapes } from './elementwise.js';
import { floats, ints, normDim, record } from './record.js';
import { contiguous, transpose } from './shape.js';

function lastDimRows(x: Tensor): [number, number] {
  const cols = x.shape[x.rank - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function alongLast(x: Tensor, dim: number, fn: (t: Tensor) => Tensor): Tensor {
  const d = normDim(dim, x.rank);
  if (d === x.rank - 1) return fn(x);
  return transpose(fn(contiguous(transpose(x, d, -1))), d, -1);
}

export function softmax(x: Tensor, dim = -1): Tensor {
  return alongLast(x, dim, (t) => {
    const xc = contiguous(t);
    const [rows, cols] = lastDimRows(xc);
    const out = t.engine.empty(xc.shape, xc.dtype, { uninitialized: true });
    t.engine.backend.softmaxForward(floats(out), floats(xc), rows, cols);
    return record(out, 'softmax', [xc], (g, sink) => {
      const gx = sink.grad(xc);
      if (gx) t.engine.backend.softmaxBackward(floats(gx), floats(out), floats(contiguous(g)), rows, cols);
    });
  });
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return alongLast(x, dim, (t) => {
    const xc = contiguous(t);
    const [rows, cols] = lastDimRows(xc);
    const out = t.engine.empty(xc.shape, xc.dtype, { uninitialized: true });
    t.engine.backend.logSoftmaxForward(floats(out), floats(xc), rows, cols);
    return record(out, 'logSoftmax', [xc], (g, sink) => {
      const gx = sink.grad(xc);
      if (gx) t.engine.backend.logSoftmaxBackward(floats(gx), floats(out), floats(contiguous(g)), rows, cols);
    });
  });
}

function checkNormParam(x: Tensor, p: Tensor | null, what: string): void {
  const C = x.shape[x.rank - 1];
  if (p && (p.rank !== 1 || p.shape[0] !== C)) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `${what} ${shapeString(p.shape)} does not match the last dim ${C} of ${shapeString(x.shape)}`,
      `${what} must be (${C},)`,
    );
  }
}

/** LayerNorm over the last dim (torch.nn.functional.layer_norm with normalized_shape = (C,)). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  checkNormParam(x, weight, 'layerNorm weight');
  checkNormParam(x, bias, 'layerNorm bias');
  const engine = x.engine;
  const xc = contiguous(x);
  const [rows, C] = lastDimRows(xc);
  const out = engine.empty(xc.shape, xc.dtype, { uninitialized: true });
  const mean = engine.empty([rows], xc.dtype, { uninitialized: true });
  const rstd = engine.empty([rows], xc.dtype, { uninitialized: true });
  const w = weight ? contiguous(weight) : null;
  const b = bias ? contiguous(bias) : null;
  engine.backend.layerNormForward(
    floats(out),
    floats(mean),
    floats(rstd),
    floats(xc),
    w && floats(w),
    b && floats(b),
    rows,
    C,
    eps,
  );
  const inputs = [xc, w, b].filter((t): t is Tensor => t !== null);
  return record(out, 'layerNorm', inputs, (g, sink) => {
    const gx = sink.grad(xc);
    const gw = w ? sink.grad(w) : null;
    const gb = b ? sink.grad(b) : null;
    const dx = gx ? floats(gx) : (engine.empty(xc.shape, xc.dtype).values() as FloatArray);
    engine.backend.layerNormBackward(
      dx,
      gw && floats(gw),
      gb && floats(gb),
      floats(contiguous(g)),
      floats(xc),
      w && floats(w),
      floats(mean),
      floats(rstd),
      rows,
      C,
    );
  });
}

/** RMSNorm over the last dim (Zhang & Sennrich 2019; Llama's LlamaRMSNorm). */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  checkNormParam(x, weight, 'rmsNorm weight');
  const engine = x.engine;
  const xc = contiguous(x);
  const [rows, C] = lastDimRows(xc);
  const out = engine.empty(xc.shape, xc.dtype, { uninitialized: true });
  const rstd = engine.empty([rows], xc.dtype, { uninitialized: true });
  const w = weight ? contiguous(weight) : null;
  engine.backend.rmsNormForward(floats(out), floats(rstd), floats(xc), w && floats(w), rows, C, eps);
  const inputs = [xc, w].filter((t): t is Tensor => t !== null);
  return record(out, 'rmsNorm', inputs, (g, sink) => {
    const gx = sink.grad(xc);
    const gw = w ? sink.grad(w) : null;
    const dx = gx ? floats(gx) : (engine.empty(xc.shape, xc.dtype).values() as FloatArray);
    engine.backend.rmsNormBackward(
      dx,
      gw && floats(gw),
      floats(contiguous(g)),
      floats(xc),
      w && floats(w),
      floats(rstd),
      rows,
      C,
    );
  });
}

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (PyTorch's default −100). */
  ignoreIndex?: number;
  /** Label smoothing ε in [0, 1) (PyTorch's rule: mix ε/V uniform into the target). */
  labelSmoothing?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (per-row losses). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits (…, V) against integer targets (…), fused with log-softmax so the (N, V)
 * probabilities are never stored: forward saves one logsumexp per row, backward recomputes.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { ignoreIndex = -100, labelSmoothing = 0, reduction = 'mean' } = options;
  const engine = logits.engine;
  const lc = contiguous(logits);
  const [rows, V] = lastDimRows(lc);
  const tc = contiguous(targets);
  if (tc.size !== rows) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `crossEntropy: ${rows} rows of logits ${shapeString(logits.shape)} but ${tc.size} targets ${shapeString(targets.shape)}`,
      'targets must have the logits shape without the last (class) dim',
    );
  }
  check(
    labelSmoothing >= 0 && labelSmoothing < 1,
    'LLMK_E_ARG',
    () => `labelSmoothing ${labelSmoothing} outside [0, 1)`,
  );
  const t = ints(tc);
  let valid = 0;
  for (let i = 0; i < rows; i++) {
    const v = t[i];
    if (v === ignoreIndex) continue;
    if (!(v >= 0 && v < V)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `crossEntropy: target ${v} at row ${i} is outside [0, ${V})`,
        `targets must be class ids below the vocabulary size ${V} (or ignoreIndex ${ignoreIndex})`,
      );
    }
    valid++;
  }
  const losses = engine.empty([rows], lc.dtype, { uninitialized: true });
  const lse = engine.empty([rows], lc.dtype, { uninitialized: true });
  engine.backend.crossEntropyForward(
    floats(losses),
    floats(lse),
    floats(lc),
    t,
    rows,
    V,
    ignoreIndex,
    labelSmoothing,
  );
  const backwardWith = (dlosses: FloatArray, sink: { grad(t: Tensor): Tensor | null }): void => {
    const gl = sink.grad(lc);
    if (gl)
      engine.backend.crossEntropyBackward(
        floats(gl),
        floats(lc),
        floats(lse),
        t,
        dlosses,
        rows,
        V,
        ignoreIndex,
        labelSmoothing,
      );
  };
  if (reduction === 'none') {
    const out = losses.view(tc.shape, tc.strides, losses.offset);
    return record(out, 'crossEntropy', [lc], (g, sink) => backwardWith(floats(contiguous(g)), sink));
  }
  const lv = floats(losses);
  let total = 0;
  for (let i = 0; i < rows; i++) total += lv[i];
  const divisor = reduction === 'mean' ? valid : 1;
  // PyTorch returns NaN for a mean over zero valid targets; so do we.
  const out = engine.full([], total / divisor, lc.dtype);
  return record(out, 'crossEntropy', [lc], (g, sink) => {
    const d = engine.full([rows], g.item() / divisor, lc.dtype);
    backwardWith(floats(d), sink);
  });
}

/** Rows of `weight` (V, C) picked by integer ids (any shape) → (…ids, C); backward scatter-adds. */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  const engine = weight.engine;
  const ic = contiguous(ids);
  const idv = ints(ic);
  const [V, C] = weight.shape;
  for (let i = 0; i < idv.length; i++) {
    if (!(idv[i] >= 0 && idv[i] < V)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `embedding: id ${idv[i]} at position ${i} is outside [0, ${V})`,
        `ids must be below the table size ${V}; check the tokenizer matches the model`,
      );
    }
  }
  const w = contiguous(weight);
  const out = engine.empty([...ic.shape, C], w.dtype, { uninitialized: true });
  engine.backend.embeddingForward(floats(out), floats(w), idv, idv.length, C);
  return record(out, 'embedding', [w], (g, sink) => {
    const gw = sink.grad(w);
    if (gw) engine.backend.embeddingBackward(floats(gw), floats(contiguous(g)), idv, idv.length, C);
  });
}

/**
 * Inverted dropout with probability p. The mask comes from the engine's RNG (one 32-bit seed per
 * call), so the same engine seed reproduces the same masks on either backend.
 */
export function dropout(x: Tensor, p: number, training = true): Tensor {
  check(p >= 0 && p < 1, 'LLMK_E_ARG', () => `dropout p=${p} outside [0, 1)`);
  if (!training || p === 0) return x;
  const engine = x.engine;
  const xc = contiguous(x);
  const out = engine.empty(xc.shape, xc.dtype, { uninitialized: true });
  const mask = new Uint8Array(xc.size);
  engine.backend.dropoutForward(floats(out), mask, floats(xc), xc.size, p, engine.rng.nextU32(), 0);
  return record(out, 'dropout', [xc], (g, sink) => {
    const gx = sink.grad(xc);
    if (gx) engine.backend.dropoutBackward(floats(gx), floats(contiguous(g)), mask, xc.size, p);
  });
}

export interface AttentionOptions {
  /** Causal mask: query t sees keys s ≤ t + (S − T) (S > T while decoding with a KV cache). */
  causal?: boolean;
  /** Additive mask broadcastable to (B, NH, T, S): 0 to keep, −Infinity (or a large negative) to drop. */
  mask?: Tensor | null;
  /** Score scale; 1/√HS by default. */
  scale?: number;
}

/**
 * Elements between consecutive (batch, kv head) blocks when `t` (B, NKV, S, HS) has dense rows and
 * evenly spaced blocks, as the first S rows of a longer per-head buffer do (a KV cache's view); else null.
 */
function kvBlockStride(t: Tensor): number | null {
  const [B, NKV, S, HS] = t.shape;
  const [s0, s1, s2, s3] = t.strides;
  if (t.dtype === 'i32' || (HS > 1 && s3 !== 1) || (S > 1 && s2 !== HS)) return null;
  if (B * NKV <= 1) return S * HS;
  const block = NKV > 1 ? s1 : s0;
  if (B > 1 && NKV > 1 && s0 !== NKV * block) return null;
  return block >= S * HS ? block : null;
}

/**
 * Fused scaled-dot-product attention: q (B, NH, T, HS), k and v (B, NKV, S, HS) → (B, NH, T, HS).
 * NKV < NH is grouped-query attention (NH must be a multiple of NKV). Without autograd, k and v may
 * be views of the first S rows of longer per-head buffers (KVCache's in-place cache): they are read
 * where they are, not copied.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const engine = q.engine;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `attention expects rank-4 q, k, v; got ${shapeString(q.shape)}, ${shapeString(k.shape)}, ${shapeString(v.shape)}`,
      'reshape to (B, heads, T, head_size)',
    );
  }
  const [B, NH, T, HS] = q.shape;
  const [Bk, NKV, S, HSk] = k.shape;
  const vs = v.shape;
  if (
    Bk !== B ||
    HSk !== HS ||
    vs[0] !== B ||
    vs[1] !== NKV ||
    vs[2] !== S ||
    vs[3] !== HS ||
    NH % NKV !== 0
  ) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `attention shapes disagree: q ${shapeString(q.shape)}, k ${shapeString(k.shape)}, v ${shapeString(v.shape)}`,
      'k and v must be (B, NKV, S, HS) with NH a multiple of NKV',
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(HS);
  const causal = options.causal ?? false;
  // Without autograd a KV cache's views are read in place (nothing needs kc, vc for a backward).
  const stride = !engine.isGradEnabled() && !k.isContiguous() ? kvBlockStride(k) : null;
  const inPlace = stride !== null && kvBlockStride(v) === stride;
  const qc = contiguous(q);
  const kc = inPlace ? k : contiguous(k);
  const vc = inPlace ? v : contiguous(v);
  const kvData = (t: Tensor): FloatArray =>
    inPlace ? (t.buffer.subarray(t.offset) as FloatArray) : floats(t);
  let mask: Tensor | null = null;
  let maskStrides = [0, 0, 0];
  if (options.mask) {
    const m = options.mask;
    const full = broadcastShapes(m.shape, [B, NH, T, S]);
    if (full.join(',') !== [B, NH, T, S].join(',')) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `attention mask ${shapeString(m.shape)} does not broadcast to (${B},${NH},${T},${S})`,
        'use (B,1,1,S) for padding or (1,1,T,S) for a shared mask',
      );
    }
    mask = contiguous(m);
    const ms = [...new Array(4 - mask.rank).fill(1), ...mask.shape];
    if (ms[3] !== S) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `attention mask ${shapeString(m.shape)} must span all ${S} keys`,
        'give the mask a last dim of S',
      );
    }
    maskStrides = [ms[0] === 1 ? 0 : ms[1] * ms[2] * S, ms[1] === 1 ? 0 : ms[2] * S, ms[2] === 1 ? 0 : S];
  }
  const out = engine.empty([B, NH, T, HS], q.dtype, { uninitialized: true });
  const lse = engine.empty([B, NH, T], q.dtype, { uninitialized: true });
  const mf = mask ? floats(mask) : null;
  engine.backend.attentionForward(
    floats(out),
    floats(lse),
    floats(qc),
    kvData(kc),
    kvData(vc),
    mf,
    maskStrides,
    B,
    NH,
    NKV,
    T,
    S,
    HS,
    scale,
    causal,
    inPlace ? (stride as number) : undefined,
  );
  if (inPlace) return out;
  return record(out, 'attention', [qc, kc, vc], (g, sink) => {
    const gq = sink.grad(qc);
    const gk = sink.grad(kc);
    const gv = sink.grad(vc);
    const scratch = (t: Tensor): FloatArray => engine.empty(t.shape, t.dtype).values() as FloatArray;
    engine.backend.attentionBackward(
      gq ? floats(gq) : scratch(qc),
      gk ? floats(gk) : scratch(kc),
      gv ? floats(gv) : scratch(vc),
      floats(contiguous(g)),
      floats(qc),
      floats(kc),
      floats(vc),
      floats(out),
      floats(lse),
      mf,
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
  });
}

export interface RopeOptions {
  /** Pairs (2i, 2i+1) as in GPT-J and llama2.c; otherwise (i, i + d/2) as in HF Llama. */
  interleaved?: boolean;
  /** Features of each head that rotate (all by default). */
  rotaryDim?: number;
}

/** Rotary position embedding of x (B, NH, T, HS) with angle tables cos, sin (T, rotaryDim/2). */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, options: RopeOptions = {}): Tensor {
  const engine = x.engine;
  const [B, NH, T, HS] = x.shape;
  const rotaryDim = options.rotaryDim ?? HS;
  const interleaved = options.interleaved ?? false;
  if (
    x.rank !== 4 ||
    rotaryDim % 2 !== 0 ||
    rotaryDim > HS ||
    cos.size !== T * (rotaryDim / 2) ||
    sin.size !== cos.size
  ) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `rope: x ${shapeString(x.shape)}, cos ${shapeString(cos.shape)}, sin ${shapeString(sin.shape)}, rotaryDim ${rotaryDim}`,
      'x must be (B, NH, T, HS) and cos/sin (T, rotaryDim/2) with an even rotaryDim ≤ HS',
    );
  }
  const xc = contiguous(x);
  const cc = contiguous(cos);
  const sc = contiguous(sin);
  const out = engine.empty(xc.shape, xc.dtype, { uninitialized: true });
  engine.backend.ropeForward(
    floats(out),
    floats(xc),
    floats(cc),
    floats(sc),
    B,
    NH,
    T,
    HS,
    rotaryDim,
    interleaved,
  );
  return record(out, 'rope', [xc], (g, sink) => {
    const gx = sink.grad(xc);
    if (gx)
      engine.backend.ropeBackward(
        floats(gx),
        floats(contiguous(g)),
        floats(cc),
        floats(sc),
        B,
        NH,
        T,
        HS,
        rotaryDim,
        interleaved,
      );
  });
}

/** cos and sin tables (T, dim/2) for positions start … start+T−1, θ_i = base^(−2i/dim). */
export function ropeTables(
  engine: Tensor['engine'],
  T: number,
  dim: number,
  base = 10000,
  start = 0,
  dtype: 'f32' | 'f64' = 'f32',
): { cos: Tensor; sin: Tensor } {
  const half = dim / 2;
  const cos = engine.empty([T, half], dtype, { uninitialized: true });
  const sin = engine.empty([T, half], dtype, { uninitialized: true });
  const cv = cos.values();
  const sv = sin.values();
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (start + t) * base ** ((-2 * i) / dim);
      cv[t * half + i] = Math.cos(angle);
      sv[t * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
