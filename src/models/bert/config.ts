/**
 * BERT configuration: plain typed data, every field required internally, each default with its why.
 * `bertConfig(partial)` validates and fills defaults; Hugging Face config.json maps in hf.ts.
 */
import { z } from 'zod';
import { LlmkError } from '../../errors.js';
import { parseConfig } from '../parse-config.js';

export interface BertConfig {
  /** Tokens in the vocabulary (bert-base-uncased: 30522). */
  vocabSize: number;
  /** Model width C (bert-base: 768). */
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Feed-forward width (BERT: 4·hiddenSize). */
  intermediateSize: number;
  /** Learned position table size (BERT: 512). */
  maxPositionEmbeddings: number;
  /** Segment ids (2: sentence A / B). llmk's NER casing feature uses 4. */
  typeVocabSize: number;
  /** BERT's LayerNorm epsilon (1e-12, as in the original TensorFlow code). */
  layerNormEps: number;
  /** Dropout on embeddings and residual branches (BERT: 0.1). Attention-probability dropout is not applied. */
  hiddenDropout: number;
  /** Std of the normal weight init (BERT initializer_range: 0.02). */
  initStd: number;
  /** Id of [PAD] (BERT: 0); padded positions are masked out of attention. */
  padTokenId: number;
}

const schema = z
  .object({
    vocabSize: z.number().int().positive(),
    hiddenSize: z.number().int().positive().default(128),
    numHiddenLayers: z.number().int().positive().default(2),
    numAttentionHeads: z.number().int().positive().default(2),
    intermediateSize: z.number().int().positive().optional(),
    maxPositionEmbeddings: z.number().int().positive().default(512),
    typeVocabSize: z.number().int().positive().default(2),
    layerNormEps: z.number().positive().default(1e-12),
    hiddenDropout: z.number().min(0).lt(1).default(0.1),
    initStd: z.number().positive().default(0.02),
    padTokenId: z.number().int().min(0).default(0),
  })
  .strict();

export type BertConfigInput = z.input<typeof schema>;

export function bertConfig(input: BertConfigInput): BertConfig {
  const c = parseConfig(schema, input, 'BERT');
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `hiddenSize ${c.hiddenSize} is not divisible by numAttentionHeads ${c.numAttentionHeads}`,
      'choose hiddenSize = heads × head size',
    );
  }
  return { ...c, intermediateSize: c.intermediateSize ?? 4 * c.hiddenSize };
}
