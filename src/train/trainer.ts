/**
 * The training loop every objective plugs into: AdamW with per-group weight decay, warmup + decay
 * schedules, gradient accumulation and clipping, periodic evaluation, best-checkpoint tracking,
 * early stopping, callbacks, atomic checkpoints with exact resume, and SIGINT/SIGTERM saves.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rng as DataRng, type RngState as DataRngState } from '../data/rng.js';
import type { TokenWindowSampler } from '../data/sampler.js';
import { check, LlmkError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import type { GPT } from '../models/gpt/model.js';
import { FlatParameters } from '../nn/params.js';
import type { Engine } from '../tensor/engine.js';
import { Rng, type RngState } from '../tensor/random.js';
import type { Tokenizer } from '../tokenize/types.js';
import { Progress, type ProgressMode } from '../track/progress.js';
import type { RunDir } from '../track/run.js';
import { AdamW, clipGradNorm } from './optim.js';
import { learningRate, type ScheduleKind } from './schedule.js';

export interface TrainerOptions {
  steps: number;
  batchSize: number;
  seqLen: number;
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
  /** Random validation batches per evaluation (nanoGPT's eval_iters). */
  evalBatches: number;
  /** Save a checkpoint every N steps (and at the end); 0 saves only at the end. */
  saveInterval: number;
  /** Step checkpoints to keep. */
  keepLast: number;
  /** Stop after this many evaluations without improvement; 0 disables. */
  earlyStopPatience: number;
  seed: number;
  logInterval: number;
  progress: ProgressMode;
}

export const DEFAULT_TRAINER_OPTIONS: TrainerOptions = {
  steps: 2000,
  batchSize: 12,
  seqLen: 64,
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
  evalBatches: 20,
  saveInterval: 0,
  keepLast: 2,
  earlyStopPatience: 0,
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
  valLoss: number;
  perplexity: number;
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
  bestValLoss: number | null;
  wallSeconds: number;
  tokensPerSecond: number;
  stoppedEarly: boolean;
  interrupted: boolean;
}

interface TrainerState {
  step: number;
  engineRng: RngState;
  dataRng: DataRngState;
  bestValLoss: number | null;
  evalsWithoutImprovement: number;
  options: TrainerOptions;
}

