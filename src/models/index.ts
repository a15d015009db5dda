/** Models: one folder per architecture, the registry, and the one loadModel/saveModel for every format. */
export * from './bart/index.js';
export * from './bert/index.js';
export {
  type CausalLM,
  type CausalLMForwardOptions,
  type CausalLMModel,
  isCausalLM,
  keepLastPositions,
  nextTokenLoss,
} from './causal-lm.js';
export { type ConvertOptions, type ConvertSummary, convertModel } from './convert.js';
export type { BuildOptions, BuiltModel, ModelFamily, SaveModelOptions } from './family.js';
export * from './gpt/index.js';
export type { SpecialTokens } from './hf-fields.js';
export { formatInspection, inspectModel, type ModelInspection, type TensorRow } from './inspect.js';
export * from './llama/index.js';
export {
  detectModelFormat,
  type LoadedModel,
  type LoadModelOptions,
  loadCausalLM,
  loadModel,
  loadWeights,
  loadWeightsInto,
  type ModelFormat,
  stopTokenIds,
} from './load.js';
export { familyForModelType, familyOf, MODEL_FAMILIES, supportedModelTypes } from './registry.js';
export { modelTensors, type SaveOptions, saveModel, writeModelFiles } from './save.js';
export { type TaskInfo, taskFromHfConfig, taskToHfFields } from './task-info.js';
