/**
 * Module: a named tree of parameters and sub-modules. Names are Hugging Face dotted keys
 * (`transformer.h.0.attn.c_attn.weight`), so a state dict IS a checkpoint's tensor table.
 *
 * The child map is the single source of truth: models read their children through getters over it
 * (`get c_attn(): Linear { return this.sub('c_attn') }`), so `replaceModule` (PyTorch's
 * set_submodule) is seen by forward, namedParameters and stateDict alike — what LoRA, quantized
 * Linear swapping and other wrappers need. Forward goes through `call()`, which runs forward hooks.
 */
import { LlmkError } from '../errors.js';
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** Something with a forward method: what `call()` and `onForward()` are typed over. */
export interface Forwardable<A extends unknown[] = never[], R = unknown> {
  forward(...args: A): R;
}

/** Return a value to replace the module's output; return nothing to leave it as is. */
export type ForwardHook<M, R> = (output: R, module: M) => R | undefined;

export interface NamedParametersOptions {
  /** Prepended to every name. */
  prefix?: string;
  /** true: only parameters that train (requiresGrad); false: only frozen ones; default all. */
  trainable?: boolean;
}

export abstract class Module {
  readonly engine: Engine;
  /** Dropout and friends act only in training mode. */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** null until the first hook, so call() costs one comparison when there are none. */
  private hooks: Array<ForwardHook<Module, unknown>> | null = null;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /**
   * Registers a parameter (persistent, requiresGrad) under `name`. Registering a tensor another
   * module already holds ties the two: one tensor, one gradient, listed once by namedParameters().
   */
  protected param(name: string, value: Tensor): Tensor {
    checkSegment(name);
    this.engine.keep(value);
    value.requiresGrad = true;
    this.params.set(name, value);
    return value;
  }

  /** Registers a sub-module under `name` (one dotted-name segment). */
  protected child<M extends Module>(name: string, module: M): M {
    checkSegment(name);
    this.children.set(name, module);
    return module;
  }

  /** The child registered under `name`, as registered or as replaced since (typed getters use it). */
  protected sub<M extends Module>(name: string): M {
    const c = this.children.get(name);
    if (!c) throw unknownModule(this, name, name);
    return c as M;
  }

  /** The child under `name`, or null when none was registered (optional parts such as a pooler). */
  protected subOrNull<M extends Module>(name: string): M | null {
    return (this.children.get(name) as M | undefined) ?? null;
  }

  /**
   * Runs `forward(...args)` and then the forward hooks. Model code calls children through this, so
   * a hook sees every call. With no hook it is one null check (the rest arguments are only spread
   * into forward, a pattern V8 compiles without materialising the array).
   */
  call<A extends unknown[], R>(this: Module & Forwardable<A, R>, ...args: A): R {
    const out = this.forward(...args);
    return this.hooks === null ? out : this.runHooks(out);
  }

  private runHooks<R>(output: R): R {
    let out = output;
    for (const h of this.hooks ?? []) {
      const r = (h as ForwardHook<Module, R>)(out, this);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /**
   * Adds a hook run after every `call()`: it reads the output, or replaces it by returning a value.
   * Returns a function that removes it.
   */
  onForward<M extends Module & Forwardable<never[], unknown>>(
    this: M,
    fn: ForwardHook<M, ReturnType<M['forward']>>,
  ): () => void {
    const hook = fn as ForwardHook<Module, unknown>;
    const self = this as Module;
    if (self.hooks === null) self.hooks = [];
    self.hooks.push(hook);
    return () => {
      const list = self.hooks;
      if (!list) return;
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) self.hooks = null;
    };
  }

  /** The sub-module at dotted `path` ('' is this module), or a typed error naming the children there. */
  getModule<M extends Module = Module>(path: string): M {
    if (path === '') return this as Module as M;
    let m: Module = this;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) {
      const next = m.children.get(parts[i]);
      if (!next) throw unknownModule(m, path, parts.slice(0, i + 1).join('.'));
      m = next;
    }
    return m as M;
  }

