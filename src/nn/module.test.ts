import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { bertConfig } from '../models/bert/config.js';
import { BertForPreTraining } from '../models/bert/heads.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPTForSequenceClassification } from '../models/gpt/heads.js';
import { GPT } from '../models/gpt/model.js';
import { llamaConfig } from '../models/llama/config.js';
import { Llama } from '../models/llama/model.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { AdamW } from '../train/optim.js';
import { Linear } from './layers.js';
import { FlatParameters } from './params.js';

const engine = createEngine({ backend: 'reference' });
const cfg = gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0 });
const ids = (): Tensor => engine.tensor(Int32Array.from([1, 5, 7, 2, 9, 3]), [1, 6], 'i32');

/** A Linear that counts its forwards: proves the parent's forward reaches the replacement. */
class CountingLinear extends Linear {
  calls = 0;
  override forward(x: Tensor): Tensor {
    this.calls++;
    return super.forward(x);
  }
}

test('replaceModule: the new module is named under the path and used by forward; getModule finds it', () => {
  const model = new GPT(engine, cfg, { rng: new Rng(1) });
  const path = 'transformer.h.1.attn.c_attn';
  const old = model.getModule<Linear>(path);
  assert.equal(old, model.transformer.h.at(1).attn.c_attn);
  const before = engine.noGrad(() => model.forward(ids()).toArray());
  const repl = new CountingLinear(engine, 8, 24, { layout: 'in_out', rng: new Rng(9) });
  assert.equal(model.replaceModule(path, repl), old);
  assert.equal(model.getModule(path), repl);
  assert.equal(model.transformer.h.at(1).attn.c_attn, repl, 'the typed getter sees the replacement');
  const state = model.stateDict();
  assert.equal(state.get(`${path}.weight`), repl.weight);
  assert.equal(state.get(`${path}.bias`), repl.bias);
  const named = new Map(model.namedParameters());
  assert.equal(named.get(`${path}.weight`), repl.weight);
  assert.ok(![...named.values()].includes(old.weight), 'the old parameters are gone');
  const after = engine.noGrad(() => model.forward(ids()).toArray());
  assert.equal(repl.calls, 1);
  assert.ok(
    after.some((v, i) => Math.abs(v - before[i]) > 1e-4),
    'different weights change the logits',
  );
  // Putting the original back restores the logits exactly.
  model.replaceModule(path, old);
  assert.deepEqual(
    engine.noGrad(() => model.forward(ids()).toArray()),
    before,
  );
  // namedModules lists every module once, parents first, with dotted paths.
  const paths = model.namedModules().map(([p]) => p);
  assert.equal(paths[0], '');
  assert.ok(paths.includes('transformer.h.0.mlp.c_fc') && paths.includes('lm_head'));
  assert.ok(paths.indexOf('transformer.h') < paths.indexOf('transformer.h.0'));
});

test('an unknown module path is a typed error that lists the modules there', () => {
  const model = new GPT(engine, cfg, { rng: new Rng(1) });
  for (const bad of ['transformer.h.0.atn', 'transformer.h.0.atn.c_attn']) {
    assert.throws(
      () => model.getModule(bad),
      (e: unknown) =>
        e instanceof LlmkError &&
        e.code === 'LLMK_E_ARG' &&
        e.message.includes("'transformer.h.0.atn'") &&
        e.hint.includes('ln_1, attn, ln_2, mlp'),
    );
  }
  assert.throws(
    () => model.replaceModule('transformer.h.7', new Linear(engine, 2, 2)),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG' && e.hint.includes('0, 1'),
  );
});

test('freezing: no gradient buffer, no optimizer slot, values unchanged by a step; the body records no graph', () => {
  const model = new GPTForSequenceClassification(engine, cfg, { numLabels: 3, rng: new Rng(2) });
  model.transformer.freeze();
  const params = new FlatParameters(model);
  const trainable = model.namedParameters({ trainable: true });
  assert.deepEqual(
    trainable.map(([n]) => n),
    ['score.weight'],
  );
  assert.equal(params.size, 8 * 3);
  assert.equal(params.entries.length, 1);
  const opt = new AdamW(engine, params, { lr: 0.1, groups: [{ weightDecay: 0.1 }] });
  assert.equal(opt.m.length, 24);
  assert.equal(opt.v.length, 24);
  const frozen = model.namedParameters({ trainable: false });
  assert.equal(frozen.length + 1, model.namedParameters().length);
  const snapshot = frozen.map(([, t]) => t.toArray());
  const scoreBefore = model.score.weight.toArray();
  engine.scope(() => {
    const inputs = { inputIds: ids(), attentionMask: null };
    const h = model.transformer.call(inputs.inputIds).lastHiddenState;
    assert.equal(h.requiresGrad, false, 'ops over frozen weights only are not recorded');
    const logits = model.logits(inputs); // (1, 3)
    logits.backward(engine.full([1, 3], 1));
  });
  for (const [name, t] of frozen) assert.equal(t.grad, null, `${name} has no gradient`);
  assert.ok(model.score.weight.grad?.toArray().some((g) => g !== 0));
  opt.update();
  for (const [i, [name, t]] of frozen.entries())
    assert.deepEqual(t.toArray(), snapshot[i], `${name} unchanged`);
  assert.ok(
    model.score.weight.toArray().some((v, i) => v !== scoreBefore[i]),
    'the head moved',
  );
  // unfreeze makes them trainable again (a new FlatParameters covers them).
  model.unfreeze();
  assert.equal(new FlatParameters(model).size, model.parameterCount());
});

