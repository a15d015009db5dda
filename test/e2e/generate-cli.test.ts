import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { tokenizerCodec } from '../../src/infer/codec.js';
import { generate } from '../../src/infer/generate.js';
import { gptConfig } from '../../src/models/gpt/config.js';
import { GPT } from '../../src/models/gpt/model.js';
import { loadCausalLM } from '../../src/models/load.js';
import { saveModel, writeModelFiles } from '../../src/models/save.js';
import { createEngine } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/random.js';
import { CharTokenizer } from '../../src/tokenize/char.js';

const MAIN = resolve('src/cli/main.ts');

function llmk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('llmk generate streams a checkpoint’s greedy continuation to stdout, stats to stderr, EOS from generation_config', async () => {
  const engine = createEngine({ backend: 'reference' });
  const tokenizer = CharTokenizer.fromChars('abcdefghijklmnopqrstuvwxyz .');
  // initStd 0.5: peaked logits, so the CLI's backend (native when built) and the reference agree on argmax.
  const cfg = gptConfig({
    vocabSize: tokenizer.vocabSize,
    nCtx: 32,
    nLayer: 2,
    nHead: 2,
    nEmbd: 16,
    initStd: 0.5,
  });
  const dir = join(mkdtempSync(join(tmpdir(), 'llmk-gen-')), 'ckpt');
  saveModel(dir, new GPT(engine, cfg, { rng: new Rng(5) }), { tokenizer });

  const { model } = loadCausalLM(engine, dir);
  const codec = tokenizerCodec(tokenizer);
  const prompt = await codec.encode('the ');
  const expected = await generate(model, prompt, { temperature: 0, maxTokens: 12, codec });

  const run = llmk(
    'generate',
    '--model',
    dir,
    '--prompt',
    'the ',
    '--temperature',
    '0',
    '--max-tokens',
    '12',
  );
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, expected.text);
  assert.match(
    run.stderr,
    /12 tokens in [\d.]+ s \([\d.]+ tok\/s after the first; .*prompt 4 tokens\); finished: length/,
  );

  // An EOS id in generation_config.json ends the text before that token.
  const eos = expected.tokens[5];
  writeModelFiles(dir, model, { special: { eosTokenId: eos } }); // tokenizer.json stays
  const ended = llmk('generate', '-m', dir, '-p', 'the ', '-t', '0', '-n', '12', '--echo');
  assert.equal(ended.status, 0, ended.stderr);
  const kept = await codec.decode(expected.tokens.slice(0, expected.tokens.indexOf(eos)));
  assert.equal(ended.stdout, `the ${kept}`);
  assert.match(ended.stderr, /finished: eos/);

  const missing = llmk('generate', '-m', join(dir, 'nope'), '-p', 'x');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /LLMK_E_NOT_FOUND: .*nope does not exist/);
  const bad = llmk('generate', '-m', dir, '-p', 'the ', '--top-p', '2');
  assert.equal(bad.status, 2);
  // The flag is checked where it is parsed (src/cli/flags.ts), named as typed, with its bounds.
  assert.match(
    bad.stderr,
    /LLMK_E_ARG: --top-p 2 is out of range: it must be a number in \(0, 1\]; .*e\.g\. --top-p 0\.9/,
  );
});
