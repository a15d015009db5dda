/**
 * LoRA on a whole model, in place: pick the target Linears by PEFT's matching rules, swap each for a
 * LoraLinear (Module.replaceModule), freeze everything else except modules_to_save and the biases
 * `bias` asks for. Merge, unmerge, switch adapters, merge-and-unload back to a plain model.
 *
 * The adapters' state lives in the LoraLinear modules themselves (no registry on the side): the
 * config of each adapter is held by every layer it wraps (`LoraLinear.configs`), found again by
 * walking namedModules().
 */
import { LlmkError } from '../errors.js';
import { Embedding, Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LoraConfig, loraConfig } from './config.js';
import { LoraLinear } from './lora.js';

/** Task heads that `all-linear` leaves out (they belong in modules_to_save); PEFT's SEQ_CLS_HEAD_NAMES plus QA/NER heads. */
const HEAD_NAMES = new Set(['lm_head', 'classifier', 'score', 'qa_outputs']);

/** peft src/peft/utils/constants.py COMMON_LAYERS_PATTERN: lists whose index is the layer number. */
const COMMON_LAYERS_PATTERN = ['layers', 'h', 'block', 'blocks', 'layer'];

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** PEFT's list rule: the path equals a name, or ends with '.' + name. */
export function matchesName(path: string, names: readonly string[]): boolean {
  return names.some((n) => path === n || path.endsWith(`.${n}`));
}

/** The layer index in a path (`…h.3.attn…` → 3) by PEFT's layers_pattern rule, or null. */
export function layerIndex(path: string, patterns: readonly string[] | null): number | null {
  for (const p of patterns ?? COMMON_LAYERS_PATTERN) {
    const m = new RegExp(`(^|\\.)${escapeRegex(p)}\\.(\\d+)\\.`).exec(path);
    if (m) return Number(m[2]);
  }
  return null;
}

/** Linear modules that are output layers: their weight is also an Embedding's table (a tied LM head). */
function tiedLinears(model: Module): Set<Module> {
  const tables = new Set<Tensor>();
  for (const [, m] of model.namedModules()) if (m instanceof Embedding) tables.add(m.weight);
  const out = new Set<Module>();
  for (const [, m] of model.namedModules()) if (m instanceof Linear && tables.has(m.weight)) out.add(m);
  return out;
}

/** Paths of every Linear (LoRA-wrapped ones included) in the model. */
export function linearPaths(model: Module): string[] {
  return model
    .namedModules()
    .filter(([, m]) => m instanceof Linear)
    .map(([p]) => p);
}

function isHead(path: string): boolean {
  return HEAD_NAMES.has(path.split('.').pop() ?? '');
}

/**
 * The Linear paths `config` targets, by peft src/peft/tuners/tuners_utils.py
 * `check_target_module_exists`: a string is a regex that must match the whole path ('all-linear':
 * every Linear but the output layer and task heads); a list matches exactly or as a '.'-suffix; then
 * `layers_to_transform` keeps only those layer indices. Throws, listing the model's Linears, when
 * nothing matches.
 */
export function resolveTargets(model: Module, config: LoraConfig): string[] {
  const tied = tiedLinears(model);
  const linears = model.namedModules().filter(([, m]) => m instanceof Linear);
  const t = config.targetModules;
  let picked: string[];
  if (t === 'all-linear') {
    picked = linears.filter(([p, m]) => !tied.has(m) && !isHead(p)).map(([p]) => p);
  } else if (typeof t === 'string') {
    const re = new RegExp(`^(?:${t})$`);
    picked = linears.filter(([p]) => re.test(p)).map(([p]) => p);
  } else {
    picked = linears.filter(([p]) => matchesName(p, t)).map(([p]) => p);
  }
  // LoRA's own A/B Linears are never targets.
  picked = picked.filter((p) => !/\.lora_[AB]\./.test(p));
  if (config.layersToTransform !== null) {
    const keep = new Set(config.layersToTransform);
    picked = picked.filter((p) => {
      const i = layerIndex(p, config.layersPattern);
      return i !== null && keep.has(i);
    });
  }
  if (picked.length === 0) {
    const names = linearPaths(model).filter((p) => !/\.lora_[AB]\./.test(p));
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `target_modules ${JSON.stringify(t)}${config.layersToTransform ? ` (layers ${config.layersToTransform.join(', ')})` : ''} matches no Linear module of this model`,
      `its Linear modules are: ${names.join(', ')}`,
    );
  }
  for (const p of picked) {
    if (tied.has(model.getModule(p)))
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `target '${p}' shares its weight with the token embedding (a tied LM head)`,
        'merging would change the embedding too; target other modules, or put the head in modules_to_save',
      );
  }
  return picked;
}

