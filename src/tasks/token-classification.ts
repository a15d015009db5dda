import { decodeTags, type TagConstraints } from '../eval/tag-decode.js';
import type { BertInputs } from '../models/bert/model.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../tensor/ops/fused.js';
import { reshape } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenize/types.js';
import { batchLength, chunks, collate, type EncodedText, maxPositionsOf } from './encoder-batch.js';

export interface TokenClassifier extends Module {
  readonly numLabels: number;
  /** (B, T, L) logits. */
  logits(inputs: BertInputs): Tensor;
}

export interface NerExample extends EncodedText {
  /** Per token: the word's label index at its first sub-token, −100 elsewhere. */
  labels: number[];
  /** Per word: index of its first sub-token, or −1 when truncated away. */
  wordStarts: number[];
}

/**
 * Word casing classes for the optional casing feature (carried in the token type ids, so the model
 * stays a plain HF BERT with type_vocab_size 4): the WordPiece vocabulary is lowercased, and casing
 * is the strongest single cue for English names (Collobert et al. 2011 add the same feature).
 */
export function caseClass(word: string): number {
  if (/\p{N}/u.test(word)) return 3;
  if (!/\p{Lu}/u.test(word)) return 0;
  if (word.length > 1 && word === word.toUpperCase()) return 2;
  return /^\p{Lu}/u.test(word) ? 1 : 0;
}

export interface WordEncodeOptions {
  maxLength: number;
  caseFeature: boolean;
}

/** Tokenizes pre-split sentences word by word (each distinct word once) with [CLS]/[SEP] around. */
export async function encodeWords(
  tokenizer: Tokenizer,
  sentences: readonly (readonly string[])[],
  options: WordEncodeOptions,
): Promise<Array<EncodedText & { wordStarts: number[] }>> {
  const cls = tokenizer.tokenToId('[CLS]');
  const sep = tokenizer.tokenToId('[SEP]');
  const unk = tokenizer.tokenToId('[UNK]') ?? tokenizer.tokenToId('<unk>');
  const pieces = new Map<string, number[]>();
  const unseen = [...new Set(sentences.flat())];
  for (const part of chunks(unseen, 1024)) {
    const encs = await tokenizer.encodeBatch(part, { addSpecialTokens: false });
    part.forEach((w, i) => {
      const ids = encs[i].ids;
      pieces.set(w, ids.length > 0 ? ids : unk !== undefined ? [unk] : []);
    });
  }
  const budget = options.maxLength - (cls !== undefined ? 1 : 0) - (sep !== undefined ? 1 : 0);
  return sentences.map((words) => {
    const ids: number[] = cls !== undefined ? [cls] : [];
    const typeIds: number[] = cls !== undefined ? [0] : [];
    const wordIds: (number | null)[] = cls !== undefined ? [null] : [];
    const wordStarts: number[] = [];
    words.forEach((w, wi) => {
      const p = pieces.get(w) ?? [];
      if (p.length === 0 || ids.length - (cls !== undefined ? 1 : 0) + p.length > budget) {
        wordStarts.push(-1);
        return;
      }
      wordStarts.push(ids.length);
      const type = options.caseFeature ? caseClass(w) : 0;
      for (const id of p) {
        ids.push(id);
        typeIds.push(type);
        wordIds.push(wi);
      }
    });
    if (sep !== undefined) {
      ids.push(sep);
      typeIds.push(0);
      wordIds.push(null);
    }
    return { ids, typeIds, wordIds, wordStarts };
  });
}

export async function encodeNer(
  tokenizer: Tokenizer,
  sentences: readonly { tokens: readonly string[]; tags: readonly string[] }[],
  labels: readonly string[],
  options: WordEncodeOptions,
): Promise<NerExample[]> {
  const index = new Map(labels.map((l, i) => [l, i]));
  const enc = await encodeWords(
    tokenizer,
    sentences.map((s) => s.tokens),
    options,
  );
  return enc.map((e, i) => {
    const tokenLabels = new Array<number>(e.ids.length).fill(-100);
    e.wordStarts.forEach((t, w) => {
      if (t >= 0) tokenLabels[t] = index.get(sentences[i].tags[w]) ?? -100;
    });
    return { ...e, labels: tokenLabels };
  });
}

export function tokenClassificationLoss(logits: Tensor, labels: Int32Array): Tensor {
  const [B, T, L] = logits.shape;
  return crossEntropy(reshape(logits, [B * T, L]), logits.engine.tensor(labels, [B * T], 'i32'));
}

export function labelGrid(rows: readonly NerExample[], cap: number): Int32Array {
  const T = batchLength(rows, cap);
  const out = new Int32Array(rows.length * T).fill(-100);
  rows.forEach((r, b) => {
    r.labels.forEach((l, t) => {
      out[b * T + t] = l;
    });
  });
  return out;
}

export interface TokenPredictions {
  loss: number;
  /** Per sentence, per word: predicted label index (truncated words: `fallback`). */
  words: number[][];
  /** Per sentence, per word: softmax probability of the predicted label (0 for truncated words). */
  scores: number[][];
}

export function predictTokens(
  model: TokenClassifier,
  examples: readonly NerExample[],
  options: {
    batchSize: number;
    padId: number;
    fallback: number;
    /** The tagging scheme's transition constraints (tagConstraints): Viterbi over them, else argmax per word. */
    constraints?: TagConstraints | null;
  },
): TokenPredictions {
  const engine = model.engine;
  const L = model.numLabels;
  let loss = 0;
  let counted = 0;
  const words: number[][] = [];
  const scores: number[][] = [];
  for (const rows of chunks(examples, options.batchSize)) {
    engine.scope(() => {
      const logits = model.logits(collate(engine, rows, options.padId, maxPositionsOf(model))); // (B, T, L)
      const grid = labelGrid(rows, maxPositionsOf(model));
      if (grid.some((l) => l !== -100)) {
        loss += tokenClassificationLoss(logits, grid).item() * rows.length;
        counted += rows.length;
      }
      const T = logits.shape[1];
      const v = logits.toArray();
      rows.forEach((r, b) => {
        // Log-softmax of each word's first sub-token; a truncated word is certain to be `fallback`.
        const logProbs = r.wordStarts.map((t) => {
          if (t < 0) return Array.from({ length: L }, (_, l) => (l === options.fallback ? 0 : -Infinity));
          const row = v.slice((b * T + t) * L, (b * T + t + 1) * L);
          const m = Math.max(...row);
          const logZ = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
          return row.map((x) => x - logZ);
        });
        const path = decodeTags(logProbs, options.constraints ?? null);
        words.push(path);
        scores.push(path.map((l, w) => (r.wordStarts[w] < 0 ? 0 : Math.exp(logProbs[w][l]))));
      });
    });
  }
  return { loss: counted === 0 ? 0 : loss / counted, words, scores };
}
