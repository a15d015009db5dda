import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const MAIN = resolve('src/cli/main.ts');
const FIXTURES = resolve('test/golden/fixtures/llama2c-stories260K');
const MODEL = join(FIXTURES, 'stories260K.bin');
const TOKENIZER = join(FIXTURES, 'tok512.bin');

function llmk(...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args]);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

test('llmk generate on stories260K (greedy, 200 steps, from BOS): stdout is llama2.c run output, byte for byte', () => {
  const r = llmk('generate', '--model', MODEL, '--tokenizer', TOKENIZER, '-t', '0', '-n', '200');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(
    r.stdout.equals(readFileSync(join(FIXTURES, 'expected_greedy_200steps.txt'))),
    r.stdout.toString(),
  );
  assert.match(r.stderr, /200 tokens in .* tok\/s/); // stats on stderr only
});

test('llmk convert llama2c → gguf q8_0, then llmk inspect prints the tensor table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-cli-interop-'));
  const gguf = join(dir, 'q8.gguf');
  const conv = llmk(
    'convert',
    '--from',
    'llama2c',
    '--to',
    'gguf',
    '--type',
    'q8_0',
    '--tokenizer',
    TOKENIZER,
    MODEL,
    gguf,
  );
  assert.equal(conv.status, 0, conv.stderr);
  assert.ok(existsSync(gguf));
  const info = llmk('inspect', gguf);
  assert.equal(info.status, 0, info.stderr);
  const text = info.stdout.toString('utf8');
  assert.match(text, /format: +gguf/);
  assert.match(text, /architecture: llama/);
  assert.match(text, /parameters: +260,032/);
  assert.match(text, /blk\.0\.attn_q\.weight +Q8_0 +\[64, 64\]/);
  assert.match(text, /blk\.0\.ffn_down\.weight +F32 +\[64, 172\]/); // 172-wide rows cannot be Q8_0 blocks
});
