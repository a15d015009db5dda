/**
 * Tokenizers: training, loading (tokenizer.json, GPT-2 files, GGUF, llama2.c), encoding and decoding;
 * chat templates (Hugging Face Jinja) and assistant-token masks.
 */
export {
  type BpeTrainInput,
  type BpeTrainResult,
  bytesToUnicode,
  GPT2_PATTERN,
  trainBpe,
} from './bpe-train.js';
export { CharTokenizer } from './char.js';
export {
  type ApplyChatTemplateOptions,
  type ChatMessage,
  type ChatSpecialTokens,
  ChatTemplate,
} from './chat-template.js';
export {
  BUILTIN_CHAT_TEMPLATES,
  type BuiltinChatTemplateName,
  builtinChatTemplate,
} from './chat-template-builtin.js';
export { type ApplyOptions, ChatTemplateSet } from './chat-template-load.js';
export {
  type AssistantSpan,
  type AssistantSpanOptions,
  type AssistantSpans,
  type AssistantTokenMask,
  assistantSpans,
  assistantTokenMask,
} from './chat-template-mask.js';
export { tokenizerFromGguf } from './gguf-vocab.js';
export { HfTokenizerAdapter, type TemplateName } from './hf.js';
export { LLAMA2C_BOS, LLAMA2C_EOS, Llama2cTokenizer } from './llama2c.js';
export { loadTokenizer, tokenizerFromGpt2Files } from './load.js';
export { SpmTokenizer, type SpmVocab } from './spm.js';
export { type TrainOptions, type TrainType, trainTokenizer } from './train.js';
export type {
  BatchOptions,
  DecodeOptions,
  EncodeInput,
  EncodeOptions,
  Encoding,
  PaddingSide,
  Tokenizer,
} from './types.js';
