import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapIntervals, percentileSorted } from './bootstrap.js';
import { aggregateRouge, meanRouge, rougeScore, rougeScoreMulti, rougeTokenize } from './rouge.js';

test('rouge tokenization: lowercase, non-[a-z0-9] separates, stemming only beyond 3 chars', () => {
  assert.deepEqual(rougeTokenize("The Cat's café-bar, 2024!"), ['the', 'cat', 's', 'caf', 'bar', '2024']);
  assert.deepEqual(rougeTokenize('dogs running flies', true), ['dog', 'run', 'fli']);
  // 'ties' has 4 letters and is stemmed; 'was' has 3 and is not.
  assert.deepEqual(rougeTokenize('ties was', true), ['tie', 'was']);
});

test('percentile uses NumPy linear interpolation (values printed by NumPy 1.24)', () => {
  const a = [0.05, 0.1, 0.25, 0.3, 0.7, 0.9, 1.0];
  const want = [0.0575, 0.3, 0.985];
  for (const [i, q] of [2.5, 50, 97.5].entries())
    assert.ok(Math.abs(percentileSorted(a, q) - want[i]) < 1e-12);
  const b = Array.from({ length: 1000 }, (_, i) => i / 7);
  const wantB = [3.56785714, 71.35714286, 139.14642857];
  for (const [i, q] of [2.5, 50, 97.5].entries())
    assert.ok(Math.abs(percentileSorted(b, q) - wantB[i]) < 1e-8);
});

test('bootstrap intervals bracket the mean, are seeded, and collapse for constant scores', () => {
  const rows = Array.from({ length: 200 }, (_, i) => [(i % 10) / 10]);
  const [ci] = bootstrapIntervals(rows, { seed: 1 });
  assert.ok(ci.low < 0.45 && ci.high > 0.45 && ci.low < ci.mid && ci.mid < ci.high);
  // Standard error of the mean is 0.287/sqrt(200) = 0.0203, so the 95% half-width is ~0.04 (+-25%).
  assert.ok(Math.abs((ci.high - ci.low) / 2 - 0.0398) < 0.01, `half-width ${(ci.high - ci.low) / 2}`);
  assert.deepEqual(bootstrapIntervals(rows, { seed: 1 }), [ci]);
  const [flat] = bootstrapIntervals([[0.5], [0.5], [0.5]]);
  assert.deepEqual(flat, { low: 0.5, mid: 0.5, high: 0.5 });
});

test('aggregateRouge and meanRouge over examples', () => {
  const scores = [rougeScore('one two three', 'one two'), rougeScore('one two five six', 'seven eight')];
  const mean = meanRouge(scores);
  assert.ok(Math.abs(mean.rouge1.precision - 0.5) < 1e-12);
  assert.ok(Math.abs(mean.rouge1.recall - 1 / 3) < 1e-12);
  const agg = aggregateRouge(scores, { nSamples: 200 });
  assert.equal(agg.rouge1.low.precision, 0);
  assert.equal(agg.rouge1.high.precision, 1);
});

test('rougeScoreMulti keeps the best F per type', () => {
  const s = rougeScoreMulti(['completely different', 'the cat sat'], 'the cat sat', ['rouge1', 'rougeL']);
  assert.equal(s.rouge1.fmeasure, 1);
  assert.equal(s.rougeL.fmeasure, 1);
  assert.throws(() => rougeScoreMulti([], 'x'), { code: 'LLMK_E_ARG' });
});
