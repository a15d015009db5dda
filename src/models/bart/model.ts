/**
 * BART (Lewis et al. 2019, https://arxiv.org/abs/1910.13461) and Marian (Junczys-Dowmunt et al. 2018)
 * as Hugging Face lays them out (transformers `models/bart/modeling_bart.py`,
 * `models/marian/modeling_marian.py`): parameter names are the checkpoint keys
 * (`model.encoder.layers.0.self_attn.q_proj.weight`, torch nn.Linear (out, in) layout), one shared
 * embedding table `model.shared` for encoder, decoder and `lm_head`, a `final_logits_bias` buffer.
 * Post-LN layers: x = LN(x + sublayer(x)).
 *
 * Dimension names: B batch, S source tokens, T new target tokens, P target keys (cache + new),
 * C = dModel, NH heads, HS = C / NH head size, F feed-forward width, V vocabulary.
 */
import { LlmkError } from '../../errors.js';
import { CrossKVCache, KVCache } from '../../nn/kv-cache.js';
import { Embedding, type InitMode, LayerNorm, Linear } from '../../nn/layers.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, gelu, relu, scale, silu } from '../../tensor/ops/elementwise.js';
import { attention, crossEntropy, dropout } from '../../tensor/ops/fused.js';
import { contiguous, reshape, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { keepLastPositions } from '../causal-lm.js';
import type { ModelInitOptions } from '../outputs.js';
import { BART_LAYER_NORM_EPS, BART_POSITION_OFFSET, type BartConfig } from './config.js';
import { SinusoidalPositions } from './positions.js';

type LayerInit = { std: number; rng: Rng | undefined; init: InitMode | undefined };

/**
 * The decoder's caches for one generation: self-attention keys/values of the target tokens so far,
 * and cross-attention keys/values of the encoder output (null: recompute them every step).
 */
export class Seq2SeqCache {
  constructor(
    readonly self: KVCache,
    readonly cross: CrossKVCache | null,
  ) {}

  /** Target tokens cached so far. */
  get length(): number {
    return this.self.length;
  }

  /**
   * Beam search: row b of the self-attention cache becomes row rows[b]. The cross cache is left as
   * it is: beams move only among the rows of their own source, which hold the same encoder keys.
   */
  reorder(rows: readonly number[]): void {
    this.self.reorder(rows);
  }

  dispose(): void {
    this.self.dispose();
    this.cross?.dispose();
  }
}

/** What one encoder or decoder pass hands every layer. */
interface LayerContext {
  layer: number;
  /** Additive (B, 1, 1, keys) mask of the layer's self-attention keys, or null. */
  selfMask: Tensor | null;
  /** Decoder: the encoder output (B, S, C) (null when the cross cache is filled). */
  encoder: Tensor | null;
  /** Decoder: additive (B, 1, 1, S) mask of the source keys, or null. */
  encoderMask: Tensor | null;
  cache: Seq2SeqCache | null;
}

/** BartAttention: q/k/v/out projections with biases; self (causal in the decoder) or cross. */
class BartAttention extends Module {
  constructor(
    engine: Engine,
    readonly dim: number,
    readonly heads: number,
    private readonly kind: 'encoder' | 'causal' | 'cross',
    init: LayerInit,
  ) {
    super(engine);
    for (const name of ['k_proj', 'v_proj', 'q_proj', 'out_proj'])
      this.child(name, new Linear(engine, dim, dim, init));
  }

  get q_proj(): Linear {
    return this.sub('q_proj');
  }

  get k_proj(): Linear {
    return this.sub('k_proj');
  }

  get v_proj(): Linear {
    return this.sub('v_proj');
  }

  get out_proj(): Linear {
    return this.sub('out_proj');
  }

  /** (B, L, C) → (B, NH, L, HS). */
  private split(x: Tensor): Tensor {
    const [B, L, C] = x.shape;
    return contiguous(transpose(reshape(x, [B, L, this.heads, C / this.heads]), 1, 2)); // (B, NH, L, HS)
  }

  /** Cross keys/values of the encoder output (B, S, C) → (B, NH, S, HS) each. */
  crossKV(encoder: Tensor): [Tensor, Tensor] {
    return [this.split(this.k_proj.call(encoder)), this.split(this.v_proj.call(encoder))];
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    const [B, T, C] = x.shape;
    const q = this.split(this.q_proj.call(x)); // (B, NH, T, HS)
    let k: Tensor;
    let v: Tensor;
    let mask: Tensor | null;
    if (this.kind === 'cross') {
      const cross = ctx.cache?.cross ?? null;
      if (cross?.has(ctx.layer)) {
        [k, v] = cross.get(ctx.layer); // (B, NH, S, HS)
      } else {
        if (!ctx.encoder) {
          throw new LlmkError(
            'LLMK_E_ARG',
            'the decoder needs the encoder output',
            'pass encoderHidden, or a cache whose cross-attention part is filled',
          );
        }
        [k, v] = this.crossKV(ctx.encoder); // (B, NH, S, HS)
        cross?.set(ctx.layer, k, v);
      }
      mask = ctx.encoderMask;
    } else {
      k = this.split(this.k_proj.call(x)); // (B, NH, T, HS)
      v = this.split(this.v_proj.call(x)); // (B, NH, T, HS)
      if (this.kind === 'causal' && ctx.cache) [k, v] = ctx.cache.self.append(ctx.layer, k, v); // (B, NH, P, HS)
      mask = ctx.selfMask;
    }
    // HF scales q by head_dim^-0.5 before q·kᵀ; the fused kernel applies the same 1/√HS to the scores.
    const y = attention(q, k, v, { causal: this.kind === 'causal', mask }); // (B, NH, T, HS)
    return this.out_proj.call(reshape(transpose(y, 1, 2), [B, T, C])); // (B, T, C)
  }
}

function activate(x: Tensor, act: BartConfig['activation']): Tensor {
  if (act === 'gelu') return gelu(x, 'none');
  if (act === 'gelu_new') return gelu(x, 'tanh');
  if (act === 'relu') return relu(x);
  return silu(x);
}

/** BartEncoderLayer / BartDecoderLayer: post-LN self-attention, (decoder) cross-attention, fc1 → act → fc2. */
class BartLayer extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: BartConfig,
    readonly decoder: boolean,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.dModel;
    const NH = decoder ? cfg.decoderAttentionHeads : cfg.encoderAttentionHeads;
    const F = decoder ? cfg.decoderFfnDim : cfg.encoderFfnDim;
    const ln = () => new LayerNorm(engine, C, BART_LAYER_NORM_EPS, { init: init.init });
    this.child('self_attn', new BartAttention(engine, C, NH, decoder ? 'causal' : 'encoder', init));
    this.child('self_attn_layer_norm', ln());
    if (decoder) {
      this.child('encoder_attn', new BartAttention(engine, C, NH, 'cross', init));
      this.child('encoder_attn_layer_norm', ln());
    }
    this.child('fc1', new Linear(engine, C, F, init));
    this.child('fc2', new Linear(engine, F, C, init));
    this.child('final_layer_norm', ln());
  }

  get self_attn(): BartAttention {
    return this.sub('self_attn');
  }

  get self_attn_layer_norm(): LayerNorm {
    return this.sub('self_attn_layer_norm');
  }

  get encoder_attn(): BartAttention {
    return this.sub('encoder_attn');
  }

  get encoder_attn_layer_norm(): LayerNorm {
    return this.sub('encoder_attn_layer_norm');
  }

  get fc1(): Linear {
    return this.sub('fc1');
  }

  get fc2(): Linear {
    return this.sub('fc2');
  }

  get final_layer_norm(): LayerNorm {
    return this.sub('final_layer_norm');
  }

  private drop(x: Tensor): Tensor {
    return dropout(x, this.cfg.dropout, this.training);
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    x = this.self_attn_layer_norm.call(add(x, this.drop(this.self_attn.call(x, ctx)))); // (B, T, C)
    if (this.decoder)
      x = this.encoder_attn_layer_norm.call(add(x, this.drop(this.encoder_attn.call(x, ctx)))); // (B, T, C)
    const h = activate(this.fc1.call(x), this.cfg.activation); // (B, T, F)
    return this.final_layer_norm.call(add(x, this.drop(this.fc2.call(h)))); // (B, T, C)
  }
}

