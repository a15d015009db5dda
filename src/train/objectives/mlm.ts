/** Masked-LM (+ next-sentence) pretraining of BERT as an Objective. */
import { Rng as DataRng } from '../../data/rng.js';
import { type BertForMaskedLM, BertForPreTraining } from '../../models/bert/heads.js';
import type { BertInputs } from '../../models/bert/model.js';
import { writeModelFiles } from '../../models/save.js';
import { batchLength, chunks, collate, type EncodedText, maxPositionsOf } from '../../tasks/encoder-batch.js';
import { add } from '../../tensor/ops/elementwise.js';
import { crossEntropy } from '../../tensor/ops/fused.js';
import { argmax } from '../../tensor/ops/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Tokenizer } from '../../tokenize/types.js';
import type { EvalMetrics, Objective } from '../objective.js';
import { type MaskingOptions, maskTokens } from './mlm-data.js';

export interface PretrainingBatch {
  inputs: BertInputs;
  /** (B·T) original ids at masked positions, −100 elsewhere. */
  mlmLabels: Int32Array;
  /** (B) 0 IsNext / 1 NotNext; null trains masked LM only. */
  nspLabels?: Int32Array | null;
}

export type MaskedLMModel = BertForPreTraining | BertForMaskedLM;

interface LossParts {
  loss: Tensor;
  mlmLoss: Tensor;
  nspLoss: Tensor | null;
  mlmCorrect: number;
  mlmCount: number;
  nspCorrect: number;
}

function lossParts(model: MaskedLMModel, batch: PretrainingBatch, count: boolean): LossParts {
  const engine = model.engine;
  const positions: number[] = [];
  const targets: number[] = [];
  batch.mlmLabels.forEach((l, i) => {
    if (l !== -100) {
      positions.push(i);
      targets.push(l);
    }
  });
  const mlmPositions = Int32Array.from(positions);
  const tgt = engine.tensor(Int32Array.from(targets), [targets.length], 'i32');
  let mlmLogits: Tensor;
  let nspLogits: Tensor | null = null;
  if (model instanceof BertForPreTraining) {
    const out = model.forward(batch.inputs, { mlmPositions });
    mlmLogits = out.mlmLogits; // (N, V)
    nspLogits = out.nspLogits; // (B, 2)
  } else {
    mlmLogits = model.forward(batch.inputs, { mlmPositions }); // (N, V)
  }
  const mlmLoss = crossEntropy(mlmLogits, tgt);
  let loss = mlmLoss;
  let nspLoss: Tensor | null = null;
  let nspCorrect = 0;
  const nspLabels = batch.nspLabels;
  if (nspLogits && nspLabels) {
    const nspT = engine.tensor(nspLabels, [nspLabels.length], 'i32');
    nspLoss = crossEntropy(nspLogits, nspT);
    loss = add(mlmLoss, nspLoss);
    if (count) {
      const pred = argmax(nspLogits, -1).toArray();
      nspCorrect = pred.filter((p, i) => p === nspLabels[i]).length;
    }
  }
  let mlmCorrect = 0;
  if (count) {
    const pred = argmax(mlmLogits, -1).toArray();
    mlmCorrect = pred.filter((p, i) => p === targets[i]).length;
  }
  return { loss, mlmLoss, nspLoss, mlmCorrect, mlmCount: targets.length, nspCorrect };
}

/**
 * Hugging Face BertForPreTraining's total loss: masked-LM cross-entropy (mean over masked positions)
 * plus next-sentence cross-entropy when `nspLabels` are given (and the model has the NSP head).
 */
export function pretrainingLoss(model: MaskedLMModel, batch: PretrainingBatch): Tensor {
  return lossParts(model, batch, false).loss;
}

export interface MlmExample extends EncodedText {
  /** Present when the example is an NSP sentence pair. */
  nspLabel?: 0 | 1;
}

export interface MaskedLMObjectiveOptions {
  batchSize: number;
  masking: MaskingOptions;
  padId: number;
  /** Seed of the evaluation masking (fixed, so evaluations are comparable). */
  evalSeed: number;
  /** Train the next-sentence head (examples must carry nspLabel; model must be BertForPreTraining). */
  nsp: boolean;
  tokenizer?: Tokenizer | null;
}

export class MaskedLMObjective implements Objective {
  readonly unitsPerBatch: number;

  constructor(
    readonly model: MaskedLMModel,
    readonly data: { train: readonly MlmExample[]; val?: readonly MlmExample[] | null },
    readonly options: MaskedLMObjectiveOptions,
  ) {
    const mean = data.train.reduce((n, e) => n + e.ids.length, 0) / Math.max(1, data.train.length);
    this.unitsPerBatch = Math.round(options.batchSize * mean);
  }

  private batchOf(rows: readonly MlmExample[], rng: DataRng): PretrainingBatch {
    const masked = rows.map((r) => maskTokens(r, this.options.masking, rng));
    const T = batchLength(rows, maxPositionsOf(this.model));
    const labels = new Int32Array(rows.length * T).fill(-100);
    masked.forEach((m, b) => {
      m.labels.forEach((l, t) => {
        labels[b * T + t] = l;
      });
    });
    const inputs = collate(
      this.model.engine,
      rows.map((r, b) => ({ ids: masked[b].ids, typeIds: r.typeIds })),
      this.options.padId,
      maxPositionsOf(this.model),
    );
    const nspLabels = this.options.nsp ? Int32Array.from(rows, (r) => r.nspLabel ?? 0) : null;
    return { inputs, mlmLabels: labels, nspLabels };
  }

  trainLoss(rng: DataRng): Tensor {
    const train = this.data.train;
    const rows = Array.from({ length: this.options.batchSize }, () => train[rng.nextInt(train.length)]);
    return pretrainingLoss(this.model, this.batchOf(rows, rng));
  }

  evaluate(): EvalMetrics | null {
    const val = this.data.val;
    if (!val || val.length === 0) return null;
    const engine = this.model.engine;
    const rng = new DataRng(this.options.evalSeed);
    let loss = 0;
    let mlmLoss = 0;
    let mlmCorrect = 0;
    let mlmCount = 0;
    let nspCorrect = 0;
    const batches = chunks(val, this.options.batchSize);
    for (const rows of batches) {
      engine.scope(() => {
        const p = lossParts(this.model, this.batchOf(rows, rng), true);
        loss += p.loss.item() * rows.length;
        mlmLoss += p.mlmLoss.item() * rows.length;
        mlmCorrect += p.mlmCorrect;
        mlmCount += p.mlmCount;
        nspCorrect += p.nspCorrect;
      });
    }
    const metrics: EvalMetrics = {
      loss: loss / val.length,
      mlm_loss: mlmLoss / val.length,
      mlm_accuracy: mlmCorrect / Math.max(1, mlmCount),
    };
    if (this.options.nsp) metrics.nsp_accuracy = nspCorrect / val.length;
    return metrics;
  }

  saveModel(dir: string): void {
    writeModelFiles(dir, this.model, { tokenizer: this.options.tokenizer ?? null });
  }
}
