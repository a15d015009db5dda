/** The classification training objective over the task encoding in src/tasks/classification.ts. */
import type { Rng as DataRng } from '../../data/rng.js';
import { LlmkError } from '../../errors.js';
import {
  type ClassificationExample,
  classificationLoss,
  classificationMetrics,
  predictClassification,
  type SequenceClassifier,
} from '../../tasks/classification.js';
import {
  checkTokenDropout,
  collate,
  dropTokens,
  maxPositionsOf,
  type TokenDropout,
} from '../../tasks/encoder-batch.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { EvalMetrics, Objective } from '../objective.js';

export interface ClassificationObjectiveOptions {
  batchSize: number;
  padId: number;
  labels: readonly string[];
  multiLabel: boolean;
  classWeights?: readonly number[] | null;
  /** Multi-label decision threshold on the sigmoid (default 0.5). */
  threshold?: number;
  save: (dir: string) => void;
  /** Replace input tokens by the unknown token at this rate while training (default none). */
  tokenDropout?: TokenDropout;
}

export class SequenceClassificationObjective implements Objective {
  readonly unitsPerBatch: number;

  constructor(
    readonly model: SequenceClassifier,
    readonly data: { train: readonly ClassificationExample[]; val?: readonly ClassificationExample[] | null },
    readonly options: ClassificationObjectiveOptions,
  ) {
    if (data.train.length === 0)
      throw new LlmkError(
        'LLMK_E_DATA',
        'no training examples',
        'give a training file with labelled examples',
      );
    checkTokenDropout(options.tokenDropout);
    this.unitsPerBatch = options.batchSize;
  }

  trainLoss(rng: DataRng): Tensor {
    const train = this.data.train;
    const picked = Array.from({ length: this.options.batchSize }, () => train[rng.nextInt(train.length)]);
    const rows = dropTokens(picked, this.options.tokenDropout, rng);
    const logits = this.model.logits(
      collate(this.model.engine, rows, this.options.padId, maxPositionsOf(this.model)),
    );
    return classificationLoss(
      logits,
      rows.map((r) => r.labels),
      this.options,
    );
  }

  evaluate(): EvalMetrics | null {
    const val = this.data.val;
    if (!val || val.length === 0) return null;
    const p = predictClassification(this.model, val, this.options);
    return {
      loss: p.loss,
      ...classificationMetrics(
        val.map((v) => v.labels),
        p.predicted,
        this.options.labels,
        this.options.multiLabel,
      ),
    };
  }

  saveModel(dir: string): void {
    this.options.save(dir);
  }
}
