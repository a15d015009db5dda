/**
 * Task heads on a GPT/Llama-style decoder, as Hugging Face's GPT2ForSequenceClassification
 * (`score`, no bias; the logits of the last non-padding token: last-token pooling, since a causal
 * model's last position is the only one that has seen the whole input) and
 * GPT2ForTokenClassification (`classifier` on every position).
 */
import type { Embedding } from '../../nn/layers.js';
import { Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { dropout } from '../../tensor/ops/fused.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gatherPositions } from '../bert/heads.js';
import type { BertInputs } from '../bert/model.js';
import type { ModelInitOptions, ModelOutputOptions } from '../outputs.js';
import type { GPTConfig } from './config.js';
import { GPTModel } from './model.js';

/** (B, T, C) final hidden states (after ln_f) of `body` with right padding masked out of attention. */
export function gptHidden(body: GPTModel, inputs: BertInputs, options: ModelOutputOptions = {}): Tensor {
  const engine = body.engine;
  const x = inputs.inputsEmbeds ?? inputs.inputIds;
  const [B, T] = x ? x.shape : [0, 0];
  let keyMask: Tensor | undefined;
  if (inputs.attentionMask) {
    const m = inputs.attentionMask.toArray();
    keyMask = engine.tensor(
      Float32Array.from(m, (v) => (v === 0 ? Number.NEGATIVE_INFINITY : 0)),
      [B, T],
    );
  }
  return body.call(inputs.inputIds ?? null, { ...options, keyMask, inputsEmbeds: inputs.inputsEmbeds })
    .lastHiddenState; // (B, T, C)
}

export interface GptHeadOptions extends ModelInitOptions {
  numLabels: number;
}

/** Sequence/token classification heads share the body, its embeddings and the options. */
abstract class GPTHead extends Module {
  readonly numLabels: number;

  constructor(
    engine: Engine,
    readonly config: GPTConfig,
    options: GptHeadOptions,
  ) {
    super(engine);
    this.numLabels = options.numLabels;
    this.child('transformer', new GPTModel(engine, config, options));
  }

  get transformer(): GPTModel {
    return this.sub('transformer');
  }

  getInputEmbeddings(): Embedding {
    return this.transformer.wte;
  }
}

export class GPTForSequenceClassification extends GPTHead {
  constructor(engine: Engine, config: GPTConfig, options: GptHeadOptions) {
    super(engine, config, options);
    const { rng, init } = options;
    this.child(
      'score',
      new Linear(engine, config.nEmbd, options.numLabels, { bias: false, std: config.initStd, rng, init }),
    );
  }

  get score(): Linear {
    return this.sub('score');
  }

  /** (B, L) logits at each row's last real token (through call(), so hooks on the head run). */
  logits(inputs: BertInputs): Tensor {
    return this.call(inputs);
  }

  forward(inputs: BertInputs): Tensor {
    const h = gptHidden(this.transformer, inputs); // (B, T, C)
    const [B, T] = h.shape;
    const mask = inputs.attentionMask?.toArray();
    const last = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let t = T - 1;
      if (mask) while (t > 0 && mask[b * T + t] === 0) t--;
      last[b] = b * T + t;
    }
    return this.score.call(gatherPositions(h, last)); // (B, L)
  }
}

export class GPTForTokenClassification extends GPTHead {
  constructor(engine: Engine, config: GPTConfig, options: GptHeadOptions) {
    super(engine, config, options);
    const { rng, init } = options;
    this.child(
      'classifier',
      new Linear(engine, config.nEmbd, options.numLabels, { std: config.initStd, rng, init }),
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
    const h = gptHidden(this.transformer, inputs); // (B, T, C)
    return this.classifier.call(dropout(h, this.config.dropout, this.training)); // (B, T, L)
  }
}
