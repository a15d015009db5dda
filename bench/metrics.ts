/**
 * Metric throughput on the Multi30k validation set (1,014 segments, copy-the-source system):
 * corpus BLEU, chrF, chrF++, TER and ROUGE, in segments per second. Anchor: the same metrics computed by
 * sacrebleu (Python, run from a source checkout named by LLMK_SACREBLEU_SRC, as in
 * scripts/golden/sacrebleu_golden.py) in the same run; skipped when that variable is unset.
 *
 *   LLMK_SACREBLEU_SRC=/tmp/sacrebleu-src node --import tsx bench/metrics.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusBleu, corpusChrf, corpusTer, readSegments, rougeScore } from '../src/eval/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface MetricsBenchOptions {
  /** Timed repetitions per metric (the median is reported); default 5. */
  repeats?: number;
  /** Where to write the JSON; default .bench/metrics.json. */
  out?: string;
}

export interface MetricsBenchRow {
  metric: string;
  ms: number;
  linesPerSec: number;
  anchorMs: number | null;
  speedup: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => unknown, repeats: number): number {
  fn(); // warm-up (JIT, caches)
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** Median milliseconds per metric from sacrebleu in Python, or null when no checkout is configured. */
function anchor(hypPath: string, refPath: string, repeats: number): Record<string, number> | null {
  const src = process.env.LLMK_SACREBLEU_SRC;
  if (!src) return null;
  const py = `
import sys, types, time, statistics, json
sys.path.insert(0, ${JSON.stringify(src)})
m = types.ModuleType('sacrebleu.version'); m.__version__ = 'source'; sys.modules['sacrebleu.version'] = m
from sacrebleu.metrics import BLEU, CHRF, TER
rd = lambda p: [l.rstrip() for l in open(p, encoding='utf-8', newline='\\n')]
h, r = rd(${JSON.stringify(hypPath)}), rd(${JSON.stringify(refPath)})
def t(f):
    f(); xs = []
    for _ in range(${repeats}):
        t0 = time.perf_counter(); f(); xs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(xs)
# New metric objects each call: sacrebleu's tokenizers keep an lru_cache, which would turn repeats into lookups.
print(json.dumps({
  'BLEU 13a': t(lambda: BLEU().corpus_score(h, [r])),
  'BLEU intl': t(lambda: BLEU(tokenize='intl').corpus_score(h, [r])),
  'chrF': t(lambda: CHRF().corpus_score(h, [r])),
  'chrF++': t(lambda: CHRF(word_order=2).corpus_score(h, [r])),
  'TER': t(lambda: TER().corpus_score(h, [r])),
}))
`;
  const res = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
  if (res.status !== 0) {
    process.stderr.write(`sacrebleu anchor failed: ${res.stderr}\n`);
    return null;
  }
  return JSON.parse(res.stdout) as Record<string, number>;
}

export function runMetricsBench(opts: MetricsBenchOptions = {}): MetricsBenchRow[] {
  const repeats = opts.repeats ?? 5;
  const hypPath = resolve(ROOT, '../shared/data/multi30k-en-de/val.en');
  const refPath = resolve(ROOT, '../shared/data/multi30k-en-de/val.de');
  const hyps = readSegments(hypPath);
  const refs = readSegments(refPath);
  const n = hyps.length;
  const cases: [string, () => unknown][] = [
    ['BLEU 13a', () => corpusBleu(hyps, [refs])],
    ['BLEU intl', () => corpusBleu(hyps, [refs], { tokenize: 'intl' })],
    ['chrF', () => corpusChrf(hyps, [refs])],
    ['chrF++', () => corpusChrf(hyps, [refs], { wordOrder: 2 })],
    ['TER', () => corpusTer(hyps, [refs])],
    ['ROUGE 1/2/L', () => hyps.map((h, i) => rougeScore(refs[i], h))],
    [
      'ROUGE 1/2/L stemmed',
      () => hyps.map((h, i) => rougeScore(refs[i], h, undefined, { useStemmer: true })),
    ],
  ];
  const anchors = anchor(hypPath, refPath, repeats);
  const rows: MetricsBenchRow[] = cases.map(([metric, fn]) => {
    const ms = time(fn, repeats);
    const anchorMs = anchors?.[metric] ?? null;
    return {
      metric,
      ms,
      linesPerSec: (n / ms) * 1000,
      anchorMs,
      speedup: anchorMs === null ? null : anchorMs / ms,
    };
  });
  const fmt = (x: number | null, d: number) => (x === null ? '-' : x.toFixed(d));
  process.stdout.write(`metrics on Multi30k val (${n} segments), median of ${repeats}\n`);
  process.stdout.write('metric                 ms    lines/s   sacrebleu ms  speedup\n');
  for (const r of rows) {
    process.stdout.write(
      `${r.metric.padEnd(20)} ${fmt(r.ms, 1).padStart(6)} ${fmt(r.linesPerSec, 0).padStart(9)} ` +
        `${fmt(r.anchorMs, 1).padStart(13)} ${fmt(r.speedup, 2).padStart(8)}\n`,
    );
  }
  const out = opts.out ?? resolve(ROOT, '.bench/metrics.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ segments: n, repeats, rows }, null, 1)}\n`);
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runMetricsBench();
