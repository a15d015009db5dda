/**
 * The sampler's filters by partial selection, on a list of surviving indices (ascending) rather
 * than a row rewritten with −Infinity. Each computes exactly what its full-row definition in
 * `sampling-reference.ts` computes — same sums in the same order — so draws do not change:
 * an entry the definition sets to −Infinity contributes an exact +0 to its sums, and is simply
 * absent here.
 */
import { check } from '../errors.js';
import type { Rng } from '../tensor/random.js';
import { EXP_MATCHES_ENGINE, expFdlibm } from './sampling-exp.js';

/** `n` value meaning "every index of the row survives" (no list built yet). */
export const ALL = -1;

/** Histogram of the row below its max: 8 buckets per logit unit (e^(1/8) ≈ 1.13 apart), 64 units. */
const PER_LOGIT = 8;
const NB = 512; // bucket NB holds everything further down, −Infinity and NaN

/** Buffers reused from token to token (one allocation per vocabulary size). */
export class SelectScratch {
  /** Survivor indices. */
  readonly idx: Int32Array;
  /** exp(l − max), then probabilities; indexed by token (top-p) or by survivor rank (the draw). */
  readonly e: Float64Array;
  /** Candidate probabilities for top-p; the cumulative sum for the draw. */
  readonly cand: Float64Array;
  readonly bucket: Uint16Array;
  readonly count = new Int32Array(NB + 1);
  readonly mass = new Float64Array(NB + 1);
  readonly tauStats = new Float64Array(4);

  constructor(V: number) {
    this.idx = new Int32Array(V);
    this.e = new Float64Array(V);
    this.cand = new Float64Array(V);
    this.bucket = new Uint16Array(V);
  }
}

const exp = (x: number): number => (EXP_MATCHES_ENGINE ? expFdlibm(x) : Math.exp(x));

/**
 * The k largest logits into `heap[0..k)` (unordered); ties at the boundary go to the lower index,
 * as a stable descending sort would. A size-k min-heap whose root is the worst kept entry:
 * the smallest value, and on equal values the larger index. Returns k.
 */
export function selectTopK(logits: Float32Array, k: number, heap: Int32Array): number {
  const V = logits.length;
  for (let i = 0; i < k; i++) heap[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(logits, heap, k, i);
  let worst = logits[heap[0]];
  for (let i = k; i < V; i++) {
    // i is larger than every kept index, so it enters only with a strictly larger value.
    if (logits[i] > worst) {
      heap[0] = i;
      siftDown(logits, heap, k, 0);
      worst = logits[heap[0]];
    }
  }
  return k;
}

function siftDown(logits: Float32Array, heap: Int32Array, k: number, i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    if (l >= k) return;
    const r = l + 1;
    const c = r < k && worse(logits, heap[r], heap[l]) ? r : l;
    if (!worse(logits, heap[c], heap[i])) return;
    const t = heap[c];
    heap[c] = heap[i];
    heap[i] = t;
    i = c;
  }
}

function worse(logits: Float32Array, a: number, b: number): boolean {
  const x = logits[a];
  const y = logits[b];
  return x < y || (x === y && a > b);
}

/**
 * Top-p (nucleus) over the survivors; returns the new survivor count (list in `s.idx`).
 *
 * The definition: probabilities by softmax, sorted descending, keep the shortest prefix whose
 * running sum (in that order) reaches p, ties at the cut to lower indices. The replaced sampler
 * walked only the tokens with probability ≥ τ (τ = 1e-4, else 1e-7, else 0: the first whose mass,
 * summed in index order, reaches p); that bound on the walk's length is kept.
 *   1. exp(l − max) and its sum, in index order; each token's histogram bucket by l − max
 *      (buckets are in logit order, hence in probability order).
 *   2. probabilities, the τ masses, the mass and count of each bucket.
 *   3. the bucket b where the bucket masses cross p; sort only b's tokens and walk them from the
 *      top, starting from the mass of the buckets before. That running sum adds the same numbers
 *      as the definition's in another order: both lie within 50,257 · 2^-53 · 1 ≈ 6e-12 of the
 *      exact sum, so where the sums before and at the stop are both more than DELTA from p, the
 *      definition stops at the same token. Otherwise (or past the walk bound): the exact walk,
 *      sorting every token above a cut with margin, as the definition does.
 *   4. survivors: probability above the cut value, plus the first `ties` equal to it by index.
 */
export function nucleus(logits: Float32Array, n: number, p: number, s: SelectScratch): number {
  const m = n === ALL ? logits.length : n;
  const max = rowMax(logits, n, s.idx);
  const sum = expByToken(logits, n, max, s);
  probabilities(n, m, sum, s);
  // The reference's walk bound: |{p_i ≥ τ}| for the first τ whose mass reaches p.
  const [n4, m4, n7, m7] = s.tauStats;
  const walkMax = !(m4 < p) ? n4 : !(m7 < p) ? n7 : logits.length;
  const finite = sum > 0 && sum < Infinity; // else NaN probabilities: the built-in sort orders them
  const cut =
    (finite && cutByBucket(p, walkMax, m, n === ALL, s)) || cutBySort(p, walkMax, m, n === ALL, finite, s);
  return keepAboveCut(n, m, cut, s);
}

