/**
 * Trainable-only memory: optimizer state and gradient bytes, and peak RSS, of training only a
 * classifier head on a frozen gpt2-124M-shaped body vs full fine-tuning (GPTForSequenceClassification,
 * random init, AdamW, a few steps at batch 4 × 128 tokens). Each mode runs in its own process so
 * peak RSS is per mode. Prints a table and writes .bench/memory.json.
 *   node --import tsx bench/memory.ts [--quick] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gptConfig } from '../src/models/gpt/config.js';
import { GPTForSequenceClassification } from '../src/models/gpt/heads.js';
import { FlatParameters } from '../src/nn/params.js';
import { createEngine } from '../src/tensor/create.js';
import { crossEntropy } from '../src/tensor/ops/fused.js';
import { Rng } from '../src/tensor/random.js';
import { AdamW, clipGradNorm } from '../src/train/optim.js';
import { weightDecayGroup } from '../src/train/trainer.js';

type Mode = 'head' | 'full';

export interface MemoryBenchRow {
  mode: Mode;
  params: number;
  trainable_params: number;
  /** Gradient bytes: the flat buffer plus any gradient held by a frozen parameter (should be 0). */
  grad_bytes: number;
  optimizer_bytes: number;
  frozen_grad_bytes: number;
  peak_rss_mb: number;
  step_ms: number;
}

const SHAPE = { vocabSize: 50257, nCtx: 1024, nLayer: 12, nHead: 12, nEmbd: 768, dropout: 0 };
const BATCH = 4;
const SEQ = 128;

function measure(mode: Mode, steps: number): MemoryBenchRow {
  const engine = createEngine();
  const model = new GPTForSequenceClassification(engine, gptConfig(SHAPE), { numLabels: 2, rng: new Rng(0) });
  if (mode === 'head') model.transformer.freeze();
  const params = new FlatParameters(model, (name, t) => weightDecayGroup(name, t.shape));
  const opt = new AdamW(engine, params, {
    lr: 1e-4,
    groups: [{ weightDecay: 0.1 }, { weightDecay: 0 }],
  });
  const rng = new Rng(1);
  const ids = Int32Array.from({ length: BATCH * SEQ }, () => rng.int(SHAPE.vocabSize));
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 2);
  const times: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    params.zeroGrad();
    engine.scope(() => {
      const logits = model.logits({ inputIds: engine.tensor(ids, [BATCH, SEQ], 'i32') }); // (B, 2)
      crossEntropy(logits, engine.tensor(labels, [BATCH], 'i32')).backward();
    });
    clipGradNorm(engine, params, 1);
    opt.update();
    times.push(performance.now() - t0);
  }
  let frozenGrad = 0;
  for (const [, t] of model.namedParameters({ trainable: false })) frozenGrad += (t.grad?.size ?? 0) * 4;
  times.sort((a, b) => a - b);
  return {
    mode,
    params: model.parameterCount(),
    trainable_params: params.size,
    grad_bytes: params.grads.byteLength + frozenGrad,
    optimizer_bytes: opt.m.byteLength + opt.v.byteLength,
    frozen_grad_bytes: frozenGrad,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    step_ms: times[Math.floor(times.length / 2)],
  };
}

function cpuModel(): string {
  const r = spawnSync('lscpu', [], { encoding: 'utf8' });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('Model name'));
  return line ? line.split(':')[1].trim() : (cpus()[0]?.model ?? 'unknown');
}

export function runMemoryBench(opts: { quick?: boolean; out?: string } = {}): MemoryBenchRow[] {
  const steps = opts.quick ? 2 : 3;
  const self = fileURLToPath(import.meta.url);
  const rows: MemoryBenchRow[] = [];
  for (const mode of ['head', 'full'] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--worker', mode, String(steps)], {
      encoding: 'utf8',
      env: { ...process.env, LLMK_THREADS: process.env.LLMK_THREADS ?? '2' },
    });
    if (r.status !== 0) throw new Error(`memory worker ${mode} failed: ${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as MemoryBenchRow);
  }
  const size = (b: number): string =>
    b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 2 ** 10).toFixed(1)} KiB`;
  console.log(
    `\nTrainable-only memory: gpt2-124M-shaped GPTForSequenceClassification, B=${BATCH} T=${SEQ}, AdamW`,
  );
  console.log(`CPU: ${cpuModel()}`);
  console.log(
    '| mode | trainable / all params | gradients | AdamW state | grad + optimizer bytes | peak RSS MiB | step ms |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.mode === 'head' ? 'head only (body frozen)' : 'full fine-tune'} | ${r.trainable_params.toLocaleString('en')} / ${r.params.toLocaleString('en')} | ${size(r.grad_bytes)} | ${size(r.optimizer_bytes)} | ${(r.grad_bytes + r.optimizer_bytes).toLocaleString('en')} | ${r.peak_rss_mb.toFixed(0)} | ${r.step_ms.toFixed(0)} |`,
    );
  const out = opts.out ?? '.bench/memory.json';
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ cpu: cpuModel(), batch: BATCH, seq: SEQ, steps, rows }, null, 1)}\n`,
  );
  return rows;
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt >= 0) {
  const mode = process.argv[workerAt + 1] as Mode;
  process.stdout.write(`${JSON.stringify(measure(mode, Number(process.argv[workerAt + 2] ?? 3)))}\n`);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outAt = process.argv.indexOf('--out');
  runMemoryBench({
    quick: process.argv.includes('--quick'),
    out: outAt >= 0 ? process.argv[outAt + 1] : undefined,
  });
}
