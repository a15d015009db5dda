/**
 * `llmk finetune`, `llmk eval` and `llmk predict`: task fine-tuning (classification, NER) of BERT,
 * evaluation with a per-class table, and predictions (labels, or entities with character offsets).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ClassificationFormat, readClassificationFile, readNerFile } from '../../data/tasks.js';
import { LlmkError } from '../../errors.js';
import type { SpanScheme } from '../../eval/spans.js';
import { checkInputFile, checkOutput, writeOutputFile } from '../../formats/output.js';
import { classifyTexts, evaluateTask, loadTaskModel, tagEntities } from '../../infer/pipelines.js';
import type { BertConfigInput } from '../../models/bert/config.js';
import { type LoraConfig, loraConfigFromJson } from '../../peft/config.js';
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
import { readInt, readNumber } from '../flags.js';

const FORMATS = ['tsv', 'csv', 'jsonl', 'txt', 'conll', 'bmes'];

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

/** Full fine-tuning's default learning rate for these small BERTs. */
const FULL_LR = 5e-4;
/**
 * LoRA's default: 2× the full rate. LoRA trains a zero-initialised low-rank update and usually takes
 * a larger rate than full fine-tuning (PEFT's examples use 1e-4–3e-4 on 100M+ models whose full
 * rate is ~2e-5; the LoRA paper's RoBERTa runs 4e-4–5e-4); our small models already fine-tune in
 * full at 5e-4, so 1e-3 keeps the same order of step while the update starts from zero.
 */
const LORA_LR = 1e-3;

