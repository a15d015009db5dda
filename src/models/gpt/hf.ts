/**
 * GPT-2's Hugging Face adapter: `config.json` (transformers' GPT2Config, plus llmk_* fields for the
 * non-GPT-2 variants) ↔ GPTConfig, and checkpoint tensor names ↔ the model's.
 */
import { configError, type Fields } from '../hf-fields.js';
import { type GPTConfig, gptConfig } from './config.js';

/** GPT-2: sequence-summary head fields (double-heads models only) and fields that only change numerics or caching. */
export const NEUTRAL_GPT2 = [
  'summary_type',
  'summary_use_proj',
  'summary_activation',
  'summary_proj_to_labels',
  'summary_first_dropout',
  'reorder_and_upcast_attn', // computes the same attention in f32 (we always do)
  'gradient_checkpointing',
];

export function gptFromFields(f: Fields): GPTConfig {
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
  f.expect(
    'scale_attn_by_inverse_layer_idx',
    [false],
    "llmk scales every layer's scores by 1/√head_size only; this checkpoint needs per-layer scaling, which llmk does not support",
  );
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

/** GPT config ↔ Hugging Face GPT2Config fields (plus llmk_* fields for the non-GPT-2 variants). */
export function gptToHfConfig(c: GPTConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nCtx,
    n_ctx: c.nCtx,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: c.nInner,
    activation_function: c.gelu === 'erf' ? 'gelu' : 'gelu_new',
    layer_norm_epsilon: c.layerNormEps,
    initializer_range: c.initStd,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    tie_word_embeddings: c.tieEmbeddings,
    torch_dtype: 'float32',
    llmk_bias: c.bias,
    llmk_norm: c.norm,
    llmk_mlp: c.mlp,
    llmk_positions: c.positions,
    llmk_rope_theta: c.ropeTheta,
    llmk_n_kv_head: c.nKvHead,
  };
}

/**
 * Maps a checkpoint's tensor name onto the model's; null drops a known non-parameter buffer.
 * A checkpoint of the bare GPT2Model (keys `h.0.…`) gets the `transformer.` prefix.
 */
export function gptWeightName(name: string, bare: boolean): string | null {
  // GPT-2 checkpoints from before transformers 4.x store the causal mask as h.N.attn.bias / masked_bias.
  if (/(^|\.)h\.\d+\.attn\.(masked_)?bias$/.test(name)) return null;
  return bare && name !== 'lm_head.weight' ? `transformer.${name}` : name;
}
