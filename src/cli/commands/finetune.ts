/**
 * `llmk finetune`, `llmk eval` and `llmk predict`: task fine-tuning (classification, NER) of BERT,
 * evaluation with a per-class table, and predictions (labels, or entities with character offsets).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ClassificationFormat, readClassificationFile, readNerFile } from '../../data/tasks.js';
import { LlmkError } from '../../errors.js';
import type { SpanScheme } from '../../eval/spans.js';
import { classifyTexts, evaluateTask, loadTaskModel, tagEntities } from '../../infer/pipelines.js';
import type { BertConfigInput } from '../../models/bert/config.js';
import {
  type AdversarialMethod,
  AdversarialObjective,
  resolveAdversarialOptions,
} from '../../robust/adversarial.js';
import { evaluateUnderAttack } from '../../robust/evaluate.js';
import type { AttackName } from '../../robust/perturb.js';
import { createEngine } from '../../tensor/create.js';
import type { ProgressMode } from '../../track/progress.js';
import { finetune, primaryMetric, type TaskName } from '../../train/finetune.js';

const FORMATS = ['tsv', 'csv', 'jsonl', 'txt', 'conll', 'bmes'];

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new LlmkError('LLMK_E_ARG', `${flag} ${v} is not a number`, `give ${flag} a number`);
  return n;
}

function taskOf(v: string | undefined): TaskName {
  if (v !== 'classification' && v !== 'ner')
    throw new LlmkError('LLMK_E_ARG', `--task ${String(v)}`, 'use --task classification or --task ner');
  return v;
}

function formatOf(v: string | undefined, task: TaskName, file: string): string {
  const f =
    v ??
    (task === 'ner'
      ? file.endsWith('.bmes')
        ? 'bmes'
        : 'conll'
      : file.endsWith('.csv')
        ? 'csv'
        : file.endsWith('.jsonl')
          ? 'jsonl'
          : file.endsWith('.tsv')
            ? 'tsv'
            : 'txt');
  const allowed = task === 'ner' ? ['conll', 'bmes'] : ['tsv', 'csv', 'jsonl', 'txt'];
  if (!allowed.includes(f))
    throw new LlmkError('LLMK_E_ARG', `--format ${f} for --task ${task}`, `use one of ${allowed.join(', ')}`);
  return f;
}

function readJsonFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new LlmkError('LLMK_E_CONFIG', `cannot read ${path}: ${(e as Error).message}`, 'pass a JSON file');
  }
}

const pct = (x: number): string => x.toFixed(4);

export function registerFinetune(program: Command): void {
  program
    .command('finetune')
    .description('fine-tune BERT for classification or NER (from --model, or from scratch with --config)')
    .requiredOption('--task <task>', 'classification | ner')
    .requiredOption('--train <file>', 'training data')
    .option('--eval <file>', 'dev data (default: every --holdout-every-th training example)')
    .option('--holdout-every <n>', 'hold out training examples n, 2n, 3n, … (1-based) as dev', '10')
    .requiredOption('--output <dir>', 'model directory to write (the best dev checkpoint)')
    .option('--model <dir>', 'pretrained BERT directory')
    .option('--config <file>', 'BERT config JSON (camelCase fields) for training from scratch')
    .option(`--format <fmt>`, FORMATS.join('|'))
    .option('--text-column <name>')
    .option('--pair-column <name>', 'second sentence column (pair classification)')
    .option('--label-column <name>', 'label column (default label)')
    .option('--separator <s>', "txt format: text<s>label (default '@')")
    .option('--label-separator <s>', 'multi-label: labels separated by this')
    .option('--multi-label', 'multi-label classification (sigmoid + BCE)')
    .option('--class-weights <w>', "'balanced' or comma-separated weights in label order")
    .option('--scheme <scheme>', 'NER tagging scheme: IOB2, BIOES, BMES (default IOB2; BMES for bmes)')
    .option('--case-feature', 'NER: word casing in the token type ids')
    .option('--vocab-size <n>', 'WordPiece vocabulary when training from scratch', '8000')
    .option('--max-length <n>', 'tokens per example', '128')
    .option('--batch-size <n>', '', '32')
    .option('--steps <n>', '', '1000')
    .option('--lr <x>', '', '5e-4')
    .option('--warmup-steps <n>', '', '100')
    .option('--weight-decay <x>', '', '0.01')
    .option('--eval-interval <n>', '', '100')
    .option('--classifier-dropout <p>')
    .option('--token-dropout <p>', 'replace training input tokens by [UNK] at this rate (word dropout)', '0')
    .option('--seed <n>', '', '1337')
    .option('--adversarial <method>', 'adversarial training on the word embeddings: fgm | pgd | freelb')
    .option('--adv-epsilon <x>', 'perturbation norm (FGM) or ball radius (PGD, FreeLB), per example', '1.0')
    .option('--adv-steps <n>', 'PGD/FreeLB ascent steps', '3')
    .option('--adv-alpha <x>', 'PGD/FreeLB step size', '0.3')
    .option('--progress <mode>', 'bar | json | quiet', 'bar')
    .option('--json <file>', 'write the result (curve, best metrics, wall time) as JSON')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const s = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      const task = taskOf(s('task'));
      const format = formatOf(s('format'), task, s('train') as string);
      const cw = s('classWeights');
      const steps = num(s('steps'), '--steps') as number;
      const engine = createEngine();
      const adv = s('adversarial');
      const advOptions = adv
        ? {
            method: adv as AdversarialMethod,
            epsilon: num(s('advEpsilon'), '--adv-epsilon') as number,
            steps: num(s('advSteps'), '--adv-steps'),
            alpha: num(s('advAlpha'), '--adv-alpha'),
          }
        : null;
      // Validate before reading data: a bad ε or step count fails at once.
      if (advOptions) resolveAdversarialOptions(advOptions);
      process.stderr.write(
        `llmk finetune: backend ${engine.backend.name}, ${engine.backend.threads()} thread(s)\n`,
      );
      const result = await finetune(engine, {
        task,
        train: s('train') as string,
        eval: s('eval'),
        holdoutEvery: num(s('holdoutEvery'), '--holdout-every'),
        format: format as ClassificationFormat,
        textColumn: s('textColumn'),
        pairColumn: s('pairColumn'),
        labelColumn: s('labelColumn'),
        separator: s('separator'),
        labelSeparator: s('labelSeparator'),
        multiLabel: o.multiLabel === true,
        classWeights:
          cw === undefined
            ? null
            : cw === 'balanced'
              ? 'balanced'
              : cw.split(',').map((x) => num(x, '--class-weights') as number),
        scheme: s('scheme') as SpanScheme | undefined,
        caseFeature: o.caseFeature === true,
        model: s('model'),
        config: s('config') ? (readJsonFile(s('config') as string) as Partial<BertConfigInput>) : undefined,
        vocabSize: num(s('vocabSize'), '--vocab-size'),
        output: s('output') as string,
        maxLength: num(s('maxLength'), '--max-length'),
        batchSize: num(s('batchSize'), '--batch-size'),
        classifierDropout: num(s('classifierDropout'), '--classifier-dropout'),
        tokenDropout: num(s('tokenDropout'), '--token-dropout'),
        progress: s('progress') as ProgressMode,
        wrapObjective: advOptions
          ? (objective) => new AdversarialObjective(engine, objective, advOptions)
          : undefined,
        onEval: (h) =>
          process.stderr.write(
            `eval step ${h.step}: ${Object.entries(h.metrics)
              .map(([k, v]) => `${k} ${pct(v)}`)
              .join(', ')}\n`,
          ),
        trainer: {
          steps,
          lr: num(s('lr'), '--lr'),
          minLr: (num(s('lr'), '--lr') as number) / 10,
          warmupSteps: num(s('warmupSteps'), '--warmup-steps'),
          weightDecay: num(s('weightDecay'), '--weight-decay'),
          evalInterval: num(s('evalInterval'), '--eval-interval'),
          seed: num(s('seed'), '--seed'),
        },
      });
      const metric = primaryMetric(task);
      const lines = [`step\tloss\t${metric}`];
      for (const h of result.history)
        lines.push(`${h.step}\t${pct(h.metrics.loss)}\t${pct(h.metrics[metric])}`);
      process.stderr.write(`${lines.join('\n')}\n`);
      const best = result.best as { step: number; metrics: Record<string, number> } | null;
      const summary = {
        task,
        output: s('output'),
        labels: result.labels,
        train_examples: result.trainExamples,
        eval_examples: result.evalExamples,
        parameters: result.parameters,
        steps: result.steps,
        wall_s: Math.round(result.wallSeconds * 10) / 10,
        best_step: best?.step ?? null,
        best: best?.metrics ?? null,
        curve: result.history.map((h) => ({ step: h.step, ...h.metrics })),
      };
      if (s('json')) writeFileSync(s('json') as string, `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify({ ...summary, curve: undefined })}\n`);
    });
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a fine-tuned model on labelled data: metrics and a per-class table')
    .requiredOption('--model <dir>', 'model directory from llmk finetune')
    .requiredOption('--data <file>', 'labelled data')
    .option('--task <task>', 'classification | ner (default: the model’s)')
    .option(`--format <fmt>`, FORMATS.join('|'))
    .option('--text-column <name>')
    .option('--pair-column <name>')
    .option('--label-column <name>')
    .option('--separator <s>')
    .option('--label-separator <s>')
    .option(
      '--attack <name>',
      'also score seeded perturbations: typo | charswap | synonym | homoglyph | punct',
    )
    .option('--attack-rate <x>', 'share of words (Chinese: characters) changed per example', '0.1')
    .option('--seed <n>', 'attack seed', '0')
    .option('--json <file>', 'write the metrics as JSON')
    .action(async (o: Record<string, string | undefined>) => {
      const engine = createEngine();
      const tm = loadTaskModel(engine, o.model as string);
      const task = o.task ? taskOf(o.task) : tm.task.task;
      if (task !== tm.task.task)
        throw new LlmkError(
          'LLMK_E_ARG',
          `--task ${task} but ${o.model} is a ${tm.task.task} model`,
          'drop --task',
        );
      const format = formatOf(o.format, task, o.data as string);
      const r = await evaluateTask(tm, o.data as string, {
        format: format as ClassificationFormat,
        textColumn: o.textColumn,
        pairColumn: o.pairColumn,
        labelColumn: o.labelColumn,
        separator: o.separator,
        labelSeparator: o.labelSeparator,
      });
      const out = [`${r.examples} examples`];
      for (const [k, v] of Object.entries(r.metrics)) out.push(`${k.padEnd(12)} ${pct(v)}`);
      out.push('', `${'label'.padEnd(14)} precision  recall     f1         support`);
      for (const c of r.perClass)
        out.push(
          `${c.label.padEnd(14)} ${pct(c.precision)}     ${pct(c.recall)}     ${pct(c.f1)}     ${c.support}`,
        );
      let attack: Awaited<ReturnType<typeof evaluateUnderAttack>> | null = null;
      if (o.attack) {
        const read = {
          format: format as ClassificationFormat,
          textColumn: o.textColumn,
          pairColumn: o.pairColumn,
          labelColumn: o.labelColumn,
          separator: o.separator,
          labelSeparator: o.labelSeparator,
        };
        const data =
          task === 'ner'
            ? await readNerFile(o.data as string, format as 'conll' | 'bmes')
            : await readClassificationFile(o.data as string, read);
        attack = await evaluateUnderAttack(tm, data, {
          attack: o.attack as AttackName,
          rate: num(o.attackRate, '--attack-rate'),
          seed: num(o.seed, '--seed'),
        });
        out.push('', `attack ${attack.attack} (rate ${attack.rate}, seed ${attack.seed})`);
        for (const k of Object.keys(attack.clean))
          out.push(`${k.padEnd(12)} clean ${pct(attack.clean[k])}  attacked ${pct(attack.attacked[k])}`);
        out.push(
          `success rate ${pct(attack.successRate)}  (${attack.perturbedExamples} examples perturbed, ${attack.wordsChanged.toFixed(2)} words each)`,
        );
        for (const x of attack.samples.slice(0, 2)) out.push(`  ${x.clean}\n→ ${x.attacked}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
      if (o.json)
        writeFileSync(
          o.json,
          `${JSON.stringify({ ...r.metrics, examples: r.examples, per_class: r.perClass, confusion: r.confusion, ...(attack ? { attack } : {}) }, null, 2)}\n`,
        );
    });
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify texts or tag entities with a fine-tuned model (one JSON line per input)')
    .requiredOption('--model <dir>', 'model directory from llmk finetune')
    .option('--text <text...>', 'input texts (default: lines of --input or stdin)')
    .option('--input <file>', 'one text per line')
    .action(async (o: { model: string; text?: string[]; input?: string }) => {
      const engine = createEngine();
      const tm = loadTaskModel(engine, o.model);
      let texts = o.text ?? [];
      if (texts.length === 0) {
        const raw = o.input ? readFileSync(o.input, 'utf8') : readFileSync(0, 'utf8');
        texts = raw.split('\n').filter((l) => l.trim() !== '');
      }
      if (texts.length === 0)
        throw new LlmkError('LLMK_E_DATA', 'no input texts', 'pass --text, --input or stdin lines');
      if (tm.task.task === 'ner') {
        const ents = await tagEntities(tm, texts);
        for (let i = 0; i < texts.length; i++)
          process.stdout.write(`${JSON.stringify({ text: texts[i], entities: ents[i] })}\n`);
      } else {
        const res = await classifyTexts(tm, texts);
        for (let i = 0; i < texts.length; i++)
          process.stdout.write(`${JSON.stringify({ text: texts[i], ...res[i] })}\n`);
      }
    });
}
