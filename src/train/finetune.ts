/**
 * Task fine-tuning end to end (what `llmk finetune` runs): read labelled data, build or load the
 * tokenizer and BERT, attach the task head, train with the shared Trainer, keep the checkpoint with
 * the best dev metric in `output` (a Hugging Face model directory with id2label).
 * Without a pretrained model, a WordPiece vocabulary is trained on the training text and a small
 * BERT is built from `config` (or the defaults below) and trained from scratch.
 */
import {
  type ClassificationFormat,
  checkLabels,
  labelSet,
  type NerFormat,
  readClassificationFile,
  readNerFile,
  type TaggedExample,
  type TextExample,
} from '../data/tasks.js';
import { LlmkError } from '../errors.js';
import type { SpanScheme } from '../eval/spans.js';
import { checkOutput } from '../formats/output.js';
import { type BertConfigInput, bertConfig } from '../models/bert/config.js';
import { BertForSequenceClassification, BertForTokenClassification } from '../models/bert/heads.js';
import { asBert } from '../models/bert/hf.js';
import { loadModel } from '../models/load.js';
import { saveModel } from '../models/save.js';
import type { TaskInfo } from '../models/task-info.js';
import type { LoraConfig } from '../peft/config.js';
import { saveAdapter } from '../peft/io.js';
import { addLora, trainableParameters } from '../peft/model.js';
import {
  balancedClassWeights,
  type ClassificationExample,
  encodeClassification,
} from '../tasks/classification.js';
import type { TokenDropout } from '../tasks/encoder-batch.js';
import { encodeNer, type NerExample } from '../tasks/token-classification.js';
import type { Engine } from '../tensor/engine.js';
import { Rng } from '../tensor/random.js';
import { trainTokenizer } from '../tokenize/train.js';
import type { Tokenizer } from '../tokenize/types.js';
import type { ProgressMode } from '../track/progress.js';
import type { Objective } from './objective.js';
import { SequenceClassificationObjective } from './objectives/classification.js';
import { TokenClassificationObjective } from './objectives/token-classification.js';
import { type EvalInfo, Trainer, type TrainerOptions } from './trainer.js';

export type TaskName = 'classification' | 'ner';

export interface FinetuneOptions {
  task: TaskName;
  train: string;
  /** Dev file; without it, every `holdoutEvery`-th training example (1-based) is held out. */
  eval?: string;
  holdoutEvery?: number;
  format: ClassificationFormat | NerFormat;
  textColumn?: string;
  pairColumn?: string;
  labelColumn?: string;
  separator?: string;
  labelSeparator?: string;
  multiLabel?: boolean;
  /** 'balanced' (inverse frequency) or explicit per-label weights. */
  classWeights?: 'balanced' | number[] | null;
  /** Tagging scheme for entity metrics (default IOB2; BMES for the bmes format). */
  scheme?: SpanScheme;
  /** NER: carry word casing in the token type ids (type_vocab_size 4). */
  caseFeature?: boolean;
  /** A pretrained BERT directory (its tokenizer.json is used). */
  model?: string;
  /** Model config for training from scratch. */
  config?: Partial<BertConfigInput>;
  /** WordPiece vocabulary size when training from scratch. */
  vocabSize?: number;
  output: string;
  /** Replace an existing model directory at `output` (see checkOutput). */
  force?: boolean;
  maxLength?: number;
  batchSize?: number;
  /** Fixed label set (else the training labels). */
  labels?: string[];
  trainer?: Partial<TrainerOptions>;
  classifierDropout?: number;
  /** Replace training input tokens by the unknown token at this rate (word dropout; default 0). */
  tokenDropout?: number;
  progress?: ProgressMode;
  /** Called after every evaluation (e.g. to print the curve as it grows). */
  onEval?: (info: EvalInfo) => void;
  /**
   * LoRA instead of full fine-tuning (needs `model`): the base is frozen, `output` and checkpoints
   * become PEFT adapter directories (adapter + the task head under modules_to_save, which defaults to
   * ['classifier'] as PEFT adds it for SEQ_CLS/TOKEN_CLS), plus llmk_task.json with the labels.
   */
  peft?: Partial<LoraConfig> | null;
  /** Called once the model is ready, before training (trainable and total parameter counts). */
  onModel?: (info: { trainable: number; total: number; percent: number }) => void;
  /**
   * Wraps the task objective before training (adversarial training: src/robust's
   * AdversarialObjective). Injected by the caller, as train/ sits below robust/.
   */
  wrapObjective?: (objective: Objective) => Objective;
}

export interface FinetuneResult {
  labels: string[];
  trainExamples: number;
  evalExamples: number;
  parameters: number;
  /** Parameters that trained (all of them without peft). */
  trainableParameters: number;
  history: EvalInfo[];
  best: EvalInfo | null;
  wallSeconds: number;
  steps: number;
  finalLoss: number;
}

