/**
 * `loadModel`: the one entry point for every model format llmk reads — a Hugging Face directory
 * (config.json with any model_type the registry knows; single or sharded safetensors), a GGUF file
 * or a llama2.c checkpoint — with its tokenizer and special token ids. The format is detected from
 * the path (directory) or the file's first bytes (GGUF magic); llama2.c files have no magic in their
 * legacy layout, so every other file is tried as llama2.c, whose reader checks the header against
 * the file size.
 *
 * HF weights are matched by name (each family maps the spellings of bare base-model checkpoints and
 * drops known non-parameter buffers), read one tensor at a time straight into the model's memory
 * (F16/BF16 widen to f32); missing, extra, misshapen or non-float tensors are errors naming the tensor.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { ggufNumber } from '../formats/gguf.js';
import { readJsonObject } from '../formats/json.js';
import type { SafetensorsSource } from '../formats/safetensors.js';
import { openSafetensorsDir } from '../formats/sharded.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import { tokenizerFromGguf } from '../tokenize/gguf-vocab.js';
import { LLAMA2C_BOS, LLAMA2C_EOS, Llama2cTokenizer } from '../tokenize/llama2c.js';
import { loadTokenizer, tokenizerInDir } from '../tokenize/load.js';
import type { Tokenizer } from '../tokenize/types.js';
import { buildWithin } from './budget.js';
import { type CausalLMModel, isCausalLM } from './causal-lm.js';
import type { BuildOptions, BuiltModel } from './family.js';
import { llama2cTokenizerFromGguf, llamaFromGguf } from './llama/gguf.js';
import { readLlama2c } from './llama/llama2c.js';
import { Llama } from './llama/model.js';
import { familyForModelType, familyOf } from './registry.js';
import type { TaskInfo } from './task-info.js';

export type ModelFormat = 'hf' | 'llama2c' | 'gguf';

export interface LoadModelOptions extends BuildOptions {
  /** A tokenizer file (any format loadTokenizer reads); wins over the one beside the model. */
  tokenizer?: string;
}

export interface LoadedModel<M extends Module = Module> {
  model: M;
  format: ModelFormat;
  /** The HF model_type the model maps to (gpt2, llama, mistral, qwen2, bert, …). */
  modelType: string;
  tokenizer: Tokenizer | null;
  /** Labels and task fields of a task head (null for base/pretraining models). */
  task: TaskInfo | null;
  bosTokenId?: number;
  eosTokenId?: number | number[];
}

