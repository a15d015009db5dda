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

/** Finds the line and byte column of the first invalid UTF-8 sequence in `bytes` (whole lines). */
function locateBadUtf8(bytes: Uint8Array, firstLine: number): { line: number; column: number } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = firstLine;
  while (start <= bytes.length) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end < 0) end = bytes.length;
    const slice = bytes.subarray(start, end);
    try {
      decoder.decode(slice);
    } catch {
      // Narrow to the first byte whose prefix fails: decode growing prefixes of valid sequences.
      let column = 0;
      for (let k = 1; k <= slice.length; k++) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(slice.subarray(0, k), { stream: true });
          column = k;
        } catch {
          break;
        }
      }
      return { line, column: column + 1 };
    }
    start = end + 1;
    line++;
  }
  return { line: firstLine, column: 1 };
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
