/**
 * Streaming line reader: bounded memory (one read chunk plus one partial line), strict UTF-8 with
 * the line number of the first bad byte, CRLF and a leading BOM handled. Every reader builds on it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { LlmkError } from '../errors.js';
import { DataError } from './errors.js';

export interface Line {
  /** Line text without its terminator. */
  text: string;
  /** 1-based line number. */
  line: number;
}

export interface ReadLinesOptions {
  /** Read size in bytes; 1 MiB keeps syscalls rare without holding much. */
  chunkBytes?: number;
  /** A line longer than this is an error rather than an unbounded buffer (default 256 MiB). */
  maxLineBytes?: number;
  /** Called with the cumulative number of bytes read, for progress display. */
  onBytes?: (bytes: number) => void;
}

const NEWLINE = 0x0a;

/** Size of a file in bytes; a missing path is LLMK_E_NOT_FOUND naming the path. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path}: no such file`,
      'check the path (relative paths start at the current directory)',
    );
  }
}

/**
 * Index of the first byte that starts an invalid UTF-8 sequence, or -1 (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < len; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += len;
  }
  return -1;
}

/** Line and 1-based byte column of the first invalid UTF-8 sequence in `bytes` (whole lines). */
function locateBadUtf8(bytes: Uint8Array, firstLine: number): { line: number; column: number } {
  const at = Math.max(0, firstInvalidUtf8(bytes));
  let line = firstLine;
  let lineStart = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < at; i = bytes.indexOf(NEWLINE, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/** Yields the lines of a UTF-8 text file one at a time. */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<Line> {
  await fileSize(path);
  const maxLineBytes = options.maxLineBytes ?? 256 * 1024 * 1024;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  let carry: Buffer | null = null;
  let lineNo = 1;
  let bytesRead = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      options.onBytes?.(bytesRead);
      let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = null;
      const last = buf.lastIndexOf(NEWLINE);
      if (last < 0) {
        if (buf.length > maxLineBytes)
          throw new DataError(
            path,
            lineNo,
            `line longer than ${maxLineBytes} bytes`,
            'is this a binary file?',
          );
        carry = buf;
        continue;
      }
      if (last + 1 < buf.length) carry = buf.subarray(last + 1);
      buf = buf.subarray(0, last);
      // A newline byte never occurs inside a multi-byte UTF-8 sequence, so whole lines decode alone.
      let text: string;
      try {
        text = decoder.decode(buf);
      } catch {
        const where = locateBadUtf8(buf, lineNo);
        throw new DataError(
          path,
          where.line,
          `invalid UTF-8 at byte ${where.column} of the line`,
          're-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`',
        );
      }
      const parts = text.split('\n');
      for (const part of parts) {
        yield { text: part.endsWith('\r') ? part.slice(0, -1) : part, line: lineNo };
        lineNo++;
      }
    }
    if (carry && carry.length > 0) {
      let text: string;
      try {
        text = decoder.decode(carry);
      } catch {
        const where = locateBadUtf8(carry, lineNo);
        throw new DataError(
          path,
          where.line,
          `invalid UTF-8 at byte ${where.column} of the line`,
          're-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8`',
        );
      }
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line: lineNo };
    }
  } finally {
    stream.destroy();
  }
}