/** Word dropout onto the tokenizer's unknown token; the special tokens are never replaced. */
function tokenDropoutFor(tokenizer: Tokenizer, p: number): TokenDropout | undefined {
  if (p === 0) return undefined;
  const unkId = tokenizer.tokenToId('[UNK]') ?? tokenizer.tokenToId('<unk>');
  if (unkId === undefined)
    throw new LlmkError(
      'LLMK_E_ARG',
      'token dropout needs an unknown token, and the tokenizer has neither [UNK] nor <unk>',
      'drop --token-dropout or use a tokenizer with an unknown token',
    );
  const keep = new Set<number>();
  for (const name of SPECIALS) {
    const id = tokenizer.tokenToId(name);
    if (id !== undefined) keep.add(id);
  }
  return { p, unkId, keep };
}

/** The metric that picks the best checkpoint: accuracy (classification) or entity F1 (NER). */
export function primaryMetric(task: TaskName): 'accuracy' | 'f1' {
  return task === 'ner' ? 'f1' : 'accuracy';
}

/** Defaults for a from-scratch model that trains in minutes on 2 cores. */
const SCRATCH_DEFAULTS: Omit<BertConfigInput, 'vocabSize'> = {
  hiddenSize: 128,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  maxPositionEmbeddings: 128,
  hiddenDropout: 0.1,
};

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

function holdout<T>(items: readonly T[], every: number): { train: T[]; dev: T[] } {
  const train: T[] = [];
  const dev: T[] = [];
  items.forEach((x, i) => {
    ((i + 1) % every === 0 ? dev : train).push(x);
  });
  return { train, dev };
}

async function readTaskData(
  options: FinetuneOptions,
): Promise<{ train: Array<TextExample | TaggedExample>; dev: Array<TextExample | TaggedExample> }> {
  const read = (path: string): Promise<Array<TextExample | TaggedExample>> =>
    options.task === 'ner'
      ? readNerFile(path, options.format as NerFormat)
      : readClassificationFile(path, {
          format: options.format as ClassificationFormat,
          textColumn: options.textColumn,
          pairColumn: options.pairColumn,
          labelColumn: options.labelColumn,
          separator: options.separator,
          labelSeparator: options.labelSeparator,
        });
  const all = await read(options.train);
  if (options.eval) return { train: all, dev: await read(options.eval) };
  return holdout(all, options.holdoutEvery ?? 10);
}

function labelsOf(e: TextExample | TaggedExample): string[] {
  return 'labels' in e ? e.labels : e.tags;
}

/** Word joiner of NER inputs: nothing for character-level (CJK) data, a space otherwise. */
function joinerFor(format: string, sample: readonly TaggedExample[]): string {
  if (format === 'bmes') return '';
  const chars = sample.slice(0, 50).flatMap((s) => s.tokens);
  const single = chars.filter((t) => [...t].length === 1).length;
  return chars.length > 0 && single / chars.length > 0.95 && chars.some((t) => /\p{Script=Han}/u.test(t))
    ? ''
    : ' ';
}

