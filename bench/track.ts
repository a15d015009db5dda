/**
 * Tracking overheads: what a training step pays to log, how fast logs parse, how fast the
 * dashboard sees a new row. Each figure has an anchor measured in the same run.
 *   node --import tsx bench/track.ts [--quick]
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';
import { crc32c } from '../src/track/crc32c.js';
import { startDashboard } from '../src/track/dashboard/server.js';
import { formatMetricsLine, readMetricsFile } from '../src/track/metrics.js';
import { RunDir } from '../src/track/run.js';

export interface TrackBenchOptions {
  quick?: boolean;
  /** Where to write the JSON results (default .bench/track.json). */
  out?: string;
}

export interface TrackBenchRow {
  name: string;
  value: number;
  unit: string;
  anchor: string;
  anchorValue: number;
  ratio: number;
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const SCALARS = { loss: 2.345, lr: 3e-4, grad_norm: 0.9, tokens_per_s: 5123 };

function benchLogging(dir: string, n: number): TrackBenchRow {
  const run = RunDir.create(dir, 'bench', { config: {} });
  const ms = timeIt(() => {
    for (let i = 0; i < n; i++) run.logScalars(i, SCALARS);
  });
  run.close();
  const fd = openSync(join(dir, 'bare.jsonl'), 'a');
  const line = formatMetricsLine(1, SCALARS, 1700000000.5);
  const bare = timeIt(() => {
    for (let i = 0; i < n; i++) writeSync(fd, line);
  });
  closeSync(fd);
  const us = (ms * 1000) / n;
  const anchorUs = (bare * 1000) / n;
  return {
    name: 'RunDir.logScalars (jsonl + tfevents, 4 scalars)',
    value: us,
    unit: 'µs/call',
    anchor: 'one bare writeSync of the same line',
    anchorValue: anchorUs,
    ratio: us / anchorUs,
  };
}

function benchCrc(size: number, reps: number): TrackBenchRow {
  const bytes = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
  const ours = timeIt(() => {
    for (let r = 0; r < reps; r++) crc32c(bytes);
  });
  const zlib = timeIt(() => {
    for (let r = 0; r < reps; r++) crc32(bytes);
  });
  const mbs = (ms: number) => (size * reps) / 1e6 / (ms / 1000);
  return {
    name: 'crc32c (JS, byte table)',
    value: mbs(ours),
    unit: 'MB/s',
    anchor: 'node:zlib crc32 (native CRC-32)',
    anchorValue: mbs(zlib),
    ratio: mbs(ours) / mbs(zlib),
  };
}

function benchParse(dir: string, n: number): TrackBenchRow {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(formatMetricsLine(i, SCALARS, 1700000000 + i));
  const path = join(dir, 'parse.jsonl');
  writeFileSync(path, lines.join(''));
  let rows = 0;
  const ms = timeIt(() => {
    rows = readMetricsFile(path).length;
  });
  if (rows !== n) throw new Error(`parsed ${rows} of ${n} rows`);
  const plain = timeIt(() => {
    for (const l of lines) JSON.parse(l);
  });
  return {
    name: 'readMetricsFile',
    value: n / (ms / 1000),
    unit: 'rows/s',
    anchor: 'bare JSON.parse per line',
    anchorValue: n / (plain / 1000),
    ratio: plain / ms,
  };
}

/** Milliseconds from logScalars to the row arriving over the SSE stream, median of `n`. */
async function benchSse(dir: string, n: number): Promise<TrackBenchRow> {
  const root = join(dir, 'sse');
  mkdirSync(root);
  const run = RunDir.create(root, 'live', { config: {} });
  run.logScalars(0, SCALARS);
  const latencies = async (pollMs: number): Promise<number> => {
    const dash = await startDashboard({ runsDir: root, port: 0, pollMs, onWarning: () => {} });
    const res = await fetch(new URL('/api/runs/live/stream', dash.url));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const nextRows = async (): Promise<void> => {
      for (;;) {
        const cut = buffered.indexOf('\n\n');
        if (cut >= 0) {
          const block = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          if (block.includes('event: rows')) return;
          continue;
        }
        const { value } = await reader.read();
        buffered += decoder.decode(value, { stream: true });
      }
    };
    await nextRows(); // the existing row
    const times: number[] = [];
    for (let i = 1; i <= n; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      run.logScalars(i, SCALARS);
      await nextRows();
      times.push(performance.now() - t0);
    }
    await reader.cancel();
    await dash.close();
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  const watched = await latencies(500);
  run.close();
  return {
    name: 'dashboard SSE latency (fs.watch + 500 ms poll)',
    value: watched,
    unit: 'ms (median)',
    anchor: 'the 500 ms polling period alone',
    anchorValue: 500,
    ratio: watched / 500,
  };
}

/**
 * Dashboard page cost with two 50k-step runs of 4 scalars in headless chromium: time to load every
 * point, and one full re-render (what each live update pays at most). Anchor: the same page's
 * time to draw the plots alone (uPlot setData on the already-joined arrays).
 */
async function benchDashboard(dir: string, steps: number): Promise<TrackBenchRow | null> {
  if (!existsSync('/usr/bin/chromium')) {
    console.log('dashboard bench skipped: /usr/bin/chromium missing (apt-get install chromium)');
    return null;
  }
  const root = join(dir, 'dash');
  mkdirSync(root);
  for (const name of ['a', 'b']) {
    let t = 1.7e12;
    const run = RunDir.create(root, name, { tensorboard: false, now: () => (t += 300) });
    for (let s = 1; s <= steps; s++) run.logScalars(s, { ...SCALARS, loss: 3 / Math.sqrt(s) });
    run.close();
  }
  const dash = await startDashboard({ runsDir: root, port: 0, onWarning: () => {} });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(dash.url);
    await page.waitForFunction(
      `Number(document.querySelector('.chart[data-metric="loss"]')?.getAttribute('data-points')) === ${2 * steps}`,
      undefined,
      { timeout: 120000 },
    );
    // Page globals (classic script): render() re-joins and redraws; the anchor redraws only.
    // uPlot draws in a microtask after setData, so each timing awaits the microtask queue.
    const timing = (await page.evaluate(`(async () => {
      const best = async (fn) => {
        let m = Infinity;
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          fn();
          await Promise.resolve();
          await Promise.resolve();
          m = Math.min(m, performance.now() - t);
        }
        return m;
      };
      const render_ms = await best(() => render());
      const draw_ms = await best(() => { for (const c of state.charts.values()) c.plot.setData(c.plot.data); });
      return { render_ms, draw_ms };
    })()`)) as { render_ms: number; draw_ms: number };
    return {
      name: `dashboard re-render, 2 runs x ${steps} steps x 4 scalars`,
      value: timing.render_ms,
      unit: 'ms (best of 5)',
      anchor: 'uPlot redraw of the same data',
      anchorValue: timing.draw_ms,
      ratio: timing.render_ms / timing.draw_ms,
    };
  } finally {
    await browser.close();
    await dash.close();
  }
}

export async function runTrackBench(opts: TrackBenchOptions = {}): Promise<TrackBenchRow[]> {
  const quick = opts.quick ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'llmk-bench-track-'));
  try {
    const rows = [
      benchLogging(dir, quick ? 2000 : 20000),
      benchCrc(1 << 20, quick ? 8 : 64),
      benchParse(dir, quick ? 10000 : 100000),
      await benchSse(dir, quick ? 10 : 40),
      await benchDashboard(dir, quick ? 5000 : 50000),
    ].filter((r): r is TrackBenchRow => r !== null);
    console.log('| benchmark | value | unit | anchor | anchor value | ratio |');
    console.log('| --- | ---: | --- | --- | ---: | ---: |');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${r.value.toPrecision(4)} | ${r.unit} | ${r.anchor} | ${r.anchorValue.toPrecision(4)} | ${r.ratio.toFixed(2)} |`,
      );
    }
    const out = opts.out ?? join('.bench', 'track.json');
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runTrackBench({ quick: process.argv.includes('--quick') });
}
