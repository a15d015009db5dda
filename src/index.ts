/** The public API of llmk. Everything a user imports comes from here. */

export {
  type GenerateIo,
  type RunGenerateOptions,
  type RunGenerateSummary,
  runGenerate,
} from './cli/generate-run.js';
export { type QuickstartOptions, type QuickstartResult, runQuickstart } from './cli/quickstart-run.js';
export * from './data/index.js';
export { type ErrorCode, LlmkError } from './errors.js';
export * from './eval/index.js';
export * from './explain/index.js';
export * from './formats/index.js';
export * from './infer/index.js';
export * from './models/index.js';
export type { BaseModelOutput, ModelInitOptions, ModelOutputOptions } from './models/outputs.js';
export * from './nn/index.js';
export * from './peft/index.js';
export * from './robust/index.js';
export * from './tasks/index.js';
export * from './tensor/index.js';
export * from './tokenize/index.js';
export * from './track/index.js';
export * from './train/index.js';
export { VERSION } from './version.js';
