/**
 * Native GEMM against its naive C++ twin (double accumulation) and the TypeScript reference backend.
 * Tolerance: f32 accumulation over K terms of magnitude ≤ 1 has a typical error of √K·u·Σ|a·b|
 * (u = 2⁻²⁴); with Σ|a·b| ≲ K/3 for U(−1, 1) inputs we allow 1e-5·√K·(1 + |c|), about 10× that.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LlmkError } from '../../errors.js';
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
  M: number;
  N: number;
  K: number;
  batch?: number;
  pad?: number;
  alpha?: number;
  beta?: number;
  broadcastA?: boolean;
  broadcastB?: boolean;
}

const CASES: Case[] = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 33, K: 5 },
  { M: 1, N: 1000, K: 33 }, // GEMV (batch-1 decode)
  { M: 1, N: 37, K: 300, pad: 3 },
  { M: 1, N: 400, K: 700, pad: 3, alpha: 0.5, beta: 0.25 }, // threaded GEMV (≥ 256K elements; K split for NN)
  { M: 8, N: 70, K: 300, pad: 2, beta: 0.5 }, // skinny paths (decode with a few sequences)
  { M: 3, N: 600, K: 37, pad: 1, alpha: 0.5 }, // skinny x·W: three 256-column blocks, K not a multiple of 4
  { M: 33, N: 1, K: 70 }, // matrix × vector
  { M: 70, N: 45, K: 300, pad: 5, alpha: 0.5, beta: 0.25 }, // two K blocks, beta accumulation
  { M: 150, N: 20, K: 17 }, // more rows than one MC block
  { M: 13, N: 3100, K: 9 }, // more columns than one NC block
  { M: 0, N: 5, K: 3 },
  { M: 5, N: 4, K: 0, beta: 0.5 }, // K = 0: C = beta·C
  { M: 9, N: 11, K: 12, batch: 3, broadcastA: true },
  { M: 9, N: 11, K: 12, batch: 3, broadcastB: true, alpha: -1, beta: 1 },
];

function runCase(c: Case, transA: boolean, transB: boolean, which: 'native' | 'ref' | 'reference') {
  const { M, N, K } = c;
  const batch = c.batch ?? 1;
  const pad = c.pad ?? 0;
  const lda = (transA ? M : K) + pad;
  const ldb = (transB ? K : N) + pad;
  const ldc = N + pad;
  const sizeA = (transA ? K : M) * lda;
  const sizeB = (transB ? N : K) * ldb;
  const sizeC = M * ldc;
  const strideA = c.broadcastA ? 0 : sizeA;
  const strideB = c.broadcastB ? 0 : sizeB;
  const A = rand(Math.max(1, sizeA * (c.broadcastA ? 1 : batch)), 1);
  const B = rand(Math.max(1, sizeB * (c.broadcastB ? 1 : batch)), 2);
  const beta = c.beta ?? 0;
  // beta = 0 must ignore C's contents, NaN included.
  const C =
    beta === 0 ? new Float32Array(Math.max(1, sizeC * batch)).fill(Number.NaN) : rand(sizeC * batch, 3);
  const args = [
    transA,
    transB,
    M,
    N,
    K,
    c.alpha ?? 1,
    A,
    lda,
    strideA,
    B,
    ldb,
    strideB,
    beta,
    C,
    ldc,
    sizeC,
    batch,
  ] as const;
  if (which === 'native') native!.gemm(...args);
  else if (which === 'ref') refTwins('gemm').gemm(...args);
  else reference.gemm(...args);
  // Padding columns of C are never written: compare only the M×N parts.
  const out: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out.push(C[b * sizeC + i * ldc + j]);
  return out;
}

describe('native gemm', { skip }, () => {
  for (const c of CASES) {
    for (const [transA, transB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      test(`M${c.M} N${c.N} K${c.K} batch${c.batch ?? 1} tA=${transA} tB=${transB}`, () => {
        const got = runCase(c, transA, transB, 'native');
        const tol = 1e-5 * Math.sqrt(Math.max(1, c.K));
        assertClose(got, runCase(c, transA, transB, 'ref'), tol, tol, 'vs ref.gemm');
        assertClose(got, runCase(c, transA, transB, 'reference'), tol, tol, 'vs reference backend');
        for (const v of got) assert.ok(!Number.isNaN(v), 'beta = 0 must not propagate NaN from C');
      });
    }
  }

  test('threaded GEMV with K split (x·W, W row-major) repeats bit for bit at a fixed thread count', () => {
    const [K, N] = [700, 400];
    const A = rand(K, 7);
    const B = rand(K * N, 8);
    const once = () =>
      withThreads(2, () => {
        const C = new Float32Array(N);
        native!.gemm(false, false, 1, N, K, 1, A, K, 0, B, N, 0, 0, C, N, 0, 1);
        return C;
      });
    assertBitEqual(once(), once(), 'gemv 1x700x400');
  });

  test('bit-identical for 1 and 2 threads (sizes exercising the threaded and GEMV paths)', () => {
    for (const [M, N, K] of [
      [200, 300, 260],
      [1, 4097, 300],
      [1, 400, 700],
      [501, 1, 64],
      [24, 700, 33],
      [8, 700, 64],
    ]) {
      const A = rand(M * K, 4);
      const B = rand(K * N, 5);
      const once = (threads: number) =>
        withThreads(threads, () => {
          const C = new Float32Array(M * N);
          native!.gemm(false, true, M, N, K, 1, A, K, 0, B, K, 0, 0, C, N, 0, 1);
          return C;
        });
      assertBitEqual(once(1), once(2), `gemm ${M}x${N}x${K}`);
      assertBitEqual(once(2), once(2), `gemm ${M}x${N}x${K} repeated`);
    }
  });

  test('subarray operands are read at their byte offset', () => {
    const base = rand(100, 6);
    const A = base.subarray(10, 16); // 2×3
    const B = base.subarray(50, 56); // 3×2
    const C = new Float32Array(4);
    native!.gemm(false, false, 2, 2, 3, 1, A, 3, 0, B, 2, 0, 0, C, 2, 0, 1);
    const expect = new Float32Array(4);
    reference.gemm(false, false, 2, 2, 3, 1, A, 3, 0, B, 2, 0, 0, expect, 2, 0, 1);
    assertClose(C, expect, 1e-6, 1e-6, 'subarray gemm');
  });

  test('too-short arrays throw LlmkError naming the argument; nothing is written', () => {
    const C = new Float32Array(4).fill(7);
    assert.throws(
      () =>
        native!.gemm(
          false,
          false,
          2,
          2,
          3,
          1,
          new Float32Array(5),
          3,
          0,
          new Float32Array(6),
          2,
          0,
          0,
          C,
          2,
          0,
          1,
        ),
      (err: unknown) =>
        err instanceof LlmkError &&
        err.code === 'LLMK_E_ARG' &&
        /'A' has 5 elements, needs at least 6/.test(err.message),
    );
    assert.throws(
      () =>
        native!.gemm(
          false,
          false,
          2,
          2,
          3,
          1,
          new Float32Array(6),
          3,
          6,
          new Float32Array(6),
          2,
          6,
          0,
          C,
          2,
          4,
          2,
        ),
      /'A' has 6 elements, needs at least 12/,
    );
    assert.throws(
      () =>
        native!.gemm(
          false,
          false,
          2,
          2,
          3,
          1,
          new Float32Array(6),
          2,
          0,
          new Float32Array(6),
          2,
          0,
          0,
          C,
          2,
          0,
          1,
        ),
      /lda 2 < 3/,
    );
    assert.deepEqual([...C], [7, 7, 7, 7]);
  });

  test('Float64Array operands go to the fallback backend with identical results', () => {
    const A = Float64Array.from(rand(12, 8));
    const B = Float64Array.from(rand(12, 9));
    const C1 = new Float64Array(9);
    const C2 = new Float64Array(9);
    native!.gemm(false, true, 3, 3, 4, 1, A, 4, 0, B, 4, 0, 0, C1, 3, 0, 1);
    reference.gemm(false, true, 3, 3, 4, 1, A, 4, 0, B, 4, 0, 0, C2, 3, 0, 1);
    assert.deepEqual([...C1], [...C2]);
  });

  test('setThreads / threads round-trip', () => {
    withThreads(1, () => assert.equal(native!.threads(), 1));
    withThreads(2, () => assert.equal(native!.threads(), 2));
    assert.throws(() => native!.setThreads(0), LlmkError);
  });
});
