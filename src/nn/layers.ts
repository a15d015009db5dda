/** Basic layers. Parameter names follow PyTorch/Hugging Face (`weight`, `bias`). */

import type { Engine } from '../tensor/engine.js';
import { dropout, embedding, layerNorm, rmsNorm } from '../tensor/ops/fused.js';
import { linear, type WeightLayout } from '../tensor/ops/matmul.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export interface InitOptions {
  rng?: Rng;
  /** Standard deviation of the normal init of weights (GPT-2/BERT: 0.02). */
  std?: number;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly layout: WeightLayout;

  /** layout 'out_in' stores W as (out, in) like torch.nn.Linear; 'in_out' as (in, out) like HF Conv1D. */
  constructor(
    engine: Engine,
    inFeatures: number,
    outFeatures: number,
    options: InitOptions & { bias?: boolean; layout?: WeightLayout } = {},
  ) {
    super(engine);
    this.layout = options.layout ?? 'out_in';
    const shape = this.layout === 'out_in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
    this.weight = this.param('weight', engine.randn(shape, { std: options.std ?? 0.02, rng: options.rng }));
    this.bias = options.bias === false ? null : this.param('bias', engine.zeros([outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.layout);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(engine: Engine, count: number, dim: number, options: InitOptions = {}) {
    super(engine);
    this.weight = this.param(
      'weight',
      engine.randn([count, dim], { std: options.std ?? 0.02, rng: options.rng }),
    );
  }

  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    engine: Engine,
    dim: number,
    readonly eps = 1e-5,
    options: { bias?: boolean } = {},
  ) {
    super(engine);
    this.weight = this.param('weight', engine.ones([dim]));
    this.bias = options.bias === false ? null : this.param('bias', engine.zeros([dim]));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly weight: Tensor;

  constructor(
    engine: Engine,
    dim: number,
    readonly eps = 1e-6,
  ) {
    super(engine);
    this.weight = this.param('weight', engine.ones([dim]));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

export class Dropout extends Module {
  constructor(
    engine: Engine,
    readonly p: number,
  ) {
    super(engine);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
