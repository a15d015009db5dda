/**
 * Token shards: a flat little-endian binary file, a 64-byte header then the tokens.
 *
 *   offset size field
 *   0      8    magic      ASCII "LLMKTOK1"
 *   8      4    version    uint32, 1
 *   12     4    dtype      uint32, bytes per token: 2 (uint16, vocabulary ≤ 65,536) or 4 (uint32)
 *   16     8    numTokens  uint64 (must be < 2^53)
 *   24     4    vocabSize  uint32
 *   28     4    eosId      uint32 (0xFFFFFFFF when there is none)
 *   32     32   reserved   zero
 *   64     numTokens × dtype bytes of token ids
 *
 * Like nanoGPT's train.bin and llm.c's .bin shards (which carry a 1,024-byte header), but with the
 * dtype and the count in the header, so a reader can check the file size before trusting it.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { check, LlmkError } from '../errors.js';
import { checkWritable, commitOutput, tempPath } from './output.js';

export const SHARD_MAGIC = 'LLMKTOK1';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;
export const NO_EOS = 0xffffffff;

export type TokenDtype = 'uint16' | 'uint32';

export interface ShardHeader {
  version: number;
  dtype: TokenDtype;
  numTokens: number;
  vocabSize: number;
  /** The end-of-document id, or null. */
  eosId: number | null;
}

/** uint16 when every id fits (vocabulary ≤ 65,536), else uint32. */
export function dtypeForVocab(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? 'uint16' : 'uint32';
}

export function encodeHeader(h: ShardHeader): Buffer {
  const buf = Buffer.alloc(SHARD_HEADER_BYTES);
  buf.write(SHARD_MAGIC, 0, 'ascii');
  buf.writeUInt32LE(h.version, 8);
  buf.writeUInt32LE(h.dtype === 'uint16' ? 2 : 4, 12);
  buf.writeBigUInt64LE(BigInt(h.numTokens), 16);
  buf.writeUInt32LE(h.vocabSize, 24);
  buf.writeUInt32LE(h.eosId ?? NO_EOS, 28);
  return buf;
}

export function decodeHeader(buf: Buffer, path: string, fileBytes: number): ShardHeader {
  const bad = (what: string): LlmkError =>
    new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: not a valid token shard (${what})`,
      'write shards with `llmk data pack` or ShardWriter',
    );
  if (buf.length < SHARD_HEADER_BYTES)
    throw bad(`file is ${buf.length} bytes, shorter than the 64-byte header`);
  if (buf.toString('ascii', 0, 8) !== SHARD_MAGIC)
    throw bad(`magic is ${JSON.stringify(buf.toString('latin1', 0, 8))}`);
  const version = buf.readUInt32LE(8);
  if (version !== SHARD_VERSION) throw bad(`version ${version}, this reader knows ${SHARD_VERSION}`);
  const width = buf.readUInt32LE(12);
  if (width !== 2 && width !== 4) throw bad(`dtype width ${width}`);
  const count = buf.readBigUInt64LE(16);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('token count ≥ 2^53');
  const numTokens = Number(count);
  if (fileBytes !== SHARD_HEADER_BYTES + numTokens * width)
    throw bad(
      `header says ${numTokens} tokens × ${width} bytes but the file has ${fileBytes - SHARD_HEADER_BYTES} data bytes (truncated?)`,
    );
  const eos = buf.readUInt32LE(28);
  return {
    version,
    dtype: width === 2 ? 'uint16' : 'uint32',
    numTokens,
    vocabSize: buf.readUInt32LE(24),
    eosId: eos === NO_EOS ? null : eos,
  };
}

export interface ShardWriterOptions {
  vocabSize: number;
  eosId?: number | null;
  /** Overwrite an existing file. */
  force?: boolean;
  /** Tokens buffered before a write (default 1 Mi). */
  bufferTokens?: number;
}

/** Appends tokens to a shard; the header's count is written at `close()`, then the file is renamed into place. */
export class ShardWriter {
  readonly path: string;
  readonly dtype: TokenDtype;
  readonly vocabSize: number;
  readonly eosId: number | null;
  private readonly temp: string;
  private readonly fd: number;
  private readonly buffer: Uint16Array | Uint32Array;
  private used = 0;
  private closed = false;
  numTokens = 0;

  constructor(path: string, options: ShardWriterOptions) {
    check(
      Number.isInteger(options.vocabSize) && options.vocabSize > 0 && options.vocabSize <= 0xffffffff,
      'LLMK_E_ARG',
      () => `vocabSize must be a positive uint32 (got ${options.vocabSize})`,
    );
    checkWritable(path, options.force ?? false);
    this.path = path;
    this.vocabSize = options.vocabSize;
    this.eosId = options.eosId ?? null;
    this.dtype = dtypeForVocab(options.vocabSize);
    const n = options.bufferTokens ?? 1 << 20;
    this.buffer = this.dtype === 'uint16' ? new Uint16Array(n) : new Uint32Array(n);
    this.temp = tempPath(path);
    this.fd = openSync(this.temp, 'w');
    writeSync(this.fd, Buffer.alloc(SHARD_HEADER_BYTES));
  }

  /** Appends token ids; each must be an integer in [0, vocabSize). */
  write(tokens: ArrayLike<number>): void {
    check(!this.closed, 'LLMK_E_ARG', () => `${this.path}: write after close`);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (!(t >= 0 && t < this.vocabSize && Number.isInteger(t)))
        throw new LlmkError(
          'LLMK_E_DATA',
          `token id ${t} is outside the vocabulary [0, ${this.vocabSize})`,
          'the tokenizer and the shard vocabSize disagree',
        );
      this.buffer[this.used++] = t;
      if (this.used === this.buffer.length) this.flush();
    }
    this.numTokens += tokens.length;
  }

  private flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, new Uint8Array(this.buffer.buffer, 0, this.used * this.buffer.BYTES_PER_ELEMENT));
    this.used = 0;
  }

  /** Writes the header, closes and renames the file into place; returns the header. */
  close(): ShardHeader {
    const header: ShardHeader = {
      version: SHARD_VERSION,
      dtype: this.dtype,
      numTokens: this.numTokens,
      vocabSize: this.vocabSize,
      eosId: this.eosId,
    };
    if (!this.closed) {
      this.flush();
      writeSync(this.fd, encodeHeader(header), 0, SHARD_HEADER_BYTES, 0);
      closeSync(this.fd);
      this.closed = true;
      commitOutput(this.temp, this.path);
    }
    return header;
  }
}

/** Writes a whole token array as one shard. */
export function writeShard(
  path: string,
  tokens: ArrayLike<number>,
  options: ShardWriterOptions,
): ShardHeader {
  const w = new ShardWriter(path, options);
  w.write(tokens);
  return w.close();
}

export interface Shard extends ShardHeader {
  path: string;
  tokens: Uint16Array | Uint32Array;
}

/** Reads a shard into memory (Node has no mmap; `ShardFile` reads windows on demand instead). */
export function openShard(path: string): Shard {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path}: cannot read token shard`,
      'check the path; shards are written by `llmk data pack`',
    );
  }
  const header = decodeHeader(buf, path, buf.length);
  const width = header.dtype === 'uint16' ? 2 : 4;
  let data = buf.subarray(SHARD_HEADER_BYTES);
  // Typed-array views need an aligned offset; copy in the rare case the Buffer is unaligned.
  if (data.byteOffset % width !== 0) data = Buffer.from(data);
  const tokens =
    header.dtype === 'uint16'
      ? new Uint16Array(data.buffer, data.byteOffset, header.numTokens)
      : new Uint32Array(data.buffer, data.byteOffset, header.numTokens);
  return { ...header, path, tokens };
}

