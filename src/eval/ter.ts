/**
 * TER, translation edit rate (Snover et al. 2006, https://aclanthology.org/2006.amta-papers.25),
 * computed exactly as sacrebleu 2.x does (sacrebleu/metrics/ter.py, lib_ter.py,
 * tokenizers/tokenizer_ter.py), which follows Tercom: greedy block shifts that reduce a beam-limited
 * Levenshtein distance, then edits / average reference length.
 * sacrebleu caches edit-distance rows by hypothesis prefix; that cache only saves time (shifts
 * keep the hypothesis length, so every row depends on its prefix alone), so we recompute instead.
 */
import { pyRstrip, pySplit } from './py-string.js';
import { checkRefStreams } from './streams.js';

const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
const MAX_SHIFT_CANDIDATES = 1000;
const INF = 1e16;

type Op = 'i' | 'd' | ' ' | 's' | 'x';

/** Levenshtein distance near the (length-ratio) diagonal, with sacrebleu's operation preferences and trace. */
function beamEditDistance(hyp: readonly string[], ref: readonly string[]): { cost: number; trace: string } {
  const nH = hyp.length;
  const nR = ref.length;
  const cost: Float64Array[] = [];
  const ops: Op[][] = [];
  cost.push(Float64Array.from({ length: nR + 1 }, (_, j) => j));
  ops.push(new Array<Op>(nR + 1).fill('i'));
  const lengthRatio = nH ? nR / nH : 1;
  // In very unequal lengths the beam must still overlap the previous row.
  const beam = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
  for (let i = 1; i <= nH; i++) {
    const row = new Float64Array(nR + 1).fill(INF);
    const rowOps = new Array<Op>(nR + 1).fill('x');
    const prev = cost[i - 1];
    const diag = Math.floor(i * lengthRatio);
    const minJ = Math.max(0, diag - beam);
    const maxJ = i === nH ? nR + 1 : Math.min(nR + 1, diag + beam);
    for (let j = minJ; j < maxJ; j++) {
      if (j === 0) {
        row[j] = prev[j] + 1;
        rowOps[j] = 'd';
        continue;
      }
      const same = hyp[i - 1] === ref[j - 1];
      // Tercom prefers match/substitution, then insertion, then deletion; the trace is later
      // flipped, so deletion is tried before insertion here (strictly-better updates only).
      const cands: [number, Op][] = [
        [prev[j - 1] + (same ? 0 : 1), same ? ' ' : 's'],
        [prev[j] + 1, 'd'],
        [row[j - 1] + 1, 'i'],
      ];
      for (const [c, op] of cands) {
        if (row[j] > c) {
          row[j] = c;
          rowOps[j] = op;
        }
      }
    }
    cost.push(row);
    ops.push(rowOps);
  }
  const trace: Op[] = [];
  let i = nH;
  let j = nR;
  while (i > 0 || j > 0) {
    const op = ops[i][j];
    trace.push(op);
    if (op === 's' || op === ' ') {
      i--;
      j--;
    } else if (op === 'i') {
      j--;
    } else if (op === 'd') {
      i--;
    } else {
      throw new Error(`TER: undefined edit operation at (${i}, ${j})`);
    }
  }
  return { cost: cost[nH][nR], trace: trace.reverse().join('') };
}

/** sacrebleu `trace_to_alignment` on the flipped trace (insertions and deletions swapped). */
function alignment(invTrace: string): { align: Map<number, number>; refErr: number[]; hypErr: number[] } {
  let posHyp = -1;
  let posRef = -1;
  const align = new Map<number, number>();
  const refErr: number[] = [];
  const hypErr: number[] = [];
  for (const raw of invTrace) {
    const op = raw === 'i' ? 'd' : raw === 'd' ? 'i' : raw;
    if (op === ' ' || op === 's') {
      posHyp++;
      posRef++;
      align.set(posRef, posHyp);
      const err = op === 's' ? 1 : 0;
      hypErr.push(err);
      refErr.push(err);
    } else if (op === 'i') {
      posHyp++;
      hypErr.push(1);
    } else {
      posRef++;
      align.set(posRef, posHyp);
      refErr.push(1);
    }
  }
  return { align, refErr, hypErr };
}

