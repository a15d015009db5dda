/**
 * Encoder–decoder decode speed: beam-5 (and greedy) sentences/s of a small random Marian-shaped
 * model, with and without the cross-attention cache (without it every step projects the encoder
 * output to keys/values again, as a decoder without EncoderDecoderCache would).
 *   node --import tsx bench/seq2seq-decode.ts [--json FILE]
 *
 * Model: 3+3 layers, d 256, 4 heads, FFN 1024, vocabulary 8000 (the Multi30k model size),
 * random weights (seed 0), so no hypothesis ends early: every source decodes exactly maxNewTokens
 * steps — a fixed amount of work. Sources: 32 sentences of 16 tokens (Multi30k's mean English
 * length is ~13 words), 8 per batch.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { generateSeq2Seq } from '../src/infer/seq2seq.js';
import { bartConfig } from '../src/models/bart/config.js';
import { BartForConditionalGeneration } from '../src/models/bart/model.js';
import { createEngine } from '../src/tensor/create.js';
import { Rng } from '../src/tensor/random.js';

const engine = createEngine();
const config = bartConfig({
  flavor: 'marian',
  vocabSize: 8000,
  dModel: 256,
  encoderLayers: 3,
  decoderLayers: 3,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 1024,
  decoderFfnDim: 1024,
  maxPositionEmbeddings: 128,
  padTokenId: 7999,
  eosTokenId: 0,
});
const model = new BartForConditionalGeneration(engine, config, { rng: new Rng(0) });
model.eval();
const rng = new Rng(1);
const sources = Array.from({ length: 32 }, () => Array.from({ length: 16 }, () => 1 + rng.nextInt(7990)));
const BATCH = 8;
const MAX_NEW = 24;

interface Row {
  search: string;
  cross_cache: boolean;
  sentences_per_s: number;
  seconds: number;
  /** Process CPU seconds (user + system): steadier than wall time on a shared machine. */
  cpu_seconds: number;
}

function run(numBeams: number, crossCache: boolean): Row {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < sources.length; i += BATCH)
    generateSeq2Seq(model, sources.slice(i, i + BATCH), {
      numBeams,
      maxNewTokens: MAX_NEW,
      crossCache,
      eosTokenId: 0,
    });
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return {
    search: numBeams === 1 ? 'greedy' : `beam ${numBeams}`,
    cross_cache: crossCache,
    sentences_per_s: sources.length / seconds,
    seconds,
    cpu_seconds: (c.user + c.system) / 1e6,
  };
}

for (const crossCache of [true, false])
  generateSeq2Seq(model, sources.slice(0, 8), { numBeams: 5, maxNewTokens: 8, crossCache }); // warm-up
// on, off, on, off per search, keeping each setting's run with less CPU time (the first pays for JIT
// warm-up; wall time swings with the machine's load, CPU time much less).
const rows: Row[] = [];
for (const beams of [5, 1]) {
  const runs = [true, false, true, false].map((cross) => run(beams, cross));
  for (const cross of [true, false]) {
    const [a, b] = runs.filter((r) => r.cross_cache === cross);
    rows.push(a.cpu_seconds < b.cpu_seconds ? a : b);
  }
}
const cpu = cpus()[0]?.model ?? 'unknown';
console.log(
  `CPU ${cpu}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}, LLMK_THREADS=${process.env.LLMK_THREADS ?? 'default'}`,
);
console.log('| search | cross cache | sentences/s (wall) | wall s | CPU s |\n|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.search} | ${r.cross_cache ? 'on' : 'off'} | ${r.sentences_per_s.toFixed(2)} | ${r.seconds.toFixed(1)} | ${r.cpu_seconds.toFixed(1)} |`,
  );
for (const beams of ['beam 5', 'greedy']) {
  const on = rows.find((r) => r.search === beams && r.cross_cache)!;
  const off = rows.find((r) => r.search === beams && !r.cross_cache)!;
  const wall = on.sentences_per_s / off.sentences_per_s;
  console.log(
    `${beams}: cross-attention cache speed-up ×${wall.toFixed(2)} wall, ×${(off.cpu_seconds / on.cpu_seconds).toFixed(2)} CPU time`,
  );
}
const i = process.argv.indexOf('--json');
if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify({ cpu, load: loadavg()[0], rows }, null, 2));
