export { type BertConfig, type BertConfigInput, bertConfig } from './config.js';
export {
  BertForMaskedLM,
  BertForPreTraining,
  BertForSequenceClassification,
  BertForTokenClassification,
  type ClassifierOptions,
  type PreTrainingOutput,
} from './heads.js';
export {
  type AnyBert,
  asBert,
  type BertArchitecture,
  bertFromHfConfig,
  bertToHfConfig,
  isBert,
} from './hf.js';
export { type BertInputs, BertModel, type BertModelOptions, type BertOutput } from './model.js';
