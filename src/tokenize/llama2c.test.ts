import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { LLAMA2C_BOS, Llama2cTokenizer } from './llama2c.js';
import { SpmTokenizer, TOKEN_TYPE } from './spm.js';

const TOK = '../shared/data/llama2c-stories260K/tok512.bin';
const tok = Llama2cTokenizer.fromFile(TOK);
const expected = readFileSync('../shared/data/llama2c-stories260K/expected_greedy_200steps.txt');

test('tokenizer.bin: 512 tokens, max length 7, special and byte tokens where llama2.c puts them', () => {
  assert.equal(tok.vocabSize, 512);
  assert.equal(tok.maxTokenLength, 7);
  assert.deepEqual(tok.vocab.slice(0, 4), ['<unk>', '\n<s>\n', '\n</s>\n', '<0x00>']);
  assert.equal(tok.vocab[258], '<0xFF>');
  assert.equal(tok.tokenToId(' the'), 265);
  // Re-serialising reproduces the file byte for byte.
  assert.deepEqual(Buffer.from(tok.toBinary()), readFileSync(TOK));
});

test('llama2.c encode agrees with the independent llama.cpp-style SPM merge on the reference story', async () => {
  // Same vocabulary, second algorithm (priority queue + resegmentation, spm.ts): on real text both
  // must give identical ids; the pieces concatenated give back the text.
  const spm = new SpmTokenizer({
    tokens: tok.vocab.map((t, i) => (i >= 3 && i < 259 ? t : t.replaceAll(' ', '\u2581'))),
    scores: tok.scores,
    types: tok.vocab.map((_, i) =>
      i === 0
        ? TOKEN_TYPE.unknown
        : i < 3
          ? TOKEN_TYPE.control
          : i < 259
            ? TOKEN_TYPE.byte
            : TOKEN_TYPE.normal,
    ),
    bosId: 1,
    eosId: 2,
    unkId: 0,
    addBos: true,
    addEos: false,
    addSpacePrefix: true,
  });
  const text = expected.toString('utf8');
  for (const line of [...text.split('\n'), 'Zoë ate 3 naïve 🍎!']) {
    const ours = tok.encodeIds(line, true, false);
    assert.deepEqual(ours, (await spm.encode(line)).ids, line);
  }
  const ids = tok.encodeIds(text, true, false);
  assert.equal(ids[0], LLAMA2C_BOS);
  // Printing pieces the way run.c does (decode + safe_printf) reproduces the reference text exactly.
  const printed: Uint8Array[] = [];
  for (let i = 1; i < ids.length; i++)
    printed.push(Llama2cTokenizer.printable(tok.decodePiece(ids[i - 1], ids[i])));
  assert.deepEqual(Buffer.concat(printed), expected);
});

test('decodePiece mirrors run.c decode(): leading space dropped only after BOS, <0xXX> is the raw byte', () => {
  const once = tok.tokenToId(' Once') as number;
  assert.equal(Buffer.from(tok.decodePiece(LLAMA2C_BOS, once)).toString(), 'Once');
  assert.equal(Buffer.from(tok.decodePiece(once, once)).toString(), ' Once');
  assert.deepEqual(Array.from(tok.decodePiece(once, 3 + 0xf0)), [0xf0]);
  assert.deepEqual(Array.from(Llama2cTokenizer.printable(Uint8Array.of(0x07))), []);
  assert.deepEqual(Array.from(Llama2cTokenizer.printable(Uint8Array.of(0x0a))), [0x0a]);
  // A code point missing from the vocabulary falls back to its UTF-8 bytes (+3), and decodes back.
  const ids = tok.encodeIds('🍎', false, true);
  assert.deepEqual(ids, [tok.tokenToId(' ') as number, 3 + 0xf0, 3 + 0x9f, 3 + 0x8d, 3 + 0x8e, 2]);
});

test('truncated or malformed tokenizer.bin is LLMK_E_FORMAT naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-l2c-'));
  const path = join(dir, 'cut.bin');
  writeFileSync(path, readFileSync(TOK).subarray(0, 3000));
  assert.throws(
    () => Llama2cTokenizer.fromFile(path),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_FORMAT' && e.message.includes('cut.bin'),
  );
});
