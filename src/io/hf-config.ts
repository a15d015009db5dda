/**
 * Hugging Face `config.json` ↔ llmk's typed configs for `gpt2` and the Llama family (`llama`, and
 * `mistral` and `qwen2`, whose differences are configuration only). Every field of the file is
 * accounted for: a field llmk maps, a field that does not change the forward pass (listed below with
 * why), or an error naming it. A supported field with a value llmk cannot honour (rope_scaling,
 * another activation, attention dropout…) is an error too, never a silently different model.
 * Field meanings: transformers' GPT2Config, LlamaConfig, MistralConfig, Qwen2Config.
 */
import { LlmkError } from '../errors.js';
import { type GPTConfig, gptConfig } from '../models/gpt/config.js';
import { type LlamaConfig, llamaConfig } from '../models/llama/config.js';

export type LlamaFamily = 'llama' | 'mistral' | 'qwen2';

export type HfModelConfig =
  | { arch: 'gpt2'; modelType: 'gpt2'; config: GPTConfig; special: SpecialTokens }
  | { arch: 'llama'; modelType: LlamaFamily; config: LlamaConfig; special: SpecialTokens };

export interface SpecialTokens {
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
}

/**
 * Fields of every PretrainedConfig that do not change the forward pass: bookkeeping, generation
 * defaults (generation reads them from generation_config.json) and outputs we never return.
 */
const NEUTRAL_COMMON = [
  'architectures',
  'model_type',
  'torch_dtype',
  'dtype',
  'transformers_version',
  '_name_or_path',
  'use_cache',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
  'is_decoder',
  'is_encoder_decoder',
  'id2label',
  'label2id',
  'task_specific_params',
  'tokenizer_class',
  'max_length',
  'do_sample',
  'temperature',
  'top_k',
  'top_p',
  'num_beams',
];

/** GPT-2: sequence-summary head fields (double-heads models only) and fields that only change numerics or caching. */
const NEUTRAL_GPT2 = [
  'summary_type',
  'summary_use_proj',
  'summary_activation',
  'summary_proj_to_labels',
  'summary_first_dropout',
  'reorder_and_upcast_attn', // computes the same attention in f32 (we always do)
  'gradient_checkpointing',
];

/** Llama family: fields that only change numerics or training-time sharding. */
const NEUTRAL_LLAMA = [
  'pretraining_tp', // splits matmuls for tensor-parallel pretraining; same math
  'max_window_layers', // Qwen2: which layers would use the sliding window (off unless use_sliding_window)
];

function configError(path: string, field: string, what: string, hint: string): LlmkError {
  return new LlmkError('LLMK_E_CONFIG', `${path}: field '${field}' ${what}`, hint);
}

class Fields {
  private readonly used = new Set<string>();

  constructor(
    private readonly json: Record<string, unknown>,
    readonly path: string,
  ) {}

  has(k: string): boolean {
    return this.json[k] !== undefined && this.json[k] !== null;
  }

  raw(k: string): unknown {
    this.used.add(k);
    return this.json[k];
  }

