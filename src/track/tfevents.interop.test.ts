// Cross-checks the event files with an independent implementation: Debian's python3-protobuf
// (messages built from TensorFlow's field numbers) and python3-crc32c, driven by
// scripts/tfevents_check.py. Debian packages no TensorBoard, so this is the closest outside reader;
// .ci/run installs both modules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunDir } from './run.js';
import { readEventFile } from './tfevents.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = 'scripts/tfevents_check.py';
const probe = spawnSync(PYTHON, ['-c', 'import google.protobuf, crc32c'], { encoding: 'utf8' });
const skip =
  probe.status === 0
    ? false
    : `${PYTHON} lacks google.protobuf or crc32c (apt-get install python3-protobuf python3-crc32c): ${probe.stderr ?? probe.error}`;

test('python (protobuf + crc32c) reads the event file a RunDir writes', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'llmk-interop-'));
  try {
    let t = 1700000000000;
    const run = RunDir.create(root, 'r', { config: {}, now: () => t });
    const logged: Array<[number, Record<string, number>]> = [
      [1, { loss: 5.5, lr: 1e-4 }],
      [2, { loss: 4.75, lr: 2e-4, 'eval/accuracy': 0.125 }],
      [3000000000, { loss: 0.0625 }],
    ];
    for (const [step, scalars] of logged) {
      t += 1500;
      run.logScalars(step, scalars);
    }
    run.close();
    const file = readdirSync(join(root, 'r')).find((f) => f.startsWith('events.out.tfevents.'))!;
    const out = spawnSync(PYTHON, [SCRIPT, 'read', join(root, 'r', file)], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const events = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(events[0], { wall_time: 1700000000, step: 0, file_version: 'brain.Event:2' });
    assert.equal(events.length, 4);
    logged.forEach(([step, scalars], i) => {
      assert.equal(events[i + 1].step, step);
      assert.equal(events[i + 1].wall_time, 1700000000 + 1.5 * (i + 1)); // double: exact
      // Python widens the float32 back to double: equal to fround of what we logged.
      for (const [tag, v] of Object.entries(scalars))
        assert.equal(events[i + 1].scalars[tag], Math.fround(v));
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('llmk reads an event file python (protobuf + crc32c) writes', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-interop-'));
  try {
    const path = join(dir, 'events.out.tfevents.1700000000.py');
    const out = spawnSync(PYTHON, [SCRIPT, 'write', path], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const events = readEventFile(path);
    assert.equal(events.length, 4);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    assert.deepEqual(
      events.slice(1).map((e) => [e.step, e.wallTime, e.scalars]),
      [
        [1, 1700000001.25, { 'train/loss': 2.5, lr: Math.fround(0.001) }],
        [2, 1700000002.25, { 'train/loss': 2.25, lr: Math.fround(0.001) }],
        [1000000000000, 1700000001.25, { 'train/loss': 0.125, lr: Math.fround(0.001) }],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
