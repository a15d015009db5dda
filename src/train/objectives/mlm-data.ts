/**
 * Pretraining data for BERT (Devlin et al. 2019, §3.1 and appendix A.1):
 * - masked LM: 15% of the non-special tokens are chosen; of those 80% become [MASK], 10% a random
 *   token, 10% stay; the loss is taken at the chosen positions only. With whole-word masking
 *   (Google's 2019 BERT release) a word's sub-tokens are chosen together.
 * - next-sentence prediction: sentence pairs (A, B) where B is the true next sentence 50% of the
 *   time and a random sentence from another document otherwise; label 0 = IsNext, 1 = NotNext
 *   (Hugging Face's convention).
 */
import type { Rng } from '../../data/rng.js';
import { LlmkError } from '../../errors.js';
import type { EncodedText } from '../../tasks/encoder-batch.js';

export interface MaskingOptions {
  /** Fraction of tokens chosen for prediction (BERT: 0.15). */
  probability: number;
  maskId: number;
  vocabSize: number;
  /** Ids never chosen ([CLS], [SEP], [PAD]). */
  specialIds: ReadonlySet<number>;
  /** Choose whole words (all sub-tokens of a word together); needs wordIds. */
  wholeWord: boolean;
}

export interface MaskedText {
  ids: number[];
  /** Original id at chosen positions, −100 elsewhere. */
  labels: number[];
}

/** Applies BERT's 80/10/10 masking to one example; at least one token is chosen when any can be. */
export function maskTokens(example: EncodedText, options: MaskingOptions, rng: Rng): MaskedText {
  const { ids } = example;
  const n = ids.length;
  // Units that are chosen together: words (whole-word masking) or single tokens.
  const units: number[][] = [];
  const byWord = new Map<string, number[]>();
  for (let t = 0; t < n; t++) {
    if (options.specialIds.has(ids[t])) continue;
    const w = options.wholeWord ? example.wordIds?.[t] : null;
    if (w === null || w === undefined) {
      units.push([t]);
      continue;
    }
    // Word ids restart in the second segment: key by segment too.
    const key = `${example.typeIds[t]}:${w}`;
    let unit = byWord.get(key);
    if (!unit) {
      unit = [];
      byWord.set(key, unit);
      units.push(unit);
    }
    unit.push(t);
  }
  const out = ids.slice();
  const labels = new Array<number>(n).fill(-100);
  if (units.length === 0) return { ids: out, labels };
  const chosen = units.filter(() => rng.nextFloat() < options.probability);
  if (chosen.length === 0) chosen.push(units[rng.nextInt(units.length)]);
  for (const unit of chosen) {
    const r = rng.nextFloat();
    for (const t of unit) {
      labels[t] = ids[t];
      if (r < 0.8) out[t] = options.maskId;
      else if (r < 0.9) out[t] = rng.nextInt(options.vocabSize);
    }
  }
  return { ids: out, labels };
}

export interface SentencePair {
  a: string;
  b: string;
  /** 0: B follows A in the document; 1: B is a random sentence from another document. */
  nspLabel: 0 | 1;
}

/**
 * Sentence pairs for NSP from documents (arrays of sentences): for every sentence with a successor,
 * the true next sentence with probability 1/2, else a random sentence from a different document.
 */
export function buildNspPairs(documents: readonly (readonly string[])[], rng: Rng): SentencePair[] {
  const docs = documents.filter((d) => d.length > 0);
  if (docs.length < 2) {
    throw new LlmkError(
      'LLMK_E_DATA',
      `next-sentence prediction needs at least 2 non-empty documents, got ${docs.length}`,
      'separate documents by blank lines, or pretrain with --objective mlm only',
    );
  }
  const pairs: SentencePair[] = [];
  docs.forEach((doc, d) => {
    for (let i = 0; i + 1 < doc.length; i++) {
      if (rng.nextFloat() < 0.5) {
        pairs.push({ a: doc[i], b: doc[i + 1], nspLabel: 0 });
      } else {
        let other = rng.nextInt(docs.length - 1);
        if (other >= d) other++;
        const od = docs[other];
        pairs.push({ a: doc[i], b: od[rng.nextInt(od.length)], nspLabel: 1 });
      }
    }
  });
  if (pairs.length === 0) {
    throw new LlmkError(
      'LLMK_E_DATA',
      'no document has two sentences, so there are no sentence pairs',
      'put one sentence per line with several lines per document',
    );
  }
  return pairs;
}
