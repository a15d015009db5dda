export { type LlamaConfig, type LlamaConfigInput, llamaConfig } from './config.js';
export {
  type GgufWeightType,
  ggufName,
  llama2cTokenizerFromGguf,
  llamaConfigFromGguf,
  llamaFromGguf,
  llamaToGguf,
} from './gguf.js';
export { type LlamaFamily, llamaToHfConfig } from './hf.js';
export { type Llama2cCheckpoint, readLlama2c, serializeLlama2c } from './llama2c.js';
export { Llama, type LlamaForwardOptions, LlamaModel } from './model.js';
export { halfToInterleaved, interleavedToHalf } from './rope-permute.js';
