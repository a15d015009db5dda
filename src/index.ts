/** The public API of llmk. Everything a user imports comes from here. */
export * from './data/index.js';
export { type ErrorCode, LlmkError } from './errors.js';
export * from './eval/index.js';
export * from './infer/index.js';
export * from './io/index.js';
export * from './models/bert/index.js';
export type { CausalLMOutput } from './models/causal-lm.js';
export * from './models/gpt/index.js';
export * from './models/llama/index.js';
export type { BaseModelOutput, ModelInitOptions, ModelOutputOptions } from './models/outputs.js';
export * from './nn/index.js';
export * from './tensor/index.js';
export * from './tokenize/index.js';
export * from './track/index.js';
export * from './train/index.js';
export { VERSION } from './version.js';
