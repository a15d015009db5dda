/**
 * Byte-based progress for the data commands: nothing for jobs that end within a second, then the
 * shared Progress display in MB with rate and ETA, its clock starting when the job did.
 */
import { Progress, type ProgressMode, type ProgressOptions } from '../track/progress.js';

export class ByteProgress {
  private readonly label: string;
  private readonly totalBytes: number;
  private readonly mode: ProgressMode;
  private readonly now: () => number;
  private readonly stream: ProgressOptions['stream'];
  private readonly t0: number;
  private bar: Progress | null = null;

  constructor(
    label: string,
    totalBytes: number,
    mode: ProgressMode = 'bar',
    /** Injectable clock and stream, for tests. */
    io: { now?: () => number; stream?: ProgressOptions['stream'] } = {},
  ) {
    this.label = label;
    this.totalBytes = totalBytes;
    this.mode = mode;
    this.now = io.now ?? (() => performance.now());
    this.stream = io.stream;
    this.t0 = this.now();
  }

  update(bytes: number, values?: Record<string, number | string>): void {
    if (this.mode === 'quiet') return;
    if (!this.bar) {
      if (this.now() - this.t0 < 1000) return;
      let first = true;
      const t0 = this.t0;
      const now = this.now;
      this.bar = new Progress({
        label: this.label,
        total: Math.round(this.totalBytes / 1e5) / 10,
        unit: 'MB',
        mode: this.mode,
        stream: this.stream,
        // The first reading is the job's start, so the rate covers the silent first second too.
        now: () => {
          if (first) {
            first = false;
            return t0;
          }
          return now();
        },
      });
    }
    this.bar.update(Math.round(bytes / 1e5) / 10, values);
  }

  finish(values?: Record<string, number | string>): void {
    this.bar?.finish(values);
  }
}
