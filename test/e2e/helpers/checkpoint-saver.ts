/**
 * A child process for the checkpoint fault test: trains a small GPT and saves a checkpoint after
 * every step (keeping the last 3) into the run directory argv[2], forever, until it is killed.
 * It continues the run if it exists (RunDir.open, which removes what a killed save left behind)
 * and prints `saving` once the loop is running, so the parent knows when to start its random wait.
 */
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TokenWindowSampler } from '../../../src/data/sampler.js';
import { MemoryTokens } from '../../../src/data/shards.js';
import { gptConfig } from '../../../src/models/gpt/config.js';
import { GPT } from '../../../src/models/gpt/model.js';
import { createEngine } from '../../../src/tensor/create.js';
import { Rng } from '../../../src/tensor/random.js';
import { RunDir } from '../../../src/track/run.js';
import { CausalLMObjective } from '../../../src/train/objectives/causal-lm.js';
import { Trainer } from '../../../src/train/trainer.js';

const runPath = process.argv[2];
const engine = createEngine();
const tokens = new Uint16Array(4096);
for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7) % 64;
const model = new GPT(engine, gptConfig({ vocabSize: 64, nCtx: 16, nLayer: 2, nHead: 2, nEmbd: 96 }), {
  rng: new Rng(1),
});
const objective = new CausalLMObjective(
  model,
  { train: new TokenWindowSampler(new MemoryTokens(tokens)) },
  { batchSize: 1, seqLen: 8, evalBatches: 1, evalSeed: 1 },
);
const run = existsSync(runPath)
  ? RunDir.open(runPath, { tensorboard: false })
  : RunDir.create(dirname(runPath), basename(runPath), { tensorboard: false });
const trainer = new Trainer(
  engine,
  objective,
  { steps: 1_000_000, saveInterval: 1, keepLast: 3, evalInterval: 0, progress: 'quiet', logInterval: 1000 },
  { run },
);
process.stdout.write('saving\n');
await trainer.run();
