/**
 * Data pipeline benchmark: throughput (MB/s of input JSONL) and peak resident memory of
 * clean → dedup → mask (one streaming pass) and pack (byte tokenizer), over generated corpora of
 * two sizes, each measured in a fresh child process so its peak RSS is its own.
 *
 * Anchor, measured in the same run: a copy pass (read JSONL, parse, serialise, write) — the floor
 * every stage pays. Corpora are built by mixing sentences of the corpora in ../shared/data into
 * documents, with planted exact and near duplicates, PII and HTML noise; they go to .bench/data
 * (gitignored) and are never committed.
 *
 * Usage: node --import tsx bench/data.ts [sizeMB …]   (default 100 200)
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/data/rng.js';

const SHARED = '../shared/data';

/** Sentence pools per source: English prose, dialogue, finance, captions, Chinese. */
function loadPools(): string[][] {
  const read = (p: string) => readFileSync(join(SHARED, p), 'utf8');
  const lines = (p: string) =>
    read(p)
      .split('\n')
      .filter((l) => l.trim() !== '');
  const shakespeare = read('tinyshakespeare/input.txt')
    .split(/\n\n+/)
    .map((p) => p.replace(/\n/g, ' '));
  const dialog = lines('dialogsum/dialogsum.train.jsonl').flatMap((l) => {
    const r = JSON.parse(l) as { dialogue: string; summary: string };
    return [...r.dialogue.split('\n'), r.summary];
  });
  const finance = lines('financial-phrasebank/Sentences_50Agree.train.txt').map((l) =>
    l.slice(0, l.lastIndexOf('@')),
  );
  const captions = [...lines('multi30k-en-de/train.en'), ...lines('multi30k-en-de/train.de')];
  const sst = lines('sst2/train.tsv')
    .slice(1)
    .map((l) => l.slice(l.indexOf('\t') + 1));
  const tatoeba = lines('tatoeba-cmn-eng/cmn.train.txt').map((l) => l.split('\t')[1]);
  const resume = lines('resume-ner/train.char.bmes').map((l) =>
    l.slice(0, l.indexOf('\t')).replace(/ /g, ''),
  );
  return [shakespeare, dialog, finance, captions, sst, [...tatoeba, ...resume]];
}

const PII = [
  'Contact me at jane.doe@example.com for details.',
  'Call 13812345678 after 6pm.',
  'Server 192.168.10.42 went down.',
  'Pay to DE89 3704 0044 0532 0130 00 please.',
  'Card 4111 1111 1111 1111 was charged.',
  '身份证号11010519491231002X。',
];

/** Writes a JSONL corpus of about `sizeMB` MB; returns the counts planted. */
export function generateCorpus(
  path: string,
  sizeMB: number,
  seed = 1,
): { docs: number; exact: number; near: number; pii: number } {
  const pools = loadPools();
  const rng = new Rng(seed);
  const target = sizeMB * 1e6;
  const fd = openSync(path, 'w');
  const recent: string[] = [];
  let bytes = 0;
  let docs = 0;
  let exact = 0;
  let near = 0;
  let pii = 0;
  let chunk: string[] = [];
  while (bytes < target) {
    let text: string;
    const r = rng.nextFloat();
    if (r < 0.03 && recent.length > 0) {
      // Exact duplicate up to case and spacing.
      text = `  ${recent[rng.nextInt(recent.length)].toUpperCase()} `;
      exact++;
    } else if (r < 0.06 && recent.length > 0) {
      // Near duplicate: one word replaced.
      const words = recent[rng.nextInt(recent.length)].split(' ');
      words[rng.nextInt(words.length)] = 'zyzzyva';
      text = words.join(' ');
      near++;
    } else {
      const pool = pools[rng.nextInt(pools.length)];
      const k = 5 + rng.nextInt(40);
      const parts: string[] = [];
      for (let i = 0; i < k; i++) parts.push(pool[rng.nextInt(pool.length)]);
      text = parts.join(rng.nextFloat() < 0.5 ? ' ' : '\n');
      if (rng.nextFloat() < 0.05) text = `<div><p>${text}</p>&nbsp;&amp;\u200b</div>`;
      if (rng.nextFloat() < 0.03) {
        text += ` ${PII[rng.nextInt(PII.length)]}`;
        pii++;
      }
      // Keep a small window of recent documents to copy from (duplicates are local, as in crawls).
      recent.push(text);
      if (recent.length > 1000) recent.splice(0, 500);
    }
    const line = `${JSON.stringify({ id: docs, text })}\n`;
    chunk.push(line);
    bytes += Buffer.byteLength(line);
    docs++;
    if (chunk.length >= 1000) {
      writeSync(fd, chunk.join(''));
      chunk = [];
    }
  }
  writeSync(fd, chunk.join(''));
  closeSync(fd);
  return { docs, exact, near, pii };
}

interface WorkerResult {
  mode: string;
  inputMB: number;
  seconds: number;
  mbPerSec: number;
  peakRssMB: number;
  /** Heap still in use after a full GC at the end: what the job retains (the dedup index). */
  retainedHeapMB: number;
  stages?: {
    stage: string;
    seconds: number;
    docsIn: number;
    docsOut: number;
    dropped: Record<string, number>;
  }[];
  dedupIndexMB?: number;
  docsIn?: number;
  docsOut?: number;
  tokens?: number;
}

const keepAlive: unknown[] = [];

