/**
 * PEFT adapter directories: `adapter_config.json` + `adapter_model.safetensors`
 * (peft src/peft/utils/constants.py CONFIG_NAME / SAFETENSORS_WEIGHTS_NAME).
 *
 * Tensor keys are PEFT's `get_peft_model_state_dict` output (peft src/peft/utils/save_and_load.py):
 * every key starts with `base_model.model.` (PeftModel → LoraModel → the HF model), and the
 * adapter name is removed:
 *   base_model.model.<path>.lora_A.weight    (r, in)
 *   base_model.model.<path>.lora_B.weight    (out, r)
 *   base_model.model.<module>.<param>        modules_to_save (ModulesToSaveWrapper's copy, saved
 *                                            under the wrapped module's own name)
 *   base_model.model.<path>.base_layer.bias  bias 'all'/'lora_only' on a wrapped layer (PEFT's
 *                                            in-model name; `<path>.bias` is accepted when loading)
 * Loading also accepts `<module>.modules_to_save.<adapter>.<param>` and `.lora_A.<adapter>.weight`
 * spellings that some PEFT versions and hand-made files use.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { writeFileAtomic } from '../formats/atomic.js';
import { readJsonObject } from '../formats/json.js';
import { writeDirAtomic } from '../formats/output.js';
import { openSafetensors, type SafetensorsWriteTensor, writeSafetensors } from '../formats/safetensors.js';
import type { Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  type LoraConfig,
  loraConfigFromJson,
  loraConfigToJson,
  type PeftTaskType,
  pythonJson,
} from './config.js';
import type { LoraLinear } from './lora.js';
import {
  adapterConfig,
  addLora,
  loraLayers,
  patternValue,
  resolveModulesToSave,
  resolveTargets,
  setAdapter,
} from './model.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

export interface SaveAdapterOptions {
  /** Written as base_model_name_or_path (what PEFT's from_pretrained loads the base from). */
  baseModelNameOrPath?: string | null;
  taskType?: PeftTaskType | null;
  /** Which adapter (default: the active one). Written into `dir` itself, whatever its name. */
  adapterName?: string;
  /** inference_mode in the config (PEFT writes true from an inference model). Default true. */
  inferenceMode?: boolean;
  /** Other files to write beside the adapter (name → contents), e.g. llmk_task.json with the labels. */
  extraFiles?: Record<string, string>;
}

function activeAdapter(model: Module): string {
  for (const [, l] of loraLayers(model)) if (l.active !== null) return l.active;
  const any = loraLayers(model)[0]?.[1].adapters.keys().next().value;
  if (any === undefined)
    throw new LlmkError(
      'LLMK_E_ARG',
      'the model has no LoRA adapter',
      'add one with addLora or loadAdapter first',
    );
  return any;
}

/** The adapter's tensors under PEFT's saved key names (values are views, not copies). */
export function adapterTensors(
  model: Module,
  name: string,
  config: LoraConfig,
): Record<string, SafetensorsWriteTensor> {
  const out: Record<string, SafetensorsWriteTensor> = {};
  const put = (key: string, t: Tensor): void => {
    out[PREFIX + key] = { dtype: 'F32', shape: t.shape, data: t.values() as Float32Array };
  };
  const wrapped = new Set<string>();
  for (const [path, l] of loraLayers(model)) {
    if (!l.adapters.has(name)) continue;
    wrapped.add(path);
    put(`${path}.lora_A.weight`, l.loraA.get(name).weight);
    put(`${path}.lora_B.weight`, l.loraB.get(name).weight);
    if (config.bias === 'lora_only' && l.bias) put(`${path}.base_layer.bias`, l.bias);
  }
  if (config.bias === 'all') {
    for (const [n, t] of model.namedParameters()) {
      if (!/(^|\.)bias$/.test(n)) continue;
      const owner = n.slice(0, -'.bias'.length);
      put(wrapped.has(owner) ? `${owner}.base_layer.bias` : n, t);
    }
  }
  for (const p of resolveModulesToSave(model, config.modulesToSave)) {
    for (const [n, t] of model.getModule(p).namedParameters({ prefix: `${p}.` })) put(n, t);
  }
  return out;
}

function requireAdapter(model: Module, name: string): NonNullable<ReturnType<typeof adapterConfig>> {
  const config = adapterConfig(model, name);
  if (!config)
    throw new LlmkError(
      'LLMK_E_ARG',
      `the model has no adapter '${name}'`,
      'add one with addLora or loadAdapter first',
    );
  return config;
}

/**
 * Writes adapter `name` of `model` as a PEFT adapter directory at `dir` (atomically):
 * adapter_config.json in PEFT's layout (sorted keys, indent 2) and adapter_model.safetensors.
 */
export function saveAdapter(dir: string, model: Module, options: SaveAdapterOptions = {}): void {
  const name = options.adapterName ?? activeAdapter(model);
  requireAdapter(model, name); // before any directory is made
  writeDirAtomic(dir, (tmp) => writeAdapterFiles(tmp, model, { ...options, adapterName: name }));
}