/** Step 1: e[i] = exp(l_i − max) by token, its sum in index order, and the bucket counts. */
function expByToken(logits: Float32Array, n: number, max: number, s: SelectScratch): number {
  const { idx, e, bucket, count } = s;
  s.count.fill(0);
  s.mass.fill(0);
  const all = n === ALL;
  const m = all ? logits.length : n;
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const i = all ? j : idx[j];
    const x = logits[i];
    const ev = x === -Infinity ? 0 : exp(x - max);
    e[i] = ev;
    sum += ev;
    const d = (max - x) * PER_LOGIT;
    const b = d < NB ? d | 0 : NB;
    bucket[i] = b;
    count[b]++;
  }
  return sum;
}

/** Step 2: probabilities in place, bucket masses, and the count and mass of p_i ≥ 1e-4 and ≥ 1e-7. */
function probabilities(n: number, m: number, sum: number, s: SelectScratch): void {
  const { idx, e, bucket, mass } = s;
  const all = n === ALL;
  // Updated in the loop, not after it: code after a long loop has no type feedback when the loop
  // is optimised on-stack, and V8 (11.x) then deoptimises there on every call.
  const t = s.tauStats;
  t.fill(0);
  for (let j = 0; j < m; j++) {
    const i = all ? j : idx[j];
    const pr = e[i] / sum;
    e[i] = pr;
    if (pr >= 1e-7) {
      t[2]++;
      t[3] += pr;
      if (pr >= 1e-4) {
        t[0]++;
        t[1] += pr;
      }
    }
    mass[bucket[i]] += pr;
  }
}

/** Step 4. */
function keepAboveCut(n: number, m: number, cut: Cut, s: SelectScratch): number {
  const { idx, e } = s;
  const all = n === ALL;
  let ties = cut.ties;
  let out = 0;
  for (let j = 0; j < m; j++) {
    const i = all ? j : idx[j];
    const pr = e[i];
    if (pr > cut.value) idx[out++] = i;
    else if (pr === cut.value && ties > 0) {
      ties--;
      idx[out++] = i;
    }
  }
  return out;
}

interface Cut {
  /** Probability of the last token the walk takes. */
  value: number;
  /** How many tokens of that probability it takes. */
  ties: number;
}

const DELTA = 1e-9;

/** Step 3's fast path, or null where the rounding argument does not settle the stop. */
function cutByBucket(p: number, walkMax: number, m: number, all: boolean, s: SelectScratch): Cut | null {
  const { cand, count, mass } = s;
  let b = 0;
  let before = 0;
  let walked = 0;
  for (; b < NB; b++) {
    if (before + mass[b] >= p) break;
    before += mass[b];
    walked += count[b];
  }
  if (b === NB || !(before < p - DELTA)) return null;
  const c = gather(m, all, b, b, s);
  sortAscending(cand, 0, c);
  let cum = before;
  let value = Number.NaN;
  let ties = 0;
  let j = c - 1;
  for (; j >= 0; j--) {
    const v = cand[j];
    if (v !== value) {
      value = v;
      ties = 0;
    }
    cum += v;
    ties++;
    walked++;
    if (cum >= p) break;
  }
  if (j < 0 || !(cum >= p + DELTA) || cum - cand[j] >= p - DELTA || walked > walkMax) return null;
  // A stop value that opens this bucket may have equals in earlier ones: they are in its run.
  if (value === cand[c - 1] && b > 0) ties += countEqualBefore(m, all, b, value, s);
  return { value, ties };
}

/** Probabilities of the survivors in buckets lo..hi into s.cand; returns how many. */
function gather(m: number, all: boolean, lo: number, hi: number, s: SelectScratch): number {
  const { idx, e, cand, bucket } = s;
  let c = 0;
  for (let j = 0; j < m; j++) {
    const i = all ? j : idx[j];
    const b = bucket[i];
    if (b >= lo && b <= hi) cand[c++] = e[i];
  }
  return c;
}

function countEqualBefore(m: number, all: boolean, b: number, value: number, s: SelectScratch): number {
  const { idx, e, bucket } = s;
  let ties = 0;
  for (let k = 0; k < m; k++) {
    const i = all ? k : idx[k];
    if (bucket[i] < b && e[i] === value) ties++;
  }
  return ties;
}

