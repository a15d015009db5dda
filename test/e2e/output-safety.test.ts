/**
 * "Nothing lost": every command that writes refuses an existing output without --force, --force
 * replaces only what the command itself writes, outputs holding an input are refused, and
 * degenerate inputs fail with a typed error instead of "succeeding" (issue 12). Each case here
 * failed (data loss, exit 0, or a raw stack trace) before src/formats/output.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
let dir = '';

function llmk(args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, LLMK_PROGRESS: 'quiet' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder of the user's own files that no --force may touch. */
function userDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'thesis.txt'), 'years of work');
  return d;
}

const intact = (d: string): void =>
  assert.equal(readFileSync(join(d, 'thesis.txt'), 'utf8'), 'years of work');
const noDebris = (d: string): void =>
  assert.deepEqual(
    readdirSync(d).filter((f) => /\.(partial|tmp|old)-\d+$/.test(f)),
    [],
    `debris in ${d}: ${readdirSync(d).join(', ')}`,
  );

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmk-output-safety-'));
  const rows = ['label\tsentence'];
  for (let i = 0; i < 40; i++)
    rows.push(i % 2 ? `1\tthe film was great fun ${i % 7}` : `0\tthe film was awful dull ${i % 7}`);
  writeFileSync(join(dir, 'train.tsv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'docs.jsonl'), '{"text":"hello world"}\n{"text":"second doc"}\n');
  writeFileSync(
    join(dir, 'tiny.json'),
    JSON.stringify({ hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

const FT = [
  'finetune',
  '--task',
  'classification',
  '--vocab-size',
  '60',
  '--batch-size',
  '8',
  '--progress',
  'quiet',
];

test('finetune --output onto an existing directory: refused, then --force refuses a non-model directory; the training file survives', () => {
  // Before: the existing directory was deleted wholesale, training file included (exit 0).
  const own = userDir('ft-own');
  writeFileSync(join(own, 'train.tsv'), readFileSync(join(dir, 'train.tsv')));
  const r1 = llmk([...FT, '--train', join(own, 'train.tsv'), '--output', own, '--steps', '2']);
  assert.equal(r1.status, 2, r1.stderr);
  assert.match(r1.stderr, /LLMK_E_ARG: --output .*ft-own is or contains the input/);
  const r2 = llmk([...FT, '--train', join(dir, 'train.tsv'), '--output', own, '--steps', '2']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /LLMK_E_EXISTS: .*ft-own already exists; pass --force/);
  const r3 = llmk([...FT, '--train', join(dir, 'train.tsv'), '--output', own, '--steps', '2', '--force']);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /LLMK_E_EXISTS: .*not a directory llmk wrote/);
  intact(own);
  assert.ok(existsSync(join(own, 'train.tsv')));
});

test('finetune --force replaces its own model directory; --json is refused without --force', () => {
  const out = join(dir, 'ft-model');
  const args = [
    ...FT,
    '--train',
    join(dir, 'train.tsv'),
    '--config',
    join(dir, 'tiny.json'),
    '--steps',
    '2',
    '--eval-interval',
    '1',
  ];
  const r1 = llmk([...args, '--output', out]);
  assert.equal(r1.status, 0, r1.stderr);
  assert.ok(existsSync(join(out, 'model.safetensors')));
  const r2 = llmk([...args, '--output', out]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /LLMK_E_EXISTS/);
  const json = join(dir, 'ft.json');
  writeFileSync(json, 'keep');
  const r3 = llmk([...args, '--output', out, '--force', '--json', json]);
  assert.equal(r3.status, 0, r3.stderr);
  assert.ok(existsSync(join(out, 'model.safetensors')));
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).task, 'classification');
  writeFileSync(json, 'keep');
  const r4 = llmk([...args, '--output', join(dir, 'ft-model-2'), '--json', json]);
  assert.equal(r4.status, 2);
  assert.match(r4.stderr, /LLMK_E_EXISTS: .*ft\.json already exists; pass --force .*--json/);
  assert.equal(readFileSync(json, 'utf8'), 'keep');
  noDebris(dir);
});

test('finetune --steps 0 and a label the data lacks: typed errors naming the fix (the --labels flag exists)', () => {
  const r1 = llmk([...FT, '--train', join(dir, 'train.tsv'), '--output', join(dir, 'ft-0'), '--steps', '0']);
  assert.equal(r1.status, 2);
  assert.match(
    r1.stderr,
    /LLMK_E_ARG: --steps 0 is out of range: it must be an integer ≥ 1; .*e\.g\. --steps 1000/,
  );
  writeFileSync(join(dir, 'dev3.tsv'), 'label\tsentence\n2\tso so\n');
  const base = [
    ...FT,
    '--train',
    join(dir, 'train.tsv'),
    '--eval',
    join(dir, 'dev3.tsv'),
    '--config',
    join(dir, 'tiny.json'),
    '--steps',
    '1',
  ];
  const r2 = llmk([...base, '--output', join(dir, 'ft-l')]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /label '2' is not in the label set .*--labels/);
  const r3 = llmk([...base, '--output', join(dir, 'ft-l'), '--labels', '0,1,2']);
  assert.equal(r3.status, 0, r3.stderr);
  assert.deepEqual(JSON.parse(r3.stdout.trim().split('\n').at(-1) as string).labels, ['0', '1', '2']);
});

test('convert onto an existing HF directory or .gguf: refused without --force; --force never replaces foreign files', () => {
  const own = userDir('conv-own');
  const r1 = llmk(['convert', '--from', 'llama2c', '--to', 'hf', join(dir, 'missing.bin'), own]);
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /LLMK_E_EXISTS: .*conv-own already exists; pass --force .*OUT/);
  const r2 = llmk(['convert', '--from', 'llama2c', '--to', 'hf', join(dir, 'missing.bin'), own, '--force']);
  assert.match(r2.stderr, /LLMK_E_EXISTS: .*not a directory llmk wrote/);
  intact(own);
  const gguf = join(dir, 'model.gguf');
  writeFileSync(gguf, 'precious');
  const r3 = llmk(['convert', '--from', 'hf', '--to', 'gguf', join(dir, 'ft-model'), gguf]);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /LLMK_E_EXISTS: .*model\.gguf already exists/);
  assert.equal(readFileSync(gguf, 'utf8'), 'precious');
});

