/** `llmk quickstart`: trains and samples the baby GPT on bundled TinyShakespeare (the README's first command). */
import type { Command } from 'commander';
import { checkOutput, writeOutputFile } from '../../formats/output.js';
import { createEngine } from '../../tensor/create.js';
import { resolveProgressMode } from '../../track/progress.js';
import { intFlag } from '../flags.js';
import { runQuickstart } from '../quickstart-run.js';

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description("train nanoGPT's baby char-level GPT on the bundled TinyShakespeare, then sample from it")
    .option('--steps <n>', 'training iterations', intFlag('--steps', { min: 1, example: 200 }), 2000)
    .option('--runs <dir>', 'directory for the run (metrics, checkpoints, samples)', 'runs')
    .option('--json <file>', 'also write {val_loss, train_tokens_per_s, wall_s} to FILE')
    .option('--quiet', 'no progress display')
    .option('--progress-json', 'progress as JSON lines on stderr')
    .option('--force', 'replace an existing --json file')
    .action(
      async (opts: {
        steps: number;
        runs: string;
        json?: string;
        quiet?: boolean;
        progressJson?: boolean;
        force?: boolean;
      }) => {
        if (opts.json) checkOutput({ path: opts.json, kind: 'file', force: opts.force, flag: '--json' });
        const engine = createEngine();
        process.stderr.write(
          `llmk quickstart: backend ${engine.backend.name}, ${engine.backend.threads()} thread(s)\n`,
        );
        const result = await runQuickstart(engine, {
          steps: opts.steps,
          runsDir: opts.runs,
          progress: resolveProgressMode({ quiet: opts.quiet, json: opts.progressJson }),
        });
        process.stdout.write(
          `\nval loss ${result.valLoss?.toFixed(4)} after ${result.steps} steps (${result.parameters.toLocaleString()} parameters)\n`,
        );
        process.stdout.write(
          `${Math.round(result.tokensPerSecond)} tokens/s, ${result.wallSeconds.toFixed(1)} s; run saved in ${result.runDir}\n`,
        );
        process.stdout.write(`\n--- sample ---\n${result.sample}\n`);
        if (opts.json) {
          writeOutputFile(
            { path: opts.json, force: opts.force, flag: '--json' },
            `${JSON.stringify({ val_loss: result.valLoss, train_tokens_per_s: result.tokensPerSecond, wall_s: result.wallSeconds, steps: result.steps, run_dir: result.runDir }, null, 2)}\n`,
          );
        }
      },
    );
}
