/**
 * What every causal LM (GPT, Llama) shares: the interface generation and causal-LM training use,
 * the next-token loss and the logits-to-keep cut.
 */
import { LlmkError } from '../errors.js';
import type { KVCache } from '../nn/kv-cache.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import { crossEntropy } from '../tensor/ops/fused.js';
import { reshape, slice } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BaseModelOutput } from './outputs.js';

/**
 * The last `keep` positions of hidden states (B, T, C), the only ones whose logits are wanted
 * (Hugging Face's `logits_to_keep`): a prefill needs just the last position's, which saves the
 * (T − 1)·C·V multiply-adds of the LM head. Undefined or ≥ T keeps every position.
 */
export function keepLastPositions(x: Tensor, keep: number | undefined): Tensor {
  if (keep === undefined) return x;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new LlmkError('LLMK_E_ARG', `logitsToKeep ${keep} is not allowed`, 'use a whole number ≥ 1');
  }
  const T = x.shape[1];
  return keep >= T ? x : slice(x, 1, T - keep, T);
}

/** Mean cross-entropy of logits (B, T, V) against targets (B, T); targets equal to ignoreIndex are skipped. */
export function nextTokenLoss(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const [B, T, V] = logits.shape;
  return crossEntropy(reshape(logits, [B * T, V]), reshape(targets, [B * T]), { ignoreIndex });
}

export interface CausalLMForwardOptions<C> {
  cache?: C;
  /** (B, T) i32 positions. */
  positionIds?: Tensor;
  /** (B, S) additive key mask, S = cached + new tokens. */
  keyMask?: Tensor;
  /** Logits for the last this-many positions only. */
  logitsToKeep?: number;
}

/** What generation needs from a model: logits (B, T, V) for ids (B, T), with a KV cache. */
export interface CausalLM<C extends { dispose(): void } = { dispose(): void }> {
  readonly engine: Engine;
  readonly config: { vocabSize: number; nCtx: number };
  /** When present, generation restores this training flag afterwards. */
  training?: boolean;
  forward(idx: Tensor, options?: CausalLMForwardOptions<C>): Tensor;
  newCache(): C;
  eval(): unknown;
  train?(on: boolean): unknown;
}

/** A trainable causal LM module: GPT and the Llama family. */
export type CausalLMModel = Module &
  CausalLM<KVCache> & {
    loss(idx: Tensor, targets: Tensor, options?: { ignoreIndex?: number }): Tensor;
  };

export function isCausalLM(model: Module): model is CausalLMModel {
  const m = model as unknown as Partial<CausalLMModel>;
  return typeof m.newCache === 'function' && typeof m.loss === 'function';
}

/** A causal LM's forward with extras: logits (B, T', V) and what the body returned. */
export interface CausalLMOutput extends BaseModelOutput {
  logits: Tensor;
}
