/**
 * safetensors reader and writer (https://huggingface.co/docs/safetensors, format of
 * github.com/huggingface/safetensors):
 *
 *   u64 little-endian N | N bytes of UTF-8 JSON header | byte buffer
 *   header = { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { str: str } }
 *
 * Offsets are relative to the start of the byte buffer; tensors are little-endian, row-major.
 * Reading validates the header the way the Rust reference does (offsets tile the buffer exactly,
 * each span equals numel × dtype size, the buffer ends at the end of the file) and then reads one
 * tensor's bytes at a time, so opening a checkpoint costs one header read.
 * Writing reproduces the Rust `prepare()` layout byte for byte: tensors sorted by descending dtype
 * (the `Dtype` enum order) then name, compact JSON with `__metadata__` first, the header padded with
 * spaces to a multiple of 8 bytes. Output is deterministic, so save → load → save is byte-identical.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { LlmkError } from '../errors.js';
import { float32ToHalf, halfToFloat32 } from './half.js';
import { jsonSyntaxProblem } from './json.js';
import { openForRead } from './open.js';

/** Every dtype of the format, in the order of the Rust `Dtype` enum (increasing alignment), with its size in bits. */
const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
} as const;

export type SafetensorsFileDType = keyof typeof DTYPE_BITS;
/** The dtypes llmk reads into typed arrays and writes. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'I8' | 'U8';

const DTYPE_RANK = new Map<string, number>(Object.keys(DTYPE_BITS).map((d, i) => [d, i]));

/** The Rust reference refuses headers over 100 MB; so do we (a corrupt length must not allocate gigabytes). */
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's header entry. `begin`/`end` are absolute byte positions in the file. */
export interface SafetensorsInfo {
  readonly dtype: SafetensorsFileDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A tensor read into memory: floats widen to f32 (F16, BF16) and I64 narrows to Int32Array (range-checked). */
export type SafetensorsTensor =
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'I32' | 'I64'; shape: number[]; data: Int32Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array }
  | { dtype: 'U8'; shape: number[]; data: Uint8Array };

/** What `writeSafetensors` accepts: F32/F16/BF16 from Float32Array, F64 from Float64Array, I32/I64 from Int32Array, I8/U8 from Int8Array/Uint8Array. */
export interface SafetensorsWriteTensor {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;
}

