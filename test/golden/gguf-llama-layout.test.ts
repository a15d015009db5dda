/**
 * The GGUF llmk writes for a Llama carries every metadata key, with the same value type, that
 * llama.cpp's own converter wrote into its reference Llama vocabulary file
 * (../shared/data/tokenizer-vectors/llama.cpp/ggml-vocab-llama-spm.gguf, from llama.cpp's models/).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readGguf } from '../../src/formats/gguf.js';
import { llamaToGguf } from '../../src/models/llama/gguf.js';
import { Llama } from '../../src/models/llama/model.js';
import { loadModel } from '../../src/models/load.js';
import { createEngine } from '../../src/tensor/create.js';
import { Llama2cTokenizer } from '../../src/tokenize/llama2c.js';
import { REPO_ROOT, sharedDataPath } from './shared-data.js';

test('llmk GGUF metadata has llama.cpp’s keys and value types (Llama, SentencePiece vocabulary)', () => {
  const fixtures = join(REPO_ROOT, 'test', 'golden', 'fixtures', 'llama2c-stories260K');
  const loaded = loadModel(createEngine({ backend: 'reference' }), join(fixtures, 'stories260K.bin'), {
    tokenizer: join(fixtures, 'tok512.bin'),
  });
  assert.ok(loaded.model instanceof Llama && loaded.tokenizer instanceof Llama2cTokenizer);
  const path = join(mkdtempSync(join(tmpdir(), 'llmk-gguf-layout-')), 'stories.gguf');
  writeFileSync(path, llamaToGguf(loaded.model, { type: 'q8_0', tokenizer: loaded.tokenizer }));
  const ours = readGguf(path).metadata;
  const reference = readGguf(
    sharedDataPath('tokenizer-vectors', 'llama.cpp', 'ggml-vocab-llama-spm.gguf'),
  ).metadata;
  for (const [key, v] of reference) {
    const mine = ours.get(key);
    assert.ok(mine, `missing metadata key ${key}`);
    assert.equal(mine.type, v.type, key);
    if (v.type === 'array' && mine.type === 'array') assert.equal(mine.itemType, v.itemType, key);
  }
  // The special tokens and their types are where llama.cpp puts them.
  const tokens = ours.get('tokenizer.ggml.tokens');
  const types = ours.get('tokenizer.ggml.token_type');
  assert.ok(tokens?.type === 'array' && types?.type === 'array');
  assert.deepEqual((tokens.value as string[]).slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
  assert.deepEqual((types.value as number[]).slice(0, 4), [2, 3, 3, 6]);
});
