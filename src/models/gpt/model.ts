/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's GPT2LMHeadModel lays it out: parameter names are the
 * checkpoint keys (`transformer.h.0.attn.c_attn.weight`, Conv1D (in, out) layout). Options cover
 * the common modern variants (no bias, RMSNorm, SwiGLU, rotary positions, grouped-query attention).
 *
 * Dimension names: B batch, T new tokens, S keys (cache + new), C = nEmbd, NH heads, NKV kv heads,
 * HS = C / NH head size, V vocabulary.
 */
import { LlmkError } from '../../errors.js';
import { KVCache } from '../../nn/kv-cache.js';
import { Dropout, Embedding, LayerNorm, Linear, RMSNorm } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, gelu, mul, silu } from '../../tensor/ops/elementwise.js';
import { attention, dropout, rope, ropeTables } from '../../tensor/ops/fused.js';
import { linear } from '../../tensor/ops/matmul.js';
import { contiguous, permute, reshape, slice, split, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { keepLastPositions, nextTokenLoss } from '../causal-lm.js';
import type { GPTConfig } from './config.js';

export interface ForwardOptions {
  cache?: KVCache;
  /** (B, T) i32 positions; default cache.length + 0…T−1 for every row. */
  positionIds?: Tensor;
  /** (B, S) additive key mask (0 keep, −Infinity drop), e.g. from left padding. */
  keyMask?: Tensor;
  /** Logits for the last this-many positions only (default all): (B, logitsToKeep, V). */
  logitsToKeep?: number;
}

class CausalSelfAttention extends Module {
  readonly c_attn: Linear;
  readonly c_proj: Linear;

  constructor(
    engine: Engine,
    private readonly cfg: GPTConfig,
    rng: Rng | undefined,
  ) {
    super(engine);
    const C = cfg.nEmbd;
    const HS = C / cfg.nHead;
    const kvWidth = cfg.nKvHead * HS;
    this.c_attn = this.child(
      'c_attn',
      new Linear(engine, C, C + 2 * kvWidth, { layout: 'in_out', bias: cfg.bias, std: cfg.initStd, rng }),
    );
    // GPT-2 scales residual projections by 1/√(2·nLayer) at init.
    this.c_proj = this.child(
      'c_proj',
      new Linear(engine, C, C, {
        layout: 'in_out',
        bias: cfg.bias,
        std: cfg.initStd / Math.sqrt(2 * cfg.nLayer),
        rng,
      }),
    );
  }

  forward(
    x: Tensor,
    layer: number,
    rot: { cos: Tensor; sin: Tensor } | null,
    options: ForwardOptions,
  ): Tensor {
    const [B, T, C] = x.shape;
    const { nHead: NH, nKvHead: NKV } = this.cfg;
    const HS = C / NH;
    const qkv = this.c_attn.forward(x); // (B, T, (NH + 2·NKV)·HS)
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
    if (options.cache) [k, v] = options.cache.append(layer, contiguous(k), contiguous(v)); // (B, NKV, S, HS)
    const mask = options.keyMask ? reshape(options.keyMask, [B, 1, 1, options.keyMask.shape[1]]) : null;
    let y = attention(q, k, v, { causal: true, mask }); // (B, NH, T, HS)
    y = reshape(transpose(y, 1, 2), [B, T, C]); // (B, T, C)
    return dropout(this.c_proj.forward(y), this.cfg.dropout, this.training);
  }
}

class MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;

  constructor(
    engine: Engine,
    private readonly cfg: GPTConfig,
    rng: Rng | undefined,
  ) {
    super(engine);
    const C = cfg.nEmbd;
    const H = cfg.nInner;
    const fcOut = cfg.mlp === 'swiglu' ? 2 * H : H;
    this.c_fc = this.child(
      'c_fc',
      new Linear(engine, C, fcOut, { layout: 'in_out', bias: cfg.bias, std: cfg.initStd, rng }),
    );
    this.c_proj = this.child(
      'c_proj',
      new Linear(engine, H, C, {
        layout: 'in_out',
        bias: cfg.bias,
        std: cfg.initStd / Math.sqrt(2 * cfg.nLayer),
        rng,
      }),
    );
  }

  forward(x: Tensor): Tensor {
    const h = this.c_fc.forward(x); // (B, T, H) or (B, T, 2H)
    let a: Tensor;
    if (this.cfg.mlp === 'swiglu') {
      const [gate, up] = split(h, [this.cfg.nInner, this.cfg.nInner], -1);
      a = mul(silu(gate), up); // (B, T, H)
    } else {
      a = gelu(h, this.cfg.gelu === 'erf' ? 'none' : 'tanh'); // (B, T, H)
    }
    return dropout(this.c_proj.forward(a), this.cfg.dropout, this.training);
  }
}

