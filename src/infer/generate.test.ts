import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { createEngine } from '../tensor/create.js';
import { argmaxRow } from '../tensor/ops/sampling.js';
import { Rng } from '../tensor/random.js';
import {
  type GenerateEvent,
  type GenerateResult,
  generate,
  generateStream,
  type TextCodec,
} from './generate.js';

const engine = createEngine({ backend: 'reference' });
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz .';
/** One character per token: enough to test decoding, stop strings and streaming text. */
const codec = {
  encode: (text: string): number[] => [...text].map((c) => ALPHABET.indexOf(c)),
  decode: (ids: readonly number[]): string => ids.map((i) => ALPHABET[i]).join(''),
} satisfies TextCodec;

/** initStd 0.5 makes the logits peaked (std ≈ 2), so argmax margins dwarf f32 rounding. */
function tinyModel(nCtx = 32, seed = 1): GPT {
  const cfg = gptConfig({ vocabSize: ALPHABET.length, nCtx, nLayer: 2, nHead: 2, nEmbd: 16, initStd: 0.5 });
  return new GPT(engine, cfg, { rng: new Rng(seed) });
}

function lastLogitsNoCache(model: GPT, ids: number[]): Float32Array {
  return engine.noGrad(() =>
    engine.scope(() => {
      const logits = model.forward(engine.tensor(Int32Array.from(ids), [1, ids.length], 'i32')); // (1, T, V)
      const V = logits.shape[2];
      return Float32Array.from(logits.values().subarray((ids.length - 1) * V));
    }),
  );
}

test('greedy decoding with the KV cache equals argmax of a full forward re-run at every step', async () => {
  const model = tinyModel();
  const prompt = codec.encode('the cat');
  const live = engine.stats().liveBytes;
  const out = await generate(model, prompt, { temperature: 0, maxTokens: 10 });
  // Every temporary and the cache are freed.
  assert.equal(engine.stats().liveBytes, live);
  assert.equal(out.tokens.length, 10);
  assert.equal(out.finishReason, 'length');
  assert.equal(out.promptTokens, prompt.length);
  const seq = [...prompt];
  for (const token of out.tokens) {
    const logits = lastLogitsNoCache(model, seq);
    const best = argmaxRow(logits);
    const runnerUp = Math.max(...logits.filter((_, i) => i !== best));
    // Cache vs full forward differ by f32 rounding (~1e-6); the margin must be far larger for ids to agree.
    assert.ok(logits[best] - runnerUp > 1e-4, `margin ${logits[best] - runnerUp}`);
    assert.equal(token, best);
    seq.push(token);
  }
});

test('a rotary, grouped-query, SwiGLU variant decodes with the cache exactly as a full re-run', async () => {
  const cfg = gptConfig({
    vocabSize: ALPHABET.length,
    nCtx: 32,
    nLayer: 2,
    nHead: 4,
    nKvHead: 2,
    nEmbd: 16,
    norm: 'rmsnorm',
    mlp: 'swiglu',
    positions: 'rotary',
    bias: false,
    initStd: 0.5,
  });
  const model = new GPT(engine, cfg, { rng: new Rng(8) });
  const prompt = codec.encode('rope');
  const out = await generate(model, prompt, { temperature: 0, maxTokens: 8 });
  const seq = [...prompt];
  for (const token of out.tokens) {
    assert.equal(token, argmaxRow(lastLogitsNoCache(model, seq)));
    seq.push(token);
  }
  // Same-length rows need no padding, so rotary models batch them too.
  const rows = await generate(model, [prompt, codec.encode('cord')], { temperature: 0, maxTokens: 8 });
  assert.deepEqual(rows[0].tokens, out.tokens);
});

test('batched left-padded greedy generation gives each row the tokens it gets alone', async () => {
  const model = tinyModel();
  const prompts = ['a long prompt here', 'hi', 'middle one'].map(codec.encode);
  const batched = await generate(model, prompts, { temperature: 0, maxTokens: 8 });
  assert.equal(batched.length, 3);
  for (const [b, p] of prompts.entries()) {
    const alone = await generate(model, p, { temperature: 0, maxTokens: 8 });
    assert.deepEqual(batched[b].tokens, alone.tokens, `row ${b}`);
    assert.equal(batched[b].promptTokens, p.length);
  }
});

test('batched greedy generation with a repetition penalty matches per-row runs', async () => {
  const model = tinyModel(32, 4);
  const prompts = [codec.encode('aaaa bbb'), codec.encode('zz')];
  const opts = { temperature: 0, maxTokens: 6, repetitionPenalty: 3 };
  const batched = await generate(model, prompts, opts);
  for (const [b, p] of prompts.entries()) {
    assert.deepEqual(batched[b].tokens, (await generate(model, p, opts)).tokens);
  }
  // Without the penalty this model repeats itself (16,16,0,16,…); with it no generated token repeats.
  const plain = await generate(model, prompts[0], { temperature: 0, maxTokens: 6 });
  assert.ok(new Set(plain.tokens).size < plain.tokens.length, `${plain.tokens}`);
  assert.equal(new Set(batched[0].tokens).size, batched[0].tokens.length, `${batched[0].tokens}`);
});

