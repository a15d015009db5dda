/**
 * Quality filters after Gopher (Rae et al. 2021, https://arxiv.org/abs/2112.11446, §A.1.1 and
 * Table A1), with the defaults of DataTrove's GopherQualityFilter and GopherRepetitionFilter.
 * CJK-aware: a document whose words are mostly Han/Kana characters counts characters as words,
 * skips the mean-word-length rule (a character is one "word" of length 1) and uses Chinese stop words.
 */
import { isCjkToken, isWord, tokenizeWords } from './words.js';

export interface QualityOptions {
  minWords: number;
  maxWords: number;
  minMeanWordLength: number;
  maxMeanWordLength: number;
  /** Max ratio of `#` symbols, and separately of ellipses, to words. */
  maxSymbolWordRatio: number;
  maxBulletLinesRatio: number;
  maxEllipsisLinesRatio: number;
  /** At least this fraction of words must contain a letter. */
  minAlphaWordsRatio: number;
  minStopWords: number;
  stopWords: string[];
  /** Stop words for CJK documents (single characters, since CJK words are characters). */
  cjkStopWords: string[];
  /** A document is CJK when at least this fraction of its words are CJK characters. */
  cjkFraction: number;
}

export const DEFAULT_QUALITY: QualityOptions = {
  minWords: 50,
  maxWords: 100_000,
  minMeanWordLength: 3,
  maxMeanWordLength: 10,
  maxSymbolWordRatio: 0.1,
  maxBulletLinesRatio: 0.9,
  maxEllipsisLinesRatio: 0.3,
  minAlphaWordsRatio: 0.8,
  minStopWords: 2,
  // Gopher's list (the paper's §A.1.1; DataTrove STOP_WORDS).
  stopWords: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
  // The most frequent Chinese function characters (particles, copula, common pronouns).
  cjkStopWords: [
    '的',
    '了',
    '是',
    '在',
    '和',
    '有',
    '不',
    '这',
    '也',
    '就',
    '都',
    '我',
    '你',
    '他',
    '她',
    '们',
    '个',
    '上',
    '中',
    '到',
  ],
  cjkFraction: 0.3,
};

export interface RepetitionOptions {
  dupLineFrac: number;
  dupParaFrac: number;
  dupLineCharFrac: number;
  dupParaCharFrac: number;
  /** [n, max fraction of characters covered by the most frequent n-gram]. */
  topNGrams: [number, number][];
  /** [n, max fraction of characters inside duplicated n-grams]. */
  dupNGrams: [number, number][];
}

export const DEFAULT_REPETITION: RepetitionOptions = {
  dupLineFrac: 0.3,
  dupParaFrac: 0.3,
  dupLineCharFrac: 0.2,
  dupParaCharFrac: 0.2,
  topNGrams: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ],
  dupNGrams: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ],
};

/** `null` when the document passes; otherwise the reason it was dropped. */
export type FilterVerdict = string | null;

/** A document's tokens, split once and shared by the quality and repetition rules. */
export interface Words {
  all: string[];
  words: string[];
  cjk: boolean;
}

export function splitWords(text: string, cjkFraction = DEFAULT_QUALITY.cjkFraction): Words {
  const all = tokenizeWords(text);
  const words = all.filter(isWord);
  let cjkCount = 0;
  for (const w of words) if (isCjkToken(w)) cjkCount++;
  return { all, words, cjk: words.length > 0 && cjkCount / words.length >= cjkFraction };
}

