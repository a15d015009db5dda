/**
 * BERT (Devlin et al. 2019, https://arxiv.org/abs/1810.04805) as Hugging Face's BertModel lays it
 * out: parameter names are the checkpoint keys (`embeddings.word_embeddings.weight`,
 * `encoder.layer.0.attention.self.query.weight`, torch nn.Linear (out, in) layout). Post-LN blocks,
 * exact (erf) GELU, LayerNorm eps 1e-12, tanh pooler on [CLS].
 *
 * Dimension names: B batch, T tokens, C hidden, NH heads, HS = C / NH head size, H feed-forward width.
 */
import { LlmkError } from '../../errors.js';
import { Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, gelu, tanh } from '../../tensor/ops/elementwise.js';
import { attention, dropout } from '../../tensor/ops/fused.js';
import { reshape, slice, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import type { BertConfig } from './config.js';

export interface BertInputs {
  /** (B, T) i32 token ids. */
  inputIds: Tensor;
  /** (B, T) i32 segment ids; zeros when absent. */
  tokenTypeIds?: Tensor | null;
  /** (B, T) 1 for real tokens, 0 for padding (i32 or float); all ones when absent. */
  attentionMask?: Tensor | null;
}

export interface BertOutput {
  /** (B, T, C) last hidden states. */
  sequence: Tensor;
  /** (B, C) tanh(dense([CLS])), or null for a model built without the pooler. */
  pooled: Tensor | null;
}

class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;

  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    rng: Rng | undefined,
  ) {
    super(engine);
    const C = cfg.hiddenSize;
    const init = { std: cfg.initStd, rng };
    this.word_embeddings = this.child('word_embeddings', new Embedding(engine, cfg.vocabSize, C, init));
    this.position_embeddings = this.child(
      'position_embeddings',
      new Embedding(engine, cfg.maxPositionEmbeddings, C, init),
    );
    this.token_type_embeddings = this.child(
      'token_type_embeddings',
      new Embedding(engine, cfg.typeVocabSize, C, init),
    );
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(engine, C, cfg.layerNormEps));
  }

  forward(ids: Tensor, types: Tensor): Tensor {
    const [B, T] = ids.shape;
    const pos = this.engine.empty([B, T], 'i32', { uninitialized: true });
    const pv = pos.values();
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pv[b * T + t] = t;
    let x = this.word_embeddings.forward(ids); // (B, T, C)
    x = add(x, this.position_embeddings.forward(pos)); // (B, T, C)
    x = add(x, this.token_type_embeddings.forward(types)); // (B, T, C)
    return dropout(this.LayerNorm.forward(x), this.cfg.hiddenDropout, this.training);
  }
}

class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    rng: Rng | undefined,
  ) {
    super(engine);
    const C = cfg.hiddenSize;
    const init = { std: cfg.initStd, rng };
    this.query = this.child('query', new Linear(engine, C, C, init));
    this.key = this.child('key', new Linear(engine, C, C, init));
    this.value = this.child('value', new Linear(engine, C, C, init));
  }

  /** `mask` is the additive (B, 1, 1, T) key mask or null. */
  forward(x: Tensor, mask: Tensor | null): Tensor {
    const [B, T, C] = x.shape;
    const NH = this.cfg.numAttentionHeads;
    const HS = C / NH;
    const heads = (t: Tensor): Tensor => transpose(reshape(t, [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
    const y = attention(
      heads(this.query.forward(x)),
      heads(this.key.forward(x)),
      heads(this.value.forward(x)),
      {
        causal: false,
        mask,
      },
    ); // (B, NH, T, HS)
    return reshape(transpose(y, 1, 2), [B, T, C]); // (B, T, C)
  }
}

/** dense → dropout → LayerNorm(· + residual): BERT's post-LN residual (BertSelfOutput, BertOutput). */
class BertResidualOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    inFeatures: number,
    rng: Rng | undefined,
  ) {
    super(engine);
    this.dense = this.child(
      'dense',
      new Linear(engine, inFeatures, cfg.hiddenSize, { std: cfg.initStd, rng }),
    );
    this.LayerNorm = this.child('LayerNorm', new LayerNorm(engine, cfg.hiddenSize, cfg.layerNormEps));
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    const y = dropout(this.dense.forward(h), this.cfg.hiddenDropout, this.training); // (B, T, C)
    return this.LayerNorm.forward(add(y, residual));
  }
}

class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.self = this.child('self', new BertSelfAttention(engine, cfg, rng));
    this.output = this.child('output', new BertResidualOutput(engine, cfg, cfg.hiddenSize, rng));
  }

  forward(x: Tensor, mask: Tensor | null): Tensor {
    return this.output.forward(this.self.forward(x, mask), x);
  }
}