/** PEFT's rank_pattern/alpha_pattern lookup (tuners_utils get_pattern_key): the first key whose regex matches the end of the path. */
export function patternValue(pattern: Record<string, number>, path: string, fallback: number): number {
  for (const [key, v] of Object.entries(pattern)) {
    if (new RegExp(`(^|\\.)(?:${key})$`).test(path)) return v;
  }
  return fallback;
}

/** Paths of the modules a modules_to_save list names (exact or '.'-suffix match). */
export function resolveModulesToSave(model: Module, names: readonly string[] | null): string[] {
  if (!names || names.length === 0) return [];
  const found = model
    .namedModules()
    .filter(([p]) => p !== '' && matchesName(p, names))
    .map(([p]) => p);
  // A module inside another listed one is covered by its parent.
  const paths = found.filter((p) => !found.some((q) => q !== p && p.startsWith(`${q}.`)));
  for (const n of names) {
    if (!paths.some((p) => matchesName(p, [n])))
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `modules_to_save '${n}' matches no module of this model`,
        `its top-level modules are: ${model
          .namedModules()
          .map(([p]) => p)
          .filter((p) => p !== '' && !p.includes('.'))
          .join(', ')}`,
      );
  }
  return paths;
}

export interface AddLoraOptions {
  /** Adapter name (PEFT's default 'default'). */
  adapterName?: string;
  /** Initialises A (and B with init false); the engine's RNG by default. */
  rng?: Rng;
  /** Leave the base frozen state alone: the adapter's own parameters are frozen too (inference). */
  trainable?: boolean;
}

export interface LoraSummary {
  adapterName: string;
  targets: string[];
  modulesToSave: string[];
  trainable: number;
  total: number;
}

/** Every LoRA-wrapped layer with its path. */
export function loraLayers(model: Module): Array<[string, LoraLinear]> {
  return model.namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
}

/** The config adapter `name` was added with (null when the model has no such adapter). */
export function adapterConfig(model: Module, name: string): LoraConfig | null {
  for (const [, layer] of loraLayers(model)) {
    const c = layer.configs.get(name);
    if (c) return c;
  }
  return null;
}

/** Names of the adapters on the model, in the order they were added. */
export function adapterNames(model: Module): string[] {
  const names = new Set<string>();
  for (const [, layer] of loraLayers(model)) for (const n of layer.adapters.keys()) names.add(n);
  return [...names];
}

/**
 * Adds a LoRA adapter to `model` in place (PEFT `get_peft_model` / `add_adapter`): wraps every
 * target Linear, freezes the base, and leaves trainable only the LoRA tensors, the modules_to_save
 * and the biases `bias` names. Build the Trainer (or optimizer) after this.
 */
