/**
 * Atomic writes: every file is written to a temporary name and renamed, and a directory is built as
 * `<dir>.tmp-<pid>` and renamed into place, so an interrupted save never leaves a half-written file
 * or directory under the final name.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Builds a directory at `<dir>.tmp-<pid>` with `fill`, then swaps it into place; an existing `dir`
 * is removed only after the new one is complete, so an interrupted save never loses a checkpoint.
 */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}
