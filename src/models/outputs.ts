/** What every model body returns (Hugging Face's BaseModelOutput), so heads and tools read one shape. */
import { LlmkError } from '../errors.js';
import type { Embedding, InitMode } from '../nn/layers.js';
import type { Rng } from '../tensor/random.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';

export interface ModelOutputOptions {
  /**
   * (B, T, C) embeddings used instead of token ids (HF `inputs_embeds`): pass null ids. Adversarial
   * training and integrated gradients perturb or scale these.
   */
  inputsEmbeds?: Tensor | null;
  /**
   * Also return every layer's attention probabilities, (B, NH, T, S) each. Takes the unfused path
   * (nn/attention.ts), slower and larger than the fused kernel; off by default.
   */
  outputAttentions?: boolean;
  /** Also return the hidden states: the embedding output, then each layer's output (HF order). */
  outputHiddenStates?: boolean;
}

export interface BaseModelOutput {
  /** (B, T, C) the last layer's output (after the final norm where the model has one). */
  lastHiddenState: Tensor;
  /** nLayer + 1 tensors (B, T, C) when asked for, else null. */
  hiddenStates: Tensor[] | null;
  /** nLayer tensors (B, NH, T, S) when asked for, else null. */
  attentions: Tensor[] | null;
}

/** How a model builds its layers: random init (seeded by rng) or empty for a loader to fill. */
export interface ModelInitOptions {
  rng?: Rng;
  /** 'empty': allocate every parameter once, unfilled (a loader copies the checkpoint in next). */
  init?: InitMode;
}

/**
 * (B, T, C) input embeddings: `embed(ids)` for (B, T) i32 ids, or the given `inputsEmbeds`, with
 * the typed errors every model shares (exactly one of the two, the right shapes).
 */
export function embedInputs(
  model: string,
  ids: Tensor | null | undefined,
  inputsEmbeds: Tensor | null | undefined,
  embed: Embedding,
  C: number,
): Tensor {
  if (ids && inputsEmbeds) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `${model}: both token ids and inputsEmbeds given`,
      'pass one of them (null ids with inputsEmbeds)',
    );
  }
  if (inputsEmbeds) {
    if (inputsEmbeds.rank !== 3 || inputsEmbeds.shape[2] !== C || inputsEmbeds.dtype === 'i32') {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `${model} inputsEmbeds must be (B, T, ${C}) floats, got ${inputsEmbeds.dtype} ${shapeString(inputsEmbeds.shape)}`,
        'build them with model.getInputEmbeddings().forward(ids) and change them from there',
      );
    }
    return inputsEmbeds;
  }
  if (ids?.rank !== 2 || ids.dtype !== 'i32') {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `${model} input must be (B, T) i32 token ids, got ${ids ? `${ids.dtype} ${shapeString(ids.shape)}` : 'none'}`,
      'pass ids as engine.tensor(Int32Array, [B, T], "i32"), or inputsEmbeds (B, T, C)',
    );
  }
  return embed.call(ids); // (B, T, C)
}
