/**
 * BERT task heads with Hugging Face's names: BertForPreTraining (`cls.predictions.*` masked-LM
 * head with the decoder tied to the word embeddings, `cls.seq_relationship` next-sentence head),
 * BertForMaskedLM, BertForSequenceClassification and BertForTokenClassification (`classifier`).
 */
import { type Embedding, type InitMode, LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { gelu } from '../../tensor/ops/elementwise.js';
import { dropout, embedding } from '../../tensor/ops/fused.js';
import { reshape } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ModelInitOptions } from '../outputs.js';
import type { BertConfig } from './config.js';
import { type BertInputs, BertModel } from './model.js';

type HeadInit = { std: number; rng: Rng | undefined; init: InitMode | undefined };

class PredictionHeadTransform extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: HeadInit) {
    super(engine);
    this.child('dense', new Linear(engine, cfg.hiddenSize, cfg.hiddenSize, init));
    this.child('LayerNorm', new LayerNorm(engine, cfg.hiddenSize, cfg.layerNormEps, { init: init.init }));
  }

  get dense(): Linear {
    return this.sub('dense');
  }

  get LayerNorm(): LayerNorm {
    return this.sub('LayerNorm');
  }

  forward(x: Tensor): Tensor {
    return this.LayerNorm.call(gelu(this.dense.call(x), 'none'));
  }
}

/**
 * `cls.predictions`: transform, then `decoder`, a Linear holding the word embeddings' tensor and
 * `bias` (HF ties decoder.weight to the word embeddings and decoder.bias to `bias`): one tensor each,
 * under both names in the state dict.
 */
class LMPredictionHead extends Module {
  readonly bias: Tensor;

  constructor(engine: Engine, cfg: BertConfig, wordEmbeddings: Tensor, init: HeadInit) {
    super(engine);
    const bias = engine.empty([cfg.vocabSize], 'f32', { uninitialized: true, persistent: true });
    if (init.init !== 'empty') bias.values().fill(0);
    this.bias = this.param('bias', bias);
    this.child('transform', new PredictionHeadTransform(engine, cfg, init));
    this.child('decoder', Linear.fromWeights(wordEmbeddings, this.bias));
  }

  get transform(): PredictionHeadTransform {
    return this.sub('transform');
  }

  get decoder(): Linear {
    return this.sub('decoder');
  }

  forward(h: Tensor): Tensor {
    return this.decoder.call(this.transform.call(h)); // (…, V)
  }
}

class PreTrainingHeads extends Module {
  constructor(engine: Engine, cfg: BertConfig, wordEmbeddings: Tensor, init: HeadInit) {
    super(engine);
    this.child('predictions', new LMPredictionHead(engine, cfg, wordEmbeddings, init));
    this.child('seq_relationship', new Linear(engine, cfg.hiddenSize, 2, init));
  }

  get predictions(): LMPredictionHead {
    return this.sub('predictions');
  }

  get seq_relationship(): Linear {
    return this.sub('seq_relationship');
  }
}

class MlmOnlyHead extends Module {
  constructor(engine: Engine, cfg: BertConfig, wordEmbeddings: Tensor, init: HeadInit) {
    super(engine);
    this.child('predictions', new LMPredictionHead(engine, cfg, wordEmbeddings, init));
  }

  get predictions(): LMPredictionHead {
    return this.sub('predictions');
  }
}

