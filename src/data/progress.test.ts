import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ByteProgress } from './progress.js';

test('byte progress stays silent for the first second, then shows MB, rate and ETA', () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  let t = 0;
  const p = new ByteProgress('dedup', 10e6, 'bar', { now: () => t, stream });
  t = 500;
  p.update(2e6);
  assert.equal(chunks.length, 0);
  t = 2000;
  p.update(4e6);
  assert.equal(chunks.length, 1);
  // 4 MB in 2 s since the job started: 2 MB/s, 6 MB left: ETA 3 s.
  assert.match(chunks[0], /^dedup \[#+\.+\] 4\/10 2\.00 MB\/s elapsed 2\.0s eta 3\.0s/);
  p.finish();
  assert.equal(chunks.length, 2);
  const quiet = new ByteProgress('x', 1, 'quiet', { now: () => t, stream });
  t = 10_000;
  quiet.update(1);
  quiet.finish();
  assert.equal(chunks.length, 2);
});
