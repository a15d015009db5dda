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
import { attentionWithProbs } from '../../nn/attention.js';
import { KVCache } from '../../nn/kv-cache.js';
import { Embedding, type InitMode, Linear, RMSNorm } from '../../nn/layers.js';
import { Module, ModuleList } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add, mul, silu } from '../../tensor/ops/elementwise.js';
import { attention, rope, ropeTables } from '../../tensor/ops/fused.js';
import { contiguous, reshape, transpose } from '../../tensor/ops/shape.js';
import type { Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type CausalLMOutput, keepLastPositions, nextTokenLoss } from '../causal-lm.js';
import {
  type BaseModelOutput,
  embedInputs,
  type ModelInitOptions,
  type ModelOutputOptions,
} from '../outputs.js';
import type { LlamaConfig } from './config.js';

export interface LlamaForwardOptions extends ModelOutputOptions {
  cache?: KVCache;
  /** (B, S) additive key mask (0 keep, −Infinity drop), e.g. from left padding. */
  keyMask?: Tensor;
  /** Not supported (rotary positions come from the cache length); present for the CausalLM interface. */
  positionIds?: Tensor;
  /** Logits for the last this-many positions only (default all): (B, logitsToKeep, V). */
  logitsToKeep?: number;
}

type Rot = { cos: Tensor; sin: Tensor };

/** What one forward hands every layer: its index, the rotary tables and where to put attentions. */
interface LayerContext {
  layer: number;
  rot: Rot;
  options: LlamaForwardOptions;
  attentions: Tensor[] | null;
}

type LayerInit = { std: number; rng: Rng | undefined; init: InitMode | undefined };

