/**
 * Reading run files for the dashboard without leaking anything else on the machine. A run folder is
 * written by training jobs, but anyone who can write into it could plant `metrics.jsonl →
 * /etc/passwd`; the dashboard then served that file's lines in warnings. So every read:
 *   1. resolves the path (symlinks included) and refuses anything outside the runs folder;
 *   2. opens the resolved path with O_NOFOLLOW (a link swapped in after step 1 fails to open) and
 *      O_NONBLOCK (a FIFO planted as metrics.jsonl cannot block the server in open());
 *   3. accepts regular files only, and caps whole-file reads.
 * Errors name the file relative to the run, never its content.
 */
import { closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import { basename, dirname, sep } from 'node:path';
import { LlmkError } from '../../errors.js';
import { readAt, type TailFile } from './tail.js';

/** A run file the dashboard refuses to read (a link out of the runs folder, a FIFO, a huge config): HTTP 403. */
export class RunFileError extends LlmkError {
  readonly status = 403;
  constructor(message: string, hint: string) {
    super('LLMK_E_IO', message, hint);
    this.name = 'RunFileError';
  }
}

/** config.json and env.json are a few kilobytes; anything past this is not one of ours. */
export const MAX_JSON_FILE_BYTES = 16 * 2 ** 20;

export type OpenedFile = TailFile;

/** `run/metrics.jsonl` for messages: enough to find the file, nothing about what is in it. */
function label(path: string): string {
  return `${basename(dirname(path))}/${basename(path)}`;
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'unknown error';
}

export class RunFiles {
  private readonly rootReal: string;

  constructor(root: string) {
    this.rootReal = realpathSync(root);
  }

  /** Opens `path` for reading; null when it does not exist (or is a dangling link). */
  open(path: string): OpenedFile | null {
    let real: string;
    try {
      real = realpathSync(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw new RunFileError(
        `${label(path)} cannot be resolved (${errnoCode(err)})`,
        'check its permissions',
      );
    }
    if (!real.startsWith(this.rootReal + sep)) {
      throw new RunFileError(
        `${label(path)} is a symbolic link that leads out of the runs folder; not read`,
        'copy the file into the run directory instead of linking to it',
      );
    }
    let fd: number;
    try {
      fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return null;
      throw new RunFileError(
        `${label(path)} cannot be opened (${code === 'ELOOP' ? 'it became a symbolic link' : code})`,
        'check the file and its permissions',
      );
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw new RunFileError(
        `${label(path)} is not a regular file; not read`,
        'replace it with the file itself',
      );
    }
    return { fd, size: stat.size };
  }

  /** A whole small file as text, or null when absent. */
  readText(path: string, maxBytes = MAX_JSON_FILE_BYTES): string | null {
    const file = this.open(path);
    if (!file) return null;
    try {
      if (file.size > maxBytes) {
        throw new RunFileError(
          `${label(path)} is ${file.size} bytes, over the ${maxBytes}-byte limit for this file`,
          'this is not a file a run writes; remove or rename it',
        );
      }
      return readAt(file, file.size, 0).toString('utf8');
    } finally {
      closeSync(file.fd);
    }
  }
}
