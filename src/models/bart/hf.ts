/**
 * BART's and Marian's Hugging Face adapter and registry entries: config.json (transformers'
 * BartConfig `model_type: bart`, MarianConfig `model_type: marian`) ↔ BartConfig, and checkpoint
 * names. Files written by transformers ≥ 4 hold `model.shared.weight` and leave out the tied
 * aliases (`model.{encoder,decoder}.embed_tokens.weight`, `lm_head.weight`) and Marian's sinusoidal
 * tables (`_keys_to_ignore_on_save`); older files hold them, so they are accepted (tied aliases load
 * into the one shared tensor, Marian position tables are recomputed and dropped).
 */
import { LlmkError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { ModelFamily } from '../family.js';
import { configError, Fields, type SpecialTokens } from '../hf-fields.js';
import { type BartActivation, type BartConfig, type BartFlavor, bartConfig } from './config.js';
import { BartForConditionalGeneration } from './model.js';

/** Fields that change training only, generation defaults, or pre-4.0 names modern code ignores. */
const NEUTRAL_BART = [
  // Training only: llmk applies `dropout` to embeddings and residual branches, nothing else.
  'activation_dropout',
  'attention_dropout',
  'classifier_dropout',
  'classif_dropout',
  'encoder_layerdrop',
  'decoder_layerdrop',
  'gradient_checkpointing',
  // = encoder_layers in BartConfig (a property for generic code).
  'num_hidden_layers',
  // Generation defaults (llmk's seq2seq generation takes them as options).
  'early_stopping',
  'no_repeat_ngram_size',
  'length_penalty',
  'min_length',
  'num_beams',
  'max_length',
  'bad_words_ids',
  'num_return_sequences',
  'prefix',
  // Sequence-classification head fields (llmk builds the generation model only).
  'num_labels',
  'problem_type',
  // transformers 3.x config fields that transformers ≥ 4 ignores for bart/marian.
  'static_position_embeddings',
  'normalize_embedding',
  'add_bias_logits',
  'extra_pos_embeddings',
  'output_past',
  'force_bos_token_to_be_generated',
];

const ACTIVATIONS: Record<string, BartActivation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
  swish: 'swish',
  silu: 'swish',
};

function optionalId(f: Fields, k: string): number | null {
  const v = f.raw(k);
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw configError(f.path, k, `is ${JSON.stringify(v)}, expected a token id`, 'fix the config');
  return v;
}

export interface ParsedBart {
  config: BartConfig;
  special: SpecialTokens;
}

