import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../data/rng.js';
import { buildNspPairs, maskTokens } from './mlm-data.js';

const CLS = 2;
const SEP = 3;
const MASK = 4;
const options = {
  probability: 0.15,
  maskId: MASK,
  vocabSize: 100,
  specialIds: new Set([0, CLS, SEP]),
  wholeWord: false,
};

test('masking chooses 15% of tokens, never specials, and splits them 80/10/10', () => {
  const ids = [CLS, ...Array.from({ length: 200 }, (_, i) => 10 + (i % 80)), SEP];
  const example = { ids, typeIds: ids.map(() => 0) };
  const rng = new Rng(7);
  let chosen = 0;
  let masked = 0;
  let kept = 0;
  const draws = 200;
  for (let d = 0; d < draws; d++) {
    const m = maskTokens(example, options, rng);
    assert.equal(m.labels[0], -100);
    assert.equal(m.labels.at(-1), -100);
    assert.equal(m.ids[0], CLS);
    m.labels.forEach((l, t) => {
      if (l === -100) {
        assert.equal(m.ids[t], ids[t], 'unchosen tokens are untouched');
        return;
      }
      assert.equal(l, ids[t]);
      chosen++;
      if (m.ids[t] === MASK) masked++;
      else if (m.ids[t] === ids[t]) kept++;
    });
  }
  // 40,000 Bernoulli(0.15) trials: sd of the rate ≈ 0.0018, so ±0.01 is > 5 sd.
  const rate = chosen / (draws * 200);
  assert.ok(Math.abs(rate - 0.15) < 0.01, `chosen rate ${rate}`);
  // ~6,000 chosen: sd of the 0.8 share ≈ 0.005; ±0.03 is 6 sd. Random replacements can hit the original
  // id (1 in 100), so "kept" is 0.1 + 0.001.
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.03, `mask share ${masked / chosen}`);
  assert.ok(Math.abs(kept / chosen - 0.101) < 0.02, `keep share ${kept / chosen}`);
});

test('whole-word masking chooses all sub-tokens of a word together', () => {
  // Words of 3 sub-tokens each: 0 0 0 1 1 1 …
  const n = 60;
  const ids = [CLS, ...Array.from({ length: n }, (_, i) => 20 + i), SEP];
  const wordIds = [null, ...Array.from({ length: n }, (_, i) => Math.floor(i / 3)), null];
  const rng = new Rng(3);
  for (let d = 0; d < 50; d++) {
    const m = maskTokens({ ids, typeIds: ids.map(() => 0), wordIds }, { ...options, wholeWord: true }, rng);
    for (let w = 0; w < n / 3; w++) {
      const chosen = [1, 2, 3].map((k) => m.labels[w * 3 + k] !== -100);
      assert.ok(
        chosen.every((c) => c === chosen[0]),
        `word ${w} partly chosen`,
      );
    }
  }
});

test('a sequence always gets at least one prediction target', () => {
  const m = maskTokens(
    { ids: [CLS, 50, SEP], typeIds: [0, 0, 0] },
    { ...options, probability: 0 },
    new Rng(1),
  );
  assert.equal(m.labels[1], 50);
});

test('NSP pairs: half true successors, the rest from another document', () => {
  const docs = Array.from({ length: 40 }, (_, d) => Array.from({ length: 11 }, (_, s) => `d${d}s${s}`));
  const pairs = buildNspPairs(docs, new Rng(5));
  assert.equal(pairs.length, 400);
  let next = 0;
  for (const p of pairs) {
    const [da, sa] = p.a.slice(1).split('s').map(Number);
    const [db, sb] = p.b.slice(1).split('s').map(Number);
    if (p.nspLabel === 0) {
      next++;
      assert.ok(da === db && sb === sa + 1, `${p.a} → ${p.b} labelled IsNext`);
    } else assert.notEqual(da, db, 'a random sentence comes from another document');
  }
  // 400 fair coins: sd 10; ±50 is 5 sd.
  assert.ok(Math.abs(next - 200) < 50, `${next} true pairs`);
  assert.throws(
    () => buildNspPairs([['only one doc', 'two']], new Rng(1)),
    /LLMK_E_DATA: next-sentence prediction needs at least 2/,
  );
});
