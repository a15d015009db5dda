/**
 * The training loop every objective plugs into: AdamW with per-group weight decay, warmup + decay
 * schedules, gradient accumulation and clipping, periodic evaluation, best-checkpoint tracking,
 * early stopping, callbacks, atomic checkpoints with exact resume, and SIGINT/SIGTERM saves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng as DataRng, type RngState as DataRngState } from '../data/rng.js';
import { check, LlmkError } from '../errors.js';
import { writeJsonAtomic } from '../formats/atomic.js';
import { removeDirAtomic, writeDirAtomic } from '../formats/output.js';
import { readSafetensors, type SafetensorsWriteTensor, writeSafetensors } from '../formats/safetensors.js';
import { loadWeightsInto } from '../models/load.js';
import { FlatParameters } from '../nn/params.js';
import { loadAdapterWeightsInto, writeAdapterFiles } from '../peft/io.js';
import { loraLayers } from '../peft/model.js';
import type { Engine } from '../tensor/engine.js';
import { Rng, type RngState } from '../tensor/random.js';
import { Progress, type ProgressMode } from '../track/progress.js';
import { isCompleteCheckpoint, type RunDir } from '../track/run.js';
import type { EvalMetrics, Objective } from './objective.js';
import { AdamW, clipGradNorm } from './optim.js';
import { learningRate, type ScheduleKind } from './schedule.js';

export interface TrainerOptions {
  steps: number;
  lr: number;
  /** Final learning rate of the decay (nanoGPT: lr/10). */
  minLr: number;
  warmupSteps: number;
  schedule: ScheduleKind;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global-norm clip; 0 disables. */
  gradClip: number;
  /** Micro-batches per optimizer step. */
  gradAccum: number;
  /** Evaluate every N steps (and at the end); 0 disables. */
  evalInterval: number;
  /** Save a checkpoint every N steps (and at the end); 0 saves only at the end. */
  saveInterval: number;
  /** Step checkpoints to keep. */
  keepLast: number;
  /** Stop after this many evaluations without improvement; 0 disables. */
  earlyStopPatience: number;
  /** Also decay embedding tables (nanoGPT decays every ≥2-D tensor); off by default. */
  decayEmbeddings: boolean;
  seed: number;
  logInterval: number;
  progress: ProgressMode;
}

export const DEFAULT_TRAINER_OPTIONS: TrainerOptions = {
  steps: 2000,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 100,
  schedule: 'cosine',
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
  gradClip: 1,
  gradAccum: 1,
  evalInterval: 250,
  saveInterval: 0,
  keepLast: 2,
  earlyStopPatience: 0,
  decayEmbeddings: false,
  seed: 1337,
  logInterval: 10,
  progress: 'bar',
};

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
}

export interface EvalInfo {
  step: number;
  metrics: EvalMetrics;
}

export interface TrainerCallbacks {
  onStep?(info: StepInfo): void;
  onEval?(info: EvalInfo): void;
  onSave?(dir: string, step: number): void;
}

export interface TrainResult {
  steps: number;
  finalLoss: number;
  valLoss: number | null;
  /** The last evaluation's metrics. */
  valMetrics: EvalMetrics | null;
  bestValLoss: number | null;
  wallSeconds: number;
  tokensPerSecond: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  /** Parameters the optimizer updated (all of them unless frozen or LoRA-wrapped). */
  trainableParameters: number;
}

interface TrainerState {
  step: number;
  optimizerStep: number;
  engineRng: RngState;
  dataRng: DataRngState;
  bestValLoss: number | null;
  evalsWithoutImprovement: number;
  options: TrainerOptions;
}

/**
 * Group 0 (decayed) or 1 (not): no weight decay on biases and norm weights (1-D tensors) nor, unless
 * `decayEmbeddings`, on embedding tables.
 */
export function weightDecayGroup(name: string, shape: readonly number[], decayEmbeddings = false): number {
  if (decayEmbeddings) return shape.length >= 2 ? 0 : 1;
  const isEmbedding =
    /(^|\.)(wte|wpe|embed_tokens|word_embeddings|position_embeddings|token_type_embeddings)\./.test(name);
  return shape.length >= 2 && !isEmbedding ? 0 : 1;
}

export class Trainer {
  readonly options: TrainerOptions;
  readonly params: FlatParameters;
  readonly optimizer: AdamW;
  step = 0;
  bestValLoss: number | null = null;
  private evalsWithoutImprovement = 0;
  private dataRng: DataRng;
  private stopRequested = false;

