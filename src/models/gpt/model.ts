/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's GPT2LMHeadModel lays it out: parameter names are the
 * checkpoint keys (`transformer.h.0.attn.c_attn.weight`, Conv1D (in, out) layout). Options cover
 * the common modern variants (no bias, RMSNorm, SwiGLU, rotary positions, grouped-query attention).
 *
 * Dimension names: B batch, T new tokens, S keys (cache + new), C = nEmbd, NH heads, NKV kv heads,
 * HS = C / NH head size, V vocabulary.
 */
import { LlmkError } from '../../errors.js';
import { attentionWithProbs } from '../../nn/attention.js';
import { KVCache } from '../../nn/kv-cache.js';
import { Dropout, Embedding, type InitMode, LayerNorm, Linear, RMSNorm } from '../../nn/layers.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, gelu, mul, silu } from '../../tensor/ops/elementwise.js';
import { attention, dropout, rope, ropeTables } from '../../tensor/ops/fused.js';
import { contiguous, permute, reshape, slice, split, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type CausalLMOutput, keepLastPositions, nextTokenLoss } from '../causal-lm.js';
import {
  type BaseModelOutput,
  embedInputs,
  type ModelInitOptions,
  type ModelOutputOptions,
} from '../outputs.js';
import type { GPTConfig } from './config.js';

export interface ForwardOptions extends ModelOutputOptions {
  cache?: KVCache;
  /** (B, T) i32 positions; default cache.length + 0…T−1 for every row. */
  positionIds?: Tensor;
  /** (B, S) additive key mask (0 keep, −Infinity drop), e.g. from left padding. */
  keyMask?: Tensor;
  /** Logits for the last this-many positions only (default all): (B, logitsToKeep, V). */
  logitsToKeep?: number;
}

/** What one forward hands every block: its index, the rotary tables and where to put attentions. */
interface LayerContext {
  layer: number;
  rot: { cos: Tensor; sin: Tensor } | null;
  options: ForwardOptions;
  attentions: Tensor[] | null;
}

type LayerInit = { std: number; rng: Rng | undefined; init: InitMode | undefined };

