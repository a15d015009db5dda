/** The token-classification training objective over the task encoding in src/tasks/token-classification.ts. */
import type { Rng as DataRng } from '../../data/rng.js';
import { LlmkError } from '../../errors.js';
import { type SpanScheme, spanReport } from '../../eval/spans.js';
import { tagConstraints } from '../../eval/tag-decode.js';
import {
  checkTokenDropout,
  collate,
  dropTokens,
  maxPositionsOf,
  type TokenDropout,
} from '../../tasks/encoder-batch.js';
import {
  labelGrid,
  type NerExample,
  predictTokens,
  type TokenClassifier,
  tokenClassificationLoss,
} from '../../tasks/token-classification.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { EvalMetrics, Objective } from '../objective.js';

export interface TokenClassificationObjectiveOptions {
  batchSize: number;
  padId: number;
  labels: readonly string[];
  scheme: SpanScheme;
  /** Gold tags per word of the validation sentences (for entity metrics). */
  valTags?: readonly (readonly string[])[];
  save: (dir: string) => void;
  /** Replace input tokens by the unknown token at this rate while training (default none). */
  tokenDropout?: TokenDropout;
}

export class TokenClassificationObjective implements Objective {
  readonly unitsPerBatch: number;

  constructor(
    readonly model: TokenClassifier,
    readonly data: { train: readonly NerExample[]; val?: readonly NerExample[] | null },
    readonly options: TokenClassificationObjectiveOptions,
  ) {
    if (data.train.length === 0)
      throw new LlmkError(
        'LLMK_E_DATA',
        'no training sentences',
        'give a training file with tagged sentences',
      );
    const mean = data.train.reduce((n, e) => n + e.ids.length, 0) / data.train.length;
    checkTokenDropout(options.tokenDropout);
    this.unitsPerBatch = Math.round(options.batchSize * mean);
  }

  trainLoss(rng: DataRng): Tensor {
    const train = this.data.train;
    const picked = Array.from({ length: this.options.batchSize }, () => train[rng.nextInt(train.length)]);
    const rows = dropTokens(picked, this.options.tokenDropout, rng);
    const logits = this.model.logits(
      collate(this.model.engine, rows, this.options.padId, maxPositionsOf(this.model)),
    );
    return tokenClassificationLoss(logits, labelGrid(rows, maxPositionsOf(this.model)));
  }

  evaluate(): EvalMetrics | null {
    const { val } = this.data;
    const gold = this.options.valTags;
    if (!val || val.length === 0 || !gold) return null;
    const o = this.options;
    const fallback = Math.max(0, o.labels.indexOf('O'));
    const p = predictTokens(this.model, val, {
      batchSize: o.batchSize,
      padId: o.padId,
      fallback,
      constraints: tagConstraints(o.labels, o.scheme),
    });
    const pred = p.words.map((ws) => ws.map((i) => o.labels[i]));
    const r = spanReport(gold, pred, { scheme: o.scheme });
    return { loss: p.loss, f1: r.micro.f1, precision: r.micro.precision, recall: r.micro.recall };
  }

  saveModel(dir: string): void {
    this.options.save(dir);
  }
}
