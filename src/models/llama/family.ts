/** The Llama family's entry in the model registry (llama, mistral, qwen2). */
import { LlmkError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { ModelFamily } from '../family.js';
import { Fields, specialTokens } from '../hf-fields.js';
import { type LlamaFamily, llamaFromFields, llamaToHfConfig, llamaWeightName, NEUTRAL_LLAMA } from './hf.js';
import { Llama } from './model.js';

const TYPES: readonly LlamaFamily[] = ['llama', 'mistral', 'qwen2'];

function asLlama(model: Module): Llama {
  if (!(model instanceof Llama))
    throw new LlmkError('LLMK_E_ARG', 'not a Llama model', 'save it with its own architecture');
  return model;
}

function parse(json: Record<string, unknown>, path: string) {
  const modelType = json.model_type as LlamaFamily;
  const f = new Fields(json, path);
  const config = llamaFromFields(f, modelType, path);
  f.finish(NEUTRAL_LLAMA);
  return { config, special: specialTokens(f), modelType };
}

export const llamaFamily: ModelFamily = {
  modelTypes: TYPES,
  causal: true,
  parseConfig: (json, path) => parse(json, path).config,
  build(engine, json, path) {
    const { config, special, modelType } = parse(json, path);
    return {
      model: new Llama(engine, config, { init: 'empty' }),
      modelType,
      special,
      task: null,
      partial: null,
    };
  },
  weightNames(keys) {
    const bare = keys.length > 0 && !keys.some((k) => k.startsWith('model.'));
    return (key) => llamaWeightName(key, bare);
  },
  owns: (model) => model instanceof Llama,
  toHfConfig(model, options) {
    const { config } = asLlama(model);
    const requested = options.modelType;
    if (requested !== undefined && !TYPES.includes(requested as LlamaFamily)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `model type '${requested}' is not in the Llama family`,
        `use one of ${TYPES.join(', ')}`,
      );
    }
    const modelType =
      (requested as LlamaFamily | undefined) ?? (config.qkvBias && !config.oBias ? 'qwen2' : 'llama');
    return llamaToHfConfig(config, modelType, options.special ?? {});
  },
};
