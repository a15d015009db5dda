/**
 * `npm run eval [-- --only NAME[,NAME…]] [--out DIR]`: the encoder acceptance runs of BENCHMARKS.md
 * (SST-2 with and without MLM pretraining, Financial PhraseBank, CoNLL-2003, Resume NER), small
 * BERTs trained from scratch on the real data in ../shared/data (read in place, never copied).
 * Each run prints its curve and writes `<out>/<name>.json` (curve, best dev metrics, wall and CPU time).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../src/tensor/create.js';
import { type FinetuneOptions, finetune, primaryMetric } from '../src/train/finetune.js';
import { pretrainMlm } from '../src/train/pretrain-mlm.js';

const DATA = '../shared/data';
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const OUT = flag('--out') ?? '.bench/eval';
const only = flag('--only')?.split(',');
/** Overrides of the step counts (shorter runs on a busy machine; BENCHMARKS.md says which were used). */
const stepsFlag = flag('--steps');
const mlmSteps = Number(flag('--mlm-steps') ?? 5000);
/** MLM pretraining learning rate (a 2-layer, 128-wide encoder trains stably at 1e-3). */
const mlmLr = Number(flag('--mlm-lr') ?? 1e-3);

// force: the acceptance runs own their output directories and replace them on every run.
const common = { progress: 'quiet' as const, maxLength: 64, batchSize: 32, force: true };
const trainer = (steps: number, evalInterval: number, lr = 5e-4, weightDecay = 0.01) => ({
  steps,
  evalInterval,
  lr,
  minLr: lr / 10,
  warmupSteps: 100,
  weightDecay,
  seed: 1337,
});

const RUNS: Record<string, (out: string) => FinetuneOptions> = {
  sst2: (out) => ({
    ...common,
    task: 'classification',
    train: `${DATA}/sst2/train.tsv`,
    eval: `${DATA}/sst2/dev.tsv`,
    format: 'tsv',
    vocabSize: 8000,
    output: out,
    trainer: trainer(3000, 250),
  }),
  'sst2-mlm': (out) => ({ ...RUNS.sst2(out), model: join(OUT, 'sst2-mlm-pretrained') }),
  fpb: (out) => ({
    ...common,
    task: 'classification',
    // Dev = every 10th line of the 50%-agreement file (lines 10, 20, …), the rest trains.
    train: `${DATA}/financial-phrasebank/Sentences_50Agree.train.txt`,
    holdoutEvery: 10,
    format: 'txt',
    vocabSize: 4000,
    output: out,
    tokenDropout: 0.1,
    trainer: trainer(1500, 100, 1e-3, 0.1),
  }),
  conll: (out) => ({
    ...common,
    task: 'ner',
    train: `${DATA}/conll2003/eng.train`,
    eval: `${DATA}/conll2003/eng.testa`,
    format: 'conll',
    caseFeature: true,
    maxLength: 128,
    vocabSize: 8000,
    output: out,
    tokenDropout: 0.1,
    trainer: trainer(3000, 250, 1e-3),
  }),
  resume: (out) => ({
    ...common,
    task: 'ner',
    train: `${DATA}/resume-ner/train.char.bmes`,
    eval: `${DATA}/resume-ner/dev.char.bmes`,
    format: 'bmes',
    maxLength: 160,
    vocabSize: 4000,
    output: out,
    trainer: trainer(1500, 100, 2e-3),
  }),
};

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const engine = createEngine();
  for (const name of Object.keys(RUNS)) {
    if (only && !only.includes(name)) continue;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let pretraining: unknown = null;
    if (name === 'sst2-mlm') {
      // MLM on the SST-2 training sentences only (no labels), same model size and vocabulary.
      const p = await pretrainMlm(engine, {
        files: [`${DATA}/sst2/train.tsv`],
        nsp: false,
        vocabSize: 8000,
        maxLength: 64,
        batchSize: 32,
        output: join(OUT, 'sst2-mlm-pretrained'),
        force: true,
        progress: 'quiet',
        trainer: trainer(mlmSteps, Math.max(100, Math.floor(mlmSteps / 10)), mlmLr),
        onEval: (h) =>
          console.log(
            `[${name} mlm] step ${h.step} loss ${h.metrics.loss.toFixed(4)} mlm_acc ${h.metrics.mlm_accuracy.toFixed(4)}`,
          ),
      });
      pretraining = {
        steps: p.steps,
        wall_s: p.wallSeconds,
        curve: p.history.map((h) => ({ step: h.step, ...h.metrics })),
      };
    }
    const base = RUNS[name](join(OUT, name));
    const options = stepsFlag ? { ...base, trainer: { ...base.trainer, steps: Number(stepsFlag) } } : base;
    const metric = primaryMetric(options.task);
    const r = await finetune(engine, {
      ...options,
      onEval: (h) =>
        console.log(
          `[${name}] step ${h.step} loss ${h.metrics.loss.toFixed(4)} ${metric} ${h.metrics[metric].toFixed(4)}`,
        ),
    });
    const cpu = process.cpuUsage(cpu0);
    const result = {
      name,
      wall_s: (performance.now() - t0) / 1000,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      parameters: r.parameters,
      train_examples: r.trainExamples,
      eval_examples: r.evalExamples,
      final: r.history.at(-1) ?? null,
      best: r.best,
      pretraining,
      curve: r.history.map((h) => ({ step: h.step, ...h.metrics })),
    };
    writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `[${name}] done: wall ${result.wall_s.toFixed(0)} s, cpu ${result.cpu_s.toFixed(0)} s, final ${metric} ${result.final?.metrics[metric].toFixed(4)}`,
    );
  }
}

await main();
