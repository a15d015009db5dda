/** Tokenized encoder examples and their collation into padded (B, T) BERT inputs. */
import type { Rng } from '../data/rng.js';
import { LlmkError } from '../errors.js';
import type { BertInputs } from '../models/bert/model.js';
import type { Engine } from '../tensor/engine.js';

/** One tokenized example: `[CLS] A [SEP] (B [SEP])` ids with segment ids. */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
  /** Word index of each token (null for special tokens), for whole-word masking. */
  wordIds?: (number | null)[];
}

/** Batch lengths are rounded up to a multiple of this, so a run sees few distinct shapes. */
const PAD_MULTIPLE = 16;

/** The model's position limit (BERT maxPositionEmbeddings, GPT nCtx), or Infinity. */
export function maxPositionsOf(model: object): number {
  const c = (model as { config?: { maxPositionEmbeddings?: number; nCtx?: number } }).config;
  return c?.maxPositionEmbeddings ?? c?.nCtx ?? Number.POSITIVE_INFINITY;
}

/** Padded batch length: the longest row rounded up to PAD_MULTIPLE, but never past `cap`. */
export function batchLength(
  rows: readonly { ids: readonly number[] }[],
  cap = Number.POSITIVE_INFINITY,
): number {
  const longest = Math.max(1, ...rows.map((r) => r.ids.length));
  return Math.max(longest, Math.min(Math.ceil(longest / PAD_MULTIPLE) * PAD_MULTIPLE, cap));
}

/**
 * Right-pads `rows` with `padId` to batchLength (the engine's buffer pool keeps exact-size free
 * lists, so one shape per length would grow memory with every new length); the mask is 1 on real tokens.
 */
export function collate(
  engine: Engine,
  rows: readonly EncodedText[],
  padId: number,
  cap = Number.POSITIVE_INFINITY,
): BertInputs {
  const B = rows.length;
  const T = batchLength(rows, cap);
  const ids = new Int32Array(B * T).fill(padId);
  const types = new Int32Array(B * T);
  const mask = new Int32Array(B * T);
  rows.forEach((r, b) => {
    for (let t = 0; t < r.ids.length; t++) {
      ids[b * T + t] = r.ids[t];
      types[b * T + t] = r.typeIds[t];
      mask[b * T + t] = 1;
    }
  });
  return {
    inputIds: engine.tensor(ids, [B, T], 'i32'),
    tokenTypeIds: engine.tensor(types, [B, T], 'i32'),
    attentionMask: engine.tensor(mask, [B, T], 'i32'),
  };
}

/** Chunks of `indices` of at most `size`, in order (evaluation batches). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Input-token dropout: each ordinary token becomes the unknown token with probability `p`. */
export interface TokenDropout {
  p: number;
  unkId: number;
  /** Ids never replaced ([CLS], [SEP], [PAD], …). */
  keep: ReadonlySet<number>;
}

export function checkTokenDropout(d: TokenDropout | undefined): void {
  if (d && !(d.p >= 0 && d.p < 1))
    throw new LlmkError('LLMK_E_ARG', `token dropout ${d.p} is outside [0, 1)`, 'use e.g. 0.1');
}

/**
 * Training rows with tokens replaced by the unknown token at rate `d.p` (word dropout, as in Lample
 * et al. 2016's unknown-word replacement): the model must also read a word's context, which is what
 * carries it to words it never saw in training. Returns `rows` itself when p is 0, drawing nothing
 * from `rng`, so runs without it are unchanged.
 */
export function dropTokens<T extends EncodedText>(
  rows: readonly T[],
  d: TokenDropout | undefined,
  rng: Rng,
): T[] {
  if (!d || d.p === 0) return [...rows];
  return rows.map((r) => ({
    ...r,
    ids: r.ids.map((id) => (!d.keep.has(id) && rng.nextFloat() < d.p ? d.unkId : id)),
  }));
}
