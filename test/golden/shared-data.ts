/**
 * Paths into ../shared/data (beside the repository root, as in CI). Tests read external reference
 * data from there rather than copying non-redistributable files into the repository.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDataPath(...parts: string[]): string {
  return resolve(REPO_ROOT, '..', 'shared', 'data', ...parts);
}

export function readSharedJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedDataPath(...parts), 'utf8')) as T;
}