  num(k: string, fallback?: number): number {
    const v = this.raw(k);
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw configError(this.path, k, 'is missing', 'the config must give it');
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected a number`, 'fix the config');
    return v;
  }

  bool(k: string, fallback: boolean): boolean {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean')
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected true or false`, 'fix the config');
    return v;
  }

  str(k: string, fallback: string): string {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string')
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected a string`, 'fix the config');
    return v;
  }

  /** A field that must be absent/null (or equal one of `allowed`), else unsupported. */
  expect(k: string, allowed: unknown[], why: string): void {
    const v = this.raw(k);
    if (v === undefined || v === null || allowed.includes(v)) return;
    throw configError(this.path, k, `= ${JSON.stringify(v)} is not supported`, why);
  }

  /** Throws for the first field neither read nor neutral. */
  finish(neutral: readonly string[]): void {
    for (const k of Object.keys(this.json)) {
      if (this.used.has(k) || neutral.includes(k) || NEUTRAL_COMMON.includes(k)) continue;
      throw configError(
        this.path,
        k,
        'is not understood by llmk',
        'remove it if it does not change the model, or use a model type llmk supports',
      );
    }
  }
}

function special(f: Fields): SpecialTokens {
  const out: SpecialTokens = {};
  const bos = f.raw('bos_token_id');
  const eos = f.raw('eos_token_id');
  const pad = f.raw('pad_token_id');
  if (typeof bos === 'number') out.bosTokenId = bos;
  if (typeof eos === 'number' || (Array.isArray(eos) && eos.every((e) => typeof e === 'number')))
    out.eosTokenId = eos as number | number[];
  if (typeof pad === 'number') out.padTokenId = pad;
  return out;
}

function gptFromFields(f: Fields): GPTConfig {
  const act = f.str('activation_function', 'gelu_new');
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh' && act !== 'gelu') {
    throw configError(
      f.path,
      'activation_function',
      `= '${act}' is not supported`,
      "use 'gelu_new' / 'gelu_pytorch_tanh' (tanh GELU) or 'gelu' (exact erf GELU)",
    );
  }
  f.expect('scale_attn_weights', [true], 'llmk always scales attention scores by 1/√head_size');
  f.expect('scale_attn_by_inverse_layer_idx', [false], 'per-layer score scaling is not implemented');
  const nEmbd = f.num('n_embd', 768);
  const nCtx = f.num('n_positions', 1024);
  if (f.has('n_ctx') && f.num('n_ctx') !== nCtx) {
    throw configError(f.path, 'n_ctx', `differs from n_positions ${nCtx}`, 'make them equal');
  }
  f.raw('n_ctx');
  const inner = f.raw('n_inner');
  return gptConfig({
    vocabSize: f.num('vocab_size', 50257),
    nCtx,
    nEmbd,
    nLayer: f.num('n_layer', 12),
    nHead: f.num('n_head', 12),
    nInner: typeof inner === 'number' ? inner : undefined,
    nKvHead: f.has('llmk_n_kv_head') ? f.num('llmk_n_kv_head') : undefined,
    layerNormEps: f.num('layer_norm_epsilon', 1e-5),
    initStd: f.num('initializer_range', 0.02),
    dropout: f.num('resid_pdrop', 0),
    tieEmbeddings: f.bool('tie_word_embeddings', true),
    bias: f.bool('llmk_bias', true),
    norm: f.str('llmk_norm', 'layernorm') as GPTConfig['norm'],
    mlp: f.str('llmk_mlp', 'gelu') as GPTConfig['mlp'],
    gelu: act === 'gelu' ? 'erf' : 'tanh',
    positions: f.str('llmk_positions', 'learned') as GPTConfig['positions'],
    ropeTheta: f.num('llmk_rope_theta', 10000),
  });
}

function llamaFromFields(f: Fields, modelType: LlamaFamily, path: string): LlamaConfig {
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu') {
    throw configError(
      path,
      'hidden_act',
      `= '${act}' is not supported`,
      'Llama-family models use silu (SwiGLU)',
    );
  }
  f.expect('rope_scaling', [], 'RoPE scaling (linear, dynamic, yarn, llama3) is not implemented');
  f.expect('attention_dropout', [0], 'attention-probability dropout is not implemented; set it to 0');
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

/** Converts a parsed config.json (read from `path`, for messages) into a typed config. */
export function configFromHf(json: Record<string, unknown>, path: string): HfModelConfig {
  const modelType = json.model_type;
  const f = new Fields(json, path);
  if (modelType === 'gpt2') {
    const config = gptFromFields(f);
    // Embedding and attention dropout act only in training; llmk trains with the one resid_pdrop rate.
    f.finish([...NEUTRAL_GPT2, 'embd_pdrop', 'attn_pdrop']);
    return { arch: 'gpt2', modelType, config, special: special(f) };
  }
  if (modelType === 'llama' || modelType === 'mistral' || modelType === 'qwen2') {
    const config = llamaFromFields(f, modelType, path);
    f.finish(NEUTRAL_LLAMA);
    return { arch: 'llama', modelType, config, special: special(f) };
  }
  throw new LlmkError(
    'LLMK_E_UNSUPPORTED',
    `${path}: model_type ${JSON.stringify(modelType)} is not supported here`,
    'supported: gpt2, llama, mistral, qwen2 (bert loads through the BERT model)',
  );
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