class LlamaAttention extends Module {
  constructor(
    engine: Engine,
    private readonly cfg: LlamaConfig,
    init: LayerInit,
  ) {
    super(engine);
    const { dim: C, nHead: NH, nKvHead: NKV, headDim: HS } = cfg;
    this.child('q_proj', new Linear(engine, C, NH * HS, { ...init, bias: cfg.qkvBias }));
    this.child('k_proj', new Linear(engine, C, NKV * HS, { ...init, bias: cfg.qkvBias }));
    this.child('v_proj', new Linear(engine, C, NKV * HS, { ...init, bias: cfg.qkvBias }));
    this.child('o_proj', new Linear(engine, NH * HS, C, { ...init, bias: cfg.oBias }));
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

  get o_proj(): Linear {
    return this.sub('o_proj');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    const [B, T] = x.shape;
    const { nHead: NH, nKvHead: NKV, headDim: HS } = this.cfg;
    const { rot, options } = ctx;
    let q = transpose(reshape(this.q_proj.call(x), [B, T, NH, HS]), 1, 2); // (B, NH, T, HS)
    let k = transpose(reshape(this.k_proj.call(x), [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
    let v = transpose(reshape(this.v_proj.call(x), [B, T, NKV, HS]), 1, 2); // (B, NKV, T, HS)
    q = rope(q, rot.cos, rot.sin); // (B, NH, T, HS)
    k = rope(k, rot.cos, rot.sin); // (B, NKV, T, HS)
    if (options.cache) [k, v] = options.cache.append(ctx.layer, contiguous(k), contiguous(v)); // (B, NKV, S, HS)
    const mask = options.keyMask ? reshape(options.keyMask, [B, 1, 1, options.keyMask.shape[1]]) : null;
    let y: Tensor;
    if (ctx.attentions) {
      const a = attentionWithProbs(q, k, v, { causal: true, mask });
      ctx.attentions.push(a.probs); // (B, NH, T, S)
      y = a.output;
    } else {
      y = attention(q, k, v, { causal: true, mask }); // (B, NH, T, HS)
    }
    return this.o_proj.call(reshape(transpose(y, 1, 2), [B, T, NH * HS])); // (B, T, C)
  }
}

class LlamaMLP extends Module {
  constructor(engine: Engine, cfg: LlamaConfig, init: LayerInit) {
    super(engine);
    const { dim: C, hiddenDim: H, mlpBias: bias } = cfg;
    this.child('gate_proj', new Linear(engine, C, H, { ...init, bias }));
    this.child('up_proj', new Linear(engine, C, H, { ...init, bias }));
    this.child('down_proj', new Linear(engine, H, C, { ...init, bias }));
  }

  get gate_proj(): Linear {
    return this.sub('gate_proj');
  }

  get up_proj(): Linear {
    return this.sub('up_proj');
  }

  get down_proj(): Linear {
    return this.sub('down_proj');
  }

  forward(x: Tensor): Tensor {
    const h = mul(silu(this.gate_proj.call(x)), this.up_proj.call(x)); // (B, T, H)
    return this.down_proj.call(h); // (B, T, C)
  }
}

class LlamaDecoderLayer extends Module {
  constructor(engine: Engine, cfg: LlamaConfig, init: LayerInit) {
    super(engine);
    const norm = (): RMSNorm => new RMSNorm(engine, cfg.dim, cfg.rmsNormEps, { init: init.init });
    this.child('input_layernorm', norm());
    this.child('self_attn', new LlamaAttention(engine, cfg, init));
    this.child('post_attention_layernorm', norm());
    this.child('mlp', new LlamaMLP(engine, cfg, init));
  }

  get input_layernorm(): RMSNorm {
    return this.sub('input_layernorm');
  }

  get self_attn(): LlamaAttention {
    return this.sub('self_attn');
  }

  get post_attention_layernorm(): RMSNorm {
    return this.sub('post_attention_layernorm');
  }

  get mlp(): LlamaMLP {
    return this.sub('mlp');
  }

  forward(x: Tensor, ctx: LayerContext): Tensor {
    x = add(x, this.self_attn.call(this.input_layernorm.call(x), ctx));
    return add(x, this.mlp.call(this.post_attention_layernorm.call(x)));
  }
}

/** The decoder body (HF LlamaModel), named `model.` inside Llama. */
export class LlamaModel extends Module {
  constructor(
    engine: Engine,
    readonly config: LlamaConfig,
    options: ModelInitOptions = {},
  ) {
    super(engine);
    const cfg = config;
    const init: LayerInit = { std: cfg.initStd, rng: options.rng, init: options.init };
    this.child('embed_tokens', new Embedding(engine, cfg.vocabSize, cfg.dim, init));
    const layers = Array.from({ length: cfg.nLayer }, () => new LlamaDecoderLayer(engine, cfg, init));
    this.child('layers', new ModuleList(engine, layers));
    this.child('norm', new RMSNorm(engine, cfg.dim, cfg.rmsNormEps, { init: init.init }));
  }

  get embed_tokens(): Embedding {
    return this.sub('embed_tokens');
  }

  get layers(): ModuleList<LlamaDecoderLayer> {
    return this.sub('layers');
  }

  get norm(): RMSNorm {
    return this.sub('norm');
  }

  getInputEmbeddings(): Embedding {
    return this.embed_tokens;
  }

  /**
   * Final hidden states (B, T', C) for ids (B, T) or options.inputsEmbeds with null ids. With a cache,
   * positions continue after the cached tokens. hiddenStates (HF order): the embedding output, each
   * layer's output, the last one after the final norm.
   */
  forward(idx: Tensor | null, options: LlamaForwardOptions = {}): BaseModelOutput {
    const { engine, config } = this;
    let x = embedInputs('Llama', idx, options.inputsEmbeds, this.embed_tokens, config.dim); // (B, T, C)
    const T = x.shape[1];
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
    const rot = ropeTables(engine, T, config.headDim, config.ropeTheta, start); // (T, HS/2) each
    const hiddenStates: Tensor[] | null = options.outputHiddenStates ? [] : null;
    const ctx: LayerContext = { layer: 0, rot, options, attentions: options.outputAttentions ? [] : null };
    for (const layer of this.layers) {
      hiddenStates?.push(x);
      x = layer.call(x, ctx);
      ctx.layer++;
    }
    if (options.cache) options.cache.length += T;
    x = this.norm.call(keepLastPositions(x, options.logitsToKeep)); // (B, T', C)
    hiddenStates?.push(x);
    return { lastHiddenState: x, hiddenStates, attentions: ctx.attentions };
  }
}

/** LlamaForCausalLM: `model.*` and `lm_head` (a Linear holding embed_tokens' tensor when tied). */
export class Llama extends Module {
  readonly config: LlamaConfig;

  constructor(engine: Engine, config: LlamaConfig, options: ModelInitOptions = {}) {
    super(engine);
    this.config = config;
    const body = this.child('model', new LlamaModel(engine, config, options));
    const init = { std: config.initStd, rng: options.rng, init: options.init, bias: false };
    this.child(
      'lm_head',
      config.tieEmbeddings
        ? Linear.fromWeights(body.embed_tokens.weight)
        : new Linear(engine, config.dim, config.vocabSize, init),
    );
  }

  get model(): LlamaModel {
    return this.sub('model');
  }

  /** (V, C) projection to the vocabulary; its weight is embed_tokens' tensor when tied. */
  get lm_head(): Linear {
    return this.sub('lm_head');
  }

  getInputEmbeddings(): Embedding {
    return this.model.embed_tokens;
  }

  /**
   * Logits (B, T, V) for token ids (B, T). With a cache, positions continue after the cached tokens.
   * Pass null ids with options.inputsEmbeds to start from embeddings.
   */
  forward(idx: Tensor | null, options: LlamaForwardOptions = {}): Tensor {
    return this.outputs(idx, options).logits;
  }

  /** Logits plus the hidden states and attention probabilities asked for in options. */
  outputs(idx: Tensor | null, options: LlamaForwardOptions = {}): CausalLMOutput {
    const out = this.model.call(idx, options);
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
