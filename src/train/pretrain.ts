/**
 * Causal-LM pretraining from a config (what `llmk pretrain --config x.json` runs): the same objects
 * a library user builds by hand — GPT, CausalLMObjective, Trainer, RunDir — from one validated JSON.
 *
 * Data: token shards written by `llmk data pack` (`*.bin`), or a raw text file with a tokenizer
 * (`char`, built from the text, or a tokenizer.json path); raw text is split train/val by characters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { TokenWindowSampler } from '../data/sampler.js';
import { MemoryTokens, openShard } from '../data/shards.js';
import { LlmkError } from '../errors.js';
import { checkInputFile } from '../formats/output.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { loadModel } from '../models/load.js';
import type { Engine } from '../tensor/engine.js';
import { Rng } from '../tensor/random.js';
import { CharTokenizer } from '../tokenize/char.js';
import { loadTokenizer } from '../tokenize/load.js';
import type { Tokenizer } from '../tokenize/types.js';
import { latestCheckpoint, RunDir, runDirOfCheckpoint } from '../track/run.js';
import { CausalLMObjective } from './objectives/causal-lm.js';
import { DEFAULT_TRAINER_OPTIONS, Trainer, type TrainResult } from './trainer.js';

const modelSchema = z
  .object({
    vocabSize: z.number().int().positive().optional(),
    nCtx: z.number().int().positive(),
    nLayer: z.number().int().positive(),
    nHead: z.number().int().positive(),
    nKvHead: z.number().int().positive().optional(),
    nEmbd: z.number().int().positive(),
    nInner: z.number().int().positive().optional(),
    bias: z.boolean().optional(),
    norm: z.enum(['layernorm', 'rmsnorm']).optional(),
    mlp: z.enum(['gelu', 'swiglu']).optional(),
    positions: z.enum(['learned', 'rotary']).optional(),
    ropeTheta: z.number().positive().optional(),
    dropout: z.number().min(0).lt(1).optional(),
    layerNormEps: z.number().positive().optional(),
    tieEmbeddings: z.boolean().optional(),
    initStd: z.number().positive().optional(),
  })
  .strict();

const trainerSchema = z
  .object({
    steps: z.number().int().nonnegative(),
    lr: z.number().positive(),
    minLr: z.number().nonnegative(),
    warmupSteps: z.number().int().nonnegative(),
    schedule: z.enum(['cosine', 'linear', 'constant']),
    weightDecay: z.number().nonnegative(),
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    eps: z.number().positive(),
    gradClip: z.number().nonnegative(),
    gradAccum: z.number().int().positive(),
    evalInterval: z.number().int().nonnegative(),
    saveInterval: z.number().int().nonnegative(),
    keepLast: z.number().int().positive(),
    earlyStopPatience: z.number().int().nonnegative(),
    decayEmbeddings: z.boolean(),
    seed: z.number().int(),
    logInterval: z.number().int().positive(),
    progress: z.enum(['bar', 'json', 'quiet']),
  })
  .partial()
  .strict();

const pretrainSchema = z
  .object({
    model: modelSchema,
    data: z
      .object({
        /** A token shard (.bin from `llmk data pack`) or a raw text file. */
        train: z.string(),
        /** Validation shard or text; for raw text without one, the last valFraction of the characters. */
        val: z.string().optional(),
        /** For raw text: 'char' or a tokenizer.json path. */
        tokenizer: z.string().optional(),
        valFraction: z.number().min(0).lt(1).default(0.1),
      })
      .strict(),
    batch: z
      .object({
        batchSize: z.number().int().positive().default(12),
        seqLen: z.number().int().positive().default(64),
        evalBatches: z.number().int().positive().default(20),
      })
      .strict()
      .default({ batchSize: 12, seqLen: 64, evalBatches: 20 }),
    trainer: trainerSchema.default({}),
    /** Directory that holds run directories. */
    runs: z.string().default('runs'),
    /** Run name (default: a timestamp). */
    name: z.string().optional(),
    /** A checkpoint directory (step-N or best) to continue from, or 'latest'. */
    resume: z.string().optional(),
  })
  .strict();

export type PretrainConfigInput = z.input<typeof pretrainSchema>;
export type PretrainConfig = z.output<typeof pretrainSchema>;

