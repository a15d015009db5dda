/**
 * The Llama family's Hugging Face adapter (`llama`, and `mistral` and `qwen2`, whose differences are
 * configuration only): `config.json` (transformers' LlamaConfig, MistralConfig, Qwen2Config) ↔
 * LlamaConfig, and checkpoint tensor names ↔ the model's.
 */
import { LlmkError } from '../../errors.js';
import { configError, type Fields, type SpecialTokens } from '../hf-fields.js';
import { type LlamaConfig, llamaConfig } from './config.js';

export type LlamaFamily = 'llama' | 'mistral' | 'qwen2';

/** Llama family: fields that only change numerics or training-time sharding. */
export const NEUTRAL_LLAMA = [
  'pretraining_tp', // splits matmuls for tensor-parallel pretraining; same math
  'max_window_layers', // Qwen2: which layers would use the sliding window (off unless use_sliding_window)
];

export function llamaFromFields(f: Fields, modelType: LlamaFamily, path: string): LlamaConfig {
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu') {
    throw configError(
      path,
      'hidden_act',
      `= '${act}' is not supported`,
      'Llama-family models use silu (SwiGLU)',
    );
  }
  f.expect(
    'rope_scaling',
    [],
    'llmk supports plain RoPE only; a checkpoint with rope_scaling (linear, dynamic, yarn, llama3) would run as a different model, so it is refused',
  );
  f.expect('attention_dropout', [0], 'llmk trains without dropout on attention probabilities; set it to 0');
  let nCtx = f.num('max_position_embeddings', 2048);
  // A sliding window never acts on sequences no longer than the window, so it only shortens the context.
  if (modelType === 'mistral' && f.has('sliding_window')) nCtx = Math.min(nCtx, f.num('sliding_window'));
  if (modelType === 'qwen2') {
    if (f.bool('use_sliding_window', false) && f.has('sliding_window'))
      nCtx = Math.min(nCtx, f.num('sliding_window'));
    f.raw('sliding_window');
  }
  const attentionBias = modelType === 'llama' ? f.bool('attention_bias', false) : false;
  if (modelType !== 'llama') f.expect('attention_bias', [false], `${modelType} has fixed attention biases`);
  const nHead = f.num('num_attention_heads');
  return llamaConfig({
    vocabSize: f.num('vocab_size'),
    nCtx,
    nLayer: f.num('num_hidden_layers'),
    nHead,
    nKvHead: f.num('num_key_value_heads', nHead),
    dim: f.num('hidden_size'),
    headDim: f.has('head_dim') ? f.num('head_dim') : undefined,
    hiddenDim: f.num('intermediate_size'),
    rmsNormEps: f.num('rms_norm_eps', 1e-6),
    ropeTheta: f.num('rope_theta', 10000),
    tieEmbeddings: f.bool('tie_word_embeddings', false),
    qkvBias: modelType === 'qwen2' || attentionBias,
    oBias: attentionBias,
    mlpBias: modelType === 'llama' ? f.bool('mlp_bias', false) : false,
    initStd: f.num('initializer_range', 0.02),
  });
}

/** A Llama config as Hugging Face writes it for `modelType` (llama unless the model needs another). */
export function llamaToHfConfig(
  c: LlamaConfig,
  modelType: LlamaFamily = 'llama',
  tokens: SpecialTokens = {},
): Record<string, unknown> {
  const arch = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' };
  if (modelType === 'qwen2' && (!c.qkvBias || c.oBias || c.mlpBias)) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      'qwen2 has q/k/v biases and no other biases; this model differs',
      'save it as model type llama',
    );
  }
  if (modelType === 'mistral' && (c.qkvBias || c.oBias || c.mlpBias)) {
    throw new LlmkError('LLMK_E_CONFIG', 'mistral has no biases; this model has some', 'save it as llama');
  }
  if (modelType === 'llama' && c.qkvBias !== c.oBias) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      'llama attention_bias sets q/k/v and o biases together; this model has only q/k/v biases',
      'save it as model type qwen2',
    );
  }
  const out: Record<string, unknown> = {
    architectures: [arch[modelType]],
    model_type: modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKvHead,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.nCtx,
    initializer_range: c.initStd,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_dropout: 0,
    tie_word_embeddings: c.tieEmbeddings,
    torch_dtype: 'float32',
    ...(tokens.bosTokenId !== undefined ? { bos_token_id: tokens.bosTokenId } : {}),
    ...(tokens.eosTokenId !== undefined ? { eos_token_id: tokens.eosTokenId } : {}),
  };
  if (modelType === 'llama') {
    out.attention_bias = c.qkvBias;
    out.mlp_bias = c.mlpBias;
  }
  if (modelType === 'mistral') out.sliding_window = null;
  if (modelType === 'qwen2') out.use_sliding_window = false;
  return out;
}

/**
 * Maps a checkpoint's tensor name onto the model's; null drops a known non-parameter buffer.
 * A checkpoint of the bare LlamaModel (keys `layers.0.…`) gets the `model.` prefix.
 */
export function llamaWeightName(name: string, bare: boolean): string | null {
  if (name.endsWith('rotary_emb.inv_freq')) return null;
  return bare && name !== 'lm_head.weight' ? `model.${name}` : name;
}
