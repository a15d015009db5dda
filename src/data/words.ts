/**
 * Word splitting shared by the quality filters and MinHash shingling. Chinese and Japanese are
 * written without spaces, so each Han/Kana character counts as one word (the usual character-level
 * unit for Chinese); other scripts split on whitespace with leading/trailing punctuation split off,
 * close to what NLTK's word_tokenize gives DataTrove's Gopher filters.
 */

const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
// A CJK character, or a run of letters/digits/marks (with inner apostrophes, hyphens, dots), or a
// run of other non-space symbols.
const TOKEN_CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}_])+(?:['’.-](?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}_])+)*|[^\s\p{L}\p{N}\p{M}_]+/gu;
const TOKEN_PLAIN = /[\p{L}\p{N}\p{M}_]+(?:['’.-][\p{L}\p{N}\p{M}_]+)*|[^\s\p{L}\p{N}\p{M}_]+/gu;
const WORDISH = /[\p{L}\p{N}]/u;

/** True when the text holds any Han or Kana character (then the slower CJK-aware split is used). */
function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** Splits text into tokens: words, single CJK characters and punctuation/symbol runs. */
export function tokenizeWords(text: string): string[] {
  return text.match(hasCjk(text) ? TOKEN_CJK : TOKEN_PLAIN) ?? [];
}

/** True for a token made of letters or digits (not a punctuation/symbol run). */
export function isWord(token: string): boolean {
  return WORDISH.test(token);
}

/** True for a single CJK character token. */
export function isCjkToken(token: string): boolean {
  return token.length <= 2 && CJK_CHAR.test(token);
}
