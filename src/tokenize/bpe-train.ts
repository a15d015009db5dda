/**
 * BPE training over counted words (Sennrich et al. 2016, https://arxiv.org/abs/1508.07909), in the
 * byte-level form of GPT-2 and the `##`-continuation form Hugging Face uses to train WordPiece.
 * Rules (those of Stanford CS336 assignment 1, whose reference merges we reproduce):
 * - merges never cross word boundaries (pre-tokens) or special tokens;
 * - each step merges the most frequent adjacent pair; ties go to the lexicographically GREATER pair,
 *   comparing the two tokens' bytes as (left, right);
 * - stop when the vocabulary (specials + alphabet + merges) reaches `vocabSize` or no pair is left.
 *
 * Passes:
 * 1. Turn each distinct word into a symbol-id array; count every adjacent pair, weighted by the word's
 *    count, and remember which words contain it.
 * 2. Pop the best pair from a heap (entries are checked against the live count and skipped if stale).
 * 3. Rewrite only the words that contain it, adjusting just the pairs beside each merge site
 *    (x a b y: x a and b y lose the word's count, x ab and ab y gain it); re-queue the pairs whose
 *    counts changed.
 */
import { Heap } from './heap.js';

export interface BpeTrainInput {
  /** Distinct words and their counts. */
  words: Map<string, number>;
  /** Initial symbols of a word (bytes mapped to characters, or characters with `##` continuations). */
  split: (word: string) => string[];
  /** Token formed by merging `a` and `b` (`a + b`, or `a + b` without its `##` for WordPiece). */
  join: (a: string, b: string) => string;
  /** Bytes a token stands for, used to break ties (the greater pair wins). */
  bytesOf: (token: string) => Uint8Array;
  /** Symbols always in the vocabulary, in this order, even if unseen (e.g. all 256 bytes). */
  initialAlphabet?: string[];
  /** Target size including `reservedIds` (special tokens placed before everything else). */
  vocabSize: number;
  reservedIds?: number;
  onProgress?: (merges: number, target: number) => void;
}

export interface BpeTrainResult {
  /** Alphabet then merged tokens, in id order (add `reservedIds` for the final id). */
  tokens: string[];
  merges: [string, string][];
}

const KEY = 2 ** 21; // ids stay below 2M, so a pair packs into one exact double

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function trainBpe(input: BpeTrainInput): BpeTrainResult {
  const tokens: string[] = [];
  const bytes: Uint8Array[] = [];
  const ids = new Map<string, number>();
  const intern = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = tokens.length;
      ids.set(t, id);
      tokens.push(t);
      bytes.push(input.bytesOf(t));
    }
    return id;
  };
  for (const t of input.initialAlphabet ?? []) intern(t);

  // Pass 1: words as symbol arrays; alphabet symbols not in initialAlphabet are added sorted.
  const wordList: Int32Array[] = [];
  const wordLen: number[] = [];
  const counts: number[] = [];
  const splits: string[][] = [];
  const seen = new Set<string>();
  for (const [word, count] of input.words) {
    const s = input.split(word);
    splits.push(s);
    counts.push(count);
    for (const sym of s) if (!ids.has(sym)) seen.add(sym);
  }
  for (const sym of [...seen].sort()) intern(sym);
  for (const s of splits) {
    wordList.push(Int32Array.from(s, (sym) => ids.get(sym) as number));
    wordLen.push(s.length);
  }
  splits.length = 0;

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  wordList.forEach((syms, w) => {
    for (let i = 0; i + 1 < wordLen[w]; i++) {
      const k = syms[i] * KEY + syms[i + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + counts[w]);
      const list = pairWords.get(k);
      if (list) list.push(w);
      else pairWords.set(k, [w]);
    }
  });

  const better = (x: [number, number], y: [number, number]): boolean => {
    if (x[1] !== y[1]) return x[1] > y[1];
    const xa = Math.floor(x[0] / KEY);
    const ya = Math.floor(y[0] / KEY);
    const c = compareBytes(bytes[xa], bytes[ya]);
    if (c !== 0) return c > 0;
    return compareBytes(bytes[x[0] - xa * KEY], bytes[y[0] - ya * KEY]) > 0;
  };
  const heap = new Heap<[number, number]>(better);
  for (const [key, count] of pairCount) if (count > 0) heap.push([key, count]);

  const reserved = input.reservedIds ?? 0;
  const target = Math.max(0, input.vocabSize - reserved - tokens.length);
  const merges: [string, string][] = [];
  const stamp = new Int32Array(wordList.length).fill(-1);
  const delta = new Map<number, number>();
  const touch = (k: number, w: number): void => {
    const list = pairWords.get(k);
    if (list) list.push(w);
    else pairWords.set(k, [w]);
  };
  while (merges.length < target) {
    // Pass 2: the best live pair.
    const top = heap.pop();
    if (top === undefined) break;
    const [key, count] = top;
    if (pairCount.get(key) !== count || count <= 0) continue;
    const a = Math.floor(key / KEY);
    const b = key - a * KEY;
    const merged = intern(input.join(tokens[a], tokens[b]));
    merges.push([tokens[a], tokens[b]]);
    // Pass 3: rewrite the words holding (a, b), touching only the pairs beside each merge site.
    delta.clear();
    const bump = (k: number, d: number): void => {
      delta.set(k, (delta.get(k) ?? 0) + d);
    };
    for (const w of pairWords.get(key) ?? []) {
      if (stamp[w] === merges.length) continue;
      stamp[w] = merges.length;
      const syms = wordList[w];
      const n = wordLen[w];
      const c = counts[w];
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && syms[i] === a && syms[i + 1] === b) {
          // The left neighbour is the rewritten one (it may itself be a fresh merge).
          if (m > 0) {
            bump(syms[m - 1] * KEY + a, -c);
            bump(syms[m - 1] * KEY + merged, c);
            touch(syms[m - 1] * KEY + merged, w);
          }
          if (i + 2 < n) {
            bump(b * KEY + syms[i + 2], -c);
            bump(merged * KEY + syms[i + 2], c);
            touch(merged * KEY + syms[i + 2], w);
          }
          syms[m++] = merged;
          i++;
        } else syms[m++] = syms[i];
      }
      wordLen[w] = m;
    }
    pairCount.delete(key);
    pairWords.delete(key);
    for (const [k, d] of delta) {
      if (d === 0 || k === key) continue;
      const v = (pairCount.get(k) ?? 0) + d;
      if (v > 0) {
        pairCount.set(k, v);
        heap.push([k, v]);
      } else {
        pairCount.delete(k);
        pairWords.delete(k);
      }
    }
    input.onProgress?.(merges.length, target);
  }
  return { tokens, merges };
}

/** GPT-2's reversible byte → printable-character table (openai/gpt-2 encoder.py `bytes_to_unicode`). */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

/** The 256 byte symbols in GPT-2's vocabulary order: printable bytes first, then the remapped rest. */
export function byteAlphabet(): string[] {
  const table = bytesToUnicode();
  const order = [...table.keys()].sort((x, y) => table[x].codePointAt(0)! - table[y].codePointAt(0)!);
  return order.map((b) => table[b]);
}

/** GPT-2's pre-tokenizer pattern (the one Hugging Face ByteLevel and tiktoken "gpt2" use). */
export const GPT2_PATTERN = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