test('pretrain --objective mlm --output onto an existing directory: refused before any work', () => {
  const own = userDir('mlm-own');
  writeFileSync(join(dir, 'mlm.txt'), 'a b c d e f\n'.repeat(20));
  const r = llmk([
    'pretrain',
    '--objective',
    'mlm',
    '--train',
    join(dir, 'mlm.txt'),
    '--output',
    own,
    '--steps',
    '1',
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /LLMK_E_EXISTS: .*mlm-own already exists; pass --force/);
  const r2 = llmk([
    'pretrain',
    '--objective',
    'mlm',
    '--train',
    join(dir, 'mlm.txt'),
    '--output',
    own,
    '--force',
  ]);
  assert.match(r2.stderr, /not a directory llmk wrote/);
  intact(own);
});

test('data --force never removes a foreign tree; outputs that are or hold the input, "." and a directory for a file are typed errors', () => {
  const own = userDir('data-own');
  // Before: `data clean -o DIR --force` / `data pack -o DIR --force` ran rm -rf on DIR.
  const clean = llmk(['data', 'clean', join(dir, 'docs.jsonl'), '-o', own, '--force', '--progress', 'quiet']);
  assert.equal(clean.status, 2);
  assert.match(clean.stderr, /LLMK_E_ARG: --output .*data-own is a directory, and a file is written here/);
  const pack = llmk(['data', 'pack', join(dir, 'docs.jsonl'), '-o', own, '--force', '--progress', 'quiet']);
  assert.equal(pack.status, 2);
  assert.match(pack.stderr, /LLMK_E_EXISTS: .*not a directory llmk wrote/);
  intact(own);
  const holder = join(dir, 'holder');
  mkdirSync(holder);
  writeFileSync(join(holder, 'in.jsonl'), '{"text":"abc"}\n');
  const r = llmk(['data', 'pack', join(holder, 'in.jsonl'), '-o', holder, '--force', '--progress', 'quiet']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is or contains the input/);
  assert.ok(existsSync(join(holder, 'in.jsonl')));
  const dot = llmk(['data', 'pack', 'in.jsonl', '-o', '.', '--force', '--progress', 'quiet'], holder);
  assert.equal(dot.status, 2);
  assert.match(dot.stderr, /LLMK_E_ARG: --output \. is the current directory/);
  const same = llmk([
    'data',
    'clean',
    join(holder, 'in.jsonl'),
    '-o',
    join(holder, 'in.jsonl'),
    '--force',
    '--progress',
    'quiet',
  ]);
  assert.equal(same.status, 2);
  assert.match(same.stderr, /is or contains the input/);
  // --force does replace the command's own outputs: a shard directory and a JSONL file.
  const shards = join(dir, 'shards');
  assert.equal(
    llmk(['data', 'pack', join(dir, 'docs.jsonl'), '-o', shards, '--progress', 'quiet']).status,
    0,
  );
  const again = llmk([
    'data',
    'pack',
    join(dir, 'docs.jsonl'),
    '-o',
    shards,
    '--force',
    '--progress',
    'quiet',
    '--val-fraction',
    '0',
  ]);
  assert.equal(again.status, 0, again.stderr);
  noDebris(dir);
});

test('data: --report is refused without --force; a missing output directory is created', () => {
  const report = join(dir, 'report.json');
  writeFileSync(report, 'keep');
  const out = join(dir, 'new', 'deeper', 'clean.jsonl');
  const r1 = llmk([
    'data',
    'clean',
    join(dir, 'docs.jsonl'),
    '-o',
    out,
    '--report',
    report,
    '--progress',
    'quiet',
  ]);
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /LLMK_E_EXISTS: .*report\.json already exists; pass --force .*--report/);
  assert.equal(readFileSync(report, 'utf8'), 'keep');
  assert.equal(existsSync(out), false, 'refused before any work');
  // Before: ENOENT stack trace for a missing parent directory.
  const r2 = llmk([
    'data',
    'clean',
    join(dir, 'docs.jsonl'),
    '-o',
    out,
    '--report',
    report,
    '--force',
    '--progress',
    'quiet',
  ]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(readFileSync(out, 'utf8').split('\n').filter(Boolean).length, 2);
  assert.equal(JSON.parse(readFileSync(report, 'utf8')).docsOut, 2);
});

test('data pack: an empty input and a broken JSON line are typed errors that leave no output and no debris', () => {
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  const out = join(dir, 'empty-shards');
  // Before: exit 0 with a meta.json and no shard.
  const r = llmk(['data', 'pack', empty, '-o', out, '--progress', 'quiet']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /LLMK_E_DATA: no documents to pack/);
  assert.equal(existsSync(out), false);
  const broken = join(dir, 'broken.jsonl');
  writeFileSync(broken, `${'{"text":"fine line of text"}\n'.repeat(2000)}{"text": oops\n`);
  const r2 = llmk(['data', 'pack', broken, '-o', join(dir, 'broken-shards'), '--progress', 'quiet']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /LLMK_E_/);
  assert.equal(existsSync(join(dir, 'broken-shards')), false);
  noDebris(dir);
});

test('tokenizer train: an empty file is an error; a too-small corpus warns; an existing output needs --force', () => {
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  // Before: exit 0 with a 256-token vocabulary when 300 was asked.
  const r = llmk([
    'tokenizer',
    'train',
    empty,
    '-o',
    join(dir, 'tok.json'),
    '--vocab-size',
    '300',
    '--progress',
    'quiet',
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /LLMK_E_DATA: no training text: .*empty\.txt is empty/);
  writeFileSync(join(dir, 'small.txt'), 'ab ab ab\n');
  const r2 = llmk([
    'tokenizer',
    'train',
    join(dir, 'small.txt'),
    '-o',
    join(dir, 'tok.json'),
    '--vocab-size',
    '300',
    '--progress',
    'quiet',
  ]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stderr, /warning: the vocabulary has \d+ tokens, fewer than --vocab-size 300/);
  const r3 = llmk([
    'tokenizer',
    'train',
    join(dir, 'small.txt'),
    '-o',
    join(dir, 'tok.json'),
    '--progress',
    'quiet',
  ]);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /LLMK_E_EXISTS: .*tok\.json already exists; pass --force/);
  const bad = llmk([
    'tokenizer',
    'train',
    join(dir, 'small.txt'),
    '-o',
    join(dir, 'tok2.json'),
    '--vocab-size',
    'many',
  ]);
  assert.match(
    bad.stderr,
    /LLMK_E_ARG: --vocab-size 'many' is not a whole number; use an integer ≥ 1, e\.g\. --vocab-size 32000/,
  );
});

test('pretrain: --steps 0 and an empty training file are typed errors', () => {
  writeFileSync(join(dir, 'empty-pt.txt'), '');
  const base = [
    'pretrain',
    '--n-ctx',
    '16',
    '--n-layer',
    '1',
    '--n-head',
    '2',
    '--n-embd',
    '16',
    '--runs',
    join(dir, 'runs'),
  ];
  const r = llmk([...base, '--train', join(dir, 'empty-pt.txt'), '--name', 'e']);
  assert.equal(r.status, 2);
  // Before: the tokenizer's "vocabSize Too small".
  assert.match(r.stderr, /LLMK_E_DATA: training file .*empty-pt\.txt is empty/);
  writeFileSync(join(dir, 'pt.txt'), 'to be or not to be '.repeat(50));
  const r2 = llmk([...base, '--train', join(dir, 'pt.txt'), '--steps', '0', '--name', 'z']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /LLMK_E_CONFIG: trainer\.steps is 0/);
  assert.equal(existsSync(join(dir, 'runs', 'z')), false);
});

test('generate -n abc names -n and suggests an integer, never --max-tokens 0.8', () => {
  const r = llmk(['generate', '-m', join(dir, 'ft-model'), '-n', 'abc']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /LLMK_E_ARG: -n 'abc' is not a whole number; use an integer ≥ 1, e\.g\. -n 64/);
});

test('a directory given as an input is a typed error naming it, for every reader (before: EISDIR stack traces)', () => {
  const d = join(dir, 'a-dir');
  mkdirSync(d, { recursive: true });
  for (const args of [
    ['data', 'clean', d, '-o', join(dir, 'o.jsonl'), '--progress', 'quiet'],
    ['data', 'pack', d, '-o', join(dir, 'o-shards'), '--progress', 'quiet'],
    ['tokenizer', 'train', d, '-o', join(dir, 'o.json'), '--progress', 'quiet'],
    ['finetune', '--task', 'classification', '--train', d, '--output', join(dir, 'o-model')],
    [
      'pretrain',
      '--train',
      d,
      '--n-ctx',
      '8',
      '--n-layer',
      '1',
      '--n-head',
      '1',
      '--n-embd',
      '8',
      '--runs',
      join(dir, 'runs'),
    ],
  ]) {
    const r = llmk(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(
      r.stderr,
      /^error LLMK_E_ARG: .*a-dir is a directory, and a file is read here/m,
      args.join(' '),
    );
  }
});