/** 'hf' for a directory, 'gguf' for a file starting with the GGUF magic, else 'llama2c'. */
export function detectModelFormat(path: string): ModelFormat {
  if (!existsSync(path)) {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path} does not exist`,
      'pass a Hugging Face model directory, a llama2.c .bin or a .gguf file',
    );
  }
  if (statSync(path).isDirectory()) return 'hf';
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.toString('latin1') === 'GGUF' ? 'gguf' : 'llama2c';
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies a safetensors source's tensors into the built model by name, straight into each
 * parameter's memory. Every model parameter must be present (a tied alias may be absent) with its
 * exact shape and a float dtype, and no extra tensors — unless `built.partial` relaxes that.
 */
export function loadWeights(
  built: Pick<BuiltModel, 'model' | 'partial'>,
  source: SafetensorsSource,
  nameOf: (key: string) => string | null,
  where: string,
): void {
  const { model, partial } = built;
  const state = model.stateDict();
  const filled = new Set<unknown>();
  for (const key of source.keys()) {
    const name = nameOf(key);
    if (name === null) continue;
    const target = state.get(name);
    if (!target) {
      if (partial) continue;
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
    source.readFloatInto(key, target.values() as Float32Array);
    filled.add(target);
  }
  // Tied aliases share their source's tensor: filled when either name was in the file.
  for (const [name, t] of model.namedParameters()) {
    if (filled.has(t) || (partial && !partial.required(name))) continue;
    throw new LlmkError(
      'LLMK_E_CHECKPOINT',
      `${where}: missing tensor '${name}'`,
      'the checkpoint does not match this model configuration',
    );
  }
}

function generationIds(dir: string): { bos: number[]; eos: number[] } {
  const path = join(dir, 'generation_config.json');
  const gen = existsSync(path) ? readJsonObject(path) : {};
  const ids = (v: unknown): number[] =>
    (Array.isArray(v) ? v : [v]).filter((x): x is number => Number.isInteger(x));
  return { bos: ids(gen.bos_token_id), eos: ids(gen.eos_token_id) };
}

function loadHfDir(engine: Engine, dir: string, options: LoadModelOptions): LoadedModel {
  const configPath = join(dir, 'config.json');
  const json = readJsonObject(configPath);
  const family = familyForModelType(json.model_type, configPath);
  const source = openSafetensorsDir(dir);
  try {
    const fileBytes = source.keys().reduce((n, k) => n + 4 * numelOf(source.info(k).shape), 0);
    const built = buildWithin(engine, fileBytes, configPath, () =>
      family.build(engine, json, configPath, options),
    );
    loadWeights(built, source, family.weightNames(source.keys()), dir);
    return finishHf(built, dir, options);
  } finally {
    source.close();
  }
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function finishHf(built: BuiltModel, dir: string, options: LoadModelOptions): LoadedModel {
  built.model.eval();
  // generation_config.json's special ids win over config.json's, as in transformers' generate().
  const gen = generationIds(dir);
  return {
    model: built.model,
    format: 'hf',
    modelType: built.modelType,
    tokenizer: options.tokenizer ? loadTokenizer(options.tokenizer) : tokenizerInDir(dir),
    task: built.task,
    bosTokenId: gen.bos.length > 0 ? gen.bos[0] : built.special.bosTokenId,
    eosTokenId: gen.eos.length > 0 ? gen.eos : built.special.eosTokenId,
  };
}

function loadGguf(engine: Engine, path: string, options: LoadModelOptions): LoadedModel {
  const { model, file } = llamaFromGguf(engine, path);
  const id = (key: string): number | undefined =>
    file.metadata.has(key) ? ggufNumber(file, key) : undefined;
  const hasVocab = file.metadata.has('tokenizer.ggml.model');
  const tokenizer = options.tokenizer
    ? loadTokenizer(options.tokenizer)
    : hasVocab
      ? (llama2cTokenizerFromGguf(file) ?? tokenizerFromGguf(path))
      : null;
  return {
    model,
    format: 'gguf',
    modelType: 'llama',
    tokenizer,
    task: null,
    bosTokenId: id('tokenizer.ggml.bos_token_id'),
    eosTokenId: id('tokenizer.ggml.eos_token_id'),
  };
}

/** llama2.c checkpoints carry no vocabulary, so they need `options.tokenizer` for text. */
function loadLlama2c(engine: Engine, path: string, options: LoadModelOptions): LoadedModel {
  const ck = readLlama2c(path);
  const model = new Llama(engine, ck.config, { init: 'empty' });
  model.loadState(ck.weights);
  model.eval();
  return {
    model,
    format: 'llama2c',
    modelType: 'llama',
    tokenizer: options.tokenizer ? loadTokenizer(options.tokenizer) : null,
    task: null,
    bosTokenId: LLAMA2C_BOS,
    eosTokenId: LLAMA2C_EOS,
  };
}

/**
 * Loads a model in any supported format, in eval mode, with its tokenizer: `options.tokenizer` (a
 * path) wins; else the one in the HF directory or the GGUF vocabulary.
 */
export function loadModel(engine: Engine, path: string, options: LoadModelOptions = {}): LoadedModel {
  const format = detectModelFormat(path);
  if (format === 'hf') return loadHfDir(engine, path, options);
  if (format === 'gguf') return loadGguf(engine, path, options);
  return loadLlama2c(engine, path, options);
}

/** loadModel for a path that must hold a causal LM (generation, causal-LM training). */
export function loadCausalLM(
  engine: Engine,
  path: string,
  options: LoadModelOptions = {},
): LoadedModel<CausalLMModel> {
  const loaded = loadModel(engine, path, options);
  const { model } = loaded;
  if (!isCausalLM(model)) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${path} holds a ${loaded.modelType} model, which does not generate text`,
      'pass a causal language model (gpt2, llama, mistral, qwen2)',
    );
  }
  return { ...loaded, model };
}

/** Stop ids for generation: llama2.c's `run` stops at BOS (it delimits stories), others at EOS. */
export function stopTokenIds(loaded: Pick<LoadedModel, 'eosTokenId' | 'tokenizer'>): number[] {
  const ids = new Set<number>();
  const eos = loaded.eosTokenId;
  if (typeof eos === 'number') ids.add(eos);
  else if (Array.isArray(eos)) for (const e of eos) ids.add(e);
  if (loaded.tokenizer instanceof Llama2cTokenizer) ids.add(LLAMA2C_BOS);
  return [...ids];
}

/** Loads the weights of the HF directory `dir` into an existing model of the same configuration (resume). */
export function loadWeightsInto(model: Module, dir: string): void {
  const source = openSafetensorsDir(dir);
  try {
    loadWeights({ model, partial: null }, source, familyOf(model).weightNames(source.keys()), dir);
  } finally {
    source.close();
  }
}
