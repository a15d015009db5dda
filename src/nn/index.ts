export { type AttentionWithProbs, attentionWithProbs } from './attention.js';
export { CrossKVCache, KVCache } from './kv-cache.js';
export {
  Dropout,
  Embedding,
  type InitMode,
  type InitOptions,
  LayerNorm,
  Linear,
  type LinearOptions,
  RMSNorm,
} from './layers.js';
export {
  type Forwardable,
  type ForwardHook,
  Module,
  ModuleList,
  type NamedParametersOptions,
} from './module.js';
export { FlatParameters, type ParamEntry, type ParamGroupRange } from './params.js';
