/** File formats: GGUF, safetensors, llama2.c, Hugging Face (sharded) model directories, conversion. */

export {
  gptToHfConfig,
  readModelWeights,
  saveCheckpoint,
  saveModelFiles,
  writeDirAtomic,
  writeJsonAtomic,
} from './checkpoint.js';
export { type ConvertOptions, type ConvertSummary, convertModel } from './convert.js';
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
  type GgufWeightType,
  ggufName,
  llama2cTokenizerFromGguf,
  llamaConfigFromGguf,
  llamaFromGguf,
  llamaToGguf,
} from './gguf-llama.js';
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
export {
  configFromHf,
  type HfModelConfig,
  type LlamaFamily,
  llamaToHfConfig,
  type SpecialTokens,
} from './hf-config.js';
export { formatInspection, inspectModel, type ModelInspection, type TensorRow } from './inspect.js';
export { type Llama2cCheckpoint, readLlama2c, serializeLlama2c } from './llama2c.js';
export {
  detectModelFormat,
  type LoadedModel,
  loadAnyModel,
  type ModelFormat,
  stopTokenIds,
} from './load-any.js';
export {
  fromPretrained,
  type LoadedCheckpoint,
  loadCheckpoint,
  modelFromHfConfig,
  type Pretrained,
  type PretrainedModel,
  type SavePretrainedOptions,
  savePretrained,
  savePretrainedFiles,
} from './pretrained.js';
export { halfToInterleaved, interleavedToHalf } from './rope-permute.js';
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
