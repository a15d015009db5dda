/**
 * BERT's Hugging Face adapter and registry entry: config.json (transformers' BertConfig, `model_type:
 * bert`) ↔ BertConfig, the four architectures (pretraining, masked LM, sequence and token
 * classification), and checkpoint names (original TF-converted files use LayerNorm `gamma`/`beta`;
 * BertModel files have no `bert.` prefix). Task heads record their labels as HF does (task-info.ts).
 */
import { LlmkError } from '../../errors.js';
import type { InitMode } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import type { Engine } from '../../tensor/engine.js';
import type { ModelFamily } from '../family.js';
import { Fields, specialTokens } from '../hf-fields.js';
import { type TaskInfo, taskFromHfConfig, taskToHfFields } from '../task-info.js';
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

function architectureOf(model: AnyBert): BertArchitecture {
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
  return task ? { ...json, ...taskToHfFields(task) } : json;
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

const ARCHITECTURES: readonly BertArchitecture[] = [
  'BertForPreTraining',
  'BertForMaskedLM',
  'BertForSequenceClassification',
  'BertForTokenClassification',
];

export function isBert(model: Module): model is AnyBert {
  return (
    model instanceof BertForPreTraining ||
    model instanceof BertForMaskedLM ||
    model instanceof BertForSequenceClassification ||
    model instanceof BertForTokenClassification
  );
}

/** The model as a BERT, or a typed error naming what was loaded instead. */
export function asBert(model: Module, where: string): AnyBert {
  if (!isBert(model)) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${where} holds a ${model.constructor.name}, not a BERT model`,
      'pass a BERT model directory (config.json model_type "bert")',
    );
  }
  return model;
}

function build(
  engine: Engine,
  arch: BertArchitecture,
  config: BertConfig,
  task: TaskInfo | null,
  init: InitMode,
): AnyBert {
  if (arch === 'BertForSequenceClassification' || arch === 'BertForTokenClassification') {
    if (!task) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `${arch} needs id2label and llmk_task in config.json`,
        'fine-tune with llmk finetune, or add the labels to config.json',
      );
    }
    const opts = { numLabels: task.labels.length, classifierDropout: task.classifierDropout, init };
    return arch === 'BertForSequenceClassification'
      ? new BertForSequenceClassification(engine, config, opts)
      : new BertForTokenClassification(engine, config, opts);
  }
  return arch === 'BertForMaskedLM'
    ? new BertForMaskedLM(engine, config, { init })
    : new BertForPreTraining(engine, config, { init });
}

export const bertFamily: ModelFamily = {
  modelTypes: ['bert'],
  causal: false,
  parseConfig: bertFromHfConfig,
  build(engine, json, path, options) {
    const config = bertFromHfConfig(json, path);
    const named = (json.architectures as string[] | undefined)?.[0] ?? 'BertForPreTraining';
    const known = ARCHITECTURES.includes(named as BertArchitecture);
    const saved: BertArchitecture = known ? (named as BertArchitecture) : 'BertForPreTraining';
    const requested = options.architecture;
    if (requested !== undefined && !ARCHITECTURES.includes(requested as BertArchitecture)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `BERT architecture '${requested}' is not supported`,
        `use one of ${ARCHITECTURES.join(', ')}`,
      );
    }
    const arch = (requested as BertArchitecture | undefined) ?? saved;
    const task = options.task ?? taskFromHfConfig(json);
    // Another head than the saved one: the encoder must be there (the pooler may be new), and the
    // new head starts from its random init; the same head is filled entirely from the file.
    const same = arch === saved && known;
    const model = build(engine, arch, config, task, same ? 'empty' : 'random');
    const partial = same
      ? null
      : { required: (name: string) => name.startsWith('bert.') && !name.startsWith('bert.pooler.') };
    return { model, modelType: 'bert', special: specialTokens(new Fields(json, path)), task, partial };
  },
  weightNames(keys) {
    const bare = keys.some((k) => k.startsWith('embeddings.'));
    return (key) => {
      const name = key
        .replace(/LayerNorm\.gamma$/, 'LayerNorm.weight')
        .replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
      return bare && /^(embeddings|encoder|pooler)\./.test(name) ? `bert.${name}` : name;
    };
  },
  owns: isBert,
  toHfConfig(model, options) {
    const bert = asBert(model, 'saveModel');
    return bertToHfConfig(bert.config, architectureOf(bert), options.task);
  },
};
