/** Opening a model file for reading, with the one typed error every reader gives. */
import { openSync } from 'node:fs';
import { LlmkError } from '../errors.js';

/** A read-only file descriptor for `path`; LLMK_E_NOT_FOUND (missing) or LLMK_E_IO (anything else). */
export function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LlmkError(
      code === 'ENOENT' ? 'LLMK_E_NOT_FOUND' : 'LLMK_E_IO',
      `${path}: cannot open (${code ?? String(e)})`,
      'check the path',
    );
  }
}
