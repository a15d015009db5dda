import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { formatDuration, Progress, resolveProgressMode } from './progress.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('progress reports rate and ETA from an injected clock', () => {
  let t = 0;
  const out = sink();
  const p = new Progress({
    label: 'train',
    total: 100,
    unit: 'it',
    stream: out.stream,
    intervalMs: 0,
    now: () => t,
  });
  t = 2000;
  p.update(50, { loss: 1.5 });
  assert.equal(p.rate(), 25);
  assert.equal(p.eta(), 2);
  assert.match(p.line(), /train \[#{12}\.{12}\] 50\/100 25\.00 it\/s elapsed 2\.0s eta 2\.0s loss 1\.5000/);
  p.finish();
  assert.equal(out.text().trim().split('\n').length, 2);
});

test('json mode writes one parseable record per update; quiet writes nothing', () => {
  let t = 0;
  const out = sink();
  const p = new Progress({
    label: 'x',
    total: 4,
    mode: 'json',
    stream: out.stream,
    intervalMs: 0,
    now: () => t,
  });
  t = 1000;
  p.tick(2);
  const rec = JSON.parse(out.text().trim()) as { done: number; rate: number; eta_s: number };
  assert.deepEqual([rec.done, rec.rate, rec.eta_s], [2, 2, 1]);
  const q = sink();
  const quiet = new Progress({ label: 'x', mode: 'quiet', stream: q.stream, intervalMs: 0 });
  quiet.tick();
  quiet.finish();
  assert.equal(q.text(), '');
});

test('durations format compactly', () => {
  assert.equal(formatDuration(12.34), '12.3s');
  assert.equal(formatDuration(187), '3m07s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('resolveProgressMode: --quiet beats --json beats LLMK_PROGRESS beats bar; bad env names the fix', () => {
  assert.equal(resolveProgressMode({ quiet: true, json: true }, {}), 'quiet');
  assert.equal(resolveProgressMode({ json: true }, { LLMK_PROGRESS: 'quiet' }), 'json');
  assert.equal(resolveProgressMode({}, { LLMK_PROGRESS: 'json' }), 'json');
  assert.equal(resolveProgressMode({}, {}), 'bar');
  assert.throws(() => resolveProgressMode({}, { LLMK_PROGRESS: 'loud' }), /use bar, json or quiet/);
});
