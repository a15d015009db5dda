/** The next-token loss every causal LM (GPT, Llama) shares. */
import { crossEntropy } from '../tensor/ops/fused.js';
import { reshape } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Mean cross-entropy of logits (B, T, V) against targets (B, T); targets equal to ignoreIndex are skipped. */
export function nextTokenLoss(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const [B, T, V] = logits.shape;
  return crossEntropy(reshape(logits, [B * T, V]), reshape(targets, [B * T]), { ignoreIndex });
}