/** Writes the adapter files into an existing directory (a training checkpoint being assembled). */
export function writeAdapterFiles(dir: string, model: Module, options: SaveAdapterOptions = {}): void {
  const name = options.adapterName ?? activeAdapter(model);
  const config = requireAdapter(model, name);
  const json = loraConfigToJson(config, {
    baseModelNameOrPath: options.baseModelNameOrPath,
    taskType: options.taskType,
    inferenceMode: options.inferenceMode,
  });
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), adapterTensors(model, name, config), { format: 'pt' });
  writeFileAtomic(join(dir, ADAPTER_CONFIG), pythonJson(json));
  for (const [file, text] of Object.entries(options.extraFiles ?? {})) writeFileAtomic(join(dir, file), text);
}

/** Reads and validates a PEFT adapter_config.json (peft_type LORA, r > 0, supported features). */
export function readAdapterConfig(dir: string): { config: LoraConfig; json: Record<string, unknown> } {
  const path = join(dir, ADAPTER_CONFIG);
  if (!existsSync(path))
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path} does not exist`,
      'pass a PEFT adapter directory (adapter_config.json + adapter_model.safetensors)',
    );
  const json = readJsonObject(path);
  return { config: loraConfigFromJson(json, path), json };
}

export interface LoadAdapterOptions {
  /** Name to give the adapter in the model (default 'default'). */
  adapterName?: string;
  /** Train the loaded adapter further (PEFT's is_trainable; default false: frozen, inference). */
  trainable?: boolean;
}

export interface LoadedAdapter {
  adapterName: string;
  config: LoraConfig;
  targets: string[];
  modulesToSave: string[];
  baseModelNameOrPath: string | null;
  taskType: string | null;
}

type Slot = { kind: 'A' | 'B'; path: string } | { kind: 'param'; name: string };

/**
 * Loads a PEFT-written LoRA adapter into `model` (in place) and makes it the active adapter.
 * Everything is checked before a weight is touched: the config (peft_type LORA, r > 0, no DoRA …),
 * that target_modules selects Linears of this model, that every tensor maps to a target or a
 * modules_to_save parameter with the shape this model needs, and that every target has A and B.
 */
export function loadAdapter(
  engine: Engine,
  model: Module,
  dir: string,
  options: LoadAdapterOptions = {},
): LoadedAdapter {
  if (model.engine !== engine)
    throw new LlmkError(
      'LLMK_E_ARG',
      'loadAdapter: the model belongs to another engine',
      'pass the engine the model was built with',
    );
  const { config, json } = readAdapterConfig(dir);
  const weightsPath = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(weightsPath)) {
    const legacy = existsSync(join(dir, 'adapter_model.bin'));
    throw new LlmkError(
      legacy ? 'LLMK_E_UNSUPPORTED' : 'LLMK_E_NOT_FOUND',
      legacy
        ? `${dir} has adapter_model.bin (a pickle) and no ${ADAPTER_WEIGHTS}`
        : `${weightsPath} does not exist`,
      legacy
        ? 'convert it in Python: PeftModel.from_pretrained(...).save_pretrained(dir, safe_serialization=True)'
        : 'the adapter directory is incomplete',
    );
  }
  const targets = resolveTargets(model, config);
  const targetSet = new Set(targets);
  const saved = resolveModulesToSave(model, config.modulesToSave);
  const savedSet = new Set(saved);
  const params = model.stateDict();
  const source = openSafetensors(weightsPath);
  try {
    // 1. Map every key to its destination and check shapes, reading no data yet.
    const slots = new Map<string, Slot>();
    const seen = new Set<string>();
    for (const key of source.keys()) {
      const where = `${weightsPath}: tensor '${key}'`;
      if (!key.startsWith(PREFIX))
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `${where} does not start with '${PREFIX}'`,
          'a LoRA adapter saved by PEFT prefixes every key with base_model.model.',
        );
      const rest = key.slice(PREFIX.length);
      const shape = source.info(key).shape;
      const lora = /^(.*)\.(lora_A|lora_B)(?:\.[A-Za-z0-9_-]+)?\.weight$/.exec(rest);
      if (lora) {
        const [, path, which] = lora;
        if (!targetSet.has(path))
          throw new LlmkError(
            'LLMK_E_CHECKPOINT',
            `${where} adapts '${path}', which target_modules ${JSON.stringify(config.targetModules)} does not select in this model`,
            `the adapter was trained on another architecture; this model's targets are: ${targets.join(', ')}`,
          );
        const base = model.getModule<Linear>(path);
        const r = shape[which === 'lora_A' ? 0 : 1];
        const want = which === 'lora_A' ? [r, base.inFeatures] : [base.outFeatures, r];
        const rank = rankFor(config, path);
        if (shape.length !== 2 || shape.join(',') !== want.join(',') || r !== rank)
          throw new LlmkError(
            'LLMK_E_CHECKPOINT',
            `${where} has shape [${shape.join(', ')}], the base model needs [${(which === 'lora_A' ? [rank, base.inFeatures] : [base.outFeatures, rank]).join(', ')}] (r=${rank})`,
            'the adapter was trained on a base model of another size, or r in adapter_config.json is wrong',
          );
        slots.set(key, { kind: which === 'lora_A' ? 'A' : 'B', path });
        seen.add(`${path}.${which}`);
        continue;
      }
      if (/\.lora_(embedding_[AB]|magnitude_vector)\b/.test(rest))
        throw new LlmkError(
          'LLMK_E_UNSUPPORTED',
          `${where}: embedding LoRA and DoRA tensors are not supported`,
          'load a plain Linear LoRA adapter',
        );
      const name = rest
        .replace(/\.modules_to_save\.[A-Za-z0-9_-]+\./, '.')
        .replace(/\.base_layer\.bias$/, '.bias');
      const target = params.get(name);
      const owner = saved.find((p) => name.startsWith(`${p}.`));
      const isBias = /(^|\.)bias$/.test(name) && config.bias !== 'none';
      if (!target || (!owner && !isBias))
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `${where} is neither a LoRA tensor of a target module nor a parameter of modules_to_save ${JSON.stringify(config.modulesToSave)}`,
          target
            ? 'the adapter_config.json does not list its module in modules_to_save'
            : `this model has no parameter '${name}'`,
        );
      if (shape.join(',') !== target.shape.join(','))
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `${where} has shape [${shape.join(', ')}], the base model's '${name}' is [${target.shape.join(', ')}]`,
          'the head was trained for another label count or model size',
        );
      slots.set(key, { kind: 'param', name });
    }
    for (const path of targets)
      for (const which of ['lora_A', 'lora_B'])
        if (!seen.has(`${path}.${which}`))
          throw new LlmkError(
            'LLMK_E_CHECKPOINT',
            `${weightsPath}: missing tensor '${PREFIX}${path}.${which}.weight'`,
            'target_modules selects this module but the adapter has no weights for it; check layers_to_transform and target_modules',
          );
    for (const p of savedSet)
      for (const [n] of model.getModule(p).namedParameters({ prefix: `${p}.` }))
        if (![...slots.values()].some((s) => s.kind === 'param' && s.name === n))
          throw new LlmkError(
            'LLMK_E_CHECKPOINT',
            `${weightsPath}: missing tensor '${PREFIX}${n}' (modules_to_save)`,
            'the adapter file is incomplete',
          );

    // 2. Wrap (A/B allocated), then read each tensor straight into its parameter.
    const name = options.adapterName ?? 'default';
    const trainable = options.trainable ?? false;
    const summary = addLora(model, config, { adapterName: name, trainable });
    for (const [key, slot] of slots) {
      let dst: Tensor;
      if (slot.kind === 'param') dst = params.get(slot.name) as Tensor;
      else {
        const layer = model.getModule<LoraLinear>(slot.path);
        dst = (slot.kind === 'A' ? layer.loraA : layer.loraB).get(name).weight;
      }
      source.readFloatInto(key, dst.values() as Float32Array);
    }
    setAdapter(model, name);
    return {
      adapterName: name,
      config,
      targets: summary.targets,
      modulesToSave: summary.modulesToSave,
      baseModelNameOrPath:
        typeof json.base_model_name_or_path === 'string' ? json.base_model_name_or_path : null,
      taskType: typeof json.task_type === 'string' ? json.task_type : null,
    };
  } finally {
    source.close();
  }
}

