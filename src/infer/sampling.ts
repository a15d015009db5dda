/**
 * Choosing the next token from one row of logits (a vocabulary-sized Float32Array).
 *
 * The pipeline, in Hugging Face's order (transformers `LogitsProcessorList`):
 *   1. repetition penalty on the raw logits (CTRL, Keskar et al. 2019, https://arxiv.org/abs/1909.05858)
 *   2. temperature 0 → greedy: argmax, nothing else applies
 *   3. temperature scaling, then top-k, top-p (nucleus, Holtzman et al. 2019,
 *      https://arxiv.org/abs/1904.09751) and min-p filters, each setting dropped logits to −Infinity
 *   4. softmax and one multinomial draw from the seeded Rng.
 * Every processor works in place on the row; they are exported so each can be tested on its own.
 */
import { check } from '../errors.js';
import { argmaxRow } from '../tensor/ops/sampling.js';
import type { Rng } from '../tensor/random.js';
import { EXP_MATCHES_ENGINE, expFdlibm } from './sampling-exp.js';
import { ALL, drawSoftmax, filterMinP, nucleus, SelectScratch, selectTopK } from './sampling-select.js';

export interface SamplingOptions {
  /** Softmax temperature; 0 is greedy (argmax). Default 1 (sample from the model's distribution). */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 (default) keeps all. */
  topK?: number;
  /** Nucleus: keep the smallest set of most likely tokens whose probability sums to ≥ p; 1 (default) keeps all. */
  topP?: number;
  /** Drop tokens whose probability is below minP × the top probability; 0 (default) keeps all. */
  minP?: number;
  /** CTRL repetition penalty (> 1 discourages tokens already in the sequence); 1 (default) is off. */
  repetitionPenalty?: number;
}

/** One step of the pipeline: edits `logits` in place; `history` is every token of the sequence so far. */
export type LogitsProcessor = (logits: Float32Array, history: readonly number[]) => void;

/** Checks options once, up front, so a bad value fails before any model work. */
export function validateSampling(options: SamplingOptions): Required<SamplingOptions> {
  const { temperature = 1, topK = 0, topP = 1, minP = 0, repetitionPenalty = 1 } = options;
  check(
    Number.isFinite(temperature) && temperature >= 0,
    'LLMK_E_ARG',
    () => `temperature ${temperature} is not allowed`,
    'use temperature ≥ 0 (0 = greedy, 1 = the model distribution)',
  );
  check(
    Number.isInteger(topK) && topK >= 0,
    'LLMK_E_ARG',
    () => `topK ${topK} is not allowed`,
    'use a whole number ≥ 1, or 0 to keep every token',
  );
  check(
    topP > 0 && topP <= 1,
    'LLMK_E_ARG',
    () => `topP ${topP} is outside (0, 1]`,
    'use 0 < topP ≤ 1 (1 keeps every token)',
  );
  check(
    minP >= 0 && minP < 1,
    'LLMK_E_ARG',
    () => `minP ${minP} is outside [0, 1)`,
    'use 0 ≤ minP < 1 (0 keeps every token)',
  );
  check(
    Number.isFinite(repetitionPenalty) && repetitionPenalty > 0,
    'LLMK_E_ARG',
    () => `repetitionPenalty ${repetitionPenalty} is not allowed`,
    'use a penalty > 0 (1 = off, 1.1–1.3 is typical)',
  );
  return { temperature, topK, topP, minP, repetitionPenalty };
}

/** CTRL rule, as in HF: each distinct earlier token's logit is divided by `penalty` if positive, else multiplied. */
export function applyRepetitionPenalty(
  logits: Float32Array,
  history: readonly number[],
  penalty: number,
): void {
  if (penalty === 1) return;
  const seen = new Set(history);
  for (const t of seen) {
    if (t < 0 || t >= logits.length) continue;
    const x = logits[t];
    logits[t] = x > 0 ? x / penalty : x * penalty;
  }
}

export function applyTemperature(logits: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  for (let i = 0; i < logits.length; i++) logits[i] /= temperature;
}

