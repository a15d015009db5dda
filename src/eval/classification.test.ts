import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  perLabelPrf,
  precisionRecallF1,
} from './classification.js';

// Expected values printed by scikit-learn 1.2.1 (Debian python3-sklearn); tolerance 1e-12 covers
// summation order only.
const EPS = 1e-12;
function near(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) < EPS, `${what}: ${a} vs ${b}`);
}

test('sklearn docs example (cat/dog/pig): macro, micro, weighted and per-label P/R/F1', () => {
  const yt = ['cat', 'dog', 'pig', 'cat', 'dog', 'pig'];
  const yp = ['cat', 'pig', 'dog', 'cat', 'cat', 'dog'];
  const want = {
    macro: [0.2222222222222222, 0.3333333333333333, 0.26666666666666666],
    micro: [0.3333333333333333, 0.3333333333333333, 0.3333333333333333],
    weighted: [0.2222222222222222, 0.3333333333333333, 0.26666666666666666],
  } as const;
  for (const avg of ['macro', 'micro', 'weighted'] as const) {
    const s = precisionRecallF1(yt, yp, avg);
    near(s.precision, want[avg][0], `${avg} precision`);
    near(s.recall, want[avg][1], `${avg} recall`);
    near(s.f1, want[avg][2], `${avg} f1`);
  }
  const per = perLabelPrf(yt, yp);
  assert.deepEqual(per.labels, ['cat', 'dog', 'pig']);
  near(per.scores[0].precision, 2 / 3, 'cat precision');
  near(per.scores[0].f1, 0.8, 'cat f1');
  assert.deepEqual(
    per.scores.map((s) => s.support),
    [2, 2, 2],
  );
  near(accuracy(yt, yp), 1 / 3, 'accuracy');
});

test('four-class case with an unpredicted class and zero division', () => {
  const yt = [0, 1, 1, 0, 1, 1, 2, 2, 3];
  const yp = [0, 1, 0, 0, 2, 1, 2, 3, 1];
  const macro = precisionRecallF1(yt, yp, 'macro');
  near(macro.precision, 0.4583333333333333, 'macro P');
  near(macro.recall, 0.5, 'macro R');
  near(macro.f1, 0.46785714285714286, 'macro F');
  const weighted = precisionRecallF1(yt, yp, 'weighted');
  near(weighted.f1, 0.5428571428571429, 'weighted F');
  near(precisionRecallF1(yt, yp, 'micro').f1, 0.5555555555555556, 'micro F');
  const report = classificationReport(yt, yp);
  assert.deepEqual(
    report.perLabel.map((s) => s.support),
    [2, 4, 2, 1],
  );
  near(report.perLabel[1].f1, 0.5714285714285714, 'label 1 F');
  near(report.accuracy, 5 / 9, 'accuracy');
});

test('binary average and explicit labels (absent label scores zero)', () => {
  const b = precisionRecallF1([0, 1, 1, 0, 1], [1, 1, 0, 0, 1], 'binary');
  near(b.precision, 2 / 3, 'binary P');
  near(b.recall, 2 / 3, 'binary R');
  near(
    precisionRecallF1([0, 1, 1, 0, 1], [1, 1, 0, 0, 1], 'macro', { labels: [1, 5] }).f1,
    1 / 3,
    'labels [1,5]',
  );
  assert.throws(() => precisionRecallF1([0, 1, 2], [0, 1, 2], 'binary'), { code: 'LLMK_E_DATA' });
});

test('confusion matrix follows sklearn (rows true, columns predicted)', () => {
  const cm = confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);
  assert.deepEqual(cm.labels, [0, 1, 2]);
  assert.deepEqual(cm.matrix, [
    [2, 0, 0],
    [0, 0, 1],
    [1, 0, 2],
  ]);
});

test('bad input: length mismatch, empty, mixed label types', () => {
  assert.throws(() => accuracy([1, 2], [1]), { code: 'LLMK_E_DATA' });
  assert.throws(() => accuracy([], []), { code: 'LLMK_E_DATA' });
  assert.throws(() => confusionMatrix([1, 'a'], [1, 'a']), { code: 'LLMK_E_DATA' });
});