function count(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Gopher quality rules; thresholds set to 0 (or Infinity for maxima) disable a rule. */
export function gopherQuality(
  text: string,
  options: Partial<QualityOptions> = {},
  split?: Words,
): FilterVerdict {
  const o = { ...DEFAULT_QUALITY, ...options };
  const { words, cjk } = split ?? splitWords(text, o.cjkFraction);
  const n = words.length;
  if (n < o.minWords) return 'gopher_short_doc';
  if (n > o.maxWords) return 'gopher_long_doc';
  if (!cjk) {
    let chars = 0;
    for (const w of words) chars += w.length;
    const mean = chars / n;
    if (mean < o.minMeanWordLength) return 'gopher_below_avg_word_length';
    if (mean > o.maxMeanWordLength) return 'gopher_above_avg_word_length';
  }
  if (count(text, '#') / n > o.maxSymbolWordRatio) return 'gopher_too_many_hashes';
  if ((count(text, '...') + count(text, '…')) / n > o.maxSymbolWordRatio) return 'gopher_too_many_ellipsis';
  const lines = text.split('\n');
  let bullets = 0;
  let ellipsisEnds = 0;
  for (const line of lines) {
    const t = line.trim();
    if (/^[•●○▪‣◦*-]\s/.test(t) || t === '•') bullets++;
    if (t.endsWith('...') || t.endsWith('…')) ellipsisEnds++;
  }
  if (bullets / lines.length > o.maxBulletLinesRatio) return 'gopher_too_many_bullets';
  if (ellipsisEnds / lines.length > o.maxEllipsisLinesRatio) return 'gopher_too_many_end_ellipsis';
  let alpha = 0;
  for (const w of words) if (/\p{L}/u.test(w)) alpha++;
  if (alpha / n < o.minAlphaWordsRatio) return 'gopher_below_alpha_threshold';
  const stop = new Set(cjk ? o.cjkStopWords : o.stopWords);
  let stops = 0;
  for (const w of words) if (stop.has(cjk ? w : w.toLowerCase())) stops++;
  if (stops < o.minStopWords) return 'gopher_enough_stop_words';
  return null;
}

/** Number of repeated elements and the characters they cover (first occurrences not counted). */
function duplicates(items: string[]): { elements: number; chars: number } {
  const seen = new Set<string>();
  let elements = 0;
  let chars = 0;
  for (const item of items) {
    if (seen.has(item)) {
      elements++;
      chars += item.length;
    } else seen.add(item);
  }
  return { elements, chars };
}

/**
 * The words of a document as integer ids with prefix sums of their lengths, so n-grams are
 * compared by a 53-bit key built from ids and measured without building n-gram strings.
 */
interface WordIds {
  ids: Int32Array;
  /** prefix[i] = total length of words [0, i). */
  prefix: Float64Array;
}

function wordIds(words: string[]): WordIds {
  const map = new Map<string, number>();
  const ids = new Int32Array(words.length);
  const prefix = new Float64Array(words.length + 1);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let id = map.get(w);
    if (id === undefined) {
      id = map.size;
      map.set(w, id);
    }
    ids[i] = id;
    prefix[i + 1] = prefix[i] + w.length;
  }
  return { ids, prefix };
}

/**
 * Counts n-gram occurrences in open-addressing typed arrays, keyed by two independent 32-bit
 * hashes of the word ids (a false match inside one document has odds near 2⁻⁶⁴ per pair): no
 * n-gram strings, no boxed Map keys.
 */
class GramCounter {
  private readonly hi: Int32Array;
  private readonly lo: Int32Array;
  private readonly counts: Int32Array;
  private readonly mask: number;

