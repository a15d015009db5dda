import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { VERSION } from '../version.js';
import { readMetricsFile, type Tracker } from './metrics.js';
import { collectEnvironment, diffConfigs, listRuns, RunDir } from './run.js';
import { readEventFile } from './tfevents.js';

const isCode = (code: string) => (e: unknown) => e instanceof LlmkError && e.code === code;

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'llmk-run-'));
}

test('RunDir.create writes config.json and env.json; logScalars feeds metrics.jsonl and the event file', () => {
  const root = tempRoot();
  try {
    let t = 1700000000000;
    const seen: number[] = [];
    const extra: Tracker = { logScalars: (step) => seen.push(step), close: () => seen.push(-1) };
    const config = { model: { n_layer: 2, d_model: 64 }, lr: 3e-4 };
    const run = RunDir.create(root, 'tiny', { config, trackers: [extra], now: () => t });
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'tiny', 'config.json'), 'utf8')), config);
    assert.deepEqual(run.config(), config);
    const env = JSON.parse(readFileSync(join(root, 'tiny', 'env.json'), 'utf8'));
    assert.equal(env.llmkVersion, VERSION);
    assert.equal(env.nodeVersion, process.version);
    assert.ok(env.threads >= 1 && env.cpuCount >= 1);
    let head: string | null = null;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      head = null;
    }
    assert.equal(env.gitCommit, head);

    for (let step = 1; step <= 3; step++) {
      t += 250;
      run.logScalars(step, { loss: 4 / step, lr: 1e-3 * step });
    }
    run.close();
    run.close(); // idempotent
    assert.deepEqual(seen, [1, 2, 3, -1]);
    assert.throws(() => run.logScalars(4, { loss: 1 }), isCode('LLMK_E_DISPOSED'));

    const rows = readMetricsFile(join(root, 'tiny', 'metrics.jsonl'));
    assert.deepEqual(
      rows.map((r) => [r.step, r.wall_time, r.loss]),
      [
        [1, 1700000000.25, 4],
        [2, 1700000000.5, 2],
        [3, 1700000000.75, 4 / 3],
      ],
    );
    const eventFile = readdirSync(join(root, 'tiny')).find((f) =>
      f.startsWith('events.out.tfevents.1700000000.'),
    );
    assert.ok(eventFile);
    const events = readEventFile(join(root, 'tiny', eventFile));
    assert.equal(events.length, 4);
    events.slice(1).forEach((e, i) => {
      assert.equal(e.wallTime, rows[i].wall_time);
      assert.equal(e.scalars!.loss, Math.fround(rows[i].loss));
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('checkpoint and sample paths are per step; samples append', () => {
  const root = tempRoot();
  try {
    const run = RunDir.create(root, 'r', { tensorboard: false });
    const ckpt = run.checkpointDir(120);
    assert.equal(ckpt, join(root, 'r', 'checkpoints', 'step-00000120'));
    // Only the parent exists: the checkpoint appears under its name complete, by rename.
    assert.ok(existsSync(join(root, 'r', 'checkpoints')));
    assert.equal(existsSync(ckpt), false);
    const file = run.writeSample(120, 'Once upon');
    run.writeSample(120, 'a time');
    assert.equal(readFileSync(file, 'utf8'), 'Once upon\n----\na time');
    assert.throws(() => run.checkpointDir(-1), isCode('LLMK_E_ARG'));
    run.close();
    assert.deepEqual(readdirSync(join(root, 'r')).sort(), [
      'checkpoints',
      'config.json',
      'env.json',
      'metrics.jsonl',
      'samples',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('names: explicit clash is an error, default names get a suffix, unsafe names are refused', () => {
  const root = tempRoot();
  try {
    const now = () => new Date(2026, 0, 2, 3, 4, 5).getTime();
    const a = RunDir.create(root, undefined, { now, tensorboard: false });
    const b = RunDir.create(root, undefined, { now, tensorboard: false });
    assert.equal(a.name, '20260102-030405');
    assert.equal(b.name, '20260102-030405-2');
    a.close();
    b.close();
    assert.throws(() => RunDir.create(root, a.name), isCode('LLMK_E_EXISTS'));
    for (const bad of ['..', '../x', 'a/b', '.hidden', ''])
      assert.throws(() => RunDir.create(root, bad), isCode('LLMK_E_ARG'));
    const resumed = RunDir.open(join(root, a.name), { tensorboard: false });
    resumed.logScalars(9, { loss: 1 });
    resumed.close();
    assert.equal(readMetricsFile(join(root, a.name, 'metrics.jsonl'))[0].step, 9);
    assert.throws(() => RunDir.open(join(root, 'missing')), isCode('LLMK_E_NOT_FOUND'));
    writeFileSync(join(root, 'a-file'), '');
    assert.throws(() => RunDir.create(join(root, 'a-file'), 'x'), isCode('LLMK_E_IO'));
    assert.throws(() => RunDir.create(root, 'big', { config: { n: 1n } }), isCode('LLMK_E_CONFIG'));
    assert.equal(existsSync(join(root, 'big')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('listRuns finds run folders and rejects an unknown runs directory', () => {
  const root = tempRoot();
  try {
    RunDir.create(root, 'b', { tensorboard: false }).close();
    RunDir.create(root, 'a', { tensorboard: false }).close();
    mkdirSync(join(root, 'not-a-run'));
    assert.deepEqual(
      listRuns(root).map((r) => r.name),
      ['a', 'b'],
    );
    assert.throws(() => listRuns(join(root, 'nope')), isCode('LLMK_E_NOT_FOUND'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('diffConfigs reports changed, added and removed keys by dotted path', () => {
  const d = diffConfigs(
    { model: { n_layer: 2, d_model: 64 }, lr: 3e-4, tags: ['a'] },
    { model: { n_layer: 4, d_model: 64 }, lr: 3e-4, seed: 1, tags: ['a', 'b'] },
  );
  assert.deepEqual(d, [
    { key: 'model.n_layer', a: 2, b: 4 },
    { key: 'seed', a: undefined, b: 1 },
    { key: 'tags', a: ['a'], b: ['a', 'b'] },
  ]);
});

test('collectEnvironment reports null git fields outside a checkout', () => {
  const dir = tempRoot();
  try {
    const env = collectEnvironment(dir);
    assert.equal(env.gitCommit, null);
    assert.equal(env.gitDirty, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
