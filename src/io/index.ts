/** File formats: GGUF, safetensors files and Hugging Face (sharded) model directories. */

export {
  gptToHfConfig,
  readModelWeights,
  saveCheckpoint,
  saveModelFiles,
  writeDirAtomic,
  writeJsonAtomic,
} from './checkpoint.js';
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
  bf16BitsToNumber,
  f16BitsToNumber,
  float32ToHalf,
  halfToFloat32,
  numberToBf16Bits,
  numberToF16Bits,
} from './half.js';
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