export function addLora(
  model: Module,
  input: Partial<LoraConfig>,
  options: AddLoraOptions = {},
): LoraSummary {
  const name = options.adapterName ?? 'default';
  if (!/^[A-Za-z0-9_-]+$/.test(name))
    throw new LlmkError(
      'LLMK_E_ARG',
      `adapter name '${name}'`,
      'use letters, digits, _ and - (it is a name segment)',
    );
  if (adapterNames(model).includes(name))
    throw new LlmkError('LLMK_E_ARG', `the model already has an adapter '${name}'`, 'pick another name');
  const targets = resolveTargets(model, loraConfig(input));
  const first = model.getModule<Linear>(targets[0]);
  // PEFT forces fan_in_fan_out to the layer's layout (lora/layer.py dispatch_default) and saves it so.
  const config = loraConfig({ ...input, fanInFanOut: first.layout === 'in_out' });
  const saved = resolveModulesToSave(model, config.modulesToSave);
  const trainable = options.trainable ?? true;
  const rng = options.rng ?? model.engine.rng;
  if (adapterNames(model).length === 0) model.freeze();
  for (const path of targets) {
    const current = model.getModule<Linear>(path);
    const layer = current instanceof LoraLinear ? current : new LoraLinear(current);
    if (layer !== current) model.replaceModule(path, layer);
    const r = patternValue(config.rankPattern, path, config.r);
    const alpha = patternValue(config.alphaPattern, path, config.loraAlpha);
    layer.addAdapter(name, {
      r,
      alpha,
      dropout: config.loraDropout,
      useRslora: config.useRslora,
      init: config.initLoraWeights,
      rng,
    });
    if (layer.active !== name && layer.merged === null) layer.active = name;
    layer.configs.set(name, config);
    const a = layer.loraA.get(name).weight;
    const b = layer.loraB.get(name).weight;
    a.requiresGrad = trainable;
    b.requiresGrad = trainable;
    if (config.bias === 'lora_only' && layer.bias) layer.bias.requiresGrad = trainable;
  }
  if (trainable) {
    for (const p of saved) model.getModule(p).unfreeze();
    if (config.bias === 'all')
      for (const [n, t] of model.namedParameters()) if (/(^|\.)bias$/.test(n)) t.requiresGrad = true;
  }
  setAdapter(model, name);
  return {
    adapterName: name,
    targets,
    modulesToSave: saved,
    trainable: model.parameterCount({ trainable: true }),
    total: model.parameterCount(),
  };
}

/** Makes adapter `name` the one every wrapped layer adds (PEFT `set_adapter`); layers without it run their base alone. */
export function setAdapter(model: Module, name: string): void {
  const layers = loraLayers(model);
  if (!layers.some(([, l]) => l.adapters.has(name)))
    throw new LlmkError(
      'LLMK_E_ARG',
      `no adapter '${name}' on this model`,
      `its adapters are: ${adapterNames(model).join(', ') || '(none)'}`,
    );
  for (const [, l] of layers) l.setAdapter(l.adapters.has(name) ? name : null);
}

/** Runs fn with every adapter switched off (the base model's outputs), then restores them. */
export function withAdaptersDisabled<T>(model: Module, fn: () => T): T {
  const layers = loraLayers(model);
  const active = layers.map(([, l]) => l.active);
  if (layers.some(([, l]) => l.merged !== null))
    throw new LlmkError('LLMK_E_ARG', 'an adapter is merged into the weights', 'unmerge it first');
  for (const [, l] of layers) l.active = null;
  try {
    return fn();
  } finally {
    layers.forEach(([, l], i) => {
      l.active = active[i];
    });
  }
}

/** Adds the active adapter into the base weights in place (faster inference; unmerge to train on). */
export function mergeAdapter(model: Module): void {
  for (const [, l] of loraLayers(model)) l.merge();
}

/** Subtracts merged adapters from the base weights again. */
export function unmergeAdapter(model: Module): void {
  for (const [, l] of loraLayers(model)) l.unmerge();
}

/**
 * Merges the active adapter and puts plain Linears back (PEFT `merge_and_unload`), so the model is
 * an ordinary one `saveModel` writes under its HF names. In place; returns the model. Every
 * parameter trains again, as on a freshly loaded model. Other adapters are dropped.
 */
export function mergeAndUnload<M extends Module>(model: M, options: { merge?: boolean } = {}): M {
  for (const [path, l] of loraLayers(model)) {
    if (options.merge !== false) l.merge();
    else l.unmerge();
    model.replaceModule(path, l.toLinear());
  }
  model.unfreeze();
  return model;
}

/** Removes every adapter without merging (PEFT `unload`): the base model as it was. */
export function unloadLora<M extends Module>(model: M): M {
  return mergeAndUnload(model, { merge: false });
}

/** PEFT's print_trainable_parameters numbers: trainable, all, and the trainable share in percent. */
export function trainableParameters(model: Module): { trainable: number; total: number; percent: number } {
  const trainable = model.parameterCount({ trainable: true });
  const total = model.parameterCount();
  return { trainable, total, percent: total === 0 ? 0 : (100 * trainable) / total };
}

/** "trainable params: 1,234 || all params: 56,789 || trainable%: 2.1730" (PEFT's line). */
export function formatTrainableParameters(model: Module): string {
  const { trainable, total, percent } = trainableParameters(model);
  return `trainable params: ${trainable.toLocaleString('en-US')} || all params: ${total.toLocaleString('en-US')} || trainable%: ${percent.toFixed(4)}`;
}
