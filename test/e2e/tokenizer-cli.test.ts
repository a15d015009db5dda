import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const MAIN = resolve('src/cli/main.ts');
const CORPUS = resolve('../shared/data/tokenizer-vectors/cs336-bpe-train/corpus.en');

function llmk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('llmk tokenizer train/encode/decode: round trip, no overwrite without --force, typed errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-cli-tok-'));
  const out = join(dir, 'tokenizer.json');
  const train = [
    'tokenizer',
    'train',
    CORPUS,
    '--vocab-size',
    '500',
    '--special',
    '<|endoftext|>',
    '-o',
    out,
  ];
  const first = llmk(...train, '--progress', 'quiet');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).model.merges.length, 243);
  assert.deepEqual(readdirSync(dir), ['tokenizer.json']); // no temporary file left behind

  const again = llmk(...train);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /LLMK_E_EXISTS: .*tokenizer\.json already exists; pass --force/);
  assert.equal(llmk(...train, '--force', '--progress', 'quiet').status, 0);

  const enc = llmk('tokenizer', 'encode', '--tokenizer', out, 'the cat<|endoftext|>');
  assert.equal(enc.status, 0, enc.stderr);
  const ids = enc.stdout.trim().split(' ');
  assert.equal(ids.at(-1), '0'); // <|endoftext|> is id 0 and stays one token
  const dec = llmk('tokenizer', 'decode', '--tokenizer', out, ...ids);
  assert.equal(dec.stdout, 'the cat<|endoftext|>\n');

  const json = llmk('tokenizer', 'encode', '--tokenizer', out, '--json', 'Hi');
  assert.deepEqual(JSON.parse(json.stdout).offsets, [
    [0, 1],
    [1, 2],
  ]);

  const lines = join(dir, 'lines.txt');
  writeFileSync(lines, 'the cat\n\nthe cat<|endoftext|>\n');
  const perLine = llmk('tokenizer', 'encode', '--tokenizer', out, '--input', lines);
  assert.deepEqual(perLine.stdout.split('\n'), [ids.slice(0, -1).join(' '), '', ids.join(' '), '']);

  const missing = llmk('tokenizer', 'encode', '--tokenizer', join(dir, 'nope.json'), 'x');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /LLMK_E_NOT_FOUND: tokenizer file .*nope\.json does not exist/);
  assert.equal(existsSync(join(dir, 'nope.json')), false);
});

test('llmk tokenizer encode reads GGUF vocabularies and llama2.c tokenizer.bin directly', () => {
  const spm = llmk(
    'tokenizer',
    'encode',
    '--tokenizer',
    resolve('../shared/data/tokenizer-vectors/llama.cpp/ggml-vocab-llama-spm.gguf'),
    'Hello world',
  );
  assert.equal(spm.stdout, '1 15043 3186\n'); // BOS + the llama.cpp vector ids for "Hello world"
  const l2c = llmk(
    'tokenizer',
    'encode',
    '--tokenizer',
    resolve('../shared/data/llama2c-stories260K/tok512.bin'),
    'Once upon a time',
  );
  assert.equal(l2c.stdout, '1 403 407 261 378\n');
});
