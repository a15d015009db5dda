/**
 * Classification metrics with scikit-learn's definitions (sklearn.metrics: accuracy_score,
 * precision_recall_fscore_support, confusion_matrix, classification_report), so numbers can be
 * compared with Python pipelines:
 * - labels default to the sorted union of true and predicted labels;
 * - micro: from global TP/FP/FN; macro: unweighted mean over labels; weighted: mean weighted by
 *   true support; 'binary': the positive label only;
 * - a ratio with a zero denominator is `zeroDivision` (default 0, sklearn's "warn" value).
 */
import { check, LlmkError } from '../errors.js';

export type ClassLabel = string | number;
export type AverageMethod = 'micro' | 'macro' | 'weighted' | 'binary';

export interface PrfOptions {
  /** Labels to score, in this order; default the sorted union of yTrue and yPred. */
  labels?: readonly ClassLabel[];
  /** Value for 0/0 ratios; default 0. */
  zeroDivision?: number;
  /** F-beta; default 1. */
  beta?: number;
  /** The positive label for average 'binary'; default 1. */
  posLabel?: ClassLabel;
}

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true occurrences (summed over the scored labels for averages). */
  support: number;
}

function checkPair(yTrue: readonly ClassLabel[], yPred: readonly ClassLabel[]): void {
  check(
    yTrue.length === yPred.length,
    'LLMK_E_DATA',
    () => `yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`,
    'pass one prediction per example',
  );
  check(yTrue.length > 0, 'LLMK_E_DATA', () => 'no examples to score', 'pass at least one example');
}

/** Sorted unique labels (numbers numerically, strings by code unit), as `np.unique`. */
export function uniqueLabels(...lists: readonly (readonly ClassLabel[])[]): ClassLabel[] {
  const set = new Set<ClassLabel>();
  for (const l of lists) for (const x of l) set.add(x);
  const all = [...set];
  const kinds = new Set(all.map((x) => typeof x));
  if (kinds.size > 1) {
    throw new LlmkError('LLMK_E_DATA', 'labels mix numbers and strings', 'use one label type throughout');
  }
  return all.sort((a, b) => (typeof a === 'number' ? a - (b as number) : a < b ? -1 : a > b ? 1 : 0));
}

/** Fraction of exact matches (sklearn `accuracy_score`). */
export function accuracy(yTrue: readonly ClassLabel[], yPred: readonly ClassLabel[]): number {
  checkPair(yTrue, yPred);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

export interface ConfusionMatrix {
  labels: ClassLabel[];
  /** matrix[i][j]: examples with true label labels[i] predicted as labels[j]. */
  matrix: number[][];
}

/** sklearn `confusion_matrix`: rows are true labels, columns predictions; other labels are ignored. */
export function confusionMatrix(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  labels?: readonly ClassLabel[],
): ConfusionMatrix {
  checkPair(yTrue, yPred);
  const ls = labels ? [...labels] : uniqueLabels(yTrue, yPred);
  const index = new Map<ClassLabel, number>(ls.map((l, i) => [l, i]));
  const matrix = ls.map(() => new Array<number>(ls.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]);
    const p = index.get(yPred[i]);
    if (t !== undefined && p !== undefined) matrix[t][p]++;
  }
  return { labels: ls, matrix };
}

interface Counts {
  tp: number[];
  fp: number[];
  fn: number[];
}

function countsPerLabel(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  labels: readonly ClassLabel[],
): Counts {
  const index = new Map<ClassLabel, number>(labels.map((l, i) => [l, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const fp = new Array<number>(labels.length).fill(0);
  const fn = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]);
    const p = index.get(yPred[i]);
    if (yTrue[i] === yPred[i]) {
      if (t !== undefined) tp[t]++;
    } else {
      if (p !== undefined) fp[p]++;
      if (t !== undefined) fn[t]++;
    }
  }
  return { tp, fp, fn };
}

function ratio(num: number, den: number, zeroDivision: number): number {
  return den === 0 ? zeroDivision : num / den;
}

