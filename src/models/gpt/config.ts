/**
 * GPT configuration: plain typed data, every field required internally, each default with its why.
 * `gptConfig(partial)` validates and fills defaults; Hugging Face config.json maps in hf.ts.
 */
import { z } from 'zod';
import { LlmkError } from '../../errors.js';
import { parseConfig } from '../parse-config.js';

export interface GPTConfig {
  /** Tokens in the vocabulary (GPT-2: 50257). */
  vocabSize: number;
  /** Maximum sequence length (GPT-2 n_positions: 1024). */
  nCtx: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads; < nHead is grouped-query attention (GPT-2: = nHead). */
  nKvHead: number;
  nEmbd: number;
  /** MLP hidden width (GPT-2: 4·nEmbd). */
  nInner: number;
  /** Biases in linear layers and norms (GPT-2: true; many modern variants drop them). */
  bias: boolean;
  norm: 'layernorm' | 'rmsnorm';
  /** 'gelu' (GPT-2) or 'swiglu' (Llama-style gated MLP). */
  mlp: 'gelu' | 'swiglu';
  /**
   * GELU form for mlp 'gelu': 'tanh' (GPT-2's approximation, HF `gelu_new`) or 'erf' (the exact
   * form, PyTorch's `nn.GELU()` as nanoGPT uses it, HF `gelu`).
   */
  gelu: 'tanh' | 'erf';
  /** 'learned' absolute positions (GPT-2) or 'rotary' (RoPE, no position table). */
  positions: 'learned' | 'rotary';
  ropeTheta: number;
  /** Dropout on embeddings, residual branches and attention probabilities (GPT-2 pretraining: 0.1). */
  dropout: number;
  layerNormEps: number;
  /** lm_head shares wte (GPT-2: true). */
  tieEmbeddings: boolean;
  /** Std of the normal weight init (GPT-2 initializer_range: 0.02). */
  initStd: number;
}

const schema = z
  .object({
    vocabSize: z.number().int().positive(),
    nCtx: z.number().int().positive(),
    nLayer: z.number().int().positive(),
    nHead: z.number().int().positive(),
    nKvHead: z.number().int().positive().optional(),
    nEmbd: z.number().int().positive(),
    nInner: z.number().int().positive().optional(),
    bias: z.boolean().default(true),
    norm: z.enum(['layernorm', 'rmsnorm']).default('layernorm'),
    mlp: z.enum(['gelu', 'swiglu']).default('gelu'),
    gelu: z.enum(['tanh', 'erf']).default('tanh'),
    positions: z.enum(['learned', 'rotary']).default('learned'),
    ropeTheta: z.number().positive().default(10000),
    dropout: z.number().min(0).lt(1).default(0),
    layerNormEps: z.number().positive().default(1e-5),
    tieEmbeddings: z.boolean().default(true),
    initStd: z.number().positive().default(0.02),
  })
  .strict();

export type GPTConfigInput = z.input<typeof schema>;

export function gptConfig(input: GPTConfigInput): GPTConfig {
  const c = parseConfig(schema, input, 'GPT');
  const nKvHead = c.nKvHead ?? c.nHead;
  if (c.nEmbd % c.nHead !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`,
      'choose nEmbd = nHead × head size',
    );
  }
  if (c.nHead % nKvHead !== 0) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `nHead ${c.nHead} is not a multiple of nKvHead ${nKvHead}`,
      'grouped-query attention needs nHead = k × nKvHead',
    );
  }
  return { ...c, nKvHead, nInner: c.nInner ?? 4 * c.nEmbd };
}

/**
 * nanoGPT's CPU "baby" Shakespeare config (char-level, 4 layers, 4 heads, 128 dims, context 64) with
 * nanoGPT's model defaults: no biases (`bias = False` in its train.py) and the exact GELU (`nn.GELU()`).
 */
export const BABY_CONFIG: GPTConfigInput = {
  vocabSize: 65,
  nCtx: 64,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  dropout: 0,
  bias: false,
  gelu: 'erf',
};
