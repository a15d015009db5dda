import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../tensor/create.js';
import { attention } from '../tensor/ops/fused.js';
import { Rng } from '../tensor/random.js';
import { attentionWithProbs } from './attention.js';

// The unfused path must agree with the fused kernel on every backend. fp32 with HS ≤ 8 and S ≤ 7:
// both compute the same sums in a different order, so 1e-5 absolute is ample (observed ~1e-7).
for (const backend of ['reference', 'native'] as const) {
  test(`attentionWithProbs equals the fused attention (${backend}; causal with a cache offset, GQA, key mask)`, () => {
    const engine = createEngine({ backend });
    const rng = new Rng(3);
    const [B, NH, NKV, T, S, HS] = [2, 4, 2, 3, 7, 8];
    const q = engine.randn([B, NH, T, HS], { rng });
    const k = engine.randn([B, NKV, S, HS], { rng });
    const v = engine.randn([B, NKV, S, HS], { rng });
    const mask = engine.tensor(
      Float32Array.from({ length: B * S }, (_, i) => (i === 0 || i === S + 1 ? Number.NEGATIVE_INFINITY : 0)),
      [B, 1, 1, S],
    );
    for (const causal of [true, false]) {
      const fused = attention(q, k, v, { causal, mask }).toArray();
      const { output, probs } = attentionWithProbs(q, k, v, { causal, mask });
      assert.deepEqual(probs.shape, [B, NH, T, S]);
      const got = output.toArray();
      for (let i = 0; i < got.length; i++)
        assert.ok(Math.abs(got[i] - fused[i]) < 1e-5, `causal ${causal} [${i}]`);
      const p = probs.toArray();
      for (let r = 0; r < B * NH * T; r++) {
        let sum = 0;
        for (let s = 0; s < S; s++) sum += p[r * S + s];
        assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to ${sum}`);
      }
      // Masked keys and (causal) future keys get exactly zero probability.
      assert.equal(p[0], 0);
      if (causal) assert.equal(p[S - 1], 0, 'query 0 may see keys ≤ S − T only');
    }
  });
}
