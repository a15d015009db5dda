/**
 * Optimizers over FlatParameters: one fused kernel call per parameter group per step.
 * AdamW and SGD follow torch.optim exactly (see the kernel docs in tensor/backend.ts).
 */
import { check } from '../errors.js';
import type { FlatParameters } from '../nn/params.js';
import { UnaryOp } from '../tensor/backend.js';
import type { Engine } from '../tensor/engine.js';

export interface AdamWGroup {
  /** Multiplies the scheduled learning rate (1 = as scheduled). */
  lrScale?: number;
  weightDecay: number;
}

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Settings per parameter group, indexed by FlatParameters group id. */
  groups: AdamWGroup[];
}

export interface OptimizerState {
  step: number;
  /** Named flat state buffers (e.g. exp_avg, exp_avg_sq), saved to optimizer.safetensors. */
  buffers: Record<string, Float32Array>;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly groups: AdamWGroup[];
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(
    private readonly engine: Engine,
    private readonly params: FlatParameters,
    options: AdamWOptions,
  ) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.groups = options.groups;
    for (const r of params.ranges) {
      check(
        this.groups[r.group] !== undefined,
        'LLMK_E_CONFIG',
        () => `no AdamW settings for parameter group ${r.group}`,
        'pass one group entry per group id',
      );
    }
    this.m = new Float32Array(params.size);
    this.v = new Float32Array(params.size);
  }

  /** One update with the gradients currently in the flat gradient buffer. */
  update(): void {
    this.step++;
    const { values, grads } = this.params;
    for (const r of this.params.ranges) {
      const g = this.groups[r.group];
      const n = r.end - r.start;
      this.engine.backend.adamw(
        values.subarray(r.start, r.end),
        grads.subarray(r.start, r.end),
        this.m.subarray(r.start, r.end),
        this.v.subarray(r.start, r.end),
        n,
        this.lr * (g.lrScale ?? 1),
        this.beta1,
        this.beta2,
        this.eps,
        g.weightDecay,
        this.step,
      );
    }
  }

  state(): OptimizerState {
    return { step: this.step, buffers: { exp_avg: this.m, exp_avg_sq: this.v } };
  }

  loadState(state: OptimizerState): void {
    check(
      state.buffers.exp_avg?.length === this.m.length && state.buffers.exp_avg_sq?.length === this.v.length,
      'LLMK_E_CHECKPOINT',
      () => 'optimizer state does not match the parameter count',
      'resume with the same model configuration',
    );
    this.step = state.step;
    this.m.set(state.buffers.exp_avg);
    this.v.set(state.buffers.exp_avg_sq);
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  step = 0;
  readonly buf: Float32Array | null;

  constructor(
    private readonly engine: Engine,
    private readonly params: FlatParameters,
    options: SGDOptions,
  ) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    check(
      !this.nesterov || (this.momentum > 0 && this.dampening === 0),
      'LLMK_E_CONFIG',
      () => 'Nesterov momentum needs momentum > 0 and dampening 0',
      'set momentum or turn nesterov off',
    );
    this.buf = this.momentum !== 0 ? new Float32Array(params.size) : null;
  }

  update(): void {
    this.engine.backend.sgd(
      this.params.values,
      this.params.grads,
      this.buf,
      this.params.size,
      this.lr,
      this.momentum,
      this.dampening,
      this.weightDecay,
      this.nesterov,
      this.step === 0,
    );
    this.step++;
  }

  state(): OptimizerState {
    return { step: this.step, buffers: this.buf ? { momentum_buffer: this.buf } : {} };
  }

  loadState(state: OptimizerState): void {
    this.step = state.step;
    if (this.buf && state.buffers.momentum_buffer) this.buf.set(state.buffers.momentum_buffer);
  }
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_,
 * with its 1e-6 in the denominator). Returns the norm before clipping.
 */
export function clipGradNorm(engine: Engine, params: FlatParameters, maxNorm: number): number {
  const norm = Math.sqrt(engine.backend.sumSquares(params.grads, params.size));
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) engine.backend.unary(UnaryOp.scale, params.grads, params.grads, params.size, coef);
  return norm;
}
