/**
 * LoRA (Hu et al. 2021, https://arxiv.org/abs/2106.09685) as a module that stands in for a Linear:
 *
 *   y = base(x) + scaling · B(A(dropout(x)))        A (r, in), B (out, r), scaling = α/r (α/√r rsLoRA)
 *
 * the unmerged forward of PEFT's `Linear.forward` (peft src/peft/tuners/lora/layer.py). Several
 * named adapters may sit on one layer; one is active at a time. `merge()` adds the active adapter's
 * delta into the base weight in place (W += scaling · B·A, transposed for the (in, out) layout of
 * GPT-2's Conv1D — PEFT's `get_delta_weight` with `fan_in_fan_out`), `unmerge()` subtracts it.
 *
 * Parameter names follow PEFT's in-model names: the base keeps `<path>.weight`/`<path>.bias` (so a
 * merged-and-unloaded model saves under its plain HF names) and each adapter adds
 * `<path>.lora_A.<adapter>.weight` and `<path>.lora_B.<adapter>.weight`.
 */
import { LlmkError } from '../errors.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import { add, mul } from '../tensor/ops/elementwise.js';
import { dropout } from '../tensor/ops/fused.js';
import { linear } from '../tensor/ops/matmul.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LoraConfig, LoraInit } from './config.js';

export interface LoraAdapterOptions {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  init: LoraInit;
  rng: Rng;
}

/** One adapter's hyper-parameters on one layer (its tensors are the lora_A/lora_B children). */
export interface LoraAdapterInfo {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly scaling: number;
}

/** A string-keyed set of sub-modules (PyTorch ModuleDict): `lora_A.default`, `lora_A.other`, … */
export class ModuleDict<M extends Module> extends Module {
  set(name: string, module: M): M {
    return this.child(name, module);
  }

  get(name: string): M {
    return this.sub<M>(name);
  }

  has(name: string): boolean {
    return this.subOrNull(name) !== null;
  }
}

/** Uniform(−bound, bound) values into t: torch's kaiming_uniform_(a=√5) has bound 1/√fan_in. */
function uniformInto(t: Tensor, bound: number, rng: Rng): void {
  const v = t.values();
  for (let i = 0; i < v.length; i++) v[i] = (2 * rng.uniform() - 1) * bound;
}

export class LoraLinear extends Linear {
  readonly adapters = new Map<string, LoraAdapterInfo>();
  /** The model-level config each adapter was added with (what saveAdapter writes). */
  readonly configs = new Map<string, LoraConfig>();
  /** The adapter the forward adds (null: none, the base alone). */
  active: string | null = null;
  /** The adapter currently added into the base weight, if any. */
  merged: string | null = null;

  /** Wraps `base` (its weight and bias tensors are held, not copied). */
  constructor(base: Linear) {
    // Linear's constructor marks what it registers trainable; the base keeps its own flags.
    const weightTrains = base.weight.requiresGrad;
    const biasTrains = base.bias?.requiresGrad ?? false;
    super(base.engine, base.inFeatures, base.outFeatures, {
      layout: base.layout,
      tensors: { weight: base.weight, bias: base.bias },
    });
    this.weight.requiresGrad = weightTrains;
    if (this.bias) this.bias.requiresGrad = biasTrains;
    this.child('lora_A', new ModuleDict<Linear>(base.engine));
    this.child('lora_B', new ModuleDict<Linear>(base.engine));
  }

  get loraA(): ModuleDict<Linear> {
    return this.sub('lora_A');
  }

  get loraB(): ModuleDict<Linear> {
    return this.sub('lora_B');
  }

