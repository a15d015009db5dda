/**
 * Cost of choosing one token from a GPT-2-sized row (V 50,257, logits 3·N(0,1)), per option set,
 * before → after the partial-selection sampler: `ReferenceSampler` (the replaced implementation,
 * kept as the naive twin) and `Sampler`, interleaved in the same run, median of `reps`. The draws
 * of the two are compared too (they must be equal). At a bandwidth-bound ~30 tok/s a decode step
 * is ~33 ms; the goal is ≤ 0.5 ms for every setting.
 *   node --import tsx bench/sampling.ts [--reps N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Sampler, type SamplingOptions } from '../src/infer/sampling.js';
import { ReferenceSampler } from '../src/infer/sampling-reference.js';
import { Rng } from '../src/tensor/random.js';

export interface SamplingBenchRow {
  options: string;
  /** Median ms per token, replaced implementation. */
  before_ms: number;
  /** Median ms per token, current `Sampler` (also reported as ms_per_row for older readers). */
  ms_per_row: number;
  /** Fastest single token of each (the least disturbed by other load on a shared machine). */
  before_min_ms: number;
  after_min_ms: number;
  speedup: number;
  same_draws: boolean;
}

export const SAMPLING_SETS: SamplingOptions[] = [
  { temperature: 0 },
  { temperature: 1 },
  { temperature: 0.8 },
  { temperature: 1, topK: 50 },
  { temperature: 1, topP: 0.9 },
  { temperature: 1, topP: 0.99 },
  { temperature: 1, minP: 0.05 },
  { temperature: 0.8, topK: 50, topP: 0.95, repetitionPenalty: 1.2 },
  { temperature: 0.7, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1 },
];

export function benchSampling(reps = 41, V = 50257): SamplingBenchRow[] {
  const rng = new Rng(1);
  const row = Float32Array.from({ length: V }, () => 3 * rng.normal());
  const history = Array.from({ length: 160 }, () => rng.int(V));
  return SAMPLING_SETS.map((options) => {
    const before = new ReferenceSampler(options, new Rng(2));
    const after = new Sampler(options, new Rng(2));
    let same = true;
    for (let i = 0; i < 5; i++) {
      if (before.next(row.slice(), history) !== after.next(row.slice(), history)) same = false;
    }
    const tb: number[] = [];
    const ta: number[] = [];
    for (let i = 0; i < reps; i++) {
      const a = row.slice();
      const b = row.slice();
      const t0 = performance.now();
      const x = before.next(a, history);
      const t1 = performance.now();
      const y = after.next(b, history);
      const t2 = performance.now();
      if (x !== y) same = false;
      tb.push(t1 - t0);
      ta.push(t2 - t1);
    }
    const b = median(tb);
    const a = median(ta);
    return {
      options: JSON.stringify(options),
      before_ms: b,
      ms_per_row: a,
      before_min_ms: Math.min(...tb),
      after_min_ms: Math.min(...ta),
      speedup: b / a,
      same_draws: same,
    };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function runSamplingBench(opts: { reps?: number; outDir?: string } = {}): SamplingBenchRow[] {
  const rows = benchSampling(opts.reps);
  console.log('\nsampling one token from a V=50257 row (ms; before = replaced sampler, same run)');
  console.log(
    `median: before    after  speedup | min: before    after  same draws  options  (load ${loadavg()[0].toFixed(1)})`,
  );
  for (const r of rows) {
    console.log(
      `       ${r.before_ms.toFixed(3).padStart(7)}  ${r.ms_per_row.toFixed(3).padStart(7)}  ` +
        `${r.speedup.toFixed(1).padStart(6)}x |      ${r.before_min_ms.toFixed(3).padStart(7)}  ` +
        `${r.after_min_ms.toFixed(3).padStart(7)}  ${String(r.same_draws).padStart(10)}  ${r.options}`,
    );
  }
  const dir = opts.outDir ?? '.bench';
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'sampling.json');
  writeFileSync(out, `${JSON.stringify({ V: 50257, load_average: loadavg()[0], rows }, null, 1)}\n`);
  console.log(`sampling: wrote ${out}`);
  return rows;
}

if (process.argv[1]?.endsWith('sampling.ts')) {
  const i = process.argv.indexOf('--reps');
  runSamplingBench({ reps: i >= 0 ? Number(process.argv[i + 1]) : undefined });
}
