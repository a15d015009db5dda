/**
 * The `llmk pretrain --objective mlm[,nsp]` branch: BERT masked-LM (+ next-sentence) pretraining.
 * `llmk pretrain` (pretrain.ts) owns the command; it calls `addMlmPretrainOptions(cmd)` once when
 * building it and, when `--objective` names mlm, hands its parsed options to `runMlmPretrain(opts)`.
 * Shared flags keep pretrain's names: --train (comma-separated files), --tokenizer, --vocab-size,
 * --steps, --lr, --batch-size, --warmup-steps, --weight-decay, --eval-interval, --seed, --progress.
 */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { createEngine } from '../../tensor/create.js';
import type { ProgressMode } from '../../track/progress.js';
import { pretrainMlm } from '../../train/pretrain-mlm.js';
import { readInt, readNumber } from '../flags.js';

export type PretrainObjective = 'clm' | 'mlm' | 'mlm,nsp';

/** Parses --objective: 'clm' (default), 'mlm', 'mlm,nsp' (order-insensitive). */
export function parseObjective(value: string | undefined): PretrainObjective {
  if (value === undefined) return 'clm';
  const parts = new Set(value.split(',').map((s) => s.trim().toLowerCase()));
  if (parts.size === 1 && (parts.has('clm') || parts.has('causal'))) return 'clm';
  if (parts.size === 1 && parts.has('mlm')) return 'mlm';
  if (parts.size === 2 && parts.has('mlm') && parts.has('nsp')) return 'mlm,nsp';
  throw new LlmkError('LLMK_E_ARG', `--objective ${value}`, 'use clm, mlm or mlm,nsp');
}

/** The flags only the MLM branch has. */
export function addMlmPretrainOptions(cmd: Command): Command {
  return cmd
    .option('--objective <list>', 'clm (GPT, default) | mlm | mlm,nsp (BERT)')
    .option('--whole-word-masking', 'mlm: mask all sub-tokens of a word together')
    .option('--mask-prob <p>', 'mlm: fraction of tokens to predict (default 0.15)')
    .option('--text-column <name>', 'mlm: text column of .tsv/.csv inputs (default sentence)')
    .option('--bert-config <file>', 'mlm: BERT config JSON (camelCase fields)')
    .option('--max-length <n>', 'mlm: tokens per example (default 128)')
    .option('--output <dir>', 'mlm: model directory to write')
    .option('--force', 'mlm: replace an existing --output model directory');
}

/** Runs BERT pretraining from pretrain's parsed flags (camelCase keys, as commander gives them). */
export async function runMlmPretrain(opts: Record<string, unknown>): Promise<void> {
  const objective = parseObjective(opts.objective as string | undefined);
  if (objective === 'clm') throw new LlmkError('LLMK_E_ARG', 'runMlmPretrain called for clm', 'use pretrain');
  const train = opts.train as string | undefined;
  const output = opts.output as string | undefined;
  if (!train || !output)
    throw new LlmkError(
      'LLMK_E_ARG',
      '--objective mlm needs --train FILE[,FILE…] and --output DIR',
      'add both flags',
    );
  let config: Record<string, unknown> | undefined;
  if (typeof opts.bertConfig === 'string') {
    const { readFileSync } = await import('node:fs');
    try {
      config = JSON.parse(readFileSync(opts.bertConfig, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new LlmkError(
        'LLMK_E_CONFIG',
        `cannot read ${opts.bertConfig}: ${(e as Error).message}`,
        'pass a JSON file',
      );
    }
  }
  const engine = createEngine();
  const lr = readNumber(opts.lr, '--lr', { min: 0, minExclusive: true, example: 5e-4 }) ?? 5e-4;
  const result = await pretrainMlm(engine, {
    files: train.split(','),
    textColumn: opts.textColumn as string | undefined,
    nsp: objective === 'mlm,nsp',
    wholeWordMasking: opts.wholeWordMasking === true,
    maskProbability: readNumber(opts.maskProb, '--mask-prob', {
      min: 0,
      minExclusive: true,
      max: 1,
      example: 0.15,
    }),
    tokenizer: opts.tokenizer as string | undefined,
    vocabSize: readInt(opts.vocabSize, '--vocab-size', { min: 8 }),
    config,
    maxLength: readInt(opts.maxLength, '--max-length', { min: 2 }),
    batchSize: readInt(opts.batchSize, '--batch-size', { min: 1 }),
    output,
    force: opts.force === true,
    progress: (opts.progress as ProgressMode | undefined) ?? 'bar',
    trainer: {
      steps: readInt(opts.steps, '--steps', { min: 1, example: 1000 }) ?? 1000,
      lr,
      minLr: lr / 10,
      warmupSteps: readInt(opts.warmupSteps, '--warmup-steps', { min: 0 }) ?? 100,
      weightDecay: readNumber(opts.weightDecay, '--weight-decay', { min: 0, example: 0.01 }) ?? 0.01,
      evalInterval: readInt(opts.evalInterval, '--eval-interval', { min: 0 }) ?? 250,
      seed: readInt(opts.seed, '--seed') ?? 1337,
    },
    onEval: (h) =>
      process.stderr.write(
        `eval step ${h.step}: ${Object.entries(h.metrics)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join(', ')}\n`,
      ),
  });
  process.stdout.write(
    `${JSON.stringify({ objective, output, steps: result.steps, final_loss: result.finalLoss, examples: result.examples, parameters: result.parameters, wall_s: result.wallSeconds, last_eval: result.history.at(-1)?.metrics ?? null })}\n`,
  );
}
