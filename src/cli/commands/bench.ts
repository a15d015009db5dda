/**
 * `llmk bench <suite>`: runs a benchmark script from bench/ (source checkouts only: the scripts are
 * not part of the published package) and prints its table; `--json FILE` also writes the results.
 */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';

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
    .option('--threads <n>', 'threads for llmk and OpenBLAS', '2')
    .action(async (opts: { json?: string; quick?: boolean; threads: string }) => {
      const threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 1)
        throw new LlmkError(
          'LLMK_E_ARG',
          `--threads ${opts.threads} is not a positive integer`,
          'pass e.g. --threads 2',
        );
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
}
