/**
 * Interop: stories260K (llama2.c) loaded from each format, and greedy generation speed.
 *   node --import tsx bench/interop.ts [--quick]
 *
 * Per format (llama2.c .bin, HF directory, GGUF f32, GGUF Q8_0 dequantized on load): load time, then
 * 200 greedy tokens from BOS (median of `runs`) with the default engine (native when built), and the
 * same on the reference backend as the in-run anchor (ratio = native / reference). Conversions are
 * written to a temporary directory first (their time is reported too).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/infer/generate.js';
import { convertModel } from '../src/models/convert.js';
import { loadCausalLM } from '../src/models/load.js';
import { createEngine } from '../src/tensor/create.js';

export interface InteropBenchOptions {
  quick?: boolean;
  out?: string;
}

export interface InteropBenchRow {
  format: string;
  backend: string;
  load_ms: number;
  tokens_per_s: number;
}

const FIXTURES = join('test', 'golden', 'fixtures', 'llama2c-stories260K');
const STEPS = 200;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function runInteropBench(options: InteropBenchOptions = {}): Promise<InteropBenchRow[]> {
  const runs = options.quick ? 1 : 3;
  const model = join(FIXTURES, 'stories260K.bin');
  const tokenizer = join(FIXTURES, 'tok512.bin');
  const dir = mkdtempSync(join(tmpdir(), 'llmk-bench-interop-'));
  const engine = createEngine();
  const paths: Record<string, string> = { llama2c: model, hf: join(dir, 'hf') };
  const t0 = performance.now();
  convertModel(engine, 'llama2c', 'hf', model, paths.hf, { tokenizer });
  const t1 = performance.now();
  paths['gguf-f32'] = join(dir, 'f32.gguf');
  convertModel(engine, 'hf', 'gguf', paths.hf, paths['gguf-f32']);
  paths['gguf-q8_0'] = join(dir, 'q8.gguf');
  convertModel(engine, 'hf', 'gguf', paths.hf, paths['gguf-q8_0'], { ggufType: 'q8_0' });
  const t2 = performance.now();
  console.log(
    `convert llama2c → hf ${(t1 - t0).toFixed(0)} ms; hf → gguf f32 + q8_0 ${(t2 - t1).toFixed(0)} ms`,
  );

  // One untimed generation first: the first model run in a process pays for JIT and thread start-up.
  await generate(loadCausalLM(engine, model, { tokenizer }).model, [1], { temperature: 0, maxTokens: STEPS });
  const rows: InteropBenchRow[] = [];
  for (const backend of ['default', 'reference'] as const) {
    const eng = backend === 'default' ? engine : createEngine({ backend: 'reference' });
    const name = backend === 'default' ? eng.backend.name : 'reference';
    for (const [format, path] of Object.entries(paths)) {
      if (backend === 'reference' && format !== 'llama2c') continue;
      const l0 = performance.now();
      const loaded = loadCausalLM(eng, path, format === 'llama2c' ? { tokenizer } : {});
      const loadMs = performance.now() - l0;
      await generate(loaded.model, [1], { temperature: 0, maxTokens: STEPS }); // warm-up (JIT, thread pool)
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const g0 = performance.now();
        await generate(loaded.model, [1], { temperature: 0, maxTokens: STEPS });
        times.push(performance.now() - g0);
      }
      rows.push({ format, backend: name, load_ms: loadMs, tokens_per_s: (STEPS * 1000) / median(times) });
    }
  }
  const anchor = rows.find((r) => r.backend === 'reference')?.tokens_per_s ?? Number.NaN;
  console.log('format     backend    load ms   tok/s   × reference');
  for (const r of rows) {
    console.log(
      `${r.format.padEnd(10)} ${r.backend.padEnd(10)} ${r.load_ms.toFixed(1).padStart(7)} ${r.tokens_per_s
        .toFixed(1)
        .padStart(7)} ${(r.tokens_per_s / anchor).toFixed(2).padStart(8)}`,
    );
  }
  const out = options.out ?? join('.bench', 'interop.json');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ steps: STEPS, runs, rows }, null, 2)}\n`);
  return rows;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) await runInteropBench({ quick: process.argv.includes('--quick') });
