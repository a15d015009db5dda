/**
 * BERT config ↔ Hugging Face BertConfig (`model_type: bert`), and BERT model directories:
 * `config.json` + `model.safetensors` (HF keys) + `tokenizer.json`. Task heads record their labels
 * as HF does (`id2label`, `label2id`, `problem_type`) plus llmk's task fields (`llmk_*`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../../errors.js';
import { readModelWeights, writeDirAtomic, writeJsonAtomic } from '../../io/checkpoint.js';
import { type SafetensorsWriteTensor, writeSafetensors } from '../../io/safetensors.js';
import type { Engine } from '../../tensor/engine.js';
import { loadTokenizer } from '../../tokenize/load.js';
import type { Tokenizer } from '../../tokenize/types.js';
import { type BertConfig, bertConfig } from './config.js';
import {
  BertForMaskedLM,
  BertForPreTraining,
  BertForSequenceClassification,
  BertForTokenClassification,
} from './heads.js';

export type BertArchitecture =
  | 'BertForPreTraining'
  | 'BertForMaskedLM'
  | 'BertForSequenceClassification'
  | 'BertForTokenClassification';

export type AnyBert =
  | BertForPreTraining
  | BertForMaskedLM
  | BertForSequenceClassification
  | BertForTokenClassification;

/** What a task head needs besides the encoder config (stored in config.json). */
export interface TaskInfo {
  labels: string[];
  multiLabel: boolean;
  /** llmk_task: 'classification' or 'ner'. */
  task: 'classification' | 'ner';
  /** Tagging scheme of NER labels (IOB2, BIOES, BMES). */
  scheme?: string;
  /** Token type ids carry the word's casing (NER option). */
  caseFeature?: boolean;
  /** Word joiner for NER inputs: ' ' (English) or '' (character-level Chinese). */
  joiner?: string;
  maxLength: number;
  classifierDropout?: number;
}

export function architectureOf(model: AnyBert): BertArchitecture {
  if (model instanceof BertForPreTraining) return 'BertForPreTraining';
  if (model instanceof BertForMaskedLM) return 'BertForMaskedLM';
  if (model instanceof BertForSequenceClassification) return 'BertForSequenceClassification';
  return 'BertForTokenClassification';
}

export function bertToHfConfig(
  c: BertConfig,
  architecture: BertArchitecture,
  task?: TaskInfo,
): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [architecture],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: 'gelu',
    hidden_dropout_prob: c.hiddenDropout,
    // llmk's fused attention has no dropout on the probabilities.
    attention_probs_dropout_prob: 0,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    initializer_range: c.initStd,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  };
  if (task) {
    json.id2label = Object.fromEntries(task.labels.map((l, i) => [String(i), l]));
    json.label2id = Object.fromEntries(task.labels.map((l, i) => [l, i]));
    json.problem_type = task.multiLabel ? 'multi_label_classification' : 'single_label_classification';
    if (task.classifierDropout !== undefined) json.classifier_dropout = task.classifierDropout;
    json.llmk_task = task.task;
    json.llmk_max_length = task.maxLength;
    if (task.scheme) json.llmk_tag_scheme = task.scheme;
    if (task.caseFeature) json.llmk_case_feature = true;
    if (task.joiner !== undefined) json.llmk_joiner = task.joiner;
  }
  return json;
}

export function bertFromHfConfig(json: Record<string, unknown>, path: string): BertConfig {
  if (json.model_type !== 'bert') {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${path}: model_type '${String(json.model_type)}' is not bert`,
      'this loader reads BERT checkpoints',
    );
  }
  const act = json.hidden_act ?? 'gelu';
  if (act !== 'gelu') {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${path}: hidden_act '${String(act)}'`,
      'llmk BERT uses the exact gelu',
    );
  }
  const num = (k: string): number | undefined =>
    typeof json[k] === 'number' ? (json[k] as number) : undefined;
  return bertConfig({
    vocabSize: num('vocab_size') ?? 30522,
    hiddenSize: num('hidden_size') ?? 768,
    numHiddenLayers: num('num_hidden_layers') ?? 12,
    numAttentionHeads: num('num_attention_heads') ?? 12,
    intermediateSize: num('intermediate_size') ?? 3072,
    maxPositionEmbeddings: num('max_position_embeddings') ?? 512,
    typeVocabSize: num('type_vocab_size') ?? 2,
    layerNormEps: num('layer_norm_eps') ?? 1e-12,
    hiddenDropout: num('hidden_dropout_prob') ?? 0.1,
    initStd: num('initializer_range') ?? 0.02,
    padTokenId: num('pad_token_id') ?? 0,
  });
}

/** The task fields of a config.json with id2label, or null for a pretraining checkpoint. */
export function taskFromHfConfig(json: Record<string, unknown>): TaskInfo | null {
  const id2label = json.id2label as Record<string, string> | undefined;
  if (!id2label || json.llmk_task === undefined) return null;
  const labels = Object.entries(id2label)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, l]) => l);
  return {
    labels,
    multiLabel: json.problem_type === 'multi_label_classification',
    task: json.llmk_task === 'ner' ? 'ner' : 'classification',
    scheme: typeof json.llmk_tag_scheme === 'string' ? json.llmk_tag_scheme : undefined,
    caseFeature: json.llmk_case_feature === true,
    joiner: typeof json.llmk_joiner === 'string' ? json.llmk_joiner : undefined,
    maxLength: typeof json.llmk_max_length === 'number' ? json.llmk_max_length : 128,
    classifierDropout: typeof json.classifier_dropout === 'number' ? json.classifier_dropout : undefined,
  };
}

