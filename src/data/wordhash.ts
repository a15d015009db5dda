/**
 * One pass over a string that yields the hash of each lowercased word without building substrings:
 * the hot loop of dedup. A word is a run of letters, digits, marks or `_`; each Han/Kana character
 * is a word of its own (Chinese and Japanese have no spaces); everything else separates words.
 * Character classes and lowercase forms are looked up in tables filled on first sight of each
 * UTF-16 code unit (surrogate pairs count as separators, which only affects rare CJK extension
 * characters and emoji).
 */
import { fmix32 } from './hash.js';

const UNKNOWN = 0;
const WORD = 1;
const CJK = 2;
const SEP = 3;

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

export class WordHasher {
  private readonly classes = new Uint8Array(65536);
  private readonly lower = new Uint16Array(65536);
  private out = new Int32Array(1024);

  private classify(c: number): number {
    let k = this.classes[c];
    if (k !== UNKNOWN) return k;
    if (c >= 0xd800 && c <= 0xdfff) k = SEP;
    else {
      const ch = String.fromCharCode(c);
      k = CJK_CHAR.test(ch) ? CJK : WORD_CHAR.test(ch) ? WORD : SEP;
      const lo = ch.toLowerCase();
      this.lower[c] = lo.length === 1 ? lo.charCodeAt(0) : c;
    }
    this.classes[c] = k;
    return k;
  }

  /**
   * Hashes of the words of `text`, in order. The returned view is reused by the next call, so copy
   * it if it must outlive that.
   */
  hashWords(text: string): Int32Array {
    let n = 0;
    let h = 0;
    let inWord = false;
    const len = text.length;
    for (let i = 0; i < len; i++) {
      const c = text.charCodeAt(i);
      let k: number;
      let lc: number;
      if (c < 128) {
        // ASCII fast path: letters, digits and `_` are word characters.
        if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95) {
          k = WORD;
          lc = c;
        } else if (c >= 65 && c <= 90) {
          k = WORD;
          lc = c | 0x20;
        } else {
          k = SEP;
          lc = c;
        }
      } else {
        k = this.classify(c);
        lc = this.lower[c];
      }
      if (k === WORD) {
        if (!inWord) {
          h = 0x811c9dc5;
          inWord = true;
        }
        h = Math.imul(h ^ lc, 0x01000193);
        continue;
      }
      if (inWord) {
        n = this.push(n, fmix32(h));
        inWord = false;
      }
      if (k === CJK) n = this.push(n, fmix32(Math.imul(0x811c9dc5 ^ lc, 0x01000193)));
    }
    if (inWord) n = this.push(n, fmix32(h));
    return this.out.subarray(0, n);
  }

  private push(n: number, value: number): number {
    if (n === this.out.length) {
      const grown = new Int32Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[n] = value;
    return n + 1;
  }
}
