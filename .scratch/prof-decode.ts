import { GenerationSession } from '../src/infer/generate.js';
import { gptConfig } from '../src/models/gpt/config.js';
import { GPT } from '../src/models/gpt/model.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';

const cfgName = process.argv[2] ?? 'small';
const B = Number(process.argv[3] ?? 1);
const cfgs: Record<string, object> = {
  small: { vocabSize: 8192, nCtx: 256, nLayer: 6, nHead: 6, nEmbd: 384 },
  'gpt2-124M': { vocabSize: 50257, nCtx: 256, nLayer: 12, nHead: 12, nEmbd: 768 },
};
const engine = createEngine();
const model = new GPT(engine, gptConfig(cfgs[cfgName] as never), { rng: new Rng(1) });
model.eval?.();
const times = new Map<string, { n: number; ms: number }>();
const be = engine.backend as unknown as Record<string, unknown>;
let proto = Object.getPrototypeOf(be);
const names = new Set<string>();
while (proto && proto !== Object.prototype) { for (const k of Object.getOwnPropertyNames(proto)) names.add(k); proto = Object.getPrototypeOf(proto); }
let on = false;
for (const k of names) {
  if (k === 'constructor' || typeof be[k] !== 'function') continue;
  const f = (be[k] as (...a: unknown[]) => unknown).bind(be);
  be[k] = (...a: unknown[]) => {
    if (!on) return f(...a);
    const t0 = performance.now(); const r = f(...a); const dt = performance.now() - t0;
    let key = k;
    if (k.startsWith('matmul') || k.startsWith('gemm')) key = `${k} ${JSON.stringify(a.filter((x) => typeof x === 'number' || typeof x === 'boolean'))}`;
    const e = times.get(key) ?? { n: 0, ms: 0 }; e.n++; e.ms += dt; times.set(key, e); return r;
  };
}
const rng = new Rng(2);
const prompts = Array.from({ length: B }, () => Array.from({ length: 32 }, () => rng.int(8192)));
async function gen(profile: boolean) {
  const s = new GenerationSession(model, prompts, { temperature: 0, maxTokens: 128 });
  await s.step();
  on = profile;
  const t0 = performance.now();
  let steps = 0;
  while (!s.done) { await s.step(); steps++; }
  const dt = performance.now() - t0;
  on = false;
  s.close();
  return { dt, steps };
}
await gen(false);
const plain = await gen(false);
console.log(`plain: ${(plain.dt / plain.steps).toFixed(2)} ms/step`);
const p = await gen(true);
let total = 0;
const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
for (const [, v] of rows) total += v.ms;
console.log(`profiled: ${(p.dt / p.steps).toFixed(2)} ms/step, in kernels ${(total / p.steps).toFixed(2)} ms/step`);
for (const [k, v] of rows.slice(0, 25)) console.log(`${(v.ms / p.steps).toFixed(3).padStart(8)} ms/step  ${(v.n / p.steps).toFixed(1).padStart(6)} calls/step  ${k}`);
