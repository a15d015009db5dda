/** Tokenized encoder examples and their collation into padded (B, T) BERT inputs. */
import type { BertInputs } from '../../models/bert/model.js';
import type { Engine } from '../../tensor/engine.js';

/** One tokenized example: `[CLS] A [SEP] (B [SEP])` ids with segment ids. */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
  /** Word index of each token (null for special tokens), for whole-word masking. */
  wordIds?: (number | null)[];
}

/** Right-pads `rows` to the longest with `padId`; the mask is 1 on real tokens. */
export function collate(engine: Engine, rows: readonly EncodedText[], padId: number): BertInputs {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.ids.length));
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
