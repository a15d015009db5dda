/**
 * The naive twin of `sampling.ts`: the sampler as it was before the partial-selection rewrite
 * (commit c51aacb), kept verbatim as the oracle that the fast sampler must match draw for draw
 * (`sampling-draws.test.ts`). Not exported from the package; never optimise this file.
 */
import { argmaxRow, multinomial } from '../tensor/ops/sampling.js';
import type { Rng } from '../tensor/random.js';
import { type LogitsProcessor, type SamplingOptions, validateSampling } from './sampling.js';

/** CTRL rule, as in HF: each distinct earlier token's logit is divided by `penalty` if positive, else multiplied. */
function applyRepetitionPenalty(logits: Float32Array, history: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set(history);
  for (const t of seen) {
    if (t < 0 || t >= logits.length) continue;
    const x = logits[t];
    logits[t] = x > 0 ? x / penalty : x * penalty;
  }
}

function applyTemperature(logits: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  for (let i = 0; i < logits.length; i++) logits[i] /= temperature;
}

/**
 * Keeps the k largest logits (exactly k: ties at the boundary go to the lower index, as a stable
 * descending sort would). One pass with a size-k min-heap, O(V log k): sorting a 50k vocabulary
 * every step cost more than a bandwidth-bound decode step (see BENCHMARKS.md).
 */
function applyTopK(logits: Float32Array, k: number): void {
  const V = logits.length;
  if (k <= 0 || k >= V) return;
  // heap[0] is the worst kept entry: smallest value, and on equal values the larger index.
  const heap = new Int32Array(k);
  const worse = (a: number, b: number): boolean =>
    logits[a] < logits[b] || (logits[a] === logits[b] && a > b);
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) return;
      const r = l + 1;
      const c = r < k && worse(heap[r], heap[l]) ? r : l;
      if (!worse(heap[c], heap[i])) return;
      const t = heap[c];
      heap[c] = heap[i];
      heap[i] = t;
      i = c;
    }
  };
  for (let i = 0; i < k; i++) heap[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let i = k; i < V; i++) {
    // i is larger than every kept index, so it enters only with a strictly larger value.
    if (logits[i] > logits[heap[0]]) {
      heap[0] = i;
      siftDown(0);
    }
  }
  const keep = new Uint8Array(V);
  for (const i of heap) keep[i] = 1;
  for (let i = 0; i < V; i++) if (!keep[i]) logits[i] = -Infinity;
}

/** Softmax of the row into `out` (float64 sums; −Infinity logits get probability 0). */
function softmaxRow(logits: Float32Array, out: Float64Array = new Float64Array(logits.length)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = logits[i] === -Infinity ? 0 : Math.exp(logits[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) out[i] /= sum;
  return out;
}

/**
 * Nucleus filter: sort by probability, keep the shortest prefix whose cumulative probability
 * reaches p (always at least the top token), drop the rest; ties at the cut go to lower indices.
 * Fast path, same result: only values ≥ τ are sorted — they are a prefix of the descending order,
 * so once their mass reaches p the cut lies among them (τ falls 1e-4, 1e-7, 0 until it does) — and
 * they are sorted as plain numbers (a typed-array sort, no comparator), which gives the cut value v
 * and how many of the tokens equal to v the prefix takes; equal values sum the same in any order.
 */
function applyTopP(logits: Float32Array, p: number): void {
  if (p >= 1) return;
  const probs = softmaxRow(logits);
  const V = probs.length;
  let values = new Float64Array(0);
  for (const tau of [1e-4, 1e-7, 0]) {
    let mass = 0;
    let n = 0;
    for (let i = 0; i < V; i++) {
      if (probs[i] >= tau) {
        mass += probs[i];
        n++;
      }
    }
    if (mass < p && tau > 0) continue;
    values = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < V; i++) if (probs[i] >= tau) values[j++] = probs[i];
    break;
  }
  values.sort(); // ascending; walk it from the top
  let cum = 0;
  let cut = values[values.length - 1];
  let tiesTaken = 0;
  for (let j = values.length - 1; j >= 0; j--) {
    if (values[j] !== cut) {
      cut = values[j];
      tiesTaken = 0;
    }
    cum += values[j];
    tiesTaken++;
    if (cum >= p) break;
  }
  for (let i = 0; i < V; i++) {
    if (probs[i] > cut) continue;
    if (probs[i] === cut && tiesTaken > 0) tiesTaken--;
    else logits[i] = -Infinity;
  }
}

/** min-p (Nguyen et al. 2024, https://arxiv.org/abs/2407.01082): drop tokens with prob < minP · max prob. */
function applyMinP(logits: Float32Array, minP: number): void {
  if (minP <= 0) return;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  // p_i / p_max = exp(l_i − l_max), so the threshold is a logit cut: l_i < l_max + ln(minP).
  const cut = max + Math.log(minP);
  for (let i = 0; i < logits.length; i++) if (logits[i] < cut) logits[i] = -Infinity;
}

/** The configured pipeline for one generation: validated options plus the seeded Rng it draws from. */
export class ReferenceSampler {
  readonly options: Required<SamplingOptions>;
  private readonly processors: LogitsProcessor[];
  private probs = new Float64Array(0);

  constructor(
    options: SamplingOptions,
    private readonly rng: Rng,
    extra: LogitsProcessor[] = [],
  ) {
    this.options = validateSampling(options);
    const o = this.options;
    this.processors = [(l, h) => applyRepetitionPenalty(l, h, o.repetitionPenalty), ...extra];
  }

  get greedy(): boolean {
    return this.options.temperature === 0;
  }

  /** The next token for one row; `logits` is overwritten. */
  next(logits: Float32Array, history: readonly number[]): number {
    for (const p of this.processors) p(logits, history);
    const o = this.options;
    if (o.temperature === 0) return argmaxRow(logits);
    applyTemperature(logits, o.temperature);
    applyTopK(logits, o.topK);
    applyTopP(logits, o.topP);
    applyMinP(logits, o.minP);
    if (this.probs.length !== logits.length) this.probs = new Float64Array(logits.length);
    return multinomial(softmaxRow(logits, this.probs), this.rng);
  }
}
