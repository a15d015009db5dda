/**
 * What an architecture folder gives the model registry: how to build its model from a Hugging Face
 * `config.json`, how checkpoint tensor names map onto the model's, and how to write the config back.
 * Each `src/models/<arch>/hf.ts` exports one `ModelFamily`; `registry.ts` lists them.
 */
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import type { SpecialTokens } from './hf-fields.js';
import type { TaskInfo } from './task-info.js';

export interface BuildOptions {
  /** Build this HF architecture (e.g. a task head over a pretraining checkpoint) instead of the saved one. */
  architecture?: string;
  /** Labels and task fields for a task head (overrides those in config.json). */
  task?: TaskInfo;
}

export interface BuiltModel {
  model: Module;
  /** The HF model_type the model maps to. */
  modelType: string;
  special: SpecialTokens;
  task: TaskInfo | null;
  /**
   * When the built architecture differs from the saved one (a new task head), a model tensor the
   * file lacks is allowed unless `required` says otherwise, and file tensors the model lacks are
   * ignored; otherwise every tensor must match both ways.
   */
  partial: { required(name: string): boolean } | null;
}

export interface SaveModelOptions {
  /** HF model_type to write where the family has several (llama/mistral/qwen2). */
  modelType?: string;
  special?: SpecialTokens;
  task?: TaskInfo;
}

export interface ModelFamily {
  /** HF model_type values this family reads. */
  readonly modelTypes: readonly string[];
  /** Whether its models are causal LMs (they get a generation_config.json). */
  readonly causal: boolean;
  /** The typed config config.json describes, validated field by field. */
  parseConfig(json: Record<string, unknown>, path: string): object;
  /** Builds the model config.json describes (weights still to load). */
  build(engine: Engine, json: Record<string, unknown>, path: string, options: BuildOptions): BuiltModel;
  /** Maps checkpoint tensor names (all of `keys`) onto the model's; null drops a known buffer. */
  weightNames(keys: readonly string[]): (key: string) => string | null;
  owns(model: Module): boolean;
  toHfConfig(model: Module, options: SaveModelOptions): Record<string, unknown>;
}
