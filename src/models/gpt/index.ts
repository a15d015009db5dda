export { BABY_CONFIG, type GPTConfig, type GPTConfigInput, gptConfig } from './config.js';
export { GPTForSequenceClassification, GPTForTokenClassification } from './heads.js';
export { type ForwardOptions, GPT, KVCache } from './model.js';
