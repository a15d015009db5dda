/**
 * Smoke run of encoder–decoder training: Multi30k English→German from scratch for a fixed wall-clock
 * budget, then greedy decoding of the first validation sentences scored with sacrebleu-exact BLEU
 * (13a, detokenized). A smoke test of the pieces together (tokenizer, Seq2SeqObjective on the
 * Trainer, generateSeq2Seq, corpusBleu), not the BLEU target.
 *   node --import tsx bench/seq2seq-multi30k.ts [--seconds 240] [--val 200]
 *
 * Tokenizer: one shared byte-level BPE of 8000 ids trained on train.en + train.de, specials
 * <s> <pad> </s> <unk> = 0 1 2 3. Model: BART layout, 3+3 layers, d 256, 4 heads, FFN 1024,
 * dropout 0.1, tied embeddings. AdamW lr 1e-3 (warm-up 100 steps, then constant), weight decay 0.01,
 * batches of 32 pairs, label smoothing 0.1.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { corpusBleu } from '../src/eval/bleu.js';
import { generateSeq2Seq } from '../src/infer/seq2seq.js';
import { bartConfig } from '../src/models/bart/config.js';
import { BartForConditionalGeneration } from '../src/models/bart/model.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';
import { trainTokenizer } from '../src/tokenize/train.js';
import { Seq2SeqObjective, type Seq2SeqPair } from '../src/train/objectives/seq2seq.js';
import { Trainer } from '../src/train/trainer.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 240);
const VAL = arg('val', 200);
const DATA = '../shared/data/multi30k-en-de';
const lines = (f: string): string[] =>
  readFileSync(`${DATA}/${f}`, 'utf8')
    .split('\n')
    .filter((_, i, a) => i < a.length - 1 || a[i] !== '');

const t0 = performance.now();
const tokenizer = await trainTokenizer({
  type: 'bpe',
  files: [`${DATA}/train.en`, `${DATA}/train.de`],
  vocabSize: 8000,
  specialTokens: ['<s>', '<pad>', '</s>', '<unk>'],
});
const encode = async (texts: string[]): Promise<number[][]> =>
  (await tokenizer.encodeBatch(texts)).map((e) => e.ids.slice(0, 63));
const [trainEn, trainDe, valEn, valDe] = [
  lines('train.en'),
  lines('train.de'),
  lines('val.en'),
  lines('val.de'),
];
const [srcIds, tgtIds] = [await encode(trainEn), await encode(trainDe)];
const train: Seq2SeqPair[] = srcIds.map((source, i) => ({ source, target: tgtIds[i] }));
const valSrc = await encode(valEn.slice(0, VAL));
const prepSeconds = (performance.now() - t0) / 1000;

const engine = createEngine();
const config = bartConfig({
  vocabSize: tokenizer.vocabSize,
  dModel: 256,
  encoderLayers: 3,
  decoderLayers: 3,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 1024,
  decoderFfnDim: 1024,
  maxPositionEmbeddings: 128,
  dropout: 0.1,
  bosTokenId: 0,
  padTokenId: 1,
  eosTokenId: 2,
});
const model = new BartForConditionalGeneration(engine, config, { rng: new Rng(0) });
const objective = new Seq2SeqObjective(
  model,
  { train },
  { batchSize: 32, maxLength: 64, labelSmoothing: 0.1 },
);
const trainer = new Trainer(engine, objective, {
  steps: 1_000_000,
  lr: 1e-3,
  minLr: 1e-3,
  warmupSteps: 100,
  schedule: 'constant',
  weightDecay: 0.01,
  beta2: 0.98,
  evalInterval: 0,
  progress: 'quiet',
});
const t1 = performance.now();
let steps = 0;
let recent = 0;
while ((performance.now() - t1) / 1000 < SECONDS) {
  recent += trainer.trainStep().loss;
  steps++;
  if (steps % 25 === 0) {
    console.log(
      `step ${steps} loss ${(recent / 25).toFixed(3)} (${((performance.now() - t1) / 1000).toFixed(0)} s)`,
    );
    recent = 0;
  }
}
const trainSeconds = (performance.now() - t1) / 1000;
const t2 = performance.now();
const hyps: string[] = [];
for (let i = 0; i < valSrc.length; i += 25) {
  const out = generateSeq2Seq(model, valSrc.slice(i, i + 25), { maxNewTokens: 48, forcedBosTokenId: null });
  for (const [h] of out) hyps.push(await tokenizer.decode(h.tokens, { skipSpecialTokens: true }));
}
const decodeSeconds = (performance.now() - t2) / 1000;
const bleu = corpusBleu(
  hyps.map((h) => h.trim()),
  [valDe.slice(0, VAL)],
);
console.log(`CPU ${cpus()[0]?.model}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`);
console.log(
  `prep ${prepSeconds.toFixed(0)} s; ${steps} steps (${(steps * 32).toLocaleString()} pairs) in ${trainSeconds.toFixed(0)} s`,
);
console.log(
  `greedy BLEU on the first ${VAL} val sentences: ${bleu.score.toFixed(2)} (decode ${decodeSeconds.toFixed(0)} s)`,
);
for (let i = 0; i < 3; i++) console.log(`  ${valEn[i]}\n  → ${hyps[i]}\n  ref ${valDe[i]}`);
