/**
 * The BLEU tokenizers of sacrebleu 2.x (sacrebleu/tokenizers/), reproduced rule for rule so that
 * scores match: `13a` (mteval-v13a.pl), `intl` (mteval-v14.pl international), `zh`, `char`, `none`.
 * Each maps one line to a space-separated token string, as sacrebleu's do.
 */
import { LlmkError } from '../errors.js';
import { pyNormalizeSpace, pyStrip } from './py-string.js';

export type BleuTokenizerName = '13a' | 'intl' | 'zh' | 'char' | 'none';
export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ['13a', 'intl', 'zh', 'char', 'none'];

/**
 * tokenizer_re.py, shared by 13a and zh. Python `re` and JS regexes agree on these ASCII classes;
 * `[^0-9]` matches any code unit, and the matched characters are only re-emitted, so surrogate
 * pairs pass through intact.
 */
const RE_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Language-dependent part (assuming Western languages): ranges {-~, [-`, space-&, (-+, :-@, and /.
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // Tokenize period and comma unless preceded by a digit.
  [/([^0-9])([.,])/g, '$1 $2 '],
  // Tokenize period and comma unless followed by a digit.
  [/([.,])([^0-9])/g, ' $1 $2'],
  // Tokenize dash when preceded by a digit.
  [/([0-9])(-)/g, '$1 $2 '],
];

function tokenizeRegexp(line: string): string {
  for (const [re, repl] of RE_RULES) line = line.replace(re, repl);
  return pyNormalizeSpace(line);
}

/** tokenizer_13a.py: the mteval-v13a.pl normalisation used by WMT. */
export function tokenize13a(line: string): string {
  line = line.replaceAll('<skipped>', '');
  line = line.replaceAll('-\n', '');
  line = line.replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line.replaceAll('&quot;', '"');
    line = line.replaceAll('&amp;', '&');
    line = line.replaceAll('&lt;', '<');
    line = line.replaceAll('&gt;', '>');
  }
  return tokenizeRegexp(` ${line} `);
}

/**
 * tokenizer_intl.py (mteval-v14.pl, lines 954-983): split punctuation not between digits, and all
 * symbols. `\p{P}`, `\p{S}`, `\P{N}` are Unicode general categories in both Python's `regex`
 * module and JS `u` regexes; only characters assigned after Unicode 15 could differ.
 */
const INTL_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  [/(\p{S})/gu, ' $1 '],
];

export function tokenizeIntl(line: string): string {
  for (const [re, repl] of INTL_RULES) line = line.replace(re, repl);
  return pyNormalizeSpace(line);
}

/** tokenizer_char.py: every code point is a token. */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/**
 * tokenizer_zh.py `_UCODE_RANGES`, as Python evaluates them. Two upstream entries are written
 * `u'\u20000'`/`u'\u2a6d6'` and `u'\u2f800'`/`u'\u2fa1d'`, which Python reads as two-character
 * strings (U+2000 + '0', ...), not as the astral code points meant. A single character c then
 * satisfies `'\u2000' '0' <= c <= '\u2a6d' '6'` exactly when U+2001 <= c <= U+2A6D (c equal to
 * the first character is a proper prefix, hence smaller), so CJK Extension B is not split while
 * U+2001..U+2A6D (general punctuation, arrows, math symbols...) is. We reproduce that, because the
 * score must equal sacrebleu's.
 */
const ZH_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d], // upstream '\u20000'..'\u2a6d6', see above
  [0x2f81, 0x2fa1], // upstream '\u2f800'..'\u2fa1d', see above
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

function isChineseChar(cp: number): boolean {
  for (const [lo, hi] of ZH_RANGES) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** tokenizer_zh.py: space out each Chinese character, then the 13a regex rules. */
export function tokenizeZh(line: string): string {
  line = pyStrip(line);
  let out = '';
  for (const ch of line) {
    out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  }
  return tokenizeRegexp(out);
}

export function tokenizeNone(line: string): string {
  return line;
}

/** The tokenizer function for a sacrebleu tokenizer name. */
export function bleuTokenizer(name: string): (line: string) => string {
  switch (name) {
    case '13a':
      return tokenize13a;
    case 'intl':
      return tokenizeIntl;
    case 'zh':
      return tokenizeZh;
    case 'char':
      return tokenizeChar;
    case 'none':
      return tokenizeNone;
    default:
      throw new LlmkError(
        'LLMK_E_ARG',
        `unknown BLEU tokenizer '${name}'`,
        `use one of ${BLEU_TOKENIZERS.join(', ')} (sacrebleu's ja-mecab, ko-mecab and spm need external models)`,
      );
  }
}