  constructor(
    readonly engine: Engine,
    readonly objective: Objective,
    options: Partial<TrainerOptions> = {},
    readonly extras: { run?: RunDir | null; callbacks?: TrainerCallbacks } = {},
  ) {
    this.options = { ...DEFAULT_TRAINER_OPTIONS, ...options };
    const o = this.options;
    check(
      Number.isInteger(o.steps) && o.steps >= 0 && o.gradAccum >= 1 && o.lr > 0,
      'LLMK_E_CONFIG',
      () => `invalid trainer options (steps ${o.steps}, gradAccum ${o.gradAccum}, lr ${o.lr})`,
      'steps ≥ 0, gradAccum ≥ 1 and lr > 0',
    );
    // Only trainable parameters get a slot, a gradient and AdamW moments (freeze before this).
    this.params = new FlatParameters(objective.model, (name, t) =>
      weightDecayGroup(name, t.shape, o.decayEmbeddings),
    );
    check(
      this.params.size > 0,
      'LLMK_E_CONFIG',
      () => 'the model has no trainable parameters',
      'unfreeze some (module.unfreeze() or tensor.requiresGrad = true) before building the Trainer',
    );
    this.optimizer = new AdamW(engine, this.params, {
      lr: o.lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      groups: [{ weightDecay: o.weightDecay }, { weightDecay: 0 }],
    });
    this.dataRng = new DataRng(o.seed);
    // The engine RNG (dropout masks) restarts from the run seed too, so runs are reproducible.
    engine.rng.setState(new Rng(o.seed ^ 0x5bd1e995).getState());
  }

  /** One optimizer step over gradAccum micro-batches; returns the mean micro-batch loss. */
  trainStep(): StepInfo {
    const o = this.options;
    const { engine, objective } = this;
    const t0 = performance.now();
    objective.model.train();
    this.params.zeroGrad();
    let lossSum = 0;
    for (let micro = 0; micro < o.gradAccum; micro++) {
      engine.scope(() => {
        const loss = objective.trainLoss(this.dataRng);
        lossSum += loss.item();
        loss.backward(engine.full([], 1 / o.gradAccum));
      });
    }
    const gradNorm =
      o.gradClip > 0
        ? clipGradNorm(engine, this.params, o.gradClip)
        : Math.sqrt(engine.backend.sumSquares(this.params.grads, this.params.size));
    const lr = learningRate(this.step, {
      kind: o.schedule,
      lr: o.lr,
      minLr: o.minLr,
      warmupSteps: o.warmupSteps,
      totalSteps: o.steps,
    });
    this.optimizer.lr = lr;
    this.optimizer.update();
    this.step++;
    const seconds = (performance.now() - t0) / 1000;
    return {
      step: this.step,
      loss: lossSum / o.gradAccum,
      lr,
      gradNorm,
      tokensPerSecond: (objective.unitsPerBatch * o.gradAccum) / seconds,
    };
  }

  /** Validation metrics from the objective (eval mode, no autograd), or null without validation data. */
  evaluate(): EvalInfo | null {
    const model = this.objective.model;
    model.eval();
    try {
      const metrics = this.engine.noGrad(() => this.objective.evaluate());
      return metrics ? { step: this.step, metrics } : null;
    } finally {
      model.train();
    }
  }

