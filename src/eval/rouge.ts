/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum (Lin 2004, https://aclanthology.org/W04-1013) computed exactly
 * as Google's rouge-score package does (google-research/rouge: rouge_scorer.py, tokenize.py,
 * scoring.py), which replicates ROUGE-1.5.5.pl `-e data -n 2` (and `-m` with stemming).
 * `score(target, prediction)`: recall is measured against the target (reference).
 */
import { LlmkError } from '../errors.js';
import { type BootstrapInterval, type BootstrapOptions, bootstrapIntervals } from './bootstrap.js';
import { porterStem } from './porter.js';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (NLTK's stemmer, as rouge-score). */
  useStemmer?: boolean;
}

/**
 * rouge-score `tokenize.tokenize`: lowercase, every run of characters outside [a-z0-9] becomes a
 * space, split, stem tokens longer than 3 characters, keep only [a-z0-9]+ tokens. Non-ASCII
 * letters are therefore separators, as in rouge-score.
 */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ');
  const out: string[] = [];
  for (let tok of tokens) {
    if (useStemmer && tok.length > 3) tok = porterStem(tok);
    if (/^[a-z0-9]+$/.test(tok)) out.push(tok);
  }
  return out;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** rouge-score `_score_ngrams`: clipped n-gram overlap. */
function scoreNgrams(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  let tCount = 0;
  let pCount = 0;
  for (const [g, c] of t) {
    overlap += Math.min(c, p.get(g) ?? 0);
    tCount += c;
  }
  for (const c of p.values()) pCount += c;
  const precision = overlap / Math.max(pCount, 1);
  const recall = overlap / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** The (|ref|+1) x (|can|+1) LCS dynamic-programming table, row-major. */
export function lcsTable(ref: readonly unknown[], can: readonly unknown[]): Int32Array[] {
  const table = Array.from({ length: ref.length + 1 }, () => new Int32Array(can.length + 1));
  for (let i = 1; i <= ref.length; i++) {
    const row = table[i];
    const prev = table[i - 1];
    for (let j = 1; j <= can.length; j++) {
      row[j] = ref[i - 1] === can[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    }
  }
  return table;
}

function lcsLength(ref: readonly string[], can: readonly string[]): number {
  // Two rows suffice when only the length is needed.
  let prev = new Int32Array(can.length + 1);
  let row = new Int32Array(can.length + 1);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      row[j] = ref[i - 1] === can[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    }
    [prev, row] = [row, prev];
  }
  return prev[can.length];
}

/** rouge-score `lcs_ind`: indices into `ref` of one LCS, read back from the table the same way. */
export function lcsIndices(ref: readonly unknown[], can: readonly unknown[]): number[] {
  const t = lcsTable(ref, can);
  let i = ref.length;
  let j = can.length;
  const lcs: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      lcs.push(i - 1);
      i--;
      j--;
    } else if (t[i][j - 1] > t[i - 1][j]) {
      j--;
    } else {
      i--;
    }
  }
  return lcs.reverse();
}

