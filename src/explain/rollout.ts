/**
 * Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers"; reference
 * code samiraabnar/attention_flow compute_joint_attention): per layer the heads are averaged, the
 * residual connection is added as 0.5·A + 0.5·I, rows are renormalised to sum to 1, and the layers
 * are multiplied bottom-up: joint₀ = Â₀, joint_l = Â_l · joint_{l−1}. Row i of the result says how
 * much of the top-layer token i is made of each input token.
 */
import { LlmkError } from '../errors.js';

/** A (T, T) matrix as rows. */
export type Matrix = number[][];

/** Mean over heads of one layer's (NH, T, T) attention, given as NH matrices. */
export function meanHeads(heads: readonly Matrix[]): Matrix {
  if (heads.length === 0)
    throw new LlmkError(
      'LLMK_E_ARG',
      'attention rollout: a layer without heads',
      'pass (NH, T, T) attention',
    );
  const T = heads[0].length;
  return Array.from({ length: T }, (_, i) =>
    Array.from({ length: T }, (_, j) => heads.reduce((s, h) => s + h[i][j], 0) / heads.length),
  );
}

function matmul(a: Matrix, b: Matrix): Matrix {
  const n = a.length;
  const m = b[0].length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: m }, (_, j) => {
      let s = 0;
      for (let k = 0; k < b.length; k++) s += a[i][k] * b[k][j];
      return s;
    }),
  );
}

/** 0.5·A + 0.5·I with rows renormalised (A&Z's residual handling). */
export function addResidual(a: Matrix): Matrix {
  return a.map((row, i) => {
    const r = row.map((v, j) => 0.5 * v + (i === j ? 0.5 : 0));
    const z = r.reduce((s, v) => s + v, 0);
    return r.map((v) => v / z);
  });
}

/** Rollout over layers (bottom first), each given as its head-averaged (T, T) attention. */
export function attentionRollout(layers: readonly Matrix[]): Matrix {
  if (layers.length === 0)
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      'attention rollout needs at least one attention layer',
      'the model returned no attention maps',
    );
  let joint = addResidual(layers[0]);
  for (let l = 1; l < layers.length; l++) joint = matmul(addResidual(layers[l]), joint);
  return joint;
}
