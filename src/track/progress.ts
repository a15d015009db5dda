/**
 * The progress display every long-running command shares: step/total, rate, ETA and a few
 * named values (loss, lr …). Three modes: `bar` (a redrawn line on a TTY, periodic lines
 * otherwise), `json` (one JSON object per update, for scripts) and `quiet` (nothing).
 */
import { LlmkError } from '../errors.js';

export type ProgressMode = 'bar' | 'json' | 'quiet';

export interface ProgressOptions {
  /** Shown before the bar, e.g. `train` or `dedup`. */
  label: string;
  /** Total units of work; 0 or undefined when unknown (then no ETA is shown). */
  total?: number;
  /** Unit name for the rate, e.g. `it`, `tok`, `MB`. */
  unit?: string;
  mode?: ProgressMode;
  /** Where to draw; stderr by default so stdout stays clean for data. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Minimum milliseconds between redraws (a TTY) or printed lines (not a TTY). */
  intervalMs?: number;
  /** Injectable clock (ms) so tests are deterministic. */
  now?: () => number;
}

export type ProgressValues = Record<string, number | string>;

const BAR_WIDTH = 24;

/** Formats seconds as `1h02m`, `3m07s` or `12.3s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e5 ? value.toFixed(4) : value.toExponential(3);
}

export class Progress {
  readonly label: string;
  readonly total: number;
  readonly unit: string;
  readonly mode: ProgressMode;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly startMs: number;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private done = 0;
  private values: ProgressValues = {};
  private finished = false;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    this.total = options.total ?? 0;
    this.unit = options.unit ?? 'it';
    this.mode = options.mode ?? 'bar';
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = options.intervalMs ?? (this.stream.isTTY ? 100 : 5000);
    this.startMs = this.now();
  }

  /** Sets the absolute amount done (and optional values) and redraws when due. */
  update(done: number, values?: ProgressValues): void {
    this.done = done;
    if (values) this.values = { ...this.values, ...values };
    const t = this.now();
    if (t - this.lastDrawMs >= this.intervalMs || (this.total > 0 && done >= this.total)) {
      this.lastDrawMs = t;
      this.draw(false);
    }
  }

  /** Adds `n` to the amount done. */
  tick(n = 1, values?: ProgressValues): void {
    this.update(this.done + n, values);
  }

  /** Units per second since the start. */
  rate(): number {
    const seconds = (this.now() - this.startMs) / 1000;
    return seconds > 0 ? this.done / seconds : 0;
  }

  /** Estimated seconds left, or NaN when the total is unknown or nothing is done yet. */
  eta(): number {
    const rate = this.rate();
    return this.total > 0 && rate > 0 ? (this.total - this.done) / rate : Number.NaN;
  }

  /** Draws the final state once and ends the line. */
  finish(values?: ProgressValues): void {
    if (this.finished) return;
    if (values) this.values = { ...this.values, ...values };
    this.finished = true;
    this.draw(true);
  }

  /** One line describing the current state (what `bar` mode prints). */
  line(): string {
    const elapsed = (this.now() - this.startMs) / 1000;
    const parts = [this.label];
    if (this.total > 0) {
      const frac = Math.min(1, this.done / this.total);
      const filled = Math.round(frac * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`);
      parts.push(`${this.done}/${this.total}`);
    } else {
      parts.push(String(this.done));
    }
    const rate = this.rate();
    parts.push(`${rate >= 100 ? rate.toFixed(0) : rate.toFixed(2)} ${this.unit}/s`);
    parts.push(`elapsed ${formatDuration(elapsed)}`);
    if (this.total > 0) parts.push(`eta ${formatDuration(this.eta())}`);
    for (const [key, value] of Object.entries(this.values)) parts.push(`${key} ${formatValue(value)}`);
    return parts.join(' ');
  }

  private draw(final: boolean): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'json') {
      const record = {
        label: this.label,
        done: this.done,
        total: this.total || null,
        rate: this.rate(),
        eta_s: Number.isFinite(this.eta()) ? this.eta() : null,
        final,
        ...this.values,
      };
      this.stream.write(`${JSON.stringify(record)}\n`);
      return;
    }
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${this.line()}${final ? '\n' : ''}`);
    else this.stream.write(`${this.line()}\n`);
  }
}

/**
 * Picks the mode from CLI flags, then the `LLMK_PROGRESS` environment variable (`bar`, `json`,
 * `quiet`; handy in CI), then `bar`. `--quiet` wins over `--json`.
 */
export function resolveProgressMode(
  flags: { quiet?: boolean; json?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): ProgressMode {
  if (flags.quiet) return 'quiet';
  if (flags.json) return 'json';
  const fromEnv = env.LLMK_PROGRESS;
  if (fromEnv === 'bar' || fromEnv === 'json' || fromEnv === 'quiet') return fromEnv;
  if (fromEnv !== undefined && fromEnv !== '') {
    throw new LlmkError(
      'LLMK_E_ARG',
      `LLMK_PROGRESS="${fromEnv}" is not a progress mode`,
      'use bar, json or quiet',
    );
  }
  return 'bar';
}
