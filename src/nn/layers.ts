/**
 * Basic layers. Parameter names follow PyTorch/Hugging Face (`weight`, `bias`).
 *
 * Every layer can be built three ways: randomly initialised (training from scratch), empty
 * (`init: 'empty'`: allocated once, not filled, for a loader that copies a checkpoint in next), or
 * around tensors that already exist (`fromWeights`: loaded weights, or a tensor shared with another
 * layer — tied embeddings are one tensor held by an Embedding and a Linear).
 */

import { check } from '../errors.js';
import type { Engine } from '../tensor/engine.js';
import { dropout, embedding, layerNorm, rmsNorm } from '../tensor/ops/fused.js';
import { linear, type WeightLayout } from '../tensor/ops/matmul.js';
import type { Rng } from '../tensor/random.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** 'random': the usual init (normal weights, zero biases, unit norm scales); 'empty': allocate only. */
export type InitMode = 'random' | 'empty';

export interface InitOptions {
  rng?: Rng;
  /** Standard deviation of the normal init of weights (GPT-2/BERT: 0.02). */
  std?: number;
  /** 'empty' skips filling: the values are whatever the allocator gives until a loader writes them. */
  init?: InitMode;
}

/** A persistent parameter-to-be of `shape`: normal(0, std) values, or allocated and unfilled. */
function initWeight(engine: Engine, shape: number[], options: InitOptions): Tensor {
  if (options.init === 'empty') return engine.empty(shape, 'f32', { uninitialized: true, persistent: true });
  return engine.randn(shape, { std: options.std ?? 0.02, rng: options.rng });
}

/** A constant-filled parameter-to-be (biases 0, norm scales 1), or unfilled under init 'empty'. */
function initConst(engine: Engine, shape: number[], value: number, init: InitMode | undefined): Tensor {
  const t = engine.empty(shape, 'f32', { uninitialized: true, persistent: true });
  if (init !== 'empty') t.values().fill(value);
  return t;
}

export interface LinearOptions extends InitOptions {
  bias?: boolean;
  /** 'out_in' stores W as (out, in) like torch.nn.Linear; 'in_out' as (in, out) like HF Conv1D. */
  layout?: WeightLayout;
  /** Existing tensors to hold instead of allocating (see Linear.fromWeights). */
  tensors?: { weight: Tensor; bias: Tensor | null };
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly layout: WeightLayout;

  constructor(engine: Engine, inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super(engine);
    this.layout = options.layout ?? 'out_in';
    const shape = this.layout === 'out_in' ? [outFeatures, inFeatures] : [inFeatures, outFeatures];
    const given = options.tensors;
    this.weight = this.param('weight', given ? given.weight : initWeight(engine, shape, options));
    const bias = given
      ? given.bias
      : options.bias === false
        ? null
        : initConst(engine, [outFeatures], 0, options.init);
    this.bias = bias ? this.param('bias', bias) : null;
  }

  /**
   * A Linear around existing tensors (not copied): weight (out, in), or (in, out) with layout
   * 'in_out'. Passing a tensor another module holds ties them (one tensor, one gradient).
   */
  static fromWeights(
    weight: Tensor,
    bias: Tensor | null = null,
    options: { layout?: WeightLayout } = {},
  ): Linear {
    const layout = options.layout ?? 'out_in';
    check(
      weight.rank === 2,
      'LLMK_E_SHAPE',
      () => `Linear.fromWeights: weight must be 2-D, got ${shapeString(weight.shape)}`,
      'pass (out, in), or (in, out) with layout "in_out"',
    );
    const [inF, outF] =
      layout === 'out_in' ? [weight.shape[1], weight.shape[0]] : [weight.shape[0], weight.shape[1]];
    check(
      !bias || (bias.rank === 1 && bias.shape[0] === outF),
      'LLMK_E_SHAPE',
      () => `Linear.fromWeights: bias ${shapeString(bias?.shape ?? [])} does not match ${outF} outputs`,
      'bias must be (out,)',
    );
    return new Linear(weight.engine, inF, outF, { layout, tensors: { weight, bias } });
  }

  get inFeatures(): number {
    return this.layout === 'out_in' ? this.weight.shape[1] : this.weight.shape[0];
  }

  get outFeatures(): number {
    return this.layout === 'out_in' ? this.weight.shape[0] : this.weight.shape[1];
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.layout);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(engine: Engine, count: number, dim: number, options: InitOptions & { weight?: Tensor } = {}) {
    super(engine);
    this.weight = this.param('weight', options.weight ?? initWeight(engine, [count, dim], options));
  }

  /** An Embedding around an existing (count, dim) table, not copied (e.g. one shared with an LM head). */
  static fromWeights(weight: Tensor): Embedding {
    check(
      weight.rank === 2,
      'LLMK_E_SHAPE',
      () => `Embedding.fromWeights: weight must be 2-D, got ${shapeString(weight.shape)}`,
      'pass (count, dim)',
    );
    return new Embedding(weight.engine, weight.shape[0], weight.shape[1], { weight });
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
    options: { bias?: boolean; init?: InitMode } = {},
  ) {
    super(engine);
    this.weight = this.param('weight', initConst(engine, [dim], 1, options.init));
    this.bias = options.bias === false ? null : this.param('bias', initConst(engine, [dim], 0, options.init));
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
    options: { init?: InitMode } = {},
  ) {
    super(engine);
    this.weight = this.param('weight', initConst(engine, [dim], 1, options.init));
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
