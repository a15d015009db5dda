/**
 * LoRA configuration: PEFT's `LoraConfig` (peft src/peft/tuners/lora/config.py) as typed camelCase
 * data, read from and written to `adapter_config.json` in PEFT's own layout
 * (peft src/peft/config.py `save_pretrained`: `json.dumps(output_dict, indent=2, sort_keys=True)`).
 */
import { LlmkError } from '../errors.js';

export type LoraBias = 'none' | 'all' | 'lora_only';

/** How A and B start: PEFT's `init_lora_weights` (true, 'gaussian', or false = both random, for tests). */
export type LoraInit = boolean | 'gaussian';

/** PEFT TaskType values (peft src/peft/utils/peft_types.py). */
export type PeftTaskType =
  | 'SEQ_CLS'
  | 'SEQ_2_SEQ_LM'
  | 'CAUSAL_LM'
  | 'TOKEN_CLS'
  | 'QUESTION_ANS'
  | 'FEATURE_EXTRACTION';

export interface LoraConfig {
  /** Rank of A (r, in) and B (out, r). PEFT default 8. */
  r: number;
  /** Scaling numerator: scaling = loraAlpha / r (or / √r with useRslora). PEFT default 8. */
  loraAlpha: number;
  /** Dropout on the LoRA input path only. PEFT default 0. */
  loraDropout: number;
  /**
   * Which Linear modules get an adapter: a list (exact path or '.'-suffix match), a regex string
   * (full match of the path), or 'all-linear' (every Linear except the output/LM head and task heads).
   */
  targetModules: string[] | string;
  /** Which biases train (and are saved): none, every bias, or those of the wrapped layers. */
  bias: LoraBias;
  /** The base weight is stored (in, out) (GPT-2 Conv1D). Set from the layer's layout when wrapping, as PEFT does. */
  fanInFanOut: boolean;
  /** Modules trained in full and saved with the adapter (task heads): exact or '.'-suffix match. */
  modulesToSave: string[] | null;
  /** Rank-stabilised scaling α/√r (Kalajdzievski 2023, https://arxiv.org/abs/2312.03732). */
  useRslora: boolean;
  initLoraWeights: LoraInit;
  /** Only these layer indices (the number after `layers.`, `h.`, `layer.`, `block(s).` in the path). */
  layersToTransform: number[] | null;
  /** The list name(s) that carry the layer index; default PEFT's common ones. */
  layersPattern: string[] | null;
  /** Per-module rank and alpha overrides: regex key → value, matched against the path's end. */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
}

export const LORA_DEFAULTS: LoraConfig = {
  r: 8,
  loraAlpha: 8,
  loraDropout: 0,
  targetModules: [],
  bias: 'none',
  fanInFanOut: false,
  modulesToSave: null,
  useRslora: false,
  initLoraWeights: true,
  layersToTransform: null,
  layersPattern: null,
  rankPattern: {},
  alphaPattern: {},
};

function configError(what: string, hint: string): LlmkError {
  return new LlmkError('LLMK_E_CONFIG', `LoRA config: ${what}`, hint);
}

function checkRank(r: number, where: string): void {
  if (!Number.isInteger(r) || r <= 0)
    throw configError(`${where} r=${r}`, 'r must be a positive integer (PEFT default 8; 4–64 is usual)');
}

