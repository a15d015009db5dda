import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from './rng.js';
import { TokenWindowSampler } from './sampler.js';
import { MemoryTokens, openShard, SHARD_HEADER_BYTES, ShardFile, ShardWriter, writeShard } from './shards.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-shards-'));

test('header layout: magic, version, dtype, little-endian count, vocab, eos', () => {
  const path = join(dir, 'a.bin');
  writeShard(path, [1, 2, 65535], { vocabSize: 65536, eosId: 0 });
  const buf = readFileSync(path);
  assert.equal(buf.length, SHARD_HEADER_BYTES + 3 * 2);
  assert.equal(buf.toString('ascii', 0, 8), 'LLMKTOK1');
  assert.equal(buf.readUInt32LE(8), 1);
  assert.equal(buf.readUInt32LE(12), 2);
  assert.equal(buf.readBigUInt64LE(16), 3n);
  assert.equal(buf.readUInt32LE(24), 65536);
  assert.equal(buf.readUInt32LE(28), 0);
  assert.equal(buf.readUInt16LE(64 + 4), 65535);
  const shard = openShard(path);
  assert.equal(shard.dtype, 'uint16');
  assert.ok(shard.tokens instanceof Uint16Array);
  assert.deepEqual(Array.from(shard.tokens), [1, 2, 65535]);
});

test('uint32 for vocabularies above 65,536; streaming writer across buffer flushes', () => {
  const path = join(dir, 'b.bin');
  const w = new ShardWriter(path, { vocabSize: 100_000, eosId: 99_999, bufferTokens: 7 });
  const expected: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = [i * 1999, 99_999];
    w.write(t);
    expected.push(...t);
  }
  assert.equal(w.close().numTokens, 100);
  const shard = openShard(path);
  assert.equal(shard.dtype, 'uint32');
  assert.equal(shard.eosId, 99_999);
  assert.deepEqual(Array.from(shard.tokens), expected);
  const file = new ShardFile(path);
  const out = new Int32Array(4);
  file.read(10, 4, out, 0);
  assert.deepEqual(Array.from(out), expected.slice(10, 14));
  file.close();
});

test('bad shards are typed errors; out-of-vocabulary ids are refused; no overwrite without force', () => {
  const path = join(dir, 'c.bin');
  writeShard(path, [1, 2, 3], { vocabSize: 10 });
  writeFileSync(join(dir, 'trunc.bin'), readFileSync(path).subarray(0, SHARD_HEADER_BYTES + 4));
  assert.throws(() => openShard(join(dir, 'trunc.bin')), /LLMK_E_FORMAT.*truncated/);
  writeFileSync(join(dir, 'junk.bin'), Buffer.alloc(100));
  assert.throws(() => openShard(join(dir, 'junk.bin')), /LLMK_E_FORMAT.*magic/);
  assert.throws(() => openShard(join(dir, 'missing.bin')), /LLMK_E_NOT_FOUND/);
  assert.throws(
    () => writeShard(join(dir, 'd.bin'), [10], { vocabSize: 10 }),
    /LLMK_E_DATA.*outside the vocabulary/,
  );
  assert.throws(() => writeShard(path, [1], { vocabSize: 10 }), /LLMK_E_EXISTS/);
  writeShard(path, [4], { vocabSize: 10, force: true });
  assert.equal(statSync(path).size, SHARD_HEADER_BYTES + 2);
});

test('random batches: targets are inputs shifted by one, windows stay inside one shard, seeded', () => {
  // Two shards whose tokens encode (shard, position) so every window can be checked.
  const a = Array.from({ length: 100 }, (_, i) => i);
  const b = Array.from({ length: 40 }, (_, i) => 1000 + i);
  const sampler = new TokenWindowSampler([new MemoryTokens(a), new MemoryTokens(b)]);
  const B = 64;
  const T = 8;
  const batch = sampler.randomBatch(B, T, new Rng(1));
  assert.equal(batch.inputs.length, B * T);
  let fromB = 0;
  for (let row = 0; row < B; row++) {
    const x = batch.inputs.subarray(row * T, row * T + T);
    const y = batch.targets.subarray(row * T, row * T + T);
    for (let t = 0; t < T; t++) {
      assert.equal(y[t], x[t] + 1);
      if (t > 0) assert.equal(x[t], x[t - 1] + 1);
    }
    if (x[0] >= 1000) {
      fromB++;
      assert.ok(y[T - 1] <= 1039);
    } else assert.ok(y[T - 1] <= 99);
  }
  // Shard b holds 32 of the 124 valid starts: expect 64 × 32/124 ≈ 16.5 rows (binomial sd ≈ 3.5).
  assert.ok(fromB > 5 && fromB < 28, `rows from shard b: ${fromB}`);
  const again = sampler.randomBatch(B, T, new Rng(1));
  assert.deepEqual(again.inputs, batch.inputs);
  // Resuming from a saved RNG state reproduces the next batch exactly.
  const rng = new Rng(5);
  sampler.randomBatch(4, T, rng);
  const saved = rng.state();
  const next = sampler.randomBatch(4, T, rng);
  assert.deepEqual(sampler.randomBatch(4, T, Rng.fromState(saved)).inputs, next.inputs);
  assert.throws(() => sampler.randomBatch(1, 200, new Rng(0)), /LLMK_E_DATA/);
});

test('sequential windows cover each shard with stride T and resume from a cursor', () => {
  const a = new MemoryTokens(Array.from({ length: 25 }, (_, i) => i));
  const b = new MemoryTokens(Array.from({ length: 12 }, (_, i) => 100 + i));
  const sampler = new TokenWindowSampler([a, b]);
  const T = 5;
  // a: starts 0, 5, 10, 15 (15 + 6 ≤ 25; 20 + 6 > 25); b: starts 0, 5 → 6 windows.
  assert.equal(sampler.numWindows(T), 6);
  const batches = [...sampler.sequentialBatches(4, T)];
  assert.deepEqual(
    batches.map((x) => x.batchSize),
    [4, 2],
  );
  const firsts = batches.flatMap((x) => Array.from({ length: x.batchSize }, (_, r) => x.inputs[r * T]));
  assert.deepEqual(firsts, [0, 5, 10, 15, 100, 105]);
  assert.deepEqual(Array.from(batches[1].targets.subarray(5, 10)), [106, 107, 108, 109, 110]);
  const first = sampler.sequentialBatch(4, T);
  assert.ok(first);
  const resumed = sampler.sequentialBatch(4, T, JSON.parse(JSON.stringify(first.next)));
  assert.deepEqual(resumed?.batch.inputs, batches[1].inputs);
  assert.equal(sampler.sequentialBatch(4, T, resumed?.next), null);
});
