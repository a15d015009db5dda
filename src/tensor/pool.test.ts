import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryPool } from './pool.js';

test('exact-size reuse: the same sizes again allocate nothing new', () => {
  const pool = new MemoryPool();
  const a = pool.acquire('f32', 100);
  const b = pool.acquire('f64', 10);
  pool.release(a);
  pool.release(b);
  const before = pool.snapshot();
  const a2 = pool.acquire('f32', 100);
  assert.equal(a2, a, 'the freed buffer is handed out again');
  assert.ok(
    a2.every((x) => x === 0),
    'zero-filled on reuse',
  );
  assert.equal(pool.snapshot().allocatedBytes, before.allocatedBytes);
  assert.equal(pool.snapshot().reuses, 1);
});

test('pooled memory is capped: ever-changing sizes evict the least recently used sizes', () => {
  const pool = new MemoryPool(4000); // bytes
  for (let n = 1; n <= 200; n++) pool.release(pool.acquire('f32', n)); // 200 distinct sizes, 4n bytes each
  const s = pool.snapshot();
  assert.ok(s.pooledBytes <= 4000, `pooled ${s.pooledBytes} > cap`);
  assert.equal(s.liveBytes, 0);
  assert.equal(s.allocatedBytes, s.pooledBytes, 'dropped buffers leave the allocated total');
  // The most recent size survived eviction; the oldest did not.
  const before = pool.snapshot().allocations;
  pool.acquire('f32', 200);
  assert.equal(pool.snapshot().allocations, before, 'size 200 was reused');
  pool.acquire('f32', 1);
  assert.equal(pool.snapshot().allocations, before + 1, 'size 1 had been evicted');
});
