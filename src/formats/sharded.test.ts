/** Model directories: a single model.safetensors, or model.safetensors.index.json + shards. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LlmkError } from '../errors.js';
import { writeSafetensors } from './safetensors.js';
import { openSafetensorsDir, parseSafetensorsIndex } from './sharded.js';

const root = mkdtempSync(join(tmpdir(), 'llmk-sharded-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

function modelDir(): string {
  const d = join(root, `m${counter++}`);
  mkdirSync(d);
  return d;
}

const vec = (values: number[]) => ({
  dtype: 'F32' as const,
  shape: [values.length],
  data: Float32Array.from(values),
});

/** Two shards as transformers writes them, with the index mapping each tensor to its shard. */
function shardedDir(weightMap?: Record<string, string>): string {
  const d = modelDir();
  writeSafetensors(
    join(d, 'model-00001-of-00002.safetensors'),
    { 'h.0.w': vec([1, 2]), 'h.0.b': vec([3]) },
    { format: 'pt' },
  );
  writeSafetensors(
    join(d, 'model-00002-of-00002.safetensors'),
    { 'h.1.w': vec([4, 5, 6]), 'ln_f.b': vec([7]) },
    { format: 'pt' },
  );
  const map = weightMap ?? {
    'h.0.w': 'model-00001-of-00002.safetensors',
    'h.0.b': 'model-00001-of-00002.safetensors',
    'h.1.w': 'model-00002-of-00002.safetensors',
    'ln_f.b': 'model-00002-of-00002.safetensors',
  };
  writeFileSync(
    join(d, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 28 }, weight_map: map }),
  );
  return d;
}

function expectError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LlmkError, `expected LlmkError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `message '${e.message}' lacks '${f}'`);
    return true;
  });
}

describe('openSafetensorsDir', () => {
  test('a single model.safetensors', () => {
    const d = modelDir();
    writeSafetensors(join(d, 'model.safetensors'), { a: vec([1]), b: vec([2, 3]) });
    const src = openSafetensorsDir(d);
    assert.deepEqual(src.keys(), ['a', 'b']);
    assert.deepEqual(Array.from(src.read('b').data), [2, 3]);
    src.close();
  });

  test('an index and its shards behave as one lazy source', () => {
    const src = openSafetensorsDir(shardedDir());
    assert.deepEqual(src.keys(), ['h.0.b', 'h.0.w', 'h.1.w', 'ln_f.b']);
    assert.ok(src.has('h.1.w') && !src.has('nope'));
    assert.deepEqual(src.info('h.1.w').shape, [3]);
    assert.deepEqual(Array.from(src.read('h.1.w').data), [4, 5, 6]);
    assert.deepEqual(Array.from(src.read('h.0.w').data), [1, 2]);
    assert.deepEqual({ ...src.metadata }, { format: 'pt' });
    expectError(() => src.read('nope'), 'LLMK_E_NOT_FOUND', "'nope'");
    src.close();
  });

  test('tensors a shard holds but the index does not map are not exposed', () => {
    const d = shardedDir({
      'h.0.w': 'model-00001-of-00002.safetensors',
      'h.1.w': 'model-00002-of-00002.safetensors',
    });
    const src = openSafetensorsDir(d);
    assert.deepEqual(src.keys(), ['h.0.w', 'h.1.w']);
    src.close();
  });

  test('an index naming a tensor its shard lacks is LLMK_E_FORMAT', () => {
    const d = shardedDir({ 'h.0.w': 'model-00002-of-00002.safetensors' });
    expectError(() => openSafetensorsDir(d), 'LLMK_E_FORMAT', "'h.0.w'", 'model-00002-of-00002.safetensors');
  });

  test('a missing shard is LLMK_E_NOT_FOUND', () => {
    const d = shardedDir({ 'h.0.w': 'model-00009-of-00009.safetensors' });
    expectError(() => openSafetensorsDir(d), 'LLMK_E_NOT_FOUND', 'model-00009-of-00009.safetensors');
  });

  test('an empty directory is LLMK_E_NOT_FOUND', () => {
    expectError(() => openSafetensorsDir(modelDir()), 'LLMK_E_NOT_FOUND', 'model.safetensors.index.json');
  });
});

describe('parseSafetensorsIndex', () => {
  test('reads total_size and the weight map', () => {
    const idx = parseSafetensorsIndex(
      'i.json',
      '{"metadata":{"total_size":12},"weight_map":{"a":"s1.safetensors"}}',
    );
    assert.equal(idx.totalSize, 12);
    assert.deepEqual([...idx.weightMap], [['a', 's1.safetensors']]);
  });
  for (const [name, text, fragment] of [
    ['invalid JSON', '{', 'not valid JSON'],
    ['no weight_map', '{"metadata":{}}', 'weight_map'],
    ['shard outside the directory', '{"weight_map":{"a":"../x.safetensors"}}', "'a'"],
    ['shard not a string', '{"weight_map":{"a":3}}', "'a'"],
    ['bad total_size', '{"metadata":{"total_size":-1},"weight_map":{}}', 'total_size'],
  ]) {
    test(`rejects ${name}`, () =>
      expectError(() => parseSafetensorsIndex('i.json', text), 'LLMK_E_FORMAT', 'i.json', fragment));
  }
});
