/** Generation: sampling pipeline, KV-cached (batched, streaming) decoding, text codecs. */

export { llama2cCodec, tokenizerCodec } from './codec.js';
export {
  type FinishReason,
  type GenerateEvent,
  type GenerateOptions,
  type GenerateResult,
  GenerationSession,
  generate,
  generateStream,
  type TextCodec,
} from './generate.js';
export {
  type ClassifyResult,
  classifyTexts,
  type Entity,
  evaluateTask,
  loadTaskModel,
  type TaskEvaluation,
  type TaskModel,
  tagEntities,
} from './pipelines.js';
export {
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  type LogitsProcessor,
  Sampler,
  type SamplingOptions,
  softmaxRow,
  validateSampling,
} from './sampling.js';