/** A complete, validated config from a partial one (missing fields take PEFT's defaults). */
export function loraConfig(input: Partial<LoraConfig>): LoraConfig {
  const c: LoraConfig = { ...LORA_DEFAULTS, ...input };
  checkRank(c.r, 'rank');
  for (const [k, r] of Object.entries(c.rankPattern)) checkRank(r, `rank_pattern '${k}':`);
  if (!Number.isFinite(c.loraAlpha))
    throw configError(`lora_alpha=${c.loraAlpha}`, 'lora_alpha must be a number');
  if (!(c.loraDropout >= 0 && c.loraDropout < 1))
    throw configError(`lora_dropout=${c.loraDropout}`, 'lora_dropout must be in [0, 1)');
  if (!['none', 'all', 'lora_only'].includes(c.bias))
    throw configError(`bias='${c.bias}'`, "bias must be 'none', 'all' or 'lora_only'");
  if (c.initLoraWeights !== true && c.initLoraWeights !== false && c.initLoraWeights !== 'gaussian')
    throw configError(
      `init_lora_weights=${JSON.stringify(c.initLoraWeights)}`,
      "llmk supports init_lora_weights true, false and 'gaussian'; data-driven inits (PiSSA, OLoRA, EVA, LoftQ …) are not supported",
    );
  const empty = Array.isArray(c.targetModules) ? c.targetModules.length === 0 : c.targetModules === '';
  if (empty)
    throw configError(
      'no target_modules',
      "name the Linear modules to adapt, e.g. ['query', 'value'] (BERT), ['c_attn'] (GPT-2), ['q_proj', 'v_proj'] (Llama) or 'all-linear'",
    );
  if (c.layersToTransform !== null && typeof c.targetModules === 'string' && c.targetModules !== 'all-linear')
    throw configError(
      'layers_to_transform with a regex target_modules',
      'PEFT allows layers_to_transform only with a list of module names; put the layer in the regex',
    );
  return c;
}

// ---- adapter_config.json ----

function field<T>(
  json: Record<string, unknown>,
  key: string,
  ok: (v: unknown) => boolean,
  path: string,
): T | undefined {
  const v = json[key];
  if (v === undefined || v === null) return undefined;
  if (!ok(v))
    throw configError(`${path}: ${key} = ${JSON.stringify(v)}`, `check ${key} in adapter_config.json`);
  return v as T;
}

const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isNumberMap = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isNumber);

/** PEFT features whose tensors or math llmk does not implement: refused by name before any weight is read. */
const UNSUPPORTED_FLAGS: Array<[key: string, what: string]> = [
  ['use_dora', 'DoRA (use_dora)'],
  ['lora_bias', 'a bias on lora_B (lora_bias)'],
  ['use_qalora', 'QALoRA (use_qalora)'],
];