/** Step 3 exactly: every token above a cut bucket with margin, sorted, walked as the definition. */
function cutBySort(
  p: number,
  walkMax: number,
  m: number,
  all: boolean,
  finite: boolean,
  s: SelectScratch,
): Cut {
  const { cand, count, mass } = s;
  const target = p * (1 + 1e-9);
  let B = 0;
  let cumMass = 0;
  let cumCount = 0;
  for (; B < NB; B++) {
    cumMass += mass[B];
    cumCount += count[B];
    if (cumMass >= target || cumCount >= walkMax) break;
  }
  const c = gather(m, all, 0, B, s);
  if (finite) sortAscending(cand, 0, c);
  else cand.subarray(0, c).sort();
  let cum = 0;
  let value = cand[c - 1];
  let ties = 0;
  for (let j = c - 1, stop = Math.max(0, c - walkMax); j >= stop; j--) {
    const v = cand[j];
    if (v !== value) {
      value = v;
      ties = 0;
    }
    cum += v;
    ties++;
    if (cum >= p) break;
  }
  return { value, ties };
}

/** Max logit over the survivors. */
function rowMax(logits: Float32Array, n: number, idx: Int32Array): number {
  let max = -Infinity;
  if (n === ALL) {
    for (let i = 0; i < logits.length; i++) {
      const x = logits[i];
      if (x > max) max = x;
    }
  } else {
    for (let j = 0; j < n; j++) {
      const x = logits[idx[j]];
      if (x > max) max = x;
    }
  }
  return max;
}

/**
 * In-place ascending sort of a[lo..hi) (no NaN): quicksort, median of three, insertion sort
 * below 16. The built-in typed-array sort is several times slower on a few thousand doubles.
 */
function sortAscending(a: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    let x = a[lo];
    let y = a[mid];
    let z = a[hi - 1];
    if (y < x) [x, y] = [y, x];
    if (z < y) {
      [y, z] = [z, y];
      if (y < x) [x, y] = [y, x];
    }
    const pivot = y;
    let i = lo;
    let j = hi - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
      i++;
      j--;
    }
    // a[lo..j] ≤ pivot ≤ a[j+1..hi): recurse on the smaller side, loop on the larger.
    if (j + 1 - lo < hi - j - 1) {
      sortAscending(a, lo, j + 1);
      lo = j + 1;
    } else {
      sortAscending(a, j + 1, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/** min-p over the survivors: drop l < max + ln(minP) (p_i / p_max = exp(l_i − l_max)). */
export function filterMinP(logits: Float32Array, n: number, minP: number, idx: Int32Array): number {
  const all = n === ALL;
  const m = all ? logits.length : n;
  const cut = rowMax(logits, n, idx) + Math.log(minP);
  let out = 0;
  for (let j = 0; j < m; j++) {
    const i = all ? j : idx[j];
    if (!(logits[i] < cut)) idx[out++] = i;
  }
  return out;
}

/**
 * Softmax over the survivors and one draw: w_j = e_j / Σe, cumulative sums in index order,
 * u = uniform · Σw, the first j with u < cumsum_j by binary search (the sums only grow).
 * The same weights, sums and comparisons as softmaxRow + multinomial on the masked row.
 */
export function drawSoftmax(logits: Float32Array, n: number, s: SelectScratch, rng: Rng): number {
  const m = n === ALL ? logits.length : n;
  const max = rowMax(logits, n, s.idx);
  const sum = expByRank(logits, n, max, s.idx, s.e);
  const total = cumulative(m, sum, s.e, s.cand);
  check(
    total > 0 && Number.isFinite(total),
    'LLMK_E_ARG',
    () => `multinomial weights sum to ${total}`,
    'weights must be non-negative with a positive finite sum',
  );
  const u = rng.uniform() * total;
  let j = firstAbove(s.cand, m, u);
  if (j === m) {
    // Rounding can leave u at the very top: the last index with nonzero weight.
    j = m - 1;
    while (j > 0 && !(s.e[j] / sum > 0)) j--;
  }
  return n === ALL ? j : s.idx[j];
}

/** e[j] = exp(l − max) for the j-th survivor; returns the sum in index order. */
function expByRank(logits: Float32Array, n: number, max: number, idx: Int32Array, e: Float64Array): number {
  let sum = 0;
  if (n === ALL) {
    for (let j = 0; j < logits.length; j++) {
      const x = logits[j];
      const ev = x === -Infinity ? 0 : exp(x - max);
      e[j] = ev;
      sum += ev;
    }
  } else {
    for (let j = 0; j < n; j++) {
      const x = logits[idx[j]];
      const ev = x === -Infinity ? 0 : exp(x - max);
      e[j] = ev;
      sum += ev;
    }
  }
  return sum;
}

/** cdf[j] = Σ_{k ≤ j} e[k] / sum, added in index order (as multinomial's walk); returns the total. */
function cumulative(m: number, sum: number, e: Float64Array, cdf: Float64Array): number {
  let acc = 0;
  for (let j = 0; j < m; j++) {
    acc += e[j] / sum;
    cdf[j] = acc;
  }
  return acc;
}

/** The first j < m with u < cdf[j] (cdf non-decreasing), or m. */
function firstAbove(cdf: Float64Array, m: number, u: number): number {
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
