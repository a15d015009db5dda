/**
 * The one rule for everything llmk writes (every CLI command and the library calls behind them):
 *
 * 1. An existing output is refused unless `force` (LLMK_E_EXISTS naming the path and the flag).
 * 2. `force` replaces only what the command itself would write: a file replaces a file; a directory
 *    is replaced only when it is empty or recognisably an llmk output (a model directory —
 *    config.json + model.safetensors —, a PEFT adapter directory, or a token-shard directory), and then by an
 *    atomic rename, never by removing an arbitrary tree.
 * 3. An output that is, contains or lies inside an input is refused, as is the current directory.
 * 4. Missing parent directories are created (one behaviour for every command; `data pack` always
 *    did); a directory where a file is expected, or a file where a directory is, is LLMK_E_ARG.
 * 5. Partial outputs are written under `<path>.partial-<pid>` and registered here, so the CLI can
 *    remove them on every exit path (error, SIGINT); stale ones of dead processes are cleaned.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { LlmkError } from '../errors.js';

export type OutputKind = 'file' | 'dir';

export interface OutputSpec {
  /** The path as the user gave it. */
  path: string;
  kind: OutputKind;
  force?: boolean;
  /** The flag that named it, as the user would type it (`--output`, `-o`, `--report`). */
  flag?: string;
  /** Paths the command reads; the output may not be, contain or lie inside one of them. */
  inputs?: readonly (string | undefined)[];
}

/** A Hugging Face model directory: config.json beside model weights. */
export function isModelDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'config.json')) &&
    (existsSync(join(dir, 'model.safetensors')) || existsSync(join(dir, 'model.safetensors.index.json')))
  );
}

/** A token-shard directory written by `llmk data pack` (meta.json says so). */
export function isShardDir(dir: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { format?: unknown };
    return meta.format === 'llmk-token-shards';
  } catch {
    return false;
  }
}

/** A PEFT adapter directory: adapter_config.json beside the adapter weights. */
export function isAdapterDir(dir: string): boolean {
  return existsSync(join(dir, 'adapter_config.json')) && existsSync(join(dir, 'adapter_model.safetensors'));
}

/** A directory `force` may replace: empty, a model, adapter or token-shard directory. */
export function isReplaceableDir(dir: string): boolean {
  if (readdirSync(dir).length === 0) return true;
  return isModelDir(dir) || isAdapterDir(dir) || isShardDir(dir);
}

