import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/random.js';
import { extractSpans } from './spans.js';
import { decodeTags, tagConstraints } from './tag-decode.js';

const IOB2 = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG'];
const BMES = ['O', 'B-NAME', 'M-NAME', 'E-NAME', 'S-NAME', 'B-ORG', 'E-ORG'];
const log = (rows: number[][]) => rows.map((r) => r.map(Math.log));

test('IOB2: an I- after O becomes the better of B- and O; a valid argmax is kept', () => {
  const c = tagConstraints(IOB2, 'IOB2');
  // argmax per word: O, I-PER, I-PER (invalid start of a chunk)
  const probs = [
    [0.9, 0.02, 0.04, 0.02, 0.02],
    [0.1, 0.35, 0.45, 0.05, 0.05],
    [0.1, 0.05, 0.75, 0.05, 0.05],
  ];
  assert.deepEqual(decodeTags(log(probs), c), [0, 1, 2]);
  const valid = [
    [0.1, 0.8, 0.04, 0.03, 0.03],
    [0.1, 0.05, 0.75, 0.05, 0.05],
  ];
  assert.deepEqual(decodeTags(log(valid), c), [1, 2]);
  assert.deepEqual(decodeTags([], c), []);
});

test('BMES: chunks are closed, typed consistently, and never left open at the end', () => {
  const c = tagConstraints(BMES, 'BMES');
  // argmax: B-NAME, E-ORG (type clash), then B-NAME at the end (never closed)
  const probs = [
    [0.05, 0.6, 0.05, 0.05, 0.05, 0.15, 0.05],
    [0.05, 0.05, 0.05, 0.3, 0.05, 0.05, 0.45],
    [0.3, 0.4, 0.05, 0.05, 0.1, 0.05, 0.05],
  ];
  const path = decodeTags(log(probs), c);
  const tags = path.map((i) => BMES[i]);
  assert.deepEqual(tags, ['B-NAME', 'E-NAME', 'O']);
  assert.deepEqual(extractSpans(tags, 'BMES'), [{ sentence: 0, type: 'NAME', start: 0, end: 2 }]);
});

test('Viterbi equals brute force over every allowed sequence (random scores, IOB2 and BMES)', () => {
  const rng = new Rng(11);
  for (const [labels, scheme] of [
    [IOB2, 'IOB2'],
    [BMES, 'BMES'],
  ] as const) {
    const c = tagConstraints(labels, scheme);
    assert.ok(c);
    const L = labels.length;
    for (let trial = 0; trial < 30; trial++) {
      const W = 1 + rng.nextInt(4);
      const lp = Array.from({ length: W }, () =>
        Array.from({ length: L }, () => Math.log(rng.nextFloat() + 1e-3)),
      );
      let best = -Infinity;
      let bestPath: number[] = [];
      const walk = (w: number, prev: number, acc: number, path: number[]) => {
        if (w === W) {
          if (c.end[prev] && acc > best) [best, bestPath] = [acc, [...path]];
          return;
        }
        for (let l = 0; l < L; l++) {
          if (w === 0 ? !c.start[l] : !c.next[prev][l]) continue;
          walk(w + 1, l, acc + lp[w][l], [...path, l]);
        }
      };
      walk(0, -1, 0, []);
      assert.deepEqual(decodeTags(lp, c), bestPath, `${scheme} trial ${trial}`);
    }
  }
});

test('schemes without constraints decode per word; unknown prefixes act like O', () => {
  assert.equal(tagConstraints(['O', 'I-X'], 'IOB1'), null);
  const lp = log([
    [0.2, 0.8],
    [0.6, 0.4],
  ]);
  assert.deepEqual(decodeTags(lp, null), [1, 0]);
  const c = tagConstraints(['O', 'X-FOO', 'B-A', 'I-A'], 'IOB2');
  assert.ok(c?.start[1] && c.next[0][1] && c.next[1][2] && !c.next[1][3]);
});
