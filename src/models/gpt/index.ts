export { BABY_CONFIG, type GPTConfig, type GPTConfigInput, gptConfig } from './config.js';
export { GPTForSequenceClassification, GPTForTokenClassification } from './heads.js';
export { gptToHfConfig } from './hf.js';
export { type ForwardOptions, GPT } from './model.js';