test('tying: one tensor in the Embedding and the lm_head Linear, listed once, named twice, one gradient', () => {
  const tied = new GPT(engine, cfg, { rng: new Rng(3) });
  const wte = tied.transformer.wte.weight;
  assert.equal(tied.lm_head.weight, wte, 'the same Tensor object');
  assert.equal(tied.namedParameters().filter(([, t]) => t === wte).length, 1);
  assert.equal(tied.stateDict().get('lm_head.weight'), wte);
  assert.equal(tied.stateDict().get('transformer.wte.weight'), wte);
  // The one gradient is the sum of both uses: compare with an untied copy holding equal values.
  const untied = new GPT(engine, { ...cfg, tieEmbeddings: false }, { rng: new Rng(4) });
  const values = new Map<string, Float32Array>();
  for (const [n, t] of tied.stateDict()) values.set(n, Float32Array.from(t.values()));
  untied.loadState(values);
  const targets = (): Tensor => engine.tensor(Int32Array.from([5, 7, 2, 9, 3, 4]), [1, 6], 'i32');
  engine.scope(() => tied.loss(ids(), targets()).backward());
  engine.scope(() => untied.loss(ids(), targets()).backward());
  const a = untied.transformer.wte.weight.grad?.toArray() ?? [];
  const b = untied.lm_head.weight.grad?.toArray() ?? [];
  const g = wte.grad?.toArray() ?? [];
  assert.equal(g.length, a.length);
  // Same ops in the same order but a different accumulation order: 1e-6 absolute covers fp32 rounding.
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - (a[i] + b[i])) < 1e-6, `grad ${i}`);
});

test("loading without init: init 'empty' allocates each parameter once, draws no random numbers, then loads", () => {
  const fresh = createEngine({ backend: 'reference' });
  const rng = new Rng(5);
  const rngBefore = JSON.stringify(rng.getState());
  const engineRngBefore = JSON.stringify(fresh.rng.getState());
  const empty = new GPT(fresh, { ...cfg, tieEmbeddings: false }, { rng, init: 'empty' });
  const stats = fresh.stats();
  assert.equal(stats.allocatedBytes, empty.parameterCount() * 4, 'exactly the parameter bytes, once');
  assert.equal(stats.allocations, empty.namedParameters().length);
  assert.equal(JSON.stringify(rng.getState()), rngBefore, 'no random draws');
  assert.equal(JSON.stringify(fresh.rng.getState()), engineRngBefore);
  // A fresh pool hands out new (zeroed) memory, and nothing filled it: no random values, no ones.
  for (const [name, t] of empty.namedParameters())
    assert.ok(
      t.toArray().every((v) => v === 0),
      `${name} untouched`,
    );
  const source = new GPT(fresh, { ...cfg, tieEmbeddings: false }, { rng: new Rng(6) });
  const values = new Map<string, Float32Array>();
  for (const [n, t] of source.stateDict()) values.set(n, Float32Array.from(t.values()));
  empty.loadState(values);
  const x = fresh.tensor(Int32Array.from([1, 5, 7]), [1, 3], 'i32');
  assert.deepEqual(
    fresh.noGrad(() => empty.forward(x).toArray()),
    fresh.noGrad(() => source.forward(x).toArray()),
  );
  // The same for Llama and a BERT head (its MLM decoder shares the word embeddings: no second table).
  const llamaEngine = createEngine({ backend: 'reference' });
  const llamaCfg = llamaConfig({
    vocabSize: 11,
    nCtx: 16,
    nLayer: 2,
    nHead: 4,
    nKvHead: 2,
    dim: 16,
    hiddenDim: 24,
  });
  const llama = new Llama(llamaEngine, llamaCfg, { init: 'empty' });
  assert.equal(llamaEngine.stats().allocatedBytes, llama.parameterCount() * 4);
  const bertEngine = createEngine({ backend: 'reference' });
  const bertRngBefore = JSON.stringify(bertEngine.rng.getState());
  const bert = new BertForPreTraining(
    bertEngine,
    bertConfig({
      vocabSize: 20,
      hiddenSize: 8,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      maxPositionEmbeddings: 12,
    }),
    { init: 'empty' },
  );
  assert.equal(bertEngine.stats().allocatedBytes, bert.parameterCount() * 4);
  assert.equal(bert.cls.predictions.decoder.weight, bert.bert.embeddings.word_embeddings.weight);
  assert.equal(JSON.stringify(bertEngine.rng.getState()), bertRngBefore);
  // Layers built around existing tensors hold them, not copies.
  const w = fresh.randn([4, 3], { rng: new Rng(7) });
  const lin = Linear.fromWeights(w);
  assert.equal(lin.weight, w);
  assert.equal(lin.bias, null);
  assert.deepEqual([lin.inFeatures, lin.outFeatures], [3, 4]);
});
