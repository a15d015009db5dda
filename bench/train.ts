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
import { TRAIN_CONFIGS, type TrainConfigName } from './train-worker.js';

export interface TrainBenchRow {
  config: string;
  tokens_per_s: number;
  torch_tokens_per_s: number | null;
  peak_rss_mb: number;
  torch_peak_rss_mb: number | null;
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
  // Interleave: ours then torch per config, so drifting machine load hits both sides alike.
  for (const name of configs) {
    const ours = runOurs(name);
    const torch = runTorch([name]).get(name) ?? null;
    rows.push({
      config: name,
      tokens_per_s: ours.tokens_per_s,
      torch_tokens_per_s: torch?.tokens_per_s ?? null,
      peak_rss_mb: ours.peak_rss_mb,
      torch_peak_rss_mb: torch?.maxrss_MiB ?? null,
    });
  }
  console.log('\ntraining throughput (forward + backward + AdamW), 2 threads');
  console.log('config      llmk tok/s  torch tok/s   ratio   llmk RSS MB  torch RSS MB');
  for (const r of rows) {
    const ratio = r.torch_tokens_per_s ? (r.tokens_per_s / r.torch_tokens_per_s).toFixed(2) : 'n/a';
    console.log(
      `${r.config.padEnd(10)} ${r.tokens_per_s.toFixed(0).padStart(11)} ${(r.torch_tokens_per_s?.toFixed(0) ?? 'n/a').padStart(12)} ${ratio.padStart(7)} ${r.peak_rss_mb.toFixed(0).padStart(13)} ${(r.torch_peak_rss_mb?.toFixed(0) ?? 'n/a').padStart(13)}`,
    );
  }
  if (!torchAvailable())
    console.log('(PyTorch not importable from /usr/bin/python3: apt-get install python3-torch to compare)');
  return rows;
}
