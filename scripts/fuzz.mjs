// `npm run fuzz`: the fuzz and property tests (test/fuzz/*.test.ts, src/data/pii.property.test.ts)
// at LLMK_FUZZ_SCALE times their `npm test` case counts (default 100: minutes, not seconds) with a
// fresh seed, then a table of case counts per property. A failure prints fast-check's seed, path and
// counterexample; rerun with the same LLMK_FUZZ_SEED and LLMK_FUZZ_SCALE to replay it.
// Usage: npm run fuzz [-- substring filter …]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scale = process.env.LLMK_FUZZ_SCALE ?? '100';
const seed = process.env.LLMK_FUZZ_SEED ?? String(Date.now() % 2 ** 31);
const filters = process.argv.slice(2);
const files = [
  ...readdirSync('test/fuzz')
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test/fuzz', f)),
  'src/data/pii.property.test.ts',
]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const dir = mkdtempSync(join(tmpdir(), 'llmk-fuzz-report-'));
const report = join(dir, 'runs.jsonl');
console.log(`llmk fuzz: seed ${seed}, scale ${scale}, ${files.length} files`);
const started = Date.now();
const failed = [];
for (const file of files) {
  const t0 = Date.now();
  // One process per file, each with a 30-minute cap, so a hang is reported as one, not a stuck run.
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=1800000', file],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30 * 60 * 1000,
      maxBuffer: 64 * 2 ** 20,
      env: {
        ...process.env,
        LLMK_FUZZ_SEED: seed,
        LLMK_FUZZ_SCALE: scale,
        LLMK_FUZZ_REPORT: report,
        LLMK_THREADS: '1',
      },
    },
  );
  const ok = r.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${file} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (!ok) {
    failed.push(file);
    process.stdout.write(r.stdout + r.stderr);
  }
}
let lines = [];
try {
  lines = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  lines = [];
}
rmSync(dir, { recursive: true, force: true });
const width = Math.max(8, ...lines.map((l) => l.property.length));
console.log(`\n| ${'property'.padEnd(width)} | cases |\n|${'-'.repeat(width + 2)}|------:|`);
for (const l of lines) console.log(`| ${l.property.padEnd(width)} | ${String(l.runs).padStart(5)} |`);
const total = lines.reduce((n, l) => n + l.runs, 0);
console.log(`| ${'total'.padEnd(width)} | ${String(total).padStart(5)} |`);
console.log(
  `\n${total} generated cases in ${((Date.now() - started) / 1000).toFixed(0)} s, seed ${seed}, scale ${scale}; ${failed.length} file(s) failed`,
);
process.exit(failed.length === 0 ? 0 : 1);
