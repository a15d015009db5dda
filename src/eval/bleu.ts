/**
 * BLEU (Papineni et al., 2002, https://aclanthology.org/P02-1040) computed exactly as sacrebleu 2.x
 * does (sacrebleu/metrics/bleu.py): per-segment sufficient statistics against the closest reference
 * length and max-over-references n-gram counts, summed over the corpus, then one of the smoothing
 * methods of Chen & Cherry (2014, https://aclanthology.org/W14-3346).
 */
import { check, LlmkError } from '../errors.js';
import { type BleuTokenizerName, bleuTokenizer } from './bleu-tokenizers.js';
import { pyFixed, pyRstrip, pySplit } from './py-string.js';
import { checkRefStreams } from './streams.js';

export type SmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';
export const SMOOTH_METHODS: readonly SmoothMethod[] = ['exp', 'floor', 'add-k', 'none'];

/** sacrebleu's `BLEU.SMOOTH_DEFAULTS`: floor 0.1 and add-k 1 are Chen & Cherry's values. */
const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

export interface BleuOptions {
  /** sacrebleu tokenizer; default '13a' as in sacrebleu. */
  tokenize?: BleuTokenizerName;
  /** Lowercase hypotheses and references before tokenizing (sacrebleu `-lc`). */
  lowercase?: boolean;
  /** Default 'exp' (NIST geometric sequence), sacrebleu's default. */
  smoothMethod?: SmoothMethod;
  /** Value for 'floor' (default 0.1) and 'add-k' (default 1); ignored by the others. */
  smoothValue?: number;
  /** Highest n-gram order; default 4. */
  maxNgramOrder?: number;
  /** Average only over orders that have candidate n-grams (for sentence BLEU). */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  /** BLEU on sacrebleu's 0-100 scale. */
  score: number;
  /** Clipped n-gram matches per order (add-k adds k for orders >= 2, as sacrebleu reports). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** n-gram precisions on the 0-100 scale, after smoothing. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  /** sysLen / refLen (0 when refLen is 0). */
  ratio: number;
}

interface ResolvedBleuOptions {
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  smoothMethod: SmoothMethod;
  smoothValue: number | undefined;
  maxNgramOrder: number;
  effectiveOrder: boolean;
}