class BertIntermediate extends Module {
  readonly dense: Linear;

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.dense = this.child(
      'dense',
      new Linear(engine, cfg.hiddenSize, cfg.intermediateSize, { std: cfg.initStd, rng }),
    );
  }

  forward(x: Tensor): Tensor {
    return gelu(this.dense.forward(x), 'none'); // (B, T, H)
  }
}

class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: BertIntermediate;
  readonly output: BertResidualOutput;

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.attention = this.child('attention', new BertAttention(engine, cfg, rng));
    this.intermediate = this.child('intermediate', new BertIntermediate(engine, cfg, rng));
    this.output = this.child('output', new BertResidualOutput(engine, cfg, cfg.intermediateSize, rng));
  }

  forward(x: Tensor, mask: Tensor | null): Tensor {
    const a = this.attention.forward(x, mask); // (B, T, C)
    return this.output.forward(this.intermediate.forward(a), a);
  }
}

class BertEncoder extends Module {
  readonly layer: BertLayer[];

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.layer = Array.from({ length: cfg.numHiddenLayers }, (_, i) =>
      this.child(`layer.${i}`, new BertLayer(engine, cfg, rng)),
    );
  }
}

class BertPooler extends Module {
  readonly dense: Linear;

  constructor(engine: Engine, cfg: BertConfig, rng: Rng | undefined) {
    super(engine);
    this.dense = this.child(
      'dense',
      new Linear(engine, cfg.hiddenSize, cfg.hiddenSize, { std: cfg.initStd, rng }),
    );
  }

  forward(sequence: Tensor): Tensor {
    const [B, , C] = sequence.shape;
    const cls = reshape(slice(sequence, 1, 0, 1), [B, C]); // (B, C)
    return tanh(this.dense.forward(cls));
  }
}

/** The BERT encoder (HF BertModel). Heads wrap it under the `bert.` prefix (heads.ts). */
export class BertModel extends Module {
  readonly embeddings: BertEmbeddings;
  readonly encoder: BertEncoder;
  readonly pooler: BertPooler | null;

  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: { rng?: Rng; pooler?: boolean } = {},
  ) {
    super(engine);
    this.embeddings = this.child('embeddings', new BertEmbeddings(engine, config, options.rng));
    this.encoder = this.child('encoder', new BertEncoder(engine, config, options.rng));
    this.pooler =
      options.pooler === false ? null : this.child('pooler', new BertPooler(engine, config, options.rng));
  }

  forward(inputs: BertInputs): BertOutput {
    const { engine, config } = this;
    const ids = inputs.inputIds;
    if (ids.rank !== 2 || ids.dtype !== 'i32') {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `BERT input must be (B, T) i32 token ids, got ${ids.dtype} ${shapeString(ids.shape)}`,
        'pass ids as engine.tensor(Int32Array, [B, T], "i32")',
      );
    }
    const [B, T] = ids.shape;
    if (T > config.maxPositionEmbeddings) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `sequence of ${T} tokens exceeds maxPositionEmbeddings ${config.maxPositionEmbeddings}`,
        'truncate the input (e.g. --max-length)',
      );
    }
    for (const [name, t] of [
      ['tokenTypeIds', inputs.tokenTypeIds],
      ['attentionMask', inputs.attentionMask],
    ] as const) {
      if (t && (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== T)) {
        throw new LlmkError(
          'LLMK_E_SHAPE',
          `${name} ${shapeString(t.shape)} does not match input ids ${shapeString(ids.shape)}`,
          'give one value per token',
        );
      }
    }
    const types = inputs.tokenTypeIds ?? engine.zeros([B, T], 'i32');
    const mask = inputs.attentionMask ? keyMask(engine, inputs.attentionMask) : null; // (B, 1, 1, T)
    let x = this.embeddings.forward(ids, types); // (B, T, C)
    for (const layer of this.encoder.layer) x = layer.forward(x, mask);
    return { sequence: x, pooled: this.pooler ? this.pooler.forward(x) : null };
  }
}

/** (B, T) 1/0 attention mask → additive (B, 1, 1, T) key mask: 0 keep, −∞ drop. */
function keyMask(engine: Engine, attentionMask: Tensor): Tensor {
  const [B, T] = attentionMask.shape;
  const src = attentionMask.toArray();
  const out = engine.empty([B, 1, 1, T], 'f32', { uninitialized: true });
  const v = out.values();
  for (let i = 0; i < B * T; i++) v[i] = src[i] === 0 ? Number.NEGATIVE_INFINITY : 0;
  return out;
}
