/**
 * chrF and chrF++ (Popović 2015, https://aclanthology.org/W15-3049; 2017,
 * https://aclanthology.org/W17-4770) computed exactly as sacrebleu 2.x does
 * (sacrebleu/metrics/chrf.py): character n-grams 1..charOrder with whitespace removed, plus word
 * n-grams 1..wordOrder for chrF++, per-segment statistics from the best-scoring reference, summed
 * over the corpus, then an F-beta score averaged over orders.
 */
import { check } from '../errors.js';
import { pyRemoveSpace, pySplit } from './py-string.js';
import { checkRefStreams } from './streams.js';

export interface ChrfOptions {
  /** Character n-gram order; default 6. */
  charOrder?: number;
  /** Word n-gram order; default 0 (chrF). 2 gives chrF++. */
  wordOrder?: number;
  /** Recall weight; default 2. */
  beta?: number;
  /** Lowercase before matching; default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams; default false. */
  whitespace?: boolean;
  /**
   * true: chrF++.py/NLTK/Moses epsilon smoothing (average F over all orders);
   * false (sacrebleu's default): F of the precision and recall averaged over effective orders.
   */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** chrF on the 0-100 scale. */
  score: number;
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** Summed [hyp, ref, match] counts per order, chars first then words. */
  stats: number[];
}

type Resolved = Required<ChrfOptions>;

function resolve(opts: ChrfOptions): Resolved {
  const o: Resolved = {
    charOrder: opts.charOrder ?? 6,
    wordOrder: opts.wordOrder ?? 0,
    beta: opts.beta ?? 2,
    lowercase: opts.lowercase ?? false,
    whitespace: opts.whitespace ?? false,
    epsSmoothing: opts.epsSmoothing ?? false,
  };
  check(
    Number.isInteger(o.charOrder) && o.charOrder >= 0 && Number.isInteger(o.wordOrder) && o.wordOrder >= 0,
    'LLMK_E_ARG',
    () => `chrF orders must be non-negative integers, got charOrder=${o.charOrder} wordOrder=${o.wordOrder}`,
    'chrF uses charOrder=6, wordOrder=0; chrF++ uses wordOrder=2',
  );
  check(
    o.charOrder + o.wordOrder > 0,
    'LLMK_E_ARG',
    () => 'chrF needs charOrder + wordOrder > 0',
    'use charOrder=6',
  );
  return o;
}

/** sacrebleu's chrF+ punctuation set (Python `string.punctuation`). */
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** sacrebleu `_remove_punctuation`: split one leading or trailing ASCII punctuation off each word. */
function removePunctuation(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const cps = Array.from(w);
    if (cps.length === 1) {
      out.push(w);
    } else if (PUNCTS.has(cps[cps.length - 1])) {
      // Note: '(hi)' becomes '(hi' and ')' (sacrebleu issue #124), kept for identical scores.
      out.push(cps.slice(0, -1).join(''), cps[cps.length - 1]);
    } else if (PUNCTS.has(cps[0])) {
      out.push(cps[0], cps.slice(1).join(''));
    } else {
      out.push(w);
    }
  }
  return out;
}

function countNgrams(units: readonly string[], n: number, sep: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = n === 1 ? units[i] : units.slice(i, i + n).join(sep);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Character n-gram counts. Python slices by code point; for strings without surrogate pairs a
 * UTF-16 slice is the same thing and avoids building an array of characters.
 */
function charNgrams(line: string, n: number): Map<string, number> {
  if (SURROGATE.test(line)) return countNgrams(Array.from(line), n, '');
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= line.length; i++) {
    const key = line.slice(i, i + n);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Character n-grams 1..charOrder then word n-grams 1..wordOrder of one (preprocessed) segment. */
function extractNgrams(sent: string, o: Resolved): Map<string, number>[] {
  const line = o.whitespace ? sent : pyRemoveSpace(sent);
  const all: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) all.push(charNgrams(line, n));
  if (o.wordOrder > 0) {
    const words = removePunctuation(sent);
    for (let n = 1; n <= o.wordOrder; n++) all.push(countNgrams(words, n, ' '));
  }
  return all;
}

/** sacrebleu `_get_match_statistics` for every order: [hyp, ref, match] triples. */
function matchStats(hyp: readonly Map<string, number>[], ref: readonly Map<string, number>[]): number[] {
  const stats: number[] = [];
  for (let i = 0; i < hyp.length; i++) {
    let match = 0;
    let hypCount = 0;
    let refCount = 0;
    for (const c of ref[i].values()) refCount += c;
    for (const [g, c] of hyp[i]) {
      hypCount += c;
      const r = ref[i].get(g);
      if (r !== undefined) match += Math.min(c, r);
    }
    // Hypothesis n-grams are not counted when the reference has none of that order.
    stats.push(ref[i].size > 0 ? hypCount : 0, refCount, match);
  }
  return stats;
}

/** sacrebleu `CHRF._compute_f_score` on summed statistics. */
function fScore(stats: readonly number[], o: Resolved): number {
  const eps = 1e-16;
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i];
    const nRef = stats[3 * i + 1];
    const nMatch = stats[3 * i + 2];
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
  }
  return 0;
}

/**
 * Per-segment chrF statistics against the best of the segment's references (first one on ties).
 * `refStreams[k][i]` is reference k of hypothesis i; `null` marks a missing reference.
 */
export function chrfSegmentStats(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: ChrfOptions = {},
): number[][] {
  const o = resolve(opts);
  checkRefStreams('chrF', hyps, refStreams);
  const prep = (s: string) => (o.lowercase ? s.toLowerCase() : s);
  return hyps.map((hyp, i) => {
    const hypNgrams = extractNgrams(prep(hyp), o);
    let best: number[] = [];
    let bestF = -1;
    for (const stream of refStreams) {
      const ref = stream[i];
      if (ref === null || ref === undefined) continue;
      const stats = matchStats(hypNgrams, extractNgrams(prep(ref), o));
      const f = fScore(stats, o);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    return best;
  });
}

/** Corpus chrF (sacrebleu `corpus_chrf` / `CHRF().corpus_score`). */
export function corpusChrf(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: ChrfOptions = {},
): ChrfScore {
  const o = resolve(opts);
  const width = 3 * (o.charOrder + o.wordOrder);
  const sum = new Array<number>(width).fill(0);
  for (const s of chrfSegmentStats(hyps, refStreams, o)) for (let j = 0; j < s.length; j++) sum[j] += s[j];
  return { score: fScore(sum, o), charOrder: o.charOrder, wordOrder: o.wordOrder, beta: o.beta, stats: sum };
}

/** Sentence chrF against one or more references (sacrebleu `sentence_chrf`). */
export function sentenceChrf(hyp: string, refs: readonly string[], opts: ChrfOptions = {}): ChrfScore {
  return corpusChrf(
    [hyp],
    refs.map((r) => [r]),
    opts,
  );
}

/** sacrebleu's name for the metric: chrF2, chrF2++, ... */
export function chrfName(s: Pick<ChrfScore, 'beta' | 'wordOrder'>): string {
  return `chrF${s.beta}${'+'.repeat(s.wordOrder)}`;
}
