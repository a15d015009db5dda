/**
 * The README's first command: nanoGPT's CPU "baby" Shakespeare run (char-level, 4 layers, 4 heads,
 * 128 dims, context 64, batch 12, 2000 iterations, lr 1e-3 → 1e-4 cosine, dropout 0, eval over 20
 * batches) on the bundled TinyShakespeare, split 90/10 by characters as nanoGPT does.
 */
import { readFileSync } from 'node:fs';
import { TokenWindowSampler } from '../data/sampler.js';
import { MemoryTokens } from '../data/shards.js';
import { generate } from '../infer/generate.js';
import { BABY_CONFIG, gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import type { Engine } from '../tensor/engine.js';
import { Rng } from '../tensor/random.js';
import { CharTokenizer } from '../tokenize/char.js';
import type { ProgressMode } from '../track/progress.js';
import { RunDir } from '../track/run.js';
import { CausalLMObjective } from '../train/objectives/causal-lm.js';
import { Trainer, type TrainResult } from '../train/trainer.js';

const TINY_SHAKESPEARE = new URL('../../fixtures/tinyshakespeare/input.txt', import.meta.url);

export interface QuickstartOptions {
  steps?: number;
  /** Where the run directory goes (default ./runs). */
  runsDir?: string;
  sampleTokens?: number;
  progress?: ProgressMode;
  seed?: number;
}

export interface QuickstartResult extends TrainResult {
  runDir: string;
  sample: string;
  parameters: number;
}

export async function runQuickstart(
  engine: Engine,
  options: QuickstartOptions = {},
): Promise<QuickstartResult> {
  const text = readFileSync(TINY_SHAKESPEARE, 'utf8');
  const tokenizer = CharTokenizer.fromText(text);
  const ids = (await tokenizer.encode(text)).ids;
  const split = Math.floor(0.9 * ids.length);
  const train = new TokenWindowSampler(new MemoryTokens(ids.slice(0, split)));
  const val = new TokenWindowSampler(new MemoryTokens(ids.slice(split)));
  const seed = options.seed ?? 1337;
  const config = gptConfig({ ...BABY_CONFIG, vocabSize: tokenizer.vocabSize });
  const model = new GPT(engine, config, { rng: new Rng(seed) });
  const batch = { batchSize: 12, seqLen: 64, evalBatches: 20 };
  const trainerOptions = {
    steps: options.steps ?? 2000,
    lr: 1e-3,
    minLr: 1e-4,
    warmupSteps: 100,
    beta2: 0.99,
    weightDecay: 0.1,
    // nanoGPT's optimizer groups: decay every ≥2-D tensor, embeddings included.
    decayEmbeddings: true,
    gradClip: 1,
    evalInterval: 250,
    seed,
    progress: options.progress ?? 'bar',
  };
  const run = RunDir.create(options.runsDir ?? 'runs', undefined, {
    config: {
      model: config,
      trainer: trainerOptions,
      data: 'tinyshakespeare (bundled), char-level, 90/10 split',
    },
  });
  const objective = new CausalLMObjective(model, { train, val }, { ...batch, evalSeed: seed + 1, tokenizer });
  const trainer = new Trainer(engine, objective, trainerOptions, { run });
  const result = await trainer.run();
  const newline = (await tokenizer.encode('\n')).ids;
  const out = await generate(model, newline, {
    maxTokens: options.sampleTokens ?? 500,
    temperature: 0.8,
    topK: 200,
    seed,
  });
  const sample = await tokenizer.decode(out.tokens);
  run.writeSample(result.steps, sample);
  run.close();
  return { ...result, runDir: run.path, sample, parameters: model.parameterCount() };
}
