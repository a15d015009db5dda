// `llmk dashboard` as a user runs it: prints its URL, serves the run list, stops on SIGTERM;
// an unknown runs directory exits 2 with a hint.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunDir } from '../../src/track/run.js';

test('llmk dashboard serves RUNS_DIR and exits cleanly on SIGTERM', { timeout: 30000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'llmk-cli-dash-'));
  try {
    const run = RunDir.create(root, 'cli-run', { config: { lr: 1 } });
    run.logScalars(1, { loss: 2 });
    run.close();
    const child = spawn(process.execPath, ['bin/llmk.js', 'dashboard', root, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const listing = (await (await fetch(new URL('/api/runs', url))).json()) as {
      runs: Array<{ name: string }>;
    };
    assert.deepEqual(
      listing.runs.map((r) => r.name),
      ['cli-run'],
    );
    // The page and uPlot are found from the compiled CLI too (static files stay in src/).
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>llmk dashboard<\/title>/);
    assert.equal((await fetch(new URL('/static/uPlot.iife.min.js', url))).status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('llmk dashboard on an unknown directory exits 2 naming it', () => {
  const out = spawnSync(process.execPath, ['bin/llmk.js', 'dashboard', '/nonexistent/llmk-runs'], {
    encoding: 'utf8',
  });
  assert.equal(out.status, 2);
  assert.match(out.stderr, /LLMK_E_NOT_FOUND: runs directory \/nonexistent\/llmk-runs does not exist/);
  const badPort = spawnSync(process.execPath, ['bin/llmk.js', 'dashboard', '.', '--port', 'x'], {
    encoding: 'utf8',
  });
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /--port x is not a port number/);
});
