/**
 * Bootstrap confidence intervals on the mean of per-example scores, as rouge-score's
 * `scoring.BootstrapAggregator` computes them (itself following ROUGE-1.5.5): draw `nSamples`
 * resamples with replacement, take each resample's mean, report the (1-ci)/2, 50th and (1+ci)/2
 * percentiles of those means with NumPy's default linear interpolation.
 * Resampling uses our own seeded generator, so intervals are reproducible run to run but are not
 * the same draws as NumPy's; point scores never depend on it.
 */
import { check } from '../errors.js';

/** A small, fast, seedable PRNG (mulberry32, public domain); uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * NumPy `np.percentile(sorted, q)` with the default 'linear' method, including NumPy's choice of
 * interpolating from the upper neighbour when the fraction is >= 0.5 (numpy/lib/function_base.py `_lerp`).
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  check(n > 0, 'LLMK_E_ARG', () => 'percentile of an empty list');
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

export interface BootstrapOptions {
  /** Two-sided confidence level in [0, 1]; default 0.95. */
  confidenceInterval?: number;
  /** Number of resamples; default 1000 (rouge-score's default). */
  nSamples?: number;
  /** PRNG seed; default 0. */
  seed?: number;
}

export interface BootstrapInterval {
  low: number;
  mid: number;
  high: number;
}

/**
 * Bootstrap intervals for each column of `rows` (one row per example, one column per measure).
 * Columns are resampled together, as rouge-score resamples whole rows.
 */
export function bootstrapIntervals(
  rows: readonly (readonly number[])[],
  opts: BootstrapOptions = {},
): BootstrapInterval[] {
  const ci = opts.confidenceInterval ?? 0.95;
  const nSamples = opts.nSamples ?? 1000;
  check(ci >= 0 && ci <= 1, 'LLMK_E_ARG', () => `confidenceInterval must be in [0, 1], got ${ci}`);
  check(
    Number.isInteger(nSamples) && nSamples > 0,
    'LLMK_E_ARG',
    () => `nSamples must be a positive integer, got ${nSamples}`,
  );
  check(
    rows.length > 0,
    'LLMK_E_ARG',
    () => 'bootstrap needs at least one example',
    'score some examples first',
  );
  const n = rows.length;
  const width = rows[0].length;
  const rand = mulberry32(opts.seed ?? 0);
  const means = Array.from({ length: width }, () => new Float64Array(nSamples));
  const acc = new Float64Array(width);
  for (let s = 0; s < nSamples; s++) {
    acc.fill(0);
    for (let i = 0; i < n; i++) {
      const row = rows[Math.floor(rand() * n)];
      for (let j = 0; j < width; j++) acc[j] += row[j];
    }
    for (let j = 0; j < width; j++) means[j][s] = acc[j] / n;
  }
  const delta = (1 - ci) / 2;
  return means.map((m) => {
    m.sort();
    return {
      low: percentileSorted(m, 100 * delta),
      mid: percentileSorted(m, 50),
      high: percentileSorted(m, 100 * (1 - delta)),
    };
  });
}