/** The LoRA config in a PEFT `adapter_config.json` object (unknown keys are ignored, as PEFT does). */
export function loraConfigFromJson(json: Record<string, unknown>, path: string): LoraConfig {
  const type = json.peft_type;
  if (type !== 'LORA') {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${path}: peft_type ${JSON.stringify(type)} is not supported`,
      'llmk loads LoRA adapters (peft_type "LORA"); other PEFT methods (AdaLoRA, IA3, prefix/prompt tuning …) are not supported',
    );
  }
  for (const [key, what] of UNSUPPORTED_FLAGS) {
    if (json[key] === true)
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `${path}: ${what} is not supported`,
        'load a plain LoRA adapter',
      );
  }
  for (const key of ['layer_replication', 'target_parameters', 'trainable_token_indices']) {
    const v = json[key];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `${path}: ${key} is not supported`,
        'load a plain LoRA adapter',
      );
  }
  const target = json.target_modules;
  if (!(typeof target === 'string' || isStringList(target)))
    throw configError(
      `${path}: target_modules = ${JSON.stringify(target)}`,
      'give a list of module names or a regex',
    );
  const ltt = json.layers_to_transform;
  const layers =
    typeof ltt === 'number'
      ? [ltt]
      : (field<number[]>(
          json,
          'layers_to_transform',
          (v) => Array.isArray(v) && v.every(Number.isInteger),
          path,
        ) ?? null);
  const lp = json.layers_pattern;
  const init = json.init_lora_weights;
  return loraConfig({
    r: field<number>(json, 'r', isNumber, path) ?? LORA_DEFAULTS.r,
    loraAlpha: field<number>(json, 'lora_alpha', isNumber, path) ?? LORA_DEFAULTS.loraAlpha,
    loraDropout: field<number>(json, 'lora_dropout', isNumber, path) ?? 0,
    targetModules: target as string | string[],
    bias: field<LoraBias>(json, 'bias', (v) => typeof v === 'string', path) ?? 'none',
    fanInFanOut: field<boolean>(json, 'fan_in_fan_out', (v) => typeof v === 'boolean', path) ?? false,
    modulesToSave: field<string[]>(json, 'modules_to_save', isStringList, path) ?? null,
    useRslora: field<boolean>(json, 'use_rslora', (v) => typeof v === 'boolean', path) ?? false,
    // The weights come from the file: how they were initialised does not matter when loading.
    initLoraWeights: init === false || init === 'gaussian' ? init : true,
    layersToTransform: layers,
    layersPattern:
      typeof lp === 'string' ? [lp] : (field<string[]>(json, 'layers_pattern', isStringList, path) ?? null),
    rankPattern: field<Record<string, number>>(json, 'rank_pattern', isNumberMap, path) ?? {},
    alphaPattern: field<Record<string, number>>(json, 'alpha_pattern', isNumberMap, path) ?? {},
  });
}

export interface AdapterConfigExtras {
  baseModelNameOrPath?: string | null;
  taskType?: PeftTaskType | null;
  /** PEFT writes true when saving from an inference model; training checkpoints write false. */
  inferenceMode?: boolean;
}

/**
 * The PEFT release whose LoraConfig fields this file writes. PEFT compares `peft_version` with its
 * own to warn about adapters from newer releases; llmk writes the layout of this one.
 */
export const PEFT_LAYOUT_VERSION = '0.17.1';

/** The adapter_config.json object PEFT writes for this config (every LoraConfig field). */
export function loraConfigToJson(c: LoraConfig, extras: AdapterConfigExtras = {}): Record<string, unknown> {
  return {
    alora_invocation_tokens: null,
    alpha_pattern: c.alphaPattern,
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: extras.baseModelNameOrPath ?? null,
    bias: c.bias,
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: c.fanInFanOut,
    inference_mode: extras.inferenceMode ?? true,
    init_lora_weights: c.initLoraWeights,
    layer_replication: null,
    layers_pattern:
      c.layersPattern === null ? null : c.layersPattern.length === 1 ? c.layersPattern[0] : c.layersPattern,
    layers_to_transform: c.layersToTransform,
    loftq_config: {},
    lora_alpha: c.loraAlpha,
    lora_bias: false,
    lora_dropout: pyFloat(c.loraDropout),
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: c.modulesToSave,
    peft_type: 'LORA',
    peft_version: PEFT_LAYOUT_VERSION,
    qalora_group_size: 16,
    r: c.r,
    rank_pattern: c.rankPattern,
    revision: null,
    target_modules: c.targetModules,
    target_parameters: null,
    task_type: extras.taskType ?? null,
    trainable_token_indices: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: c.useRslora,
  };
}

/** A number Python's json writes with a decimal point (lora_dropout is a float: 0.0, not 0). */
export class PyFloat {
  constructor(readonly value: number) {}
}

function pyFloat(v: number): PyFloat {
  return new PyFloat(v);
}

/**
 * JSON as Python's `json.dumps(value, indent=2, sort_keys=True)` writes it: keys sorted (by code
 * point), ', ' → ',' + newline with indent, ': ' after keys, non-ASCII escaped (ensure_ascii),
 * floats with a decimal point, empty containers as {} and [].
 */
export function pythonJson(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent + 2);
  const end = ' '.repeat(indent);
  if (value instanceof PyFloat) {
    const v = value.value;
    return Number.isInteger(v) ? `${v}.0` : pyNumber(v);
  }
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + pythonJson(v, indent + 2)).join(',\n')}\n${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${pyString(k)}: ${pythonJson(v, indent + 2)}`).join(',\n')}\n${end}}`;
}

/** Python float repr for the exponent forms JS writes differently (1e-05, not 1e-5). */
function pyNumber(v: number): string {
  const s = String(v);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
