import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractSpans, type SpanScheme, spanF1, spanReport } from './spans.js';

// Expected chunks from seqeval's tests/test_scheme.py (test_iob1/iob2/ioe1/ioe2/iobes/bilou_tokens):
// [tags, [[type, start, end], ...]].
type Case = [string[], [string, number, number][]];
const TABLES: Record<string, Case[]> = {
  IOB1: [
    [[], []],
    [['B-PER'], []],
    [['I-PER'], [['PER', 0, 1]]],
    [['O', 'I-PER'], [['PER', 1, 2]]],
    [['O', 'B-PER'], []],
    [['I-PER', 'I-PER'], [['PER', 0, 2]]],
    [
      ['I-PER', 'I-ORG'],
      [
        ['PER', 0, 1],
        ['ORG', 1, 2],
      ],
    ],
    [
      ['I-PER', 'B-PER'],
      [
        ['PER', 0, 1],
        ['PER', 1, 2],
      ],
    ],
    [['I-PER', 'B-ORG'], [['PER', 0, 1]]],
    [['B-PER', 'I-PER'], [['PER', 1, 2]]],
    [['B-PER', 'I-ORG'], [['ORG', 1, 2]]],
    [['B-PER', 'B-PER'], [['PER', 1, 2]]],
    [['B-PER', 'B-ORG'], []],
  ],
  IOB2: [
    [[], []],
    [['B-PER'], [['PER', 0, 1]]],
    [['I-PER'], []],
    [['O', 'I-PER'], []],
    [['O', 'B-PER'], [['PER', 1, 2]]],
    [['I-PER', 'O'], []],
    [['I-PER', 'I-PER'], []],
    [['I-PER', 'I-ORG'], []],
    [['I-PER', 'B-PER'], [['PER', 1, 2]]],
    [['I-PER', 'B-ORG'], [['ORG', 1, 2]]],
    [['B-PER', 'O'], [['PER', 0, 1]]],
    [['B-PER', 'I-PER'], [['PER', 0, 2]]],
    [['B-PER', 'I-ORG'], [['PER', 0, 1]]],
    [
      ['B-PER', 'B-PER'],
      [
        ['PER', 0, 1],
        ['PER', 1, 2],
      ],
    ],
    [
      ['B-PER', 'B-ORG'],
      [
        ['PER', 0, 1],
        ['ORG', 1, 2],
      ],
    ],
    [['B', 'I'], [['_', 0, 2]]],
    [['I-組織'], []],
    [['B-組織'], [['組織', 0, 1]]],
    [['B-ORG-COMPANY', 'I-ORG-COMPANY'], [['ORG-COMPANY', 0, 2]]],
  ],
  IOE1: [
    [['E-PER'], []],
    [['I-PER'], [['PER', 0, 1]]],
    [
      ['I-PER', 'I-ORG'],
      [
        ['PER', 0, 1],
        ['ORG', 1, 2],
      ],
    ],
    [['I-PER', 'E-ORG'], [['PER', 0, 1]]],
    [['E-PER', 'I-PER'], [['PER', 1, 2]]],
    [['E-PER', 'E-PER'], []],
  ],
  IOE2: [
    [['E-PER'], [['PER', 0, 1]]],
    [['I-PER'], []],
    [['I-PER', 'E-PER'], [['PER', 0, 2]]],
    [['I-PER', 'E-ORG'], [['ORG', 1, 2]]],
    [['E-PER', 'I-PER'], [['PER', 0, 1]]],
    [
      ['E-PER', 'E-ORG'],
      [
        ['PER', 0, 1],
        ['ORG', 1, 2],
      ],
    ],
  ],
  IOBES: [
    [['I-PER'], []],
    [['B-PER'], []],
    [['E-PER'], []],
    [['S-PER'], [['PER', 0, 1]]],
    [['O', 'S-PER'], [['PER', 1, 2]]],
    [['I-PER', 'S-PER'], [['PER', 1, 2]]],
    [['B-PER', 'I-PER'], []],
    [['B-PER', 'B-PER'], []],
    [['B-PER', 'E-PER'], [['PER', 0, 2]]],
    [['B-PER', 'E-ORG'], []],
    [['B-PER', 'S-PER'], [['PER', 1, 2]]],
    [['E-PER', 'S-PER'], [['PER', 1, 2]]],
    [['S-PER', 'I-PER'], [['PER', 0, 1]]],
    [['S-PER', 'B-PER'], [['PER', 0, 1]]],
    [['S-PER', 'E-PER'], [['PER', 0, 1]]],
    [
      ['S-PER', 'S-PER'],
      [
        ['PER', 0, 1],
        ['PER', 1, 2],
      ],
    ],
    [['B-PER', 'I-PER', 'I-PER', 'E-PER', 'O'], [['PER', 0, 4]]],
  ],
  BILOU: [
    [['U-PER'], [['PER', 0, 1]]],
    [['B-PER', 'L-PER'], [['PER', 0, 2]]],
    [['B-PER', 'L-ORG'], []],
    [['I-PER', 'U-PER'], [['PER', 1, 2]]],
    [['U-PER', 'L-PER'], [['PER', 0, 1]]],
    [
      ['U-PER', 'U-PER'],
      [
        ['PER', 0, 1],
        ['PER', 1, 2],
      ],
    ],
  ],
};

