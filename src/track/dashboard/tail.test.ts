import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsTail, watchPath } from './tail.js';

test('MetricsTail returns only complete new lines and resumes from its offset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-tail-'));
  try {
    const path = join(dir, 'metrics.jsonl');
    const tail = new MetricsTail(path);
    assert.deepEqual(tail.read().rows, []); // no file yet
    writeFileSync(path, '{"step":1,"wall_time":1,"loss":3}\n{"step":2,"wall');
    const first = tail.read();
    assert.deepEqual(first.rows, [{ step: 1, wall_time: 1, loss: 3 }]);
    assert.equal(first.offset, Buffer.byteLength('{"step":1,"wall_time":1,"loss":3}\n'));
    appendFileSync(path, '_time":2,"loss":2}\nnot json\n{"step":3,"wall_time":3,"loss":1}\n');
    const second = tail.read();
    assert.deepEqual(
      second.rows.map((r) => r.step),
      [2, 3],
    );
    assert.deepEqual(second.warnings.length, 1);
    assert.match(second.warnings[0], /^metrics\.jsonl line 3: not JSON/);
    assert.equal(second.line, 4);
    // A second reader resuming from the first chunk's offset sees the same rows.
    assert.deepEqual(
      new MetricsTail(path, first.offset, first.line).read().rows.map((r) => r.step),
      [2, 3],
    );
    // A replaced (shorter) file starts over.
    writeFileSync(path, '{"step":9,"wall_time":9,"loss":0.5}\n');
    assert.deepEqual(
      tail.read().rows.map((r) => r.step),
      [9],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MetricsTail reads a large log in pieces of about maxBytes, never splitting a line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-tail-'));
  try {
    const path = join(dir, 'metrics.jsonl');
    const line = (step: number) => `{"step":${step},"wall_time":${step},"loss":1}\n`;
    writeFileSync(path, [1, 2, 3, 4, 5].map(line).join(''));
    const tail = new MetricsTail(path);
    const steps: number[][] = [];
    for (let more = true; more; ) {
      const chunk = tail.read(line(1).length * 2 + 3); // room for two lines and a bit
      steps.push(chunk.rows.map((r) => r.step));
      more = chunk.more;
    }
    assert.deepEqual(steps, [[1, 2], [3, 4], [5]]);
    // A line longer than maxBytes is still read whole.
    appendFileSync(path, `{"step":6,"wall_time":6,"note":"${'x'.repeat(200)}","loss":2}\n`);
    assert.deepEqual(tail.read(16).rows, [{ step: 6, wall_time: 6, loss: 2 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watchPath reports a file created after watching began', { timeout: 10000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-tail-'));
  try {
    const path = join(dir, 'metrics.jsonl');
    let calls = 0;
    const seen = new Promise<void>((resolve) => {
      const stop = watchPath(
        path,
        () => {
          calls++;
          stop();
          resolve();
        },
        50,
      );
    });
    writeFileSync(path, '{"step":1}\n');
    await seen;
    assert.ok(calls >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MetricsTail skips a line over maxLineBytes with a warning instead of buffering it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-tail-'));
  try {
    const path = join(dir, 'metrics.jsonl');
    const long = `{"step":1,"note":"${'x'.repeat(5000)}"}\n`;
    writeFileSync(path, `${long}{"step":2,"wall_time":2,"loss":1}\n`);
    const tail = new MetricsTail(path, 0, 0, { maxLineBytes: 1000 });
    const rows: number[] = [];
    const warnings: string[] = [];
    for (let more = true, i = 0; more && i < 10; i++) {
      const chunk = tail.read(256);
      rows.push(...chunk.rows.map((r) => r.step));
      warnings.push(...chunk.warnings);
      more = chunk.more;
    }
    assert.deepEqual(rows, [2]);
    assert.deepEqual(warnings, ['metrics.jsonl line 1: over 1000 bytes; skipped']);
    // A resume position must be a byte offset and a line count.
    assert.throws(() => new MetricsTail(path, -5, 0), /LLMK_E_ARG/);
    assert.throws(() => new MetricsTail(path, 1.5, 0), /LLMK_E_ARG/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