  /** Adds adapter `name` with A (r, in) and B (out, r) initialised per `options.init`. */
  addAdapter(name: string, options: LoraAdapterOptions): LoraAdapterInfo {
    const { r, alpha } = options;
    if (!Number.isInteger(r) || r <= 0) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `LoRA rank r=${r}`,
        'r must be a positive integer (PEFT default 8)',
      );
    }
    if (this.adapters.has(name)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `adapter '${name}' is already on this layer`,
        'pick another adapter name, or unload the model first',
      );
    }
    const engine: Engine = this.engine;
    const a = new Linear(engine, this.inFeatures, r, { bias: false, init: 'empty' }); // (r, in)
    const b = new Linear(engine, r, this.outFeatures, { bias: false, init: 'empty' }); // (out, r)
    // peft lora/layer.py reset_lora_parameters: True → kaiming_uniform_(A, a=√5), zeros_(B);
    // 'gaussian' → normal_(A, std=1/r), zeros_(B); False → both keep nn.Linear's default init.
    if (options.init === 'gaussian') {
      const v = a.weight.values();
      for (let i = 0; i < v.length; i++) v[i] = options.rng.normal() / r;
    } else {
      uniformInto(a.weight, 1 / Math.sqrt(this.inFeatures), options.rng);
    }
    if (options.init === false) uniformInto(b.weight, 1 / Math.sqrt(r), options.rng);
    else b.weight.values().fill(0);
    this.loraA.set(name, a);
    this.loraB.set(name, b);
    const scaling = options.useRslora ? alpha / Math.sqrt(r) : alpha / r;
    const info: LoraAdapterInfo = { r, alpha, dropout: options.dropout, scaling };
    this.adapters.set(name, info);
    if (this.active === null) this.active = name;
    return info;
  }

  /** Makes `name` the adapter the forward adds (the merged one must be unmerged first). */
  setAdapter(name: string | null): void {
    if (name !== null && !this.adapters.has(name)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `no adapter '${name}' on this layer`,
        `its adapters are: ${[...this.adapters.keys()].join(', ')}`,
      );
    }
    if (this.merged !== null && this.merged !== name) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `adapter '${this.merged}' is merged into the weights`,
        'unmerge it before switching adapters',
      );
    }
    this.active = name;
  }

  override forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias, this.layout); // (…, out)
    const name = this.active;
    if (name === null || this.merged !== null) return y;
    const info = this.adapters.get(name) as LoraAdapterInfo;
    const h = dropout(x, info.dropout, this.training); // (…, in)
    const u = linear(h, this.loraA.get(name).weight); // (…, r)
    const v = linear(u, this.loraB.get(name).weight); // (…, out)
    return add(y, mul(v, info.scaling));
  }

  /**
   * W += sign · scaling · B·A in place: (out, in) for 'out_in', its transpose (in, out) for GPT-2's
   * Conv1D layout (PEFT: `transpose(B @ A, fan_in_fan_out) * scaling`). One GEMM with beta 1.
   */
  private addDelta(name: string, sign: 1 | -1): void {
    const info = this.adapters.get(name) as LoraAdapterInfo;
    const A = this.loraA.get(name).weight.values() as Float32Array; // (r, in)
    const B = this.loraB.get(name).weight.values() as Float32Array; // (out, r)
    const W = this.weight.values() as Float32Array;
    const { r } = info;
    const inF = this.inFeatures;
    const outF = this.outFeatures;
    const alpha = sign * info.scaling;
    if (this.layout === 'out_in') {
      // (out, in) += B (out, r) · A (r, in)
      this.engine.backend.gemm(false, false, outF, inF, r, alpha, B, r, 0, A, inF, 0, 1, W, inF, 0, 1);
    } else {
      // (in, out) += Aᵀ (in, r) · Bᵀ (r, out)
      this.engine.backend.gemm(true, true, inF, outF, r, alpha, A, inF, 0, B, r, 0, 1, W, outF, 0, 1);
    }
  }

  /** Adds the active adapter into the base weight; the forward then runs the base alone. */
  merge(): void {
    if (this.merged !== null) return;
    if (this.active === null) return;
    this.addDelta(this.active, 1);
    this.merged = this.active;
  }

  /** Subtracts the merged adapter from the base weight again (exact up to float rounding). */
  unmerge(): void {
    if (this.merged === null) return;
    this.addDelta(this.merged, -1);
    this.merged = null;
  }

  /** A plain Linear over the same weight and bias tensors (merge first to keep the adapter). */
  toLinear(): Linear {
    const weightTrains = this.weight.requiresGrad;
    const biasTrains = this.bias?.requiresGrad ?? false;
    const plain = Linear.fromWeights(this.weight, this.bias, { layout: this.layout });
    plain.weight.requiresGrad = weightTrains;
    if (plain.bias) plain.bias.requiresGrad = biasTrains;
    return plain;
  }
}
