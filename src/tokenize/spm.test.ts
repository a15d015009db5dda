import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tokenizerFromGguf } from './gguf-vocab.js';
import { loadTokenizer } from './load.js';

const spm = tokenizerFromGguf('../shared/data/tokenizer-vectors/llama.cpp/ggml-vocab-llama-spm.gguf');

test('SPM (llama vocabulary): BOS added, byte fallback decodes back, offsets point into the text', async () => {
  const text = 'Hello world 🦙!';
  const enc = await spm.encode(text);
  assert.equal(enc.ids[0], 1);
  assert.deepEqual(enc.ids.slice(1, 3), [15043, 3186]); // llama.cpp vector ids for "Hello world"
  assert.equal(await spm.decode(enc.ids, { skipSpecialTokens: true }), text);
  // With specials kept, the space prefix stays after <s>, as Hugging Face's Llama tokenizer decodes it.
  assert.equal(await spm.decode(enc.ids), `<s> ${text}`);
  assert.deepEqual(
    enc.offsets.slice(1, 3).map(([a, b]) => text.slice(a, b)),
    ['Hello', ' world'],
  );
  assert.deepEqual(enc.wordIds.slice(0, 3), [null, 0, 1]);
});

test('SPM tokenizer saved as JSON loads back with identical ids', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'llmk-spm-')), 'spm.json');
  spm.save(path);
  const back = loadTokenizer(path);
  assert.equal(back.kind, 'spm');
  const text = 'нещо на Български, 3...3 (multiple emojis) 😶‍🌫️';
  assert.deepEqual((await back.encode(text)).ids, (await spm.encode(text)).ids);
});