  /** Runs to `steps`, evaluating, logging and checkpointing; SIGINT/SIGTERM save and stop cleanly. */
  async run(): Promise<TrainResult> {
    const o = this.options;
    const run = this.extras.run ?? null;
    const cb = this.extras.callbacks ?? {};
    const onSignal = (): void => {
      this.stopRequested = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const progress = new Progress({ label: 'train', total: o.steps, unit: 'step', mode: o.progress });
    progress.update(this.step);
    const t0 = performance.now();
    const startStep = this.step;
    let last: StepInfo | null = null;
    let lastEval: EvalInfo | null = null;
    let stoppedEarly = false;
    try {
      while (this.step < o.steps && !this.stopRequested && !stoppedEarly) {
        last = this.trainStep();
        cb.onStep?.(last);
        if (run && (this.step % o.logInterval === 0 || this.step === o.steps)) {
          run.logScalars(this.step, {
            loss: last.loss,
            lr: last.lr,
            grad_norm: last.gradNorm,
            tokens_per_s: last.tokensPerSecond,
          });
        }
        progress.update(this.step, {
          loss: last.loss,
          lr: last.lr,
          'tok/s': Math.round(last.tokensPerSecond),
        });
        const evalDue = o.evalInterval > 0 && (this.step % o.evalInterval === 0 || this.step === o.steps);
        if (evalDue) {
          lastEval = this.evaluate();
          if (lastEval) {
            cb.onEval?.(lastEval);
            const scalars: Record<string, number> = {};
            for (const [k, v] of Object.entries(lastEval.metrics)) scalars[`val_${k}`] = v;
            run?.logScalars(this.step, scalars);
            if (this.bestValLoss === null || lastEval.metrics.loss < this.bestValLoss) {
              this.bestValLoss = lastEval.metrics.loss;
              this.evalsWithoutImprovement = 0;
              if (run) this.save(join(run.path, 'best'));
            } else if (o.earlyStopPatience > 0 && ++this.evalsWithoutImprovement >= o.earlyStopPatience) {
              stoppedEarly = true;
            }
          }
        }
        if (run && o.saveInterval > 0 && this.step % o.saveInterval === 0) this.saveStep(run);
        // Yield so signals and streams are serviced between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (run) this.saveStep(run);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      progress.finish();
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    return {
      steps: this.step,
      finalLoss: last?.loss ?? Number.NaN,
      valLoss: lastEval?.metrics.loss ?? null,
      valMetrics: lastEval?.metrics ?? null,
      bestValLoss: this.bestValLoss,
      wallSeconds,
      tokensPerSecond:
        ((this.step - startStep) * this.objective.unitsPerBatch * o.gradAccum) / Math.max(wallSeconds, 1e-9),
      stoppedEarly,
      interrupted: this.stopRequested,
      trainableParameters: this.params.size,
    };
  }

  private saveStep(run: RunDir): void {
    const dir = run.checkpointDir(this.step);
    this.save(dir);
    this.extras.callbacks?.onSave?.(dir, this.step);
    // Keep the last K complete step checkpoints (an empty step dir left by an old crash is no checkpoint).
    const parent = join(dir, '..');
    const steps = readdirSync(parent)
      .filter((n) => /^step-\d+$/.test(n) && isCompleteCheckpoint(join(parent, n)))
      .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    for (const old of steps.slice(0, Math.max(0, steps.length - this.options.keepLast)))
      removeDirAtomic(join(parent, old));
  }

  /**
   * Writes a resumable checkpoint: the objective's model files (a Hugging Face directory; for a
   * LoRA-wrapped model the PEFT adapter directory only, the frozen base being unchanged) plus
   * optimizer.safetensors (AdamW moments by parameter name: trainable ones only) and
   * trainer_state.json (step, both RNG states, schedule options), as one atomic directory swap,
   * fsynced before the rename so the final name never holds an incomplete checkpoint (kill -9
   * leaves at most a `.tmp-<pid>` directory).
   */
  save(dir: string): void {
    const tensors: Record<string, SafetensorsWriteTensor> = {};
    for (const e of this.params.entries) {
      tensors[`exp_avg.${e.name}`] = {
        dtype: 'F32',
        shape: e.tensor.shape,
        data: this.optimizer.m.subarray(e.offset, e.offset + e.size),
      };
      tensors[`exp_avg_sq.${e.name}`] = {
        dtype: 'F32',
        shape: e.tensor.shape,
        data: this.optimizer.v.subarray(e.offset, e.offset + e.size),
      };
    }
    const state: TrainerState = {
      step: this.step,
      optimizerStep: this.optimizer.step,
      engineRng: this.engine.rng.getState(),
      dataRng: this.dataRng.state(),
      bestValLoss: this.bestValLoss,
      evalsWithoutImprovement: this.evalsWithoutImprovement,
      options: this.options,
    };
    const lora = loraLayers(this.objective.model).length > 0;
    writeDirAtomic(dir, (tmp) => {
      if (lora) writeAdapterFiles(tmp, this.objective.model, { inferenceMode: false });
      else this.objective.saveModel(tmp);
      writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors);
      writeJsonAtomic(join(tmp, 'trainer_state.json'), state);
    });
  }

  /**
   * Continues from a checkpoint written by save(): the objective's model gets the saved weights,
   * the optimizer its moments, and step, RNG states and schedule are restored, so training goes on
   * exactly as if it had never stopped. `overrides` may change options (e.g. more steps).
   */
  static resume(
    engine: Engine,
    dir: string,
    objective: Objective,
    overrides: Partial<TrainerOptions> = {},
    extras: { run?: RunDir | null; callbacks?: TrainerCallbacks } = {},
  ): Trainer {
    const statePath = join(dir, 'trainer_state.json');
    if (!existsSync(statePath)) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${dir} has no trainer_state.json`,
        'resume from a checkpoint written by llmk training (a step-N or best directory)',
      );
    }
    let state: TrainerState;
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
    } catch (e) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${statePath}: ${(e as Error).message}`,
        'the checkpoint is corrupt; resume from another one',
      );
    }
    if (loraLayers(objective.model).length > 0) loadAdapterWeightsInto(objective.model, dir);
    else loadWeightsInto(objective.model, dir);
    const trainer = new Trainer(engine, objective, { ...state.options, ...overrides }, extras);
    const opt = readSafetensors(join(dir, 'optimizer.safetensors'));
    for (const e of trainer.params.entries) {
      const m = opt.get(`exp_avg.${e.name}`)?.data;
      const v = opt.get(`exp_avg_sq.${e.name}`)?.data;
      if (
        !(m instanceof Float32Array) ||
        !(v instanceof Float32Array) ||
        m.length !== e.size ||
        v.length !== e.size
      ) {
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `optimizer state for '${e.name}' is missing or has the wrong size`,
          'the checkpoint does not match this model',
        );
      }
      trainer.optimizer.m.set(m, e.offset);
      trainer.optimizer.v.set(v, e.offset);
    }
    trainer.optimizer.step = state.optimizerStep;
    trainer.step = state.step;
    trainer.bestValLoss = state.bestValLoss;
    trainer.evalsWithoutImprovement = state.evalsWithoutImprovement;
    trainer.dataRng = DataRng.fromState(state.dataRng);
    engine.rng.setState(state.engineRng);
    return trainer;
  }
}