/** sacrebleu `_perform_shift`: move words[start, start+length) to before `target`. */
function performShift(words: readonly string[], start: number, length: number, target: number): string[] {
  if (target < start) {
    return [
      ...words.slice(0, target),
      ...words.slice(start, start + length),
      ...words.slice(target, start),
      ...words.slice(start + length),
    ];
  }
  if (target > start + length) {
    return [
      ...words.slice(0, start),
      ...words.slice(start + length, target),
      ...words.slice(start, start + length),
      ...words.slice(target),
    ];
  }
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...words.slice(start, start + length),
    ...words.slice(length + target),
  ];
}

/** Python list-of-str ordering (code point order; UTF-16 order agrees outside the astral planes). */
function compareWords(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

type Candidate = [number, number, number, number, string[]];

function better(a: Candidate, b: Candidate): boolean {
  for (let k = 0; k < 4; k++) if (a[k] !== b[k]) return (a[k] as number) > (b[k] as number);
  return compareWords(a[4], b[4]) > 0;
}

/** sacrebleu `_shift`: the best single block shift, ranked as Tercom ranks them. */
function bestShift(
  wordsH: readonly string[],
  wordsR: readonly string[],
  checked: number,
): { delta: number; words: readonly string[]; checked: number } {
  const { cost: preScore, trace } = beamEditDistance(wordsH, wordsR);
  const { align, refErr, hypErr } = alignment(trace);
  const sum = (a: number[], s: number, len: number) => {
    let t = 0;
    for (let k = s; k < s + len && k < a.length; k++) t += a[k];
    return t;
  };
  let best: Candidate | null = null;
  const nH = wordsH.length;
  const nR = wordsR.length;
  outer: for (let startH = 0; startH < nH; startH++) {
    for (let startR = 0; startR < nR; startR++) {
      if (Math.abs(startR - startH) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (wordsH[startH + length] === wordsR[startR + length] && length < MAX_SHIFT_SIZE) {
        length++;
        // Each matching prefix length is a candidate block (sacrebleu's generator yields here).
        if (sum(hypErr, startH, length) !== 0 && sum(refErr, startR, length) !== 0) {
          const a = align.get(startR);
          if (!(a !== undefined && startH <= a && a < startH + length)) {
            let prevIdx = -1;
            for (let offset = -1; offset < length; offset++) {
              let idx: number;
              if (startR + offset === -1) {
                idx = 0;
              } else {
                const al = align.get(startR + offset);
                if (al === undefined) break;
                idx = al + 1;
              }
              if (idx === prevIdx) continue;
              prevIdx = idx;
              const shifted = performShift(wordsH, startH, length, idx);
              const cand: Candidate = [
                preScore - beamEditDistance(shifted, wordsR).cost,
                length,
                -startH,
                -idx,
                shifted,
              ];
              checked++;
              if (best === null || better(cand, best)) best = cand;
            }
          }
        }
        if (checked >= MAX_SHIFT_CANDIDATES) break outer;
        if (nH === startH + length || nR === startR + length) break;
      }
    }
  }
  if (best === null) return { delta: 0, words: wordsH, checked };
  return { delta: best[0], words: best[4], checked };
}

/** sacrebleu `translation_edit_rate`: [edits, reference length] for one hypothesis/reference pair. */
export function translationEditRate(
  wordsHyp: readonly string[],
  wordsRef: readonly string[],
): [number, number] {
  if (wordsRef.length === 0) return [wordsHyp.length, 0];
  let shifts = 0;
  let input = wordsHyp;
  let checked = 0;
  for (;;) {
    const r = bestShift(input, wordsRef, checked);
    checked = r.checked;
    if (checked >= MAX_SHIFT_CANDIDATES || r.delta <= 0) break;
    shifts++;
    input = r.words;
  }
  return [shifts + beamEditDistance(input, wordsRef).cost, wordsRef.length];
}

export interface TerOptions {
  /** Tercom normalisation: XML unescaping and punctuation tokenization (like 13a). Default false. */
  normalized?: boolean;
  /** Remove the punctuation . , ? : ; ! " ( ). Default false. */
  noPunct?: boolean;
  /** With normalized/noPunct, also split or remove CJK characters and punctuation. Default false. */
  asianSupport?: boolean;
  /** Keep case; by default TER lowercases. */
  caseSensitive?: boolean;
}

export interface TerScore {
  /** TER on the 0-100 scale (lower is better). */
  score: number;
  numEdits: number;
  /** Sum over segments of the average reference length. */
  refLength: number;
}

const ASIAN_PUNCT = /([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])/g;
const FULL_WIDTH_PUNCT = /([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])/g;

/** tokenizer_ter.py `_normalize_general_and_western`. */
function normalizeGeneral(sent: string): string {
  sent = sent.replace(/\n-/g, '').replace(/\n/g, ' ');
  sent = sent
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
  sent = ` ${sent} `;
  sent = sent.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  sent = sent.replace(/'s /g, " 's ").replace(/'s$/, " 's");
  sent = sent.replace(/([^0-9])([.,])/g, '$1 $2 ');
  sent = sent.replace(/([.,])([^0-9])/g, ' $1 $2');
  return sent.replace(/([0-9])(-)/g, '$1 $2 ');
}

/** tokenizer_ter.py `_normalize_asian` (its kana rules only ever match a whole-string kana run). */
function normalizeAsian(sent: string): string {
  sent = sent.replace(/([\u4e00-\u9fff\u3400-\u4dbf])/g, ' $1 ');
  sent = sent.replace(/([\u31c0-\u31ef\u2e80-\u2eff])/g, ' $1 ');
  sent = sent.replace(/([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])/g, ' $1 ');
  sent = sent.replace(/([\u3200-\u3f22])/g, ' $1 ');
  sent = sent.replace(/(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])/g, '$1 $2 ');
  sent = sent.replace(/(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])/g, '$1 $2 ');
  sent = sent.replace(/(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])/g, '$1 $2 ');
  return sent.replace(ASIAN_PUNCT, ' $1 ').replace(FULL_WIDTH_PUNCT, ' $1 ');
}

