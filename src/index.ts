/** The public API of llmk. Everything a user imports comes from here. */
export { type ErrorCode, LlmkError } from './errors.js';
export * from './track/index.js';
export { VERSION } from './version.js';
