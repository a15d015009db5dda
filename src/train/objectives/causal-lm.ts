/** Next-token prediction over token windows (GPT and Llama pretraining). */
import { Rng as DataRng } from '../../data/rng.js';
import type { TokenWindowSampler } from '../../data/sampler.js';
import type { CausalLMModel } from '../../models/causal-lm.js';
import { writeModelFiles } from '../../models/save.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Tokenizer } from '../../tokenize/types.js';
import type { EvalMetrics, Objective } from '../objective.js';

export interface CausalLMObjectiveOptions {
  batchSize: number;
  seqLen: number;
  /** Random validation batches per evaluation (nanoGPT's eval_iters). */
  evalBatches: number;
  /** Seed of the evaluation batches (fixed, so evaluations are comparable). */
  evalSeed: number;
  tokenizer?: Tokenizer | null;
}

export class CausalLMObjective implements Objective {
  readonly unitsPerBatch: number;

  constructor(
    readonly model: CausalLMModel,
    readonly data: { train: TokenWindowSampler; val?: TokenWindowSampler | null },
    readonly options: CausalLMObjectiveOptions,
  ) {
    this.unitsPerBatch = options.batchSize * options.seqLen;
  }

  private lossOf(sampler: TokenWindowSampler, rng: DataRng): Tensor {
    const { batchSize: B, seqLen: T } = this.options;
    const engine = this.model.engine;
    const batch = sampler.randomBatch(B, T, rng);
    return this.model.loss(engine.wrap(batch.inputs, [B, T]), engine.wrap(batch.targets, [B, T]));
  }

  trainLoss(rng: DataRng): Tensor {
    return this.lossOf(this.data.train, rng);
  }

  evaluate(): EvalMetrics | null {
    const val = this.data.val;
    if (!val) return null;
    const engine = this.model.engine;
    const rng = new DataRng(this.options.evalSeed);
    let sum = 0;
    for (let i = 0; i < this.options.evalBatches; i++)
      sum += engine.scope(() => this.lossOf(val, rng).item());
    const loss = sum / this.options.evalBatches;
    return { loss, perplexity: Math.exp(loss) };
  }

  saveModel(dir: string): void {
    writeModelFiles(dir, this.model, { tokenizer: this.options.tokenizer ?? null });
  }
}
