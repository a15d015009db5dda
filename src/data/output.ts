/**
 * Safe outputs: never overwrite without `force`, write to a temporary name beside the target and
 * rename on success, so a crash or an error never leaves a half-written file under the real name.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { abortPartial, checkOutput, commitPartial, type OutputKind, partialPath } from '../formats/output.js';
import type { Doc } from './types.js';

/**
 * Throws LLMK_E_EXISTS when `path` exists (an empty directory does not count) and `force` is false;
 * see checkOutput in src/formats/output.ts for the whole rule (what --force may replace, inputs).
 */
export function checkWritable(
  path: string,
  force: boolean,
  kind: OutputKind = 'file',
  inputs: readonly (string | undefined)[] = [],
): void {
  checkOutput({ path, kind, force, inputs });
}

/** The temporary name a partial output is written under (registered for removal on every exit path). */
export function tempPath(path: string): string {
  return partialPath(path);
}

/** Moves a finished temporary output into place (a file by rename; an llmk directory by swap). */
export function commitOutput(temp: string, path: string): void {
  commitPartial(temp, path);
}

/** Removes a partial output (after an error). */
export function discardOutput(temp: string): void {
  abortPartial(temp);
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

  constructor(path: string, force = false, inputs: readonly (string | undefined)[] = []) {
    checkWritable(path, force, 'file', inputs);
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
    abortPartial(this.temp);
  }
}