/** Runs in the child: one measured job, result as JSON on stdout. */
async function worker(mode: string, input: string, outDir: string): Promise<void> {
  const { runStages, packJsonl, CleanStage, DedupStage, FilterStage, MaskStage } = await import(
    '../src/data/index.js'
  );
  const inputMB = statSync(input).size / 1e6;
  const t = performance.now();
  const result: WorkerResult = { mode, inputMB, seconds: 0, mbPerSec: 0, peakRssMB: 0, retainedHeapMB: 0 };
  if (mode === 'copy' || mode === 'clean+dedup+mask' || mode === 'filter') {
    const dedup = new DedupStage();
    keepAlive.push(dedup);
    const stages =
      mode === 'copy'
        ? []
        : mode === 'filter'
          ? [new FilterStage()]
          : [new CleanStage(), dedup, new MaskStage()];
    const report = await runStages(stages, {
      input,
      output: join(outDir, `${mode}.jsonl`),
      force: true,
      progress: 'quiet',
    });
    result.stages = report.stages.map((s) => ({
      stage: s.stage,
      seconds: s.seconds,
      docsIn: 'docsIn' in s ? s.docsIn : 0,
      docsOut: 'docsOut' in s ? s.docsOut : 0,
      dropped: 'dropped' in s ? s.dropped : {},
    }));
    result.docsIn = report.docsIn;
    result.docsOut = report.docsOut;
    if (mode === 'clean+dedup+mask') result.dedupIndexMB = dedup.dedup.indexBytes / 1e6;
  } else {
    const report = await packJsonl(input, join(outDir, 'shards'), {
      tokenizer: 'byte',
      force: true,
      progress: 'quiet',
    });
    result.tokens = report.train.tokens + report.val.tokens;
  }
  result.seconds = (performance.now() - t) / 1000;
  result.mbPerSec = inputMB / result.seconds;
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  // Typed arrays (the dedup index) live outside the JS heap, in arrayBuffers.
  result.retainedHeapMB = (mem.heapUsed + mem.arrayBuffers) / 1e6;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Keep the dedup index reachable until after the measurement.
  if (keepAlive.length > 1e9) console.log(keepAlive);
}

function runWorker(mode: string, input: string, outDir: string): WorkerResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', self, '--worker', mode, input, outDir],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (r.status !== 0) throw new Error(`bench worker ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as WorkerResult;
}

export interface DataBenchOptions {
  sizesMB?: number[];
  dir?: string;
  /** Keep generated corpora for the next run (default true: generation is deterministic). */
  keep?: boolean;
}

export async function runDataBench(opts: DataBenchOptions = {}): Promise<Record<string, unknown>> {
  const sizes = opts.sizesMB ?? [100, 200];
  const dir = opts.dir ?? '.bench/data';
  mkdirSync(dir, { recursive: true });
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const corpus = join(dir, `corpus-${size}MB.jsonl`);
    const out = join(dir, `out-${size}MB`);
    mkdirSync(out, { recursive: true });
    let planted: ReturnType<typeof generateCorpus> | null = null;
    if (!existsSync(corpus)) {
      const t = performance.now();
      planted = generateCorpus(corpus, size);
      console.error(
        `generated ${corpus} in ${((performance.now() - t) / 1000).toFixed(1)} s: ${JSON.stringify(planted)}`,
      );
    }
    const copy = runWorker('copy', corpus, out);
    const pipeline = runWorker('clean+dedup+mask', corpus, out);
    const pack = runWorker('pack', join(out, 'clean+dedup+mask.jsonl'), out);
    // Not part of the chain measured above: the Gopher filters alone, on the cleaned output.
    const filter = runWorker('filter', join(out, 'clean+dedup+mask.jsonl'), out);
    rows.push({ sizeMB: size, planted, copy, pipeline, pack, filter });
    if (!opts.keep && opts.keep !== undefined) rmSync(corpus);
    rmSync(out, { recursive: true, force: true });
  }
  console.log('\nData pipeline (MB/s of input JSONL; peak RSS of the whole process)');
  console.log(
    '| corpus | job | MB/s | ratio to copy | seconds | peak RSS MB | heap+buffers after GC MB | dedup index MB |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const copy = row.copy as WorkerResult;
    for (const key of ['copy', 'pipeline', 'pack', 'filter'] as const) {
      const r = row[key] as WorkerResult;
      console.log(
        `| ${row.sizeMB} MB | ${r.mode} | ${r.mbPerSec.toFixed(1)} | ${(r.mbPerSec / copy.mbPerSec).toFixed(2)} | ${r.seconds.toFixed(1)} | ${r.peakRssMB.toFixed(0)} | ${r.retainedHeapMB.toFixed(1)} | ${r.dedupIndexMB?.toFixed(1) ?? ''} |`,
      );
    }
    const p = row.pipeline as WorkerResult;
    for (const s of p.stages ?? [])
      console.log(
        `|   | stage ${s.stage} | ${(copy.inputMB / s.seconds).toFixed(1)} (stage time only) | | ${s.seconds.toFixed(1)} | | | ${JSON.stringify(s.dropped)} |`,
      );
  }
  const result = { bench: 'data', date: new Date().toISOString(), rows };
  writeFileSync(join(dir, 'data-bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.argv[2] === '--worker') await worker(process.argv[3], process.argv[4], process.argv[5]);
  else {
    const sizes = process.argv
      .slice(2)
      .map(Number)
      .filter((n) => n > 0);
    await runDataBench({ sizesMB: sizes.length > 0 ? sizes : undefined, keep: true });
  }
}
