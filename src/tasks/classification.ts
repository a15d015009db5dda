/**
 * Sequence classification (single sentence or pair; single- or multi-label, optional class
 * weights) as an Objective, for any model with a `logits(inputs) → (B, L)` head (BERT [CLS] pooler,
 * GPT last-token pooling).
 */

import type { TextExample } from '../data/tasks.js';
import { classificationReport } from '../eval/classification.js';
import type { BertInputs } from '../models/bert/model.js';
import type { Module } from '../nn/module.js';
import { UnaryOp } from '../tensor/backend.js';
import type { Engine } from '../tensor/engine.js';
import { abs, add, exp, log, mul, neg, relu, sub, unary } from '../tensor/ops/elementwise.js';
import { crossEntropy } from '../tensor/ops/fused.js';
import { mean, sum } from '../tensor/ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenize/types.js';
import { chunks, collate, type EncodedText, maxPositionsOf } from './encoder-batch.js';

export interface SequenceClassifier extends Module {
  readonly numLabels: number;
  /** (B, L) logits. */
  logits(inputs: BertInputs): Tensor;
}

export interface ClassificationExample extends EncodedText {
  /** Label indices (one, or several for multi-label). */
  labels: number[];
}

/**
 * Tokenizes texts with the tokenizer's template, truncated to `maxLength`. Pairs are built here as
 * `[CLS] A [SEP] B [SEP]` (segment ids 0 / 1), truncating the longer side first as Hugging Face's
 * `longest_first` strategy does (the npm binding's encodeBatch takes single texts only).
 */
export async function encodeTexts(
  tokenizer: Tokenizer,
  examples: readonly { text: string; pair?: string }[],
  maxLength: number,
): Promise<EncodedText[]> {
  const out: EncodedText[] = new Array(examples.length);
  const singles = examples.flatMap((e, i) => (e.pair === undefined ? [i] : []));
  for (const part of chunks(singles, 512)) {
    const encs = await tokenizer.encodeBatch(
      part.map((i) => examples[i].text),
      { truncation: maxLength },
    );
    part.forEach((i, k) => {
      out[i] = { ids: encs[k].ids, typeIds: encs[k].typeIds, wordIds: encs[k].wordIds };
    });
  }
  const cls = tokenizer.tokenToId('[CLS]');
  const sep = tokenizer.tokenToId('[SEP]');
  for (let i = 0; i < examples.length; i++) {
    const pair = examples[i].pair;
    if (pair === undefined) continue;
    const [a, b] = await tokenizer.encodeBatch([examples[i].text, pair], { addSpecialTokens: false });
    const specials = (cls !== undefined ? 1 : 0) + (sep !== undefined ? 2 : 0);
    let na = a.ids.length;
    let nb = b.ids.length;
    while (na + nb + specials > maxLength && na + nb > 0) {
      if (na >= nb) na--;
      else nb--;
    }
    const ids: number[] = [];
    const typeIds: number[] = [];
    const wordIds: (number | null)[] = [];
    const push = (id: number | undefined, type: number, word: number | null): void => {
      if (id === undefined) return;
      ids.push(id);
      typeIds.push(type);
      wordIds.push(word);
    };
    push(cls, 0, null);
    for (let t = 0; t < na; t++) push(a.ids[t], 0, a.wordIds[t]);
    push(sep, 0, null);
    for (let t = 0; t < nb; t++) push(b.ids[t], 1, b.wordIds[t]);
    push(sep, 1, null);
    out[i] = { ids, typeIds, wordIds };
  }
  return out;
}

export async function encodeClassification(
  tokenizer: Tokenizer,
  examples: readonly TextExample[],
  labels: readonly string[],
  maxLength: number,
): Promise<ClassificationExample[]> {
  const index = new Map(labels.map((l, i) => [l, i]));
  const enc = await encodeTexts(tokenizer, examples, maxLength);
  return enc.map((e, i) => ({ ...e, labels: examples[i].labels.map((l) => index.get(l) ?? -1) }));
}

/**
 * Inverse-frequency class weights n / (L · count_c) (sklearn's `class_weight='balanced'`);
 * classes absent from the data get weight 1.
 */
export function balancedClassWeights(examples: readonly { labels: number[] }[], numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  for (const e of examples) for (const l of e.labels) counts[l]++;
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c === 0 ? 1 : n / (numLabels * c)));
}

export interface ClassificationLossOptions {
  multiLabel: boolean;
  /** Per-class weights (length L), as torch's CrossEntropyLoss(weight=…) / BCE pos-weights per class. */
  classWeights?: readonly number[] | null;
}

/**
 * Single-label: cross-entropy, weighted mean Σ w_y·ℓ / Σ w_y (torch CrossEntropyLoss(weight)).
 * Multi-label: binary cross-entropy with logits, mean over B·L, each class column scaled by its
 * weight: max(x, 0) − x·y + log(1 + e^−|x|) (the stable form torch uses).
 */
