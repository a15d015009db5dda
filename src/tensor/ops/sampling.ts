/**
 * Non-differentiable helpers for decoding, on one row of scores at a time (a vocabulary-sized
 * vector): sort, top-k, cumulative sum, multinomial sampling. Plain arrays in, plain arrays out.
 */
import { check } from '../../errors.js';
import type { Rng } from '../random.js';

type Row = ArrayLike<number>;

/** Indices that sort the row descending (stable: ties keep index order). */
export function argsortDescending(row: Row): Int32Array {
  const idx = Int32Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => row[b] - row[a] || a - b);
  return idx;
}

/** The k largest values and their indices, largest first. */
export function topk(row: Row, k: number): { values: Float64Array; indices: Int32Array } {
  check(
    k >= 1 && k <= row.length,
    'LLMK_E_ARG',
    () => `topk k=${k} for a row of ${row.length}`,
    `k must be in [1, ${row.length}]`,
  );
  const order = argsortDescending(row).subarray(0, k);
  return { values: Float64Array.from(order, (i) => row[i]), indices: Int32Array.from(order) };
}

export function cumsum(row: Row): Float64Array {
  const out = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) {
    s += row[i];
    out[i] = s;
  }
  return out;
}

/** Samples an index with probability proportional to the (non-negative) weights. */
export function multinomial(weights: Row, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  check(
    total > 0 && Number.isFinite(total),
    'LLMK_E_ARG',
    () => `multinomial weights sum to ${total}`,
    'weights must be non-negative with a positive finite sum',
  );
  const u = rng.uniform() * total;
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  // Rounding can leave u at the very top: return the last index with nonzero weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return weights.length - 1;
}

/** Index of the largest value (first on ties). */
export function argmaxRow(row: Row): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
