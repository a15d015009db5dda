import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { gptConfig } from './config.js';
import { GPT } from './model.js';

const engine = createEngine({ backend: 'reference' });

test('GPT-2 parameter names are the Hugging Face keys, with tied lm_head', () => {
  const model = new GPT(engine, gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 2, nHead: 2, nEmbd: 8 }), {
    rng: new Rng(1),
  });
  const names = model.namedParameters().map(([n]) => n);
  assert.ok(names.includes('transformer.h.1.attn.c_attn.weight'));
  assert.deepEqual(model.stateDict().get('transformer.h.0.attn.c_attn.weight')?.shape, [8, 24]);
  assert.equal(model.stateDict().get('lm_head.weight'), model.stateDict().get('transformer.wte.weight'));
  assert.ok(!names.includes('lm_head.weight'), 'tied weights are listed once');
  // 11·8 + 8·8 + 2·(2·8·2 + 8·24+24 + 8·8+8 + 8·32+32 + 32·8+8) + 2·8
  assert.equal(model.parameterCount(), 88 + 64 + 2 * (32 + 216 + 72 + 288 + 264) + 16);
});

test('initial loss is close to ln(V) and the KV-cache decode matches the full forward', () => {
  const V = 13;
  const model = new GPT(engine, gptConfig({ vocabSize: V, nCtx: 16, nLayer: 2, nHead: 2, nEmbd: 16 }), {
    rng: new Rng(2),
  });
  engine.scope(() => {
    const ids = engine.tensor(Int32Array.from([1, 5, 7, 2, 9, 3]), [1, 6], 'i32');
    const targets = engine.tensor(Int32Array.from([5, 7, 2, 9, 3, 4]), [1, 6], 'i32');
    const loss = model.loss(ids, targets).item();
    // Weights with std 0.02 give near-uniform predictions: |loss − ln V| ≲ 0.05.
    assert.ok(Math.abs(loss - Math.log(V)) < 0.05, `loss ${loss} vs ln V ${Math.log(V)}`);
    engine.noGrad(() => {
      const full = model.forward(ids).toArray();
      const cache = model.newCache();
      const first = model
        .forward(engine.tensor(Int32Array.from([1, 5, 7, 2]), [1, 4], 'i32'), { cache })
        .toArray();
      const a = model.forward(engine.tensor(Int32Array.from([9]), [1, 1], 'i32'), { cache }).toArray();
      const b = model.forward(engine.tensor(Int32Array.from([3]), [1, 1], 'i32'), { cache }).toArray();
      const stepped = [...first, ...a, ...b];
      const err = Math.max(...full.map((x, i) => Math.abs(x - stepped[i])));
      // Same math in a different order: f32 rounding only (< 1e-5 at these magnitudes).
      assert.ok(err < 1e-5, `cache decode differs by ${err}`);
      cache.dispose();
    });
  });
});

test('modern variants (no bias, RMSNorm, SwiGLU, rotary, GQA) run forward and backward', () => {
  const cfg = gptConfig({
    vocabSize: 9,
    nCtx: 8,
    nLayer: 1,
    nHead: 4,
    nKvHead: 2,
    nEmbd: 16,
    bias: false,
    norm: 'rmsnorm',
    mlp: 'swiglu',
    positions: 'rotary',
    nInner: 24,
  });
  const model = new GPT(engine, cfg, { rng: new Rng(3) });
  assert.ok(!model.namedParameters().some(([n]) => n.endsWith('.bias')));
  engine.scope(() => {
    const ids = engine.tensor(Int32Array.from([1, 2, 3, 4]), [1, 4], 'i32');
    const loss = model.loss(ids, ids);
    loss.backward();
    const g = model.transformer.h[0].attn.c_attn.weight.grad;
    assert.ok(g?.toArray().some((x) => x !== 0));
  });
});

test('bad inputs give typed errors', () => {
  const model = new GPT(engine, gptConfig({ vocabSize: 5, nCtx: 4, nLayer: 1, nHead: 1, nEmbd: 4 }), {
    rng: new Rng(4),
  });
  engine.scope(() => {
    assert.throws(
      () => model.forward(engine.tensor(Int32Array.from([1, 2, 3, 4, 0]), [1, 5], 'i32')),
      /LLMK_E_SHAPE: sequence of 5 tokens exceeds the context 4/,
    );
    assert.throws(
      () => model.forward(engine.tensor(Int32Array.from([7]), [1, 1], 'i32')),
      /LLMK_E_ARG: embedding: id 7/,
    );
  });
  assert.throws(
    () => gptConfig({ vocabSize: 5, nCtx: 4, nLayer: 1, nHead: 3, nEmbd: 4 }),
    /LLMK_E_CONFIG: nEmbd 4 is not divisible by nHead 3/,
  );
  assert.throws(
    () => gptConfig({ vocabSize: 5, nCtx: 4, nLayer: 1, nHead: 1, nEmbd: 4, nEmbed: 3 } as never),
    /LLMK_E_CONFIG: GPT config field/,
  );
});
