/**
 * Finite-difference gradient checking in float64 on the reference backend (the test oracle).
 * The op's output is contracted with a fixed random tensor w, L = Σ w ⊙ f(x), so every output
 * element's gradient is exercised; analytic dL/dx from backward() is compared with central
 * differences (L(x+h) − L(x−h)) / 2h, h = 1e-6, whose truncation error is O(h²) ≈ 1e-12.
 */
import type { Engine } from '../engine.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';

export interface GradCheckResult {
  maxAbsError: number;
  maxRelError: number;
  worst: string;
}

export function gradCheck(
  engine: Engine,
  fn: (inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: { h?: number; seed?: number } = {},
): GradCheckResult {
  const h = options.h ?? 1e-6;
  const rng = new Rng(options.seed ?? 7);
  for (const x of inputs) x.requiresGrad = x.dtype !== 'i32';
  const probe = engine.keep(engine.noGrad(() => fn(inputs)));
  const w = engine.keep(engine.randn(probe.shape, { rng, dtype: 'f64' }));
  const lossOf = (): number =>
    engine.scope(() => {
      const out = engine.noGrad(() => fn(inputs));
      const ov = out.toArray();
      const wv = w.values();
      let s = 0;
      for (let i = 0; i < ov.length; i++) s += ov[i] * wv[i];
      return s;
    });
  engine.scope(() => {
    const out = fn(inputs);
    out.backward(w);
  });
  let maxAbsError = 0;
  let maxRelError = 0;
  let worst = '';
  inputs.forEach((x, k) => {
    if (x.dtype === 'i32') return;
    const v = x.values();
    const analytic = x.grad ? x.grad.toArray() : new Array<number>(x.size).fill(0);
    for (let i = 0; i < x.size; i++) {
      const saved = v[i];
      v[i] = saved + h;
      const up = lossOf();
      v[i] = saved - h;
      const down = lossOf();
      v[i] = saved;
      const numeric = (up - down) / (2 * h);
      const abs = Math.abs(numeric - analytic[i]);
      const rel = abs / Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[i]));
      if (rel > maxRelError) {
        maxRelError = rel;
        worst = `input ${k} element ${i}: analytic ${analytic[i]} numeric ${numeric}`;
      }
      maxAbsError = Math.max(maxAbsError, abs);
    }
  });
  probe.dispose();
  w.dispose();
  for (const x of inputs) {
    x.grad?.dispose();
    x.grad = null;
  }
  return { maxAbsError, maxRelError, worst };
}