export function classificationLoss(
  logits: Tensor,
  labels: readonly (readonly number[])[],
  options: ClassificationLossOptions,
): Tensor {
  const engine = logits.engine;
  const [B, L] = logits.shape;
  const w = options.classWeights;
  if (options.multiLabel) {
    const y = new Float32Array(B * L);
    labels.forEach((ls, b) => {
      for (const l of ls) y[b * L + l] = 1;
    });
    const yT = engine.tensor(y, [B, L]);
    const softplus = unary(UnaryOp.addScalar, exp(neg(abs(logits))), 1);
    let per = add(sub(relu(logits), mul(logits, yT)), log(softplus)); // (B, L)
    if (w) per = mul(per, engine.tensor(Float32Array.from(w), [L]));
    return mean(per);
  }
  const targets = Int32Array.from(labels, (ls) => ls[0]);
  const tgt = engine.tensor(targets, [B], 'i32');
  if (!w) return crossEntropy(logits, tgt);
  const per = crossEntropy(logits, tgt, { reduction: 'none' }); // (B)
  const rowW = Float32Array.from(targets, (t) => w[t]);
  const total = rowW.reduce((a, b) => a + b, 0);
  return sum(
    mul(
      per,
      engine.tensor(
        rowW.map((x) => x / total),
        [B],
      ),
    ),
  );
}

/** Predicted label indices of (B, L) logits: argmax, or every sigmoid ≥ threshold (multi-label). */
export function decideLabels(logits: number[], L: number, multiLabel: boolean, threshold = 0.5): number[][] {
  const out: number[][] = [];
  const cut = Math.log(threshold / (1 - threshold));
  for (let b = 0; b * L < logits.length; b++) {
    const row = logits.slice(b * L, (b + 1) * L);
    if (multiLabel) out.push(row.flatMap((x, i) => (x >= cut ? [i] : [])));
    else out.push([row.indexOf(Math.max(...row))]);
  }
  return out;
}

export interface ClassificationPredictions {
  loss: number;
  predicted: number[][];
  /** Softmax (or sigmoid) scores per example. */
  scores: number[][];
}

/** Runs `model` over `examples` in batches (eval mode is the caller's business). */
export function predictClassification(
  model: SequenceClassifier,
  examples: readonly ClassificationExample[],
  options: {
    batchSize: number;
    padId: number;
    multiLabel: boolean;
    threshold?: number;
    classWeights?: readonly number[] | null;
  },
): ClassificationPredictions {
  const engine: Engine = model.engine;
  const L = model.numLabels;
  let loss = 0;
  const predicted: number[][] = [];
  const scores: number[][] = [];
  for (const rows of chunks(examples, options.batchSize)) {
    engine.scope(() => {
      const logits = model.logits(collate(engine, rows, options.padId, maxPositionsOf(model)));
      const labelled = rows.every((r) => r.labels.length > 0 && r.labels.every((l) => l >= 0));
      if (labelled)
        loss +=
          classificationLoss(
            logits,
            rows.map((r) => r.labels),
            options,
          ).item() * rows.length;
      const values = logits.toArray();
      predicted.push(...decideLabels(values, L, options.multiLabel, options.threshold));
      for (let b = 0; b < rows.length; b++) {
        const row = values.slice(b * L, (b + 1) * L);
        if (options.multiLabel) scores.push(row.map((x) => 1 / (1 + Math.exp(-x))));
        else {
          const m = Math.max(...row);
          const e = row.map((x) => Math.exp(x - m));
          const z = e.reduce((a, c) => a + c, 0);
          scores.push(e.map((x) => x / z));
        }
      }
    });
  }
  return { loss: loss / Math.max(1, examples.length), predicted, scores };
}

/** accuracy, macro_f1, weighted_f1 (single-label) or subset accuracy and micro F1 (multi-label). */
export function classificationMetrics(
  gold: readonly (readonly number[])[],
  predicted: readonly (readonly number[])[],
  labels: readonly string[],
  multiLabel: boolean,
): Record<string, number> {
  if (!multiLabel) {
    const r = classificationReport(
      gold.map((g) => labels[g[0]]),
      predicted.map((p) => labels[p[0]]),
      { labels: [...labels] },
    );
    return { accuracy: r.accuracy, macro_f1: r.macro.f1, weighted_f1: r.weighted.f1, micro_f1: r.micro.f1 };
  }
  let exact = 0;
  let tp = 0;
  let nPred = 0;
  let nTrue = 0;
  gold.forEach((g, i) => {
    const p = new Set(predicted[i]);
    const gs = new Set(g);
    if (p.size === gs.size && [...p].every((x) => gs.has(x))) exact++;
    for (const x of p) if (gs.has(x)) tp++;
    nPred += p.size;
    nTrue += gs.size;
  });
  const precision = nPred === 0 ? 0 : tp / nPred;
  const recall = nTrue === 0 ? 0 : tp / nTrue;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { accuracy: exact / Math.max(1, gold.length), micro_f1: f1, precision, recall };
}