/**
 * Keeps the k largest logits (exactly k: ties at the boundary go to the lower index, as a stable
 * descending sort would). One pass with a size-k min-heap, O(V log k): sorting a 50k vocabulary
 * every step cost more than a bandwidth-bound decode step (see BENCHMARKS.md).
 */
export function applyTopK(logits: Float32Array, k: number): void {
  const V = logits.length;
  if (k <= 0 || k >= V) return;
  const kept = new Int32Array(k);
  selectTopK(logits, k, kept);
  const keep = new Uint8Array(V);
  for (const i of kept) keep[i] = 1;
  for (let i = 0; i < V; i++) if (!keep[i]) logits[i] = -Infinity;
}

/** Softmax of the row into `out` (float64 sums; −Infinity logits get probability 0). */
export function softmaxRow(
  logits: Float32Array,
  out: Float64Array = new Float64Array(logits.length),
): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    const e = x === -Infinity ? 0 : EXP_MATCHES_ENGINE ? expFdlibm(x - max) : Math.exp(x - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) out[i] /= sum;
  return out;
}

/**
 * Nucleus filter: sort by probability, keep the shortest prefix whose cumulative probability
 * reaches p (always at least the top token), drop the rest; ties at the cut go to lower indices.
 * Computed by partial selection (`nucleus` in sampling-select.ts): only the candidates above a
 * cut found from a histogram are sorted.
 */
export function applyTopP(logits: Float32Array, p: number): void {
  if (p >= 1) return;
  const V = logits.length;
  const scratch = new SelectScratch(V);
  const n = nucleus(logits, ALL, p, scratch);
  const keep = new Uint8Array(V);
  for (let j = 0; j < n; j++) keep[scratch.idx[j]] = 1;
  for (let i = 0; i < V; i++) if (!keep[i]) logits[i] = -Infinity;
}

/** min-p (Nguyen et al. 2024, https://arxiv.org/abs/2407.01082): drop tokens with prob < minP · max prob. */
export function applyMinP(logits: Float32Array, minP: number): void {
  if (minP <= 0) return;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  // p_i / p_max = exp(l_i − l_max), so the threshold is a logit cut: l_i < l_max + ln(minP).
  const cut = max + Math.log(minP);
  for (let i = 0; i < logits.length; i++) if (logits[i] < cut) logits[i] = -Infinity;
}

/**
 * The configured pipeline for one generation: validated options plus the seeded Rng it draws from.
 *
 * `next` runs the pipeline above on a list of surviving indices instead of rewriting the whole row
 * with −Infinity after every filter, and never sorts the vocabulary: top-k by a heap, top-p by
 * sorting only the candidates above a histogram cut, min-p by one comparison, and the draw by a
 * cumulative sum and a binary search. Every sum is taken in the same order as the full-row
 * definitions (`sampling-reference.ts`), so it draws the same token for the same seed
 * (`sampling-draws.test.ts`).
 */
export class Sampler {
  readonly options: Required<SamplingOptions>;
  private readonly processors: LogitsProcessor[];
  private scratch = new SelectScratch(0);

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

  /** The next token for one row; `logits` is used as scratch (temperature-scaled in place). */
  next(logits: Float32Array, history: readonly number[]): number {
    for (const p of this.processors) p(logits, history);
    const o = this.options;
    if (o.temperature === 0) return argmaxRow(logits);
    const V = logits.length;
    if (this.scratch.idx.length !== V) this.scratch = new SelectScratch(V);
    const s = this.scratch;
    applyTemperature(logits, o.temperature);
    let n = ALL; // survivors: s.idx[0..n) ascending, or ALL for the whole row
    if (o.topK > 0 && o.topK < V) {
      n = selectTopK(logits, o.topK, s.idx);
      s.idx.subarray(0, n).sort();
    }
    if (o.topP < 1) n = nucleus(logits, n, o.topP, s);
    if (o.minP > 0) n = filterMinP(logits, n, o.minP, s.idx);
    return drawSoftmax(logits, n, s, this.rng);
  }
}