/** Validates a pretraining config, naming the first offending field and the known ones. */
export function parsePretrainConfig(input: unknown, source = 'config'): PretrainConfig {
  const parsed = pretrainSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(root)';
    const keys = issue.code === 'unrecognized_keys' ? ` (unknown: ${issue.keys.join(', ')})` : '';
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${source}: field '${where}': ${issue.message}${keys}`,
      'see `llmk pretrain --help` for the fields and their types',
    );
  }
  return parsed.data;
}

interface LoadedData {
  train: TokenWindowSampler;
  val: TokenWindowSampler | null;
  tokenizer: Tokenizer | null;
  vocabSize: number;
}

function isShard(path: string): boolean {
  if (!existsSync(path))
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `data file ${path} does not exist`,
      'check data.train / data.val',
    );
  checkInputFile(path, 'data.train (--train)');
  const fd = readFileSync(path).subarray(0, 8).toString('latin1');
  return fd === 'LLMKTOK1';
}

async function loadData(cfg: PretrainConfig): Promise<LoadedData> {
  const d = cfg.data;
  if (isShard(d.train)) {
    const train = openShard(d.train);
    const val = d.val ? openShard(d.val) : null;
    return {
      train: new TokenWindowSampler(new MemoryTokens(train.tokens)),
      val: val ? new TokenWindowSampler(new MemoryTokens(val.tokens)) : null,
      tokenizer: d.tokenizer && d.tokenizer !== 'char' ? loadTokenizer(d.tokenizer) : null,
      vocabSize: Math.max(train.vocabSize, val?.vocabSize ?? 0),
    };
  }
  const text = readFileSync(d.train, 'utf8');
  // An empty file used to surface as the tokenizer's "vocabSize Too small"; say what is wrong.
  if (text.trim() === '')
    throw new LlmkError(
      'LLMK_E_DATA',
      `training file ${d.train} is empty`,
      'point data.train (--train) at a text file or a token shard from `llmk data pack`',
    );
  const tokName = d.tokenizer ?? 'char';
  const tokenizer: Tokenizer = tokName === 'char' ? CharTokenizer.fromText(text) : loadTokenizer(tokName);
  const ids = (await tokenizer.encode(text)).ids;
  let trainIds = ids;
  let valIds: number[] | null = null;
  if (d.val) valIds = (await tokenizer.encode(readFileSync(d.val, 'utf8'))).ids;
  else if (d.valFraction > 0) {
    const split = Math.floor((1 - d.valFraction) * ids.length);
    trainIds = ids.slice(0, split);
    valIds = ids.slice(split);
  }
  return {
    train: new TokenWindowSampler(new MemoryTokens(trainIds)),
    val: valIds ? new TokenWindowSampler(new MemoryTokens(valIds)) : null,
    tokenizer,
    vocabSize: tokenizer.vocabSize,
  };
}

export interface PretrainResult extends TrainResult {
  runDir: string;
}

/**
 * The run directory a resumed run writes to: the checkpoint's own run (continued: metrics appended,
 * checkpoints beside the old ones) unless `name` names another run, which is then created (a fork).
 */
function resumeRun(cfg: PretrainConfig, checkpoint: string): RunDir {
  const own = runDirOfCheckpoint(checkpoint);
  if (own !== null && (cfg.name === undefined || basename(own) === cfg.name)) return RunDir.open(own);
  return RunDir.create(cfg.runs, cfg.name, { config: cfg });
}

/** Builds everything the config describes and trains; resumes when `resume` names a checkpoint. */
export async function pretrain(engine: Engine, cfg: PretrainConfig): Promise<PretrainResult> {
  if (cfg.trainer.steps === 0)
    throw new LlmkError(
      'LLMK_E_CONFIG',
      'trainer.steps is 0: nothing would be trained and an untrained model saved',
      'give --steps a positive number of optimizer steps, e.g. --steps 1000',
    );
  if (cfg.resume === 'latest') cfg = { ...cfg, resume: latestCheckpoint(cfg.runs, cfg.name) };
  const data = await loadData(cfg);
  const vocabSize = cfg.model.vocabSize ?? data.vocabSize;
  if (data.vocabSize > vocabSize) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `the data uses a vocabulary of ${data.vocabSize} tokens but model.vocabSize is ${vocabSize}`,
      'raise model.vocabSize (or omit it to take the data vocabulary), or re-pack the data with the model tokenizer',
    );
  }
  const seed = cfg.trainer.seed ?? DEFAULT_TRAINER_OPTIONS.seed;
  const model = cfg.resume
    ? resumedGPT(engine, cfg.resume)
    : new GPT(engine, gptConfig({ ...cfg.model, vocabSize }), { rng: new Rng(seed) });
  if (cfg.batch.seqLen > model.config.nCtx) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `batch.seqLen ${cfg.batch.seqLen} exceeds model.nCtx ${model.config.nCtx}`,
      'lower batch.seqLen or raise model.nCtx',
    );
  }
  const run = cfg.resume ? resumeRun(cfg, cfg.resume) : RunDir.create(cfg.runs, cfg.name, { config: cfg });
  const objective = new CausalLMObjective(model, data, {
    ...cfg.batch,
    evalSeed: seed + 1,
    tokenizer: data.tokenizer,
  });
  const trainer = cfg.resume
    ? Trainer.resume(engine, cfg.resume, objective, cfg.trainer, { run })
    : new Trainer(engine, objective, cfg.trainer, { run });
  if (cfg.resume && trainer.step >= trainer.options.steps) {
    run.close();
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `the checkpoint is at step ${trainer.step} and trainer.steps is ${trainer.options.steps}: nothing to train`,
      `give --steps more than ${trainer.step} to continue`,
    );
  }
  let result: TrainResult;
  try {
    result = await trainer.run();
  } finally {
    run.close();
  }
  return { ...result, runDir: run.path };
}

/** The GPT of a checkpoint directory being resumed (pretrain's config describes a GPT). */
function resumedGPT(engine: Engine, dir: string): GPT {
  const { model, modelType } = loadModel(engine, dir);
  if (!(model instanceof GPT)) {
    throw new LlmkError(
      'LLMK_E_CHECKPOINT',
      `${dir} holds a ${modelType} model, not GPT-2`,
      'resume from a checkpoint of this pretraining run',
    );
  }
  return model;
}
