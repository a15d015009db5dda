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
      // logitsToKeep: the last positions' logits alone, identical to those rows of the full forward.
      const last2 = model.forward(ids, { logitsToKeep: 2 });
      assert.deepEqual(last2.shape, [1, 2, V]);
      assert.deepEqual(last2.toArray(), full.slice(4 * V));
      assert.deepEqual(model.forward(ids, { logitsToKeep: 99 }).toArray(), full);
      assert.throws(() => model.forward(ids, { logitsToKeep: 0 }), /LLMK_E_ARG: logitsToKeep 0/);
    });
  });
});

test("nanoGPT's MLP form: gelu 'erf' applies the exact GELU", () => {
  const base = { vocabSize: 7, nCtx: 4, nLayer: 1, nHead: 1, nEmbd: 4, bias: false } as const;
  const [tanhModel, erfModel] = (['tanh', 'erf'] as const).map(
    (g) => new GPT(engine, gptConfig({ ...base, gelu: g }), { rng: new Rng(6) }),
  );
  engine.scope(() => {
    const x = engine.tensor(Float32Array.from([-2, -0.5, 0.3, 1.7]), [1, 1, 4]);
    const fc = erfModel.transformer.h.at(0).mlp.c_fc.forward(x).toArray();
    const expected = erfModel.transformer.h
      .at(0)
      .mlp.c_proj.forward(
        engine.tensor(Float32Array.from(fc.map((v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2)))), [1, 1, 16]),
      );
    const got = erfModel.transformer.h.at(0).mlp.forward(x).toArray();
    const err = Math.max(...got.map((v, i) => Math.abs(v - expected.toArray()[i])));
    assert.ok(err < 1e-6, `exact GELU MLP differs by ${err}`);
    const ids = engine.tensor(Int32Array.from([1, 2, 3]), [1, 3], 'i32');
    assert.notDeepEqual(tanhModel.forward(ids).toArray(), erfModel.forward(ids).toArray());
  });
});

/** erf by Abramowitz–Stegun 7.1.26 is too coarse here; this is the series/continued-fraction pair. */
function erfRef(x: number): number {
  const z = Math.abs(x);
  let sum = z;
  let term = z;
  for (let n = 1; n < 60; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}

test('decoding past the in-place cache capacity (16, then doubling) matches the full forward', () => {
  const V = 11;
  for (const eng of [engine, createEngine()]) {
    const model = new GPT(eng, gptConfig({ vocabSize: V, nCtx: 48, nLayer: 2, nHead: 2, nEmbd: 16 }), {
      rng: new Rng(7),
    });
    const ids = Array.from({ length: 40 }, (_, i) => (i * 7 + 3) % V);
    eng.noGrad(() =>
      eng.scope(() => {
        const full = model.forward(eng.tensor(Int32Array.from(ids), [1, 40], 'i32')).toArray();
        const cache = model.newCache();
        const stepped = model
          .forward(eng.tensor(Int32Array.from(ids.slice(0, 5)), [1, 5], 'i32'), { cache })
          .toArray();
        for (let t = 5; t < 40; t++)
          stepped.push(
            ...model.forward(eng.tensor(Int32Array.from([ids[t]]), [1, 1], 'i32'), { cache }).toArray(),
          );
        const err = Math.max(...full.map((x, i) => Math.abs(x - stepped[i])));
        assert.ok(err < 1e-5, `${eng.backend.name}: cache decode differs by ${err}`);
        assert.equal(cache.length, 40);
        assert.equal(cache.keys[0]?.shape[2], 64, 'capacity doubled 16 → 32 → 64');
        cache.dispose();
      }),
    );
  }
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
    const g = model.transformer.h.at(0).attn.c_attn.weight.grad;
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
