/** File formats: GGUF (more readers and writers join here). */
export {
  f16ToF32,
  GGML_TYPES,
  GGUF_VALUE_TYPES,
  type GgufArray,
  type GgufFile,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
  ggufNumber,
  ggufNumberArray,
  ggufString,
  ggufStringArray,
  readGguf,
  readGgufTensor,
} from './gguf.js';
