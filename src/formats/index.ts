/** File formats as leaf codecs: safetensors (single and sharded), GGUF read/write, half floats, atomic writes. */
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
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
export {
  dequantizeQ8_0,
  GGUF_ALIGNMENT,
  type GgufWriteTensor,
  type GgufWriteValue,
  quantizeQ8_0,
  serializeGguf,
} from './gguf-write.js';
export {
  bf16BitsToNumber,
  f16BitsToNumber,
  float32ToHalf,
  halfToFloat32,
  numberToBf16Bits,
  numberToF16Bits,
} from './half.js';
export { readJsonObject } from './json.js';
export { writeDirAtomic } from './output.js';
export {
  openSafetensors,
  parseSafetensorsHeader,
  readSafetensors,
  type SafetensorsDType,
  type SafetensorsFileDType,
  type SafetensorsInfo,
  type SafetensorsSource,
  type SafetensorsTensor,
  type SafetensorsWriteTensor,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';
export {
  openSafetensorsDir,
  parseSafetensorsIndex,
  SAFETENSORS_INDEX,
  SAFETENSORS_SINGLE,
  type SafetensorsIndex,
} from './sharded.js';
