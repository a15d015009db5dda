/**
 * Task heads on a GPT/Llama-style decoder, as Hugging Face's GPT2ForSequenceClassification
 * (`score`, no bias; the logits of the last non-padding token: last-token pooling, since a causal
 * model's last position is the only one that has seen the whole input) and
 * GPT2ForTokenClassification (`classifier` on every position).
 */
import { Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import { add } from '../../tensor/ops/elementwise.js';
import { dropout, ropeTables } from '../../tensor/ops/fused.js';
import type { Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gatherPositions } from '../bert/heads.js';
import type { BertInputs } from '../bert/model.js';
import type { GPTConfig } from './config.js';
import { GPT } from './model.js';

/** (B, T, C) final hidden states (after ln_f) of `gpt` with right padding masked out of attention. */
function gptHidden(gpt: GPT, inputs: BertInputs): Tensor {
  const engine = gpt.engine;
  const [B, T] = inputs.inputIds.shape;
  const tr = gpt.transformer;
  let keyMask: Tensor | undefined;
  if (inputs.attentionMask) {
    const m = inputs.attentionMask.toArray();
    keyMask = engine.tensor(
      Float32Array.from(m, (x) => (x === 0 ? Number.NEGATIVE_INFINITY : 0)),
      [B, T],
    );
  }
  let x = tr.wte.forward(inputs.inputIds); // (B, T, C)
  let rot: { cos: Tensor; sin: Tensor } | null = null;
  if (tr.wpe) {
    const pos = engine.tensor(
      Int32Array.from({ length: B * T }, (_, i) => i % T),
      [B, T],
      'i32',
    );
    x = add(x, tr.wpe.forward(pos));
  } else {
    rot = ropeTables(engine, T, gpt.config.nEmbd / gpt.config.nHead, gpt.config.ropeTheta, 0);
  }
  x = tr.drop.forward(x);
  tr.h.forEach((block, i) => {
    x = block.forward(x, i, rot, { keyMask });
  });
  return tr.ln_f.forward(x); // (B, T, C)
}

export interface GptHeadOptions {
  numLabels: number;
  rng?: Rng;
}

export class GPTForSequenceClassification extends Module {
  readonly transformer: GPT['transformer'];
  readonly score: Linear;
  readonly numLabels: number;
  private readonly gpt: GPT;

  constructor(
    engine: Engine,
    readonly config: GPTConfig,
    options: GptHeadOptions,
  ) {
    super(engine);
    this.gpt = new GPT(engine, config, { rng: options.rng });
    this.transformer = this.child('transformer', this.gpt.transformer);
    this.numLabels = options.numLabels;
    this.score = this.child(
      'score',
      new Linear(engine, config.nEmbd, options.numLabels, {
        bias: false,
        std: config.initStd,
        rng: options.rng,
      }),
    );
  }

  /** (B, L) logits at each row's last real token. */
  logits(inputs: BertInputs): Tensor {
    const h = gptHidden(this.gpt, inputs); // (B, T, C)
    const [B, T] = inputs.inputIds.shape;
    const mask = inputs.attentionMask?.toArray();
    const last = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let t = T - 1;
      if (mask) while (t > 0 && mask[b * T + t] === 0) t--;
      last[b] = b * T + t;
    }
    return this.score.forward(gatherPositions(h, last)); // (B, L)
  }
}

export class GPTForTokenClassification extends Module {
  readonly transformer: GPT['transformer'];
  readonly classifier: Linear;
  readonly numLabels: number;
  private readonly gpt: GPT;

  constructor(
    engine: Engine,
    readonly config: GPTConfig,
    options: GptHeadOptions,
  ) {
    super(engine);
    this.gpt = new GPT(engine, config, { rng: options.rng });
    this.transformer = this.child('transformer', this.gpt.transformer);
    this.numLabels = options.numLabels;
    this.classifier = this.child(
      'classifier',
      new Linear(engine, config.nEmbd, options.numLabels, { std: config.initStd, rng: options.rng }),
    );
  }

  /** (B, T, L) logits. */
  logits(inputs: BertInputs): Tensor {
    const h = gptHidden(this.gpt, inputs);
    return this.classifier.forward(dropout(h, this.config.dropout, this.training));
  }
}