/** The lazy read API shared by a single file and a sharded directory. */
export interface SafetensorsSource {
  /** Tensor names in file order (by offset; for a directory: shard order, then offset). */
  keys(): string[];
  has(name: string): boolean;
  info(name: string): SafetensorsInfo;
  /** Reads just this tensor's bytes. */
  read(name: string): SafetensorsTensor;
  /**
   * Reads a float tensor (F32, F16 or BF16) into `dst` (its element count must match): F32 bytes go
   * straight into dst's memory, so loading a model never holds a second copy of a weight.
   */
  readFloatInto(name: string, dst: Float32Array): void;
  /** The `__metadata__` string map ({} when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  close(): void;
}

function formatError(
  path: string,
  what: string,
  hint = 'the file is not a valid safetensors file; re-export it',
): LlmkError {
  return new LlmkError('LLMK_E_FORMAT', `${path}: ${what}`, hint);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      'safetensors I/O on a big-endian host',
      'safetensors data is little-endian; run on a little-endian machine',
    );
  }
}

/**
 * Validates a parsed header against the file size. Returns the entries sorted by offset.
 * Rules (the Rust reference's `validate`): known dtype, shape of non-negative integers, offsets
 * [begin, end] with span = numel × size, spans tiling [0, dataBytes) with no gap or overlap.
 */
export function parseSafetensorsHeader(
  path: string,
  header: unknown,
  dataStart: number,
  fileSize: number,
): { tensors: Map<string, SafetensorsInfo>; metadata: Record<string, string> } {
  if (!isRecord(header)) throw formatError(path, 'the header is not a JSON object');
  const metadata: Record<string, string> = Object.create(null);
  const entries: Array<[string, SafetensorsFileDType, number[], number, number]> = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) throw formatError(path, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw formatError(path, `__metadata__ value for '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(value)) throw formatError(path, `tensor '${name}': entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
      throw formatError(
        path,
        `tensor '${name}': unknown dtype ${JSON.stringify(dtype)}`,
        `known dtypes: ${Object.keys(DTYPE_BITS).join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw formatError(
        path,
        `tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      );
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw formatError(
        path,
        `tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not [begin, end]`,
      );
    }
    const [begin, end] = offsets as [number, number];
    let numel = 1;
    for (const d of shape as number[]) numel *= d;
    const bits = numel * DTYPE_BITS[dtype as SafetensorsFileDType];
    if (!Number.isSafeInteger(bits) || bits % 8 !== 0)
      throw formatError(
        path,
        `tensor '${name}': ${numel} elements of ${dtype} is not a whole number of bytes`,
      );
    if (end < begin || end - begin !== bits / 8) {
      throw formatError(
        path,
        `tensor '${name}': data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${bits / 8}`,
      );
    }
    entries.push([name, dtype as SafetensorsFileDType, shape as number[], begin, end]);
  }
  entries.sort((a, b) => a[3] - b[3] || a[4] - b[4]);
  const dataBytes = fileSize - dataStart;
  const tensors = new Map<string, SafetensorsInfo>();
  let cursor = 0;
  for (const [name, dtype, shape, begin, end] of entries) {
    if (end > dataBytes)
      throw formatError(
        path,
        `tensor '${name}': data_offsets [${begin}, ${end}] run past the end of the ${dataBytes}-byte data buffer`,
        'the file is truncated or its header is corrupt',
      );
    if (begin < cursor)
      throw formatError(
        path,
        `tensor '${name}': data_offsets [${begin}, ${end}] overlap the previous tensor (which ends at ${cursor})`,
      );
    if (begin > cursor)
      throw formatError(path, `tensor '${name}': gap in the data buffer between ${cursor} and ${begin}`);
    cursor = end;
    tensors.set(name, { dtype, shape, begin: dataStart + begin, end: dataStart + end });
  }
  if (cursor !== dataBytes) {
    throw formatError(
      path,
      `the tensors cover ${cursor} bytes but the data buffer holds ${dataBytes}`,
      'the file has trailing bytes or is truncated; re-export it',
    );
  }
  return { tensors, metadata };
}

function readExactly(fd: number, path: string, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n === 0)
      throw new LlmkError(
        'LLMK_E_IO',
        `${path}: unexpected end of file at byte ${position + done}`,
        'the file changed or was truncated while being read',
      );
    done += n;
  }
}

/** Converts one tensor's raw little-endian bytes (a fresh, aligned Uint8Array) to its in-memory form. */
function decodeTensor(path: string, name: string, info: SafetensorsInfo, raw: Uint8Array): SafetensorsTensor {
  const shape = [...info.shape];
  const n = (info.end - info.begin) / (DTYPE_BITS[info.dtype] / 8);
  const buf = raw.buffer;
  switch (info.dtype) {
    case 'F32':
      return { dtype: 'F32', shape, data: new Float32Array(buf, 0, n) };
    case 'F64':
      return { dtype: 'F64', shape, data: new Float64Array(buf, 0, n) };
    case 'F16':
    case 'BF16':
      return {
        dtype: info.dtype,
        shape,
        data: halfToFloat32(new Uint16Array(buf, 0, n), info.dtype === 'F16' ? 'f16' : 'bf16'),
      };
    case 'I32':
      return { dtype: 'I32', shape, data: new Int32Array(buf, 0, n) };
    case 'I8':
      return { dtype: 'I8', shape, data: new Int8Array(buf, 0, n) };
    case 'U8':
      return { dtype: 'U8', shape, data: raw };
    case 'I64': {
      const wide = new BigInt64Array(buf, 0, n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = wide[i];
        if (v > 2147483647n || v < -2147483648n) {
          throw new LlmkError(
            'LLMK_E_UNSUPPORTED',
            `${path}: tensor '${name}' (I64) holds ${v} at index ${i}, outside the int32 range`,
            'llmk reads I64 tensors as int32 (token ids, indices); store larger values as F64',
          );
        }
        out[i] = Number(v);
      }
      return { dtype: 'I64', shape, data: out };
    }
    default:
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `${path}: tensor '${name}' has dtype ${info.dtype}, which llmk cannot read`,
        'supported: F32, F16, BF16, F64, I32, I64, I8, U8; convert the checkpoint',
      );
  }
}

