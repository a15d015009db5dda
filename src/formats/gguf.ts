/**
 * GGUF reader: header, metadata of every value type, tensor infos, and tensor data for F32/F16.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian, version 2 and 3;
 * version 1 used 32-bit counts and is refused).
 *
 * The header is read through a growing window over the file, so a multi-gigabyte model costs only its
 * header; tensor data is read on demand by `readGgufTensor`. Every read is bounds-checked: a header that
 * claims more than the file holds raises LLMK_E_FORMAT naming the file and the field.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { LlmkError } from '../errors.js';

/** GGUF metadata value types (gguf.md, `gguf_metadata_value_type`). */
export const GGUF_VALUE_TYPES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/** A metadata value with its declared type; arrays keep their item type (arrays may nest). */
export type GgufValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufValueType; value: GgufArray };

export type GgufArray = number[] | bigint[] | boolean[] | string[] | GgufValue[];

/** ggml tensor types by id (ggml.h `enum ggml_type`); only F32/F16/BF16 data is decoded here. */
export const GGML_TYPES: Record<number, { name: string; blockSize: number; typeSize: number }> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4 },
  1: { name: 'F16', blockSize: 1, typeSize: 2 },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 18 },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 20 },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 22 },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 24 },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 34 },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 36 },
  24: { name: 'I8', blockSize: 1, typeSize: 1 },
  25: { name: 'I16', blockSize: 1, typeSize: 2 },
  26: { name: 'I32', blockSize: 1, typeSize: 4 },
  27: { name: 'I64', blockSize: 1, typeSize: 8 },
  28: { name: 'F64', blockSize: 1, typeSize: 8 },
  30: { name: 'BF16', blockSize: 1, typeSize: 2 },
};

export interface GgufTensorInfo {
  name: string;
  /** Dimensions as GGUF stores them: ne[0] first (the fastest-varying, i.e. row length). */
  shape: number[];
  /** ggml type id (see GGML_TYPES). */
  type: number;
  /** Byte offset relative to `dataOffset`. */
  offset: number;
  /** Bytes the tensor occupies, from its type and shape. */
  byteLength: number;
}

export interface GgufFile {
  path: string;
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** Absolute byte offset of the tensor data section. */
  dataOffset: number;
  alignment: number;
  fileSize: number;
}

const MAGIC = 0x46554747; // "GGUF" read as little-endian u32
const MAX_STRING = 1 << 30;

/** A forward cursor over a file that reads more of it as the parse advances. */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly size: number,
  ) {}

  /** Makes `n` bytes from `pos` available, or throws naming `field`. */
  private need(n: number, field: string): number {
    if (this.pos + n > this.size) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${this.path}: truncated GGUF: ${field} needs ${n} bytes at offset ${this.pos}, file has ${this.size}`,
        'the file is incomplete or not GGUF; download it again',
      );
    }
    const rel = this.pos - this.bufStart;
    if (rel + n > this.buf.length) {
      const want = Math.min(this.size - this.pos, Math.max(n, 1 << 20, this.buf.length * 2));
      const next = Buffer.alloc(want);
      readSync(this.fd, next, 0, want, this.pos);
      this.buf = next;
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  u8(field: string): number {
    const at = this.need(1, field);
    return this.buf.readUInt8(at);
  }
  i8(field: string): number {
    const at = this.need(1, field);
    return this.buf.readInt8(at);
  }
  u16(field: string): number {
    const at = this.need(2, field);
    return this.buf.readUInt16LE(at);
  }
  i16(field: string): number {
    const at = this.need(2, field);
    return this.buf.readInt16LE(at);
  }
  u32(field: string): number {
    const at = this.need(4, field);
    return this.buf.readUInt32LE(at);
  }
  i32(field: string): number {
    const at = this.need(4, field);
    return this.buf.readInt32LE(at);
  }
  f32(field: string): number {
    const at = this.need(4, field);
    return this.buf.readFloatLE(at);
  }
  f64(field: string): number {
    const at = this.need(8, field);
    return this.buf.readDoubleLE(at);
  }
  u64(field: string): bigint {
    const at = this.need(8, field);
    return this.buf.readBigUInt64LE(at);
  }
  i64(field: string): bigint {
    const at = this.need(8, field);
    return this.buf.readBigInt64LE(at);
  }
  /** A u64 that must also be a safe JS number no larger than `max`. */
  count(field: string, max: number): number {
    const v = this.u64(field);
    if (v > BigInt(max)) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${this.path}: truncated or corrupt GGUF: ${field} = ${v} at offset ${this.pos - 8} exceeds what the file can hold (${max})`,
        'the header is corrupt or the file is not GGUF',
      );
    }
    return Number(v);
  }
  string(field: string): string {
    const len = this.count(`${field} length`, Math.min(MAX_STRING, this.size - this.pos));
    const at = this.need(len, field);
    return this.buf.toString('utf8', at, at + len);
  }
}