function makeNorm(engine: Engine, cfg: GPTConfig): LayerNorm | RMSNorm {
  return cfg.norm === 'rmsnorm'
    ? new RMSNorm(engine, cfg.nEmbd, cfg.layerNormEps)
    : new LayerNorm(engine, cfg.nEmbd, cfg.layerNormEps, { bias: cfg.bias });
}

class Block extends Module {
  readonly ln_1: LayerNorm | RMSNorm;
  readonly attn: CausalSelfAttention;
  readonly ln_2: LayerNorm | RMSNorm;
  readonly mlp: MLP;

  constructor(engine: Engine, cfg: GPTConfig, rng: Rng | undefined) {
    super(engine);
    this.ln_1 = this.child('ln_1', makeNorm(engine, cfg));
    this.attn = this.child('attn', new CausalSelfAttention(engine, cfg, rng));
    this.ln_2 = this.child('ln_2', makeNorm(engine, cfg));
    this.mlp = this.child('mlp', new MLP(engine, cfg, rng));
  }

  forward(
    x: Tensor,
    layer: number,
    rot: { cos: Tensor; sin: Tensor } | null,
    options: ForwardOptions,
  ): Tensor {
    x = add(x, this.attn.forward(this.ln_1.forward(x), layer, rot, options));
    return add(x, this.mlp.forward(this.ln_2.forward(x)));
  }
}

class Transformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding | null;
  readonly drop: Dropout;
  readonly h: Block[];
  readonly ln_f: LayerNorm | RMSNorm;

  constructor(engine: Engine, cfg: GPTConfig, rng: Rng | undefined) {
    super(engine);
    this.wte = this.child('wte', new Embedding(engine, cfg.vocabSize, cfg.nEmbd, { std: cfg.initStd, rng }));
    this.wpe =
      cfg.positions === 'learned'
        ? this.child('wpe', new Embedding(engine, cfg.nCtx, cfg.nEmbd, { std: cfg.initStd, rng }))
        : null;
    this.drop = this.child('drop', new Dropout(engine, cfg.dropout));
    this.h = Array.from({ length: cfg.nLayer }, (_, i) => this.child(`h.${i}`, new Block(engine, cfg, rng)));
    this.ln_f = this.child('ln_f', makeNorm(engine, cfg));
  }
}

export class GPT extends Module {
  readonly config: GPTConfig;
  readonly transformer: Transformer;
  /** (V, C); the same tensor as wte when embeddings are tied. */
  readonly lmHead: Tensor;

  constructor(engine: Engine, config: GPTConfig, options: { rng?: Rng } = {}) {
    super(engine);
    this.config = config;
    this.transformer = this.child('transformer', new Transformer(engine, config, options.rng));
    const head = config.tieEmbeddings
      ? this.tie('lm_head.weight', this.transformer.wte.weight)
      : this.param(
          'lm_head.weight',
          engine.randn([config.vocabSize, config.nEmbd], { std: config.initStd, rng: options.rng }),
        );
    this.lmHead = head;
  }

  /**
   * Logits (B, T, V) for token ids (B, T), or (B, logitsToKeep, V). With a cache, positions continue
   * after the cached tokens.
   */
  forward(idx: Tensor, options: ForwardOptions = {}): Tensor {
    const { engine, config } = this;
    if (idx.rank !== 2 || idx.dtype !== 'i32') {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `GPT input must be (B, T) i32 token ids, got ${idx.dtype} ${shapeString(idx.shape)}`,
        'pass ids as engine.tensor(Int32Array, [B, T], "i32")',
      );
    }
    const [B, T] = idx.shape;
    const start = options.cache?.length ?? 0;
    if (start + T > config.nCtx) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `sequence of ${start + T} tokens exceeds the context ${config.nCtx}`,
        'truncate the prompt or generate fewer tokens (or crop the cache)',
      );
    }
    const tr = this.transformer;
    let x = tr.wte.forward(idx); // (B, T, C)
    let rot: { cos: Tensor; sin: Tensor } | null = null;
    if (tr.wpe) {
      const pos = options.positionIds ?? positionsFrom(engine, B, T, start);
      x = add(x, tr.wpe.forward(pos)); // (B, T, C)
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
    x = tr.drop.forward(x);
    tr.h.forEach((block, i) => {
      x = block.forward(x, i, rot, options);
    });
    if (options.cache) options.cache.length += T;
    x = tr.ln_f.forward(keepLastPositions(x, options.logitsToKeep)); // (B, T', C)
    return linear(x, this.lmHead); // (B, T', V)
  }

  /** Mean cross-entropy of next-token prediction; targets (B, T) with ignoreIndex −100. */
  loss(idx: Tensor, targets: Tensor, options: { ignoreIndex?: number } = {}): Tensor {
    return nextTokenLoss(this.forward(idx), targets, options.ignoreIndex); // (B, T, V) → ()
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
