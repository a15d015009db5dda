/** `llmk finetune` / `eval` / `predict` end to end on tiny synthetic data, and bad inputs. */
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

const TINY = { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, hiddenDropout: 0 };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-finetune-'));
  // Sentiment decided by one word; 40 lines, `label<TAB>sentence`.
  const rows = ['label\tsentence'];
  for (let i = 0; i < 40; i++)
    rows.push(i % 2 ? `1\tthe film was great fun ${i % 7}` : `0\tthe film was awful dull ${i % 7}`);
  writeFileSync(join(dir, 'train.tsv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'dev.tsv'), 'label\tsentence\n1\tgreat fun\n0\tawful dull\n');
  // NER: names are the capitalised words.
  const sents: string[] = [];
  const names = ['Anna', 'Bob', 'Carl', 'Dora'];
  for (let i = 0; i < 30; i++) {
    const n = names[i % 4];
    sents.push(`${n} B-PER\nmet O\nthe O\nteam O\n`);
  }
  writeFileSync(join(dir, 'train.conll'), sents.join('\n'));
  writeFileSync(join(dir, 'dev.conll'), 'Bob B-PER\nmet O\nthe O\nteam O\n');
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify(TINY));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('classification: finetune from scratch → eval JSON (accuracy, macro_f1) → predict', () => {
  const out = join(dir, 'cls');
  const common = [
    '--steps',
    '60',
    '--eval-interval',
    '30',
    '--lr',
    '3e-3',
    '--vocab-size',
    '60',
    '--batch-size',
    '8',
  ];
  const r = llmk([
    'finetune',
    '--task',
    'classification',
    '--train',
    join(dir, 'train.tsv'),
    '--eval',
    join(dir, 'dev.tsv'),
    '--config',
    join(dir, 'tiny.json'),
    '--output',
    out,
    '--progress',
    'quiet',
    ...common,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim()) as { labels: string[]; best: { accuracy: number } };
  assert.deepEqual(summary.labels, ['0', '1']);
  const e = llmk(['eval', '--model', out, '--data', join(dir, 'dev.tsv'), '--json', join(dir, 'cls.json')]);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /accuracy/);
  const m = JSON.parse(readFileSync(join(dir, 'cls.json'), 'utf8')) as {
    accuracy: number;
    macro_f1: number;
    per_class: unknown[];
  };
  // The label is one word; 60 steps separate it (a broken pipeline stays at 0.5).
  assert.equal(m.accuracy, 1);
  assert.equal(m.macro_f1, 1);
  assert.equal(m.per_class.length, 2);
  const p = llmk(['predict', '--model', out, '--text', 'so great fun', 'awful']);
  assert.equal(p.status, 0, p.stderr);
  const preds = p.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { label: string; score: number });
  assert.deepEqual(
    preds.map((x) => x.label),
    ['1', '0'],
  );
  const empty = llmk(['predict', '--model', out, '--text', '   ']);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /LLMK_E_DATA: input 1: empty text/);
});

test('NER: finetune → eval JSON (f1, precision, recall) → predict entities with offsets', () => {
  const out = join(dir, 'ner');
  const r = llmk([
    'finetune',
    '--task',
    'ner',
    '--train',
    join(dir, 'train.conll'),
    '--eval',
    join(dir, 'dev.conll'),
    '--config',
    join(dir, 'tiny.json'),
    '--case-feature',
    '--output',
    out,
    '--progress',
    'quiet',
    '--steps',
    '60',
    '--eval-interval',
    '30',
    '--lr',
    '3e-3',
    '--vocab-size',
    '60',
    '--batch-size',
    '8',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const e = llmk(['eval', '--model', out, '--data', join(dir, 'dev.conll'), '--json', join(dir, 'ner.json')]);
  assert.equal(e.status, 0, e.stderr);
  const m = JSON.parse(readFileSync(join(dir, 'ner.json'), 'utf8')) as {
    f1: number;
    precision: number;
    recall: number;
  };
  assert.deepEqual([m.f1, m.precision, m.recall], [1, 1, 1]);
  const p = llmk(['predict', '--model', out, '--text', '  Carl met the team']);
  assert.equal(p.status, 0, p.stderr);
  const { entities } = JSON.parse(p.stdout.trim()) as {
    entities: { type: string; text: string; start: number; end: number }[];
  };
  assert.deepEqual(
    entities.map((x) => [x.type, x.text, x.start, x.end]),
    [['PER', 'Carl', 2, 6]],
  );
});

test('bad input: a dev label the training data lacks fails with file and line', () => {
  writeFileSync(join(dir, 'bad.tsv'), 'label\tsentence\n1\tfine\n2\tnew label\n');
  const r = llmk([
    'finetune',
    '--task',
    'classification',
    '--train',
    join(dir, 'train.tsv'),
    '--eval',
    join(dir, 'bad.tsv'),
    '--output',
    join(dir, 'x'),
    '--steps',
    '1',
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.tsv:3: label '2' is not in the label set \(0, 1\)/);
});