test('seeded sampling repeats; different seeds differ', async () => {
  const model = tinyModel();
  const prompt = codec.encode('once upon');
  const opts = { temperature: 1, topK: 10, topP: 0.95, maxTokens: 12 };
  const a = await generate(model, prompt, { ...opts, seed: 5 });
  const b = await generate(model, prompt, { ...opts, seed: 5 });
  const c = await generate(model, prompt, { ...opts, seed: 6 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  const k1 = await generate(model, prompt, { temperature: 0.7, topK: 1, maxTokens: 12, seed: 9 });
  const greedy = await generate(model, prompt, { temperature: 0, maxTokens: 12 });
  assert.deepEqual(k1.tokens, greedy.tokens);
  const p0 = await generate(model, prompt, { temperature: 1.3, topP: 1e-6, maxTokens: 12, seed: 2 });
  assert.deepEqual(p0.tokens, greedy.tokens);
});

test('stop strings end the row and are trimmed from the text; EOS ends a row', async () => {
  const model = tinyModel();
  const prompt = codec.encode('the ');
  const full = await generate(model, prompt, { temperature: 0, maxTokens: 12, codec });
  assert.equal(full.text, codec.decode(full.tokens));
  const stop = full.text!.slice(4, 6);
  const cut = full.text!.indexOf(stop);
  const stopped = await generate(model, prompt, { temperature: 0, maxTokens: 12, codec, stop: ['@@', stop] });
  assert.equal(stopped.finishReason, 'stop');
  assert.equal(stopped.text, full.text!.slice(0, cut));
  // The token completing the stop string is the last one kept.
  assert.deepEqual(stopped.tokens, full.tokens.slice(0, cut + stop.length));

  const eos = full.tokens[3];
  const first = full.tokens.indexOf(eos);
  const ended = await generate(model, prompt, { temperature: 0, maxTokens: 12, codec, eosTokenId: [eos] });
  assert.equal(ended.finishReason, 'eos');
  assert.deepEqual(ended.tokens, full.tokens.slice(0, first + 1));
  assert.equal(ended.text, codec.decode(full.tokens.slice(0, first)));
});

test('streaming yields the tokens of generate, text pieces that add up, and a finish reason per row', async () => {
  const model = tinyModel();
  const prompts = ['some words', 'x'].map(codec.encode);
  const opts = { temperature: 0.9, seed: 3, maxTokens: 9, codec, stop: ['q.'] };
  const expected = await generate(model, prompts, opts);
  const tokens: number[][] = [[], []];
  const texts = ['', ''];
  const finishes: Array<GenerateEvent['finishReason']> = [undefined, undefined];
  const stream = generateStream(model, prompts, opts);
  let returned: GenerateResult[] | undefined;
  for (;;) {
    const next = await stream.next();
    if (next.done) {
      returned = next.value;
      break;
    }
    const e = next.value;
    assert.equal(e.index, tokens[e.row].length);
    assert.equal(finishes[e.row], undefined, 'no events after a finish');
    tokens[e.row].push(e.token);
    texts[e.row] += e.text ?? '';
    finishes[e.row] = e.finishReason;
  }
  expected.forEach((r, b) => {
    assert.deepEqual(tokens[b], r.tokens);
    assert.equal(texts[b], r.text);
    assert.equal(finishes[b], r.finishReason);
  });
  assert.deepEqual(returned, expected);
});

test('stream text holds back a possible stop-string prefix until it resolves', async () => {
  const model = tinyModel();
  const prompt = codec.encode('ab');
  const full = await generate(model, prompt, { temperature: 0, maxTokens: 10, codec });
  const text = full.text!;
  // A stop string that starts like the text's 3rd character but never matches.
  const stop = `${text[2]}#`;
  const pieces: string[] = [];
  for await (const e of generateStream(model, prompt, {
    temperature: 0,
    maxTokens: 10,
    codec,
    stop: [stop],
  })) {
    pieces.push(e.text ?? '');
  }
  assert.equal(pieces.join(''), text);
  // After the token that produced text[2], that character is withheld (a stop string may begin there).
  assert.equal(pieces.slice(0, 3).join(''), text.slice(0, 2));
});

test('the context guard stops at nCtx; breaking a stream frees the cache; training mode is restored', async () => {
  const model = tinyModel(16);
  const prompt = codec.encode('twelve chars');
  assert.equal(prompt.length, 12);
  const out = await generate(model, prompt, { temperature: 0, maxTokens: 10 });
  // 12 cached + 4 fed = 16 = nCtx; the 5th token needs no forward.
  assert.equal(out.tokens.length, 5);
  assert.equal(out.finishReason, 'context');

  const before = engine.stats();
  for await (const e of generateStream(model, prompt, { temperature: 0, maxTokens: 10 })) {
    if (e.index === 1) break;
  }
  assert.equal(engine.stats().liveBytes, before.liveBytes);

  model.train();
  await generate(model, prompt, { temperature: 0, maxTokens: 2 });
  assert.equal(model.training, true);
  model.eval();
  await generate(model, prompt, { temperature: 0, maxTokens: 2 });
  assert.equal(model.training, false);
});

test('bad inputs are LlmkErrors with codes and hints', async () => {
  const model = tinyModel(16);
  const isArgError = (e: unknown): boolean =>
    e instanceof LlmkError && e.code === 'LLMK_E_ARG' && e.hint !== '';
  await assert.rejects(() => generate(model, [], { maxTokens: 2 }), isArgError);
  assert.equal((await generate(model, [], { maxTokens: 2, bosTokenId: 0, temperature: 0 })).tokens.length, 2);
  await assert.rejects(() => generate(model, new Array(17).fill(1), { maxTokens: 2 }), isArgError);
  await assert.rejects(() => generate(model, [1, 2], { topP: 0 }), isArgError);
  await assert.rejects(() => generate(model, [1, 2], { topP: 1.01 }), isArgError);
  await assert.rejects(() => generate(model, [1, 2], { temperature: -1 }), isArgError);
  await assert.rejects(() => generate(model, [1, 99]), isArgError);
  await assert.rejects(() => generate(model, [1, 2], { maxTokens: 0 }), isArgError);
  await assert.rejects(() => generate(model, [1, 2], { stop: ['x'] }), isArgError);
  await assert.rejects(() => generate(model, [[1], []]), isArgError);
});
