/**
 * `llmk pretrain --config FILE [--field value …]`: causal-LM pretraining. Every config field is also
 * a flag (kebab-case, e.g. `--n-layer 6 --batch-size 8 --lr 3e-4`), and flags override the file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { createEngine } from '../../tensor/create.js';
import { resolveProgressMode } from '../../track/progress.js';
import { parsePretrainConfig, pretrain } from '../../train/pretrain.js';
import { addMlmPretrainOptions, parseObjective, runMlmPretrain } from './pretrain-mlm.js';

/** config section → fields that may be given as flags. */
const FLAG_FIELDS: Record<string, string[]> = {
  model: [
    'vocabSize',
    'nCtx',
    'nLayer',
    'nHead',
    'nKvHead',
    'nEmbd',
    'nInner',
    'bias',
    'norm',
    'mlp',
    'positions',
    'ropeTheta',
    'dropout',
    'layerNormEps',
    'tieEmbeddings',
    'initStd',
  ],
  data: ['train', 'val', 'tokenizer', 'valFraction'],
  batch: ['batchSize', 'seqLen', 'evalBatches'],
  trainer: [
    'steps',
    'lr',
    'minLr',
    'warmupSteps',
    'schedule',
    'weightDecay',
    'beta1',
    'beta2',
    'eps',
    'gradClip',
    'gradAccum',
    'evalInterval',
    'saveInterval',
    'keepLast',
    'earlyStopPatience',
    'decayEmbeddings',
    'seed',
    'logInterval',
    'progress',
  ],
  '': ['runs', 'name', 'resume'],
};

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flag text → JSON value: numbers and booleans as such, everything else a string. */
function parseValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

export function registerPretrain(program: Command): void {
  const cmd = program
    .command('pretrain')
    .description(
      'pretrain a GPT (causal LM) from a JSON config, every field also a flag; --objective mlm[,nsp] pretrains a BERT',
    )
    .option('--config <file>', 'JSON config: {model, data, batch, trainer, runs, name, resume}');
  for (const fields of Object.values(FLAG_FIELDS))
    for (const f of fields) cmd.option(`--${kebab(f)} <value>`);
  addMlmPretrainOptions(cmd);
  cmd.action(async (opts: Record<string, string | undefined>) => {
    // Masked-LM (+ NSP) pretraining of a BERT encoder is its own branch (pretrain-mlm.ts).
    if (parseObjective(opts.objective) !== 'clm') {
      await runMlmPretrain(opts);
      return;
    }
    let config: Record<string, unknown> = {};
    if (opts.config) {
      try {
        config = JSON.parse(readFileSync(opts.config, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new LlmkError(
          'LLMK_E_CONFIG',
          `cannot read config ${opts.config}: ${(e as Error).message}`,
          'pass a JSON file',
        );
      }
    }
    for (const [section, fields] of Object.entries(FLAG_FIELDS)) {
      for (const f of fields) {
        const v = opts[f];
        if (v === undefined) continue;
        if (section === '') config[f] = parseValue(v);
        else
          config[section] = {
            ...((config[section] as Record<string, unknown> | undefined) ?? {}),
            [f]: f === 'train' || f === 'val' || f === 'tokenizer' ? v : parseValue(v),
          };
      }
    }
    config.model ??= {};
    const cfg = parsePretrainConfig(config, opts.config ?? 'flags');
    // The progress display follows LLMK_PROGRESS unless the config chose one.
    cfg.trainer.progress ??= resolveProgressMode();
    const engine = createEngine();
    process.stderr.write(
      `llmk pretrain: backend ${engine.backend.name}, ${engine.backend.threads()} thread(s)\n`,
    );
    const result = await pretrain(engine, cfg);
    if (result.interrupted) {
      const step = `step-${String(result.steps).padStart(8, '0')}`;
      process.stderr.write(
        `llmk pretrain: interrupted at step ${result.steps}; checkpoint saved in ${join(result.runDir, 'checkpoints', step)}\n` +
          `  continue with: llmk pretrain${opts.config ? ` --config ${opts.config}` : ''} --runs ${dirname(result.runDir)} --name ${basename(result.runDir)} --resume latest\n`,
      );
    }
    process.stdout.write(
      `${JSON.stringify({ steps: result.steps, final_loss: result.finalLoss, val_loss: result.valLoss, best_val_loss: result.bestValLoss, tokens_per_s: result.tokensPerSecond, wall_s: result.wallSeconds, run_dir: result.runDir, interrupted: result.interrupted })}\n`,
    );
  });
}
