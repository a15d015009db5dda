/**
 * Checkpoints are Hugging Face model directories: config.json, model.safetensors (HF tensor names),
 * generation_config.json, tokenizer.json when known. Training state (optimizer.safetensors,
 * trainer_state.json) is written beside them by the Trainer (train/trainer.ts).
 * Every file is written to a temporary name and renamed, and the directory itself is written as
 * `<dir>.tmp-<pid>` and renamed into place, so an interrupted save never leaves a half checkpoint.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import type { GPTConfig } from '../models/gpt/config.js';
import type { GPT } from '../models/gpt/model.js';
import type { Tokenizer } from '../tokenize/types.js';
import { readSafetensors, type SafetensorsWriteTensor, writeSafetensors } from './safetensors.js';

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

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/**
 * Builds a directory at `<dir>.tmp-<pid>` with `fill`, then swaps it into place; an existing `dir`
 * is removed only after the new one is complete, so an interrupted save never loses a checkpoint.
 */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Writes the Hugging Face model files of a GPT into an existing directory. */
export function saveModelFiles(
  dir: string,
  model: GPT,
  tokenizer: Tokenizer | null,
  generation: Record<string, unknown> = {},
): void {
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of model.namedParameters())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: t.values() as Float32Array };
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), gptToHfConfig(model.config));
  writeJsonAtomic(join(dir, 'generation_config.json'), { _from_model_config: true, ...generation });
  if (tokenizer) tokenizer.save(join(dir, 'tokenizer.json'));
}

/** Saves a GPT as a Hugging Face model directory at `dir`, atomically. */
export function saveCheckpoint(
  dir: string,
  model: GPT,
  options: { tokenizer?: Tokenizer | null } = {},
): void {
  writeDirAtomic(dir, (tmp) => saveModelFiles(tmp, model, options.tokenizer ?? null));
}

/** The float weights of `dir/model.safetensors` by name (F16/BF16 widened to f32). */
export function readModelWeights(dir: string): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const [name, t] of readSafetensors(join(dir, 'model.safetensors'))) {
    if (!(t.data instanceof Float32Array)) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${dir}: tensor '${name}' has dtype ${t.dtype}`,
        'model weights must be float (F32/F16/BF16)',
      );
    }
    values.set(name, t.data);
  }
  return values;
}
