import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ByteEncoder, CharEncoder } from './encoders.js';
import { packDocs } from './pack.js';
import { runPipeline, validatePipelineConfig } from './pipeline.js';
import { openShard } from './shards.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-pipeline-'));

const PARAGRAPH =
  'The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the ' +
  'library needs new computers, and that the park should have better lighting. After a long debate, ' +
  'they voted to increase funding for both projects. The mayor thanked everyone for their work and ' +
  'promised to publish the final numbers with the minutes of the meeting next week.';

test('packing: EOS after each document, seeded train/val split, shards roll over, meta.json written', async () => {
  const docs = Array.from({ length: 200 }, (_, i) => ({ text: `doc ${i} é` }));
  const out = join(dir, 'packed');
  const report = await packDocs(docs, out, {
    encoder: new ByteEncoder(),
    valFraction: 0.2,
    seed: 3,
    shardTokens: 500,
  });
  assert.equal(report.train.docs + report.val.docs, 200);
  // 200 draws at p = 0.2: mean 40, sd ≈ 5.7.
  assert.ok(report.val.docs > 20 && report.val.docs < 60, `val docs ${report.val.docs}`);
  assert.ok(report.train.files.length > 1);
  let eos = 0;
  let tokens = 0;
  const decoded: string[] = [];
  for (const f of report.train.files) {
    const shard = openShard(join(out, f));
    assert.equal(shard.eosId, 256);
    tokens += shard.numTokens;
    let start = 0;
    for (let i = 0; i < shard.tokens.length; i++)
      if (shard.tokens[i] === 256) {
        eos++;
        decoded.push(Buffer.from(shard.tokens.subarray(start, i)).toString('utf8'));
        start = i + 1;
      }
  }
  assert.equal(eos, report.train.docs);
  assert.equal(tokens, report.train.tokens);
  assert.equal(decoded[0], 'doc 0 é');
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.tokenizer.type, 'byte');
  assert.equal(meta.train.docs, report.train.docs);
  // Same seed, same split.
  const again = await packDocs(docs, join(dir, 'packed2'), {
    encoder: new ByteEncoder(),
    valFraction: 0.2,
    seed: 3,
    shardTokens: 500,
  });
  assert.equal(again.val.docs, report.val.docs);
  await assert.rejects(packDocs(docs, out, { encoder: new ByteEncoder() }), /LLMK_E_EXISTS/);
});

test('char encoder: sorted vocabulary, EOS after the last character, unknown characters refused', () => {
  const enc = CharEncoder.fromTexts(['hello', '世界']);
  assert.deepEqual(enc.chars, ['e', 'h', 'l', 'o', '世', '界']);
  assert.equal(enc.eosId, 6);
  assert.deepEqual(enc.encode('hole世'), [1, 3, 2, 0, 4]);
  assert.equal(enc.decode(enc.encode('hello世界')), 'hello世界');
  assert.throws(() => enc.encode('x'), /LLMK_E_TOKENIZER/);
});

test('a chained run reports counts in and out per stage and drop reasons, then packs', async () => {
  const input = join(dir, 'in.jsonl');
  const lines = [
    { id: 'a', text: `<p>${PARAGRAPH}</p> Contact: jane@example.org` },
    { id: 'b', text: `${PARAGRAPH.toUpperCase()}   Contact: JANE@EXAMPLE.ORG` }, // exact duplicate after normalisation
    { id: 'c', text: 'too short' },
    { id: 'd', text: '\u200b\u0000 ' },
    {
      id: 'e',
      text: `A different text entirely. ${PARAGRAPH.split(' ').reverse().join(' ')} Call 13812345678 to see the show.`,
    },
  ];
  writeFileSync(input, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const config = validatePipelineConfig(
    {
      input,
      output: join(dir, 'out.jsonl'),
      stages: [
        { stage: 'clean' },
        { stage: 'filter', quality: { minWords: 20 } },
        { stage: 'dedup' },
        { stage: 'mask' },
        { stage: 'pack', output: join(dir, 'shards'), valFraction: 0 },
      ],
    },
    'test',
  );
  const report = await runPipeline(config, { progress: 'quiet' });
  assert.equal(report.docsIn, 5);
  assert.equal(report.docsOut, 2);
  const [clean, filter, dedup, mask, pack] = report.stages;
  assert.deepEqual(
    [clean.stage, filter.stage, dedup.stage, mask.stage, pack.stage],
    ['clean', 'filter', 'dedup', 'mask', 'pack'],
  );
  assert.ok('docsIn' in clean && 'docsIn' in filter && 'docsIn' in dedup && 'docsIn' in mask);
  assert.deepEqual(clean.dropped, { empty_after_clean: 1 });
  assert.deepEqual(filter.dropped, { gopher_short_doc: 1 });
  assert.deepEqual(dedup.dropped, { exact_duplicate: 1 });
  assert.deepEqual([mask.docsIn, mask.docsOut], [2, 2]);
  assert.deepEqual(mask.details?.masked, { EMAIL: 1, PHONE: 1 });
  const out = readFileSync(join(dir, 'out.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    out.map((d) => d.id),
    ['a', 'e'],
  );
  assert.ok(out[0].text.endsWith('Contact: <EMAIL>'));
  assert.ok(!out[0].text.includes('<p>'));
  assert.ok('train' in pack && pack.train.docs === 2);
  assert.deepEqual(readdirSync(join(dir, 'shards')).sort(), ['meta.json', 'train-00000.bin']);
  // Nothing is overwritten without force; no partial file is left behind.
  await assert.rejects(runPipeline(config, { progress: 'quiet' }), /LLMK_E_EXISTS/);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.partial-')).length, 0);
});

test('a failing run leaves no output and no partial file', async () => {
  const input = join(dir, 'broken.jsonl');
  writeFileSync(input, '{"text":"fine"}\n{"text": oops}\n');
  const output = join(dir, 'broken-out.jsonl');
  const config = validatePipelineConfig({ input, output, stages: [{ stage: 'clean' }] }, 'test');
  await assert.rejects(runPipeline(config, { progress: 'quiet' }), /broken\.jsonl:2: invalid JSON/);
  assert.equal(existsSync(output), false);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('broken-out')).length, 0);
});

test('pipeline configs are validated with the offending key named', () => {
  assert.throws(
    () => validatePipelineConfig({ input: 'x', output: 'y', stages: [{ stage: 'scrub' }] }, 'p.json'),
    /LLMK_E_CONFIG: p\.json: stages\[0\]\.stage must be one of/,
  );
  assert.throws(
    () =>
      validatePipelineConfig(
        { input: 'x', output: 'y', stages: [{ stage: 'clean', lowercse: true }] },
        'p.json',
      ),
    /unknown key "lowercse"/,
  );
  assert.throws(
    () =>
      validatePipelineConfig(
        { input: 'x', stages: [{ stage: 'pack', output: 'd' }, { stage: 'clean' }] },
        'p.json',
      ),
    /"pack" must be the last stage/,
  );
  assert.throws(
    () => validatePipelineConfig({ input: 'x', stages: [{ stage: 'clean' }] }, 'p.json'),
    /"output" is required/,
  );
  assert.throws(
    () =>
      validatePipelineConfig(
        { input: 'x', output: 'y', stages: [{ stage: 'mask', types: ['SSN'] }] },
        'p.json',
      ),
    /types must be a list/,
  );
});
