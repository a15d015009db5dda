/**
 * Fault test: kill -9 a process that saves checkpoints back to back, at random moments, N times
 * (LLMK_FAULT_KILLS, default 6 in `npm test`; BENCHMARKS.md records a 50-kill run). After every
 * kill each `checkpoints/step-*` directory must be a complete, readable checkpoint, and the next
 * start must remove the `.tmp-<pid>` directories the killed save left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { isCompleteCheckpoint, latestCheckpoint } from '../../src/track/run.js';

const KILLS = Number(process.env.LLMK_FAULT_KILLS ?? 6);
const SAVER = new URL('./helpers/checkpoint-saver.ts', import.meta.url).pathname;

async function runAndKill(runPath: string, waitMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', SAVER, runPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LLMK_THREADS: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  // Listen for the exit from the start: a saver that dies on its own must fail the test, not hang it.
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      if (String(d).includes('saving')) resolve();
    });
    void exited.then(() => reject(new Error(`saver exited early (${exitCode}): ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, waitMs));
  assert.equal(exitCode, undefined, `saver died on its own (${exitCode}): ${stderr}`);
  child.kill('SIGKILL');
  await exited;
  return child.pid as number;
}

test(`kill -9 at random points during checkpoint saves (${KILLS} kills): no corrupt checkpoint`, {
  timeout: Math.max(120_000, KILLS * 30_000),
}, async () => {
  const root = mkdtempSync(join(tmpdir(), 'llmk-fault-'));
  const runPath = join(root, 'run');
  let checked = 0;
  let corrupt = 0;
  let tempsLeft = 0;
  let olderLeft = 0;
  try {
    for (let k = 0; k < KILLS; k++) {
      // Random waits spread the kills over whole save cycles (a save takes tens of ms).
      const pid = await runAndKill(runPath, 150 + Math.floor(Math.random() * 600));
      const ckdir = join(runPath, 'checkpoints');
      const entries = existsSync(ckdir) ? readdirSync(ckdir) : [];
      const temps = entries.filter((e) => /\.(tmp|del|old)-\d+$/.test(e));
      tempsLeft += temps.length;
      // Leftovers of earlier kills must be gone: the next start cleaned them.
      olderLeft += temps.filter((e) => !e.endsWith(`-${pid}`)).length;
      for (const e of entries.filter((n) => /^step-\d+$/.test(n))) {
        checked++;
        const dir = join(ckdir, e);
        let ok = isCompleteCheckpoint(dir);
        try {
          readSafetensors(join(dir, 'model.safetensors'));
          readSafetensors(join(dir, 'optimizer.safetensors'));
        } catch {
          ok = false;
        }
        if (!ok) corrupt++;
      }
    }
    latestCheckpoint(root, 'run');
    process.stderr.write(
      `checkpoint fault test: ${KILLS} kills, ${checked} step checkpoints checked, ${corrupt} corrupt or incomplete, ${tempsLeft} temp dirs left by killed saves, ${olderLeft} left from earlier kills\n`,
    );
    assert.equal(corrupt, 0);
    assert.equal(olderLeft, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
