/**
 * Integrated gradients (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks") as
 * Captum computes them (captum/attr/_core/integrated_gradients.py): gradients of f at
 * baseline + α·(x − baseline) for each α of a quadrature rule, summed with the rule's weights and
 * multiplied by (x − baseline). Completeness: Σ attributions = f(x) − f(baseline) up to the
 * quadrature error, which is reported (Captum's convergence delta).
 * Also gradient × input (Shrikumar et al. 2016; Captum InputXGradient).
 */
import { LlmkError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/** Captum's approximation methods (captum/attr/_utils/approximation_methods.py). */
export type IntegrationMethod =
  | 'gausslegendre'
  | 'riemann_trapezoid'
  | 'riemann_left'
  | 'riemann_right'
  | 'riemann_middle';
export const INTEGRATION_METHODS: readonly IntegrationMethod[] = [
  'gausslegendre',
  'riemann_trapezoid',
  'riemann_left',
  'riemann_right',
  'riemann_middle',
];

/**
 * Gauss–Legendre nodes and weights on [−1, 1] (numpy.polynomial.legendre.leggauss), ascending:
 * Newton's method on P_n from the Chebyshev-like initial guesses, weights 2/((1 − x²)·P_n'(x)²).
 */
export function legendreGauss(n: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pm)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * dp * dp));
  }
  const order = nodes.map((_, i) => i).sort((a, b) => nodes[a] - nodes[b]);
  return { nodes: order.map((i) => nodes[i]), weights: order.map((i) => weights[i]) };
}

/** Captum's (alphas, step sizes) for `n` steps of `method`. */
export function approximationParameters(
  method: IntegrationMethod,
  n: number,
): { alphas: number[]; stepSizes: number[] } {
  if (!(Number.isInteger(n) && n >= 1) || (method !== 'gausslegendre' && n < 2))
    throw new LlmkError(
      'LLMK_E_ARG',
      `integrated gradients: ${n} steps for ${method}`,
      'give at least 2 steps (Captum requires n > 1 for the Riemann rules); 50 is the default',
    );
  if (method === 'gausslegendre') {
    const { nodes, weights } = legendreGauss(n);
    return { alphas: nodes.map((x) => 0.5 * (1 + x)), stepSizes: weights.map((w) => 0.5 * w) };
  }
  const lin = (a: number, b: number): number[] =>
    Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  switch (method) {
    case 'riemann_trapezoid':
      return {
        alphas: lin(0, 1),
        stepSizes: Array.from({ length: n }, (_, i) =>
          i === 0 || i === n - 1 ? 1 / (2 * (n - 1)) : 1 / (n - 1),
        ),
      };
    case 'riemann_left':
      return { alphas: lin(0, 1 - 1 / n), stepSizes: new Array(n).fill(1 / n) };
    case 'riemann_right':
      return { alphas: lin(1 / n, 1), stepSizes: new Array(n).fill(1 / n) };
    case 'riemann_middle':
      return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), stepSizes: new Array(n).fill(1 / n) };
    default:
      throw new LlmkError(
        'LLMK_E_ARG',
        `unknown integration method '${String(method)}'`,
        `use one of ${INTEGRATION_METHODS.join(', ')}`,
      );
  }
}

/**
 * f over a batch of embeddings: (S, T, C) → (S) scalar outputs (e.g. the target class probability),
 * recorded for autograd.
 */
export type EmbeddingFunction = (embeds: Tensor) => Tensor;

/** Runs fn with every parameter of `model` excluded from autograd (no parameter gradients). */
export function withFrozen<T>(model: Module, fn: () => T): T {
  const params = model.parameters();
  const was = params.map((p) => p.requiresGrad);
  for (const p of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    params.forEach((p, i) => {
      p.requiresGrad = was[i];
    });
  }
}