function resolve(opts: BleuOptions, effectiveOrderDefault: boolean): ResolvedBleuOptions {
  const smoothMethod = opts.smoothMethod ?? 'exp';
  if (!SMOOTH_METHODS.includes(smoothMethod)) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown BLEU smoothing method '${smoothMethod}'`,
      `use one of ${SMOOTH_METHODS.join(', ')}`,
    );
  }
  const maxNgramOrder = opts.maxNgramOrder ?? 4;
  check(
    Number.isInteger(maxNgramOrder) && maxNgramOrder >= 1,
    'LLMK_E_ARG',
    () => `BLEU maxNgramOrder must be a positive integer, got ${maxNgramOrder}`,
    'the usual value is 4',
  );
  const tokenize = opts.tokenize ?? '13a';
  bleuTokenizer(tokenize); // validates the name
  return {
    tokenize,
    lowercase: opts.lowercase ?? false,
    smoothMethod,
    smoothValue: opts.smoothValue,
    maxNgramOrder,
    effectiveOrder: opts.effectiveOrder ?? effectiveOrderDefault,
  };
}

/** sacrebleu `my_log`: log floored to a huge negative number at 0, so BLEU becomes 0 (not NaN). */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from sufficient statistics (sacrebleu `BLEU.compute_bleu`). `correct` and `total` are not
 * modified. Smoothing: 'none'; 'floor' (method 1: zero-match precisions become value/total);
 * 'add-k' (method 2: add k to matches and totals for n >= 2); 'exp' (method 3, NIST: the i-th
 * zero-match order gets 1/(2^i * total)).
 */
export function computeBleu(
  correct: readonly number[],
  total: readonly number[],
  sysLen: number,
  refLen: number,
  opts: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): BleuScore {
  const smoothMethod = opts.smoothMethod ?? 'none';
  const maxOrder = opts.maxNgramOrder ?? 4;
  const effectiveOrder = opts.effectiveOrder ?? false;
  const smoothValue = opts.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const counts = correct.slice(0, maxOrder);
  const totals = total.slice(0, maxOrder);

  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const ratio = refLen ? sysLen / refLen : 0;
  // Early stop if there are no matches at all (sacrebleu #141).
  if (!counts.some((c) => c !== 0)) {
    return { score: 0, counts, totals, precisions, bp, sysLen, refLen, ratio };
  }

  let smoothMteval = 1.0;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      counts[n - 1] += smoothValue;
      totals[n - 1] += smoothValue;
    }
    if (totals[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (counts[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * totals[n - 1]);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / totals[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * counts[n - 1]) / totals[n - 1];
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts, totals, precisions, bp, sysLen, refLen, ratio };
}

/** n-gram counts per order (index n-1), keyed by space-joined tokens (tokens hold no spaces). */
function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const byOrder = Array.from({ length: maxOrder }, () => new Map<string, number>());
  for (let i = 0; i < tokens.length; i++) {
    // Grow the key one token at a time instead of slicing and joining for every order.
    let key = tokens[i];
    const top = Math.min(maxOrder, tokens.length - i);
    for (let n = 0; n < top; n++) {
      if (n > 0) key += ` ${tokens[i + n]}`;
      const counts = byOrder[n];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return byOrder;
}

interface RefInfo {
  /** Per order, the max count of each n-gram over the references. */
  ngrams: Map<string, number>[];
  lens: number[];
}

function preprocess(sent: string, o: ResolvedBleuOptions, tok: (s: string) => string): string {
  if (o.lowercase) sent = sent.toLowerCase();
  return tok(pyRstrip(sent));
}

function referenceInfo(refs: readonly string[], o: ResolvedBleuOptions, tok: (s: string) => string): RefInfo {
  const ngrams = Array.from({ length: o.maxNgramOrder }, () => new Map<string, number>());
  const lens: number[] = [];
  for (const ref of refs) {
    const tokens = pySplit(preprocess(ref, o, tok));
    lens.push(tokens.length);
    ngramCounts(tokens, o.maxNgramOrder).forEach((counts, n) => {
      const merged = ngrams[n];
      for (const [g, c] of counts) if (c > (merged.get(g) ?? 0)) merged.set(g, c);
    });
  }
  return { ngrams, lens };
}

/** sacrebleu `_get_closest_ref_len`: the closest reference length, the shorter one on ties. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

/** One segment's statistics: [hypLen, refLen, correct_1..N, total_1..N]. */
function segmentStats(hyp: string, ref: RefInfo, maxOrder: number): number[] {
  const tokens = pySplit(hyp);
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  ngramCounts(tokens, maxOrder).forEach((counts, n) => {
    const refCounts = ref.ngrams[n];
    for (const [g, c] of counts) {
      total[n] += c;
      const r = refCounts.get(g);
      if (r !== undefined) correct[n] += Math.min(c, r);
    }
  });
  return [tokens.length, closestRefLen(tokens.length, ref.lens), ...correct, ...total];
}

/**
 * Per-segment BLEU statistics (for significance tests or custom aggregation). `refStreams[k][i]`
 * is reference k of segment i, as in sacrebleu; a `null` entry means segment i has fewer references.
 */
export function bleuSegmentStats(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: BleuOptions = {},
): number[][] {
  const o = resolve(opts, false);
  checkRefStreams('BLEU', hyps, refStreams);
  const tok = bleuTokenizer(o.tokenize);
  return hyps.map((hyp, i) => {
    const refs = refStreams.map((s) => s[i]).filter((r): r is string => r !== null && r !== undefined);
    return segmentStats(preprocess(hyp, o, tok), referenceInfo(refs, o, tok), o.maxNgramOrder);
  });
}

function scoreFromStats(stats: readonly number[][], o: ResolvedBleuOptions): BleuScore {
  const width = 2 + 2 * o.maxNgramOrder;
  const sum = new Array<number>(width).fill(0);
  for (const s of stats) for (let j = 0; j < width; j++) sum[j] += s[j];
  return computeBleu(sum.slice(2, 2 + o.maxNgramOrder), sum.slice(2 + o.maxNgramOrder), sum[0], sum[1], o);
}

/**
 * Corpus BLEU (sacrebleu `corpus_bleu` / `BLEU().corpus_score`): `refStreams[k][i]` is reference
 * k of hypothesis i.
 */
export function corpusBleu(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: BleuOptions = {},
): BleuScore {
  const o = resolve(opts, false);
  return scoreFromStats(bleuSegmentStats(hyps, refStreams, o), o);
}

/**
 * Sentence BLEU against one or more references. Like sacrebleu's `sentence_bleu`, effective order
 * is on by default so that short sentences are not zeroed by missing 4-grams.
 */
export function sentenceBleu(hyp: string, refs: readonly string[], opts: BleuOptions = {}): BleuScore {
  const o = resolve(opts, true);
  return scoreFromStats(
    bleuSegmentStats(
      [hyp],
      refs.map((r) => [r]),
      o,
    ),
    o,
  );
}

/** sacrebleu's reproducibility signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp`. */
export function bleuSignature(opts: BleuOptions, nRefs: number, sentenceLevel = false): string {
  const o = resolve(opts, sentenceLevel);
  let smooth: string = o.smoothMethod;
  const def = SMOOTH_DEFAULTS[o.smoothMethod];
  if (def !== null) smooth += `[${pyFixed(o.smoothValue ?? def, 2)}]`;
  return [
    `nrefs:${nRefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${o.tokenize}`,
    `smooth:${smooth}`,
  ].join('|');
}

/** sacrebleu's score line: `BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = ...)`. */
export function formatBleu(s: BleuScore, width = 2): string {
  const prec = s.precisions.map((p) => pyFixed(p, 1)).join('/');
  return (
    `BLEU = ${pyFixed(s.score, width)} ${prec} (BP = ${pyFixed(s.bp, 3)} ratio = ${pyFixed(s.ratio, 3)} ` +
    `hyp_len = ${s.sysLen} ref_len = ${s.refLen})`
  );
}
