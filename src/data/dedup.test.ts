import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Deduplicator, MinHasher } from './dedup.js';
import { U64Table } from './hash.js';
import { WordHasher } from './wordhash.js';

const words = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, i) => `w${from + i}`).join(' ');

test('U64Table stores 64-bit keys through growth', () => {
  const t = new U64Table(16);
  for (let i = 0; i < 5000; i++) assert.equal(t.getOrInsert(i * 7919, -i, i), -1);
  assert.equal(t.size, 5000);
  for (let i = 0; i < 5000; i++) assert.equal(t.get(i * 7919, -i), i);
  assert.equal(t.get(1, 1), -1);
  assert.equal(t.getOrInsert(7919 * 3, -3, 99), 3);
});

test('MinHash estimates shingle Jaccard similarity within sampling error', () => {
  const mh = new MinHasher();
  // Texts of distinct words: A = words [0, 200), B = words [k, 200 + k). With 5-word shingles
  // |A| = |B| = 196 and |A ∩ B| = 196 - k, so J = (196 - k) / (196 + k).
  let totalErr = 0;
  const offsets = [5, 10, 20, 40, 60, 100, 150];
  for (const [j, k] of offsets.entries()) {
    const base = 10_000 * j;
    const a = mh.signature(words(base, base + 200));
    const b = mh.signature(words(base + k, base + 200 + k));
    const exact = (196 - k) / (196 + k);
    const err = Math.abs(MinHasher.similarity(a, b) - exact);
    // 112 hashes: standard error sqrt(J(1-J)/112) ≤ 0.047; allow 3.2 of them.
    assert.ok(err < 0.15, `k=${k}: estimate off by ${err}`);
    totalErr += err;
  }
  assert.ok(totalErr / offsets.length < 0.05, `mean error ${totalErr / offsets.length}`);
  // Signature sizes that are not a multiple of 4 take the tail loop; the estimate is just as good.
  const odd = new MinHasher({ bands: 9, rows: 7 });
  const oddEstimate = MinHasher.similarity(odd.signature(words(0, 200)), odd.signature(words(20, 220)));
  assert.ok(Math.abs(oddEstimate - 176 / 216) < 0.15, `63 hashes: ${oddEstimate}`);
  // Case and punctuation do not change shingles.
  assert.equal(
    MinHasher.similarity(
      mh.signature('The cat, sat on the mat today!'),
      mh.signature('the cat sat on the MAT today'),
    ),
    1,
  );
});

/** 80-word chunks of Shakespeare: distinct real text. */
function shakespeareChunks(n: number): string[] {
  const all = readFileSync('../shared/data/tinyshakespeare/input.txt', 'utf8').split(/\s+/);
  return Array.from({ length: n }, (_, i) => all.slice(i * 80, i * 80 + 80).join(' '));
}

test('planted near-duplicates and exact duplicates are found; distinct texts are kept', () => {
  const originals = shakespeareChunks(300);
  const docs: { text: string; plantedOf: number; kind?: string }[] = originals.map((text) => ({
    text,
    plantedOf: -1,
  }));
  // Near duplicates: one word replaced in the middle (Jaccard of 5-shingles ≈ 71/81 = 0.88,
  // LSH hit probability 1 - (1 - 0.88^8)^14 ≈ 0.998) and appended after all originals.
  for (let i = 0; i < 300; i += 10) {
    const w = originals[i].split(' ');
    w[40] = 'zebra';
    docs.push({ text: w.join(' '), plantedOf: i, kind: 'near_duplicate' });
  }
  // Exact duplicates up to case, punctuation and whitespace.
  for (let i = 5; i < 300; i += 25)
    docs.push({
      text: `  ${originals[i].toUpperCase().replace(/[,.;:!?]/g, '')}  `,
      plantedOf: i,
      kind: 'exact_duplicate',
    });
  const d = new Deduplicator();
  const drops: { index: number; kind: string; of: number }[] = [];
  docs.forEach((doc, index) => {
    const hit = d.check(doc.text, index + 1);
    if (hit) drops.push({ index, kind: hit.kind, of: hit.of });
  });
  const planted = docs.map((doc, i) => [doc, i] as const).filter(([doc]) => doc.plantedOf >= 0);
  assert.equal(
    drops.length,
    planted.length,
    JSON.stringify(drops.filter((x) => docs[x.index].plantedOf < 0)),
  );
  for (const drop of drops) {
    assert.equal(drop.of, docs[drop.index].plantedOf);
    assert.equal(drop.kind, docs[drop.index].kind);
  }
  // Originals 30, 80, …, 280 got both a near and an exact copy: six clusters of three.
  const clusters = d.clusters();
  assert.equal(clusters.length, planted.length - 6);
  assert.equal(clusters.filter((c) => c.members.length === 3).length, 6);
  for (const c of clusters) {
    for (const m of c.members.slice(1)) assert.equal(docs[m].plantedOf, c.members[0]);
    assert.deepEqual(
      c.lines,
      c.members.map((m) => m + 1),
    );
  }
  assert.ok(d.indexBytes > 0);
});

test('texts with low similarity (Jaccard ≈ 0.3) are not flagged', () => {
  const d = new Deduplicator({ exact: false });
  let hits = 0;
  for (let j = 0; j < 50; j++) {
    const base = 100_000 + 1000 * j;
    // J = (196 - 105) / (196 + 105) ≈ 0.30: hit probability ≈ 14 × 0.3^8 ≈ 0.001 per pair.
    if (d.check(words(base, base + 200))) hits++;
    if (d.check(words(base + 105, base + 305))) hits++;
  }
  assert.equal(hits, 0);
});

test('word hashing: case, punctuation and spacing ignored; CJK characters are words', () => {
  const w = new WordHasher();
  const a = Array.from(w.hashWords('  Hello,   WORLD! naïve Ünïcode'));
  assert.deepEqual(Array.from(w.hashWords('hello world NAÏVE ünïcode')), a);
  assert.equal(a.length, 4);
  assert.equal(w.hashWords('我爱北京 GPT-4').length, 6); // 我 爱 北 京 gpt 4
  const d = new Deduplicator({ minhash: false });
  assert.equal(d.check('Hello, world! The end.'), null);
  assert.deepEqual(d.check('hello world the END'), { kind: 'exact_duplicate', of: 0 });
  assert.equal(d.check('hello world the ends'), null);
  // Texts without words are never duplicates of each other.
  assert.equal(d.check('!!! ???'), null);
  assert.equal(d.check('...'), null);
});