/**
 * BartEncoder / BartDecoder (and Marian's): token embeddings (× √C with scaleEmbedding) + positions
 * (learned with offset 2, or sinusoidal), BART's layernorm_embedding, then the layers.
 */
class BartStack extends Module {
  private readonly sinusoidal: SinusoidalPositions | null;

  constructor(
    engine: Engine,
    private readonly cfg: BartConfig,
    shared: Embedding,
    readonly decoder: boolean,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.dModel;
    this.child('embed_tokens', Embedding.fromWeights(shared.weight));
    const marian = cfg.flavor === 'marian';
    this.sinusoidal = marian ? new SinusoidalPositions(cfg.maxPositionEmbeddings, C) : null;
    if (!marian) {
      const rows = cfg.maxPositionEmbeddings + BART_POSITION_OFFSET;
      this.child('embed_positions', new Embedding(engine, rows, C, init));
    }
    const n = decoder ? cfg.decoderLayers : cfg.encoderLayers;
    const layers = Array.from({ length: n }, () => new BartLayer(engine, cfg, decoder, init));
    this.child('layers', new ModuleList(engine, layers));
    if (!marian)
      this.child('layernorm_embedding', new LayerNorm(engine, C, BART_LAYER_NORM_EPS, { init: init.init }));
  }

