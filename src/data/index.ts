/** Data preparation: readers, cleaning, quality filters, dedup, PII masking, token shards and batching. */
export { type CleanOptions, cleanText, DEFAULT_CLEAN, normalizeWhitespace, stripHtml } from './clean.js';
export {
  DEFAULT_DEDUP,
  DEFAULT_MINHASH,
  Deduplicator,
  type DedupOptions,
  type DuplicateCluster,
  type DuplicateHit,
  MinHasher,
  type MinHashOptions,
} from './dedup.js';
export { ByteEncoder, CharEncoder, type TokenEncoder } from './encoders.js';
export { DataError } from './errors.js';
export {
  DEFAULT_QUALITY,
  DEFAULT_REPETITION,
  type FilterVerdict,
  gopherQuality,
  gopherRepetition,
  type QualityOptions,
  type RepetitionOptions,
} from './filters.js';
export { fileSize, type Line, type ReadLinesOptions, readLines } from './lines.js';
export { checkWritable, JsonlWriter } from './output.js';
export { type PackOptions, type PackReport, packDocs, type SplitReport } from './pack.js';
export {
  chineseIdValid,
  creditCardValid,
  ibanValid,
  ipv4Valid,
  ipv6Valid,
  luhnValid,
  type MaskResult,
  maskPii,
  PII_TYPES,
  type PiiType,
} from './pii.js';
export {
  loadPipelineConfig,
  makeEncoder,
  type PackStageConfig,
  type PipelineConfig,
  type PipelineReport,
  packJsonl,
  type RunOptions,
  runPipeline,
  runStages,
  type TokenizerSpec,
  validatePipelineConfig,
} from './pipeline.js';
export {
  type ConllReadOptions,
  type CsvReadOptions,
  getPath,
  type JsonlReadOptions,
  readBmesLines,
  readConll,
  readCsv,
  readJsonl,
  readJsonlRecords,
  readParallel,
  readText,
  sentenceToDoc,
  type TaggedSentence,
  type TextUnit,
} from './readers.js';
export { Rng, type RngState } from './rng.js';
export { type TokenBatch, TokenWindowSampler, type WindowCursor } from './sampler.js';
export {
  decodeHeader,
  dtypeForVocab,
  encodeHeader,
  MemoryTokens,
  NO_EOS,
  openShard,
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  SHARD_VERSION,
  type Shard,
  ShardFile,
  type ShardHeader,
  ShardWriter,
  type ShardWriterOptions,
  type TokenDtype,
  type TokenSource,
  writeShard,
} from './shards.js';
export {
  CleanStage,
  type CleanStageConfig,
  DedupStage,
  type DedupStageConfig,
  DocStage,
  type DocStageConfig,
  FilterStage,
  type FilterStageConfig,
  MaskStage,
  type MaskStageConfig,
  makeStage,
} from './stages.js';
export { readClassificationFile, readNerFile, type TaggedExample, type TextExample } from './tasks.js';
export type { Doc, Located, StageReport } from './types.js';
