/**
 * Follows a growing metrics.jsonl: each `read()` returns the complete lines appended since the
 * last one. A trailing line without its newline is left for later (the writer may be mid-write).
 */
import { closeSync, existsSync, type FSWatcher, openSync, readSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
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

export class MetricsTail {
  readonly path: string;
  private offset: number;
  private line: number;

  /** `offset` must sit at a line start (0, or an offset a previous chunk returned). */
  constructor(path: string, offset = 0, line = 0) {
    this.path = path;
    this.offset = offset;
    this.line = line;
  }

  /**
   * Reads complete lines appended since the last call, at most about `maxBytes` of them (more only
   * when a single line is longer) so a huge log streams in pieces; `more` says whether to call again.
   */
  read(maxBytes = 4 * 2 ** 20): TailChunk {
    const chunk: TailChunk = { rows: [], warnings: [], offset: this.offset, line: this.line, more: false };
    if (!existsSync(this.path)) return chunk;
    const size = statSync(this.path).size;
    if (size < this.offset) {
      // The file was replaced or truncated: start over rather than read from the middle of a line.
      this.offset = 0;
      this.line = 0;
    }
    if (size === this.offset) return chunk;
    const readAt = (length: number): Buffer => {
      const fd = openSync(this.path, 'r');
      try {
        const buf = Buffer.alloc(length);
        return buf.subarray(0, readSync(fd, buf, 0, length, this.offset));
      } finally {
        closeSync(fd);
      }
    };
    const available = size - this.offset;
    let bytes = readAt(Math.min(available, maxBytes));
    if (bytes.lastIndexOf(0x0a) < 0 && available > maxBytes) bytes = readAt(available);
    const end = bytes.lastIndexOf(0x0a);
    if (end < 0) return chunk;
    const lines = bytes.subarray(0, end).toString('utf8').split('\n');
    for (const text of lines) {
      this.line++;
      const parsed = parseMetricsLine(text);
      if (typeof parsed === 'string')
        chunk.warnings.push(`metrics.jsonl line ${this.line}: ${parsed}; skipped`);
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