/** The LoRA config from --peft-config (a PEFT adapter_config.json) and the --lora-* flags (flags win). */
function peftOptions(
  s: (k: string) => string | undefined,
  o: Record<string, unknown>,
): Partial<LoraConfig> | null {
  const kind = s('peft');
  if (kind === undefined && s('peftConfig') === undefined) return null;
  if (kind !== undefined && kind !== 'lora')
    throw new LlmkError('LLMK_E_UNSUPPORTED', `--peft ${kind}`, 'llmk fine-tunes with --peft lora');
  const file = s('peftConfig');
  const base: Partial<LoraConfig> = file ? loraConfigFromJson(readJsonFile(file), file) : {};
  const list = (k: string): string[] | undefined =>
    s(k)
      ?.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  const targets = s('targetModules');
  const out: Partial<LoraConfig> = {
    ...base,
    r: readInt(s('loraR'), '--lora-r', { min: 1, example: 8 }) ?? base.r ?? 8,
    loraAlpha:
      readNumber(s('loraAlpha'), '--lora-alpha', { min: 0, minExclusive: true, example: 16 }) ??
      base.loraAlpha ??
      16,
    loraDropout:
      readNumber(s('loraDropout'), '--lora-dropout', { min: 0, max: 1, example: 0.05 }) ??
      base.loraDropout ??
      0.05,
    targetModules:
      targets === 'all-linear'
        ? targets
        : (list('targetModules') ?? base.targetModules ?? ['query', 'value']),
  };
  if (s('modulesToSave')) out.modulesToSave = list('modulesToSave');
  if (o.useRslora === true) out.useRslora = true;
  return out;
}

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
    .option('--lr <x>', `learning rate (default ${FULL_LR}; ${LORA_LR} with --peft lora)`)
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
    .option('--labels <list>', 'comma-separated label set (default: the labels of the training data)')
    .option('--force', 'replace an existing --output model directory and --json file')
    .option('--peft <method>', 'parameter-efficient fine-tuning: lora (writes a PEFT adapter directory)')
    .option('--peft-config <file>', 'a PEFT adapter_config.json to take the LoRA settings from')
    .option('--lora-r <n>', 'LoRA rank (default 8)')
    .option('--lora-alpha <x>', 'LoRA alpha (default 16: scaling alpha/r = 2)')
    .option('--lora-dropout <p>', 'dropout on the LoRA path (default 0.05)')
    .option('--target-modules <names>', "comma-separated module names (default query,value) or 'all-linear'")
    .option(
      '--modules-to-save <names>',
      'modules trained in full and saved with the adapter (default classifier)',
    )
    .option('--use-rslora', 'rank-stabilised scaling alpha/sqrt(r)')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const s = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      const task = taskOf(s('task'));
      const format = formatOf(s('format'), task, s('train') as string);
      const cw = s('classWeights');
      const steps = readInt(s('steps'), '--steps', { min: 1, example: 1000 }) as number;
      const force = o.force === true;
      checkInputFile(s('train') as string, '--train');
      if (s('eval')) checkInputFile(s('eval') as string, '--eval');
      const jsonOut = s('json');
      // Check the --json target before training, not after minutes of it.
      if (jsonOut) checkOutput({ path: jsonOut, kind: 'file', force, flag: '--json', inputs: [s('train')] });
      const peft = peftOptions(s, o);
      const lr =
        readNumber(s('lr'), '--lr', { min: 0, minExclusive: true, example: 5e-4 }) ??
        (peft ? LORA_LR : FULL_LR);
      if (peft && s('lr') === undefined)
        process.stderr.write(`llmk finetune: LoRA learning rate ${lr} (pass --lr to change)\n`);
      const engine = createEngine();
      const adv = s('adversarial');
      const advOptions = adv
        ? {
            method: adv as AdversarialMethod,
            epsilon: readNumber(s('advEpsilon'), '--adv-epsilon', { example: 1 }) as number,
            steps: readInt(s('advSteps'), '--adv-steps', { example: 3 }),
            alpha: readNumber(s('advAlpha'), '--adv-alpha', { example: 0.3 }),
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
        holdoutEvery: readInt(s('holdoutEvery'), '--holdout-every', { min: 2, example: 10 }),
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
              : cw.split(',').map((x) => readNumber(x, '--class-weights', { min: 0, example: 1 }) as number),
        scheme: s('scheme') as SpanScheme | undefined,
        caseFeature: o.caseFeature === true,
        model: s('model'),
        config: s('config') ? (readJsonFile(s('config') as string) as Partial<BertConfigInput>) : undefined,
        vocabSize: readInt(s('vocabSize'), '--vocab-size', { min: 8, example: 8000 }),
        output: s('output') as string,
        force,
        labels: s('labels')
          ?.split(',')
          .map((l) => l.trim())
          .filter(Boolean),
        maxLength: readInt(s('maxLength'), '--max-length', { min: 2, example: 128 }),
        batchSize: readInt(s('batchSize'), '--batch-size', { min: 1, example: 32 }),
        classifierDropout: readNumber(s('classifierDropout'), '--classifier-dropout', {
          min: 0,
          max: 0.99,
          example: 0.1,
        }),
        tokenDropout: readNumber(s('tokenDropout'), '--token-dropout', { min: 0, max: 0.99, example: 0.1 }),
        progress: s('progress') as ProgressMode,
        peft,
        onModel: (c) =>
          process.stderr.write(
            `trainable params: ${c.trainable.toLocaleString('en-US')} || all params: ${c.total.toLocaleString('en-US')} || trainable%: ${c.percent.toFixed(4)}\n`,
          ),
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
          lr,
          minLr: lr / 10,
          warmupSteps: readInt(s('warmupSteps'), '--warmup-steps', { min: 0, example: 100 }),
          weightDecay: readNumber(s('weightDecay'), '--weight-decay', { min: 0, example: 0.01 }),
          evalInterval: readInt(s('evalInterval'), '--eval-interval', { min: 1, example: 100 }),
          seed: readInt(s('seed'), '--seed'),
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
        trainable_parameters: result.trainableParameters,
        trainable_percent: Math.round((1e6 * result.trainableParameters) / result.parameters) / 1e4,
        peft: peft ? 'lora' : null,
        lr,
        steps: result.steps,
        wall_s: Math.round(result.wallSeconds * 10) / 10,
        best_step: best?.step ?? null,
        best: best?.metrics ?? null,
        curve: result.history.map((h) => ({ step: h.step, ...h.metrics })),
      };
      if (jsonOut)
        writeOutputFile({ path: jsonOut, force, flag: '--json' }, `${JSON.stringify(summary, null, 2)}\n`);
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
    .option('--force', 'replace an existing --json file')
    .action(async (o: Record<string, string | undefined>) => {
      if (o.json)
        checkOutput({
          path: o.json,
          kind: 'file',
          force: o.force !== undefined,
          flag: '--json',
          inputs: [o.data],
        });
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
          rate: readNumber(o.attackRate, '--attack-rate', { min: 0, max: 1, example: 0.1 }),
          seed: readInt(o.seed, '--seed', { example: 0 }),
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
        writeOutputFile(
          { path: o.json, force: o.force !== undefined, flag: '--json' },
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
