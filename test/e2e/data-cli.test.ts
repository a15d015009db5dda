import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'llmk-data-cli-'));

function llmk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'data', ...args, '--progress', 'quiet'],
    { encoding: 'utf8' },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('llmk data import → run (clean, dedup, mask, pack) with a JSON report; --force guards outputs', () => {
  const csv = join(dir, 'in.csv');
  writeFileSync(
    csv,
    'id,text\n1,"Write to a@b.io, ＦＵＬＬ width"\n2,"write to A@B.IO full width"\n3,"Something else, 8.8.8.8"\n',
  );
  const docs = join(dir, 'docs.jsonl');
  const imported = llmk('import', csv, '--format', 'csv', '--output', docs);
  assert.equal(imported.status, 0, imported.stderr);
  assert.equal(JSON.parse(imported.stdout).docsOut, 3);
  const dupIn = join(dir, 'dups.jsonl');
  writeFileSync(
    dupIn,
    '{"text":"Alpha beta gamma delta."}\n{"text":"Something else"}\n{"text":"ALPHA, beta  gamma delta"}\n',
  );
  const clusters = join(dir, 'clusters.jsonl');
  const dedup = llmk('dedup', dupIn, '--output', join(dir, 'dedup.jsonl'), '--clusters', clusters);
  assert.equal(dedup.status, 0, dedup.stderr);
  assert.equal(JSON.parse(dedup.stdout).stages[0].details.clusters, 1);
  assert.deepEqual(JSON.parse(readFileSync(clusters, 'utf8').trim()), { cluster: 0, size: 2, lines: [1, 3] });
  const config = join(dir, 'pipeline.json');
  writeFileSync(
    config,
    JSON.stringify({
      input: docs,
      output: join(dir, 'clean.jsonl'),
      stages: [
        { stage: 'clean' },
        { stage: 'dedup' },
        { stage: 'mask' },
        { stage: 'pack', output: join(dir, 'shards'), valFraction: 0, tokenizer: 'char' },
      ],
    }),
  );
  const run = llmk('run', '--config', config);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(
    report.stages.map((s: { stage: string }) => s.stage),
    ['clean', 'dedup', 'mask', 'pack'],
  );
  assert.deepEqual(report.stages[1].dropped, { exact_duplicate: 1 });
  assert.deepEqual(report.stages[2].details.masked, { EMAIL: 1, IPV4: 1 });
  const out = readFileSync(join(dir, 'clean.jsonl'), 'utf8').trim().split('\n');
  assert.deepEqual(
    out.map((l) => JSON.parse(l).text),
    ['Write to <EMAIL>, FULL width', 'Something else, <IPV4>'],
  );
  const meta = JSON.parse(readFileSync(join(dir, 'shards', 'meta.json'), 'utf8'));
  assert.equal(meta.tokenizer.type, 'char');
  assert.equal(meta.train.docs, 2);
  // A second run refuses to overwrite; --force allows it.
  const again = llmk('run', '--config', config);
  assert.equal(again.status, 2);
  // The shard directory is checked before any work starts.
  assert.match(again.stderr, /LLMK_E_EXISTS: .*shards already exists; pass --force/);
  assert.equal(llmk('run', '--config', config, '--force').status, 0);
});

test('malformed input exits 2 with a typed error naming file and line', () => {
  const missing = llmk('clean', join(dir, 'nope.jsonl'), '--output', join(dir, 'x.jsonl'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /LLMK_E_NOT_FOUND: .*nope\.jsonl: no such file/);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(
    bad,
    Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"'), Buffer.from([0xe4, 0xb8]), Buffer.from('"}\n')]),
  );
  const utf8 = llmk('mask', bad, '--output', join(dir, 'y.jsonl'));
  assert.equal(utf8.status, 2);
  assert.match(utf8.stderr, /LLMK_E_DATA: .*bad\.jsonl:2: invalid UTF-8 at byte 10/);
  const ragged = join(dir, 'ragged.tsv');
  writeFileSync(ragged, 'label\ttext\n1\tfine\n0\ttoo\tmany\n');
  const tsv = llmk('import', ragged, '--format', 'tsv', '--output', join(dir, 'z.jsonl'));
  assert.equal(tsv.status, 2);
  assert.match(tsv.stderr, /ragged\.tsv:3: row has 3 fields, expected 2/);
});
