/**
 * Llama configuration: plain typed data, every field required internally, each default with its why.
 * Also covers Mistral and Qwen2, whose differences from Llama are configuration only (Qwen2: biases on
 * q/k/v; Mistral: a sliding window that never acts within `nCtx` tokens — see hf-config.ts).
 */
import { z } from 'zod';
import { LlmkError } from '../../errors.js';
import { parseConfig } from '../parse-config.js';

export interface LlamaConfig {
  /** Tokens in the vocabulary (Llama 2: 32000; stories260K: 512). */
  vocabSize: number;
  /** Maximum sequence length (HF max_position_embeddings). */
  nCtx: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads; < nHead is grouped-query attention (Llama 2 7B: = nHead; 70B: 8). */
  nKvHead: number;
  /** Model width (HF hidden_size). */
  dim: number;
  /** Per-head width (HF head_dim; dim / nHead unless the config says otherwise). */
  headDim: number;
  /** SwiGLU hidden width (HF intermediate_size). */
  hiddenDim: number;
  /** RMSNorm epsilon (Llama 2: 1e-5; llama2.c hard-codes 1e-5). */
  rmsNormEps: number;
  /** RoPE base θ (Llama 2: 10000; Llama 3: 500000). */
  ropeTheta: number;
  /** lm_head shares embed_tokens (llama2.c "shared classifier"; HF tie_word_embeddings). */
  tieEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2: true; Llama: attention_bias). */
  qkvBias: boolean;
  /** Bias on the output projection (Llama attention_bias: true sets it too; Qwen2: false). */
  oBias: boolean;
  /** Biases in the SwiGLU projections (HF mlp_bias). */
  mlpBias: boolean;
  /** Std of the normal weight init (HF initializer_range: 0.02). */
  initStd: number;
}

const schema = z
  .object({
    vocabSize: z.number().int().positive(),
    nCtx: z.number().int().positive(),
    nLayer: z.number().int().positive(),
    nHead: z.number().int().positive(),
    nKvHead: z.number().int().positive().optional(),
    dim: z.number().int().positive(),
    headDim: z.number().int().positive().optional(),
    hiddenDim: z.number().int().positive(),
    rmsNormEps: z.number().positive().default(1e-5),
    ropeTheta: z.number().positive().default(10000),
    tieEmbeddings: z.boolean().default(false),
    qkvBias: z.boolean().default(false),
    oBias: z.boolean().default(false),
    mlpBias: z.boolean().default(false),
    initStd: z.number().positive().default(0.02),
  })
  .strict();

export type LlamaConfigInput = z.input<typeof schema>;

export function llamaConfig(input: LlamaConfigInput): LlamaConfig {
  const c = parseConfig(schema, input, 'Llama');
  const nKvHead = c.nKvHead ?? c.nHead;
  if (c.headDim === undefined && c.dim % c.nHead !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `dim ${c.dim} is not divisible by nHead ${c.nHead}`,
      'choose dim = nHead × head size, or give headDim',
    );
  }
  const headDim = c.headDim ?? c.dim / c.nHead;
  if (headDim % 2 !== 0) {
    throw new LlmkError('LLMK_E_CONFIG', `head size ${headDim} is odd`, 'rotary embeddings rotate pairs');
  }
  if (c.nHead % nKvHead !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `nHead ${c.nHead} is not a multiple of nKvHead ${nKvHead}`,
      'grouped-query attention needs nHead = k × nKvHead',
    );
  }
  return { ...c, nKvHead, headDim };
}