/** One open safetensors file: the parsed header and a descriptor for reading tensor bytes on demand. */
class SafetensorsFile implements SafetensorsSource {
  private fd: number | null;
  private readonly order: string[];

  constructor(
    readonly path: string,
    fd: number,
    private readonly tensors: Map<string, SafetensorsInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.fd = fd;
    this.order = [...tensors.keys()];
  }

  keys(): string[] {
    return [...this.order];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): SafetensorsInfo {
    const info = this.tensors.get(name);
    if (!info)
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${this.path}: no tensor '${name}'`,
        `the file has ${this.tensors.size} tensors; list them with keys()`,
      );
    return info;
  }

  read(name: string): SafetensorsTensor {
    const info = this.info(name);
    if (this.fd === null)
      throw new LlmkError('LLMK_E_IO', `${this.path}: read('${name}') after close()`, 'open the file again');
    const raw = new Uint8Array(info.end - info.begin);
    readExactly(this.fd, this.path, raw, info.begin);
    return decodeTensor(this.path, name, info, raw);
  }

  readFloatInto(name: string, dst: Float32Array): void {
    const info = this.info(name);
    if (this.fd === null)
      throw new LlmkError('LLMK_E_IO', `${this.path}: read('${name}') after close()`, 'open the file again');
    const n = (info.end - info.begin) / (DTYPE_BITS[info.dtype] / 8);
    if (n !== dst.length)
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${this.path}: tensor '${name}' has ${n} values, the destination ${dst.length}`,
        'the checkpoint was saved with another configuration',
      );
    if (info.dtype === 'F32') {
      readExactly(this.fd, this.path, new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength), info.begin);
      return;
    }
    if (info.dtype !== 'F16' && info.dtype !== 'BF16')
      throw new LlmkError(
        'LLMK_E_DTYPE',
        `${this.path}: tensor '${name}' has dtype ${info.dtype}`,
        'model weights must be F32, F16 or BF16',
      );
    dst.set(this.read(name).data as Float32Array);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Opens a safetensors file reading only its header; tensors are read one at a time with `read(name)`. */
export function openSafetensors(path: string): SafetensorsSource {
  checkLittleEndian();
  const fd = openForRead(path);
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw formatError(path, `${fileSize} bytes is too short for the 8-byte header length`);
    const lenBytes = new Uint8Array(8);
    readExactly(fd, path, lenBytes, 0);
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(MAX_HEADER_BYTES))
      throw formatError(path, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    const headerLength = Number(n);
    if (8 + headerLength > fileSize)
      throw formatError(
        path,
        `header length ${headerLength} runs past the end of the ${fileSize}-byte file`,
        'the file is truncated or not safetensors',
      );
    const headerBytes = new Uint8Array(headerLength);
    readExactly(fd, path, headerBytes, 8);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw formatError(path, 'the header is not valid UTF-8');
    }
    if (!text.startsWith('{')) throw formatError(path, 'the header does not start with "{"');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      // The position only: V8's message quotes the header's bytes.
      throw formatError(path, `the header is not valid JSON (${jsonSyntaxProblem(e)})`);
    }
    const { tensors, metadata } = parseSafetensorsHeader(path, json, 8 + headerLength, fileSize);
    return new SafetensorsFile(path, fd, tensors, metadata);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Reads every tensor of a file (in file order). */
export function readSafetensors(path: string): Map<string, SafetensorsTensor> {
  const file = openSafetensors(path);
  try {
    return new Map(file.keys().map((k) => [k, file.read(k)]));
  } finally {
    file.close();
  }
}

const WRITE_ARRAY: Record<
  SafetensorsDType,
  { type: string; ok: (d: SafetensorsWriteTensor['data']) => boolean }
> = {
  F32: { type: 'Float32Array', ok: (d) => d instanceof Float32Array },
  F16: { type: 'Float32Array', ok: (d) => d instanceof Float32Array },
  BF16: { type: 'Float32Array', ok: (d) => d instanceof Float32Array },
  F64: { type: 'Float64Array', ok: (d) => d instanceof Float64Array },
  I32: { type: 'Int32Array', ok: (d) => d instanceof Int32Array },
  I64: { type: 'Int32Array', ok: (d) => d instanceof Int32Array },
  I8: { type: 'Int8Array', ok: (d) => d instanceof Int8Array },
  U8: { type: 'Uint8Array', ok: (d) => d instanceof Uint8Array },
};