  get embed_tokens(): Embedding {
    return this.sub('embed_tokens');
  }

  get embed_positions(): Embedding | null {
    return this.subOrNull('embed_positions');
  }

  get layers(): ModuleList<BartLayer> {
    return this.sub('layers');
  }

  get layernorm_embedding(): LayerNorm | null {
    return this.subOrNull('layernorm_embedding');
  }

  /** Embeddings of ids (B, T) at positions start … start + T − 1 → (B, T, C). */
  embed(ids: Tensor, start: number): Tensor {
    const { engine, cfg } = this;
    const T = ids.shape[1];
    if (start + T > cfg.maxPositionEmbeddings) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `${this.decoder ? 'target' : 'source'} of ${start + T} tokens exceeds maxPositionEmbeddings ${cfg.maxPositionEmbeddings}`,
        'truncate the input, or generate fewer tokens',
      );
    }
    let x = this.embed_tokens.call(ids); // (B, T, C)
    if (cfg.scaleEmbedding) x = scale(x, Math.sqrt(cfg.dModel)); // (B, T, C)
    let pos: Tensor;
    const learned = this.embed_positions;
    if (learned) {
      const rows = engine.empty([T], 'i32', { uninitialized: true });
      const v = rows.values();
      for (let t = 0; t < T; t++) v[t] = start + t + BART_POSITION_OFFSET;
      pos = learned.call(rows); // (T, C)
    } else {
      pos = (this.sinusoidal as SinusoidalPositions).table(engine, start, T); // (T, C)
    }
    x = add(x, pos); // (B, T, C)
    const ln = this.layernorm_embedding;
    if (ln) x = ln.call(x);
    return dropout(x, cfg.dropout, this.training);
  }

  forward(ids: Tensor, ctx: LayerContext): Tensor {
    let x = this.embed(ids, ctx.cache && this.decoder ? ctx.cache.length : 0); // (B, T, C)
    for (const layer of this.layers) {
      x = layer.call(x, ctx);
      ctx.layer++;
    }
    if (ctx.cache && this.decoder) ctx.cache.self.length += ids.shape[1];
    return x;
  }
}

/** Additive (B, 1, 1, L) key mask from a (B, L) 1/0 attention mask (i32 or float): 0 keep, −∞ drop. */
export function keyPaddingMask(engine: Engine, attentionMask: Tensor, B: number, L: number): Tensor {
  if (attentionMask.rank !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== L) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `attention mask ${shapeString(attentionMask.shape)} does not match the tokens (${B}, ${L})`,
      'give one 1 (token) or 0 (padding) per token',
    );
  }
  const src = attentionMask.toArray();
  const out = engine.empty([B, 1, 1, L], 'f32', { uninitialized: true });
  const v = out.values();
  for (let i = 0; i < B * L; i++) v[i] = src[i] === 0 ? Number.NEGATIVE_INFINITY : 0;
  return out;
}

