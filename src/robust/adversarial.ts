/**
 * Adversarial training on the word-embedding output, as an Objective wrapper the Trainer runs
 * unchanged (the wrapper's trainLoss runs the extra forward/backward passes itself and hands the
 * Trainer the last loss to backpropagate):
 *
 * - FGM (Miyato et al. 2017, "Adversarial Training Methods for Semi-Supervised Text
 *   Classification"; the common recipe of zhuanlan.zhihu.com/p/91269728): r = ε·g/‖g‖, one clean
 *   and one adversarial backward, their parameter gradients summed.
 * - PGD (Madry et al. 2018, same recipe source): K steps r ← Π_ε(r + α·g/‖g‖); the intermediate
 *   passes only steer r (their parameter gradients are dropped: backup_grad/restore_grad), the
 *   final parameter gradient is clean + the last adversarial pass.
 * - FreeLB (Zhu et al. 2020, zhuchen03/FreeLB run_glue_freelb.py): δ₀ = U(−1,1)·m/√(T·C) (m the
 *   init magnitude), K ascent passes each backpropagating loss/K (parameter gradients accumulate:
 *   "free" training), δ ← δ + α·g/‖g‖ and projected onto ‖δ‖ ≤ ε between passes; no clean pass.
 *
 * The perturbation is added to the output of the model's word-embedding module (a forward hook on
 * `getInputEmbeddings()` or on the module at `target`), so position/type embeddings and the rest of
 * the model are untouched and any objective whose model has such a module works (classification,
 * NER, MLM, causal LM). Norms are L2 over one example's (T, C) block (Miyato et al. §3 normalise
 * per input sequence; the zhihu FGM snippet uses one norm of the whole embedding-matrix gradient
 * instead). The hook cannot see the attention mask, so padded positions are perturbed too; their
 * gradient is zero for encoder heads, so updates ignore them, and FreeLB's init scales by the padded
 * length T (the official code uses the unpadded length).
 */
import { Rng as DataRng } from '../data/rng.js';
import { LlmkError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Engine } from '../tensor/engine.js';
import { add, scale } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EvalMetrics, Objective } from '../train/objective.js';

export type AdversarialMethod = 'fgm' | 'pgd' | 'freelb';
export const ADVERSARIAL_METHODS: readonly AdversarialMethod[] = ['fgm', 'pgd', 'freelb'];

export interface AdversarialOptions {
  method: AdversarialMethod;
  /** FGM: the perturbation norm; PGD and FreeLB: the radius of the ball (per example, L2). */
  epsilon: number;
  /** PGD and FreeLB: ascent steps K (default 3). FGM ignores it. */
  steps?: number;
  /** PGD and FreeLB: the step size α of each ascent step (default 0.3, the PGD recipe's). */
  alpha?: number;
  /** FreeLB: initial magnitude m of δ₀ = U(−1,1)·m/√(T·C) (default 0: start at the clean input). */
  initMag?: number;
  /** Micro-batches per optimizer step, as the Trainer's `gradAccum` (the extra passes scale by it). */
  gradAccum?: number;
  /** Dotted module path of the embedding to perturb (default the model's getInputEmbeddings()). */
  target?: string;
}

interface ResolvedOptions {
  method: AdversarialMethod;
  epsilon: number;
  steps: number;
  alpha: number;
  initMag: number;
  gradAccum: number;
  target: string | null;
}

/** Validates options into a complete set; ε ≤ 0, steps < 1, α ≤ 0 and init < 0 are typed errors. */
export function resolveAdversarialOptions(o: AdversarialOptions, allowZeroEpsilon = false): ResolvedOptions {
  if (!ADVERSARIAL_METHODS.includes(o.method))
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown adversarial method '${String(o.method)}'`,
      `use one of ${ADVERSARIAL_METHODS.join(', ')}`,
    );
  const r: ResolvedOptions = {
    method: o.method,
    epsilon: o.epsilon,
    steps: o.steps ?? 3,
    alpha: o.alpha ?? 0.3,
    initMag: o.initMag ?? 0,
    gradAccum: o.gradAccum ?? 1,
    target: o.target ?? null,
  };
  if (!(Number.isFinite(r.epsilon) && (r.epsilon > 0 || (allowZeroEpsilon && r.epsilon === 0))))
    throw new LlmkError(
      'LLMK_E_ARG',
      `adversarial epsilon ${r.epsilon} must be a number > 0`,
      'the perturbation radius in embedding units, e.g. --adv-epsilon 1.0; drop --adversarial for plain training',
    );
  if (!(Number.isInteger(r.steps) && r.steps >= 1))
    throw new LlmkError(
      'LLMK_E_ARG',
      `adversarial steps ${r.steps} must be an integer ≥ 1`,
      'PGD and FreeLB take K ascent steps, e.g. --adv-steps 3',
    );
  if (!(Number.isFinite(r.alpha) && r.alpha > 0))
    throw new LlmkError('LLMK_E_ARG', `adversarial alpha ${r.alpha} must be > 0`, 'e.g. --adv-alpha 0.3');
  if (!(Number.isFinite(r.initMag) && r.initMag >= 0))
    throw new LlmkError(
      'LLMK_E_ARG',
      `FreeLB init magnitude ${r.initMag} must be ≥ 0`,
      '0 starts at the clean input',
    );
  if (!(Number.isInteger(r.gradAccum) && r.gradAccum >= 1))
    throw new LlmkError(
      'LLMK_E_ARG',
      `gradAccum ${r.gradAccum} must be an integer ≥ 1`,
      'pass the Trainer’s gradAccum',
    );
  return r;
}

/** The module whose output is perturbed: `target` if given, else the model's getInputEmbeddings(). */
export function embeddingModuleOf(
  model: Module,
  target: string | null = null,
): Module & { forward(x: Tensor): Tensor } {
  if (target !== null) return model.getModule(target) as Module & { forward(x: Tensor): Tensor };
  const withEmb = model as Module & { getInputEmbeddings?: () => Module & { forward(x: Tensor): Tensor } };
  if (typeof withEmb.getInputEmbeddings !== 'function')
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${model.constructor.name} exposes no input embedding layer (getInputEmbeddings)`,
      'pass target: the dotted path of its embedding module (e.g. bert.embeddings.word_embeddings)',
    );
  return withEmb.getInputEmbeddings();
}

