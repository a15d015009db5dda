/**
 * Llama (Touvron et al. 2023) as Hugging Face's LlamaForCausalLM lays it out: parameter names are the
 * checkpoint keys (`model.layers.0.self_attn.q_proj.weight`, torch.nn.Linear (out, in) layout).
 * Pre-norm blocks with RMSNorm, rotary positions in HF's rotate_half convention (pairs i, i + HS/2),
 * SwiGLU MLP, grouped-query attention. Mistral and Qwen2 checkpoints load into the same modules.
 *
 * Dimension names: B batch, T new tokens, S keys (cache + new), C = dim, NH heads, NKV kv heads,
 * HS head size, H SwiGLU hidden width, V vocabulary.
 */
import { LlmkError } from '../../errors.js';
import { KVCache } from '../../nn/kv-cache.js';
import { Embedding, Linear, RMSNorm } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, mul, silu } from '../../tensor/ops/elementwise.js';
import { attention, rope, ropeTables } from '../../tensor/ops/fused.js';
import { linear } from '../../tensor/ops/matmul.js';
import { contiguous, reshape, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { keepLastPositions, nextTokenLoss } from '../causal-lm.js';
import type { LlamaConfig } from './config.js';

export interface LlamaForwardOptions {
  cache?: KVCache;
  /** (B, S) additive key mask (0 keep, −Infinity drop), e.g. from left padding. */
  keyMask?: Tensor;
  /** Not supported (rotary positions come from the cache length); present for the CausalLM interface. */
  positionIds?: Tensor;
  /** Logits for the last this-many positions only (default all): (B, logitsToKeep, V). */
  logitsToKeep?: number;
}

type Rot = { cos: Tensor; sin: Tensor };

class LlamaAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;

  constructor(
    engine: Engine,
    private readonly cfg: LlamaConfig,
    rng: Rng | undefined,
  ) {
    super(engine);
    const { dim: C, nHead: NH, nKvHead: NKV, headDim: HS, initStd: std } = cfg;
    this.q_proj = this.child('q_proj', new Linear(engine, C, NH * HS, { bias: cfg.qkvBias, std, rng }));
    this.k_proj = this.child('k_proj', new Linear(engine, C, NKV * HS, { bias: cfg.qkvBias, std, rng }));
    this.v_proj = this.child('v_proj', new Linear(engine, C, NKV * HS, { bias: cfg.qkvBias, std, rng }));
    this.o_proj = this.child('o_proj', new Linear(engine, NH * HS, C, { bias: cfg.oBias, std, rng }));
  }

  forward(x: Tensor, layer: number, rot: Rot, options: LlamaForwardOptions): Tensor {
    const [B, T] = x.shape;
    const { nHead: NH, nKvHead: NKV, headDim: HS } = this.cfg;
    let q = transpose(reshape(this.q_proj.forward(x), [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
    let k = transpose(reshape(this.k_proj.forward(x), [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
    let v = transpose(reshape(this.v_proj.forward(x), [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
    q = rope(q, rot.cos, rot.sin); // (B, NH, T, HS)
    k = rope(k, rot.cos, rot.sin); // (B, NKV, T, HS)
    if (options.cache) [k, v] = options.cache.append(layer, contiguous(k), contiguous(v)); // (B, NKV, S, HS)
    const mask = options.keyMask ? reshape(options.keyMask, [B, 1, 1, options.keyMask.shape[1]]) : null;
    const y = attention(q, k, v, { causal: true, mask }); // (B, NH, T, HS)
    return this.o_proj.forward(reshape(transpose(y, 1, 2), [B, T, NH * HS])); // (B, T, C)
  }
}

class LlamaMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  constructor(engine: Engine, cfg: LlamaConfig, rng: Rng | undefined) {
    super(engine);
    const { dim: C, hiddenDim: H, initStd: std, mlpBias: bias } = cfg;
    this.gate_proj = this.child('gate_proj', new Linear(engine, C, H, { bias, std, rng }));
    this.up_proj = this.child('up_proj', new Linear(engine, C, H, { bias, std, rng }));
    this.down_proj = this.child('down_proj', new Linear(engine, H, C, { bias, std, rng }));
  }

  forward(x: Tensor): Tensor {
    const h = mul(silu(this.gate_proj.forward(x)), this.up_proj.forward(x)); // (B, T, H)
    return this.down_proj.forward(h); // (B, T, C)
  }
}

class LlamaDecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: LlamaAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: LlamaMLP;

  constructor(engine: Engine, cfg: LlamaConfig, rng: Rng | undefined) {
    super(engine);
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(engine, cfg.dim, cfg.rmsNormEps));
    this.self_attn = this.child('self_attn', new LlamaAttention(engine, cfg, rng));
    this.post_attention_layernorm = this.child(
      'post_attention_layernorm',
      new RMSNorm(engine, cfg.dim, cfg.rmsNormEps),
    );
    this.mlp = this.child('mlp', new LlamaMLP(engine, cfg, rng));
  }

  forward(x: Tensor, layer: number, rot: Rot, options: LlamaForwardOptions): Tensor {
    x = add(x, this.self_attn.forward(this.input_layernorm.forward(x), layer, rot, options));
    return add(x, this.mlp.forward(this.post_attention_layernorm.forward(x)));
  }
}

class LlamaBody extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: LlamaDecoderLayer[];
  readonly norm: RMSNorm;

  constructor(engine: Engine, cfg: LlamaConfig, rng: Rng | undefined) {
    super(engine);
    this.embed_tokens = this.child(
      'embed_tokens',
      new Embedding(engine, cfg.vocabSize, cfg.dim, { std: cfg.initStd, rng }),
    );
    this.layers = Array.from({ length: cfg.nLayer }, (_, i) =>
      this.child(`layers.${i}`, new LlamaDecoderLayer(engine, cfg, rng)),
    );
    this.norm = this.child('norm', new RMSNorm(engine, cfg.dim, cfg.rmsNormEps));
  }
}

export class Llama extends Module {
  readonly config: LlamaConfig;
  readonly model: LlamaBody;
  /** (V, C); the same tensor as embed_tokens when embeddings are tied. */
  readonly lmHead: Tensor;

  constructor(engine: Engine, config: LlamaConfig, options: { rng?: Rng } = {}) {
    super(engine);
    this.config = config;
    this.model = this.child('model', new LlamaBody(engine, config, options.rng));
    this.lmHead = config.tieEmbeddings
      ? this.tie('lm_head.weight', this.model.embed_tokens.weight)
      : this.param(
          'lm_head.weight',
          engine.randn([config.vocabSize, config.dim], { std: config.initStd, rng: options.rng }),
        );
  }

  /** Logits (B, T, V) for token ids (B, T). With a cache, positions continue after the cached tokens. */
  forward(idx: Tensor, options: LlamaForwardOptions = {}): Tensor {
    const { engine, config } = this;
    if (idx.rank !== 2 || idx.dtype !== 'i32') {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `Llama input must be (B, T) i32 token ids, got ${idx.dtype} ${shapeString(idx.shape)}`,
        'pass ids as engine.tensor(Int32Array, [B, T], "i32")',
      );
    }
    const T = idx.shape[1];
    const start = options.cache?.length ?? 0;
    if (start + T > config.nCtx) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `sequence of ${start + T} tokens exceeds the context ${config.nCtx}`,
        'truncate the prompt or generate fewer tokens',
      );
    }
    if (options.positionIds) {
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        'positionIds with rotary positions (left-padded batches)',
        'generate one prompt at a time with Llama models',
      );
    }
    let x = this.model.embed_tokens.forward(idx); // (B, T, C)
    const rot = ropeTables(engine, T, config.headDim, config.ropeTheta, start); // (T, HS/2) each
    this.model.layers.forEach((layer, i) => {
      x = layer.forward(x, i, rot, options);
    });
    if (options.cache) options.cache.length += T;
    x = this.model.norm.forward(keepLastPositions(x, options.logitsToKeep)); // (B, T', C)
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
