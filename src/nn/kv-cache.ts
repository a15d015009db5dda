/**
 * The KV caches of attention: self-attention's per-layer keys and values of the tokens seen so far
 * (KVCache), and cross-attention's keys and values of the encoder output, computed once per
 * generation (CrossKVCache).
 */
import { LlmkError } from '../errors.js';
import { concat, contiguous, slice } from '../tensor/ops/shape.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';

/**
 * Per-layer keys and values of the tokens seen so far, (B, NKV, S, HS) each.
 *
 * Without autograd (decoding) each layer keeps one (B, NKV, capacity, HS) buffer per k and v that
 * doubles when full: a step writes its new rows in place and attention reads the first S rows of the
 * buffer where they are (ops/fused.ts `attention`), so no step copies or re-allocates the cache.
 * With autograd the cache grows by `concat`, so gradients flow through it.
 */
export class KVCache {
  /**
   * Per layer: (B, NKV, S, HS) with autograd; without it the (B, NKV, capacity, HS) buffer whose
   * first `length` rows are filled (`append` returns the (B, NKV, S, HS) views).
   */
  readonly keys: Array<Tensor | null>;
  readonly values: Array<Tensor | null>;
  /** Tokens cached so far. */
  length = 0;
  /** Rows filled in each layer's buffers (no-grad path). */
  private readonly filled: number[];

  constructor(nLayer: number) {
    this.keys = new Array<Tensor | null>(nLayer).fill(null);
    this.values = new Array<Tensor | null>(nLayer).fill(null);
    this.filled = new Array<number>(nLayer).fill(0);
  }

  /** Appends this step's k, v (B, NKV, T, HS) for `layer`, returning the full cached k, v (B, NKV, S, HS). */
  append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const engine = k.engine;
    if (engine.isGradEnabled()) {
      const pk = this.keys[layer];
      const pv = this.values[layer];
      const nk = engine.keep(pk ? concat([pk, k], 2) : clone(k));
      const nv = engine.keep(pv ? concat([pv, v], 2) : clone(v));
      pk?.dispose();
      pv?.dispose();
      this.keys[layer] = nk;
      this.values[layer] = nv;
      this.filled[layer] = nk.shape[2];
      return [nk, nv];
    }
    const S = this.filled[layer];
    const kb = this.reserve(this.keys, layer, S, k);
    const vb = this.reserve(this.values, layer, S, v);
    writeRows(kb, S, k);
    writeRows(vb, S, v);
    const total = S + k.shape[2];
    this.filled[layer] = total;
    return [slice(kb, 2, 0, total), slice(vb, 2, 0, total)];
  }

  /**
   * Beam search: row b of every layer's keys and values becomes row `rows[b]` of before (HF
   * `_reorder_cache` / `Cache.reorder_cache(beam_idx)`). Decoding only (no autograd); the buffers are
   * rewritten in place, so the views `append` returns next stay valid.
   */
  reorder(rows: readonly number[]): void {
    for (const store of [this.keys, this.values]) {
      for (const buf of store) {
        if (!buf) continue;
        if (buf.engine.isGradEnabled()) {
          throw new LlmkError(
            'LLMK_E_UNSUPPORTED',
            'KVCache.reorder with autograd on',
            'reorder caches while decoding, inside engine.noGrad',
          );
        }
        reorderRows(buf, rows);
      }
    }
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.filled.fill(0);
    this.length = 0;
  }

  /** The layer's buffer with room for `S + T` rows, the first S kept (grown by doubling). */
  private reserve(store: Array<Tensor | null>, layer: number, S: number, x: Tensor): Tensor {
    const [B, H, T, D] = x.shape;
    const prev = store[layer];
    if (
      prev &&
      (prev.shape[0] !== B || prev.shape[1] !== H || prev.shape[3] !== D || prev.dtype !== x.dtype)
    ) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `KV cache ${shapeString([B, H, S, D])} cannot take ${shapeString(x.shape)}`,
        'keep the batch size and model fixed for the life of a cache (newCache() per generation)',
      );
    }
    if (prev && prev.shape[2] >= S + T) return prev;
    const capacity = Math.max(16, S + T, 2 * (prev?.shape[2] ?? 0));
    const next = x.engine.keep(x.engine.empty([B, H, capacity, D], x.dtype, { uninitialized: true }));
    if (prev) {
      const o = next.values();
      const p = prev.values();
      const cap = prev.shape[2];
      for (let bh = 0; bh < B * H; bh++)
        o.set(p.subarray(bh * cap * D, bh * cap * D + S * D), bh * capacity * D);
      prev.dispose();
    }
    store[layer] = next;
    return next;
  }
}

