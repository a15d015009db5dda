/**
 * `fromPretrained(dir)` / `savePretrained(dir)`: Hugging Face model directories (config.json, a
 * single or sharded safetensors checkpoint, generation_config.json, a tokenizer) for GPT-2 and the
 * Llama family. Weights are matched by name: a checkpoint of the bare base model (GPT2Model keys
 * `h.0.…`, LlamaModel keys `layers.0.…`) gets the `transformer.` / `model.` prefix; causal-mask and
 * rotary-frequency buffers that old checkpoints carry are dropped; F16/BF16 widen to f32 on load.
 * Missing, extra, misshapen or non-float tensors are errors naming the tensor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import type { GPTConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { Llama } from '../models/llama/model.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import { Llama2cTokenizer } from '../tokenize/llama2c.js';
import { loadTokenizer } from '../tokenize/load.js';
import type { Tokenizer } from '../tokenize/types.js';
import { gptToHfConfig, writeDirAtomic, writeJsonAtomic } from './checkpoint.js';
import {
  configFromHf,
  type HfModelConfig,
  type LlamaFamily,
  llamaToHfConfig,
  type SpecialTokens,
} from './hf-config.js';
import type { SafetensorsSource, SafetensorsWriteTensor } from './safetensors.js';
import { writeSafetensors } from './safetensors.js';
import { openSafetensorsDir } from './sharded.js';

export type PretrainedModel = GPT | Llama;

export interface Pretrained {
  model: PretrainedModel;
  hf: HfModelConfig;
  /** tokenizer.json, or llama2.c's tokenizer.bin, from the directory; null when it has neither. */
  tokenizer: Tokenizer | null;
}

