/** The tensor layer's public surface: tensors, engine, ops, autograd. */
export {
  type Backend,
  BinaryOp,
  dropoutUniform,
  type FloatArray,
  type Kernels,
  ReduceOp,
  UnaryOp,
} from './backend.js';
export {
  createNativeBackend,
  loadNativeAddon,
  type NativeAddon,
  NativeBackend,
  nativeLoadError,
} from './backends/native.js';
export { createReferenceBackend } from './backends/reference.js';
export { createEngine, type EngineOptions } from './create.js';
export type { DType } from './dtype.js';
export { Engine } from './engine.js';
export * from './ops/elementwise.js';
export * from './ops/fused.js';
export * from './ops/matmul.js';
export * from './ops/reduce.js';
export * from './ops/sampling.js';
export * from './ops/select.js';
export * from './ops/shape.js';
export type { PoolStats } from './pool.js';
export { Rng, type RngState } from './random.js';
export { Tensor } from './tensor.js';
