/**
 * Checkpoints are Hugging Face model directories: config.json, model.safetensors (HF tensor names),
 * generation_config.json, tokenizer.json when known. Training state (optimizer.safetensors,
 * trainer_state.json) is written beside them by the Trainer (train/trainer.ts).
 * Every file is written to a temporary name and renamed, and the directory itself is written as
 * `<dir>.tmp-<pid>` and renamed into place, so an interrupted save never leaves a half checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { type GPTConfig, gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import type { Engine } from '../tensor/engine.js';
import { loadTokenizer } from '../tokenize/load.js';
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
    activation_function: 'gelu_new',
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

export function gptFromHfConfig(json: Record<string, unknown>, path: string): GPTConfig {
  if (json.model_type !== 'gpt2') {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${path}: model_type '${String(json.model_type)}' is not gpt2`,
      'this loader reads GPT-2 style checkpoints',
    );
  }
  const num = (k: string): number | undefined =>
    typeof json[k] === 'number' ? (json[k] as number) : undefined;
  const str = <T extends string>(k: string): T | undefined =>
    typeof json[k] === 'string' ? (json[k] as T) : undefined;
  return gptConfig({
    vocabSize: num('vocab_size') ?? 50257,
    nCtx: num('n_positions') ?? 1024,
    nEmbd: num('n_embd') ?? 768,
    nLayer: num('n_layer') ?? 12,
    nHead: num('n_head') ?? 12,
    nInner: num('n_inner') ?? undefined,
    nKvHead: num('llmk_n_kv_head'),
    layerNormEps: num('layer_norm_epsilon') ?? 1e-5,
    initStd: num('initializer_range') ?? 0.02,
    dropout: num('resid_pdrop') ?? 0,
    tieEmbeddings: json.tie_word_embeddings !== false,
    bias: json.llmk_bias !== false,
    norm: str<'layernorm' | 'rmsnorm'>('llmk_norm') ?? 'layernorm',
    mlp: str<'gelu' | 'swiglu'>('llmk_mlp') ?? 'gelu',
    positions: str<'learned' | 'rotary'>('llmk_positions') ?? 'learned',
    ropeTheta: num('llmk_rope_theta') ?? 10000,
  });
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

export interface LoadedCheckpoint {
  model: GPT;
  config: GPTConfig;
  tokenizer: Tokenizer | null;
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path} does not exist`,
      'point --model at a checkpoint directory with config.json and model.safetensors',
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: invalid JSON (${(e as Error).message})`,
      'the checkpoint is corrupt; restore it or save again',
    );
  }
}

/** Loads a GPT checkpoint directory written by saveCheckpoint (or a Hugging Face GPT-2 directory). */
export function loadCheckpoint(engine: Engine, dir: string): LoadedCheckpoint {
  const config = gptFromHfConfig(readJson(join(dir, 'config.json')), join(dir, 'config.json'));
  const weights = readSafetensors(join(dir, 'model.safetensors'));
  const model = new GPT(engine, config);
  const values = new Map<string, Float32Array>();
  for (const [name, t] of weights) {
    if (!(t.data instanceof Float32Array)) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${dir}: tensor '${name}' has dtype ${t.dtype}`,
        'model weights must be float (F32/F16/BF16)',
      );
    }
    values.set(name, t.data);
  }
  model.loadState(values);
  const tokPath = join(dir, 'tokenizer.json');
  const tokenizer = existsSync(tokPath) ? loadTokenizer(tokPath) : null;
  return { model, config, tokenizer };
}
