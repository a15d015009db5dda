/**
 * Every BLEU, chrF and TER case of sacrebleu's own test suite (commit f615c72, extracted verbatim into
 * ../shared/data/metric-vectors/sacrebleu/), run through our implementation with the same call
 * arguments and the same tolerances as upstream (`calls` in the JSON says which call each group uses).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BleuTokenizerName } from '../../src/eval/index.js';
import {
  type BleuOptions,
  computeBleu,
  corpusBleu,
  corpusChrf,
  corpusTer,
  pyFixed,
  type SmoothMethod,
  sentenceBleu,
  sentenceChrf,
} from '../../src/eval/index.js';
import { readSharedJson } from './shared-data.js';

type Streams = string[][];
interface Vectors {
  files: {
    'test/test_bleu.py': {
      EPSILON: number;
      test_raw_bleu_cases: [string[], Streams, number][];
      test_corpus_bleu_cases: [string[], Streams, { tokenize?: string; smooth_method?: string }, number][];
      test_case_offset: [string[], Streams, number, number][];
      test_case_statistics: [string[], Streams, [number[], number[]]][];
      test_case_scoring: [[[number[], number[]], number, number], number][];
      test_case_effective_order: [string[], Streams, number][];
      test_case_degenerate_stats: [[[number[], number[]], number, number], number, number][];
      test_bleu_max_order: [number, string[], Streams, string][];
    };
    'test/test_sentence_bleu.py': {
      EPSILON: number;
      REF: string;
      SYS: string;
      test_cases: [SmoothMethod, number | null, boolean, string, number][];
      REF_0: string;
      SYS_0: string;
      test_cases_zero_bleu: [SmoothMethod, number | null, boolean, string, number][];
    };
    'test/test_ter.py': {
      EPSILON: number;
      test_cases: [string[], string[], number][];
    };
    'test/test_chrf.py': {
      EPSILON: number;
      test_sentence_level_chrf: [string, string[], number][];
      test_cases: [string[], string[], number][];
      test_cases_effective_order: [string[], string[], number][];
      test_cases_keep_whitespace: [string[], string[], number][];
    };
  };
}

const V = readSharedJson<Vectors>('metric-vectors', 'sacrebleu', 'sacrebleu_test_vectors.json');
const B = V.files['test/test_bleu.py'];
const S = V.files['test/test_sentence_bleu.py'];
const C = V.files['test/test_chrf.py'];
const T = V.files['test/test_ter.py'];

/** sacrebleu `raw_corpus_bleu(hyps, refs, smooth_value)`: no tokenization, floor smoothing, effective order. */
function rawCorpusBleu(hyps: string[], refs: Streams, smoothValue?: number): number {
  const opts: BleuOptions = { tokenize: 'none', smoothMethod: 'floor', effectiveOrder: true };
  if (smoothValue !== undefined) opts.smoothValue = smoothValue;
  return corpusBleu(hyps, refs, opts).score / 100;
}

function near(actual: number, expected: number, eps: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) < eps,
    `${what}: got ${actual}, expected ${expected} (tolerance ${eps})`,
  );
}

test('sacrebleu test_raw_bleu cases (tolerance 1e-8, as upstream)', () => {
  for (const [hyps, refs, expected] of B.test_raw_bleu_cases) {
    near(rawCorpusBleu(hyps, refs, 0.01), expected, B.EPSILON, JSON.stringify(hyps));
  }
});

test('sacrebleu test_corpus_bleu cases: tokenizers 13a/none/intl, smoothing none (tolerance 1e-8)', () => {
  for (const [hyps, refs, kwargs, expected] of B.test_corpus_bleu_cases) {
    const opts: BleuOptions = {};
    if (kwargs.tokenize) opts.tokenize = kwargs.tokenize as BleuTokenizerName;
    if (kwargs.smooth_method) opts.smoothMethod = kwargs.smooth_method as SmoothMethod;
    near(corpusBleu(hyps, refs, opts).score, expected, B.EPSILON, JSON.stringify(kwargs));
  }
});

test('sacrebleu test_effective_order cases', () => {
  for (const [hyps, refs, expected] of B.test_case_effective_order) {
    near(rawCorpusBleu(hyps, refs, 0.01), expected, B.EPSILON, JSON.stringify(hyps));
  }
});

