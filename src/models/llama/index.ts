export { type LlamaConfig, type LlamaConfigInput, llamaConfig } from './config.js';
export { Llama, type LlamaForwardOptions, LlamaModel } from './model.js';
