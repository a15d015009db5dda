/** Checkpoint formats: safetensors files and Hugging Face (sharded) model directories. */
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
