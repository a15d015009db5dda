/**
 * `llmk bench <suite>`: runs a benchmark script from bench/ (source checkouts only: the scripts are
 * not part of the published package) and prints its table; `--json FILE` also writes the results.
 */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { checkOutput, writeOutputFile } from '../../formats/output.js';
import { intFlag } from '../flags.js';

interface TrainBenchModule {
  runTrainBench(options: { configs?: Array<'baby' | 'small' | 'gpt2-124M'> }): unknown[];
}

interface DecodeBenchModule {
  runDecodeBench(options: { quick?: boolean }): Promise<unknown[]>;
}

interface OpsBenchModule {
  runOpsBench(options: { json?: string; quick?: boolean; threads?: number }): Promise<unknown>;
}

async function loadBench<T>(file: string): Promise<T> {
  const url = new URL(`../../../bench/${file}`, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (err) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `cannot load bench/${file}: ${err instanceof Error ? err.message : String(err)}`,
      'benchmarks run from a source checkout of llmk (git clone, npm install)',
    );
  }
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Run benchmarks side by side with their anchors.');
  bench
    .command('ops')
    .description('Engine kernels: GEMM vs OpenBLAS, fused attention, elementwise GB/s vs memcpy.')
    .option('--json <file>', 'write the results as JSON to this file')
    .option('--quick', 'fewer shapes and shorter timings')
    .option('--threads <n>', 'threads for llmk and OpenBLAS', intFlag('--threads', { min: 1, example: 2 }), 2)
    .option('--force', 'replace an existing --json file')
    .action(async (opts: { json?: string; quick?: boolean; threads: number; force?: boolean }) => {
      const threads = opts.threads;
      if (opts.json) checkOutput({ path: opts.json, kind: 'file', force: opts.force, flag: '--json' });
      const mod = await loadBench<OpsBenchModule>('ops.ts');
      try {
        await mod.runOpsBench({ json: opts.json, quick: opts.quick, threads });
      } catch (err) {
        if (err instanceof LlmkError) throw err;
        throw new LlmkError(
          'LLMK_E_BACKEND',
          err instanceof Error ? err.message : String(err),
          'run `npm install` to build the native addon',
        );
      }
    });
  bench
    .command('train')
    .description(
      'GPT training tokens/s and peak RSS (baby, small, 124M) and decode tokens/s, beside PyTorch CPU.',
    )
    .option('--json <file>', 'write {"train": [...], "decode": [...]} to this file')
    .option('--configs <list>', 'training configs, comma-separated', 'baby,small,gpt2-124M')
    .option('--no-decode', 'skip the decode benchmark')
    .option('--force', 'replace an existing --json file')
    .action(async (opts: { json?: string; configs: string; decode: boolean; force?: boolean }) => {
      if (opts.json) checkOutput({ path: opts.json, kind: 'file', force: opts.force, flag: '--json' });
      const configs = opts.configs.split(',') as Array<'baby' | 'small' | 'gpt2-124M'>;
      for (const c of configs) {
        if (!['baby', 'small', 'gpt2-124M'].includes(c)) {
          throw new LlmkError(
            'LLMK_E_ARG',
            `unknown training config '${c}'`,
            'use baby, small and/or gpt2-124M',
          );
        }
      }
      const train = (await loadBench<TrainBenchModule>('train.ts')).runTrainBench({ configs });
      const decode = opts.decode
        ? await (await loadBench<DecodeBenchModule>('decode.ts')).runDecodeBench({})
        : [];
      if (opts.json)
        writeOutputFile(
          { path: opts.json, force: opts.force, flag: '--json' },
          `${JSON.stringify({ train, decode }, null, 2)}\n`,
        );
    });
}