/** Per-example L2 norms of a (B, …) array: one norm over each example's block. */
export function exampleNorms(v: Float32Array, B: number): Float64Array {
  const n = v.length / B;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = b * n; i < (b + 1) * n; i++) s += v[i] * v[i];
    out[b] = Math.sqrt(s);
  }
  return out;
}

/**
 * r ← r + step·g/‖g‖ per example (examples with ‖g‖ = 0 or NaN are left alone, as the recipe's
 * `if norm != 0 and not isnan`), then, when `radius` is given, rescaled onto the ball ‖r‖ ≤ radius
 * (PGD `project`, FreeLB's adv_max_norm clip).
 */
export function ascend(
  r: Float32Array,
  g: Float32Array,
  B: number,
  step: number,
  radius: number | null,
): void {
  const n = r.length / B;
  const gn = exampleNorms(g, B);
  for (let b = 0; b < B; b++) {
    if (!(gn[b] > 0)) continue;
    const k = step / gn[b];
    for (let i = b * n; i < (b + 1) * n; i++) r[i] += k * g[i];
  }
  if (radius === null) return;
  const rn = exampleNorms(r, B);
  for (let b = 0; b < B; b++) {
    if (rn[b] <= radius) continue;
    const k = radius / rn[b];
    for (let i = b * n; i < (b + 1) * n; i++) r[i] *= k;
  }
}

/** Statistics of the last step, for tests and logs. */
export interface AdversarialStepInfo {
  /** Per-example L2 norms of the perturbation used in the final adversarial pass. */
  perturbationNorms: number[];
  /** Forward passes run this micro-batch. */
  passes: number;
  /** Clean loss (FGM/PGD) or the first pass's loss (FreeLB). */
  cleanLoss: number;
}

/**
 * Wraps an objective so each training micro-batch is trained adversarially. Build the Trainer on
 * the wrapper (`new Trainer(engine, new AdversarialObjective(engine, objective, {…}), options)`)
 * and pass it the same `gradAccum`. Evaluation and saving go to the wrapped objective unchanged.
 * The logged loss is the last adversarial pass's (FGM/PGD) or the mean over the K passes (FreeLB).
 */
export class AdversarialObjective implements Objective {
  readonly model: Module;
  readonly unitsPerBatch: number;
  readonly options: ResolvedOptions;
  lastStep: AdversarialStepInfo | null = null;
  private readonly embedding: Module & { forward(x: Tensor): Tensor };

  constructor(
    readonly engine: Engine,
    readonly inner: Objective,
    options: AdversarialOptions,
    /** Tests only: ε = 0 must reproduce plain training (clean + adversarial = twice the clean loss). */
    internal: { allowZeroEpsilon?: boolean } = {},
  ) {
    this.options = resolveAdversarialOptions(options, internal.allowZeroEpsilon === true);
    this.model = inner.model;
    this.unitsPerBatch = inner.unitsPerBatch;
    this.embedding = embeddingModuleOf(inner.model, this.options.target);
  }

  evaluate(): EvalMetrics | null {
    return this.inner.evaluate();
  }

  saveModel(dir: string): void {
    this.inner.saveModel(dir);
  }

