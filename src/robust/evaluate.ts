/**
 * Accuracy under attack: a fine-tuned classifier or tagger is scored on the clean evaluation data
 * and on a seeded perturbation of it (./perturb.ts), with the attack success rate as TextAttack
 * reports it: of the examples the model gets right when clean, the share it gets wrong attacked.
 * (NER: a sentence counts as right when every word's tag is.)
 */
import type { TaggedExample, TextExample } from '../data/tasks.js';
import { LlmkError } from '../errors.js';
import { type SpanScheme, spanReport } from '../eval/spans.js';
import { tagConstraints } from '../eval/tag-decode.js';
import type { BertForSequenceClassification, BertForTokenClassification } from '../models/bert/heads.js';
import type { TaskInfo } from '../models/task-info.js';
import {
  classificationMetrics,
  encodeClassification,
  predictClassification,
} from '../tasks/classification.js';
import { encodeNer, predictTokens } from '../tasks/token-classification.js';
import type { Tokenizer } from '../tokenize/types.js';
import { type AttackName, checkAttack, exampleRng, perturbText, perturbUnits } from './perturb.js';

/** A loaded fine-tuned model (what infer's loadTaskModel returns). */
export interface AttackedModel {
  model: BertForSequenceClassification | BertForTokenClassification;
  tokenizer: Tokenizer;
  task: TaskInfo;
}

export interface RobustnessOptions {
  attack: AttackName;
  /** Share of eligible words (or Chinese characters) changed per example (default 0.1). */
  rate?: number;
  seed?: number;
  batchSize?: number;
}

export interface RobustnessReport {
  attack: AttackName;
  rate: number;
  seed: number;
  examples: number;
  /** accuracy, macro_f1 (classification) or f1, precision, recall (NER). */
  clean: Record<string, number>;
  attacked: Record<string, number>;
  /** Clean-correct examples that the attack makes wrong, over clean-correct examples. */
  successRate: number;
  /** Examples in which at least one word was changed. */
  perturbedExamples: number;
  /** Mean words (units) changed per example. */
  wordsChanged: number;
  /** A few perturbed texts, for the eye. */
  samples: Array<{ clean: string; attacked: string }>;
}

interface Scored {
  metrics: Record<string, number>;
  correct: boolean[];
}

async function scoreClassification(
  tm: AttackedModel,
  data: readonly TextExample[],
  batchSize: number,
): Promise<Scored> {
  const { model, tokenizer, task } = tm;
  const enc = await encodeClassification(tokenizer, data, task.labels, task.maxLength);
  const p = model.engine.noGrad(() =>
    predictClassification(model as BertForSequenceClassification, enc, {
      batchSize,
      padId: tokenizer.padId() ?? 0,
      multiLabel: task.multiLabel,
    }),
  );
  const gold = enc.map((e) => e.labels);
  const correct = gold.map((g, i) => {
    const q = p.predicted[i];
    return q.length === g.length && q.every((x) => g.includes(x));
  });
  return { metrics: classificationMetrics(gold, p.predicted, task.labels, task.multiLabel), correct };
}

async function scoreNer(
  tm: AttackedModel,
  data: readonly TaggedExample[],
  batchSize: number,
): Promise<Scored> {
  const { model, tokenizer, task } = tm;
  const enc = await encodeNer(tokenizer, data, task.labels, {
    maxLength: task.maxLength,
    caseFeature: task.caseFeature ?? false,
  });
  const scheme = (task.scheme ?? 'IOB2') as SpanScheme;
  const p = model.engine.noGrad(() =>
    predictTokens(model as BertForTokenClassification, enc, {
      batchSize,
      padId: tokenizer.padId() ?? 0,
      fallback: Math.max(0, task.labels.indexOf('O')),
      constraints: tagConstraints(task.labels, scheme),
    }),
  );
  const pred = p.words.map((ws) => ws.map((j) => task.labels[j]));
  const gold = data.map((s) => s.tags);
  const r = spanReport(gold, pred, { scheme });
  return {
    metrics: { f1: r.micro.f1, precision: r.micro.precision, recall: r.micro.recall },
    correct: gold.map((g, i) => g.every((t, j) => pred[i][j] === t)),
  };
}

/** Scores `data` clean and under the attack. Examples are perturbed independently (exampleRng). */
export async function evaluateUnderAttack(
  tm: AttackedModel,
  data: readonly TextExample[] | readonly TaggedExample[],
  options: RobustnessOptions,
): Promise<RobustnessReport> {
  const rate = options.rate ?? 0.1;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 32;
  checkAttack(options.attack, rate);
  if (data.length === 0)
    throw new LlmkError(
      'LLMK_E_DATA',
      `no examples to attack (--attack ${options.attack})`,
      'give an evaluation file with labelled examples',
    );
  const ner = tm.task.task === 'ner';
  let changedUnits = 0;
  let perturbedExamples = 0;
  const samples: Array<{ clean: string; attacked: string }> = [];
  let clean: Scored;
  let attacked: Scored;
  if (ner) {
    const sents = data as readonly TaggedExample[];
    const adv = sents.map((s, i) => {
      const r = perturbUnits(s.tokens, options.attack, rate, exampleRng(seed, i));
      changedUnits += r.changed.length;
      if (r.changed.length > 0) perturbedExamples++;
      if (samples.length < 5 && r.changed.length > 0)
        samples.push({
          clean: s.tokens.join(tm.task.joiner ?? ' '),
          attacked: r.units.join(tm.task.joiner ?? ' '),
        });
      return { ...s, tokens: r.units };
    });
    clean = await scoreNer(tm, sents, batchSize);
    attacked = await scoreNer(tm, adv, batchSize);
  } else {
    const texts = data as readonly TextExample[];
    const adv = texts.map((e, i) => {
      const rng = exampleRng(seed, i);
      const a = perturbText(e.text, options.attack, rate, rng);
      const b = e.pair !== undefined ? perturbText(e.pair, options.attack, rate, rng) : null;
      const n = a.changed + (b?.changed ?? 0);
      changedUnits += n;
      if (n > 0) perturbedExamples++;
      if (samples.length < 5 && n > 0) samples.push({ clean: e.text, attacked: a.text });
      return { ...e, text: a.text, ...(b ? { pair: b.text } : {}) };
    });
    clean = await scoreClassification(tm, texts, batchSize);
    attacked = await scoreClassification(tm, adv, batchSize);
  }
  let right = 0;
  let flipped = 0;
  clean.correct.forEach((c, i) => {
    if (!c) return;
    right++;
    if (!attacked.correct[i]) flipped++;
  });
  return {
    attack: options.attack,
    rate,
    seed,
    examples: data.length,
    clean: clean.metrics,
    attacked: attacked.metrics,
    successRate: right === 0 ? 0 : flipped / right,
    perturbedExamples,
    wordsChanged: changedUnits / data.length,
    samples,
  };
}