function valueType(cur: Cursor, field: string): GgufValueType {
  const id = cur.u32(field);
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${cur.path}: ${field} has unknown value type ${id} at offset ${cur.pos - 4}`,
      'valid GGUF value types are 0..12',
    );
  }
  return type;
}

function readScalar(cur: Cursor, type: Exclude<GgufValueType, 'array'>, field: string): GgufValue {
  switch (type) {
    case 'u8':
      return { type, value: cur.u8(field) };
    case 'i8':
      return { type, value: cur.i8(field) };
    case 'u16':
      return { type, value: cur.u16(field) };
    case 'i16':
      return { type, value: cur.i16(field) };
    case 'u32':
      return { type, value: cur.u32(field) };
    case 'i32':
      return { type, value: cur.i32(field) };
    case 'f32':
      return { type, value: cur.f32(field) };
    case 'f64':
      return { type, value: cur.f64(field) };
    case 'u64':
      return { type, value: cur.u64(field) };
    case 'i64':
      return { type, value: cur.i64(field) };
    case 'bool': {
      const b = cur.u8(field);
      if (b > 1) throw new LlmkError('LLMK_E_FORMAT', `${cur.path}: ${field} is a bool with byte ${b}`);
      return { type, value: b === 1 };
    }
    case 'string':
      return { type, value: cur.string(field) };
  }
}

/**
 * Arrays may hold arrays (the spec allows it; no writer we know nests at all). Each level costs 12
 * bytes, so without a bound a 1 MB file recurses 80,000 deep and overflows the stack.
 */
const MAX_ARRAY_NESTING = 16;

function readValue(cur: Cursor, type: GgufValueType, field: string, depth = 0): GgufValue {
  if (type !== 'array') return readScalar(cur, type, field);
  if (depth >= MAX_ARRAY_NESTING) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${cur.path}: ${field} nests arrays more than ${MAX_ARRAY_NESTING} deep at offset ${cur.pos}`,
      'the header is corrupt or hostile',
    );
  }
  const itemType = valueType(cur, `${field} item type`);
  // Each item takes at least one byte, so a count beyond the bytes left is a lie.
  const n = cur.count(`${field} array length`, cur.size - cur.pos);
  if (itemType === 'array') {
    const items: GgufValue[] = [];
    for (let i = 0; i < n; i++) items.push(readValue(cur, 'array', `${field}[${i}]`, depth + 1));
    return { type, itemType, value: items };
  }
  const items: (number | bigint | boolean | string)[] = [];
  for (let i = 0; i < n; i++) items.push(readScalar(cur, itemType, field).value as number);
  return { type, itemType, value: items as GgufArray };
}

