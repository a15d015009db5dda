/**
 * Attention with its probabilities: softmax(QKᵀ·scale + mask)·V composed from existing ops, for
 * callers that must read or differentiate the attention map (attention rollout, head pruning
 * scores, HF `output_attentions`). It materialises the (B, NH, T, S) probabilities, so it is slower
 * and larger than the fused kernel (ops/fused.ts `attention`), which stays the default everywhere.
 *
 * Dimension names: B batch, NH query heads, NKV key/value heads, T queries, S keys, HS head size.
 */
import { LlmkError } from '../errors.js';
import { add, mul } from '../tensor/ops/elementwise.js';
import { type AttentionOptions, softmax } from '../tensor/ops/fused.js';
import { matmul } from '../tensor/ops/matmul.js';
import { contiguous, expand, reshape } from '../tensor/ops/shape.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';

export interface AttentionWithProbs {
  /** (B, NH, T, HS), as the fused attention returns. */
  output: Tensor;
  /** (B, NH, T, S) attention probabilities (each row sums to 1 over the keys it may see). */
  probs: Tensor;
}

/** q (B, NH, T, HS), k and v (B, NKV, S, HS) → output and probabilities; same options as `attention`. */
export function attentionWithProbs(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): AttentionWithProbs {
  const engine = q.engine;
  const [B, NH, T, HS] = q.shape;
  const [, NKV, S] = k.shape;
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4 || NH % NKV !== 0 || k.shape[3] !== HS) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `attention shapes disagree: q ${shapeString(q.shape)}, k ${shapeString(k.shape)}, v ${shapeString(v.shape)}`,
      'k and v must be (B, NKV, S, HS) with NH a multiple of NKV',
    );
  }
  const G = NH / NKV;
  // Grouped-query attention: each kv head serves G query heads, so repeat it G times.
  const heads = (t: Tensor): Tensor =>
    G === 1
      ? contiguous(t)
      : reshape(contiguous(expand(reshape(contiguous(t), [B, NKV, 1, S, HS]), [B, NKV, G, S, HS])), [
          B,
          NH,
          S,
          HS,
        ]); // (B, NH, S, HS)
  let scores = mul(matmul(q, heads(k), { transB: true }), options.scale ?? 1 / Math.sqrt(HS)); // (B, NH, T, S)
  if (options.causal) {
    // Query t sees keys s ≤ t + (S − T), as the fused kernel (the cache holds the first S − T keys).
    const m = engine.empty([T, S], q.dtype, { uninitialized: true });
    const mv = m.values();
    for (let t = 0; t < T; t++)
      for (let s = 0; s < S; s++) mv[t * S + s] = s <= t + S - T ? 0 : Number.NEGATIVE_INFINITY;
    scores = add(scores, m); // (B, NH, T, S)
  }
  if (options.mask) scores = add(scores, options.mask); // (B, NH, T, S)
  const probs = softmax(scores, -1); // (B, NH, T, S)
  return { output: matmul(probs, heads(v)), probs }; // (B, NH, T, HS)
}