/** config.json of a bart or marian checkpoint → BartConfig, every field accounted for. */
export function bartFromHfConfig(json: Record<string, unknown>, path: string): ParsedBart {
  const f = new Fields(json, path);
  const flavor = f.str('model_type', 'bart') as BartFlavor;
  if (flavor !== 'bart' && flavor !== 'marian') {
    throw configError(
      path,
      'model_type',
      `= '${flavor}' is not bart or marian`,
      'this adapter reads BART and Marian',
    );
  }
  const marian = flavor === 'marian';
  const act = f.str('activation_function', marian ? 'swish' : 'gelu');
  const activation = ACTIVATIONS[act];
  if (!activation) {
    throw configError(
      path,
      'activation_function',
      `= '${act}' is not supported`,
      `use one of ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  }
  f.expect(
    'normalize_before',
    [false],
    'pre-LN layers (mBART) are not BART; transformers ≥ 4 builds post-LN bart/marian',
  );
  f.expect(
    'add_final_layer_norm',
    [false],
    'llmk reads BART and Marian, which have no final encoder/decoder LayerNorm (that is mBART); use a BART or Marian checkpoint',
  );
  f.expect(
    'share_encoder_decoder_embeddings',
    [true],
    'llmk reads Marian checkpoints with one shared vocabulary; this one has separate source/target vocabularies',
  );
  const vocabSize = f.num('vocab_size', marian ? 58101 : 50265);
  if (f.has('decoder_vocab_size') && f.num('decoder_vocab_size') !== vocabSize) {
    throw configError(
      path,
      'decoder_vocab_size',
      `differs from vocab_size ${vocabSize}`,
      'llmk reads Marian checkpoints with one shared vocabulary; this one declares a separate target vocabulary',
    );
  }
  f.raw('decoder_vocab_size');
  const pad = f.num('pad_token_id', marian ? vocabSize - 1 : 1);
  const config = bartConfig({
    flavor,
    vocabSize,
    dModel: f.num('d_model', marian ? 512 : 1024),
    encoderLayers: f.num('encoder_layers', 12),
    decoderLayers: f.num('decoder_layers', 12),
    encoderAttentionHeads: f.num('encoder_attention_heads', 16),
    decoderAttentionHeads: f.num('decoder_attention_heads', 16),
    encoderFfnDim: f.num('encoder_ffn_dim', 4096),
    decoderFfnDim: f.num('decoder_ffn_dim', 4096),
    maxPositionEmbeddings: f.num('max_position_embeddings', 1024),
    activation,
    scaleEmbedding: f.bool('scale_embedding', marian),
    dropout: f.num('dropout', 0.1),
    initStd: f.num('init_std', 0.02),
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    padTokenId: pad,
    bosTokenId: f.num('bos_token_id', 0),
    eosTokenId: f.num('eos_token_id', marian ? 0 : 2),
    decoderStartTokenId: f.num('decoder_start_token_id', marian ? pad : 2),
    forcedBosTokenId: optionalId(f, 'forced_bos_token_id'),
    forcedEosTokenId: optionalId(f, 'forced_eos_token_id'),
  });
  const special: SpecialTokens = {
    bosTokenId: config.bosTokenId,
    eosTokenId: config.eosTokenId,
    padTokenId: config.padTokenId,
  };
  f.finish(NEUTRAL_BART);
  return { config, special };
}

/** BartConfig → config.json as transformers writes it for BartForConditionalGeneration / MarianMTModel. */
export function bartToHfConfig(c: BartConfig): Record<string, unknown> {
  const marian = c.flavor === 'marian';
  const json: Record<string, unknown> = {
    architectures: [marian ? 'MarianMTModel' : 'BartForConditionalGeneration'],
    model_type: c.flavor,
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    encoder_layers: c.encoderLayers,
    decoder_layers: c.decoderLayers,
    encoder_attention_heads: c.encoderAttentionHeads,
    decoder_attention_heads: c.decoderAttentionHeads,
    encoder_ffn_dim: c.encoderFfnDim,
    decoder_ffn_dim: c.decoderFfnDim,
    max_position_embeddings: c.maxPositionEmbeddings,
    activation_function: c.activation,
    scale_embedding: c.scaleEmbedding,
    dropout: c.dropout,
    // llmk applies no dropout on attention probabilities or activations.
    attention_dropout: 0,
    activation_dropout: 0,
    init_std: c.initStd,
    tie_word_embeddings: c.tieWordEmbeddings,
    pad_token_id: c.padTokenId,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    decoder_start_token_id: c.decoderStartTokenId,
    forced_bos_token_id: c.forcedBosTokenId,
    forced_eos_token_id: c.forcedEosTokenId,
    is_encoder_decoder: true,
    torch_dtype: 'float32',
  };
  if (marian) {
    json.share_encoder_decoder_embeddings = true;
    json.decoder_vocab_size = c.vocabSize;
  }
  return json;
}

export function isBart(model: Module): model is BartForConditionalGeneration {
  return model instanceof BartForConditionalGeneration;
}

/** The model as a BART/Marian, or a typed error naming what was loaded instead. */
export function asBart(model: Module, where: string): BartForConditionalGeneration {
  if (!isBart(model)) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${where} holds a ${model.constructor.name}, not an encoder–decoder (BART/Marian) model`,
      'pass a model directory whose config.json has model_type "bart" or "marian"',
    );
  }
  return model;
}

/** Checkpoint key → model name; null drops Marian's recomputed position tables. */
function bartWeightName(flavor: BartFlavor, key: string, bare: boolean): string | null {
  if (flavor === 'marian' && /^(model\.)?(encoder|decoder)\.embed_positions\.weight$/.test(key)) return null;
  return bare && key !== 'lm_head.weight' && key !== 'final_logits_bias' ? `model.${key}` : key;
}

function family(flavor: BartFlavor): ModelFamily {
  return {
    modelTypes: [flavor],
    causal: false,
    parseConfig: (json, path) => bartFromHfConfig(json, path).config,
    build(engine, json, path, options) {
      if (options.architecture !== undefined && !/ConditionalGeneration|MTModel/.test(options.architecture)) {
        throw new LlmkError(
          'LLMK_E_ARG',
          `${flavor} architecture '${options.architecture}' is not supported`,
          flavor === 'marian' ? 'use MarianMTModel' : 'use BartForConditionalGeneration',
        );
      }
      const { config, special } = bartFromHfConfig(json, path);
      const model = new BartForConditionalGeneration(engine, config, { init: 'empty' });
      // Every tensor must be in the file, final_logits_bias included (HF saves the buffer with the
      // ForConditionalGeneration weights); a bare BartModel file is not a generation model.
      return { model, modelType: flavor, special, task: null, partial: null };
    },
    weightNames(keys) {
      const bare = keys.length > 0 && !keys.some((k) => k.startsWith('model.'));
      return (key) => bartWeightName(flavor, key, bare);
    },
    owns: (model) => isBart(model) && model.config.flavor === flavor,
    toHfConfig: (model) => bartToHfConfig(asBart(model, 'saveModel').config),
  };
}

export const bartFamily: ModelFamily = family('bart');
export const marianFamily: ModelFamily = family('marian');
