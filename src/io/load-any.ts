/**
 * One entry point for every model format llmk reads: a Hugging Face directory (config.json
 * model_type gpt2 / llama / mistral / qwen2), a llama2.c checkpoint (`.bin`) or a GGUF file. The
 * format is detected from the path (directory) or the file's first bytes (GGUF magic); llama2.c
 * files have no magic in their legacy layout, so every other file is tried as llama2.c, whose reader
 * checks the header against the file size.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { LlmkError } from '../errors.js';
import { Llama } from '../models/llama/model.js';
import type { Engine } from '../tensor/engine.js';
import { tokenizerFromGguf } from '../tokenize/gguf-vocab.js';
import { LLAMA2C_BOS, LLAMA2C_EOS, Llama2cTokenizer } from '../tokenize/llama2c.js';
import { loadTokenizer } from '../tokenize/load.js';
import type { Tokenizer } from '../tokenize/types.js';
import { ggufNumber } from './gguf.js';
import { llama2cTokenizerFromGguf, llamaFromGguf } from './gguf-llama.js';
import type { LlamaFamily } from './hf-config.js';
import { readLlama2c } from './llama2c.js';
import { fromPretrained, type PretrainedModel } from './pretrained.js';

export type ModelFormat = 'hf' | 'llama2c' | 'gguf';

export interface LoadedModel {
  model: PretrainedModel;
  format: ModelFormat;
  /** The HF model_type the model maps to (gpt2, or a Llama-family type). */
  modelType: 'gpt2' | LlamaFamily;
  tokenizer: Tokenizer | null;
  bosTokenId?: number;
  eosTokenId?: number | number[];
}

/** 'hf' for a directory, 'gguf' for a file starting with the GGUF magic, else 'llama2c'. */
export function detectModelFormat(path: string): ModelFormat {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'pass a model directory or file');
  }
  if (isDir) return 'hf';
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
 * Loads a model in any supported format, with its tokenizer: `options.tokenizer` (a path, any
 * format loadTokenizer reads) wins; else the one in the HF directory or the GGUF vocabulary.
 * llama2.c checkpoints carry no vocabulary, so they need `options.tokenizer` for text.
 */
export function loadAnyModel(
  engine: Engine,
  path: string,
  options: { tokenizer?: string } = {},
): LoadedModel {
  const format = detectModelFormat(path);
  const explicit = options.tokenizer ? loadTokenizer(options.tokenizer) : null;
  if (format === 'hf') {
    const { model, hf, tokenizer } = fromPretrained(engine, path);
    return {
      model,
      format,
      modelType: hf.modelType,
      tokenizer: explicit ?? tokenizer,
      bosTokenId: hf.special.bosTokenId,
      eosTokenId: hf.special.eosTokenId,
    };
  }
  if (format === 'gguf') {
    const { model, file } = llamaFromGguf(engine, path);
    const id = (key: string): number | undefined =>
      file.metadata.has(key) ? ggufNumber(file, key) : undefined;
    const hasVocab = file.metadata.has('tokenizer.ggml.model');
    const tokenizer =
      explicit ?? (hasVocab ? (llama2cTokenizerFromGguf(file) ?? tokenizerFromGguf(path)) : null);
    return {
      model,
      format,
      modelType: 'llama',
      tokenizer,
      bosTokenId: id('tokenizer.ggml.bos_token_id'),
      eosTokenId: id('tokenizer.ggml.eos_token_id'),
    };
  }
  const ck = readLlama2c(path);
  const model = new Llama(engine, ck.config);
  model.loadState(ck.weights);
  model.eval();
  return {
    model,
    format,
    modelType: 'llama',
    tokenizer: explicit,
    bosTokenId: LLAMA2C_BOS,
    eosTokenId: LLAMA2C_EOS,
  };
}

/** Stop ids for generation: llama2.c's `run` stops at BOS (it delimits stories), others at EOS. */
export function stopTokenIds(loaded: LoadedModel): number[] {
  const ids = new Set<number>();
  const eos = loaded.eosTokenId;
  if (typeof eos === 'number') ids.add(eos);
  else if (Array.isArray(eos)) for (const e of eos) ids.add(e);
  if (loaded.tokenizer instanceof Llama2cTokenizer) ids.add(LLAMA2C_BOS);
  return [...ids];
}
