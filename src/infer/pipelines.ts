/**
 * Task pipelines over fine-tuned BERT directories: classify texts, tag entities (merged spans with
 * character offsets), and evaluate on a labelled file (metrics plus a per-class table).
 */
import type { ClassificationReadOptions, TaggedExample, TextExample } from '../data/tasks.js';
import { checkLabels, readClassificationFile, readNerFile } from '../data/tasks.js';
import { LlmkError } from '../errors.js';
import { classificationReport, confusionMatrix } from '../eval/classification.js';
import { extractSpans, type SpanScheme, spanReport } from '../eval/spans.js';
import { tagConstraints } from '../eval/tag-decode.js';
import type { BertForSequenceClassification, BertForTokenClassification } from '../models/bert/heads.js';
import { asBert } from '../models/bert/hf.js';
import { loadModel } from '../models/load.js';
import type { TaskInfo } from '../models/task-info.js';
import {
  classificationMetrics,
  encodeClassification,
  encodeTexts,
  predictClassification,
} from '../tasks/classification.js';
import { encodeNer, encodeWords, predictTokens } from '../tasks/token-classification.js';
import type { Engine } from '../tensor/engine.js';
import type { Tokenizer } from '../tokenize/types.js';

export interface TaskModel {
  model: BertForSequenceClassification | BertForTokenClassification;
  tokenizer: Tokenizer;
  task: TaskInfo;
}

/** Loads a directory written by `llmk finetune` (config.json with id2label and llmk_task). */
export function loadTaskModel(engine: Engine, dir: string): TaskModel {
  const loaded = loadModel(engine, dir);
  const model = asBert(loaded.model, dir);
  if (!loaded.task || !loaded.tokenizer) {
    throw new LlmkError(
      'LLMK_E_CHECKPOINT',
      `${dir} is not a fine-tuned task model (no id2label/llmk_task in config.json, or no tokenizer.json)`,
      'fine-tune one with llmk finetune',
    );
  }
  return {
    model: model as BertForSequenceClassification | BertForTokenClassification,
    tokenizer: loaded.tokenizer,
    task: loaded.task,
  };
}

export interface ClassifyResult {
  label: string;
  labels: string[];
  score: number;
  scores: Record<string, number>;
}

export async function classifyTexts(
  tm: TaskModel,
  inputs: readonly (string | [string, string])[],
  options: { batchSize?: number } = {},
): Promise<ClassifyResult[]> {
  const { model, tokenizer, task } = tm;
  if (task.task !== 'classification')
    throw new LlmkError('LLMK_E_ARG', 'this model is a NER model', 'use tagEntities / --task ner');
  inputs.forEach((x, i) => {
    const text = typeof x === 'string' ? x : x[0];
    if (text.trim() === '')
      throw new LlmkError('LLMK_E_DATA', `input ${i + 1}: empty text`, 'give a non-empty text');
  });
  const enc = await encodeTexts(
    tokenizer,
    inputs.map((x) => (typeof x === 'string' ? { text: x } : { text: x[0], pair: x[1] })),
    task.maxLength,
  );
  const p = model.engine.noGrad(() =>
    predictClassification(
      model as BertForSequenceClassification,
      enc.map((e) => ({ ...e, labels: [] })),
      { batchSize: options.batchSize ?? 32, padId: tokenizer.padId() ?? 0, multiLabel: task.multiLabel },
    ),
  );
  return p.predicted.map((pred, i) => {
    const scores = Object.fromEntries(task.labels.map((l, j) => [l, p.scores[i][j]]));
    const labels = pred.map((j) => task.labels[j]);
    return { label: labels[0] ?? '', labels, score: pred.length ? p.scores[i][pred[0]] : 0, scores };
  });
}

export interface Entity {
  type: string;
  text: string;
  /** [start, end) character offsets (UTF-16 code units) in the input. */
  start: number;
  end: number;
  /** Mean probability of the entity's word tags. */
  score: number;
}