/** Writes x (B, H, T, D) into rows [S, S + T) of buf (B, H, capacity, D). */
function writeRows(buf: Tensor, S: number, x: Tensor): void {
  const [B, H, T, D] = x.shape;
  const cap = buf.shape[2];
  const o = buf.values();
  const xs = contiguous(x).values();
  for (let bh = 0; bh < B * H; bh++) o.set(xs.subarray(bh * T * D, (bh + 1) * T * D), (bh * cap + S) * D);
}

/** A dense copy with its own storage (the cache must not pin the step's qkv buffer). */
function clone(t: Tensor): Tensor {
  const out = t.engine.empty(t.shape, t.dtype, { uninitialized: true });
  out.values().set(contiguous(t).values());
  return out;
}

/** Rewrites the rows (dim 0) of a dense tensor: row b becomes old row rows[b]. */
function reorderRows(buf: Tensor, rows: readonly number[]): void {
  const B = buf.shape[0];
  if (rows.length !== B || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= B)) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `cannot reorder a cache of ${B} rows by [${rows.join(', ')}]`,
      'give one source row index in [0, B) per row',
    );
  }
  if (rows.every((r, b) => r === b)) return;
  const v = buf.values();
  const n = v.length / B;
  const old = v.slice();
  for (let b = 0; b < B; b++) if (rows[b] !== b) v.set(old.subarray(rows[b] * n, (rows[b] + 1) * n), b * n);
}

/**
 * Cross-attention keys and values, (B, NH, S, HS) per decoder layer: projections of the encoder
 * output that stay the same for every decoding step, so they are computed at the first step and
 * read afterwards (HF `EncoderDecoderCache.cross_attention_cache`). `repeatRows(n)` copies each row n
 * times (row b → rows b·n … b·n + n − 1), as beam search expands one encoder output per beam.
 */
export class CrossKVCache {
  readonly keys: Array<Tensor | null>;
  readonly values: Array<Tensor | null>;

  constructor(nLayer: number) {
    this.keys = new Array<Tensor | null>(nLayer).fill(null);
    this.values = new Array<Tensor | null>(nLayer).fill(null);
  }

  has(layer: number): boolean {
    return this.keys[layer] !== null;
  }

  /** Stores the layer's k, v (B, NH, S, HS); the cache owns them from now on. */
  set(layer: number, k: Tensor, v: Tensor): void {
    this.keys[layer]?.dispose();
    this.values[layer]?.dispose();
    this.keys[layer] = k.engine.keep(k);
    this.values[layer] = v.engine.keep(v);
  }

  /** The layer's cached k, v (B, NH, S, HS). */
  get(layer: number): [Tensor, Tensor] {
    const k = this.keys[layer];
    const v = this.values[layer];
    if (!k || !v) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `cross-attention cache of layer ${layer} is empty`,
        'run the decoder once with the encoder output to fill it',
      );
    }
    return [k, v];
  }

  /** Each row repeated n times in place of the cached (B, …) tensors → (B·n, …). */
  repeatRows(n: number): void {
    for (const store of [this.keys, this.values]) {
      store.forEach((t, layer) => {
        if (!t || n === 1) return;
        const [B, ...rest] = t.shape;
        const out = t.engine.keep(t.engine.empty([B * n, ...rest], t.dtype, { uninitialized: true }));
        const src = contiguous(t).values();
        const o = out.values();
        const size = src.length / B;
        for (let b = 0; b < B; b++)
          for (let r = 0; r < n; r++) o.set(src.subarray(b * size, (b + 1) * size), (b * n + r) * size);
        t.dispose();
        store[layer] = out;
      });
    }
  }

  /** Beam search: row b becomes old row rows[b] (rows of one source share values, so this is rarely needed). */
  reorder(rows: readonly number[]): void {
    for (const store of [this.keys, this.values]) for (const t of store) if (t) reorderRows(t, rows);
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
  }
}
