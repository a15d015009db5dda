/** Generation: sampling pipeline, KV-cached (batched, streaming) decoding, text codecs. */

export {
  BeamHypotheses,
  type Candidate,
  type EarlyStopping,
  type Hypothesis,
  logSoftmaxInto,
  processScores,
  type StepProcessing,
  topCandidates,
} from './beam.js';
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
export {
  generateSeq2Seq,
  type Seq2SeqDecoderCache,
  type Seq2SeqGenerateOptions,
  type Seq2SeqHypothesis,
  type Seq2SeqLM,
} from './seq2seq.js';
