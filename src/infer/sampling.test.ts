import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { argmaxRow, argsortDescending } from '../tensor/ops/sampling.js';
import { Rng } from '../tensor/random.js';
import {
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  Sampler,
  softmaxRow,
  validateSampling,
} from './sampling.js';

const logOf = (probs: number[]): Float32Array => Float32Array.from(probs, Math.log);

test('repetition penalty follows the CTRL rule on a hand-made row (exact)', () => {
  const row = Float32Array.from([2, -1, 0.5, -3, 1]);
  // Tokens 0, 1, 3 occurred (1 twice: penalised once); 2 and 4 did not.
  applyRepetitionPenalty(row, [0, 1, 1, 3], 2);
  assert.deepEqual([...row], [1, -2, 0.5, -6, 1]);
  const same = Float32Array.from([2, -1]);
  applyRepetitionPenalty(same, [0, 1], 1);
  assert.deepEqual([...same], [2, -1]);
});

test('temperature divides logits; top-k keeps exactly k', () => {
  const row = Float32Array.from([1, 4, 2, 4, 3]);
  applyTemperature(row, 0.5);
  assert.deepEqual([...row], [2, 8, 4, 8, 6]);
  applyTopK(row, 2);
  assert.deepEqual([...row], [-Infinity, 8, -Infinity, 8, -Infinity]);
  const three = Float32Array.from([1, 4, 2, 4, 3]);
  applyTopK(three, 3);
  assert.deepEqual([...three], [-Infinity, 4, -Infinity, 4, 3]);
});

test('top-p keeps the smallest set reaching p, at least one token; min-p cuts relative to the top', () => {
  const probs = [0.05, 0.5, 0.15, 0.3];
  const keptBy = (p: number): number[] => {
    const row = logOf(probs);
    applyTopP(row, p);
    return [...row].flatMap((x, i) => (x === -Infinity ? [] : [i]));
  };
  assert.deepEqual(keptBy(0.4), [1]);
  assert.deepEqual(keptBy(0.75), [1, 3]);
  assert.deepEqual(keptBy(0.85), [1, 2, 3]);
  assert.deepEqual(keptBy(1e-9), [1]);
  assert.deepEqual(keptBy(1), [0, 1, 2, 3]);
  const row = logOf(probs);
  applyMinP(row, 0.4); // threshold 0.4 · 0.5 = 0.2
  assert.deepEqual(
    [...row].map((x) => x !== -Infinity),
    [false, true, false, true],
  );
  // Survivors renormalise: 0.5 / 0.8 and 0.3 / 0.8 (f32 logits: 1e-6).
  const p = softmaxRow(row);
  assert.ok(Math.abs(p[1] - 0.625) < 1e-6 && Math.abs(p[3] - 0.375) < 1e-6, `${p}`);
});

test('top-k = 1, a tiny top-p and temperature 0 all pick the argmax', () => {
  const rng = new Rng(11);
  const greedy = new Sampler({ temperature: 0 }, new Rng(1));
  const k1 = new Sampler({ temperature: 1.5, topK: 1 }, new Rng(2));
  const p0 = new Sampler({ temperature: 1.5, topP: 1e-7 }, new Rng(3));
  for (let trial = 0; trial < 50; trial++) {
    const row = Float32Array.from({ length: 40 }, () => rng.normal());
    const best = argmaxRow(row);
    assert.equal(greedy.next(Float32Array.from(row), []), best);
    assert.equal(k1.next(Float32Array.from(row), []), best);
    assert.equal(p0.next(Float32Array.from(row), []), best);
  }
});

test('sampling at temperature 1 draws tokens at the model probabilities', () => {
  const probs = [0.5, 0.3, 0.2];
  const sampler = new Sampler({ temperature: 1 }, new Rng(7));
  const counts = [0, 0, 0];
  const N = 20000;
  for (let i = 0; i < N; i++) counts[sampler.next(logOf(probs), [])]++;
  // Binomial std ≤ √(0.25/N) = 0.0035; allow 4σ.
  counts.forEach((c, i) => {
    assert.ok(Math.abs(c / N - probs[i]) < 0.014, `token ${i}: ${c / N}`);
  });
});

test('bad sampling options are LlmkErrors with hints', () => {
  const bad = [
    { temperature: -0.1 },
    { topP: 0 },
    { topP: 1.5 },
    { topK: 1.5 },
    { minP: 1 },
    { repetitionPenalty: 0 },
  ];
  for (const options of bad) {
    assert.throws(
      () => validateSampling(options),
      (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG' && e.hint.length > 0,
      JSON.stringify(options),
    );
  }
  assert.deepEqual(validateSampling({}), {
    temperature: 1,
    topK: 0,
    topP: 1,
    minP: 0,
    repetitionPenalty: 1,
  });
});

/** The definitions, by a full stable sort: the oracle for the heap top-k and the candidate top-p. */
function topKBySort(row: Float32Array, k: number): Float32Array {
  const out = Float32Array.from(row);
  const order = argsortDescending(row);
  for (let r = k; r < order.length; r++) out[order[r]] = -Infinity;
  return out;
}
function topPBySort(row: Float32Array, p: number): Float32Array {
  const out = Float32Array.from(row);
  const probs = softmaxRow(row);
  const order = argsortDescending(probs);
  let cum = 0;
  let r = 0;
  while (r < order.length) {
    cum += probs[order[r++]];
    if (cum >= p) break;
  }
  for (; r < order.length; r++) out[order[r]] = -Infinity;
  return out;
}

test('heap top-k and candidate top-p equal the full-sort definitions (ties, flat and peaked rows)', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 60; trial++) {
    const V = 1 + rng.int(3000);
    const kind = trial % 3;
    // Rounded values make many ties; a scale of 0.01 gives a flat row where top-p needs the 0 cut.
    const scale = kind === 0 ? 4 : kind === 1 ? 0.01 : 1;
    const row = Float32Array.from({ length: V }, () => Math.round(scale * rng.normal() * 4) / 4);
    const k = 1 + rng.int(Math.min(V, 80));
    const byHeap = Float32Array.from(row);
    applyTopK(byHeap, k);
    assert.deepEqual(byHeap, topKBySort(row, k), `top-k V=${V} k=${k}`);
    for (const p of [1e-6, 0.3, 0.9, 0.999]) {
      const fast = Float32Array.from(row);
      applyTopP(fast, p);
      assert.deepEqual(fast, topPBySort(row, p), `top-p V=${V} p=${p}`);
    }
  }
  // A flat 20k row: every probability (5e-5) is below the first cut, so the 1e-7 cut decides.
  const flat = new Float32Array(20000);
  flat[7] = 0.5;
  for (const p of [0.01, 0.5]) {
    const fast = Float32Array.from(flat);
    applyTopP(fast, p);
    assert.deepEqual(fast, topPBySort(flat, p));
  }
});