/** Writes config.json, model.safetensors (tied aliases left out, as HF does) and tokenizer.json into `dir`. */
export function saveBertFiles(
  dir: string,
  model: AnyBert,
  tokenizer: Tokenizer | null,
  task?: TaskInfo,
): void {
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of model.namedParameters())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: t.values() as Float32Array };
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), bertToHfConfig(model.config, architectureOf(model), task));
  if (tokenizer) tokenizer.save(join(dir, 'tokenizer.json'), { force: true });
}

/** savePretrained: the model directory at `dir`, written atomically. */
export function saveBertPretrained(
  dir: string,
  model: AnyBert,
  tokenizer: Tokenizer | null,
  task?: TaskInfo,
): void {
  writeDirAtomic(dir, (tmp) => saveBertFiles(tmp, model, tokenizer, task));
}

export function readConfigJson(dir: string): Record<string, unknown> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'point --model at a model directory');
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: invalid JSON (${(e as Error).message})`,
      'fix or re-save the model',
    );
  }
}

/**
 * HF key spellings → llmk's: original TF-converted files use LayerNorm `gamma`/`beta`, and BertModel
 * files have no `bert.` prefix.
 */
function normaliseKeys(values: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const bare = [...values.keys()].some((k) => k.startsWith('embeddings.'));
  for (const [k, v] of values) {
    let name = k
      .replace(/LayerNorm\.gamma$/, 'LayerNorm.weight')
      .replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (bare && /^(embeddings|encoder|pooler)\./.test(name)) name = `bert.${name}`;
    out.set(name, v);
  }
  return out;
}

/**
 * Copies checkpoint weights into `model`. Same architecture: every tensor must match (strict).
 * Otherwise (e.g. a pretrained encoder under a new task head): every `bert.*` tensor the model has
 * must be present (the pooler may be new), head tensors of either side are ignored/kept.
 */
export function loadBertWeights(
  model: AnyBert,
  values: Map<string, Float32Array>,
  sameArchitecture: boolean,
): void {
  const normal = normaliseKeys(values);
  if (sameArchitecture) {
    model.loadState(normal);
    return;
  }
  const own = model.stateDict();
  const subset = new Map<string, Float32Array>();
  for (const [name] of own) {
    const v = normal.get(name);
    if (v) subset.set(name, v);
    else if (name.startsWith('bert.') && !name.startsWith('bert.pooler.')) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `missing encoder tensor '${name}'`,
        'the checkpoint is not a BERT of this configuration',
      );
    }
  }
  model.loadState(subset, { strict: false });
}

export interface LoadedBert {
  model: AnyBert;
  config: BertConfig;
  task: TaskInfo | null;
  tokenizer: Tokenizer | null;
  architecture: BertArchitecture;
}

function build(engine: Engine, arch: BertArchitecture, config: BertConfig, task: TaskInfo | null): AnyBert {
  if (arch === 'BertForSequenceClassification' || arch === 'BertForTokenClassification') {
    if (!task) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `${arch} needs id2label and llmk_task in config.json`,
        'fine-tune with llmk finetune, or add the labels to config.json',
      );
    }
    const opts = { numLabels: task.labels.length, classifierDropout: task.classifierDropout };
    return arch === 'BertForSequenceClassification'
      ? new BertForSequenceClassification(engine, config, opts)
      : new BertForTokenClassification(engine, config, opts);
  }
  return arch === 'BertForMaskedLM'
    ? new BertForMaskedLM(engine, config)
    : new BertForPreTraining(engine, config);
}

/** fromPretrained: a BERT model directory (llmk's or Hugging Face's) with the architecture it names. */
export function loadBertPretrained(
  engine: Engine,
  dir: string,
  options: { architecture?: BertArchitecture; task?: TaskInfo } = {},
): LoadedBert {
  const json = readConfigJson(dir);
  const config = bertFromHfConfig(json, join(dir, 'config.json'));
  const saved = ((json.architectures as string[] | undefined)?.[0] ??
    'BertForPreTraining') as BertArchitecture;
  const known: BertArchitecture[] = [
    'BertForPreTraining',
    'BertForMaskedLM',
    'BertForSequenceClassification',
    'BertForTokenClassification',
  ];
  const savedArch = known.includes(saved) ? saved : 'BertForPreTraining';
  const arch = options.architecture ?? savedArch;
  const task = options.task ?? taskFromHfConfig(json);
  const model = build(engine, arch, config, task);
  loadBertWeights(model, readModelWeights(dir), arch === savedArch && known.includes(saved));
  const tokPath = join(dir, 'tokenizer.json');
  const tokenizer = existsSync(tokPath) ? loadTokenizer(tokPath) : null;
  return { model, config, task, tokenizer, architecture: arch };
}
