/**
 * Peak resident memory of loading a gpt2-124M-shaped Hugging Face directory with `loadModel`.
 *   node --import tsx bench/load-memory.ts [--json FILE]
 *
 * The directory (random weights, 124.4M parameters, 498 MB of f32) is written once under
 * .bench/gpt2-124m/. Each measurement runs in a fresh child process: RSS after the imports and the
 * engine (baseline), then the process's peak RSS (`resourceUsage().maxRSS`) after the load; the
 * ideal is baseline + one copy of the weights.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gptConfig } from '../src/models/gpt/config.js';
import { GPT } from '../src/models/gpt/model.js';
import { loadModel } from '../src/models/load.js';
import { saveModel } from '../src/models/save.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';

export const GPT2_124M = { vocabSize: 50257, nCtx: 1024, nEmbd: 768, nLayer: 12, nHead: 12 };

export interface LoadMemoryRow {
  weight_mb: number;
  baseline_rss_mb: number;
  peak_rss_mb: number;
  /** (peak − baseline) / weight bytes: 1.0 is one copy of the weights. */
  copies: number;
  load_s: number;
}

const MB = 1024 * 1024;

function ensureModel(dir: string): void {
  if (existsSync(join(dir, 'model.safetensors'))) return;
  mkdirSync(dir, { recursive: true });
  const engine = createEngine();
  saveModel(dir, new GPT(engine, gptConfig(GPT2_124M), { rng: new Rng(0) }));
}

function child(dir: string): void {
  const engine = createEngine();
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  const { model } = loadModel(engine, dir);
  const seconds = (performance.now() - t0) / 1000;
  const weightBytes = model.parameterCount() * 4;
  const peak = process.resourceUsage().maxRSS * 1024;
  const row: LoadMemoryRow = {
    weight_mb: weightBytes / MB,
    baseline_rss_mb: baseline / MB,
    peak_rss_mb: peak / MB,
    copies: (peak - baseline) / weightBytes,
    load_s: seconds,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

export function runLoadMemoryBench(options: { out?: string } = {}): LoadMemoryRow {
  const dir = join('.bench', 'gpt2-124m');
  ensureModel(dir);
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load-memory child failed: ${run.stderr}`);
  const row = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as LoadMemoryRow;
  console.log(`\nLoading gpt2-124M (${cpus()[0]?.model ?? 'unknown CPU'})`);
  console.log('weights MB | baseline RSS MB | peak RSS MB | copies of the weights | load s');
  console.log(
    `${row.weight_mb.toFixed(0)} | ${row.baseline_rss_mb.toFixed(0)} | ${row.peak_rss_mb.toFixed(0)} | ${row.copies.toFixed(2)} | ${row.load_s.toFixed(2)}`,
  );
  const out = options.out ?? join('.bench', 'load-memory.json');
  writeFileSync(out, `${JSON.stringify({ cpu: cpus()[0]?.model, ...row }, null, 2)}\n`);
  return row;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--child');
  if (at >= 0) child(process.argv[at + 1]);
  else {
    const j = process.argv.indexOf('--json');
    runLoadMemoryBench({ out: j >= 0 ? process.argv[j + 1] : undefined });
  }
}