/** Every BERT head: the encoder under `bert.` and its input embeddings. */
abstract class BertHead extends Module {
  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: ModelInitOptions & { pooler: boolean },
  ) {
    super(engine);
    this.child('bert', new BertModel(engine, config, options));
  }

  get bert(): BertModel {
    return this.sub('bert');
  }

  getInputEmbeddings(): Embedding {
    return this.bert.getInputEmbeddings();
  }

  protected headInit(options: ModelInitOptions): HeadInit {
    return { std: this.config.initStd, rng: options.rng, init: options.init };
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
export class BertForPreTraining extends BertHead {
  constructor(engine: Engine, config: BertConfig, options: ModelInitOptions = {}) {
    super(engine, config, { ...options, pooler: true });
    const words = this.bert.embeddings.word_embeddings.weight;
    this.child('cls', new PreTrainingHeads(engine, config, words, this.headInit(options)));
  }

  get cls(): PreTrainingHeads {
    return this.sub('cls');
  }

  /** Masked-LM logits at every position, or only at flat `mlmPositions` (b·T + t) to save the V-wide matmul. */
  forward(inputs: BertInputs, options: { mlmPositions?: Int32Array } = {}): PreTrainingOutput {
    const out = this.bert.call(inputs);
    const h = options.mlmPositions ? gatherPositions(out.sequence, options.mlmPositions) : out.sequence;
    return {
      mlmLogits: this.cls.predictions.call(h),
      nspLogits: this.cls.seq_relationship.call(out.pooled as Tensor), // (B, 2)
    };
  }
}

/** HF BertForMaskedLM: `bert.*` (no pooler) + `cls.predictions.*`. */
export class BertForMaskedLM extends BertHead {
  constructor(engine: Engine, config: BertConfig, options: ModelInitOptions = {}) {
    super(engine, config, { ...options, pooler: false });
    const words = this.bert.embeddings.word_embeddings.weight;
    this.child('cls', new MlmOnlyHead(engine, config, words, this.headInit(options)));
  }

  get cls(): MlmOnlyHead {
    return this.sub('cls');
  }

  forward(inputs: BertInputs, options: { mlmPositions?: Int32Array } = {}): Tensor {
    const seq = this.bert.call(inputs).sequence;
    return this.cls.predictions.call(options.mlmPositions ? gatherPositions(seq, options.mlmPositions) : seq);
  }
}

export interface ClassifierOptions extends ModelInitOptions {
  numLabels: number;
  /** Dropout before the classifier (HF classifier_dropout; default the config's hiddenDropout). */
  classifierDropout?: number;
}

/** HF BertForSequenceClassification: dropout(pooled [CLS]) → `classifier` → (B, L) logits. */
export class BertForSequenceClassification extends BertHead {
  readonly numLabels: number;
  readonly classifierDropout: number;

  constructor(engine: Engine, config: BertConfig, options: ClassifierOptions) {
    super(engine, config, { ...options, pooler: true });
    this.numLabels = options.numLabels;
    this.classifierDropout = options.classifierDropout ?? config.hiddenDropout;
    this.child(
      'classifier',
      new Linear(engine, config.hiddenSize, options.numLabels, this.headInit(options)),
    );
  }

  get classifier(): Linear {
    return this.sub('classifier');
  }

  /** (B, L) logits (through call(), so hooks on the head run). */
  logits(inputs: BertInputs): Tensor {
    return this.call(inputs);
  }

  forward(inputs: BertInputs): Tensor {
    const pooled = this.bert.call(inputs).pooled as Tensor; // (B, C)
    return this.classifier.call(dropout(pooled, this.classifierDropout, this.training)); // (B, L)
  }
}

/** HF BertForTokenClassification: dropout(sequence) → `classifier` → (B, T, L) logits. */
export class BertForTokenClassification extends BertHead {
  readonly numLabels: number;
  readonly classifierDropout: number;

  constructor(engine: Engine, config: BertConfig, options: ClassifierOptions) {
    super(engine, config, { ...options, pooler: false });
    this.numLabels = options.numLabels;
    this.classifierDropout = options.classifierDropout ?? config.hiddenDropout;
    this.child(
      'classifier',
      new Linear(engine, config.hiddenSize, options.numLabels, this.headInit(options)),
    );
  }

  get classifier(): Linear {
    return this.sub('classifier');
  }

  /** (B, T, L) logits (through call(), so hooks on the head run). */
  logits(inputs: BertInputs): Tensor {
    return this.call(inputs);
  }

  forward(inputs: BertInputs): Tensor {
    const seq = this.bert.call(inputs).sequence; // (B, T, C)
    return this.classifier.call(dropout(seq, this.classifierDropout, this.training)); // (B, T, L)
  }
}
