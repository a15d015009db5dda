/**
 * One training-throughput measurement in its own process (so peak RSS is per config), printed as
 * one JSON line. Mirrors ../shared/anchors/bench_gpt_train.py: random uniform token data, dropout 0,
 * AdamW (betas 0.9/0.95, weight decay 0.1 on 2-D weights), the same warmup/measured step counts,
 * median step time (forward + loss + backward + update + zero grad).
 * Usage: node --import tsx bench/train-worker.ts baby|small|gpt2-124M
 */
import { TokenWindowSampler } from '../src/data/sampler.js';
import { MemoryTokens } from '../src/data/shards.js';
import { gptConfig } from '../src/models/gpt/config.js';
import { GPT } from '../src/models/gpt/model.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';
import { CausalLMObjective } from '../src/train/objectives/causal-lm.js';
import { Trainer } from '../src/train/trainer.js';

export const TRAIN_CONFIGS = {
  baby: {
    model: { vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128, nCtx: 64 },
    batch: 12,
    warmup: 10,
    steps: 40,
  },
  small: {
    model: { vocabSize: 8192, nLayer: 6, nHead: 6, nEmbd: 384, nCtx: 256 },
    batch: 8,
    warmup: 3,
    steps: 10,
  },
  'gpt2-124M': {
    model: { vocabSize: 50257, nLayer: 12, nHead: 12, nEmbd: 768, nCtx: 256 },
    batch: 4,
    warmup: 2,
    steps: 6,
  },
} as const;

export type TrainConfigName = keyof typeof TRAIN_CONFIGS;

async function main(name: TrainConfigName): Promise<void> {
  const spec = TRAIN_CONFIGS[name];
  const engine = createEngine();
  const cfg = gptConfig({ ...spec.model, dropout: 0 });
  const model = new GPT(engine, cfg, { rng: new Rng(0) });
  const rng = new Rng(1);
  const tokens = new Uint16Array(Math.max(200_000, (spec.warmup + spec.steps) * spec.batch * (cfg.nCtx + 1)));
  for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(cfg.vocabSize);
  const objective = new CausalLMObjective(
    model,
    { train: new TokenWindowSampler(new MemoryTokens(tokens)) },
    { batchSize: spec.batch, seqLen: cfg.nCtx, evalBatches: 1, evalSeed: 0 },
  );
  const trainer = new Trainer(engine, objective, {
    steps: 1_000_000,
    lr: 6e-4,
    beta1: 0.9,
    beta2: 0.95,
    weightDecay: 0.1,
    warmupSteps: 0,
    schedule: 'constant',
    gradClip: 0,
    progress: 'quiet',
  });
  const times: number[] = [];
  let loss = 0;
  for (let i = 0; i < spec.warmup + spec.steps; i++) {
    const t0 = performance.now();
    loss = trainer.trainStep().loss;
    if (i >= spec.warmup) times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const tokensPerStep = spec.batch * cfg.nCtx;
  process.stdout.write(
    `${JSON.stringify({
      config: name,
      backend: engine.backend.name,
      threads: engine.backend.threads(),
      params: model.parameterCount(),
      tokens_per_step: tokensPerStep,
      step_s_median: median,
      tokens_per_s: tokensPerStep / median,
      final_loss: loss,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

if (process.argv[1]?.endsWith('train-worker.ts')) await main(process.argv[2] as TrainConfigName);
