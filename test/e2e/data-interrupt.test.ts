/**
 * SIGINT during each data stage: exit 130, no output under the final name, and no `.partial-<pid>`
 * debris (before: 26–77 MB partial files and directories were left behind).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-data-sigint-'));
  // ~24 MB of varied documents: long enough that every stage is still running when interrupted.
  const lines: string[] = [];
  for (let i = 0; i < 60000; i++)
    lines.push(
      JSON.stringify({
        text: `Document ${i} says the quick brown fox ${i % 97} jumps over ${'lazy dogs and cats '.repeat(20)} mail${i}@example.com`,
      }),
    );
  writeFileSync(join(dir, 'big.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'big.txt'), lines.map((l) => JSON.parse(l).text).join('\n'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `llmk data …` writing into `outDir`, interrupts it once a partial output exists there. */
async function interrupt(args: string[], outDir: string): Promise<{ code: number | null; left: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const child = spawn(process.execPath, [CLI, 'data', ...args, '--progress', 'quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  let running = true;
  void closed.then(() => {
    running = false;
  });
  while (running && !readdirSync(outDir).some((f) => f.includes('.partial-')))
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(running, `the stage finished before it could be interrupted: ${stderr}`);
  child.kill('SIGINT');
  const code = await closed;
  return { code, left: readdirSync(outDir) };
}

const STAGES: Array<[string, (out: string) => string[]]> = [
  ['import', (out) => ['import', join(dir, 'big.txt'), '--format', 'txt', '-o', join(out, 'docs.jsonl')]],
  ['clean', (out) => ['clean', join(dir, 'big.jsonl'), '-o', join(out, 'clean.jsonl')]],
  ['filter', (out) => ['filter', join(dir, 'big.jsonl'), '-o', join(out, 'filter.jsonl')]],
  ['dedup', (out) => ['dedup', join(dir, 'big.jsonl'), '-o', join(out, 'dedup.jsonl')]],
  ['mask', (out) => ['mask', join(dir, 'big.jsonl'), '-o', join(out, 'mask.jsonl')]],
  ['pack', (out) => ['pack', join(dir, 'big.jsonl'), '-o', join(out, 'shards'), '--tokenizer', 'char']],
];

for (const [stage, args] of STAGES) {
  test(`SIGINT during data ${stage}: exit 130, nothing left behind`, { timeout: 120_000 }, async () => {
    const out = join(dir, `out-${stage}`);
    const { code, left } = await interrupt(args(out), out);
    assert.equal(code, 130);
    assert.deepEqual(left, []);
  });
}

test('SIGINT during data run (clean → pack): exit 130, nothing left behind', {
  timeout: 120_000,
}, async () => {
  const out = join(dir, 'out-run');
  const config = join(dir, 'pipeline.json');
  writeFileSync(
    config,
    JSON.stringify({
      input: join(dir, 'big.jsonl'),
      stages: [{ stage: 'clean' }, { stage: 'pack', output: join(out, 'shards') }],
    }),
  );
  const { code, left } = await interrupt(['run', '--config', config], out);
  assert.equal(code, 130);
  assert.deepEqual(left, []);
});