/** The little-endian bytes of one tensor in its file dtype. */
function encodeTensor(t: SafetensorsWriteTensor): Uint8Array {
  const d = t.data;
  switch (t.dtype) {
    case 'F16':
    case 'BF16': {
      const h = float32ToHalf(d, t.dtype === 'F16' ? 'f16' : 'bf16');
      return new Uint8Array(h.buffer);
    }
    case 'I64': {
      const wide = new BigInt64Array(d.length);
      for (let i = 0; i < d.length; i++) wide[i] = BigInt(d[i]);
      return new Uint8Array(wide.buffer);
    }
    default:
      return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
}

/** Byte-wise UTF-8 order, as Rust's `String` comparison sorts names (JS `<` compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The exact bytes `writeSafetensors` puts in a file: header length, padded header, then tensor data. */
export function serializeSafetensors(
  tensors: Readonly<Record<string, SafetensorsWriteTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  checkLittleEndian();
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const spec = Object.hasOwn(WRITE_ARRAY, t.dtype) ? WRITE_ARRAY[t.dtype] : undefined;
    if (!spec)
      throw new LlmkError(
        'LLMK_E_DTYPE',
        `tensor '${name}': cannot write dtype ${String(t.dtype)}`,
        `supported: ${Object.keys(WRITE_ARRAY).join(', ')}`,
      );
    if (!spec.ok(t.data))
      throw new LlmkError(
        'LLMK_E_DTYPE',
        `tensor '${name}': ${t.dtype} must be written from a ${spec.type}, got ${t.data.constructor.name}`,
        `pass a ${spec.type}`,
      );
    let numel = 1;
    for (const s of t.shape) {
      if (!isCount(s))
        throw new LlmkError(
          'LLMK_E_SHAPE',
          `tensor '${name}': invalid shape [${t.shape.join(', ')}]`,
          'dimensions must be non-negative integers',
        );
      numel *= s;
    }
    if (numel !== t.data.length)
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `tensor '${name}': shape [${t.shape.join(', ')}] holds ${numel} elements but the data has ${t.data.length}`,
        'pass a shape whose product equals the data length',
      );
    if (name === '__metadata__')
      throw new LlmkError(
        'LLMK_E_ARG',
        'a tensor cannot be named __metadata__',
        'the name is reserved by the format',
      );
  }
  // Rust `prepare`: descending dtype (enum order), then name.
  names.sort(
    (a, b) =>
      (DTYPE_RANK.get(tensors[b].dtype) ?? 0) - (DTYPE_RANK.get(tensors[a].dtype) ?? 0) || compareUtf8(a, b),
  );
  // Null prototype: a tensor named "__proto__" must stay an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata) {
    // Rust serializes its metadata HashMap in arbitrary order; sorted keys keep ours deterministic.
    const meta: Record<string, string> = Object.create(null);
    for (const k of Object.keys(metadata).sort(compareUtf8)) {
      if (typeof metadata[k] !== 'string')
        throw new LlmkError(
          'LLMK_E_ARG',
          `metadata '${k}' is not a string`,
          'safetensors metadata maps strings to strings; JSON.stringify other values',
        );
      meta[k] = metadata[k];
    }
    header.__metadata__ = meta;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = encodeTensor(t);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  // JSON.stringify escapes exactly what serde_json escapes (quote, backslash, control characters, lowercase \u00xx).
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(padded.length), true);
  return [len, padded, ...chunks];
}

/**
 * Writes tensors to `path` atomically: the bytes go to `path.tmp-<pid>`, which is then renamed over
 * `path` (a crash never leaves a half-written checkpoint under the real name).
 */
export function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsWriteTensor>>,
  metadata?: Readonly<Record<string, string>>,
): void {
  const chunks = serializeSafetensors(tensors, metadata);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_IO',
      `${path}: cannot create ${tmp} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      'check that the directory exists and is writable',
    );
  }
  try {
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed: the failure came from renameSync
    }
    rmSync(tmp, { force: true });
    throw new LlmkError(
      'LLMK_E_IO',
      `${path}: write failed (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      'check free disk space and permissions',
    );
  }
}