/** Reads a GGUF file's header, metadata and tensor infos (not the tensor data). */
export function readGguf(path: string): GgufFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LlmkError('LLMK_E_IO', `cannot open GGUF file ${path}: ${(err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const cur = new Cursor(fd, path, size);
    const magic = cur.u32('magic');
    if (magic !== MAGIC) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${path}: not a GGUF file (magic 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)} "GGUF")`,
      );
    }
    const version = cur.u32('version');
    if (version !== 2 && version !== 3) {
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `${path}: GGUF version ${version} is not supported`,
        'versions 2 and 3 are read; convert older files with llama.cpp',
      );
    }
    // A tensor info is at least 24 bytes and a key/value pair at least 12: bound the counts by the file.
    const tensorCount = cur.count('tensor_count', Math.floor(size / 24));
    const kvCount = cur.count('metadata_kv_count', Math.floor(size / 12));
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = cur.string(`metadata key #${i}`);
      const type = valueType(cur, `metadata '${key}' type`);
      metadata.set(key, readValue(cur, type, `metadata '${key}'`));
    }
    const alignmentValue = metadata.get('general.alignment');
    const alignment = alignmentValue?.type === 'u32' ? alignmentValue.value : 32;
    if (alignment === 0 || alignment % 8 !== 0) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${path}: general.alignment = ${alignment} is not a multiple of 8`,
      );
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = cur.string(`tensor #${i} name`);
      const nDims = cur.u32(`tensor '${name}' n_dims`);
      if (nDims > 4)
        throw new LlmkError('LLMK_E_FORMAT', `${path}: tensor '${name}' n_dims = ${nDims} (max 4)`);
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++)
        shape.push(cur.count(`tensor '${name}' ne[${d}]`, Number.MAX_SAFE_INTEGER));
      const type = cur.u32(`tensor '${name}' type`);
      const offset = cur.count(`tensor '${name}' offset`, size);
      const info = GGML_TYPES[type];
      const elements = shape.reduce((a, b) => a * b, 1);
      const byteLength = info ? (elements / info.blockSize) * info.typeSize : Number.NaN;
      tensors.push({ name, shape, type, offset, byteLength });
    }
    const dataOffset = Math.ceil(cur.pos / alignment) * alignment;
    for (const t of tensors) {
      if (t.offset % alignment !== 0) {
        throw new LlmkError('LLMK_E_FORMAT', `${path}: tensor '${t.name}' offset ${t.offset} is not aligned`);
      }
      if (Number.isFinite(t.byteLength) && dataOffset + t.offset + t.byteLength > size) {
        throw new LlmkError(
          'LLMK_E_FORMAT',
          `${path}: truncated GGUF: tensor '${t.name}' data ends at ${dataOffset + t.offset + t.byteLength}, file has ${size} bytes`,
          'the file is incomplete; download it again',
        );
      }
    }
    // Tensor data must not overlap, and the file must end where the last tensor's (padded) data
    // does: more bytes than one alignment pad after it mean tensors the header did not count (an
    // understated tensor_count shifts the data section into the unread tensor infos).
    let end = dataOffset;
    for (const t of [...tensors].sort((a, b) => a.offset - b.offset)) {
      if (!Number.isFinite(t.byteLength)) continue;
      if (dataOffset + t.offset < end) {
        throw new LlmkError(
          'LLMK_E_FORMAT',
          `${path}: tensor '${t.name}' overlaps the tensor before it`,
          'the file is corrupt; re-export it',
        );
      }
      end = dataOffset + t.offset + t.byteLength;
    }
    if (tensors.every((t) => Number.isFinite(t.byteLength)) && size - end >= alignment) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${path}: ${size - end} bytes follow the last tensor's data; the header's tensor_count (${tensorCount}) is probably understated`,
        'the file is corrupt or was edited; re-export it',
      );
    }
    return { path, version, metadata, tensors, dataOffset, alignment, fileSize: size };
  } finally {
    closeSync(fd);
  }
}

/** IEEE half → float (handles subnormals, infinities and NaN). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let f16Cache: Float32Array | undefined;

/** All 65536 half-precision values as float32 (256 KB, built once). */
function f16Table(): Float32Array {
  if (!f16Cache) {
    f16Cache = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Cache[h] = f16ToF32(h);
  }
  return f16Cache;
}

/**
 * Reads one tensor's data as float32: F32, F16 and BF16 are decoded, Q8_0 is dequantized (blocks of
 * 32: an f16 scale d then 32 int8 q, x = d·q; ggml-quants.c `dequantize_row_q8_0`); other types raise
 * LLMK_E_UNSUPPORTED.
 */
export function readGgufTensor(file: GgufFile, info: GgufTensorInfo): Float32Array {
  const typeName = GGML_TYPES[info.type]?.name ?? `type ${info.type}`;
  if (typeName !== 'F32' && typeName !== 'F16' && typeName !== 'BF16' && typeName !== 'Q8_0') {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${file.path}: tensor '${info.name}' is ${typeName}; only F32, F16, BF16 and Q8_0 are decoded`,
      'dequantize the model with llama.cpp first',
    );
  }
  if (endianness() !== 'LE') {
    throw new LlmkError('LLMK_E_UNSUPPORTED', 'GGUF tensor data is read on little-endian hosts only');
  }
  if (typeName === 'Q8_0' && (info.shape[0] ?? 0) % 32 !== 0) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${file.path}: Q8_0 tensor '${info.name}' has rows of ${info.shape[0]}, not a multiple of 32`,
      'the file is corrupt',
    );
  }
  const n = info.shape.reduce((a, b) => a * b, 1);
  const buf = Buffer.alloc(info.byteLength);
  const fd = openSync(file.path, 'r');
  try {
    const got = readSync(fd, buf, 0, buf.length, file.dataOffset + info.offset);
    if (got !== buf.length) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${file.path}: truncated GGUF: tensor '${info.name}' has ${got} of ${buf.length} bytes`,
      );
    }
  } finally {
    closeSync(fd);
  }
  const table = f16Table();
  if (typeName === 'Q8_0') {
    const out = new Float32Array(n);
    for (let b = 0; b < n / 32; b++) {
      const d = table[buf.readUInt16LE(34 * b)];
      for (let j = 0; j < 32; j++) out[32 * b + j] = d * buf.readInt8(34 * b + 2 + j);
    }
    return out;
  }
  // GGUF is little-endian like every host Node runs on in practice; read through typed views
  // (Buffer.alloc of this size is not pooled, so byteOffset is 0 and aligned).
  if (typeName === 'F32') return new Float32Array(buf.buffer, buf.byteOffset, n).slice();
  const halves = new Uint16Array(buf.buffer, buf.byteOffset, n);
  if (typeName === 'F16') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = table[halves[i]];
    return out;
  }
  // BF16 is the top half of an f32.
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = halves[i] << 16;
  return new Float32Array(bits.buffer);
}

