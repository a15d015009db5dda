/**
 * Decode throughput (greedy, KV cache) side by side with PyTorch, and the memory-bandwidth bound.
 *   node --import tsx bench/decode.ts [--quick] [--no-torch] [--configs small,gpt2-124M] [--batches 1,8]
 *     [--runs R] [--gen N]
 *
 * Protocol = ../shared/anchors/bench_gpt_infer.py: random weights, prompt 32 random tokens, one
 * prefill forward, then 127 single-token steps → 128 new tokens per row; batch 1 and 8; one
 * warm-up generation, then the median of `runs`.  decode tok/s = B·127 / decode time.
 * Bound: every step reads all weights once, so tokens/s ≤ B · bandwidth / weight bytes, with the
 * bandwidth measured here as STREAM "copy" (Float32Array.set over 256 MB; read + write bytes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GenerationSession } from '../src/infer/generate.js';
import { type GPTConfigInput, gptConfig } from '../src/models/gpt/config.js';
import { GPT } from '../src/models/gpt/model.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';
import { benchSampling } from './sampling.js';

export interface DecodeBenchOptions {
  quick?: boolean;
  configs?: string[];
  batches?: number[];
  /** Run the PyTorch anchor (default true when /usr/bin/python3 has torch). */
  torch?: boolean;
  runs?: number;
  /** New tokens per row (default 128 as the anchor; fewer keeps the reference backend's runs short). */
  gen?: number;
  out?: string;
}

export interface DecodeBenchRow {
  config: string;
  batch: number;
  backend: string;
  tokens_per_s: number;
  torch_tokens_per_s: number | null;
  bound_tokens_per_s: number;
  ratio_to_torch: number | null;
  fraction_of_bound: number;
  prefill_ms: number;
  ms_per_step: number;
}

/** The anchors' configs (../shared/anchors/gpt.py CONFIGS). */
const CONFIGS: Record<string, GPTConfigInput> = {
  small: { vocabSize: 8192, nCtx: 256, nLayer: 6, nHead: 6, nEmbd: 384 },
  'gpt2-124M': { vocabSize: 50257, nCtx: 256, nLayer: 12, nHead: 12, nEmbd: 768 },
};

const PROMPT = 32;
const GEN = 128;

