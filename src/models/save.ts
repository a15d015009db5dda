/**
 * `saveModel`: the one writer of Hugging Face model directories for every architecture the registry
 * knows — config.json (the family's adapter), model.safetensors (every parameter once, under its HF
 * name; tied aliases left out as HF does), generation_config.json for causal LMs, and the tokenizer
 * (tokenizer.json, or llama2.c's tokenizer.bin for a llama2.c vocabulary). Training state is written
 * beside these by the Trainer.
 */
import { join } from 'node:path';
import { writeJsonAtomic } from '../formats/atomic.js';
import { writeDirAtomic } from '../formats/output.js';
import { type SafetensorsWriteTensor, writeSafetensors } from '../formats/safetensors.js';
import type { Module } from '../nn/module.js';
import { Llama2cTokenizer } from '../tokenize/llama2c.js';
import type { Tokenizer } from '../tokenize/types.js';
import type { SaveModelOptions } from './family.js';
import { familyOf } from './registry.js';

export interface SaveOptions extends SaveModelOptions {
  tokenizer?: Tokenizer | null;
}

/** The safetensors tensors of a model: every parameter once (tied aliases left out), f32, no copy. */
export function modelTensors(model: Module): Record<string, SafetensorsWriteTensor> {
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of model.namedParameters())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: t.values() as Float32Array };
  return tensors;
}

/** Writes the model files into an existing directory (a checkpoint being assembled). */
export function writeModelFiles(dir: string, model: Module, options: SaveOptions = {}): void {
  const family = familyOf(model);
  const config = family.toHfConfig(model, options);
  writeSafetensors(join(dir, 'model.safetensors'), modelTensors(model), { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), config);
  if (family.causal) {
    const special = options.special ?? {};
    const generation: Record<string, unknown> = { _from_model_config: true };
    if (special.bosTokenId !== undefined) generation.bos_token_id = special.bosTokenId;
    if (special.eosTokenId !== undefined) generation.eos_token_id = special.eosTokenId;
    writeJsonAtomic(join(dir, 'generation_config.json'), generation);
  }
  const tok = options.tokenizer;
  if (tok instanceof Llama2cTokenizer) tok.save(join(dir, 'tokenizer.bin'), { force: true });
  else if (tok) tok.save(join(dir, 'tokenizer.json'), { force: true });
}

/** Saves a model as a Hugging Face directory at `dir`, atomically (see writeDirAtomic). */
export function saveModel(dir: string, model: Module, options: SaveOptions = {}): void {
  writeDirAtomic(dir, (tmp) => writeModelFiles(tmp, model, options));
}