function rankFor(config: LoraConfig, path: string): number {
  return patternValue(config.rankPattern, path, config.r);
}

/**
 * Copies the tensors of an adapter directory into the adapter `name` already on `model` (resuming a
 * LoRA training checkpoint): every LoRA tensor and saved module must be in the file with its shape.
 */
export function loadAdapterWeightsInto(model: Module, dir: string, name = 'default'): void {
  const config = adapterConfig(model, name);
  if (!config)
    throw new LlmkError(
      'LLMK_E_ARG',
      `the model has no adapter '${name}'`,
      'add it (addLora) before restoring its weights',
    );
  const want = adapterTensors(model, name, config);
  const path = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(path))
    throw new LlmkError(
      'LLMK_E_CHECKPOINT',
      `${path} does not exist`,
      'resume from a checkpoint of a LoRA run',
    );
  const source = openSafetensors(path);
  try {
    for (const [key, t] of Object.entries(want)) {
      if (!source.has(key) || source.info(key).shape.join(',') !== t.shape.join(','))
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `${path}: tensor '${key}' is missing or has another shape`,
          'the checkpoint was written with another LoRA configuration',
        );
    }
    for (const [key, t] of Object.entries(want)) source.readFloatInto(key, t.data as Float32Array);
  } finally {
    source.close();
  }
}

/** Whether `dir` holds a PEFT adapter (adapter_config.json). */
export function isAdapterDir(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG));
}
