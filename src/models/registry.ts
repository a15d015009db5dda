/**
 * The model registry: Hugging Face `model_type` → the architecture folder that builds it. Adding an
 * architecture is a new folder under src/models with its `family.ts`/`hf.ts`, and one line here.
 */
import { LlmkError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { bartFamily, marianFamily } from './bart/hf.js';
import { bertFamily } from './bert/hf.js';
import type { ModelFamily } from './family.js';
import { gptFamily } from './gpt/family.js';
import { llamaFamily } from './llama/family.js';

export const MODEL_FAMILIES: readonly ModelFamily[] = [
  gptFamily,
  llamaFamily,
  bertFamily,
  bartFamily,
  marianFamily,
];

/** Every HF model_type llmk reads. */
export function supportedModelTypes(): string[] {
  return MODEL_FAMILIES.flatMap((f) => [...f.modelTypes]);
}

export function familyForModelType(modelType: unknown, path: string): ModelFamily {
  const family = MODEL_FAMILIES.find(
    (f) => typeof modelType === 'string' && f.modelTypes.includes(modelType),
  );
  if (!family) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${path}: model_type ${JSON.stringify(modelType)} is not supported`,
      `supported: ${supportedModelTypes().join(', ')}`,
    );
  }
  return family;
}

export function familyOf(model: Module): ModelFamily {
  const family = MODEL_FAMILIES.find((f) => f.owns(model));
  if (!family) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `no Hugging Face architecture for ${model.constructor.name}`,
      `llmk saves models of types ${supportedModelTypes().join(', ')}`,
    );
  }
  return family;
}