function within(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/**
 * Checks `spec` against the rule above and creates missing parents; returns the absolute path.
 * Call it before any work, so a refusal costs nothing.
 */
export function checkOutput(spec: OutputSpec): string {
  const flag = spec.flag ?? '--output';
  const full = resolve(spec.path);
  const cwd = process.cwd();
  if (spec.kind === 'dir' && within(cwd, full))
    throw new LlmkError(
      'LLMK_E_ARG',
      `${flag} ${spec.path} is the current directory or one of its parents`,
      `name a new directory, e.g. ${flag} out/model`,
    );
  for (const input of spec.inputs ?? []) {
    if (input === undefined || input === '') continue;
    const inFull = resolve(input);
    if (
      inFull === full ||
      within(inFull, full) ||
      (spec.kind === 'file' && within(full, inFull) && full !== inFull)
    )
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} ${spec.path} is or contains the input ${input}`,
        `write the output somewhere else, e.g. ${flag} ${join(dirname(spec.path), `out-${basename(spec.path)}`)}`,
      );
    if (spec.kind === 'dir' && within(full, inFull) && existsSync(inFull) && statSync(inFull).isDirectory())
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} ${spec.path} lies inside the input directory ${input}`,
        'write the output outside the input',
      );
  }
  cleanStale(full);
  if (existsSync(full) || isSymlink(full)) {
    const st = statSync(full, { throwIfNoEntry: false });
    const isDir = st?.isDirectory() ?? false;
    if (spec.kind === 'file' && isDir)
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} ${spec.path} is a directory, and a file is written here`,
        `give a file path, e.g. ${flag} ${join(spec.path, 'out.json')}`,
      );
    if (spec.kind === 'dir' && !isDir)
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} ${spec.path} is a file, and a directory is written here`,
        `give a directory path, e.g. ${flag} ${spec.path}.d`,
      );
    const empty = isDir && readdirSync(full).length === 0;
    if (!empty && !spec.force)
      throw new LlmkError(
        'LLMK_E_EXISTS',
        `${spec.path} already exists`,
        `pass --force to replace it, or choose another ${flag}`,
      );
    if (isDir && !empty && !isReplaceableDir(full))
      throw new LlmkError(
        'LLMK_E_EXISTS',
        `${spec.path} exists and is not a directory llmk wrote (no config.json + model.safetensors, no token-shard meta.json)`,
        `--force replaces only llmk outputs; remove it yourself or choose another ${flag}`,
      );
  }
  const parent = dirname(full);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_IO',
      `cannot create the parent directory of ${spec.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      `check that ${dirname(spec.path)} is a writable directory path`,
    );
  }
  if (!statSync(parent).isDirectory())
    throw new LlmkError('LLMK_E_IO', `${dirname(spec.path)} is not a directory`, `choose another ${flag}`);
  return full;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

// ---- partial outputs: registered so every exit path can remove them ----

/**
 * Partial outputs of this process. Process-wide on purpose: a signal handler or the CLI's error
 * path has no other way to learn what is half-written.
 */
const partials = new Set<string>();

/** `<path>.partial-<pid>`, registered for removal until `commitPartial` or `abortPartial`. */
export function partialPath(path: string): string {
  const temp = `${path}.partial-${process.pid}`;
  partials.add(temp);
  return temp;
}

/** Registers a temporary path written by someone else (e.g. a `.tmp-<pid>` directory). */
export function trackPartial(path: string): void {
  partials.add(path);
}

export function untrackPartial(path: string): void {
  partials.delete(path);
}

/** Removes a partial output and forgets it. */
export function abortPartial(temp: string): void {
  rmSync(temp, { recursive: true, force: true });
  partials.delete(temp);
}

/** Removes every registered partial output (the CLI calls this on errors and on SIGINT). */
export function removePartials(): string[] {
  const removed = [...partials];
  for (const p of removed) rmSync(p, { recursive: true, force: true });
  partials.clear();
  return removed;
}

/** Flushes a file or a directory tree to disk, so a rename after it never exposes unwritten data. */
export function fsyncTree(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) for (const name of readdirSync(path)) fsyncTree(join(path, name));
  fsyncOne(path);
}

/** Flushes one file or one directory's entries (not its children). */
function fsyncOne(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory descriptor; the data files were synced.
  } finally {
    closeSync(fd);
  }
}

/**
 * Moves a finished partial output into place. A file replaces a file by rename (atomic); an existing
 * directory (already checked by checkOutput) is renamed aside, the new one renamed in, the old one
 * removed — so at every instant the final name is either the old output or the new one.
 */
export function commitPartial(temp: string, path: string, options: { fsync?: boolean } = {}): void {
  if (options.fsync) fsyncTree(temp);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory()) {
    if (!isReplaceableDir(path))
      throw new LlmkError(
        'LLMK_E_EXISTS',
        `${path} appeared while writing and is not an llmk output`,
        'remove it or choose another output',
      );
    const old = `${path}.old-${process.pid}`;
    renameSync(path, old);
    renameSync(temp, path);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(temp, path);
  }
  partials.delete(temp);
  // Make the rename itself durable: flush the parent directory's entries.
  if (options.fsync) fsyncOne(dirname(path));
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes leftovers of killed llmk processes beside `path`: `<name>.partial-<pid>`,
 * `<name>.tmp-<pid>` and `<name>.del-<pid>` of dead pids; a `<name>.old-<pid>` is moved back when `<name>` is missing (the
 * process died between the two renames of a swap), else removed. Returns what it removed.
 */
export function cleanStale(path: string): string[] {
  const dir = dirname(path);
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = /^(.*)\.(partial|tmp|old|del)-(\d+)$/.exec(entry);
    if (!m || m[1] !== name || pidAlive(Number(m[3]))) continue;
    const full = join(dir, entry);
    if (m[2] === 'old' && !existsSync(path)) renameSync(full, path);
    else {
      rmSync(full, { recursive: true, force: true });
      removed.push(full);
    }
  }
  return removed;
}

/** Removes stale temporaries of dead processes among the children of `dir` (e.g. a checkpoints folder). */
export function cleanStaleIn(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const bases = new Set<string>();
  for (const entry of entries) {
    const m = /^(.*)\.(partial|tmp|old|del)-(\d+)$/.exec(entry);
    if (m) bases.add(m[1]);
  }
  return [...bases].flatMap((b) => cleanStale(join(dir, b)));
}

/** Writes a small file under the rule (reports, JSON summaries): checked, written to a partial, renamed. */
export function writeOutputFile(spec: Omit<OutputSpec, 'kind'>, text: string | Uint8Array): void {
  const full = checkOutput({ ...spec, kind: 'file' });
  const temp = partialPath(full);
  try {
    const fd = openSync(temp, 'w');
    try {
      writeAll(fd, text);
    } finally {
      closeSync(fd);
    }
    commitPartial(temp, full);
  } catch (e) {
    abortPartial(temp);
    throw e;
  }
}

function writeAll(fd: number, text: string | Uint8Array): void {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Builds a directory at `<dir>.tmp-<pid>` with `fill`, flushes it to disk, then swaps it into place
 * (see commitPartial): the final name only ever holds a complete directory, even after kill -9 or a
 * power cut, and the temporary is removed on any error (and by removePartials on a signal). An
 * existing `dir` is replaced only when it is empty or an llmk output (isReplaceableDir), checked
 * before any work; anything else is LLMK_E_EXISTS and stays untouched.
 */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): void {
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() && !isReplaceableDir(dir)) {
    throw new LlmkError(
      'LLMK_E_EXISTS',
      `${dir} exists and is not a directory llmk wrote (a model, an adapter, token shards, or empty)`,
      'choose a new directory; llmk never replaces a directory it did not write',
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  if (existsSync(tmp)) {
    throw new LlmkError(
      'LLMK_E_EXISTS',
      `${tmp} is in the way of the save`,
      'remove it or choose another directory',
    );
  }
  trackPartial(tmp);
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    abortPartial(tmp);
    throw e;
  }
  commitPartial(tmp, dir, { fsync: true });
}

/** Checks that an input is an existing file (not a directory), naming the flag that gave it. */
export function checkInputFile(path: string, flag: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined)
    throw new LlmkError('LLMK_E_NOT_FOUND', `${flag} ${path}: no such file`, 'check the path');
  if (st.isDirectory())
    throw new LlmkError(
      'LLMK_E_ARG',
      `${flag} ${path} is a directory, and a file is read here`,
      'give the path of a file (a directory is not read as one input)',
    );
}

/**
 * Removes an output directory so that no half-deleted copy is ever left under its name: renamed to
 * `<dir>.del-<pid>` first (one atomic step), then deleted; a kill midway leaves only the `.del-`
 * name, which cleanStale removes. (Pruning old checkpoints with a plain recursive rm left
 * `step-N/` missing config.json after kill -9 — found by the checkpoint fault test.)
 */
export function removeDirAtomic(dir: string): void {
  const doomed = `${dir}.del-${process.pid}`;
  trackPartial(doomed);
  renameSync(dir, doomed);
  abortPartial(doomed);
}
