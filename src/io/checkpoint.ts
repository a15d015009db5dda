/**
 * Checkpoints are Hugging Face model directories: config.json, model.safetensors (HF tensor names),
 * generation_config.json, tokenizer.json when known — plus training state beside them:
 * optimizer.safetensors (AdamW moments per parameter name) and trainer_state.json.
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

export interface SaveOptions {
  tokenizer?: Tokenizer | null;
  /** Named flat buffers per parameter (e.g. exp_avg → name → values), written to optimizer.safetensors. */
  optimizer?: Record<string, Map<string, Float32Array>>;
  trainerState?: Record<string, unknown>;
  generation?: Record<string, unknown>;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Writes `model` (and optional training state) as a Hugging Face directory at `dir`, atomically. */
export function saveCheckpoint(dir: string, model: GPT, options: SaveOptions = {}): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of model.namedParameters())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: t.values() as Float32Array };
  writeSafetensors(join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(tmp, 'config.json'), gptToHfConfig(model.config));
  writeJsonAtomic(join(tmp, 'generation_config.json'), {
    _from_model_config: true,
    ...(options.generation ?? {}),
  });
  if (options.tokenizer) options.tokenizer.save(join(tmp, 'tokenizer.json'));
  if (options.optimizer) {
    const opt: Record<string, SafetensorsWriteTensor> = {};
    for (const [kind, byName] of Object.entries(options.optimizer)) {
      for (const [name, data] of byName)
        opt[`${kind}.${name}`] = { dtype: 'F32', shape: [data.length], data };
    }
    writeSafetensors(join(tmp, 'optimizer.safetensors'), opt);
  }
  if (options.trainerState) writeJsonAtomic(join(tmp, 'trainer_state.json'), options.trainerState);
  // Swap into place: the old checkpoint (if any) is removed only after the new one is complete.
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  model: GPT;
  config: GPTConfig;
  tokenizer: Tokenizer | null;
  trainerState: Record<string, unknown> | null;
  /** kind → parameter name → values, when optimizer.safetensors exists. */
  optimizer: Record<string, Map<string, Float32Array>> | null;
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
  const statePath = join(dir, 'trainer_state.json');
  const trainerState = existsSync(statePath) ? readJson(statePath) : null;
  const optPath = join(dir, 'optimizer.safetensors');
  let optimizer: Record<string, Map<string, Float32Array>> | null = null;
  if (existsSync(optPath)) {
    optimizer = {};
    for (const [key, t] of readSafetensors(optPath)) {
      const dot = key.indexOf('.');
      const kind = key.slice(0, dot);
      if (!(t.data instanceof Float32Array))
        throw new LlmkError('LLMK_E_CHECKPOINT', `${optPath}: '${key}' is not F32`);
      optimizer[kind] ??= new Map();
      optimizer[kind].set(key.slice(dot + 1), t.data);
    }
  }
  return { model, config, tokenizer, trainerState, optimizer };
}