  /**
   * Replaces the sub-module at dotted `path` (PyTorch set_submodule) and returns the old one. The
   * new module is what forward, namedParameters and stateDict see from now on; its parameters are
   * named under `path`. A module that stands in for a Linear should extend Linear (or offer what its
   * callers read, e.g. `weight`), since the parent's getter keeps its declared type. Replace (and
   * freeze) before building FlatParameters/the optimizer: they pack the parameters present then.
   */
  replaceModule<M extends Module>(path: string, module: M): Module {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? this : this.getModule(path.slice(0, dot));
    const name = path.slice(dot + 1);
    const old = parent.children.get(name);
    if (!old) throw unknownModule(parent, path, path);
    if (module.engine !== this.engine) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `replaceModule('${path}'): the new module belongs to another engine`,
        'build it with the same engine as the model',
      );
    }
    module.training = old.training;
    parent.children.set(name, module);
    return old;
  }

  /** Every sub-module with its dotted path ('' for this one), each module once, parents first. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const seen = new Set<Module>();
    const out: Array<[string, Module]> = [];
    const walk = (m: Module, p: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [name, c] of m.children) walk(c, p === '' ? name : `${p}.${name}`);
    };
    walk(this, prefix);
    return out;
  }

  /** Every parameter with its full dotted name, each tensor once (a tied tensor under its first name). */
  namedParameters(options: NamedParametersOptions = {}): Array<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const out: Array<[string, Tensor]> = [];
    const want = options.trainable;
    const walk = (m: Module, p: string): void => {
      for (const [name, t] of m.params) {
        if (seen.has(t)) continue;
        seen.add(t);
        if (want === undefined || t.requiresGrad === want) out.push([p + name, t]);
      }
      for (const [name, c] of m.children) walk(c, `${p}${name}.`);
    };
    walk(this, options.prefix ?? '');
    return out;
  }

  /** Every name → tensor, tied names included (what a checkpoint may contain). */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, p: string): void => {
      for (const [name, t] of m.params) out.set(p + name, t);
      for (const [name, c] of m.children) walk(c, `${p}${name}.`);
    };
    walk(this, prefix);
    return out;
  }

  parameters(options: { trainable?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }

  parameterCount(options: { trainable?: boolean } = {}): number {
    return this.parameters(options).reduce((n, t) => n + t.size, 0);
  }

  /**
   * Stops every parameter of this module (and its sub-modules) from training: requiresGrad false, so
   * autograd neither records ops that only they feed nor gives them a gradient, and FlatParameters
   * (hence the optimizer) leaves them out. Freeze before building the optimizer.
   */
  freeze(): this {
    for (const [, t] of this.namedParameters()) {
      t.requiresGrad = false;
      t.grad?.dispose();
      t.grad = null;
    }
    return this;
  }

  /** Makes every parameter of this module train again (rebuild the optimizer afterwards). */
  unfreeze(): this {
    for (const [, t] of this.namedParameters()) t.requiresGrad = true;
    return this;
  }

  /** Sets training mode on this module and every sub-module. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Copies values into parameters by name; every parameter must be present with its shape. A tied
   * tensor needs only one of its names (HF GPT-2 files omit lm_head.weight: wte carries the values).
   */
  loadState(values: Map<string, Float32Array | Float64Array>, options: { strict?: boolean } = {}): void {
    const state = this.stateDict();
    const namesOf = new Map<Tensor, string[]>();
    for (const [name, t] of state) {
      const list = namesOf.get(t);
      if (list) list.push(name);
      else namesOf.set(t, [name]);
    }
    for (const [name, t] of state) {
      const v = values.get(name);
      if (!v) {
        const tiedPresent = (namesOf.get(t) ?? []).some((n) => n !== name && values.has(n));
        if (options.strict === false || tiedPresent) continue;
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

/**
 * An indexed list of sub-modules named '0', '1', … (PyTorch ModuleList), so `h.3.attn` is a path
 * like any other and a block can be replaced. Iterate it, or read one with `at(i)`.
 */
export class ModuleList<M extends Module> extends Module {
  readonly length: number;

  constructor(engine: Engine, modules: readonly M[]) {
    super(engine);
    for (const [i, m] of modules.entries()) this.child(String(i), m);
    this.length = modules.length;
  }

  at(i: number): M {
    return this.sub<M>(String(i));
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}

function checkSegment(name: string): void {
  if (name === '' || name.includes('.')) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `module or parameter name '${name}' must be one non-empty segment without dots`,
      'nest modules (ModuleList for numbered ones) instead of dotted names',
    );
  }
}

function unknownModule(at: Module, path: string, failed: string): LlmkError {
  const names = at
    .namedModules()
    .filter(([p]) => p !== '' && !p.includes('.'))
    .map(([p]) => p);
  return new LlmkError(
    'LLMK_E_ARG',
    `no module '${failed}' (looking up '${path}')`,
    names.length > 0
      ? `the modules there are: ${names.join(', ')}`
      : 'the module there has no sub-modules (a leaf such as Linear)',
  );
}
