/**
 * Module: a named tree of parameters and sub-modules. Names are Hugging Face dotted keys
 * (`transformer.h.0.attn.c_attn.weight`), so a state dict IS a checkpoint's tensor table.
 */
import { LlmkError } from '../errors.js';
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

export abstract class Module {
  readonly engine: Engine;
  /** Dropout and friends act only in training mode. */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly ties = new Map<string, Tensor>();

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /** Registers a trainable parameter (persistent, requiresGrad) under `name`. */
  protected param(name: string, value: Tensor): Tensor {
    this.engine.keep(value);
    value.requiresGrad = true;
    this.params.set(name, value);
    return value;
  }

  /** Registers a sub-module under `name` (a dotted-name segment). */
  protected child<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }

  /** Shares one parameter under a second name (tied weights); listed once by namedParameters(). */
  protected tie(name: string, value: Tensor): Tensor {
    this.ties.set(name, value);
    return value;
  }

  /** Every parameter with its full dotted name, each tensor once (tied aliases are left out). */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, Tensor]> = [];
    const walk = (m: Module, p: string): void => {
      for (const [name, t] of m.params) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([p + name, t]);
      }
      for (const [name, c] of m.children) walk(c, `${p}${name}.`);
    };
    walk(this, prefix);
    return out;
  }

  /** Every name → tensor, tied names included (what a checkpoint may contain). */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, p: string): void => {
      for (const [name, t] of m.params) out.set(p + name, t);
      for (const [name, c] of m.children) walk(c, `${p}${name}.`);
      for (const [name, t] of m.ties) out.set(p + name, t);
    };
    walk(this, prefix);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Sets training mode on this module and every sub-module. */
  train(on = true): this {
    const walk = (m: Module): void => {
      m.training = on;
      for (const c of m.children.values()) walk(c);
    };
    walk(this);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Copies values into parameters by name; every parameter must be present with its shape. */
  loadState(values: Map<string, Float32Array | Float64Array>, options: { strict?: boolean } = {}): void {
    const state = this.stateDict();
    const tied = new Set<string>();
    const walk = (m: Module, p: string): void => {
      for (const name of m.ties.keys()) tied.add(p + name);
      for (const [name, c] of m.children) walk(c, `${p}${name}.`);
    };
    walk(this, '');
    for (const [name, t] of state) {
      const v = values.get(name);
      if (!v) {
        // A tied alias may be absent (HF GPT-2 files omit lm_head.weight): its source carries the values.
        if (options.strict === false || tied.has(name)) continue;
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `missing tensor '${name}'`,
          'the checkpoint does not match this model configuration',
        );
      }
      if (v.length !== t.size) {
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `tensor '${name}' has ${v.length} values, the model expects ${t.size} (${t.shape.join('x')})`,
          'the checkpoint was saved with another configuration',
        );
      }
      t.values().set(v);
    }
    if (options.strict !== false) {
      for (const name of values.keys()) {
        if (!state.has(name)) {
          throw new LlmkError(
            'LLMK_E_CHECKPOINT',
            `unexpected tensor '${name}'`,
            'the checkpoint has weights this model does not: check the config',
          );
        }
      }
    }
  }
}