/** rouge-score `_union_lcs`: tokens of `ref` in the union of its LCS with each candidate sentence. */
export function unionLcs<T>(ref: readonly T[], candidates: readonly (readonly T[])[]): T[] {
  const union = new Set<number>();
  for (const c of candidates) for (const i of lcsIndices(ref, c)) union.add(i);
  return [...union].sort((a, b) => a - b).map((i) => ref[i]);
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * rouge-score `_summary_level_lcs` (ROUGE paper section 3.2): union LCS of each reference sentence
 * against all candidate sentences, with hits clipped by token counts as ROUGE-1.5.5 does.
 */
export function summaryLevelLcs<T>(
  refSents: readonly (readonly T[])[],
  canSents: readonly (readonly T[])[],
): RougeScore {
  const zero = { precision: 0, recall: 0, fmeasure: 0 };
  if (refSents.length === 0 || canSents.length === 0) return zero;
  const m = refSents.reduce((a, s) => a + s.length, 0);
  const n = canSents.reduce((a, s) => a + s.length, 0);
  if (!n || !m) return zero;
  const countsR = new Map<T, number>();
  const countsC = new Map<T, number>();
  for (const s of refSents) for (const t of s) countsR.set(t, (countsR.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) countsC.set(t, (countsC.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    for (const t of unionLcs(r, canSents)) {
      const c = countsC.get(t) ?? 0;
      const rr = countsR.get(t) ?? 0;
      if (c > 0 && rr > 0) {
        hits++;
        countsC.set(t, c - 1);
        countsR.set(t, rr - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Sentences for rougeLsum: rouge-score splits on newlines and drops empty lines. */
function sentences(text: string): string[] {
  return text.split('\n').filter((s) => s.length > 0);
}

/** rouge-score's accepted types: rouge1..rouge9 (rouge0 is rejected), rougeL, rougeLsum. */
export function checkRougeType(type: string): void {
  if (type === 'rougeL' || type === 'rougeLsum' || /^rouge[1-9]$/.test(type)) return;
  throw new LlmkError(
    'LLMK_E_ARG',
    `invalid ROUGE type '${type}'`,
    'use rouge1..rouge9, rougeL or rougeLsum (rougeLsum splits sentences on newlines)',
  );
}

/** rouge-score `RougeScorer(types, use_stemmer).score(target, prediction)`. */
export function rougeScore(
  target: string,
  prediction: string,
  types: readonly string[] = ['rouge1', 'rouge2', 'rougeL'],
  opts: RougeOptions = {},
): Record<string, RougeScore> {
  types.forEach(checkRougeType);
  const stem = opts.useStemmer ?? false;
  const needTokens = types.some((t) => t !== 'rougeLsum');
  const targetTokens = needTokens ? rougeTokenize(target, stem) : [];
  const predictionTokens = needTokens ? rougeTokenize(prediction, stem) : [];
  const result: Record<string, RougeScore> = {};
  for (const type of types) {
    if (type === 'rougeL') {
      result[type] = scoreLcs(targetTokens, predictionTokens);
    } else if (type === 'rougeLsum') {
      result[type] = summaryLevelLcs(
        sentences(target).map((s) => rougeTokenize(s, stem)),
        sentences(prediction).map((s) => rougeTokenize(s, stem)),
      );
    } else {
      result[type] = scoreNgrams(targetTokens, predictionTokens, Number(type.slice(5)));
    }
  }
  return result;
}

/**
 * rouge-score `score_multi`: score against each target and keep, per type, the score with the
 * highest F-measure (the first one on ties, as `np.argmax`).
 */
export function rougeScoreMulti(
  targets: readonly string[],
  prediction: string,
  types: readonly string[] = ['rouge1', 'rouge2', 'rougeL'],
  opts: RougeOptions = {},
): Record<string, RougeScore> {
  if (targets.length === 0) {
    throw new LlmkError(
      'LLMK_E_ARG',
      'rougeScoreMulti needs at least one target',
      'pass one or more references',
    );
  }
  const all = targets.map((t) => rougeScore(t, prediction, types, opts));
  const best: Record<string, RougeScore> = {};
  for (const type of types) {
    let k = 0;
    for (let i = 1; i < all.length; i++) if (all[i][type].fmeasure > all[k][type].fmeasure) k = i;
    best[type] = all[k][type];
  }
  return best;
}

export interface RougeAggregate {
  low: RougeScore;
  mid: RougeScore;
  high: RougeScore;
}

/**
 * rouge-score `BootstrapAggregator.aggregate()`: per type, bootstrap percentiles of the mean
 * precision, recall and F (mid is the median of the resampled means).
 */
export function aggregateRouge(
  scores: readonly Record<string, RougeScore>[],
  opts: BootstrapOptions = {},
): Record<string, RougeAggregate> {
  if (scores.length === 0) {
    throw new LlmkError('LLMK_E_ARG', 'no ROUGE scores to aggregate', 'score at least one example first');
  }
  const out: Record<string, RougeAggregate> = {};
  for (const type of Object.keys(scores[0])) {
    const rows = scores.map((s) => [s[type].precision, s[type].recall, s[type].fmeasure]);
    const [p, r, f] = bootstrapIntervals(rows, opts);
    const pick = (k: keyof BootstrapInterval): RougeScore => ({
      precision: p[k],
      recall: r[k],
      fmeasure: f[k],
    });
    out[type] = { low: pick('low'), mid: pick('mid'), high: pick('high') };
  }
  return out;
}

/** Plain means of precision, recall and F per type (no resampling). */
export function meanRouge(scores: readonly Record<string, RougeScore>[]): Record<string, RougeScore> {
  if (scores.length === 0) {
    throw new LlmkError('LLMK_E_ARG', 'no ROUGE scores to average', 'score at least one example first');
  }
  const out: Record<string, RougeScore> = {};
  for (const type of Object.keys(scores[0])) {
    const sum = { precision: 0, recall: 0, fmeasure: 0 };
    for (const s of scores) {
      sum.precision += s[type].precision;
      sum.recall += s[type].recall;
      sum.fmeasure += s[type].fmeasure;
    }
    out[type] = {
      precision: sum.precision / scores.length,
      recall: sum.recall / scores.length,
      fmeasure: sum.fmeasure / scores.length,
    };
  }
  return out;
}
