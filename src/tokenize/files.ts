/** File helpers shared by tokenizer writers: typed read errors and write-through-a-temporary-name. */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { LlmkError } from '../errors.js';
import { jsonSyntaxProblem } from '../formats/json.js';

/** Reads a whole file, turning a missing or unreadable file into LLMK_E_NOT_FOUND / LLMK_E_IO naming it. */
export function readFileOrThrow(path: string, what: string): Buffer {
  if (!existsSync(path)) {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${what} ${path} does not exist`, 'check the path');
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new LlmkError('LLMK_E_IO', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * What a file that is not the expected format looks like, from its first bytes: the formats people
 * pass by mistake (a model instead of its tokenizer, an archive, a SentencePiece .model), else
 * "binary data" or null for text. Read from magic numbers only, so a message can say what a file
 * is without quoting any of it.
 */
export function describeFileKind(bytes: Uint8Array): string | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts = (magic: string): boolean => b.subarray(0, magic.length).toString('latin1') === magic;
  // Magics that are also printable text are trusted only with the binary version word after them.
  if (starts('GGUF') && b.length >= 8 && b.readUInt32LE(4) < 0x100) return 'a GGUF file';
  if (starts('ak42') && b.length >= 8 && b.readUInt32LE(4) === 1)
    return 'a llama2.c model checkpoint (version 1)';
  if (starts('\x1f\x8b')) return 'a gzip archive';
  if (starts('PK\x03\x04') || starts('PK\x05\x06'))
    return 'a zip archive (a PyTorch .bin/.pt checkpoint is one)';
  if (starts('\x80\x02') || starts('\x80\x03') || starts('\x80\x04') || starts('\x80\x05'))
    return 'a Python pickle (a PyTorch checkpoint)';
  if (starts('\x89PNG') || starts('\xff\xd8\xff') || starts('GIF8')) return 'an image';
  if (starts('%PDF')) return 'a PDF document';
  if (starts('\x7fELF')) return 'an executable';
  if (starts('\xff\xfe') || starts('\xfe\xff')) return 'UTF-16 text (llmk reads UTF-8)';
  // safetensors: u64 little-endian header length, then the JSON header itself.
  if (b.length >= 9 && b[8] === 0x7b && b.readUInt32LE(4) === 0 && b.readUInt32LE(0) > 1)
    return 'a safetensors weights file';
  // SentencePiece tokenizer.model: a protobuf whose first field is `pieces` (tag 0x0a), a message
  // starting with the piece string (tag 0x0a) followed by its score (0x15) or type (0x18).
  if (b[0] === 0x0a && isSentencePieceStart(b)) return 'a SentencePiece model (tokenizer.model)';
  // llama2.c tokenizer.bin: int32 max_token_length, then float32 score and int32 length per token.
  if (b.length >= 12) {
    const max = b.readInt32LE(0);
    const len = b.readInt32LE(8);
    if (
      max > 0 &&
      max <= 1 << 16 &&
      len >= 0 &&
      len <= max &&
      Number.isFinite(b.readFloatLE(4)) &&
      b[3] === 0
    )
      return 'a llama2.c tokenizer.bin';
  }
  for (const byte of b) if (byte === 0) return 'binary data';
  try {
    // stream: a multi-byte character cut at the end of the window is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(b, { stream: true });
  } catch {
    return 'binary data (not UTF-8 text)';
  }
  return null;
}

/** Protobuf varint of at most two bytes at `at`: [value, next offset], or null. */
function varint2(b: Buffer, at: number): [number, number] | null {
  if (at >= b.length) return null;
  if (b[at] < 0x80) return [b[at], at + 1];
  if (at + 1 >= b.length || b[at + 1] >= 0x80) return null;
  return [(b[at] & 0x7f) | (b[at + 1] << 7), at + 2];
}

function isSentencePieceStart(b: Buffer): boolean {
  const outer = varint2(b, 1);
  if (!outer || b[outer[1]] !== 0x0a) return false;
  const piece = varint2(b, outer[1] + 1);
  if (!piece) return false;
  const next = b[piece[1] + piece[0]];
  return next === 0x15 || next === 0x18;
}

/**
 * The first `n` bytes of a file (fewer if it is shorter), with readFileOrThrow's errors. Sniffing a
 * multi-gigabyte GGUF must not read it whole (readFileSync also refuses files over 2 GiB).
 */
export function readHead(path: string, n: number, what: string): Buffer {
  if (!existsSync(path)) {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${what} ${path} does not exist`, 'check the path');
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } catch (err) {
    throw new LlmkError(
      'LLMK_E_IO',
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Parses JSON, naming the file on failure; never quotes the file (it may be binary, or someone's data). */
export function parseJsonFile(path: string, what: string): unknown {
  const bytes = readFileOrThrow(path, what);
  const kind = describeFileKind(bytes.subarray(0, 4096));
  if (kind !== null) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${what} ${path} is not JSON: it looks like ${kind}`,
      'pass the JSON file itself (a tokenizer.json, config.json or encoder.json)',
    );
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${what} ${path} is not valid JSON (${jsonSyntaxProblem(err)})`,
      'check that the file is complete; re-download or re-save it',
    );
  }
}

/**
 * Writes `data` to `path` via `path.tmp-PID` and a rename, so a crash never leaves a half-written
 * file under the final name. Refuses to replace an existing file unless `force`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, force = false): void {
  if (!force && existsSync(path)) {
    throw new LlmkError(
      'LLMK_E_EXISTS',
      `${path} already exists`,
      'pass --force (or force: true) to replace it',
    );
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new LlmkError('LLMK_E_IO', `cannot write ${path}: ${(err as Error).message}`);
  }
}
