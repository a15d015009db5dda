/** `llmk finetune --adversarial`, `llmk eval --attack` and `llmk explain` end to end on tiny data. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
let dir = '';

function llmk(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-robust-'));
  const rows = ['label\tsentence'];
  for (let i = 0; i < 40; i++)
    rows.push(i % 2 ? `1\tthe film was great fun ${i % 7}` : `0\tthe film was awful dull ${i % 7}`);
  writeFileSync(join(dir, 'train.tsv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 'dev.tsv'),
    'label\tsentence\n1\tthe film was great fun\n0\tthe film was awful dull\n',
  );
  writeFileSync(
    join(dir, 'tiny.json'),
    JSON.stringify({ hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, hiddenDropout: 0 }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('finetune --adversarial pgd → eval --attack typo → explain --output report.html / --json', () => {
  const out = join(dir, 'cls');
  const r = llmk([
    'finetune',
    '--task',
    'classification',
    '--train',
    join(dir, 'train.tsv'),
    '--eval',
    join(dir, 'dev.tsv'),
    '--output',
    out,
    '--config',
    join(dir, 'tiny.json'),
    '--steps',
    '40',
    '--eval-interval',
    '20',
    '--lr',
    '3e-3',
    '--vocab-size',
    '60',
    '--batch-size',
    '8',
    '--adversarial',
    'pgd',
    '--adv-epsilon',
    '0.5',
    '--adv-steps',
    '2',
    '--progress',
    'quiet',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
  assert.equal(summary.steps, 40);

  const json = join(dir, 'attack.json');
  const e = llmk([
    'eval',
    '--model',
    out,
    '--data',
    join(dir, 'train.tsv'),
    '--attack',
    'typo',
    '--attack-rate',
    '0.5',
    '--json',
    json,
  ]);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /attack typo \(rate 0.5, seed 0\)/);
  const report = JSON.parse(readFileSync(json, 'utf8')).attack;
  assert.equal(report.examples, 40);
  // Every sentence has ≥ 4 typable words: round(0.5·n) ≥ 2 words changed in each.
  assert.equal(report.perturbedExamples, 40);
  assert.ok(report.wordsChanged >= 2);
  assert.ok(report.successRate >= 0 && report.successRate <= 1);
  assert.equal(report.clean.accuracy, JSON.parse(readFileSync(json, 'utf8')).accuracy, 'clean = plain eval');
  // Same seed, same attacked accuracy.
  const again = llmk([
    'eval',
    '--model',
    out,
    '--data',
    join(dir, 'train.tsv'),
    '--attack',
    'typo',
    '--attack-rate',
    '0.5',
  ]);
  assert.ok(again.stdout.includes(`attacked ${report.attacked.accuracy.toFixed(4)}`), again.stdout);

  const html = join(dir, 'report.html');
  const x = llmk([
    'explain',
    '--model',
    out,
    '--text',
    'the film was great fun',
    '--output',
    html,
    '--json',
    '--steps',
    '20',
  ]);
  assert.equal(x.status, 0, x.stderr);
  const ex = JSON.parse(x.stdout);
  assert.deepEqual(ex.tokens.slice(0, 1), ['[CLS]']);
  assert.ok(Math.abs(ex.completeness.delta) < 1e-2, `completeness ${ex.completeness.delta}`);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<select id="head">/);
  assert.doesNotMatch(page, /(src|href)=["']?https?:/);

  const bad = llmk(['explain', '--model', out, '--text', 'x', '--target', 'maybe', '--json']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /its labels are: 0, 1/);
});

test('bad input: --adv-epsilon 0, --adv-steps 0 are typed errors before any work', () => {
  for (const [flag, value, msg] of [
    ['--adv-epsilon', '0', /epsilon 0 must be a number > 0/],
    ['--adv-steps', '0', /steps 0 must be an integer ≥ 1/],
  ] as const) {
    const r = llmk([
      'finetune',
      '--task',
      'classification',
      '--train',
      join(dir, 'train.tsv'),
      '--output',
      join(dir, 'never'),
      '--adversarial',
      'pgd',
      flag,
      value,
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /LLMK_E_ARG/);
    assert.match(r.stderr, msg);
  }
});
