/**
 * BERT (Devlin et al. 2019, https://arxiv.org/abs/1810.04805) as Hugging Face's BertModel lays it
 * out: parameter names are the checkpoint keys (`embeddings.word_embeddings.weight`,
 * `encoder.layer.0.attention.self.query.weight`, torch nn.Linear (out, in) layout). Post-LN blocks,
 * exact (erf) GELU, LayerNorm eps 1e-12, tanh pooler on [CLS].
 *
 * Dimension names: B batch, T tokens, C hidden, NH heads, HS = C / NH head size, H feed-forward width.
 */
import { LlmkError } from '../../errors.js';
import { attentionWithProbs } from '../../nn/attention.js';
import { Embedding, type InitMode, LayerNorm, Linear } from '../../nn/layers.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, gelu, tanh } from '../../tensor/ops/elementwise.js';
import { attention, dropout } from '../../tensor/ops/fused.js';
import { reshape, slice, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import {
  type BaseModelOutput,
  embedInputs,
  type ModelInitOptions,
  type ModelOutputOptions,
} from '../outputs.js';
import type { BertConfig } from './config.js';

export interface BertInputs {
  /** (B, T) i32 token ids; null/absent when inputsEmbeds is given. */
  inputIds?: Tensor | null;
  /** (B, T, C) word embeddings to use instead of ids (position and type embeddings are still added). */
  inputsEmbeds?: Tensor | null;
  /** (B, T) i32 segment ids; zeros when absent. */
  tokenTypeIds?: Tensor | null;
  /** (B, T) 1 for real tokens, 0 for padding (i32 or float); all ones when absent. */
  attentionMask?: Tensor | null;
}

export interface BertOutput extends BaseModelOutput {
  /** (B, T, C) last hidden states (= lastHiddenState). */
  sequence: Tensor;
  /** (B, C) tanh(dense([CLS])), or null for a model built without the pooler. */
  pooled: Tensor | null;
}

type LayerInit = { std: number; rng: Rng | undefined; init: InitMode | undefined };

/** Where one forward puts the attention probabilities (null: fused attention, nothing kept). */
interface LayerContext {
  mask: Tensor | null;
  attentions: Tensor[] | null;
}

class BertEmbeddings extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.hiddenSize;
    this.child('word_embeddings', new Embedding(engine, cfg.vocabSize, C, init));
    this.child('position_embeddings', new Embedding(engine, cfg.maxPositionEmbeddings, C, init));
    this.child('token_type_embeddings', new Embedding(engine, cfg.typeVocabSize, C, init));
    this.child('LayerNorm', new LayerNorm(engine, C, cfg.layerNormEps, { init: init.init }));
  }

  get word_embeddings(): Embedding {
    return this.sub('word_embeddings');
  }

  get position_embeddings(): Embedding {
    return this.sub('position_embeddings');
  }

  get token_type_embeddings(): Embedding {
    return this.sub('token_type_embeddings');
  }

  get LayerNorm(): LayerNorm {
    return this.sub('LayerNorm');
  }

  /** `words` (B, T, C) are word embeddings (of ids, or given as inputsEmbeds). */
  forward(words: Tensor, types: Tensor): Tensor {
    const [B, T] = words.shape;
    const pos = this.engine.empty([B, T], 'i32', { uninitialized: true });
    const pv = pos.values();
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pv[b * T + t] = t;
    let x = add(words, this.position_embeddings.call(pos)); // (B, T, C)
    x = add(x, this.token_type_embeddings.call(types)); // (B, T, C)
    return dropout(this.LayerNorm.call(x), this.cfg.hiddenDropout, this.training);
  }
}

class BertSelfAttention extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.hiddenSize;
    this.child('query', new Linear(engine, C, C, init));
    this.child('key', new Linear(engine, C, C, init));
    this.child('value', new Linear(engine, C, C, init));
  }

  get query(): Linear {
    return this.sub('query');
  }

  get key(): Linear {
    return this.sub('key');
  }

  get value(): Linear {
    return this.sub('value');
  }

  /** ctx.mask is the additive (B, 1, 1, T) key mask or null. */
  forward(x: Tensor, ctx: LayerContext): Tensor {
    const [B, T, C] = x.shape;
    const NH = this.cfg.numAttentionHeads;
    const HS = C / NH;
    const heads = (t: Tensor): Tensor => transpose(reshape(t, [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
    const q = heads(this.query.call(x));
    const k = heads(this.key.call(x));
    const v = heads(this.value.call(x));
    let y: Tensor;
    if (ctx.attentions) {
      const a = attentionWithProbs(q, k, v, { causal: false, mask: ctx.mask });
      ctx.attentions.push(a.probs); // (B, NH, T, T)
      y = a.output;
    } else {
      y = attention(q, k, v, { causal: false, mask: ctx.mask }); // (B, NH, T, HS)
    }
    return reshape(transpose(y, 1, 2), [B, T, C]); // (B, T, C)
  }
}

/** dense → dropout → LayerNorm(· + residual): BERT's post-LN residual (BertSelfOutput, BertOutput). */
class BertResidualOutput extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: BertConfig,
    inFeatures: number,
    init: LayerInit,
  ) {
    super(engine);
    this.child('dense', new Linear(engine, inFeatures, cfg.hiddenSize, init));
    this.child('LayerNorm', new LayerNorm(engine, cfg.hiddenSize, cfg.layerNormEps, { init: init.init }));
  }

  get dense(): Linear {
    return this.sub('dense');
  }

  get LayerNorm(): LayerNorm {
    return this.sub('LayerNorm');
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    const y = dropout(this.dense.call(h), this.cfg.hiddenDropout, this.training); // (B, T, C)
    return this.LayerNorm.call(add(y, residual));
  }
}

