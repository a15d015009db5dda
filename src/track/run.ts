/**
 * A run directory: everything one training run leaves behind, in files other tools can read.
 *
 *   <root>/<name>/config.json                     the resolved config, as passed to `RunDir.create`
 *   <root>/<name>/env.json                        versions, threads, CPU, git commit
 *   <root>/<name>/metrics.jsonl                   one line per `logScalars` call (see metrics.ts)
 *   <root>/<name>/events.out.tfevents.<ts>.<host> the same scalars for TensorBoard (see tfevents.ts)
 *   <root>/<name>/checkpoints/step-<N>/           one Hugging Face model directory per checkpoint
 *   <root>/<name>/samples/step-<N>.txt            generated text, appended per call
 */

import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { LlmkError } from '../errors.js';
import { cleanStale, cleanStaleIn } from '../formats/output.js';
import { configuredThreads } from '../tensor/threads.js';
import { VERSION } from '../version.js';
import { MetricsJsonlWriter, type Tracker } from './metrics.js';
import { EventFileWriter } from './tfevents.js';

export const CONFIG_FILE = 'config.json';
export const ENV_FILE = 'env.json';
export const METRICS_FILE = 'metrics.jsonl';

export interface RunEnvironment {
  llmkVersion: string;
  nodeVersion: string;
  platform: string;
  arch: string;
  hostname: string;
  cpuModel: string;
  cpuCount: number;
  /** Threads the native kernels use (LLMK_THREADS, else every available core). */
  threads: number;
  /** `git rev-parse HEAD` of the working directory, or null outside a git checkout. */
  gitCommit: string | null;
  /** True when tracked files differ from the commit; null outside a git checkout. */
  gitDirty: boolean | null;
  argv: string[];
  pid: number;
  startedAt: string;
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** What a reader needs to reproduce or explain a run's numbers. */
export function collectEnvironment(cwd = process.cwd()): RunEnvironment {
  const gitCommit = git(['rev-parse', 'HEAD'], cwd);
  const status = gitCommit === null ? null : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return {
    llmkVersion: VERSION,
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    hostname: hostname(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    threads: configuredThreads(),
    gitCommit,
    gitDirty: status === null ? null : status !== '',
    argv: process.argv.slice(1),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
}

/** A run name is one path segment: no separators, no `.`/`..`, nothing hidden. */
export function checkRunName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$/.test(name) || name.length > 200) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `run name "${name}" is not a plain directory name`,
      'use letters, digits and _ . = + - (no slashes), at most 200 characters',
    );
  }
}

