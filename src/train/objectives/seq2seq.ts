/**
 * Sequence-to-sequence training by teacher forcing (translation, summarization): each micro-batch
 * is `batchSize` random (source, target) pairs, sources right-padded with their attention mask,
 * labels = target ids + EOS with padding set to −100 (ignored), decoder inputs = labels shifted
 * right after decoder_start_token_id (HF `shift_tokens_right`), loss = cross-entropy with optional
 * label smoothing (HF Seq2SeqTrainer `label_smoothing_factor`). Validation: mean loss over fixed
 * batches in order.
 */
import type { Rng as DataRng } from '../../data/rng.js';
import type { BartForConditionalGeneration } from '../../models/bart/model.js';
import { shiftTokensRight } from '../../models/bart/model.js';
import { writeModelFiles } from '../../models/save.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Tokenizer } from '../../tokenize/types.js';
import type { EvalMetrics, Objective } from '../objective.js';

/** One example: source ids and target ids (EOS is appended to both when missing). */
export interface Seq2SeqPair {
  source: readonly number[];
  target: readonly number[];
}

export interface Seq2SeqObjectiveOptions {
  batchSize: number;
  /** ε of label smoothing (0 = off; 0.1 is the usual translation setting). */
  labelSmoothing?: number;
  /** Longer sources/targets are cut to this many tokens, EOS included. */
  maxLength: number;
  tokenizer?: Tokenizer | null;
}

export class Seq2SeqObjective implements Objective {
  readonly unitsPerBatch: number;

  constructor(
    readonly model: BartForConditionalGeneration,
    readonly data: { train: readonly Seq2SeqPair[]; val?: readonly Seq2SeqPair[] | null },
    readonly options: Seq2SeqObjectiveOptions,
  ) {
    // Target tokens per batch is the usual unit; this is its upper bound (batch × max length).
    this.unitsPerBatch = options.batchSize * options.maxLength;
  }

  /** The loss of these pairs (a scalar recorded for autograd). */
  lossOf(pairs: readonly Seq2SeqPair[]): Tensor {
    const { engine, config } = this.model;
    const { padTokenId: pad, eosTokenId: eos, decoderStartTokenId: start } = config;
    const max = this.options.maxLength;
    const withEos = (ids: readonly number[]): number[] => {
      const cut = ids.slice(0, max);
      if (cut[cut.length - 1] === eos) return cut;
      if (cut.length === max) cut[max - 1] = eos;
      else cut.push(eos);
      return cut;
    };
    const src = pairs.map((p) => withEos(p.source));
    const tgt = pairs.map((p) => withEos(p.target));
    const B = pairs.length;
    const S = Math.max(...src.map((s) => s.length));
    const T = Math.max(...tgt.map((t) => t.length));
    const ids = new Int32Array(B * S).fill(pad);
    const mask = new Int32Array(B * S);
    const labels = new Int32Array(B * T).fill(-100);
    for (let b = 0; b < B; b++) {
      ids.set(src[b], b * S);
      mask.fill(1, b * S, b * S + src[b].length);
      labels.set(tgt[b], b * T);
    }
    const labelTensor = engine.tensor(labels, [B, T], 'i32'); // (B, T)
    return this.model.loss(
      {
        inputIds: engine.tensor(ids, [B, S], 'i32'), // (B, S)
        attentionMask: engine.tensor(mask, [B, S], 'i32'), // (B, S)
        decoderInputIds: shiftTokensRight(labelTensor, pad, start), // (B, T)
      },
      labelTensor,
      { labelSmoothing: this.options.labelSmoothing ?? 0 },
    );
  }

  trainLoss(rng: DataRng): Tensor {
    const train = this.data.train;
    const pairs = Array.from({ length: this.options.batchSize }, () => train[rng.nextInt(train.length)]);
    return this.lossOf(pairs);
  }

  evaluate(): EvalMetrics | null {
    const val = this.data.val;
    if (!val || val.length === 0) return null;
    const engine = this.model.engine;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < val.length; i += this.options.batchSize) {
      const batch = val.slice(i, i + this.options.batchSize);
      sum += engine.scope(() => this.lossOf(batch).item()) * batch.length;
      n += batch.length;
    }
    const loss = sum / n;
    return { loss, perplexity: Math.exp(loss) };
  }

  saveModel(dir: string): void {
    writeModelFiles(dir, this.model, { tokenizer: this.options.tokenizer ?? null });
  }
}
