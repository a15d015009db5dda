import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GPT2_PATTERN } from './bpe-train.js';
import { gpt2PreTokenize } from './pretokenize.js';

test('gpt2PreTokenize gives exactly the pieces of the GPT-2 regex', () => {
  const texts = [
    readFileSync('../shared/data/tokenizer-vectors/llama.cpp/ggml-vocab-gpt-2.gguf.inp', 'utf8'),
    readFileSync('../shared/data/tinyshakespeare/input.txt', 'utf8').slice(0, 100000),
    readFileSync('../shared/data/tokenizer-vectors/cs336-bpe-train/german.txt', 'utf8'),
    "a  b\n\n c   \t\nd 'll'LL ''s x' '", // whitespace backtracking, contractions, trailing apostrophe
    ' 𝔘𝔫𝔦 😁😁 12𝟙 \u3000x\u00a0 ',
    '',
    ' ',
  ];
  for (const text of texts) {
    const pieces: string[] = [];
    gpt2PreTokenize(text, (p) => pieces.push(p));
    assert.deepEqual(
      pieces,
      Array.from(text.matchAll(GPT2_PATTERN), (m) => m[0]),
      text.slice(0, 40),
    );
  }
});
