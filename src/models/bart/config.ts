/**
 * BART / Marian configuration: plain typed data, every field required internally, each default with
 * its why. `bartConfig(partial)` validates and fills defaults; Hugging Face config.json maps in hf.ts.
 * One config serves both: Marian is BART's modules with sinusoidal positions, √C-scaled embeddings
 * and no embedding LayerNorm (transformers `modeling_marian.py` is "copied from" `modeling_bart.py`).
 */
import { z } from 'zod';
import { LlmkError } from '../../errors.js';
import { parseConfig } from '../parse-config.js';

export type BartFlavor = 'bart' | 'marian';
/** HF activation_function values llmk computes exactly: gelu (erf), gelu_new (tanh), relu, swish = silu. */
export type BartActivation = 'gelu' | 'gelu_new' | 'relu' | 'swish';

export interface BartConfig {
  /** 'bart' (learned positions + layernorm_embedding) or 'marian' (sinusoidal positions, none). */
  flavor: BartFlavor;
  /** Shared source/target vocabulary (bart-base 50265, opus-mt-en-de 58101). */
  vocabSize: number;
  /** Model width C (bart-base 768, opus-mt 512). */
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderAttentionHeads: number;
  decoderAttentionHeads: number;
  /** Feed-forward widths (4·C in both). */
  encoderFfnDim: number;
  decoderFfnDim: number;
  /** Positions per sequence (bart 1024, marian 512); BART's table has 2 more rows (the offset). */
  maxPositionEmbeddings: number;
  /** BART: 'gelu' (exact erf); Marian: 'swish'. */
  activation: BartActivation;
  /** Multiply token embeddings by √C (Marian true, BART false). */
  scaleEmbedding: boolean;
  /** Dropout on embeddings and residual branches (BART 0.1); attention/activation dropout are not applied. */
  dropout: number;
  /** Std of the normal weight init (HF init_std 0.02). */
  initStd: number;
  /** lm_head is model.shared (true in every BART/Marian checkpoint). */
  tieWordEmbeddings: boolean;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  /** First decoder input (BART: eos 2; Marian: pad). */
  decoderStartTokenId: number;
  /** Token forced at the first generated position (BART: bos 0), or null. */
  forcedBosTokenId: number | null;
  /** Token forced when the length limit is reached (BART: eos 2), or null. */
  forcedEosTokenId: number | null;
}

/** LayerNorm epsilon of every BART/Marian norm: torch.nn.LayerNorm's default, which HF uses. */
export const BART_LAYER_NORM_EPS = 1e-5;
/** BartLearnedPositionalEmbedding's offset: "if padding_idx is specified then offset the embedding ids by 2". */
export const BART_POSITION_OFFSET = 2;

const schema = z
  .object({
    flavor: z.enum(['bart', 'marian']).default('bart'),
    vocabSize: z.number().int().positive(),
    dModel: z.number().int().positive().default(64),
    encoderLayers: z.number().int().positive().default(2),
    decoderLayers: z.number().int().positive().default(2),
    encoderAttentionHeads: z.number().int().positive().default(4),
    decoderAttentionHeads: z.number().int().positive().default(4),
    encoderFfnDim: z.number().int().positive().optional(),
    decoderFfnDim: z.number().int().positive().optional(),
    maxPositionEmbeddings: z.number().int().positive().default(128),
    activation: z.enum(['gelu', 'gelu_new', 'relu', 'swish']).optional(),
    scaleEmbedding: z.boolean().optional(),
    dropout: z.number().min(0).lt(1).default(0.1),
    initStd: z.number().positive().default(0.02),
    tieWordEmbeddings: z.boolean().default(true),
    padTokenId: z.number().int().min(0).default(1),
    bosTokenId: z.number().int().min(0).default(0),
    eosTokenId: z.number().int().min(0).default(2),
    decoderStartTokenId: z.number().int().min(0).optional(),
    forcedBosTokenId: z.number().int().min(0).nullable().default(null),
    forcedEosTokenId: z.number().int().min(0).nullable().default(null),
  })
  .strict();

export type BartConfigInput = z.input<typeof schema>;

export function bartConfig(input: BartConfigInput): BartConfig {
  const c = parseConfig(schema, input, 'BART');
  const marian = c.flavor === 'marian';
  for (const [heads, which] of [
    [c.encoderAttentionHeads, 'encoderAttentionHeads'],
    [c.decoderAttentionHeads, 'decoderAttentionHeads'],
  ] as const) {
    if (c.dModel % heads !== 0) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `dModel ${c.dModel} is not divisible by ${which} ${heads}`,
        'choose dModel = heads × head size',
      );
    }
  }
  if (marian && c.dModel % 2 !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `Marian dModel ${c.dModel} is odd`,
      'sinusoidal positions split the width into sin and cos halves; use an even dModel',
    );
  }
  for (const [id, which] of [
    [c.padTokenId, 'padTokenId'],
    [c.bosTokenId, 'bosTokenId'],
    [c.eosTokenId, 'eosTokenId'],
  ] as const) {
    if (id >= c.vocabSize) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `${which} ${id} is outside the vocabulary of ${c.vocabSize}`,
        'special token ids must be below vocabSize',
      );
    }
  }
  return {
    ...c,
    encoderFfnDim: c.encoderFfnDim ?? 4 * c.dModel,
    decoderFfnDim: c.decoderFfnDim ?? 4 * c.dModel,
    activation: c.activation ?? (marian ? 'swish' : 'gelu'),
    scaleEmbedding: c.scaleEmbedding ?? marian,
    decoderStartTokenId: c.decoderStartTokenId ?? (marian ? c.padTokenId : c.eosTokenId),
  };
}
