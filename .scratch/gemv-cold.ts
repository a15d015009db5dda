import { createEngine } from '../src/tensor/create.js';
import { matmul } from '../src/tensor/ops/matmul.js';
import { sum } from '../src/tensor/ops/reduce.js';
import { Rng } from '../src/tensor/random.js';
const engine = createEngine();
const rng = new Rng(1);
const shapes: [number, number, boolean][] = [[384, 1536, false], [1536, 384, false], [768, 3072, false], [3072, 768, false], [768, 3072, true]];
engine.noGrad(() => {
  const big = engine.randn([16 * 2 ** 20]);
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); for (let i = 0; i < 5; i++) sum(big).item(); const dt = (performance.now() - t0) / 5; console.log(`sum 64MB: ${(64 * 2 ** 20 / dt / 1e6).toFixed(1)} GB/s`); }
  for (const [K, N, tB] of shapes) {
    const count = Math.ceil((64 * 2 ** 20) / (K * N * 4));
    const ws = Array.from({ length: count }, () => engine.randn(tB ? [N, K] : [K, N], { rng }));
    const x = engine.randn([1, K], { rng });
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (const w of ws) engine.scope(() => matmul(x, w, { transB: tB }).values());
      best = Math.min(best, (performance.now() - t0) / count);
    }
    console.log(`${tB ? 'NT' : 'NN'} 1x${K}x${N} cold (${count} matrices): ${(best * 1000).toFixed(0)} us, ${((K * N * 4) / best / 1e6).toFixed(1)} GB/s`);
  }
});
