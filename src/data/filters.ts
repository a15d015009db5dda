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

interface Words {
  all: string[];
  words: string[];
  cjk: boolean;
}

function splitWords(text: string, cjkFraction: number): Words {
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
export function gopherQuality(text: string, options: Partial<QualityOptions> = {}): FilterVerdict {
  const o = { ...DEFAULT_QUALITY, ...options };
  const { words, cjk } = splitWords(text, o.cjkFraction);
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

function nGrams(words: string[], n: number, sep: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(sep));
  return out;
}

/** Characters covered by the single most frequent n-gram (its length times its count). */
function topNGramChars(grams: string[]): number {
  const counts = new Map<string, number>();
  let best = 0;
  for (const g of grams) {
    const c = (counts.get(g) ?? 0) + 1;
    counts.set(g, c);
    if (c * g.length > best && c > 1) best = c * g.length;
  }
  return best;
}

/** Characters inside repeated n-grams, skipping past a repeat so overlaps are not double-counted. */
function dupNGramChars(grams: string[], n: number): number {
  const seen = new Set<string>();
  let chars = 0;
  let i = 0;
  while (i < grams.length) {
    const g = grams[i];
    if (seen.has(g)) {
      chars += g.length;
      i += n;
    } else {
      seen.add(g);
      i++;
    }
  }
  return chars;
}

/** Gopher repetition rules (DataTrove GopherRepetitionFilter semantics). */
export function gopherRepetition(
  text: string,
  options: Partial<RepetitionOptions> = {},
  cjkFraction = DEFAULT_QUALITY.cjkFraction,
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
  const { all, cjk } = splitWords(text, cjkFraction);
  const sep = cjk ? '' : ' ';
  for (const [n, frac] of o.topNGrams) {
    const grams = nGrams(all, n, sep);
    if (grams.length > 0 && topNGramChars(grams) / length > frac) return `top_${n}_gram`;
  }
  for (const [n, frac] of o.dupNGrams) {
    const grams = nGrams(all, n, sep);
    if (grams.length > 0 && dupNGramChars(grams, n) / length > frac) return `duplicated_${n}_n_grams`;
  }
  return null;
}