  constructor(entries: number) {
    let cap = 16;
    while (cap < entries * 2) cap *= 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.counts = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds one occurrence and returns the count so far (1 on first sight). */
  add(hi: number, lo: number): number {
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    while (this.counts[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & this.mask;
    this.hi[i] = hi;
    this.lo[i] = lo;
    return ++this.counts[i];
  }
}

type GramKeys = { hi: Int32Array; lo: Int32Array };

/**
 * For each n in `ns`, the two 32-bit hashes of the n-gram of word ids starting at each position.
 * The hash of the (n+1)-gram at i extends that of the n-gram at i, so all lengths come from one
 * pass of max(ns) steps per position.
 */
function nGramKeys(ids: Int32Array, ns: number[]): Map<number, GramKeys> {
  const out = new Map<number, GramKeys>();
  let maxN = 0;
  for (const n of ns) {
    const count = Math.max(0, ids.length - n + 1);
    out.set(n, { hi: new Int32Array(count), lo: new Int32Array(count) });
    maxN = Math.max(maxN, n);
  }
  const byLength: (GramKeys | undefined)[] = Array.from({ length: maxN + 1 }, (_, n) => out.get(n));
  for (let i = 0; i < ids.length; i++) {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    const end = Math.min(ids.length, i + maxN);
    for (let k = i; k < end; k++) {
      h1 = Math.imul(h1 ^ ids[k], 0x01000193);
      h2 = Math.imul(h2 + ids[k] + 1, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      const keys = byLength[k - i + 1];
      if (keys) {
        keys.hi[i] = h1 ^ (h1 >>> 16);
        keys.lo[i] = h2;
      }
    }
  }
  return out;
}

/** Characters of the n-gram at `i` as DataTrove measures it: words joined by the separator. */
function gramLength(w: WordIds, i: number, n: number, sepLength: number): number {
  return w.prefix[i + n] - w.prefix[i] + (n - 1) * sepLength;
}

/** Characters covered by the most frequent repeated n-gram (its length times its count). */
function topNGramChars(w: WordIds, { hi, lo }: GramKeys, n: number, sepLength: number): number {
  const counter = new GramCounter(hi.length);
  let best = 0;
  for (let i = 0; i < hi.length; i++) {
    const c = counter.add(hi[i], lo[i]);
    if (c > 1) best = Math.max(best, c * gramLength(w, i, n, sepLength));
  }
  return best;
}

/** Characters inside repeated n-grams, skipping past a repeat so overlaps are not double-counted. */
function dupNGramChars(w: WordIds, { hi, lo }: GramKeys, n: number, sepLength: number): number {
  const counter = new GramCounter(hi.length);
  let chars = 0;
  let i = 0;
  while (i < hi.length) {
    if (counter.add(hi[i], lo[i]) > 1) {
      chars += gramLength(w, i, n, sepLength);
      i += n;
    } else i++;
  }
  return chars;
}

/** Gopher repetition rules (DataTrove GopherRepetitionFilter semantics). */
export function gopherRepetition(
  text: string,
  options: Partial<RepetitionOptions> = {},
  cjkFraction = DEFAULT_QUALITY.cjkFraction,
  split?: Words,
): FilterVerdict {
  const o = { ...DEFAULT_REPETITION, ...options };
  const length = text.length;
  if (length === 0) return 'empty';
  const paragraphs = text.trim().split(/\n{2,}/);
  const para = duplicates(paragraphs);
  if (para.elements / paragraphs.length > o.dupParaFrac) return 'dup_para_frac';
  if (para.chars / length > o.dupParaCharFrac) return 'dup_para_char_frac';
  const lines = text.split('\n');
  const line = duplicates(lines);
  if (line.elements / lines.length > o.dupLineFrac) return 'dup_line_frac';
  if (line.chars / length > o.dupLineCharFrac) return 'dup_line_char_frac';
  const { all, cjk } = split ?? splitWords(text, cjkFraction);
  const sepLength = cjk ? 0 : 1;
  const w = wordIds(all);
  const top = nGramKeys(
    w.ids,
    o.topNGrams.map(([n]) => n),
  );
  for (const [n, frac] of o.topNGrams) {
    const k = top.get(n) as GramKeys;
    if (k.hi.length > 0 && topNGramChars(w, k, n, sepLength) / length > frac) return `top_${n}_gram`;
  }
  // A repeated (n+1)-gram contains a repeated n-gram, so once some n has no repeat at all, no
  // longer n can have one: most documents stop after the first (cheapest) n.
  let noRepeatFrom = Number.POSITIVE_INFINITY;
  for (const [n, frac] of o.dupNGrams) {
    if (n >= noRepeatFrom || all.length < n) continue;
    const k = nGramKeys(w.ids, [n]).get(n) as GramKeys;
    const chars = dupNGramChars(w, k, n, sepLength);
    if (chars === 0) noRepeatFrom = Math.min(noRepeatFrom, n);
    if (chars / length > frac) return `duplicated_${n}_n_grams`;
  }
  return null;
}
