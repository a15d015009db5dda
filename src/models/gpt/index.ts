export { BABY_CONFIG, type GPTConfig, type GPTConfigInput, gptConfig } from './config.js';
export { GPTForSequenceClassification, GPTForTokenClassification, type GptHeadOptions } from './heads.js';
export { gptToHfConfig } from './hf.js';
export { type ForwardOptions, GPT, GPTModel, type GPTOptions } from './model.js';
