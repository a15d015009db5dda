/**
 * Fused native attention against the naive C++ twin (double arithmetic, full score rows) and the
 * TypeScript reference: grouped-query heads, causal masks with S > T (KV-cache decode), additive
 * masks with broadcast strides, fully masked rows. Outputs are convex combinations of v (|v| ≤ 1),
 * so f32 rounding over S terms stays below ~S·u ≈ 1e-6; gradients sum S·HS products: 2e-5.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertBitEqual,
  assertClose,
  native,
  rand,
  reference,
  refTwins,
  skip,
  withThreads,
} from './native-testing.js';

interface Case {
  name: string;
  B: number;
  NH: number;
  NKV: number;
  T: number;
  S: number;
  HS: number;
  causal: boolean;
  mask?: 'none' | 'rows' | 'perHead' | 'padding';
}

const CASES: Case[] = [
  { name: 'MHA causal', B: 2, NH: 3, NKV: 3, T: 9, S: 9, HS: 16, causal: true },
  { name: 'GQA causal', B: 1, NH: 4, NKV: 2, T: 7, S: 7, HS: 8, causal: true },
  { name: 'MQA, odd head size', B: 2, NH: 4, NKV: 1, T: 5, S: 5, HS: 7, causal: false },
  { name: 'KV-cache decode S > T', B: 2, NH: 2, NKV: 1, T: 3, S: 11, HS: 8, causal: true },
  { name: 'single query T = 1', B: 1, NH: 2, NKV: 2, T: 1, S: 33, HS: 64, causal: true },
  {
    name: 'mask shared over batch and heads',
    B: 2,
    NH: 2,
    NKV: 2,
    T: 6,
    S: 6,
    HS: 4,
    causal: false,
    mask: 'rows',
  },
  { name: 'per-head mask', B: 2, NH: 2, NKV: 1, T: 4, S: 5, HS: 4, causal: true, mask: 'perHead' },
  {
    name: 'padding mask, one row fully masked',
    B: 2,
    NH: 2,
    NKV: 2,
    T: 4,
    S: 4,
    HS: 4,
    causal: false,
    mask: 'padding',
  },
  { name: 'causal T > S (rows with no key)', B: 1, NH: 1, NKV: 1, T: 5, S: 3, HS: 4, causal: true },
];

function maskFor(c: Case): { mask: Float32Array | null; strides: number[] } {
  const { B, NH, T, S } = c;
  if (!c.mask || c.mask === 'none') return { mask: null, strides: [0, 0, 0] };
  if (c.mask === 'rows') return { mask: rand(T * S, 5, -2, 2), strides: [0, 0, S] };
  if (c.mask === 'perHead') return { mask: rand(B * NH * T * S, 6, -2, 2), strides: [NH * T * S, T * S, S] };
  // Key padding (B, 1, 1, S): batch 1 masks its last key; batch 0 masks every key (rows with no key).
  const m = new Float32Array(B * S);
  m.fill(Number.NEGATIVE_INFINITY, 0, S);
  m[S + S - 1] = Number.NEGATIVE_INFINITY;
  return { mask: m, strides: [S, 0, 0] };
}

function run(c: Case, impl: 'native' | 'ref' | 'reference') {
  const { B, NH, NKV, T, S, HS, causal } = c;
  const q = rand(B * NH * T * HS, 1);
  const k = rand(B * NKV * S * HS, 2);
  const v = rand(B * NKV * S * HS, 3);
  const dout = rand(B * NH * T * HS, 4);
  const { mask, strides } = maskFor(c);
  const scale = 1 / Math.sqrt(HS);
  const kern =
    impl === 'native'
      ? native!
      : impl === 'ref'
        ? refTwins('attentionForward', 'attentionBackward')
        : reference;
  const out = new Float32Array(q.length);
  const lse = new Float32Array(B * NH * T);
  kern.attentionForward(out, lse, q, k, v, mask, strides, B, NH, NKV, T, S, HS, scale, causal);
  // Gradients accumulate onto non-zero buffers.
  const dq = rand(q.length, 7);
  const dk = rand(k.length, 8);
  const dv = rand(v.length, 9);
  kern.attentionBackward(
    dq,
    dk,
    dv,
    dout,
    q,
    k,
    v,
    out,
    lse,
    mask,
    strides,
    B,
    NH,
    NKV,
    T,
    S,
    HS,
    scale,
    causal,
  );
  return { out, lse, dq, dk, dv };
}

describe('native attention', { skip }, () => {
  for (const c of CASES) {
    test(c.name, () => {
      const got = run(c, 'native');
      for (const impl of ['ref', 'reference'] as const) {
        const want = run(c, impl);
        assertClose(got.out, want.out, 2e-6, 1e-5, `${impl} out`);
        assertClose(got.lse, want.lse, 2e-6, 1e-5, `${impl} lse`);
        assertClose(got.dq, want.dq, 2e-5, 2e-5, `${impl} dq`);
        assertClose(got.dk, want.dk, 2e-5, 2e-5, `${impl} dk`);
        assertClose(got.dv, want.dv, 2e-5, 2e-5, `${impl} dv`);
      }
      if (c.mask === 'padding' || (c.causal && c.T > c.S)) {
        assert.equal(got.lse[0], Number.NEGATIVE_INFINITY, 'a row with no visible key has lse −∞');
        for (let i = 0; i < c.HS; i++) assert.equal(got.out[i], 0, 'and output 0');
      }
    });
  }

  test('bit-identical at 1 and 2 threads (GQA, causal)', () => {
    const c: Case = { name: '', B: 2, NH: 4, NKV: 2, T: 40, S: 40, HS: 16, causal: true };
    const one = withThreads(1, () => run(c, 'native'));
    const two = withThreads(2, () => run(c, 'native'));
    for (const key of ['out', 'lse', 'dq', 'dk', 'dv'] as const) assertBitEqual(one[key], two[key], key);
  });

  test('k and v read in place from longer per-head buffers (kvStride) equal the dense call', () => {
    const [B, NH, NKV, T, S, HS, cap] = [2, 4, 2, 1, 13, 8, 20];
    const q = rand(B * NH * T * HS, 11);
    const kd = rand(B * NKV * S * HS, 12);
    const vd = rand(B * NKV * S * HS, 13);
    // The same rows at the start of (B, NKV, cap, HS) buffers whose tails hold garbage.
    const wide = (dense: Float32Array) => {
      const out = rand(B * NKV * cap * HS, 14);
      for (let bh = 0; bh < B * NKV; bh++)
        out.set(dense.subarray(bh * S * HS, (bh + 1) * S * HS), bh * cap * HS);
      return out;
    };
    const [kw, vw] = [wide(kd), wide(vd)];
    for (const impl of ['native', 'ref', 'reference'] as const) {
      const kern =
        impl === 'native'
          ? native!
          : impl === 'ref'
            ? refTwins('attentionForward', 'attentionBackward')
            : reference;
      const dense = [new Float32Array(q.length), new Float32Array(B * NH * T)];
      const strided = [new Float32Array(q.length), new Float32Array(B * NH * T)];
      kern.attentionForward(dense[0], dense[1], q, kd, vd, null, [0, 0, 0], B, NH, NKV, T, S, HS, 0.35, true);
      kern.attentionForward(
        strided[0],
        strided[1],
        q,
        kw,
        vw,
        null,
        [0, 0, 0],
        B,
        NH,
        NKV,
        T,
        S,
        HS,
        0.35,
        true,
        cap * HS,
      );
      assertBitEqual(strided[0], dense[0], `${impl} out`);
      assertBitEqual(strided[1], dense[1], `${impl} lse`);
    }
    const z = new Float32Array(64);
    assert.throws(
      () => native!.attentionForward(z, z, z, z, z, null, [0, 0, 0], 1, 1, 1, 1, 4, 4, 1, false, 8),
      /kvStride 8 is below S·HS = 16/,
    );
  });

  test('argument checks: NH not a multiple of NKV, short mask', () => {
    const z = new Float32Array(64);
    assert.throws(
      () => native!.attentionForward(z, z, z, z, z, null, [0, 0, 0], 1, 3, 2, 2, 2, 4, 1, false),
      /NH 3 must be a multiple of NKV 2/,
    );
    assert.throws(
      () =>
        native!.attentionForward(z, z, z, z, z, new Float32Array(3), [0, 0, 2], 1, 1, 1, 2, 2, 4, 1, false),
      /'mask' has 3 elements, needs at least 4/,
    );
  });
});
