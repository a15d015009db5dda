/** GPT-2's entry in the model registry. */
import { LlmkError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { ModelFamily } from '../family.js';
import { Fields, specialTokens } from '../hf-fields.js';
import { gptFromFields, gptToHfConfig, gptWeightName, NEUTRAL_GPT2 } from './hf.js';
import { GPT } from './model.js';

function asGPT(model: Module): GPT {
  if (!(model instanceof GPT))
    throw new LlmkError('LLMK_E_ARG', 'not a GPT model', 'save it with its own architecture');
  return model;
}

function parse(json: Record<string, unknown>, path: string) {
  const f = new Fields(json, path);
  const config = gptFromFields(f);
  // Embedding and attention dropout act only in training; llmk trains with the one resid_pdrop rate.
  f.finish([...NEUTRAL_GPT2, 'embd_pdrop', 'attn_pdrop']);
  return { config, special: specialTokens(f) };
}

export const gptFamily: ModelFamily = {
  modelTypes: ['gpt2'],
  causal: true,
  parseConfig: (json, path) => parse(json, path).config,
  build(engine, json, path) {
    const { config, special } = parse(json, path);
    return {
      model: new GPT(engine, config, { init: 'empty' }),
      modelType: 'gpt2',
      special,
      task: null,
      partial: null,
    };
  },
  weightNames(keys) {
    const bare = keys.length > 0 && !keys.some((k) => k.startsWith('transformer.'));
    return (key) => gptWeightName(key, bare);
  },
  owns: (model) => model instanceof GPT,
  toHfConfig: (model) => gptToHfConfig(asGPT(model).config),
};
