/** The KV cache of self-attention: per-layer keys and values of the tokens seen so far. */
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