  trainLoss(rng: DataRng): Tensor {
    const { engine } = this;
    const o = this.options;
    // Every pass replays the same micro-batch: the first draws it with the Trainer's rng (which
    // advances exactly as in plain training), the others with a copy of its state before the draw.
    const before = rng.state();
    let first = true;
    const draw = (): Tensor => {
      if (first) {
        first = false;
        return this.inner.trainLoss(rng);
      }
      return this.inner.trainLoss(DataRng.fromState(before));
    };
    // δ: a persistent leaf the hook adds to the embedding output, so backward gives dL/dδ = dL/de.
    let delta: Tensor | null = null;
    const remove = this.embedding.onForward((out) => {
      if (delta === null) {
        delta = engine.empty(out.shape, 'f32', { persistent: true });
        delta.requiresGrad = true;
        if (o.method === 'freelb' && o.initMag > 0) freelbInit(engine, delta, o.initMag);
      } else if (delta.shape.join() !== out.shape.join()) {
        throw new LlmkError(
          'LLMK_E_SHAPE',
          `adversarial replay: embedding output ${out.shape.join('x')} differs from the first pass ${delta.shape.join('x')}`,
          'the objective must draw the same micro-batch from the same rng state',
        );
      }
      return add(out, delta); // (B, T, C)
    });
    const seed = (): Tensor => engine.full([], 1 / o.gradAccum);
    const d = (): Tensor => delta as unknown as Tensor;
    try {
      if (o.method === 'freelb') return this.freelb(draw, seed, d);
      // 1. Clean pass: loss and backward as the Trainer would do them; δ = 0 gives e + 0 = e exactly.
      const cleanLoss = engine.scope(() => {
        const loss = draw();
        loss.backward(seed());
        return loss.item();
      });
      const r = d().values() as Float32Array;
      const B = d().shape[0];
      const grad = (): Float32Array =>
        (d().grad?.values() as Float32Array | undefined) ?? new Float32Array(r.length);
      if (o.method === 'fgm') {
        // 2. r = ε·g/‖g‖ from the clean gradient; the Trainer backpropagates the adversarial loss.
        ascend(r, grad(), B, o.epsilon, null);
      } else {
        // 2. PGD: K steps; intermediate passes only move r, the parameter gradients are restored.
        const backup = backupGrads(this.model);
        for (let t = 0; t < o.steps; t++) {
          const g = Float32Array.from(grad());
          ascend(r, g, B, o.alpha, o.epsilon);
          if (t === o.steps - 1) break;
          d().grad?.values().fill(0);
          engine.scope(() => {
            const loss = draw();
            loss.backward(seed());
          });
          restoreGrads(this.model, backup);
        }
      }
      this.lastStep = {
        perturbationNorms: [...exampleNorms(r, B)],
        passes: o.method === 'fgm' ? 2 : o.steps + 1,
        cleanLoss,
      };
      return draw();
    } finally {
      remove();
      const dt = delta as Tensor | null;
      if (dt) {
        // The returned loss's graph still lists δ as an input of `add`, whose backward needs no
        // values; without requiresGrad the Trainer's backward gives it no (leaked) gradient buffer.
        dt.requiresGrad = false;
        dt.grad?.dispose();
        dt.grad = null;
        dt.dispose();
      }
    }
  }

  /** FreeLB: K passes, each backpropagating loss/K; δ ascends and is clipped to the ε-ball between them. */
  private freelb(draw: () => Tensor, seed: () => Tensor, d: () => Tensor): Tensor {
    const { engine } = this;
    const o = this.options;
    const K = o.steps;
    let lossSum = 0;
    let firstLoss = Number.NaN;
    for (let t = 0; t < K - 1; t++) {
      const l = engine.scope(() => {
        const loss = draw();
        scale(loss, 1 / K).backward(seed());
        return loss.item();
      });
      if (t === 0) firstLoss = l;
      lossSum += l;
      const r = d().values() as Float32Array;
      const g = d().grad?.values() as Float32Array;
      ascend(r, Float32Array.from(g), d().shape[0], o.alpha, o.epsilon);
      g.fill(0);
    }
    const last = draw();
    const lastValue = last.item();
    if (K === 1) firstLoss = lastValue;
    this.lastStep = {
      perturbationNorms: d() ? [...exampleNorms(d().values() as Float32Array, d().shape[0])] : [],
      passes: K,
      cleanLoss: firstLoss,
    };
    // The Trainer backpropagates loss_K/K; the added constant makes the logged value the mean over
    // the K passes (FreeLB logs Σ loss_t/K) without changing any gradient.
    return add(scale(last, 1 / K), engine.full([], lossSum / K));
  }
}

/** FreeLB's L2 init: U(−1, 1) per element, scaled by m/√(T·C) per example. */
function freelbInit(engine: Engine, delta: Tensor, mag: number): void {
  const v = delta.values() as Float32Array;
  const [, T, C] = delta.shape;
  const k = mag / Math.sqrt(T * C);
  for (let i = 0; i < v.length; i++) v[i] = (engine.rng.uniform() * 2 - 1) * k;
}

function backupGrads(model: Module): Float32Array[] {
  return model
    .parameters({ trainable: true })
    .map((p) => Float32Array.from((p.grad?.values() as Float32Array) ?? []));
}

function restoreGrads(model: Module, backup: readonly Float32Array[]): void {
  model.parameters({ trainable: true }).forEach((p, i) => {
    (p.grad?.values() as Float32Array | undefined)?.set(backup[i]);
  });
}
