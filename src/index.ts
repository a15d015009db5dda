/** The public API of llmk. Everything a user imports comes from here. */
export { type ErrorCode, LlmkError } from './errors.js';
export * from './eval/index.js';
export { formatDuration, Progress, type ProgressMode, type ProgressOptions } from './track/progress.js';
export { VERSION } from './version.js';
