/**
 * rouge-score's own test cases (google-research/rouge/rouge_scorer_test.py, values in
 * ../shared/data/metric-vectors/rouge-score/). The file cases were checked upstream against the
 * official ROUGE-1.5.5 Perl script; upstream compares them to 5 decimal places.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  checkRougeType,
  lcsIndices,
  lcsTable,
  type RougeScore,
  rougeScore,
  summaryLevelLcs,
  unionLcs,
} from '../../src/eval/index.js';
import { readSharedJson, sharedDataPath } from './shared-data.js';

interface InlineCase {
  types: string[];
  target: string;
  prediction: string;
  expect?: Record<string, RougeScore>;
  expect_all_zero?: boolean;
  places?: number;
}
interface FileCase {
  type: string;
  stemmer: boolean;
  line?: number;
  target_file?: string;
  prediction_file?: string;
  recall: number;
  precision: number;
  fmeasure: number;
}
interface Vectors {
  inline_cases: InlineCase[];
  invalid_rouge_types: string[];
  valid_rouge_types: string[];
  file_cases_vs_ROUGE_1_5_5: FileCase[];
  places: number;
  lcs_helpers: {
    lcs_table: {
      ref: number[];
      can: number[];
      lcs_len: number;
      lcs_ref_indices: number[];
      lcs_values: number[];
    };
    lcs_table_none: { ref: number[]; can: number[]; lcs_len: number };
    union_lcs: { ref: number[]; cans: number[][]; union: number[] };
    summary_level_lcs: {
      refs: number[][];
      cans: number[][];
      recall: number;
      precision: number;
      fmeasure_approx3: number;
    };
  };
}

const V = readSharedJson<Vectors>('metric-vectors', 'rouge-score', 'rouge_test_vectors.json');

/** unittest's assertAlmostEqual(a, b, places): round(a - b, places) == 0. */
function almostEqual(actual: number, expected: number, places: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 0.5 * 10 ** -places,
    `${what}: got ${actual}, expected ${expected} to ${places} places`,
  );
}

test('rouge-score inline cases (rouge1/2/L/Lsum, empty and punctuation-only inputs)', () => {
  for (const c of V.inline_cases) {
    const got = rougeScore(c.target, c.prediction, c.types);
    for (const type of c.types) {
      const what = `${type} ${JSON.stringify(c.target)} vs ${JSON.stringify(c.prediction)}`;
      if (c.expect_all_zero) {
        assert.deepEqual(got[type], { precision: 0, recall: 0, fmeasure: 0 }, what);
      } else {
        const e = c.expect![type];
        // Upstream uses assertAlmostEqual's default 7 places unless the case names fewer.
        const places = c.places ?? 7;
        almostEqual(got[type].precision, e.precision, places, `${what} precision`);
        almostEqual(got[type].recall, e.recall, places, `${what} recall`);
        almostEqual(got[type].fmeasure, e.fmeasure, places, `${what} fmeasure`);
      }
    }
  }
});

test('rouge-score valid and invalid rouge types', () => {
  for (const t of V.valid_rouge_types) checkRougeType(t);
  for (const t of V.invalid_rouge_types) {
    assert.throws(() => rougeScore('a', 'a', [t]), { code: 'LLMK_E_ARG' }, t);
  }
});

test('rouge-score file cases agree with ROUGE-1.5.5 to 5 places (with and without Porter stemming)', () => {
  const dir = sharedDataPath('metric-vectors', 'rouge-score');
  const lines = (f: string) => readFileSync(`${dir}/testdata/${f}`, 'utf8').split(/(?<=\n)/);
  const targets = lines('target.txt');
  const predictions = lines('prediction.txt');
  for (const c of V.file_cases_vs_ROUGE_1_5_5) {
    let target: string;
    let prediction: string;
    if (c.line !== undefined) {
      target = targets[c.line];
      prediction = predictions[c.line];
    } else {
      target = readFileSync(`${dir}/${c.target_file}`, 'utf8');
      prediction = readFileSync(`${dir}/${c.prediction_file}`, 'utf8');
    }
    const got = rougeScore(target, prediction, [c.type], { useStemmer: c.stemmer })[c.type];
    const what = `${c.type} stemmer=${c.stemmer} line=${c.line ?? c.target_file}`;
    almostEqual(got.recall, c.recall, V.places, `${what} recall`);
    almostEqual(got.precision, c.precision, V.places, `${what} precision`);
    almostEqual(got.fmeasure, c.fmeasure, V.places, `${what} fmeasure`);
  }
});

test('rouge-score LCS helpers: table, backtracked indices, union LCS, summary-level LCS', () => {
  const h = V.lcs_helpers;
  const t = lcsTable(h.lcs_table.ref, h.lcs_table.can);
  assert.equal(t[h.lcs_table.ref.length][h.lcs_table.can.length], h.lcs_table.lcs_len);
  const idx = lcsIndices(h.lcs_table.ref, h.lcs_table.can);
  assert.deepEqual(idx, h.lcs_table.lcs_ref_indices);
  assert.deepEqual(
    idx.map((i) => h.lcs_table.ref[i]),
    h.lcs_table.lcs_values,
  );
  const none = lcsTable(h.lcs_table_none.ref, h.lcs_table_none.can);
  assert.equal(none[h.lcs_table_none.ref.length][h.lcs_table_none.can.length], h.lcs_table_none.lcs_len);
  assert.deepEqual(unionLcs(h.union_lcs.ref, h.union_lcs.cans), h.union_lcs.union);
  const s = summaryLevelLcs(h.summary_level_lcs.refs, h.summary_level_lcs.cans);
  almostEqual(s.recall, h.summary_level_lcs.recall, 7, 'summary recall');
  almostEqual(s.precision, h.summary_level_lcs.precision, 7, 'summary precision');
  almostEqual(s.fmeasure, h.summary_level_lcs.fmeasure_approx3, 3, 'summary fmeasure');
});