/** Typed accessors for metadata: a missing or mistyped key raises LLMK_E_FORMAT naming it. */
export function ggufString(file: GgufFile, key: string): string {
  const v = file.metadata.get(key);
  if (v?.type !== 'string') throw missing(file, key, 'string');
  return v.value;
}

export function ggufNumber(file: GgufFile, key: string): number {
  const v = file.metadata.get(key);
  if (v === undefined || v.type === 'string' || v.type === 'array' || v.type === 'bool') {
    throw missing(file, key, 'number');
  }
  return Number(v.value);
}

export function ggufStringArray(file: GgufFile, key: string): string[] {
  const v = file.metadata.get(key);
  if (v?.type !== 'array' || v.itemType !== 'string') throw missing(file, key, 'string array');
  return v.value as string[];
}

export function ggufNumberArray(file: GgufFile, key: string): number[] {
  const v = file.metadata.get(key);
  if (v?.type !== 'array' || !['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'f64'].includes(v.itemType)) {
    throw missing(file, key, 'number array');
  }
  return v.value as number[];
}

function missing(file: GgufFile, key: string, what: string): LlmkError {
  const v = file.metadata.get(key);
  return new LlmkError(
    'LLMK_E_FORMAT',
    `${file.path}: metadata '${key}' ${v ? `is ${v.type}, expected ${what}` : 'is missing'}`,
  );
}
