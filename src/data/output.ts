/**
 * Safe outputs: never overwrite without `force`, write to a temporary name beside the target and
 * rename on success, so a crash or an error never leaves a half-written file under the real name.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { LlmkError } from '../errors.js';
import type { Doc } from './types.js';

/** Throws LLMK_E_EXISTS when `path` exists (a non-empty directory counts) and `force` is false. */
export function checkWritable(path: string, force: boolean): void {
  if (!existsSync(path) || force) return;
  if (statSync(path).isDirectory() && readdirSync(path).length === 0) return;
  throw new LlmkError(
    'LLMK_E_EXISTS',
    `${path} already exists`,
    'pass --force to overwrite it, or choose another --output',
  );
}

/** The temporary name a partial output is written under. */
export function tempPath(path: string): string {
  return `${path}.partial-${process.pid}`;
}

/** Moves a finished temporary output into place, replacing an old one (the caller checked `force`). */
export function commitOutput(temp: string, path: string): void {
  if (existsSync(path)) rmSync(path, { recursive: true, force: true });
  renameSync(temp, path);
}

/**
 * Writes documents as JSON Lines through a 1 MiB buffer with synchronous writes: memory stays
 * bounded and no stream back-pressure has to be threaded through the pipeline.
 */
export class JsonlWriter {
  readonly path: string;
  private readonly temp: string;
  private fd: number;
  private chunks: string[] = [];
  private pending = 0;
  private closed = false;
  bytes = 0;
  count = 0;

  constructor(path: string, force = false) {
    checkWritable(path, force);
    this.path = path;
    this.temp = tempPath(path);
    this.fd = openSync(this.temp, 'w');
  }

  write(doc: Doc | Record<string, unknown>): void {
    const line = `${JSON.stringify(doc)}\n`;
    this.chunks.push(line);
    this.pending += line.length;
    this.count++;
    if (this.pending >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.chunks = [];
    this.pending = 0;
  }

  /** Flushes, closes and renames the file into place. */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    commitOutput(this.temp, this.path);
  }

  /** Closes and deletes the partial file (after an error). */
  abort(): void {
    if (this.closed) return;
    closeSync(this.fd);
    this.closed = true;
    rmSync(this.temp, { force: true });
  }
}
