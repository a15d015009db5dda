/**
 * Our BLEU/chrF against the real sacrebleu (run from source by scripts/golden/sacrebleu_golden.py,
 * fixture test/golden/fixtures/sacrebleu-golden.json) on the Multi30k validation set with a trivial
 * system (copy the English source, score against the German reference) including TER, on Chinese Tatoeba
 * sentences, and on hand-written tokenizer stress strings.
 * Tolerance: n-gram counts and tokenizations must be identical; scores may differ only by float
 * rounding in exp/log (relative 1e-12) and must print identically to 2 decimals.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type BleuOptions,
  type BleuTokenizerName,
  bleuTokenizer,
  type ChrfOptions,
  corpusBleu,
  corpusChrf,
  corpusTer,
  pyFixed,
  readSegments,
  type SmoothMethod,
  sentenceBleu,
  sentenceChrf,
  type TerOptions,
  tercomTokenize,
} from '../../src/eval/index.js';
import { REPO_ROOT, sharedDataPath } from './shared-data.js';

interface BleuEntry {
  options: Record<string, string | number | boolean | null>;
  refs: number;
  score: number;
  counts: number[];
  totals: number[];
  sys_len: number;
  ref_len: number;
  formatted2: string;
}
interface TerEntry {
  options: { normalized?: boolean; no_punct?: boolean; asian_support?: boolean; case_sensitive?: boolean };
  score: number;
  num_edits: number;
  ref_length: number;
}
interface Golden {
  multi30k: {
    bleu: BleuEntry[];
    chrf: { options: Record<string, number | boolean>; score: number }[];
    sentence_bleu: number[];
    sentence_chrf: number[];
    ter: TerEntry[];
  };
  tatoeba_zh: { bleu: BleuEntry[]; ter: TerEntry[] };
  tokenizers: Record<string, { multi30k_val_en_de_sha256: string; tatoeba_zh_sha256: string }>;
  stress: {
    lines: string[];
    bleu_tokenized: Record<string, string[]>;
    tercom_tokenized: Record<string, string[]>;
  };
}

const G = JSON.parse(
  readFileSync(`${REPO_ROOT}/test/golden/fixtures/sacrebleu-golden.json`, 'utf8'),
) as Golden;
const hyp = readSegments(sharedDataPath('multi30k-en-de', 'val.en'));
const ref = readSegments(sharedDataPath('multi30k-en-de', 'val.de'));
const zh = readFileSync(sharedDataPath('tatoeba-cmn-eng', 'cmn.train.txt'), 'utf8')
  .split('\n')
  .slice(0, 3001)
  .map((l) => l.split('\t')[1]);

function closeRel(actual: number, expected: number, what: string): void {
  const tol = 1e-12 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, sacrebleu ${expected}`);
}

function toBleuOptions(o: BleuEntry['options']): BleuOptions {
  const opts: BleuOptions = {};
  if (typeof o.tokenize === 'string') opts.tokenize = o.tokenize as BleuTokenizerName;
  if (typeof o.lowercase === 'boolean') opts.lowercase = o.lowercase;
  if (typeof o.smooth_method === 'string') opts.smoothMethod = o.smooth_method as SmoothMethod;
  if (typeof o.smooth_value === 'number') opts.smoothValue = o.smooth_value;
  if (typeof o.max_ngram_order === 'number') opts.maxNgramOrder = o.max_ngram_order;
  if (typeof o.effective_order === 'boolean') opts.effectiveOrder = o.effective_order;
  return opts;
}

function checkBleu(e: BleuEntry, hyps: string[], refStreams: string[][], label: string): void {
  const s = corpusBleu(hyps, refStreams, toBleuOptions(e.options));
  const what = `${label} ${JSON.stringify(e.options)} refs=${e.refs}`;
  assert.deepEqual([s.sysLen, s.refLen], [e.sys_len, e.ref_len], `${what} lengths`);
  if (e.options.smooth_method !== 'add-k') {
    assert.deepEqual(s.counts, e.counts, `${what} counts`);
    assert.deepEqual(s.totals, e.totals, `${what} totals`);
  }
  closeRel(s.score, e.score, what);
  assert.equal(pyFixed(s.score, 2), e.formatted2, `${what} printed`);
}

test('Multi30k val, copy-the-source system: corpus BLEU equals sacrebleu for every tokenizer, case, smoothing, order', () => {
  for (const e of G.multi30k.bleu) {
    const streams = e.refs === 1 ? [ref] : [ref, hyp.map((x) => x.toLowerCase())];
    checkBleu(e, hyp, streams, 'multi30k');
  }
});

test('Multi30k val: chrF, chrF++ and variants equal sacrebleu', () => {
  for (const e of G.multi30k.chrf) {
    const o = e.options;
    const opts: ChrfOptions = {};
    if (typeof o.word_order === 'number') opts.wordOrder = o.word_order;
    if (typeof o.char_order === 'number') opts.charOrder = o.char_order;
    if (typeof o.beta === 'number') opts.beta = o.beta;
    if (typeof o.whitespace === 'boolean') opts.whitespace = o.whitespace;
    if (typeof o.eps_smoothing === 'boolean') opts.epsSmoothing = o.eps_smoothing;
    if (typeof o.lowercase === 'boolean') opts.lowercase = o.lowercase;
    closeRel(corpusChrf(hyp, [ref], opts).score, e.score, `chrF ${JSON.stringify(o)}`);
  }
});

test('Multi30k val: sentence BLEU (effective order) and sentence chrF equal sacrebleu on all 1014 lines', () => {
  assert.equal(G.multi30k.sentence_bleu.length, hyp.length);
  hyp.forEach((h, i) => {
    closeRel(sentenceBleu(h, [ref[i]]).score, G.multi30k.sentence_bleu[i], `sentence BLEU line ${i}`);
    closeRel(sentenceChrf(h, [ref[i]]).score, G.multi30k.sentence_chrf[i], `sentence chrF line ${i}`);
  });
});

test('Chinese Tatoeba sentences: BLEU with zh, intl, char and 13a tokenizers equals sacrebleu', () => {
  for (const e of G.tatoeba_zh.bleu) checkBleu(e, zh.slice(0, 3000), [zh.slice(1, 3001)], 'tatoeba');
});

test('tokenizers reproduce sacrebleu output exactly on Multi30k, Tatoeba zh and stress strings', () => {
  const sha = (lines: string[]) => createHash('sha256').update(lines.join('\n'), 'utf8').digest('hex');
  for (const [name, want] of Object.entries(G.tokenizers)) {
    const tok = bleuTokenizer(name);
    G.stress.lines.forEach((line, i) => {
      assert.equal(
        tok(line),
        G.stress.bleu_tokenized[name][i],
        `${name} on stress line ${JSON.stringify(line)}`,
      );
    });
    assert.equal(sha([...hyp, ...ref].map(tok)), want.multi30k_val_en_de_sha256, `${name} on Multi30k`);
    assert.equal(sha(zh.map(tok)), want.tatoeba_zh_sha256, `${name} on Tatoeba zh`);
  }
});

function terOptions(o: TerEntry['options']): TerOptions {
  return {
    normalized: o.normalized ?? false,
    noPunct: o.no_punct ?? false,
    asianSupport: o.asian_support ?? false,
    caseSensitive: o.case_sensitive ?? false,
  };
}

test('TER equals sacrebleu on Multi30k val and Chinese Tatoeba, for each Tercom option', () => {
  const runs: [TerEntry[], string[], string[]][] = [
    [G.multi30k.ter, hyp, ref],
    [G.tatoeba_zh.ter, zh.slice(0, 1000), zh.slice(1, 1001)],
  ];
  for (const [entries, h, r] of runs) {
    for (const e of entries) {
      const s = corpusTer(h, [r], terOptions(e.options));
      const what = `TER ${JSON.stringify(e.options)}`;
      assert.equal(s.numEdits, e.num_edits, `${what} edits`);
      assert.equal(s.refLength, e.ref_length, `${what} reference length`);
      closeRel(s.score, e.score, what);
    }
  }
});

test('Tercom tokenizer reproduces sacrebleu on the stress strings for each option set', () => {
  for (const [key, want] of Object.entries(G.stress.tercom_tokenized)) {
    const opts = terOptions(JSON.parse(key) as TerEntry['options']);
    for (const [i, line] of G.stress.lines.entries()) {
      assert.equal(tercomTokenize(line, opts), want[i], `${key} ${JSON.stringify(line)}`);
    }
  }
});