/** No weight decay on biases, norm weights and embeddings (1-D tensors or embedding tables). */
export function weightDecayGroup(name: string, shape: readonly number[]): number {
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
    readonly model: GPT,
    readonly data: { train: TokenWindowSampler; val?: TokenWindowSampler | null },
    options: Partial<TrainerOptions> = {},
    readonly extras: { tokenizer?: Tokenizer | null; run?: RunDir | null; callbacks?: TrainerCallbacks } = {},
  ) {
    this.options = { ...DEFAULT_TRAINER_OPTIONS, ...options };
    const o = this.options;
    check(
      o.steps >= 0 && o.batchSize > 0 && o.seqLen > 0 && o.gradAccum > 0,
      'LLMK_E_CONFIG',
      () => 'steps, batchSize, seqLen and gradAccum must be positive',
      'fix the trainer options',
    );
    check(
      o.seqLen <= model.config.nCtx,
      'LLMK_E_CONFIG',
      () => `seqLen ${o.seqLen} exceeds the model context ${model.config.nCtx}`,
      'lower seqLen or raise nCtx',
    );
    this.params = new FlatParameters(model, (name, t) => weightDecayGroup(name, t.shape));
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
    const { engine, model } = this;
    const t0 = performance.now();
    model.train();
    this.params.zeroGrad();
    let lossSum = 0;
    for (let micro = 0; micro < o.gradAccum; micro++) {
      const batch = this.data.train.randomBatch(o.batchSize, o.seqLen, this.dataRng);
      engine.scope(() => {
        const ids = engine.wrap(batch.inputs, [o.batchSize, o.seqLen]);
        const targets = engine.wrap(batch.targets, [o.batchSize, o.seqLen]);
        const loss = model.loss(ids, targets);
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
      tokensPerSecond: (o.batchSize * o.seqLen * o.gradAccum) / seconds,
    };
  }

  /** Mean loss over evalBatches random validation batches drawn from a fixed seed (comparable across evals). */
  evaluate(): EvalInfo | null {
    const val = this.data.val;
    if (!val) return null;
    const o = this.options;
    const { engine, model } = this;
    model.eval();
    const rng = new DataRng(o.seed + 1);
    let sum = 0;
    engine.noGrad(() => {
      for (let i = 0; i < o.evalBatches; i++) {
        const batch = val.randomBatch(o.batchSize, o.seqLen, rng);
        sum += engine.scope(() =>
          model
            .loss(
              engine.wrap(batch.inputs, [o.batchSize, o.seqLen]),
              engine.wrap(batch.targets, [o.batchSize, o.seqLen]),
            )
            .item(),
        );
      }
    });
    model.train();
    const valLoss = sum / o.evalBatches;
    return { step: this.step, valLoss, perplexity: Math.exp(valLoss) };
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
            run?.logScalars(this.step, { val_loss: lastEval.valLoss, val_perplexity: lastEval.perplexity });
            if (this.bestValLoss === null || lastEval.valLoss < this.bestValLoss) {
              this.bestValLoss = lastEval.valLoss;
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
      valLoss: lastEval?.valLoss ?? null,
      bestValLoss: this.bestValLoss,
      wallSeconds,
      tokensPerSecond:
        ((this.step - startStep) * o.batchSize * o.seqLen * o.gradAccum) / Math.max(wallSeconds, 1e-9),
      stoppedEarly,
      interrupted: this.stopRequested,
    };
  }

  private saveStep(run: RunDir): void {
    const dir = run.checkpointDir(this.step);
    this.save(dir);
    this.extras.callbacks?.onSave?.(dir, this.step);
    // Keep the last K step checkpoints.
    const parent = join(dir, '..');
    const steps = readdirSync(parent)
      .filter((n) => /^step-\d+$/.test(n))
      .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    for (const old of steps.slice(0, Math.max(0, steps.length - this.options.keepLast)))
      rmSync(join(parent, old), { recursive: true, force: true });
  }

  /** Writes a resumable checkpoint (HF model directory + optimizer + trainer state) to `dir`. */
  save(dir: string): void {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const e of this.params.entries) {
      m.set(e.name, this.optimizer.m.subarray(e.offset, e.offset + e.size));
      v.set(e.name, this.optimizer.v.subarray(e.offset, e.offset + e.size));
    }
    const state: TrainerState = {
      step: this.step,
      engineRng: this.engine.rng.getState(),
      dataRng: this.dataRng.state(),
      bestValLoss: this.bestValLoss,
      evalsWithoutImprovement: this.evalsWithoutImprovement,
      options: this.options,
    };
    saveCheckpoint(dir, this.model, {
      tokenizer: this.extras.tokenizer ?? null,
      optimizer: { exp_avg: m, exp_avg_sq: v },
      trainerState: { ...state, optimizer_step: this.optimizer.step },
    });
  }

  /**
   * Rebuilds a trainer from a checkpoint written by save(): weights, AdamW moments, step, both RNG
   * states and the schedule, so training continues exactly as if it had never stopped.
   */
  static resume(
    engine: Engine,
    dir: string,
    data: { train: TokenWindowSampler; val?: TokenWindowSampler | null },
    overrides: Partial<TrainerOptions> = {},
    extras: { run?: RunDir | null; callbacks?: TrainerCallbacks } = {},
  ): Trainer {
    if (!existsSync(join(dir, 'trainer_state.json'))) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${dir} has no trainer_state.json`,
        'resume from a checkpoint written by llmk training (a step-N or best directory)',
      );
    }
    const loaded = loadCheckpoint(engine, dir);
    const state = loaded.trainerState as unknown as TrainerState & { optimizer_step: number };
    const trainer = new Trainer(
      engine,
      loaded.model,
      data,
      { ...state.options, ...overrides },
      { tokenizer: loaded.tokenizer, ...extras },
    );
    const opt = loaded.optimizer;
    if (!opt?.exp_avg || !opt.exp_avg_sq)
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${dir} has no optimizer state`,
        'resume needs optimizer.safetensors',
      );
    for (const e of trainer.params.entries) {
      const m = opt.exp_avg.get(e.name);
      const v = opt.exp_avg_sq.get(e.name);
      if (!m || !v || m.length !== e.size || v.length !== e.size) {
        throw new LlmkError(
          'LLMK_E_CHECKPOINT',
          `optimizer state for '${e.name}' is missing or has the wrong size`,
          'the checkpoint does not match this model',
        );
      }
      trainer.optimizer.m.set(m, e.offset);
      trainer.optimizer.v.set(v, e.offset);
    }
    trainer.optimizer.step = state.optimizer_step;
    trainer.step = state.step;
    trainer.bestValLoss = state.bestValLoss;
    trainer.evalsWithoutImprovement = state.evalsWithoutImprovement;
    trainer.dataRng = DataRng.fromState(state.dataRng);
    engine.rng.setState(state.engineRng);
    return trainer;
  }
}
