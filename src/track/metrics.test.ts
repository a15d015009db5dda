import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { formatMetricsLine, parseMetricsLine, parseMetricsText, readMetricsFile } from './metrics.js';

test('a metrics line round-trips, non-finite values included', () => {
  const line = formatMetricsLine(
    7,
    { loss: Number.NaN, grad_norm: Number.POSITIVE_INFINITY, lr: 1e-3 },
    1700000000.5,
  );
  assert.equal(line, '{"step":7,"wall_time":1700000000.5,"loss":"NaN","grad_norm":"Infinity","lr":0.001}\n');
  const row = parseMetricsLine(line);
  assert.ok(row && typeof row === 'object');
  assert.equal(row.step, 7);
  assert.equal(row.wall_time, 1700000000.5);
  assert.ok(Number.isNaN(row.loss));
  assert.equal(row.grad_norm, Number.POSITIVE_INFINITY);
  assert.equal(row.lr, 0.001);
  assert.throws(
    () => formatMetricsLine(1, { step: 2 }, 0),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG',
  );
});

test('malformed lines are skipped with a warning naming the line, never thrown', () => {
  const text = [
    '{"step":1,"wall_time":10,"loss":3}',
    '{"step":2,"wall_ti', // cut mid-write
    '',
    '[1,2]',
    '{"wall_time":12,"loss":1}', // no step
    'null',
    '{"step":3,"wall_time":13,"loss":2,"note":"text is ignored"}',
    '\u0000\u0001garbage',
  ].join('\n');
  const warnings: Array<[string, number]> = [];
  const rows = parseMetricsText(text, (m, l) => warnings.push([m, l]));
  assert.deepEqual(rows, [
    { step: 1, wall_time: 10, loss: 3 },
    { step: 3, wall_time: 13, loss: 2 },
  ]);
  assert.deepEqual(
    warnings.map(([, l]) => l),
    [2, 4, 5, 6, 8],
  );
  assert.match(warnings[0][0], /^metrics\.jsonl line 2: not JSON/);
  assert.match(warnings[2][0], /missing numeric "step"/);
});

test('readMetricsFile warns (not throws) on bad lines and names a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-metrics-'));
  try {
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      '{"step":1,"wall_time":1,"loss":2}\n{oops\n{"step":2,"wall_time":2,"loss":1}\n',
    );
    const warnings: string[] = [];
    const rows = readMetricsFile(join(dir, 'metrics.jsonl'), (m) => warnings.push(m));
    assert.deepEqual(
      rows.map((r) => r.loss),
      [2, 1],
    );
    assert.equal(warnings.length, 1);
    assert.throws(
      () => readMetricsFile(join(dir, 'nope.jsonl')),
      (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_NOT_FOUND',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
