import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { LlmkError } from '../errors.js';
import { generate, type TextCodec } from '../infer/generate.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import { registerGenerate } from './commands/generate.js';
import { runGenerate } from './generate-run.js';

const engine = createEngine({ backend: 'reference' });
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz .';
/** An async codec, as llmk tokenizers are. */
const codec = {
  encode: async (text: string): Promise<number[]> => [...text].map((c) => ALPHABET.indexOf(c)),
  decode: async (ids: readonly number[]): Promise<string> => ids.map((i) => ALPHABET[i]).join(''),
} satisfies TextCodec;
const model = new GPT(
  engine,
  gptConfig({ vocabSize: ALPHABET.length, nCtx: 32, nLayer: 2, nHead: 2, nEmbd: 16, initStd: 0.5 }),
  { rng: new Rng(1) },
);

function capture(): { out: string[]; err: string[]; io: Parameters<typeof runGenerate>[3] } {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  return {
    out,
    err,
    // Each reading of the clock advances 100 ms, so the stats line is exact.
    io: {
      stdout: { write: (s) => out.push(s) },
      stderr: { write: (s) => err.push(s) },
      now: () => (clock += 100),
    },
  };
}

test('runGenerate streams exactly the generated text to stdout and the stats to stderr', async () => {
  const expected = await generate(model, await codec.encode('the '), { temperature: 0, maxTokens: 6, codec });
  const { out, err, io } = capture();
  const summary = await runGenerate(model, codec, { prompt: 'the ', temperature: 0, maxTokens: 6 }, io);
  assert.equal(out.join(''), expected.text);
  assert.ok(out.length >= 2, 'text arrives in pieces, not at the end');
  assert.equal(summary.text, expected.text);
  assert.deepEqual(summary.tokens, expected.tokens);
  // Clock reads: start 100, first token 200, end 300 → 5 decode tokens in 100 ms = 50 tok/s.
  assert.equal(summary.tokensPerSecond, 50);
  assert.equal(
    err.join(''),
    '\n6 tokens in 0.20 s (50.0 tok/s after the first; first token 100 ms; prompt 4 tokens); finished: length\n',
  );
});

test('llmk generate parses its flags, loads the model directory and honours --stop', async () => {
  const greedy = await generate(model, await codec.encode('a b'), { temperature: 0, maxTokens: 10, codec });
  const stop = greedy.text!.slice(3, 5);
  const { out, err, io } = capture();
  const dirs: string[] = [];
  const program = new Command('llmk').exitOverride();
  registerGenerate(
    program,
    async (dir) => {
      dirs.push(dir);
      return { model, codec };
    },
    io,
  );
  await program.parseAsync(
    ['generate', '--model', 'some/dir', '--prompt', 'a b', '-t', '0', '-n', '10', '--stop', '@', stop, '-q'],
    { from: 'user' },
  );
  assert.deepEqual(dirs, ['some/dir']);
  assert.equal(out.join(''), greedy.text!.slice(0, greedy.text!.indexOf(stop)));
  assert.deepEqual(err, []);
});

test('llmk generate rejects bad flag values with LlmkErrors', async () => {
  const run = (args: string[]): Promise<unknown> => {
    const program = new Command('llmk').exitOverride();
    registerGenerate(program, async () => ({ model, codec }), capture().io);
    return program.parseAsync(['generate', '--model', 'd', ...args], { from: 'user' });
  };
  const argError = (e: unknown): boolean => e instanceof LlmkError && e.code === 'LLMK_E_ARG';
  await assert.rejects(run(['--prompt', 'ab', '--temperature', 'hot']), argError);
  await assert.rejects(run(['--prompt', 'ab', '--temperature', '-1']), argError);
  await assert.rejects(run(['--prompt', 'ab', '--top-p', '0']), argError);
  await assert.rejects(run(['--prompt', 'ab', '--max-tokens', '2.5']), argError);
  await assert.rejects(run(['--prompt', '']), argError);
});

test('runGenerate says when the context is full', async () => {
  const { err, io } = capture();
  const prompt = 'abcdefghijklmnopqrstuvwxyz abc'; // 30 tokens of a 32-token context
  const summary = await runGenerate(model, codec, { prompt, temperature: 0, maxTokens: 10 }, io);
  assert.equal(summary.tokens.length, 3);
  assert.equal(summary.finishReason, 'context');
  assert.match(
    err.join(''),
    /finished: context \(the model's context of 32 tokens is full; shorten the prompt for more\)\n$/,
  );
});
