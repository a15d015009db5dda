/**
 * `llmk metrics` end to end, run from source: scores on the Multi30k validation set (copy-the-source
 * system) must equal the sacrebleu values in the golden fixture, and bad input must fail with a
 * typed error naming the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, sharedDataPath } from '../golden/shared-data.js';

const HYP = sharedDataPath('multi30k-en-de', 'val.en');
const REF = sharedDataPath('multi30k-en-de', 'val.de');
const golden = JSON.parse(
  readFileSync(`${REPO_ROOT}/test/golden/fixtures/sacrebleu-golden.json`, 'utf8'),
) as {
  multi30k: {
    ter: { options: Record<string, unknown>; score: number }[];
    bleu: { options: Record<string, unknown>; refs: number; score: number }[];
    chrf: { options: Record<string, unknown>; score: number }[];
  };
};
const tmp = mkdtempSync(join(tmpdir(), 'llmk-metrics-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function llmk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

test('llmk metrics bleu on Multi30k val prints what sacrebleu prints and the same score in JSON', () => {
  const text = llmk('metrics', 'bleu', '--hyp', HYP, '--ref', REF);
  assert.equal(text.status, 0, text.stderr);
  // sacrebleu's BLEUScore.format(width=2) line for this corpus, with our signature in front.
  assert.equal(
    text.stdout.trim(),
    'BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp = 0.49 10.6/0.3/0.2/0.1 (BP = 1.000 ratio = 1.036 hyp_len = 13289 ref_len = 12825)',
  );
  const want = golden.multi30k.bleu.find(
    (e) => e.refs === 1 && e.options.tokenize === '13a' && e.options.lowercase === false,
  )!;
  const json = JSON.parse(llmk('metrics', 'bleu', '--hyp', HYP, '--ref', REF, '--json').stdout) as {
    score: number;
  };
  assert.ok(Math.abs(json.score - want.score) < 1e-12, `${json.score} vs sacrebleu ${want.score}`);
  const intl = JSON.parse(
    llmk('metrics', 'bleu', '--hyp', HYP, '--ref', REF, '--tokenize', 'intl', '--json').stdout,
  ) as { score: number };
  const wantIntl = golden.multi30k.bleu.find(
    (e) => e.options.tokenize === 'intl' && e.options.lowercase === false,
  )!;
  assert.ok(Math.abs(intl.score - wantIntl.score) < 1e-12);
});

test('llmk metrics chrf / chrF++ equal sacrebleu; two --ref files are two reference streams', () => {
  const chrf = JSON.parse(llmk('metrics', 'chrf', '--hyp', HYP, '--ref', REF, '--json').stdout) as {
    score: number;
    name: string;
  };
  assert.equal(chrf.name, 'chrF2');
  assert.ok(Math.abs(chrf.score - golden.multi30k.chrf[0].score) < 1e-12);
  const pp = JSON.parse(
    llmk('metrics', 'chrf', '--hyp', HYP, '--ref', REF, '--word-order', '2', '--json').stdout,
  ) as { score: number; name: string };
  assert.equal(pp.name, 'chrF2++');
  assert.ok(Math.abs(pp.score - golden.multi30k.chrf[1].score) < 1e-12);
  const lower = file('lower.en', `${readFileSync(HYP, 'utf8').toLowerCase()}`);
  const two = JSON.parse(
    llmk('metrics', 'bleu', '--hyp', HYP, '--ref', REF, '--ref', lower, '--json').stdout,
  ) as { score: number };
  const want = golden.multi30k.bleu.find((e) => e.refs === 2)!;
  assert.ok(Math.abs(two.score - want.score) < 1e-12);
});

test('llmk metrics ter (--no-punct) equals sacrebleu TER(no_punct=True)', () => {
  const out = JSON.parse(
    llmk('metrics', 'ter', '--hyp', HYP, '--ref', REF, '--no-punct', '--json').stdout,
  ) as { score: number };
  const want = golden.multi30k.ter.find(
    (e) => e.options.no_punct === true && Object.keys(e.options).length === 1,
  )!;
  assert.ok(Math.abs(out.score - want.score) < 1e-12, `${out.score} vs sacrebleu ${want.score}`);
});

test('llmk metrics rouge: identical files score 1, bootstrap interval is reported', () => {
  const r = JSON.parse(
    llmk('metrics', 'rouge', '--hyp', HYP, '--ref', HYP, '--json', '--types', 'rouge1,rougeLsum').stdout,
  ) as {
    mean: Record<string, { fmeasure: number }>;
  };
  assert.equal(r.mean.rouge1.fmeasure, 1);
  assert.equal(r.mean.rougeLsum.fmeasure, 1);
  const text = llmk('metrics', 'rouge', '--hyp', HYP, '--ref', REF, '--bootstrap', '100', '--stem');
  assert.equal(text.status, 0, text.stderr);
  assert.match(
    text.stdout,
    /^rouge1: P = [\d.]+ R = [\d.]+ F = [\d.]+ \(F 95% CI [\d.]+-[\d.]+, median [\d.]+\)$/m,
  );
});

test('bad input through the CLI: line counts differ, empty file, unknown tokenizer -> typed error, exit 2', () => {
  // The library tests (src/eval/textFiles.test.ts) cover every error; here the CLI's exit code and stderr.
  const h = file('h.txt', 'a b c\nd e f\n');
  const r = file('r.txt', 'a b c\n');
  const empty = file('empty.txt', '');
  const cases: [string[], string, string[]][] = [
    [['bleu', '--hyp', h, '--ref', r], 'LLMK_E_DATA', [h, r, '2 lines', 'has 1']],
    [['rouge', '--hyp', h, '--ref', empty], 'LLMK_E_DATA', [empty, 'empty']],
    [['bleu', '--hyp', h, '--ref', h, '--tokenize', 'ja-mecab'], 'LLMK_E_ARG', ['ja-mecab']],
  ];
  for (const [args, code, mentions] of cases) {
    const out = llmk('metrics', ...args);
    assert.equal(out.status, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.ok(out.stderr.includes(code), `${args.join(' ')}: ${out.stderr}`);
    for (const m of mentions)
      assert.ok(out.stderr.includes(m), `${args.join(' ')} should mention ${m}: ${out.stderr}`);
  }
});
