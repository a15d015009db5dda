/**
 * BERT task heads with Hugging Face's names: BertForPreTraining (`cls.predictions.*` masked-LM
 * head with the decoder tied to the word embeddings, `cls.seq_relationship` next-sentence head),
 * BertForMaskedLM, BertForSequenceClassification and BertForTokenClassification (`classifier`).
 */
import { LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { gelu } from '../../tensor/ops/elementwise.js';
import { dropout, embedding } from '../../tensor/ops/fused.js';
import { linear } from '../../tensor/ops/matmul.js';
import { reshape } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';
import { type BertInputs, BertModel } from './model.js';

class PredictionHeadTransform extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.dense = this.child(
      'dense',
      new Linear(engine, cfg.hiddenSize, cfg.hiddenSize, { std: cfg.initStd, rng }),
    );
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(engine, cfg.hiddenSize, cfg.layerNormEps));
  }

  forward(x: Tensor): Tensor {
    return this.LayerNorm.forward(gelu(this.dense.forward(x), 'none'));
  }
}

/** `cls.predictions`: transform, then logits against the (tied) word embeddings plus a bias. */
class LMPredictionHead extends Module {
  readonly transform: PredictionHeadTransform;
  readonly bias: Tensor;

  constructor(
    engine: Engine,
    cfg: BertConfig,
    readonly decoderWeight: Tensor,
    rng: Rng | undefined,
  ) {
    super(engine);
    this.transform = this.child('transform', new PredictionHeadTransform(engine, cfg, rng));
    this.bias = this.param('bias', engine.zeros([cfg.vocabSize]));
    // HF ties decoder.weight to the word embeddings and decoder.bias to `bias`.
    this.tie('decoder.weight', decoderWeight);
    this.tie('decoder.bias', this.bias);
  }

  forward(h: Tensor): Tensor {
    return linear(this.transform.forward(h), this.decoderWeight, this.bias); // (…, V)
  }
}

class PreTrainingHeads extends Module {
  readonly predictions: LMPredictionHead;
  readonly seq_relationship: Linear;

  constructor(engine: Engine, cfg: BertConfig, decoderWeight: Tensor, rng: Rng | undefined) {
    super(engine);
    this.predictions = this.child('predictions', new LMPredictionHead(engine, cfg, decoderWeight, rng));
    this.seq_relationship = this.child(
      'seq_relationship',
      new Linear(engine, cfg.hiddenSize, 2, { std: cfg.initStd, rng }),
    );
  }
}

/** Rows of (B, T, C) `sequence` at flat positions b·T + t → (N, C) (gradient flows back). */
export function gatherPositions(sequence: Tensor, positions: Int32Array): Tensor {
  const [B, T, C] = sequence.shape;
  const idx = sequence.engine.tensor(positions, [positions.length], 'i32');
  return embedding(idx, reshape(sequence, [B * T, C])); // (N, C)
}

export interface PreTrainingOutput {
  /** (B, T, V), or (N, V) for the positions asked for. */
  mlmLogits: Tensor;
  /** (B, 2): index 0 = "B follows A" (HF convention), 1 = random sentence. */
  nspLogits: Tensor;
}

/** HF BertForPreTraining: `bert.*` + `cls.predictions.*` + `cls.seq_relationship.*`. */
export class BertForPreTraining extends Module {
  readonly bert: BertModel;
  readonly cls: PreTrainingHeads;

  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: { rng?: Rng } = {},
  ) {
    super(engine);
    this.bert = this.child('bert', new BertModel(engine, config, { rng: options.rng }));
    this.cls = this.child(
      'cls',
      new PreTrainingHeads(engine, config, this.bert.embeddings.word_embeddings.weight, options.rng),
    );
  }

  /** Masked-LM logits at every position, or only at flat `mlmPositions` (b·T + t) to save the V-wide matmul. */
  forward(inputs: BertInputs, options: { mlmPositions?: Int32Array } = {}): PreTrainingOutput {
    const out = this.bert.forward(inputs);
    const h = options.mlmPositions ? gatherPositions(out.sequence, options.mlmPositions) : out.sequence;
    return {
      mlmLogits: this.cls.predictions.forward(h),
      nspLogits: this.cls.seq_relationship.forward(out.pooled as Tensor), // (B, 2)
    };
  }
}

/** HF BertForMaskedLM: `bert.*` (no pooler) + `cls.predictions.*`. */
export class BertForMaskedLM extends Module {
  readonly bert: BertModel;
  readonly cls: Module & { predictions: LMPredictionHead };

  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: { rng?: Rng } = {},
  ) {
    super(engine);
    this.bert = this.child('bert', new BertModel(engine, config, { rng: options.rng, pooler: false }));
    this.cls = this.child(
      'cls',
      new MlmOnlyHead(engine, config, this.bert.embeddings.word_embeddings.weight, options.rng),
    );
  }

  forward(inputs: BertInputs, options: { mlmPositions?: Int32Array } = {}): Tensor {
    const seq = this.bert.forward(inputs).sequence;
    return this.cls.predictions.forward(
      options.mlmPositions ? gatherPositions(seq, options.mlmPositions) : seq,
    );
  }
}

class MlmOnlyHead extends Module {
  readonly predictions: LMPredictionHead;

  constructor(engine: Engine, cfg: BertConfig, decoderWeight: Tensor, rng: Rng | undefined) {
    super(engine);
    this.predictions = this.child('predictions', new LMPredictionHead(engine, cfg, decoderWeight, rng));
  }
}

export interface ClassifierOptions {
  rng?: Rng;
  numLabels: number;
  /** Dropout before the classifier (HF classifier_dropout; default the config's hiddenDropout). */
  classifierDropout?: number;
}

/** HF BertForSequenceClassification: dropout(pooled [CLS]) → `classifier` → (B, L) logits. */
export class BertForSequenceClassification extends Module {
  readonly bert: BertModel;
  readonly classifier: Linear;
  readonly numLabels: number;
  readonly classifierDropout: number;

  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: ClassifierOptions,
  ) {
    super(engine);
    this.numLabels = options.numLabels;
    this.classifierDropout = options.classifierDropout ?? config.hiddenDropout;
    this.bert = this.child('bert', new BertModel(engine, config, { rng: options.rng }));
    this.classifier = this.child(
      'classifier',
      new Linear(engine, config.hiddenSize, options.numLabels, { std: config.initStd, rng: options.rng }),
    );
  }

  /** (B, L) logits. */
  logits(inputs: BertInputs): Tensor {
    const pooled = this.bert.forward(inputs).pooled as Tensor; // (B, C)
    return this.classifier.forward(dropout(pooled, this.classifierDropout, this.training));
  }
}

/** HF BertForTokenClassification: dropout(sequence) → `classifier` → (B, T, L) logits. */
export class BertForTokenClassification extends Module {
  readonly bert: BertModel;
  readonly classifier: Linear;
  readonly numLabels: number;
  readonly classifierDropout: number;

  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: ClassifierOptions,
  ) {
    super(engine);
    this.numLabels = options.numLabels;
    this.classifierDropout = options.classifierDropout ?? config.hiddenDropout;
    this.bert = this.child('bert', new BertModel(engine, config, { rng: options.rng, pooler: false }));
    this.classifier = this.child(
      'classifier',
      new Linear(engine, config.hiddenSize, options.numLabels, { std: config.initStd, rng: options.rng }),
    );
  }

  /** (B, T, L) logits. */
  logits(inputs: BertInputs): Tensor {
    const seq = this.bert.forward(inputs).sequence; // (B, T, C)
    return this.classifier.forward(dropout(seq, this.classifierDropout, this.training));
  }
}
