// A fixed workload for A/B timings of two checkouts: `node --import tsx bench/step-workload.ts train|decode` in each,
// whole processes in turn. 12 AdamW steps of a 4-layer 256-wide GPT (vocab 512) at B=8 × 128 tokens, or 200 greedy decode tokens.
import { generate } from '../src/infer/generate.js';
import { gptConfig } from '../src/models/gpt/config.js';
import { GPT } from '../src/models/gpt/model.js';
import { FlatParameters } from '../src/nn/params.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';
import { AdamW } from '../src/train/optim.js';

const mode = process.argv[2] ?? 'train';
const engine = createEngine();
const cfg = gptConfig({ vocabSize: 512, nCtx: 256, nLayer: 4, nHead: 4, nEmbd: 256 });
const model = new GPT(engine, cfg, { rng: new Rng(1) });
const B = 8;
const T = 128;
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % 512);
const tg = Int32Array.from({ length: B * T }, (_, i) => (i * 104729 + 3) % 512);
if (mode === 'train') {
  const params = new FlatParameters(model);
  const opt = new AdamW(engine, params, { lr: 1e-3, groups: [{ weightDecay: 0.1 }] });
  const t0 = performance.now();
  for (let s = 0; s < 12; s++) {
    params.zeroGrad();
    engine.scope(() => {
      const loss = model.loss(engine.tensor(ids, [B, T], 'i32'), engine.tensor(tg, [B, T], 'i32'));
      loss.backward();
    });
    opt.update();
  }
  console.log(`train ${((12 * B * T) / ((performance.now() - t0) / 1000)).toFixed(0)} tok/s`);
} else {
  model.eval();
  const t0 = performance.now();
  await generate(model, [1, 2, 3, 4], { temperature: 0, maxTokens: 200 });
  console.log(`decode ${(200 / ((performance.now() - t0) / 1000)).toFixed(1)} tok/s`);
}