test('sacrebleu test_statistics: clipped counts and totals are exact', () => {
  for (const [hyps, refs, [counts, totals]] of B.test_case_statistics) {
    const s = corpusBleu(hyps, refs, {
      tokenize: 'none',
      smoothMethod: 'floor',
      smoothValue: 0.01,
      effectiveOrder: true,
    });
    assert.deepEqual(s.counts, counts);
    assert.deepEqual(s.totals, totals);
  }
});

test('sacrebleu test_scoring: compute_bleu from statistics (tolerance 1e-8)', () => {
  for (const [[[common, total], sysLen, refLen], expected] of B.test_case_scoring) {
    near(computeBleu(common, total, sysLen, refLen).score / 100, expected, B.EPSILON, JSON.stringify(common));
  }
});

test('sacrebleu test_offset: floor smoothing with 0, default (0.1) and omitted value', () => {
  for (const [hyps, refs, withOffset, withoutOffset] of B.test_case_offset) {
    near(rawCorpusBleu(hyps, refs, 0.0), withoutOffset, B.EPSILON, 'offset 0');
    near(rawCorpusBleu(hyps, refs), withOffset, B.EPSILON, 'default offset');
  }
});

test('sacrebleu test_degenerate_statistics: exactly equal', () => {
  for (const [[[common, total], sysLen, refLen], offset, expected] of B.test_case_degenerate_stats) {
    const s = computeBleu(common, total, sysLen, refLen, { smoothMethod: 'floor', smoothValue: offset });
    assert.equal(s.score / 100, expected);
  }
});

test('sacrebleu test_max_ngram_order: printed with two decimals', () => {
  for (const [order, hyps, refs, expected] of B.test_bleu_max_order) {
    assert.equal(pyFixed(corpusBleu(hyps, refs, { maxNgramOrder: order }).score, 2), expected);
  }
});

test('sacrebleu test_sentence_bleu: every smoothing method, tokenizer and lowercase case (tolerance 1e-3)', () => {
  const run = (
    sys: string,
    ref: string,
    cases: Vectors['files']['test/test_sentence_bleu.py']['test_cases'],
  ) => {
    for (const [smoothMethod, smoothValue, lowercase, tok, expected] of cases) {
      const opts: BleuOptions = {
        smoothMethod,
        lowercase,
        tokenize: tok as BleuTokenizerName,
        effectiveOrder: true,
      };
      if (smoothValue !== null) opts.smoothValue = smoothValue;
      near(sentenceBleu(sys, [ref], opts).score, expected, S.EPSILON, JSON.stringify(opts));
    }
  };
  run(S.SYS, S.REF, S.test_cases);
  run(S.SYS_0, S.REF_0, S.test_cases_zero_bleu);
});

test('sacrebleu test_chrf cases with eps smoothing (tolerance 1e-4)', () => {
  for (const [hyps, refs, expected] of C.test_cases) {
    near(
      corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true }).score,
      expected,
      C.EPSILON,
      hyps[0],
    );
  }
});

test('sacrebleu test_chrf effective-order cases (tolerance 1e-4)', () => {
  for (const [hyps, refs, expected] of C.test_cases_effective_order) {
    near(
      corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: false }).score,
      expected,
      C.EPSILON,
      hyps[0],
    );
  }
});

test('sacrebleu test_chrf keep-whitespace cases (tolerance 1e-4)', () => {
  for (const [hyps, refs, expected] of C.test_cases_keep_whitespace) {
    near(
      corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, whitespace: true }).score,
      expected,
      C.EPSILON,
      hyps[0],
    );
  }
});

test('sacrebleu test_sentence_level_chrf (eps smoothing, tolerance 1e-4)', () => {
  for (const [hyp, refs, expected] of C.test_sentence_level_chrf) {
    near(sentenceChrf(hyp, refs, { epsSmoothing: true }).score, expected, C.EPSILON, hyp);
  }
});

test('sacrebleu test_ter cases: corpus TER = 100 * expected (tolerance 1e-3)', () => {
  for (const [hyps, refs, expected] of T.test_cases) {
    near(corpusTer(hyps, [refs]).score, 100 * expected, T.EPSILON, hyps[0]);
  }
});
