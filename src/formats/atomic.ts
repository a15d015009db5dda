/**
 * Atomic file writes: every file is written to a temporary name and renamed, so an interrupted save
 * never leaves a half-written file under the final name. Directories: `writeDirAtomic` in output.ts.
 */
import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