export async function finetune(engine: Engine, options: FinetuneOptions): Promise<FinetuneResult> {
  const t0 = performance.now();
  // Refuse an existing output (or one holding the inputs) before any work; it used to be replaced
  // wholesale — training file included — by the first save.
  checkOutput({
    path: options.output,
    kind: 'dir',
    force: options.force,
    flag: '--output',
    inputs: [options.train, options.eval, options.model],
  });
  const { task } = options;
  const ner = task === 'ner';
  const { train, dev } = await readTaskData(options);
  if (train.length === 0)
    throw new LlmkError(
      'LLMK_E_DATA',
      `${options.train}: no training examples`,
      'check the file and --format',
    );
  const labels = options.labels ?? labelSet(train.map(labelsOf), ner);
  checkLabels(train as TextExample[], labels);
  checkLabels(dev as TextExample[], labels);
  const maxLength = options.maxLength ?? 128;
  const batchSize = options.batchSize ?? 32;
  const scheme: SpanScheme = options.scheme ?? (options.format === 'bmes' ? 'BMES' : 'IOB2');
  const joiner = ner ? joinerFor(options.format, train as TaggedExample[]) : undefined;
  const caseFeature = ner && (options.caseFeature ?? false);
  const taskInfo: TaskInfo = {
    labels,
    multiLabel: options.multiLabel ?? false,
    task,
    scheme: ner ? scheme : undefined,
    caseFeature,
    joiner,
    maxLength,
    classifierDropout: options.classifierDropout,
  };
  const seed = options.trainer?.seed ?? 1337;
  const rng = new Rng(seed);

  // 1. Tokenizer and model: pretrained, or trained here from scratch.
  let tokenizer: Tokenizer;
  let model: BertForSequenceClassification | BertForTokenClassification;
  if (options.model) {
    const loaded = loadModel(engine, options.model, {
      architecture: ner ? 'BertForTokenClassification' : 'BertForSequenceClassification',
      task: taskInfo,
    });
    if (!loaded.tokenizer)
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${options.model} has no tokenizer.json`,
        'save the tokenizer with the model',
      );
    const bert = asBert(loaded.model, options.model);
    if (caseFeature && bert.config.typeVocabSize < 4)
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `--case-feature needs type_vocab_size ≥ 4, ${options.model} has ${bert.config.typeVocabSize}`,
        'pretrain with typeVocabSize 4 or drop --case-feature',
      );
    tokenizer = loaded.tokenizer;
    model = bert as BertForSequenceClassification | BertForTokenClassification;
    model.train();
  } else {
    const texts = ner
      ? (train as TaggedExample[]).map((s) => s.tokens.join(joiner))
      : (train as TextExample[]).map((e) => (e.pair ? `${e.text}\n${e.pair}` : e.text));
    tokenizer = await trainTokenizer({
      type: 'wordpiece',
      texts,
      vocabSize: options.vocabSize ?? 8000,
      specialTokens: SPECIALS,
      progress: 'quiet',
    });
    const config = bertConfig({
      ...SCRATCH_DEFAULTS,
      maxPositionEmbeddings: Math.max(maxLength, 16),
      ...(caseFeature ? { typeVocabSize: 4 } : {}),
      ...options.config,
      vocabSize: tokenizer.vocabSize,
      padTokenId: tokenizer.padId() ?? 0,
    });
    const head = { numLabels: labels.length, classifierDropout: options.classifierDropout, rng };
    model = ner
      ? new BertForTokenClassification(engine, config, head)
      : new BertForSequenceClassification(engine, config, head);
  }
  if (options.peft) {
    if (!options.model)
      throw new LlmkError(
        'LLMK_E_ARG',
        'LoRA needs a pretrained model',
        'pass --model DIR (a from-scratch model has nothing to adapt: fine-tune it in full)',
      );
    addLora(model, { modulesToSave: ['classifier'], ...options.peft }, { rng });
  }
  const counts = trainableParameters(model);
  options.onModel?.(counts);
  const padId = tokenizer.padId() ?? 0;
  const peftTask = ner ? 'TOKEN_CLS' : 'SEQ_CLS';
  const save = (dir: string): void =>
    options.peft
      ? saveAdapter(dir, model, {
          baseModelNameOrPath: options.model ?? null,
          taskType: peftTask,
          extraFiles: { 'llmk_task.json': `${JSON.stringify(taskInfo, null, 2)}\n` },
        })
      : saveModel(dir, model, { tokenizer, task: taskInfo });
  const tokenDropout = tokenDropoutFor(tokenizer, options.tokenDropout ?? 0);

  // 2. Encode and build the objective.
  let objective: Objective;
  if (ner) {
    const enc = { maxLength, caseFeature };
    const trainEx: NerExample[] = await encodeNer(tokenizer, train as TaggedExample[], labels, enc);
    const devEx: NerExample[] = await encodeNer(tokenizer, dev as TaggedExample[], labels, enc);
    objective = new TokenClassificationObjective(
      model as BertForTokenClassification,
      { train: trainEx, val: devEx },
      {
        batchSize,
        padId,
        labels,
        scheme,
        valTags: (dev as TaggedExample[]).map((s) => s.tags),
        save,
        tokenDropout,
      },
    );
  } else {
    const trainEx: ClassificationExample[] = await encodeClassification(
      tokenizer,
      train as TextExample[],
      labels,
      maxLength,
    );
    const devEx = await encodeClassification(tokenizer, dev as TextExample[], labels, maxLength);
    const weights =
      options.classWeights === 'balanced'
        ? balancedClassWeights(trainEx, labels.length)
        : (options.classWeights ?? null);
    if (weights && weights.length !== labels.length)
      throw new LlmkError(
        'LLMK_E_ARG',
        `${weights.length} class weights for ${labels.length} labels`,
        `give one weight per label in the order ${labels.join(', ')}`,
      );
    objective = new SequenceClassificationObjective(
      model as BertForSequenceClassification,
      { train: trainEx, val: devEx },
      {
        batchSize,
        padId,
        labels,
        multiLabel: taskInfo.multiLabel,
        classWeights: weights,
        save,
        tokenDropout,
      },
    );
  }

  // 3. Train; the best dev metric's weights are written to `output` as they appear.
  const metric = primaryMetric(task);
  const history: EvalInfo[] = [];
  let best: EvalInfo | null = null;
  const trainer = new Trainer(
    engine,
    options.wrapObjective ? options.wrapObjective(objective) : objective,
    { progress: options.progress ?? 'bar', ...options.trainer, seed },
    {
      callbacks: {
        onEval: (info) => {
          history.push(info);
          options.onEval?.(info);
          if (!best || info.metrics[metric] > best.metrics[metric]) {
            best = info;
            save(options.output);
          }
        },
      },
    },
  );
  const result = await trainer.run();
  if (!best) save(options.output);
  return {
    labels,
    trainExamples: train.length,
    evalExamples: dev.length,
    parameters: counts.total,
    trainableParameters: counts.trainable,
    history,
    best,
    wallSeconds: (performance.now() - t0) / 1000,
    steps: result.steps,
    finalLoss: result.finalLoss,
  };
}