/** f and its gradient at each of the (T, C) points given as rows; returns values and (S, T·C) grads. */
function valuesAndGrads(
  engine: Engine,
  f: EmbeddingFunction,
  points: Float32Array,
  S: number,
  T: number,
  C: number,
): { values: number[]; grads: Float32Array } {
  return engine.scope(() => {
    const x = engine.keep(engine.tensor(points, [S, T, C]));
    x.requiresGrad = true;
    try {
      const y = f(x); // (S)
      const values = y.toArray();
      y.backward(engine.ones(y.shape));
      const grads = Float32Array.from(
        (x.grad?.values() as Float32Array | undefined) ?? new Float32Array(S * T * C),
      );
      return { values, grads };
    } finally {
      x.grad?.dispose();
      x.grad = null;
      x.dispose();
    }
  });
}

export interface IntegratedGradientsOptions {
  /** Quadrature points (Captum default 50). */
  steps?: number;
  /** Captum default 'gausslegendre'. */
  method?: IntegrationMethod;
  /** Points evaluated per forward pass (Captum internal_batch_size; default 10). */
  internalBatchSize?: number;
}

export interface Attribution {
  /** (T, C) attributions per embedding element. */
  elements: Float32Array;
  /** (T) per token: the sum over the embedding dimension. */
  tokens: number[];
}

export interface IntegratedGradientsResult extends Attribution {
  fx: number;
  fBaseline: number;
  /** Σ attributions − (f(x) − f(baseline)), Captum's convergence delta. */
  delta: number;
  steps: number;
  method: IntegrationMethod;
}

/** Sums (T, C) element attributions over C. */
function perToken(a: Float32Array, T: number, C: number): number[] {
  return Array.from({ length: T }, (_, t) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += a[t * C + c];
    return s;
  });
}

/**
 * Integrated gradients of `f` from `baseline` to `x`, both (T, C) embeddings. Gradients are
 * taken in chunks of internalBatchSize points; parameters get no gradient (freeze them with
 * withFrozen, or let the caller do it).
 */
export function integratedGradients(
  engine: Engine,
  f: EmbeddingFunction,
  x: Float32Array,
  baseline: Float32Array,
  T: number,
  C: number,
  options: IntegratedGradientsOptions = {},
): IntegratedGradientsResult {
  const steps = options.steps ?? 50;
  const method = options.method ?? 'gausslegendre';
  const chunk = Math.max(1, options.internalBatchSize ?? 10);
  const { alphas, stepSizes } = approximationParameters(method, steps);
  const n = T * C;
  const total = new Float64Array(n);
  for (let s0 = 0; s0 < steps; s0 += chunk) {
    const S = Math.min(chunk, steps - s0);
    const pts = new Float32Array(S * n);
    for (let s = 0; s < S; s++) {
      const a = alphas[s0 + s];
      for (let i = 0; i < n; i++) pts[s * n + i] = baseline[i] + a * (x[i] - baseline[i]);
    }
    const { grads } = valuesAndGrads(engine, f, pts, S, T, C);
    for (let s = 0; s < S; s++) {
      const w = stepSizes[s0 + s];
      for (let i = 0; i < n; i++) total[i] += w * grads[s * n + i];
    }
  }
  const elements = new Float32Array(n);
  for (let i = 0; i < n; i++) elements[i] = total[i] * (x[i] - baseline[i]);
  const ends = new Float32Array(2 * n);
  ends.set(x, 0);
  ends.set(baseline, n);
  const [fx, fBaseline] = engine.noGrad(() =>
    engine.scope(() => f(engine.tensor(ends, [2, T, C])).toArray()),
  );
  const tokens = perToken(elements, T, C);
  const sum = tokens.reduce((a, v) => a + v, 0);
  return { elements, tokens, fx, fBaseline, delta: sum - (fx - fBaseline), steps, method };
}

/** Gradient × input: ∂f/∂x ⊙ x at the input itself. */
export function gradientTimesInput(
  engine: Engine,
  f: EmbeddingFunction,
  x: Float32Array,
  T: number,
  C: number,
): Attribution & { fx: number } {
  const { values, grads } = valuesAndGrads(engine, f, x, 1, T, C);
  const elements = new Float32Array(T * C);
  for (let i = 0; i < elements.length; i++) elements[i] = grads[i] * x[i];
  return { elements, tokens: perToken(elements, T, C), fx: values[0] };
}