test('chunking reproduces seqeval strict-mode tables for IOB1, IOB2, IOE1, IOE2, IOBES and BILOU', () => {
  for (const [scheme, cases] of Object.entries(TABLES)) {
    for (const [tags, want] of cases) {
      const got = extractSpans(tags, scheme as SpanScheme).map((s) => [s.type, s.start, s.end]);
      assert.deepEqual(got, want, `${scheme} ${JSON.stringify(tags)}`);
    }
  }
});

test('BMES (M = inside) chunks like BIOES', () => {
  const bmes = ['B-LOC', 'M-LOC', 'E-LOC', 'O', 'S-PER', 'B-ORG', 'M-ORG', 'O'];
  assert.deepEqual(
    extractSpans(bmes, 'BMES').map((s) => [s.type, s.start, s.end]),
    [
      ['LOC', 0, 3],
      ['PER', 4, 5],
    ],
  );
  assert.deepEqual(
    extractSpans(['B-X', 'I-X', 'E-X'], 'BIOES').map((s) => [s.start, s.end]),
    [[0, 3]],
  );
});

test('invalid tags for the scheme are typed errors (seqeval raises too)', () => {
  assert.throws(() => extractSpans(['B-PER', 'E-PER', 'S-PER'], 'IOB2'), { code: 'LLMK_E_DATA' });
  assert.throws(() => extractSpans(['T'], 'IOB2'), { code: 'LLMK_E_DATA' });
  assert.throws(() => extractSpans([''], 'IOB2'), { code: 'LLMK_E_DATA' });
});

test('seqeval README examples: strict mode rejects an I- start; report averages', () => {
  // README "strict mode": the predicted I-NP I-NP is no entity under IOB2, so every score is 0.
  assert.equal(spanF1([['B-NP', 'I-NP', 'O']], [['I-NP', 'I-NP', 'O']], { scheme: 'IOB2' }), 0);
  // README main example: MISC boundary wrong, PER right -> micro/macro/weighted all 0.50.
  const yTrue = [
    ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const yPred = [
    ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
    ['B-PER', 'I-PER', 'O'],
  ];
  const r = spanReport(yTrue, yPred);
  assert.deepEqual(r.types, ['MISC', 'PER']);
  assert.deepEqual(r.perType[0], { precision: 0, recall: 0, f1: 0, support: 1 });
  assert.deepEqual(r.perType[1], { precision: 1, recall: 1, f1: 1, support: 1 });
  for (const avg of [r.micro, r.macro, r.weighted]) {
    assert.equal(avg.f1, 0.5);
    assert.equal(avg.precision, 0.5);
  }
});

test('entities in different sentences never match each other; uneven type counts weight correctly', () => {
  const yTrue = [
    ['B-A', 'O'],
    ['B-A', 'I-A'],
    ['B-B', 'O'],
  ];
  const yPred = [
    ['O', 'B-A'],
    ['B-A', 'I-A'],
    ['B-B', 'O'],
  ];
  const r = spanReport(yTrue, yPred);
  // A: tp 1, pred 2, true 2 -> P = R = F = 0.5; B: all 1. Micro: tp 2, pred 3, true 3.
  assert.deepEqual(r.perType[0], { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  assert.ok(Math.abs(r.micro.f1 - 2 / 3) < 1e-12);
  assert.ok(Math.abs(r.macro.f1 - 0.75) < 1e-12);
  assert.ok(Math.abs(r.weighted.f1 - (0.5 * 2 + 1 * 1) / 3) < 1e-12);
  assert.throws(() => spanReport([['O']], [['O', 'O']]), { code: 'LLMK_E_DATA' });
});
