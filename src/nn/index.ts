export { KVCache } from './kv-cache.js';
export { Dropout, Embedding, type InitOptions, LayerNorm, Linear, RMSNorm } from './layers.js';
export { Module } from './module.js';
export { FlatParameters, type ParamEntry, type ParamGroupRange } from './params.js';