function timestampName(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

function stepName(step: number): string {
  if (!Number.isInteger(step) || step < 0) {
    throw new LlmkError('LLMK_E_ARG', `step ${step} is not a non-negative integer`);
  }
  return `step-${String(step).padStart(8, '0')}`;
}

export interface RunDirOptions {
  /** The resolved config, written to config.json (pretty-printed JSON). */
  config?: unknown;
  /** Also write a TensorBoard event file (default true). */
  tensorboard?: boolean;
  /** Extra trackers to receive every `logScalars` call. */
  trackers?: Tracker[];
  /** Clock in milliseconds since the epoch; injectable so tests are deterministic. */
  now?: () => number;
  /** Continue the event file created at this time (seconds; set by `open`). */
  eventFileTime?: number;
}

export class RunDir {
  readonly name: string;
  readonly path: string;
  private readonly trackers: Tracker[];
  private readonly now: () => number;
  private closed = false;

  private constructor(path: string, name: string, options: RunDirOptions) {
    this.path = path;
    this.name = name;
    this.now = options.now ?? Date.now;
    this.trackers = [new MetricsJsonlWriter(join(path, METRICS_FILE))];
    if (options.tensorboard ?? true)
      this.trackers.push(new EventFileWriter(path, options.eventFileTime ?? this.now() / 1000));
    this.trackers.push(...(options.trackers ?? []));
  }

  /**
   * Creates `<root>/<name>` (name defaults to a local timestamp, with `-2`, `-3` … on a clash) and
   * writes config.json and env.json. An explicit name that already exists is an error: use `open` to resume.
   */
  static create(root: string, name?: string, options: RunDirOptions = {}): RunDir {
    const now = options.now ?? Date.now;
    let runName = name;
    if (runName === undefined) {
      const base = timestampName(new Date(now()));
      runName = base;
      for (let i = 2; existsSync(join(root, runName)); i++) runName = `${base}-${i}`;
    }
    checkRunName(runName);
    const path = resolve(root, runName);
    if (existsSync(path)) {
      throw new LlmkError(
        'LLMK_E_EXISTS',
        `run directory ${path} already exists`,
        `choose another run name (--name), or continue it with --resume latest --name ${runName}`,
      );
    }
    let configText: string;
    try {
      configText = `${JSON.stringify(options.config ?? {}, null, 2)}\n`;
    } catch (err) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `run config cannot be written as JSON: ${(err as Error).message}`,
        'pass plain data (numbers, strings, arrays, objects)',
      );
    }
    try {
      mkdirSync(path, { recursive: true });
      writeFileSync(join(path, CONFIG_FILE), configText);
      writeFileSync(join(path, ENV_FILE), `${JSON.stringify(collectEnvironment(), null, 2)}\n`);
    } catch (err) {
      throw new LlmkError(
        'LLMK_E_IO',
        `cannot create run directory ${path}: ${(err as Error).message}`,
        'check that the runs root is writable',
      );
    }
    return new RunDir(path, runName, options);
  }

  /**
   * Opens an existing run directory to append to it (resuming): metrics.jsonl is appended to, the
   * newest event file of this host is continued (TFRecord files are plain appends), and temporaries
   * left by a killed save (`checkpoints/*.tmp-<pid>`, `best.tmp-<pid>`) are removed first.
   */
  static open(path: string, options: Omit<RunDirOptions, 'config'> = {}): RunDir {
    const full = resolve(path);
    if (!existsSync(full) || !statSync(full).isDirectory()) {
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `run directory ${full} does not exist`,
        'check the path; a new run is started without --resume',
      );
    }
    cleanStaleIn(join(full, 'checkpoints'));
    cleanStale(join(full, 'best'));
    const host = hostname();
    const events = readdirSync(full)
      .map((f) => /^events\.out\.tfevents\.(\d+)\.(.+)$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null && m[2] === host)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const eventTime = events.at(-1);
    return new RunDir(full, basename(full), { ...options, eventFileTime: eventTime });
  }

  /** The resolved config this run was created with. */
  config(): unknown {
    return JSON.parse(readFileSync(join(this.path, CONFIG_FILE), 'utf8'));
  }

  /** Records scalars for `step` in every tracker, stamped with the current wall time. */
  logScalars(step: number, scalars: Record<string, number>): void {
    if (this.closed) throw new LlmkError('LLMK_E_DISPOSED', `run ${this.name} is closed`);
    if (!Number.isFinite(step)) throw new LlmkError('LLMK_E_ARG', `step ${step} is not a finite number`);
    const wallTime = this.now() / 1000;
    for (const tracker of this.trackers) tracker.logScalars(step, scalars, wallTime);
  }

  /**
   * The path of `checkpoints/step-<N>/`. Only its parent is created: the checkpoint itself must
   * appear complete under this name (the trainer builds it elsewhere and renames it in), so an
   * empty or half-written `step-<N>` is never mistaken for a checkpoint.
   */
  checkpointDir(step: number): string {
    const parent = join(this.path, 'checkpoints');
    mkdirSync(parent, { recursive: true });
    return join(parent, stepName(step));
  }

  /** Appends generated text to `samples/step-<N>.txt` (several samples per step are separated by a rule). */
  writeSample(step: number, text: string): string {
    const dir = join(this.path, 'samples');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${stepName(step)}.txt`);
    appendFileSync(file, existsSync(file) ? `\n----\n${text}` : text);
    return file;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tracker of this.trackers) tracker.close();
  }
}

/** Files a checkpoint needs to be resumed from (trainer_state.json is written last). */
const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json'];

/** True when `dir` holds every file of a resumable checkpoint and its trainer state parses. */
export function isCompleteCheckpoint(dir: string): boolean {
  if (!CHECKPOINT_FILES.every((f) => existsSync(join(dir, f)))) return false;
  try {
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as { step?: unknown };
    return typeof state.step === 'number';
  } catch {
    return false;
  }
}

/** The run directory a checkpoint belongs to (`<run>/checkpoints/step-N` or `<run>/best`), or null. */
export function runDirOfCheckpoint(checkpoint: string): string | null {
  const full = resolve(checkpoint);
  const parent = dirname(full);
  const run =
    basename(parent) === 'checkpoints' ? dirname(parent) : basename(full) === 'best' ? parent : null;
  return run !== null && existsSync(join(run, CONFIG_FILE)) ? run : null;
}

/**
 * The newest complete step checkpoint under `<root>/<name>/checkpoints` (or under every run of
 * `root` when no name is given): highest step within a run, newest trainer state across runs.
 */
export function latestCheckpoint(root: string, name?: string): string {
  const runs =
    name !== undefined
      ? [join(root, name)]
      : existsSync(root)
        ? readdirSync(root).map((r) => join(root, r))
        : [];
  let best: { dir: string; mtime: number; step: number } | null = null;
  for (const run of runs) {
    const ckdir = join(run, 'checkpoints');
    if (!existsSync(ckdir)) continue;
    cleanStaleIn(ckdir);
    for (const entry of readdirSync(ckdir)) {
      if (!/^step-\d+$/.test(entry)) continue;
      const dir = join(ckdir, entry);
      if (!isCompleteCheckpoint(dir)) continue;
      const mtime = statSync(join(dir, 'trainer_state.json')).mtimeMs;
      const step = Number(entry.slice(5));
      const newer = best === null || (dirname(best.dir) === ckdir ? step > best.step : mtime > best.mtime);
      if (newer) best = { dir, mtime, step };
    }
  }
  if (best === null)
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `no complete checkpoint under ${name !== undefined ? join(root, name) : root}`,
      'check --runs and --name, or start without --resume (checkpoints are written every --save-interval steps and at the end)',
    );
  return best.dir;
}

export interface RunSummary {
  name: string;
  path: string;
  /** Last modification of metrics.jsonl (or the directory), ms since the epoch. */
  updatedMs: number;
  hasMetrics: boolean;
  hasConfig: boolean;
}

/** The run directories directly under `root`: folders holding metrics.jsonl or config.json. */
export function listRuns(root: string): RunSummary[] {
  const full = resolve(root);
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `runs directory ${full} does not exist`,
      'pass the folder that holds your run directories (the root given to RunDir.create, e.g. ./runs)',
    );
  }
  const runs: RunSummary[] = [];
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(full, entry.name);
    const metrics = join(path, METRICS_FILE);
    const hasMetrics = existsSync(metrics);
    const hasConfig = existsSync(join(path, CONFIG_FILE));
    if (!hasMetrics && !hasConfig) continue;
    runs.push({
      name: entry.name,
      path,
      updatedMs: statSync(hasMetrics ? metrics : path).mtimeMs,
      hasMetrics,
      hasConfig,
    });
  }
  return runs.sort((a, b) => a.name.localeCompare(b.name));
}

/** Flattens nested config objects to dotted keys (`model.n_layer`), arrays kept whole. */
export function flattenConfig(
  value: unknown,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out[prefix] = {};
    for (const [key, v] of entries) flattenConfig(v, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

export interface ConfigDifference {
  key: string;
  /** undefined when the key is absent on that side. */
  a: unknown;
  b: unknown;
}

/** Keys whose values differ between two configs (compared as JSON), sorted by key. */
export function diffConfigs(a: unknown, b: unknown): ConfigDifference[] {
  const fa = flattenConfig(a);
  const fb = flattenConfig(b);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return keys
    .filter((key) => JSON.stringify(fa[key]) !== JSON.stringify(fb[key]))
    .map((key) => ({ key, a: fa[key], b: fb[key] }));
}