/** Anything windows can be read from: an in-memory shard or a file read on demand. */
export interface TokenSource {
  readonly numTokens: number;
  /** Copies tokens [start, start + count) into `out` at `outOffset`. */
  read(start: number, count: number, out: Int32Array, outOffset: number): void;
}

/** A token array as a TokenSource. */
export class MemoryTokens implements TokenSource {
  readonly tokens: ArrayLike<number>;
  readonly numTokens: number;

  constructor(tokens: ArrayLike<number>) {
    this.tokens = tokens;
    this.numTokens = tokens.length;
  }

  read(start: number, count: number, out: Int32Array, outOffset: number): void {
    const t = this.tokens;
    for (let i = 0; i < count; i++) out[outOffset + i] = t[start + i];
  }
}

/** A shard read window by window with positional reads: memory stays at one window. */
export class ShardFile implements TokenSource {
  readonly path: string;
  readonly header: ShardHeader;
  readonly numTokens: number;
  private readonly fd: number;
  private readonly width: number;
  private scratch = Buffer.alloc(0);

  constructor(path: string) {
    this.path = path;
    try {
      this.fd = openSync(path, 'r');
    } catch {
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${path}: cannot open token shard`,
        'check the path; shards are written by `llmk data pack`',
      );
    }
    const head = Buffer.alloc(SHARD_HEADER_BYTES);
    const got = readSync(this.fd, head, 0, SHARD_HEADER_BYTES, 0);
    const { size } = fstatSync(this.fd);
    this.header = decodeHeader(head.subarray(0, got), path, size);
    this.numTokens = this.header.numTokens;
    this.width = this.header.dtype === 'uint16' ? 2 : 4;
  }

  read(start: number, count: number, out: Int32Array, outOffset: number): void {
    check(
      start >= 0 && start + count <= this.numTokens,
      'LLMK_E_ARG',
      () => `${this.path}: window [${start}, ${start + count}) outside ${this.numTokens} tokens`,
    );
    const bytes = count * this.width;
    if (this.scratch.length < bytes) this.scratch = Buffer.alloc(bytes);
    readSync(this.fd, this.scratch, 0, bytes, SHARD_HEADER_BYTES + start * this.width);
    if (this.width === 2)
      for (let i = 0; i < count; i++) out[outOffset + i] = this.scratch.readUInt16LE(i * 2);
    else for (let i = 0; i < count; i++) out[outOffset + i] = this.scratch.readUInt32LE(i * 4);
  }

  close(): void {
    closeSync(this.fd);
  }
}
