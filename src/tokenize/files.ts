/** File helpers shared by tokenizer writers: typed read errors and write-through-a-temporary-name. */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { LlmkError } from '../errors.js';

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

/** Parses JSON, naming the file on failure. */
export function parseJsonFile(path: string, what: string): unknown {
  const text = readFileOrThrow(path, what).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LlmkError('LLMK_E_FORMAT', `${what} ${path} is not valid JSON: ${(err as Error).message}`);
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
