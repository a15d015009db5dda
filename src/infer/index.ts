/** Generation: sampling pipeline, KV-cached (batched, streaming) decoding, the CLI runner. */

export {
  type GenerateIo,
  type RunGenerateOptions,
  type RunGenerateSummary,
  runGenerate,
  tokenizerCodec,
} from './cli.js';
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
export { llama2cCodec } from './llama2c-codec.js';
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
