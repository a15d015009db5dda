/**
 * llama.cpp's tokenizer test vectors (tests/test-tokenizer-0): every input of each `.inp` must encode
 * (no BOS/EOS, special tokens not parsed) to exactly the ids on the matching line of `.out`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { tokenizerFromGguf } from '../../src/tokenize/gguf-vocab.js';
import { tokenizerFromGpt2Files } from '../../src/tokenize/load.js';

const DIR = '../shared/data/tokenizer-vectors/llama.cpp';

export function readVectors(name: string): { input: string; ids: number[] }[] {
  const inp = readFileSync(`${DIR}/ggml-vocab-${name}.gguf.inp`, 'utf8').split('\n__ggml_vocab_test__\n');
  inp.pop(); // the file ends with the separator
  const out = readFileSync(`${DIR}/ggml-vocab-${name}.gguf.out`, 'utf8').split('\n');
  if (out.at(-1) === '') out.pop();
  assert.equal(inp.length, out.length, `${name}: .inp and .out disagree on the number of cases`);
  return inp.map((input, i) => ({
    input,
    ids: out[i].trim() === '' ? [] : out[i].trim().split(/\s+/).map(Number),
  }));
}

for (const name of ['gpt-2', 'bert-bge', 'llama-spm']) {
  test(`llama.cpp vectors: ${name} matches every expected id sequence`, async () => {
    const tok = tokenizerFromGguf(`${DIR}/ggml-vocab-${name}.gguf`);
    const cases = readVectors(name);
    assert.equal(cases.length, 46);
    const failures: string[] = [];
    for (const { input, ids } of cases) {
      const enc = await tok.encode(input, undefined, { addSpecialTokens: false });
      if (JSON.stringify(enc.ids) !== JSON.stringify(ids)) {
        failures.push(`${JSON.stringify(input)}: got ${enc.ids.join(' ')} expected ${ids.join(' ')}`);
      }
    }
    assert.equal(
      failures.length,
      0,
      `${failures.length}/${cases.length} differ, first: ${failures.slice(0, 3).join('\n')}`,
    );
  });
}

test('llama.cpp vectors: GPT-2 built from OpenAI encoder.json + vocab.bpe matches every gpt-2 sequence', async () => {
  const tok = tokenizerFromGpt2Files(
    '../shared/data/tokenizer-vectors/gpt2-bpe/encoder.json',
    '../shared/data/tokenizer-vectors/gpt2-bpe/vocab.bpe',
  );
  let matched = 0;
  const cases = readVectors('gpt-2');
  for (const { input, ids } of cases) {
    const enc = await tok.encode(input, undefined, { addSpecialTokens: false });
    if (JSON.stringify(enc.ids) === JSON.stringify(ids)) matched++;
  }
  assert.equal(matched, cases.length);
});