export function readJsonObject(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'pass a Hugging Face model directory');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: invalid JSON (${(e as Error).message})`,
      'fix or re-save the file',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new LlmkError('LLMK_E_FORMAT', `${path} is not a JSON object`, 'config.json holds one object');
  return json as Record<string, unknown>;
}

/** Builds the (randomly initialised) model a config describes. */
export function modelFromHfConfig(engine: Engine, hf: HfModelConfig): PretrainedModel {
  return hf.arch === 'gpt2' ? new GPT(engine, hf.config) : new Llama(engine, hf.config);
}

/** Maps a checkpoint's tensor names onto the model's; null drops a known non-parameter buffer. */
function canonicalName(arch: 'gpt2' | 'llama', name: string, bare: boolean): string | null {
  if (arch === 'gpt2') {
    // GPT-2 checkpoints from before transformers 4.x store the causal mask as h.N.attn.bias / masked_bias.
    if (/(^|\.)h\.\d+\.attn\.(masked_)?bias$/.test(name)) return null;
    return bare && name !== 'lm_head.weight' ? `transformer.${name}` : name;
  }
  if (name.endsWith('rotary_emb.inv_freq')) return null;
  return bare && name !== 'lm_head.weight' ? `model.${name}` : name;
}

/**
 * Copies a safetensors source's tensors into `model` by name. Every model parameter must be present
 * (a tied alias may be absent) with its exact shape and a float dtype; no extra tensors.
 */
export function loadWeights(
  model: Module,
  arch: 'gpt2' | 'llama',
  source: SafetensorsSource,
  where: string,
): void {
  const state = model.stateDict();
  const prefix = arch === 'gpt2' ? 'transformer.' : 'model.';
  const keys = source.keys();
  const bare = keys.length > 0 && !keys.some((k) => k.startsWith(prefix));
  const values = new Map<string, Float32Array>();
  for (const key of keys) {
    const name = canonicalName(arch, key, bare);
    if (name === null) continue;
    const target = state.get(name);
    if (!target) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${where}: unexpected tensor '${key}'`,
        'the checkpoint has weights this model configuration does not; check config.json',
      );
    }
    const info = source.info(key);
    if (info.shape.join(',') !== target.shape.join(',')) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${where}: tensor '${key}' has shape [${info.shape.join(', ')}], the model expects [${target.shape.join(', ')}]`,
        'the checkpoint was saved with another configuration',
      );
    }
    if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') {
      throw new LlmkError(
        'LLMK_E_DTYPE',
        `${where}: tensor '${key}' has dtype ${info.dtype}`,
        'model weights must be F32, F16 or BF16',
      );
    }
    values.set(name, source.read(key).data as Float32Array);
  }
  model.loadState(values);
}

/** Loads a GPT-2 or Llama-family Hugging Face model directory. */
export function fromPretrained(engine: Engine, dir: string): Pretrained {
  const configPath = join(dir, 'config.json');
  const hf = configFromHf(readJsonObject(configPath), configPath);
  // generation_config.json's special ids win over config.json's, as in transformers' generate().
  const genPath = join(dir, 'generation_config.json');
  if (existsSync(genPath)) {
    const gen = readJsonObject(genPath);
    const ids = (v: unknown): number | number[] | undefined =>
      typeof v === 'number'
        ? v
        : Array.isArray(v) && v.every((x) => typeof x === 'number')
          ? (v as number[])
          : undefined;
    const eos = ids(gen.eos_token_id);
    const bos = ids(gen.bos_token_id);
    if (eos !== undefined) hf.special.eosTokenId = eos;
    if (typeof bos === 'number') hf.special.bosTokenId = bos;
  }
  const model = modelFromHfConfig(engine, hf);
  const source = openSafetensorsDir(dir);
  try {
    loadWeights(model, hf.arch, source, dir);
  } finally {
    source.close();
  }
  model.eval();
  return { model, hf, tokenizer: tokenizerInDir(dir) };
}

/** tokenizer.json, else a llama2.c tokenizer.bin (what llmk writes for llama2.c-born models). */
export function tokenizerInDir(dir: string): Tokenizer | null {
  for (const name of ['tokenizer.json', 'tokenizer.bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return loadTokenizer(p);
  }
  return null;
}

export interface SavePretrainedOptions {
  tokenizer?: Tokenizer | null;
  /** Llama family model_type to write (default llama; qwen2 for q/k/v-bias models). */
  modelType?: LlamaFamily;
  special?: SpecialTokens;
}

/** The safetensors tensors of a model: every parameter once (tied aliases left out), f32. */
export function modelTensors(model: Module): Record<string, SafetensorsWriteTensor> {
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of model.namedParameters())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.values()) };
  return tensors;
}

/** Writes the model files into an existing directory. */
export function savePretrainedFiles(
  dir: string,
  model: PretrainedModel,
  options: SavePretrainedOptions = {},
): void {
  const special = options.special ?? {};
  const config =
    model instanceof GPT
      ? gptToHfConfig(model.config)
      : llamaToHfConfig(
          model.config,
          options.modelType ?? (model.config.qkvBias && !model.config.oBias ? 'qwen2' : 'llama'),
          special,
        );
  writeSafetensors(join(dir, 'model.safetensors'), modelTensors(model), { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), config);
  const generation: Record<string, unknown> = { _from_model_config: true };
  if (special.bosTokenId !== undefined) generation.bos_token_id = special.bosTokenId;
  if (special.eosTokenId !== undefined) generation.eos_token_id = special.eosTokenId;
  writeJsonAtomic(join(dir, 'generation_config.json'), generation);
  const tok = options.tokenizer;
  if (tok instanceof Llama2cTokenizer) tok.save(join(dir, 'tokenizer.bin'), { force: true });
  else if (tok) tok.save(join(dir, 'tokenizer.json'));
}

/** Saves a model as a Hugging Face directory at `dir`, atomically (see writeDirAtomic). */
export function savePretrained(
  dir: string,
  model: PretrainedModel,
  options: SavePretrainedOptions = {},
): void {
  writeDirAtomic(dir, (tmp) => savePretrainedFiles(tmp, model, options));
}

export interface LoadedCheckpoint {
  model: GPT;
  config: GPTConfig;
  tokenizer: Tokenizer | null;
}

/** Loads a GPT checkpoint directory (written by llmk, or a Hugging Face GPT-2 directory). */
export function loadCheckpoint(engine: Engine, dir: string): LoadedCheckpoint {
  if (!existsSync(join(dir, 'config.json'))) {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${join(dir, 'config.json')} does not exist`,
      'point at a checkpoint directory with config.json and model.safetensors',
    );
  }
  const { model, hf, tokenizer } = fromPretrained(engine, dir);
  if (!(model instanceof GPT) || hf.arch !== 'gpt2') {
    throw new LlmkError(
      'LLMK_E_CHECKPOINT',
      `${dir} holds a ${hf.modelType} model, not GPT-2`,
      'use loadAnyModel() or fromPretrained() for other architectures',
    );
  }
  return { model, config: model.config, tokenizer };
}
