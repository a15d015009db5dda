/**
 * `metrics.jsonl`: one JSON object per logged step, `{"step": 10, "wall_time": 1732350000.5, "loss": 2.31, …}`.
 * `wall_time` is seconds since the Unix epoch (TensorBoard's unit). Non-finite values, which JSON
 * cannot hold, are written as the strings "NaN", "Infinity", "-Infinity" so a diverged loss stays visible.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { LlmkError } from '../errors.js';

export interface MetricsRow {
  step: number;
  /** Seconds since the Unix epoch. */
  wall_time: number;
  /** Every other key is a scalar. */
  [key: string]: number;
}

/** Something that records scalars for a step: the JSONL log, a TensorBoard event file, … */
export interface Tracker {
  logScalars(step: number, scalars: Record<string, number>, wallTimeSeconds: number): void;
  close(): void;
}

/** Called for each line that could not be parsed; `line` is 1-based. */
export type MetricsWarning = (message: string, line: number) => void;

const RESERVED = new Set(['step', 'wall_time']);

function encodeScalar(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function decodeScalar(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Formats one row as a JSONL line (with its newline). */
export function formatMetricsLine(
  step: number,
  scalars: Record<string, number>,
  wallTimeSeconds: number,
): string {
  const record: Record<string, number | string> = { step, wall_time: wallTimeSeconds };
  for (const [key, value] of Object.entries(scalars)) {
    if (RESERVED.has(key)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `scalar name "${key}" is reserved in metrics.jsonl`,
        'rename the scalar',
      );
    }
    record[key] = encodeScalar(value);
  }
  return `${JSON.stringify(record)}\n`;
}

/**
 * Parses one line. Returns the row, `null` for a blank line, or a string saying why the line
 * is unusable (the caller warns and moves on: a log is never worth a crash).
 */
export function parseMetricsLine(line: string): MetricsRow | null | string {
  const text = line.trim();
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const obj = value as Record<string, unknown>;
  if (typeof obj.step !== 'number' || !Number.isFinite(obj.step)) return 'missing numeric "step"';
  const row: MetricsRow = {
    step: obj.step,
    wall_time: typeof obj.wall_time === 'number' ? obj.wall_time : Number.NaN,
  };
  for (const [key, raw] of Object.entries(obj)) {
    if (RESERVED.has(key)) continue;
    const scalar = decodeScalar(raw);
    if (scalar !== undefined) row[key] = scalar;
  }
  return row;
}

/** Parses a whole JSONL text; bad lines go to `warn` and are skipped. */
export function parseMetricsText(text: string, warn: MetricsWarning = () => {}, firstLine = 1): MetricsRow[] {
  const rows: MetricsRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parsed = parseMetricsLine(lines[i]);
    if (typeof parsed === 'string')
      warn(`metrics.jsonl line ${firstLine + i}: ${parsed}; skipped`, firstLine + i);
    else if (parsed) rows.push(parsed);
  }
  return rows;
}

/** Reads a metrics.jsonl file; bad lines are skipped with a warning (default: to stderr). */
export function readMetricsFile(path: string, warn?: MetricsWarning): MetricsRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LlmkError(
      code === 'ENOENT' ? 'LLMK_E_NOT_FOUND' : 'LLMK_E_IO',
      `cannot read metrics log ${path}: ${(err as Error).message}`,
      code === 'ENOENT' ? 'check the run directory; metrics.jsonl appears after the first logged step' : '',
    );
  }
  return parseMetricsText(text, warn ?? ((message) => process.stderr.write(`warning ${path}: ${message}\n`)));
}

/** Appends rows to metrics.jsonl, one `write` per row so readers never see half a line from a finished call. */
export class MetricsJsonlWriter implements Tracker {
  readonly path: string;
  private fd: number | null;

  constructor(path: string) {
    this.path = path;
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new LlmkError('LLMK_E_IO', `cannot open metrics log ${path}: ${(err as Error).message}`);
    }
  }

  logScalars(step: number, scalars: Record<string, number>, wallTimeSeconds: number): void {
    if (this.fd === null) throw new LlmkError('LLMK_E_DISPOSED', `metrics log ${this.path} is closed`);
    writeSync(this.fd, formatMetricsLine(step, scalars, wallTimeSeconds));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
