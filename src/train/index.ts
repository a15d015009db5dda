export type { EvalMetrics, Objective } from './objective.js';
export { CausalLMObjective, type CausalLMObjectiveOptions } from './objectives/causal-lm.js';
export {
  AdamW,
  type AdamWOptions,
  clipGradNorm,
  type OptimizerState,
  SGD,
  type SGDOptions,
} from './optim.js';
export { type QuickstartOptions, type QuickstartResult, runQuickstart } from './quickstart.js';
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
