/**
 * Follows a growing metrics.jsonl: each `read()` returns the complete lines appended since the
 * last one. A trailing line without its newline is left for later (the writer may be mid-write).
 */
import { closeSync, constants, type FSWatcher, fstatSync, openSync, readSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LlmkError } from '../../errors.js';
import { jsonSyntaxProblem } from '../../formats/json.js';
import { type MetricsRow, parseMetricsLine } from '../metrics.js';

export interface TailChunk {
  rows: MetricsRow[];
  warnings: string[];
  /** Byte offset just past the last complete line read; resume from here. */
  offset: number;
  /** Lines read so far (1-based number of the last one), for warnings after a resume. */
  line: number;
  /** True when the read stopped at `maxBytes` with more complete data waiting. */
  more: boolean;
}

/** An open file and its size at open time. */
export interface TailFile {
  fd: number;
  size: number;
}

export interface MetricsTailOptions {
  /**
   * Opens the log: null when it does not exist yet; throws an LlmkError when it must not be read
   * (the dashboard refuses links out of the runs folder). Default: a plain open of regular files.
   */
  open?: (path: string) => TailFile | null;
  /**
   * A line longer than this is skipped with a warning instead of being buffered: metrics rows are
   * a few hundred bytes, and a log without newlines must not make the reader allocate the file.
   */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 16 * 2 ** 20;
const SCAN_BYTES = 2 ** 20;

function openRegular(path: string): TailFile | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in the log's place must not block open().
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new LlmkError('LLMK_E_IO', `${basename(path)} cannot be opened (${code})`, 'check its permissions');
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new LlmkError(
      'LLMK_E_IO',
      `${basename(path)} is not a regular file`,
      'replace it with the log itself',
    );
  }
  return { fd, size: stat.size };
}

/** Reads `length` bytes at `position` (fewer at end of file). */
export function readAt(file: TailFile, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(file.fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Absolute position of the first newline in [from, to), reading a bounded window at a time; -1 if none. */
function findNewline(file: TailFile, from: number, to: number): number {
  for (let at = from; at < to; at += SCAN_BYTES) {
    const bytes = readAt(file, Math.min(SCAN_BYTES, to - at), at);
    const i = bytes.indexOf(0x0a);
    if (i >= 0) return at + i;
    if (bytes.length === 0) break;
  }
  return -1;
}

/**
 * parseMetricsLine quotes V8's JSON.parse message, which holds the start of the line; the
 * dashboard shows warnings to whoever opens the page, so only the kind of error is kept.
 */
function describeProblem(problem: string): string {
  if (!problem.startsWith('not JSON')) return problem;
  return `not JSON (${jsonSyntaxProblem(new SyntaxError(problem.slice('not JSON ('.length, -1)))})`;
}

export class MetricsTail {
  readonly path: string;
  private offset: number;
  private line: number;
  private readonly open: (path: string) => TailFile | null;
  private readonly maxLineBytes: number;
  /** The last reason the file could not be read, so it is reported once, not on every poll. */
  private problem = '';

  /** `offset` must sit at a line start (0, or an offset a previous chunk returned). */
  constructor(path: string, offset = 0, line = 0, options: MetricsTailOptions = {}) {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(line) || line < 0) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `resume position ${offset}:${line} is not a byte offset and line count`,
        'pass non-negative integers, as a previous chunk returned them',
      );
    }
    this.path = path;
    this.offset = offset;
    this.line = line;
    this.open = options.open ?? openRegular;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /**
   * Reads complete lines appended since the last call, at most about `maxBytes` of them (more only
   * when a single line is longer, up to `maxLineBytes`) so a huge log streams in pieces; `more` says
   * whether to call again.
   */
  read(maxBytes = 4 * 2 ** 20): TailChunk {
    const chunk: TailChunk = { rows: [], warnings: [], offset: this.offset, line: this.line, more: false };
    let file: TailFile | null;
    try {
      file = this.open(this.path);
    } catch (err) {
      if (!(err instanceof LlmkError)) throw err;
      if (err.message !== this.problem) chunk.warnings.push(err.message);
      this.problem = err.message;
      return chunk;
    }
    this.problem = '';
    if (!file) return chunk;
    try {
      return this.readFrom(file, maxBytes, chunk);
    } finally {
      closeSync(file.fd);
    }
  }

  private readFrom(file: TailFile, maxBytes: number, chunk: TailChunk): TailChunk {
    const size = file.size;
    if (size < this.offset) {
      // The file was replaced or truncated: start over rather than read from the middle of a line.
      this.offset = 0;
      this.line = 0;
    }
    if (size === this.offset) return chunk;
    const available = size - this.offset;
    let bytes = readAt(file, Math.min(available, maxBytes), this.offset);
    if (bytes.lastIndexOf(0x0a) < 0 && available > maxBytes) {
      // One line longer than maxBytes: read it whole if it ends within maxLineBytes, else skip it.
      const limit = Math.min(size, this.offset + this.maxLineBytes + 1);
      const newline = findNewline(file, this.offset + bytes.length, limit);
      if (newline >= 0) bytes = readAt(file, newline - this.offset + 1, this.offset);
      else if (limit - this.offset > this.maxLineBytes) {
        const end = findNewline(file, limit, size);
        if (end < 0) return chunk; // still being written: look again later, holding nothing
        this.line++;
        chunk.warnings.push(`metrics.jsonl line ${this.line}: over ${this.maxLineBytes} bytes; skipped`);
        this.offset = end + 1;
        chunk.offset = this.offset;
        chunk.line = this.line;
        chunk.more = this.offset < size;
        return chunk;
      }
    }
    const end = bytes.lastIndexOf(0x0a);
    if (end < 0) return chunk;
    const lines = bytes.subarray(0, end).toString('utf8').split('\n');
    for (const text of lines) {
      this.line++;
      const parsed = parseMetricsLine(text);
      if (typeof parsed === 'string')
        chunk.warnings.push(`metrics.jsonl line ${this.line}: ${describeProblem(parsed)}; skipped`);
      else if (parsed) chunk.rows.push(parsed);
    }
    this.offset += end + 1;
    chunk.offset = this.offset;
    chunk.line = this.line;
    chunk.more = this.offset < size && bytes.length < available;
    return chunk;
  }
}

/**
 * Calls `onChange` when `path` may have changed: fs.watch on its folder (so creation is seen too)
 * plus polling every `pollMs`, because fs.watch misses events on network and some container filesystems.
 */
export function watchPath(path: string, onChange: () => void, pollMs = 500): () => void {
  let watcher: FSWatcher | null = null;
  const name = basename(path);
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file === null || file === name) onChange();
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(onChange, pollMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    watcher?.close();
  };
}

/**
 * One watcher per file however many streams follow it: a thousand open pages on one run cost one
 * fs.watch and one timer, not a thousand of each.
 */
export class WatchHub {
  private readonly entries = new Map<string, { listeners: Set<() => void>; stop: () => void }>();

  constructor(private readonly pollMs: number) {}

  subscribe(path: string, onChange: () => void): () => void {
    let entry = this.entries.get(path);
    if (!entry) {
      const listeners = new Set<() => void>();
      const stop = watchPath(
        path,
        () => {
          for (const listener of [...listeners]) listener();
        },
        this.pollMs,
      );
      entry = { listeners, stop };
      this.entries.set(path, entry);
    }
    const current = entry;
    current.listeners.add(onChange);
    return () => {
      current.listeners.delete(onChange);
      if (current.listeners.size === 0 && this.entries.get(path) === current) {
        current.stop();
        this.entries.delete(path);
      }
    };
  }
}