class CausalSelfAttention extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: GPTConfig,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.nEmbd;
    const HS = C / cfg.nHead;
    const kvWidth = cfg.nKvHead * HS;
    this.child(
      'c_attn',
      new Linear(engine, C, C + 2 * kvWidth, { ...init, layout: 'in_out', bias: cfg.bias }),
    );
    // GPT-2 scales residual projections by 1/√(2·nLayer) at init.
    const std = init.std / Math.sqrt(2 * cfg.nLayer);
    this.child('c_proj', new Linear(engine, C, C, { ...init, std, layout: 'in_out', bias: cfg.bias }));
  }

  get c_attn(): Linear {
    return this.sub('c_attn');
  }

  get c_proj(): Linear {
    return this.sub('c_proj');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    const [B, T, C] = x.shape;
    const { nHead: NH, nKvHead: NKV } = this.cfg;
    const HS = C / NH;
    const { rot, options } = ctx;
    const qkv = this.c_attn.call(x); // (B, T, (NH + 2·NKV)·HS)
    // One copy puts every head's q, k, v in (·, B, heads, T, HS) order; q, k, v are dense slices of it.
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (NKV === NH) {
      const heads = contiguous(permute(reshape(qkv, [B, T, 3, NH, HS]), [2, 0, 3, 1, 4])); // (3, B, NH, T, HS)
      [q, k, v] = [0, 1, 2].map((i) => reshape(slice(heads, 0, i, i + 1), [B, NH, T, HS]));
    } else {
      const [qf, kf, vf] = split(qkv, [C, NKV * HS, NKV * HS], -1);
      q = transpose(reshape(qf, [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
      k = transpose(reshape(kf, [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
      v = transpose(reshape(vf, [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
    }
    if (rot) {
      q = rope(q, rot.cos, rot.sin);
      k = rope(k, rot.cos, rot.sin);
    }
    if (options.cache) [k, v] = options.cache.append(ctx.layer, contiguous(k), contiguous(v)); // (B, NKV, S, HS)
    const mask = options.keyMask ? reshape(options.keyMask, [B, 1, 1, options.keyMask.shape[1]]) : null;
    let y: Tensor;
    if (ctx.attentions) {
      const a = attentionWithProbs(q, k, v, { causal: true, mask });
      ctx.attentions.push(a.probs); // (B, NH, T, S)
      y = a.output; // (B, NH, T, HS)
    } else {
      y = attention(q, k, v, { causal: true, mask }); // (B, NH, T, HS)
    }
    y = reshape(transpose(y, 1, 2), [B, T, C]); // (B, T, C)
    return dropout(this.c_proj.call(y), this.cfg.dropout, this.training);
  }
}

class MLP extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: GPTConfig,
    init: LayerInit,
  ) {
    super(engine);
    const C = cfg.nEmbd;
    const H = cfg.nInner;
    const fcOut = cfg.mlp === 'swiglu' ? 2 * H : H;
    this.child('c_fc', new Linear(engine, C, fcOut, { ...init, layout: 'in_out', bias: cfg.bias }));
    const std = init.std / Math.sqrt(2 * cfg.nLayer);
    this.child('c_proj', new Linear(engine, H, C, { ...init, std, layout: 'in_out', bias: cfg.bias }));
  }

  get c_fc(): Linear {
    return this.sub('c_fc');
  }

  get c_proj(): Linear {
    return this.sub('c_proj');
  }

  forward(x: Tensor): Tensor {
    const h = this.c_fc.call(x); // (B, T, H) or (B, T, 2H)
    let a: Tensor;
    if (this.cfg.mlp === 'swiglu') {
      const [gate, up] = split(h, [this.cfg.nInner, this.cfg.nInner], -1);
      a = mul(silu(gate), up); // (B, T, H)
    } else {
      a = gelu(h, this.cfg.gelu === 'erf' ? 'none' : 'tanh'); // (B, T, H)
    }
    return dropout(this.c_proj.call(a), this.cfg.dropout, this.training);
  }
}

type Norm = LayerNorm | RMSNorm;

function makeNorm(engine: Engine, cfg: GPTConfig, init: LayerInit): Norm {
  return cfg.norm === 'rmsnorm'
    ? new RMSNorm(engine, cfg.nEmbd, cfg.layerNormEps, { init: init.init })
    : new LayerNorm(engine, cfg.nEmbd, cfg.layerNormEps, { bias: cfg.bias, init: init.init });
}

class Block extends Module {
  constructor(engine: Engine, cfg: GPTConfig, init: LayerInit) {
    super(engine);
    this.child('ln_1', makeNorm(engine, cfg, init));
    this.child('attn', new CausalSelfAttention(engine, cfg, init));
    this.child('ln_2', makeNorm(engine, cfg, init));
    this.child('mlp', new MLP(engine, cfg, init));
  }

  get ln_1(): Norm {
    return this.sub('ln_1');
  }

  get attn(): CausalSelfAttention {
    return this.sub('attn');
  }

  get ln_2(): Norm {
    return this.sub('ln_2');
  }

  get mlp(): MLP {
    return this.sub('mlp');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    x = add(x, this.attn.call(this.ln_1.call(x), ctx));
    return add(x, this.mlp.call(this.ln_2.call(x)));
  }
}

/** The decoder body (HF GPT2Model), named `transformer.` inside GPT and the task heads. */
export class GPTModel extends Module {
  constructor(
    engine: Engine,
    readonly config: GPTConfig,
    options: ModelInitOptions = {},
  ) {
    super(engine);
    const cfg = config;
    const init: LayerInit = { std: cfg.initStd, rng: options.rng, init: options.init };
    this.child('wte', new Embedding(engine, cfg.vocabSize, cfg.nEmbd, init));
    if (cfg.positions === 'learned') this.child('wpe', new Embedding(engine, cfg.nCtx, cfg.nEmbd, init));
    this.child('drop', new Dropout(engine, cfg.dropout));
    const blocks = Array.from({ length: cfg.nLayer }, () => new Block(engine, cfg, init));
    this.child('h', new ModuleList(engine, blocks));
    this.child('ln_f', makeNorm(engine, cfg, init));
  }

  get wte(): Embedding {
    return this.sub('wte');
  }

  get wpe(): Embedding | null {
    return this.subOrNull('wpe');
  }

  get drop(): Dropout {
    return this.sub('drop');
  }

  get h(): ModuleList<Block> {
    return this.sub('h');
  }

  get ln_f(): Norm {
    return this.sub('ln_f');
  }

  getInputEmbeddings(): Embedding {
    return this.wte;
  }

  /**
   * Final hidden states (B, T', C) for token ids (B, T) or options.inputsEmbeds (B, T, C) with null
   * ids; T' = logitsToKeep when given. With a cache, positions continue after the cached tokens.
   * hiddenStates (HF order): the embedding output, each block's output, the last one after ln_f.
   */
  forward(idx: Tensor | null, options: ForwardOptions = {}): BaseModelOutput {
    const { engine, config } = this;
    let x = embedInputs('GPT', idx, options.inputsEmbeds, this.wte, config.nEmbd); // (B, T, C)
    const [B, T] = x.shape;
    const start = options.cache?.length ?? 0;
    if (start + T > config.nCtx) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `sequence of ${start + T} tokens exceeds the context ${config.nCtx}`,
        'truncate the prompt or generate fewer tokens (or crop the cache)',
      );
    }
    let rot: { cos: Tensor; sin: Tensor } | null = null;
    const wpe = this.wpe;
    if (wpe) {
      const pos = options.positionIds ?? positionsFrom(engine, B, T, start);
      x = add(x, wpe.call(pos)); // (B, T, C)
    } else {
      if (options.positionIds) {
        throw new LlmkError(
          'LLMK_E_UNSUPPORTED',
          'positionIds with rotary positions',
          'rotary GPT variants take positions from the cache length',
        );
      }
      rot = ropeTables(engine, T, config.nEmbd / config.nHead, config.ropeTheta, start);
    }
    x = this.drop.call(x);
    const hiddenStates: Tensor[] | null = options.outputHiddenStates ? [] : null;
    const ctx: LayerContext = { layer: 0, rot, options, attentions: options.outputAttentions ? [] : null };
    for (const block of this.h) {
      hiddenStates?.push(x);
      x = block.call(x, ctx);
      ctx.layer++;
    }
    if (options.cache) options.cache.length += T;
    x = this.ln_f.call(keepLastPositions(x, options.logitsToKeep)); // (B, T', C)
    hiddenStates?.push(x);
    return { lastHiddenState: x, hiddenStates, attentions: ctx.attentions };
  }
}

export interface GPTOptions extends ModelInitOptions {}

/** GPT2LMHeadModel: `transformer.*` and `lm_head` (a Linear holding wte's tensor when tied). */
export class GPT extends Module {
  readonly config: GPTConfig;

  constructor(engine: Engine, config: GPTConfig, options: GPTOptions = {}) {
    super(engine);
    this.config = config;
    const body = this.child('transformer', new GPTModel(engine, config, options));
    const C = config.nEmbd;
    const V = config.vocabSize;
    const init = { std: config.initStd, rng: options.rng, init: options.init, bias: false };
    this.child(
      'lm_head',
      config.tieEmbeddings ? Linear.fromWeights(body.wte.weight) : new Linear(engine, C, V, init),
    );
  }

  get transformer(): GPTModel {
    return this.sub('transformer');
  }

  /** (V, C) projection to the vocabulary; its weight is wte's tensor when embeddings are tied. */
  get lm_head(): Linear {
    return this.sub('lm_head');
  }

  getInputEmbeddings(): Embedding {
    return this.transformer.wte;
  }

  /**
   * Logits (B, T, V) for token ids (B, T), or (B, logitsToKeep, V). With a cache, positions continue
   * after the cached tokens. Pass null ids with options.inputsEmbeds to start from embeddings.
   */
  forward(idx: Tensor | null, options: ForwardOptions = {}): Tensor {
    return this.outputs(idx, options).logits;
  }

  /** Logits plus the hidden states and attention probabilities asked for in options. */
  outputs(idx: Tensor | null, options: ForwardOptions = {}): CausalLMOutput {
    const out = this.transformer.call(idx, options);
    return { ...out, logits: this.lm_head.call(out.lastHiddenState) }; // (B, T', V)
  }

  /** Mean cross-entropy of next-token prediction; targets (B, T) with ignoreIndex −100. */
  loss(idx: Tensor, targets: Tensor, options: { ignoreIndex?: number } = {}): Tensor {
    return nextTokenLoss(this.call(idx), targets, options.ignoreIndex); // (B, T, V) → ()
  }

  newCache(): KVCache {
    return new KVCache(this.config.nLayer);
  }
}

function positionsFrom(engine: Engine, B: number, T: number, start: number): Tensor {
  const pos = engine.empty([B, T], 'i32', { uninitialized: true });
  const v = pos.values();
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) v[b * T + t] = start + t;
  return pos;
}