/** Words of raw text with offsets: each non-space character (CJK models) or letter/digit runs and single symbols. */
export function splitWords(
  text: string,
  joiner: string,
): Array<{ word: string; start: number; end: number }> {
  const re = joiner === '' ? /\S/gu : /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;
  return [...text.matchAll(re)].map((m) => ({
    word: m[0],
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
}

export async function tagEntities(
  tm: TaskModel,
  texts: readonly string[],
  options: { batchSize?: number } = {},
): Promise<Entity[][]> {
  const { model, tokenizer, task } = tm;
  if (task.task !== 'ner')
    throw new LlmkError('LLMK_E_ARG', 'this model is a classifier', 'use classifyTexts');
  const joiner = task.joiner ?? ' ';
  const words = texts.map((t, i) => {
    const w = splitWords(t, joiner);
    if (w.length === 0)
      throw new LlmkError('LLMK_E_DATA', `input ${i + 1}: empty text`, 'give a non-empty text');
    return w;
  });
  const enc = await encodeWords(
    tokenizer,
    words.map((ws) => ws.map((w) => w.word)),
    { maxLength: task.maxLength, caseFeature: task.caseFeature ?? false },
  );
  const fallback = Math.max(0, task.labels.indexOf('O'));
  const scheme = (task.scheme ?? 'IOB2') as SpanScheme;
  const p = model.engine.noGrad(() =>
    predictTokens(
      model as BertForTokenClassification,
      enc.map((e) => ({ ...e, labels: [] })),
      {
        batchSize: options.batchSize ?? 32,
        padId: tokenizer.padId() ?? 0,
        fallback,
        constraints: tagConstraints(task.labels, scheme),
      },
    ),
  );
  return texts.map((text, i) => {
    const tags = p.words[i].map((j) => task.labels[j]);
    return extractSpans(tags, scheme).map((s) => {
      const start = words[i][s.start].start;
      const end = words[i][s.end - 1].end;
      const sc = p.scores[i].slice(s.start, s.end);
      return {
        type: s.type,
        text: text.slice(start, end),
        start,
        end,
        score: sc.reduce((a, b) => a + b, 0) / sc.length,
      };
    });
  });
}

export interface ClassRow {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface TaskEvaluation {
  task: 'classification' | 'ner';
  examples: number;
  /** Top-level metrics: accuracy, macro_f1, … (classification) or f1, precision, recall (NER). */
  metrics: Record<string, number>;
  perClass: ClassRow[];
  confusion?: { labels: string[]; matrix: number[][] };
}

export async function evaluateTask(
  tm: TaskModel,
  file: string,
  read: ClassificationReadOptions | { format: 'conll' | 'bmes' },
  options: { batchSize?: number } = {},
): Promise<TaskEvaluation> {
  const { model, tokenizer, task } = tm;
  const batchSize = options.batchSize ?? 32;
  const padId = tokenizer.padId() ?? 0;
  if (task.task === 'ner') {
    const data: TaggedExample[] = await readNerFile(file, read.format as 'conll' | 'bmes');
    checkLabels(data, task.labels);
    const enc = await encodeNer(tokenizer, data, task.labels, {
      maxLength: task.maxLength,
      caseFeature: task.caseFeature ?? false,
    });
    const fallback = Math.max(0, task.labels.indexOf('O'));
    const scheme = (task.scheme ?? 'IOB2') as SpanScheme;
    const constraints = tagConstraints(task.labels, scheme);
    const p = model.engine.noGrad(() =>
      predictTokens(model as BertForTokenClassification, enc, { batchSize, padId, fallback, constraints }),
    );
    const gold = data.map((s) => s.tags);
    const pred = p.words.map((ws) => ws.map((j) => task.labels[j]));
    const r = spanReport(gold, pred, { scheme });
    return {
      task: 'ner',
      examples: data.length,
      metrics: {
        f1: r.micro.f1,
        precision: r.micro.precision,
        recall: r.micro.recall,
        macro_f1: r.macro.f1,
        loss: p.loss,
      },
      perClass: r.types.map((t, i) => ({ label: t, ...r.perType[i] })),
    };
  }
  const data: TextExample[] = await readClassificationFile(file, read as ClassificationReadOptions);
  checkLabels(data, task.labels);
  const enc = await encodeClassification(tokenizer, data, task.labels, task.maxLength);
  const p = model.engine.noGrad(() =>
    predictClassification(model as BertForSequenceClassification, enc, {
      batchSize,
      padId,
      multiLabel: task.multiLabel,
    }),
  );
  const gold = enc.map((e) => e.labels);
  const metrics = { ...classificationMetrics(gold, p.predicted, task.labels, task.multiLabel), loss: p.loss };
  if (task.multiLabel) return { task: 'classification', examples: data.length, metrics, perClass: [] };
  const yTrue = gold.map((g) => task.labels[g[0]]);
  const yPred = p.predicted.map((q) => task.labels[q[0]]);
  const r = classificationReport(yTrue, yPred, { labels: [...task.labels] });
  const cm = confusionMatrix(yTrue, yPred, task.labels);
  return {
    task: 'classification',
    examples: data.length,
    metrics,
    perClass: r.labels.map((l, i) => ({ label: String(l), ...r.perLabel[i] })),
    confusion: { labels: [...task.labels], matrix: cm.matrix },
  };
}