/** HF BartModel / MarianModel: `shared`, `encoder`, `decoder`. */
export class BartModel extends Module {
  constructor(
    engine: Engine,
    readonly config: BartConfig,
    options: ModelInitOptions = {},
  ) {
    super(engine);
    const init: LayerInit = { std: config.initStd, rng: options.rng, init: options.init };
    const shared = this.child('shared', new Embedding(engine, config.vocabSize, config.dModel, init));
    this.child('encoder', new BartStack(engine, config, shared, false, init));
    this.child('decoder', new BartStack(engine, config, shared, true, init));
  }

  get shared(): Embedding {
    return this.sub('shared');
  }

  get encoder(): BartStack {
    return this.sub('encoder');
  }

  get decoder(): BartStack {
    return this.sub('decoder');
  }
}

export interface Seq2SeqInputs {
  /** (B, S) i32 source ids. */
  inputIds: Tensor;
  /** (B, S) 1 for tokens, 0 for padding; all ones when absent. */
  attentionMask?: Tensor | null;
  /** (B, T) i32 decoder inputs (labels shifted right, starting with decoderStartTokenId). */
  decoderInputIds: Tensor;
  /** (B, T) 1/0 mask of the decoder inputs (right padding needs none: causal rows never see it). */
  decoderAttentionMask?: Tensor | null;
}

export interface Seq2SeqDecodeOptions {
  /** (B, S) 1/0 mask of the source tokens. */
  encoderAttentionMask?: Tensor | null;
  /** (B, T) 1/0 mask of the decoder inputs (without a cache). */
  decoderAttentionMask?: Tensor | null;
  cache?: Seq2SeqCache | null;
  /** Logits for the last this-many positions only. */
  logitsToKeep?: number;
}

/**
 * HF BartForConditionalGeneration / MarianMTModel: `model.*`, `lm_head` (model.shared's tensor when
 * tied) and the `final_logits_bias` buffer (1, V), added to the logits; saved with the weights and
 * never trained (a frozen parameter here).
 */
export class BartForConditionalGeneration extends Module {
  readonly final_logits_bias: Tensor;

  constructor(
    engine: Engine,
    readonly config: BartConfig,
    options: ModelInitOptions = {},
  ) {
    super(engine);
    const V = config.vocabSize;
    const bias = engine.empty([1, V], 'f32', { uninitialized: true, persistent: true });
    if (options.init !== 'empty') bias.values().fill(0);
    this.final_logits_bias = this.param('final_logits_bias', bias);
    this.final_logits_bias.requiresGrad = false;
    const body = this.child('model', new BartModel(engine, config, options));
    const init = { std: config.initStd, rng: options.rng, init: options.init, bias: false };
    this.child(
      'lm_head',
      config.tieWordEmbeddings
        ? Linear.fromWeights(body.shared.weight)
        : new Linear(engine, config.dModel, V, init),
    );
  }

  get model(): BartModel {
    return this.sub('model');
  }

  get lm_head(): Linear {
    return this.sub('lm_head');
  }

  getInputEmbeddings(): Embedding {
    return this.model.shared;
  }

  /** Encoder output (B, S, C) for source ids (B, S) and their 1/0 padding mask. */
  encode(inputIds: Tensor, attentionMask: Tensor | null = null): Tensor {
    checkIds(inputIds, 'inputIds');
    const [B, S] = inputIds.shape;
    const selfMask = attentionMask ? keyPaddingMask(this.engine, attentionMask, B, S) : null; // (B, 1, 1, S)
    const ctx: LayerContext = { layer: 0, selfMask, encoder: null, encoderMask: null, cache: null };
    return this.model.encoder.call(inputIds, ctx); // (B, S, C)
  }

