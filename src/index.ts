/** The public API of llmk. Everything a user imports comes from here. */
export { type ErrorCode, LlmkError } from './errors.js';
export * from './infer/index.js';
export * from './models/gpt/index.js';
export * from './nn/index.js';
export * from './tensor/index.js';
export { formatDuration, Progress, type ProgressMode, type ProgressOptions } from './track/progress.js';
export {
  AdamW,
  type AdamWOptions,
  clipGradNorm,
  type OptimizerState,
  SGD,
  type SGDOptions,
} from './train/optim.js';
export { VERSION } from './version.js';
