/**
 * Training throughput and peak memory for the three GPT configs of the GPT issue, side by side with
 * PyTorch on CPU (../shared/anchors/bench_gpt_train.py) in the same run. Each side runs each config
 * in a fresh process. Prints a table; returns rows for `llmk bench train --json`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numpyPython, openblasCorename, openblasGemm, type Shape } from './ops.js';
import { TRAIN_CONFIGS, type TrainConfigName } from './train-worker.js';

export interface TrainBenchRow {
  config: string;
  tokens_per_s: number;
  torch_tokens_per_s: number | null;
  peak_rss_mb: number;
  torch_peak_rss_mb: number | null;
  /** Matrix FLOPs per trained token (forward + backward), see matrixFlopsPerToken. */
  matrix_flops_per_token: number;
  /** tokens/s × matrix FLOPs per token ÷ the OpenBLAS sgemm rate measured in this run (DESIGN.md). */
  fraction_of_ceiling: number | null;
}

/** OpenBLAS sgemm at a transformer shape (x·W, 2048×768×3072, 2 threads), the training ceiling. */
const CEILING_SHAPE: Shape = ['NN', 2048, 768, 3072];

/**
 * Matrix FLOPs per token of one training step, forward + backward = 3 × forward (Kaplan et al. 2020,
 * PaLM appendix B): 6 FLOPs per weight of every matmul (per layer qkv 3C², projection C², MLP 8C²;
 * the LM head C·V) plus 12·L·C per attended key for the scores and their weighted sum, with a
 * causal row attending (T+1)/2 keys on average (the count of the table in BENCHMARKS.md: baby
 * 4.97, small 86.1, gpt2-124M 755 MFLOP). Embedding lookups, norms and the optimizer are not matrix work.
 */
export function matrixFlopsPerToken(m: {
  vocabSize: number;
  nLayer: number;
  nEmbd: number;
  nCtx: number;
}): number {
  const { vocabSize: V, nLayer: L, nEmbd: C, nCtx: T } = m;
  return 6 * (12 * L * C * C + C * V) + 6 * L * C * (T + 1);
}

const ANCHOR = fileURLToPath(new URL('../../shared/anchors/bench_gpt_train.py', import.meta.url));
const WORKER = fileURLToPath(new URL('./train-worker.ts', import.meta.url));

export function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function runOurs(name: TrainConfigName): { tokens_per_s: number; peak_rss_mb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', WORKER, name], {
    encoding: 'utf8',
    env: { ...process.env, LLMK_THREADS: process.env.LLMK_THREADS ?? '2' },
  });
  if (r.status !== 0) throw new Error(`train worker ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { tokens_per_s: number; peak_rss_mb: number };
}

function runTorch(configs: string[]): Map<string, { tokens_per_s: number; maxrss_MiB: number }> {
  const out = new Map<string, { tokens_per_s: number; maxrss_MiB: number }>();
  if (!existsSync(ANCHOR) || !torchAvailable()) return out;
  const dir = mkdtempSync(join(tmpdir(), 'llmk-torch-'));
  try {
    const json = join(dir, 'train.json');
    const r = spawnSync('/usr/bin/python3', [ANCHOR, '--configs', configs.join(','), '--json', json], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2' },
    });
    if (r.status !== 0) throw new Error(`PyTorch anchor failed: ${r.stderr}`);
    for (const row of JSON.parse(readFileSync(json, 'utf8')) as Array<{
      config: string;
      tokens_per_s: number;
      maxrss_MiB: number;
    }>)
      out.set(row.config, row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function runTrainBench(opts: { configs?: TrainConfigName[] } = {}): TrainBenchRow[] {
  const configs = opts.configs ?? (Object.keys(TRAIN_CONFIGS) as TrainConfigName[]);
  const rows: TrainBenchRow[] = [];
  const py = numpyPython();
  const notes: string[] = [];
  const ceilings: number[] = [];
  const measureCeiling = (): void => {
    const r = openblasGemm(py, [CEILING_SHAPE], 2, 0.25, 5, notes);
    if (r) ceilings.push(r[0]);
  };
  // Interleave: ours then torch per config, so drifting machine load hits both sides alike; the
  // OpenBLAS ceiling before and after each config, its best figure used for all.
  measureCeiling();
  for (const name of configs) {
    const ours = runOurs(name);
    const torch = runTorch([name]).get(name) ?? null;
    measureCeiling();
    rows.push({
      config: name,
      tokens_per_s: ours.tokens_per_s,
      torch_tokens_per_s: torch?.tokens_per_s ?? null,
      peak_rss_mb: ours.peak_rss_mb,
      torch_peak_rss_mb: torch?.maxrss_MiB ?? null,
      matrix_flops_per_token: matrixFlopsPerToken(TRAIN_CONFIGS[name].model),
      fraction_of_ceiling: null,
    });
  }
  const ceiling = ceilings.length > 0 ? Math.max(...ceilings) : null;
  for (const r of rows) {
    if (ceiling) r.fraction_of_ceiling = (r.tokens_per_s * r.matrix_flops_per_token) / (ceiling * 1e9);
  }
  console.log('\ntraining throughput (forward + backward + AdamW), 2 threads');
  const ceilingText = ceiling
    ? `${ceiling.toFixed(1)} GFLOP/s (OpenBLAS ${CEILING_SHAPE.slice(1).join('×')}, kernels ${openblasCorename(py) ?? '?'}, best of ${ceilings.length} in this run)`
    : 'not measured';
  console.log(`ceiling: ${ceilingText}`);
  console.log(
    'config      llmk tok/s  torch tok/s   ratio   llmk RSS MB  torch RSS MB  MFLOP/token  of ceiling',
  );
  for (const r of rows) {
    const ratio = r.torch_tokens_per_s ? (r.tokens_per_s / r.torch_tokens_per_s).toFixed(2) : 'n/a';
    const ofCeiling = r.fraction_of_ceiling === null ? 'n/a' : `${(100 * r.fraction_of_ceiling).toFixed(1)}%`;
    console.log(
      `${r.config.padEnd(10)} ${r.tokens_per_s.toFixed(0).padStart(11)} ${(r.torch_tokens_per_s?.toFixed(0) ?? 'n/a').padStart(12)} ${ratio.padStart(7)} ${r.peak_rss_mb.toFixed(0).padStart(13)} ${(r.torch_peak_rss_mb?.toFixed(0) ?? 'n/a').padStart(13)}` +
        ` ${(r.matrix_flops_per_token / 1e6).toFixed(1).padStart(12)} ${ofCeiling.padStart(11)}`,
    );
  }
  for (const n of notes) console.log(`note: ${n}`);
  if (!torchAvailable())
    console.log('(PyTorch not importable from /usr/bin/python3: apt-get install python3-torch to compare)');
  return rows;
}