class BertAttention extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: LayerInit) {
    super(engine);
    this.child('self', new BertSelfAttention(engine, cfg, init));
    this.child('output', new BertResidualOutput(engine, cfg, cfg.hiddenSize, init));
  }

  get self(): BertSelfAttention {
    return this.sub('self');
  }

  get output(): BertResidualOutput {
    return this.sub('output');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    return this.output.call(this.self.call(x, ctx), x);
  }
}

class BertIntermediate extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: LayerInit) {
    super(engine);
    this.child('dense', new Linear(engine, cfg.hiddenSize, cfg.intermediateSize, init));
  }

  get dense(): Linear {
    return this.sub('dense');
  }

  forward(x: Tensor): Tensor {
    return gelu(this.dense.call(x), 'none'); // (B, T, H)
  }
}

class BertLayer extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: LayerInit) {
    super(engine);
    this.child('attention', new BertAttention(engine, cfg, init));
    this.child('intermediate', new BertIntermediate(engine, cfg, init));
    this.child('output', new BertResidualOutput(engine, cfg, cfg.intermediateSize, init));
  }

  get attention(): BertAttention {
    return this.sub('attention');
  }

  get intermediate(): BertIntermediate {
    return this.sub('intermediate');
  }

  get output(): BertResidualOutput {
    return this.sub('output');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    const a = this.attention.call(x, ctx); // (B, T, C)
    return this.output.call(this.intermediate.call(a), a);
  }
}

class BertEncoder extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: LayerInit) {
    super(engine);
    const layers = Array.from({ length: cfg.numHiddenLayers }, () => new BertLayer(engine, cfg, init));
    this.child('layer', new ModuleList(engine, layers));
  }

  get layer(): ModuleList<BertLayer> {
    return this.sub('layer');
  }
}

class BertPooler extends Module {
  constructor(engine: Engine, cfg: BertConfig, init: LayerInit) {
    super(engine);
    this.child('dense', new Linear(engine, cfg.hiddenSize, cfg.hiddenSize, init));
  }

  get dense(): Linear {
    return this.sub('dense');
  }

  forward(sequence: Tensor): Tensor {
    const [B, , C] = sequence.shape;
    const cls = reshape(slice(sequence, 1, 0, 1), [B, C]); // (B, C)
    return tanh(this.dense.call(cls));
  }
}

export interface BertModelOptions extends ModelInitOptions {
  pooler?: boolean;
}

/** The BERT encoder (HF BertModel). Heads wrap it under the `bert.` prefix (heads.ts). */
export class BertModel extends Module {
  constructor(
    engine: Engine,
    readonly config: BertConfig,
    options: BertModelOptions = {},
  ) {
    super(engine);
    const init: LayerInit = { std: config.initStd, rng: options.rng, init: options.init };
    this.child('embeddings', new BertEmbeddings(engine, config, init));
    this.child('encoder', new BertEncoder(engine, config, init));
    if (options.pooler !== false) this.child('pooler', new BertPooler(engine, config, init));
  }

  get embeddings(): BertEmbeddings {
    return this.sub('embeddings');
  }

  get encoder(): BertEncoder {
    return this.sub('encoder');
  }

  get pooler(): BertPooler | null {
    return this.subOrNull('pooler');
  }

  getInputEmbeddings(): Embedding {
    return this.embeddings.word_embeddings;
  }

  /**
   * Sequence and pooled outputs for ids (or inputsEmbeds). hiddenStates (HF order): the embedding
   * output, then each layer's output.
   */
  forward(inputs: BertInputs, options: ModelOutputOptions = {}): BertOutput {
    const { engine, config } = this;
    const C = config.hiddenSize;
    const embeds = inputs.inputsEmbeds ?? options.inputsEmbeds;
    const words = embedInputs('BERT', inputs.inputIds, embeds, this.embeddings.word_embeddings, C); // (B, T, C)
    const [B, T] = words.shape;
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
          `${name} ${shapeString(t.shape)} does not match the input (${B}, ${T})`,
          'give one value per token',
        );
      }
    }
    const types = inputs.tokenTypeIds ?? engine.zeros([B, T], 'i32');
    const mask = inputs.attentionMask ? keyMask(engine, inputs.attentionMask) : null; // (B, 1, 1, T)
    let x = this.embeddings.call(words, types); // (B, T, C)
    const hiddenStates: Tensor[] | null = options.outputHiddenStates ? [x] : null;
    const ctx: LayerContext = { mask, attentions: options.outputAttentions ? [] : null };
    for (const layer of this.encoder.layer) {
      x = layer.call(x, ctx);
      hiddenStates?.push(x);
    }
    const pooler = this.pooler;
    return {
      sequence: x,
      pooled: pooler ? pooler.call(x) : null,
      lastHiddenState: x,
      hiddenStates,
      attentions: ctx.attentions,
    };
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
