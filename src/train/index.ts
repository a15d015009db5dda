export { type FinetuneOptions, type FinetuneResult, finetune } from './finetune.js';
export type { EvalMetrics, Objective } from './objective.js';
export { CausalLMObjective, type CausalLMObjectiveOptions } from './objectives/causal-lm.js';
export { SequenceClassificationObjective } from './objectives/classification.js';
export { MaskedLMObjective, type MaskedLMObjectiveOptions, pretrainingLoss } from './objectives/mlm.js';
export { buildNspPairs, type MaskingOptions, maskTokens } from './objectives/mlm-data.js';
export { Seq2SeqObjective, type Seq2SeqObjectiveOptions, type Seq2SeqPair } from './objectives/seq2seq.js';
export { TokenClassificationObjective } from './objectives/token-classification.js';
export {
  AdamW,
  type AdamWOptions,
  clipGradNorm,
  type OptimizerState,
  SGD,
  type SGDOptions,
} from './optim.js';
export { type MlmPretrainOptions, pretrainMlm } from './pretrain-mlm.js';
export { learningRate, type ScheduleKind, type ScheduleOptions } from './schedule.js';
export {
  DEFAULT_TRAINER_OPTIONS,
  type EvalInfo,
  type StepInfo,
  Trainer,
  type TrainerCallbacks,
  type TrainerOptions,
  type TrainResult,
  weightDecayGroup,
} from './trainer.js';