/** sacrebleu `TercomTokenizer`: returns space-joined tokens. */
export function tercomTokenize(sent: string, opts: TerOptions = {}): string {
  if (!sent) return '';
  if (!opts.caseSensitive) sent = sent.toLowerCase();
  if (opts.normalized) {
    sent = normalizeGeneral(sent);
    if (opts.asianSupport) sent = normalizeAsian(sent);
  }
  if (opts.noPunct) {
    sent = sent.replace(/[.,?:;!"()]/g, '');
    if (opts.asianSupport) sent = sent.replace(ASIAN_PUNCT, '').replace(FULL_WIDTH_PUNCT, '');
  }
  return pySplit(sent).join(' ');
}

/**
 * Per-segment TER statistics [edits against the closest reference, average reference length].
 * `refStreams[k][i]` is reference k of hypothesis i; `null` marks a missing reference.
 */
export function terSegmentStats(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: TerOptions = {},
): [number, number][] {
  checkRefStreams('TER', hyps, refStreams);
  const prep = (s: string) => pySplit(tercomTokenize(pyRstrip(s), opts));
  return hyps.map((hyp, i) => {
    const wordsHyp = prep(hyp);
    const refs = refStreams.map((s) => s[i]).filter((r): r is string => r !== null && r !== undefined);
    let best = INF;
    let refLengths = 0;
    for (const ref of refs) {
      const [edits, len] = translationEditRate(wordsHyp, prep(ref));
      refLengths += len;
      if (edits < best) best = edits;
    }
    return [best, refLengths / refs.length];
  });
}

/** Corpus TER (sacrebleu `TER().corpus_score`), on the 0-100 scale. */
export function corpusTer(
  hyps: readonly string[],
  refStreams: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: TerOptions = {},
): TerScore {
  let numEdits = 0;
  let refLength = 0;
  for (const [e, l] of terSegmentStats(hyps, refStreams, opts)) {
    numEdits += e;
    refLength += l;
  }
  let score: number;
  if (refLength > 0) score = numEdits / refLength;
  else score = numEdits > 0 ? 1 : 0; // empty references: 1 if anything was hypothesised
  return { score: 100 * score, numEdits, refLength };
}

/** Sentence TER against one or more references. */
export function sentenceTer(hyp: string, refs: readonly string[], opts: TerOptions = {}): TerScore {
  return corpusTer(
    [hyp],
    refs.map((r) => [r]),
    opts,
  );
}