function prfFromCounts(tp: number, fp: number, fn: number, beta: number, zeroDivision: number): Prf {
  const precision = ratio(tp, tp + fp, zeroDivision);
  const recall = ratio(tp, tp + fn, zeroDivision);
  // sklearn >= 1.3 form: (1+b^2) tp / ((1+b^2) tp + b^2 fn + fp), zeroDivision only when all are 0.
  const b2 = beta * beta;
  const f1 = ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zeroDivision);
  return { precision, recall, f1, support: tp + fn };
}

/** Precision, recall, F-beta and support for each label (sklearn `average=None`). */
export function perLabelPrf(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  opts: PrfOptions = {},
): { labels: ClassLabel[]; scores: Prf[] } {
  checkPair(yTrue, yPred);
  const labels = opts.labels ? [...opts.labels] : uniqueLabels(yTrue, yPred);
  const { tp, fp, fn } = countsPerLabel(yTrue, yPred, labels);
  const beta = opts.beta ?? 1;
  const zd = opts.zeroDivision ?? 0;
  return { labels, scores: labels.map((_, i) => prfFromCounts(tp[i], fp[i], fn[i], beta, zd)) };
}

/** Averaged precision, recall and F-beta (sklearn `precision_recall_fscore_support(average=...)`). */
export function precisionRecallF1(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  average: AverageMethod,
  opts: PrfOptions = {},
): Prf {
  checkPair(yTrue, yPred);
  const beta = opts.beta ?? 1;
  const zd = opts.zeroDivision ?? 0;
  if (average === 'binary') {
    const pos = opts.posLabel ?? 1;
    const present = uniqueLabels(yTrue, yPred);
    check(
      present.length <= 2,
      'LLMK_E_DATA',
      () => `average 'binary' needs at most two labels, found ${present.length}`,
      "use 'micro', 'macro' or 'weighted' for multiclass data",
    );
    return perLabelPrf(yTrue, yPred, { ...opts, labels: [pos] }).scores[0];
  }
  const labels = opts.labels ? [...opts.labels] : uniqueLabels(yTrue, yPred);
  const { tp, fp, fn } = countsPerLabel(yTrue, yPred, labels);
  if (average === 'micro') {
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    return prfFromCounts(sum(tp), sum(fp), sum(fn), beta, zd);
  }
  const per = labels.map((_, i) => prfFromCounts(tp[i], fp[i], fn[i], beta, zd));
  const support = per.reduce((a, s) => a + s.support, 0);
  if (average === 'macro') {
    const mean = (k: 'precision' | 'recall' | 'f1') => per.reduce((a, s) => a + s[k], 0) / per.length;
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support };
  }
  if (average === 'weighted') {
    // sklearn: with zero total support every weighted average is zeroDivision.
    const wmean = (k: 'precision' | 'recall' | 'f1') =>
      support === 0 ? zd : per.reduce((a, s) => a + s[k] * s.support, 0) / support;
    return { precision: wmean('precision'), recall: wmean('recall'), f1: wmean('f1'), support };
  }
  throw new LlmkError(
    'LLMK_E_ARG',
    `unknown average '${average as string}'`,
    "use 'micro', 'macro', 'weighted' or 'binary'",
  );
}

export interface ClassificationReport {
  labels: ClassLabel[];
  perLabel: Prf[];
  accuracy: number;
  macro: Prf;
  weighted: Prf;
  micro: Prf;
}

/** Everything sklearn's `classification_report` prints, as data. */
export function classificationReport(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
  opts: PrfOptions = {},
): ClassificationReport {
  const { labels, scores } = perLabelPrf(yTrue, yPred, opts);
  const o = { ...opts, labels };
  return {
    labels,
    perLabel: scores,
    accuracy: accuracy(yTrue, yPred),
    macro: precisionRecallF1(yTrue, yPred, 'macro', o),
    weighted: precisionRecallF1(yTrue, yPred, 'weighted', o),
    micro: precisionRecallF1(yTrue, yPred, 'micro', o),
  };
}