  /**
   * Logits (B, T, V) of decoder ids (B, T) given the encoder output (B, S, C) (may be null when the
   * cache's cross part is filled). With a cache, positions continue after the cached target tokens.
   */
  decode(decoderInputIds: Tensor, encoderHidden: Tensor | null, options: Seq2SeqDecodeOptions = {}): Tensor {
    checkIds(decoderInputIds, 'decoderInputIds');
    const { engine } = this;
    const [B, T] = decoderInputIds.shape;
    const cache = options.cache ?? null;
    const S = encoderHidden?.shape[1] ?? cache?.cross?.keys[0]?.shape[2] ?? 0;
    const encoderMask = options.encoderAttentionMask
      ? keyPaddingMask(engine, options.encoderAttentionMask, B, S)
      : null; // (B, 1, 1, S)
    if (options.decoderAttentionMask && cache && cache.length > 0) {
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        'decoderAttentionMask with a filled cache',
        'decode unpadded rows step by step (generation needs no decoder mask)',
      );
    }
    const selfMask = options.decoderAttentionMask
      ? keyPaddingMask(engine, options.decoderAttentionMask, B, T)
      : null; // (B, 1, 1, T)
    const ctx: LayerContext = { layer: 0, selfMask, encoder: encoderHidden, encoderMask, cache };
    const h = this.model.decoder.call(decoderInputIds, ctx); // (B, T, C)
    const logits = this.lm_head.call(keepLastPositions(h, options.logitsToKeep)); // (B, T', V)
    return add(logits, this.final_logits_bias); // (B, T', V)
  }

  /** Teacher-forced logits (B, T, V): encode the source, decode the given decoder inputs. */
  forward(inputs: Seq2SeqInputs): Tensor {
    const enc = this.encode(inputs.inputIds, inputs.attentionMask ?? null); // (B, S, C)
    return this.decode(inputs.decoderInputIds, enc, {
      encoderAttentionMask: inputs.attentionMask ?? null,
      decoderAttentionMask: inputs.decoderAttentionMask ?? null,
    }); // (B, T, V)
  }

  /**
   * Teacher-forced loss: mean cross-entropy of the logits for `inputs` against labels (B, T) — the
   * decoder inputs are the labels shifted right (`shiftTokensRight`); labels equal to −100 are
   * ignored; `labelSmoothing` ε mixes ε/V uniform into the target as PyTorch's CrossEntropyLoss
   * (what HF's Seq2SeqTrainer `label_smoothing_factor` amounts to over non-ignored tokens).
   */
  loss(inputs: Seq2SeqInputs, labels: Tensor, options: { labelSmoothing?: number } = {}): Tensor {
    const logits = this.call(inputs); // (B, T, V)
    const [B, T, V] = logits.shape;
    return crossEntropy(reshape(logits, [B * T, V]), reshape(labels, [B * T]), {
      ignoreIndex: -100,
      labelSmoothing: options.labelSmoothing ?? 0,
    }); // ()
  }

  /**
   * Fills the cross-attention part of `cache` from the encoder output (B, S, C) — once per
   * generation — so decoding steps need no encoder output.
   */
  fillCrossCache(cache: Seq2SeqCache, encoderHidden: Tensor): void {
    if (!cache.cross) return;
    let i = 0;
    for (const layer of this.model.decoder.layers) {
      const [k, v] = layer.encoder_attn.crossKV(encoderHidden); // (B, NH, S, HS) each
      cache.cross.set(i++, k, v);
    }
  }

  /** A cache for one generation; `crossCache: false` recomputes cross keys/values every step. */
  newCache(options: { crossCache?: boolean } = {}): Seq2SeqCache {
    const n = this.config.decoderLayers;
    return new Seq2SeqCache(new KVCache(n), options.crossCache === false ? null : new CrossKVCache(n));
  }
}

function checkIds(ids: Tensor, what: string): void {
  if (ids.rank !== 2 || ids.dtype !== 'i32') {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `${what} must be (B, T) i32 token ids, got ${ids.dtype} ${shapeString(ids.shape)}`,
      'pass ids as engine.tensor(Int32Array, [B, T], "i32")',
    );
  }
}

/**
 * HF `shift_tokens_right`: decoder inputs (B, T) from labels (B, T) — decoderStart, then the labels
 * without their last token, −100 replaced by pad.
 */
export function shiftTokensRight(labels: Tensor, padTokenId: number, decoderStartTokenId: number): Tensor {
  checkIds(labels, 'labels');
  const [B, T] = labels.shape;
  const src = labels.toArray();
  const out = labels.engine.empty([B, T], 'i32', { uninitialized: true });
  const v = out.values();
  for (let b = 0; b < B; b++) {
    v[b * T] = decoderStartTokenId;
    for (let t = 1; t < T; t++) {
      const x = src[b * T + t - 1];
      v[b * T + t] = x === -100 ? padTokenId : x;
    }
  }
  return out; // (B, T)
}
