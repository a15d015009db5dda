/** The public API of llmk. Everything a user imports comes from here. */

export * from './data/index.js';
export { type ErrorCode, LlmkError } from './errors.js';
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
export { formatDuration, Progress, type ProgressMode, type ProgressOptions } from './track/progress.js';
export * from './track/index.js';
export * from './io/index.js';
export * from './tokenize/index.js';
export { formatDuration, Progress, type ProgressMode, type ProgressOptions } from './track/progress.js';
export { formatDuration, Progress, type ProgressMode, type ProgressOptions } from './track/progress.js';
export { VERSION } from './version.js';