/** STREAM-style copy bandwidth in bytes/s: best of `reps` copies of 256 MB (counting read + write). */
export function measureCopyBandwidth(reps = 5, bytes = 256 * 2 ** 20): number {
  const n = bytes / 4;
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * bytes) / (best / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Timing {
  prefillMs: number;
  decodeMs: number;
}

async function timeGeneration(model: GPT, prompts: number[][], gen: number): Promise<Timing> {
  const session = new GenerationSession(model, prompts, { temperature: 0, maxTokens: gen });
  const t0 = performance.now();
  await session.step(); // prefill + first token
  const t1 = performance.now();
  while (!session.done) await session.step();
  const t2 = performance.now();
  session.close();
  return { prefillMs: t1 - t0, decodeMs: t2 - t1 };
}

interface TorchRow {
  config: string;
  batch: number;
  decode_tok_s: number;
}

function runTorch(configs: string[], out: string): TorchRow[] | null {
  const script = '../shared/anchors/bench_gpt_infer.py';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0 || !existsSync(script)) {
    console.log(
      'decode: PyTorch anchor unavailable (needs /usr/bin/python3 with torch and ../shared/anchors)',
    );
    return null;
  }
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2' };
  const r = spawnSync(
    '/usr/bin/python3',
    [script, '--configs', configs.join(','), '--gemv', '1', '--json', out],
    { env, encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) return null;
  return JSON.parse(readFileSync(out, 'utf8')) as TorchRow[];
}

export async function runDecodeBench(opts: DecodeBenchOptions = {}): Promise<DecodeBenchRow[]> {
  const quick = opts.quick ?? false;
  const configs = opts.configs ?? (quick ? ['small'] : ['small', 'gpt2-124M']);
  const batches = opts.batches ?? [1, 8];
  const runs = opts.runs ?? (quick ? 1 : 3);
  const gen = opts.gen ?? (quick ? 16 : GEN);
  const out = opts.out ?? '.bench/decode.json';
  mkdirSync(dirname(out), { recursive: true });

  const bandwidth = measureCopyBandwidth();
  console.log(
    `decode: copy bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s (Float32Array.set, 256 MB, read+write)`,
  );
  const engine = createEngine();
  const backend = engine.backend.name;
  const torch =
    opts.torch === false || quick ? null : runTorch(configs, join(dirname(out), 'decode-torch.json'));

  const rows: DecodeBenchRow[] = [];
  for (const name of configs) {
    const cfg = gptConfig(CONFIGS[name]);
    const model = new GPT(engine, cfg, { rng: new Rng(0) });
    const weightBytes = model.parameterCount() * 4;
    const rng = new Rng(1);
    for (const B of batches) {
      const prompts = Array.from({ length: B }, () =>
        Array.from({ length: PROMPT }, () => rng.int(cfg.vocabSize)),
      );
      await timeGeneration(model, prompts, Math.min(gen, 8)); // warm-up: pool, JIT
      const timings: Timing[] = [];
      for (let r = 0; r < runs; r++) timings.push(await timeGeneration(model, prompts, gen));
      const decodeMs = median(timings.map((t) => t.decodeMs));
      const tokensPerS = (B * (gen - 1) * 1000) / decodeMs;
      const bound = (B * bandwidth) / weightBytes;
      const t = torch?.find((x) => x.config === name && x.batch === B)?.decode_tok_s ?? null;
      rows.push({
        config: name,
        batch: B,
        backend,
        tokens_per_s: tokensPerS,
        torch_tokens_per_s: t,
        bound_tokens_per_s: bound,
        ratio_to_torch: t ? tokensPerS / t : null,
        fraction_of_bound: tokensPerS / bound,
        prefill_ms: median(timings.map((x) => x.prefillMs)),
        ms_per_step: decodeMs / (gen - 1),
      });
    }
  }
  console.log(
    `\ndecode (${backend} backend; prompt ${PROMPT}, ${gen} new tokens, greedy, median of ${runs})`,
  );
  console.log('config     B   tok/s   torch tok/s  ratio  bound tok/s  of bound  ms/step  prefill ms');
  for (const r of rows) {
    console.log(
      `${r.config.padEnd(10)} ${String(r.batch).padStart(2)} ${r.tokens_per_s.toFixed(1).padStart(7)} ` +
        `${(r.torch_tokens_per_s?.toFixed(1) ?? '-').padStart(12)} ${(r.ratio_to_torch?.toFixed(2) ?? '-').padStart(6)} ` +
        `${r.bound_tokens_per_s.toFixed(0).padStart(12)} ${(100 * r.fraction_of_bound).toFixed(1).padStart(8)}% ` +
        `${r.ms_per_step.toFixed(1).padStart(8)} ${r.prefill_ms.toFixed(0).padStart(11)}`,
    );
  }
  const sampling = benchSampling();
  console.log('\nsampling one token from a V=50257 row (median ms, before → after: bench/sampling.ts)');
  for (const r of sampling) {
    console.log(
      `${r.before_ms.toFixed(3).padStart(8)} → ${r.ms_per_row.toFixed(3).padStart(7)}  ${r.options}`,
    );
  }
  writeFileSync(out, `${JSON.stringify({ bandwidth_bytes_per_s: bandwidth, rows, sampling }, null, 1)}\n`);
  console.log(`decode: wrote ${out}`);
  return rows;
}

if (process.argv[1]?.endsWith('decode.ts')) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  await runDecodeBench({
    quick: process.argv.includes('--quick'),
    torch: !process.argv.includes('--no-torch'),
    configs: arg('--configs')?.split(','),
    batches: arg('--batches')?.split(',').map(Number),
    runs: arg('--runs') ? Number(arg('--runs')) : undefined,
    gen: arg('--gen') ? Number(arg('--gen')) : undefined,
  });
}
