/**
 * Every non-GEMM native kernel against the TypeScript reference backend (and the naive C++ twins where
 * they exist). The reference computes in f64 and rounds once; native computes in f32, so tolerances are
 * a few f32 ulps (u = 6e-8) times the length of any reduction, stated per test. Operations that are a
 * single correctly rounded f32 operation (add/sub/mul/div, comparisons, copies) must match exactly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BinaryOp,
  type BinaryOpCode,
  dropoutUniform,
  ReduceOp,
  UnaryOp,
  type UnaryOpCode,
} from '../backend.js';
import { NativeBackend } from './native.js';
import {
  addon,
  assertBitEqual,
  assertClose,
  native,
  rand,
  randInt,
  reference,
  refTwins,
  skip,
  withThreads,
} from './native-testing.js';

const n = native!;

describe('native elementwise', { skip }, () => {
  const cases: { shape: number[]; as: number[]; bs: number[]; na: number; nb: number }[] = [
    { shape: [1000], as: [1], bs: [1], na: 1000, nb: 1000 },
    { shape: [7, 33], as: [33, 1], bs: [0, 1], na: 231, nb: 33 }, // row broadcast
    { shape: [3, 4, 5], as: [20, 5, 1], bs: [0, 0, 0], na: 60, nb: 1 }, // scalar operand
    { shape: [3, 1, 5], as: [0, 5, 1], bs: [5, 0, 1], na: 5, nb: 15 }, // both broadcast, size-1 dim
    { shape: [4, 6], as: [1, 4], bs: [6, 1], na: 24, nb: 24 }, // transposed operand
    { shape: [0, 5], as: [5, 1], bs: [5, 1], na: 0, nb: 0 }, // empty
    { shape: [], as: [], bs: [], na: 1, nb: 1 }, // rank 0
  ];
  for (const op of Object.values(BinaryOp) as BinaryOpCode[]) {
    test(`binary op ${op}`, () => {
      for (const c of cases) {
        const pos = op === BinaryOp.pow;
        const a = rand(Math.max(1, c.na), 11, pos ? 0.1 : -2, 2);
        const b = rand(Math.max(1, c.nb), 12, pos ? -2 : -2, 2);
        if (op === BinaryOp.eq) b.set(a.subarray(0, Math.min(a.length, b.length)));
        if (op === BinaryOp.maximum || op === BinaryOp.minimum) a[0] = Number.NaN;
        const total = c.shape.reduce((p, d) => p * d, 1);
        const got = new Float32Array(total);
        const want = new Float32Array(total);
        n.binary(op, got, a, c.as, b, c.bs, c.shape);
        reference.binary(op, want, a, c.as, b, c.bs, c.shape);
        // pow goes through powf vs Math.pow: a few ulps; everything else is exact.
        if (op === BinaryOp.pow) assertClose(got, want, 0, 4e-7, `pow ${c.shape}`);
        else assertBitEqual(got, want, `op ${op} shape [${c.shape}]`);
      }
    });
  }

  // Inputs kept inside each op's domain; libm f32 functions are within ~2 ulps of the f64 result.
  for (const [name, op] of Object.entries(UnaryOp) as [string, UnaryOpCode][]) {
    test(`unary ${name} forward and backward`, () => {
      const positive = ['log', 'sqrt', 'rsqrt', 'powScalar'].includes(name);
      const x = rand(1001, 13, positive ? 0.05 : -4, 4);
      x[7] = 0.5;
      const alpha = name === 'powScalar' ? 1.7 : 0.75;
      const got = new Float32Array(x.length);
      const want = new Float32Array(x.length);
      n.unary(op, got, x, x.length, alpha);
      reference.unary(op, want, x, x.length, alpha);
      assertClose(got, want, 1e-6, 1e-6, `${name} forward`);
      const dy = rand(x.length, 14);
      const dxGot = rand(x.length, 15);
      const dxWant = dxGot.slice();
      n.unaryBackward(op, dxGot, x, want, dy, x.length, alpha);
      reference.unaryBackward(op, dxWant, x, want, dy, x.length, alpha);
      assertClose(dxGot, dxWant, 2e-6, 2e-6, `${name} backward`);
    });
  }

  test('unary in place (out aliases x) and relu keeps NaN like Math.max', () => {
    const x = new Float32Array([-1, 0, 2, Number.NaN]);
    n.unary(UnaryOp.relu, x, x, 4, 0);
    assert.deepEqual([...x], [0, 0, 2, Number.NaN]);
  });

  test('copyStrided: permutes, slices and expands exactly, f32 and i32', () => {
    const x = rand(2 * 3 * 4, 16);
    const cases: [number[], number[], number][] = [
      [[4, 3, 2], [1, 4, 12], 24], // full transpose
      [[2, 2, 3], [12, 1, 4], 24], // permute + slice
      [[3, 5, 4], [4, 0, 1], 12], // expand a middle axis
      [[0, 3], [3, 1], 0],
    ];
    for (const [shape, strides] of cases) {
      const total = shape.reduce((p, d) => p * d, 1);
      const got = new Float32Array(total);
      const want = new Float32Array(total);
      n.copyStrided(got, x, shape, strides);
      reference.copyStrided(want, x, shape, strides);
      assertBitEqual(got, want, `copy [${shape}]`);
      const xi = randInt(24, 17, 1000);
      const gi = new Int32Array(total);
      const wi = new Int32Array(total);
      n.copyStrided(gi, xi, shape, strides);
      reference.copyStrided(wi, xi, shape, strides);
      assert.deepEqual([...gi], [...wi]);
    }
  });

  test('accumulate', () => {
    const x = rand(70001, 18);
    const got = rand(70001, 19);
    const want = got.slice();
    n.accumulate(got, x, x.length, 0.3);
    reference.accumulate(want, x, x.length, 0.3);
    assertClose(got, want, 2e-7, 2e-7, 'accumulate'); // alpha rounded to f32, one FMA
  });
});

describe('native reductions and softmax', { skip }, () => {
  test('reduce sum/max/min and argReduce over (outer, n, inner)', () => {
    for (const [outer, len, inner] of [
      [1, 1000, 1],
      [7, 33, 1],
      [3, 17, 130],
      [1, 513, 64],
      [2, 0, 3],
    ]) {
      const x = rand(outer * len * inner, 20 + len);
      for (const op of [ReduceOp.sum, ReduceOp.max, ReduceOp.min]) {
        if (len === 0 && op !== ReduceOp.sum) continue;
        const got = new Float32Array(outer * inner);
        const want = new Float32Array(outer * inner);
        n.reduce(op, got, x, outer, len, inner);
        reference.reduce(op, want, x, outer, len, inner);
        // Sums accumulate in double on both sides: one final rounding each.
        assertClose(got, want, 1e-6, 1e-6, `reduce ${op} ${outer}x${len}x${inner}`);
        if (len === 0) continue;
        const ig = new Int32Array(outer * inner);
        const iw = new Int32Array(outer * inner);
        if (op !== ReduceOp.sum) {
          n.argReduce(op, ig, x, outer, len, inner);
          reference.argReduce(op, iw, x, outer, len, inner);
          assert.deepEqual([...ig], [...iw]);
        }
      }
    }
  });

  test('sumSquares in double', () => {
    const x = rand(200003, 21, -3, 3);
    let s = 0;
    for (const v of x) s += v * v;
    assert.ok(Math.abs(n.sumSquares(x, x.length) - s) <= 1e-12 * s);
    assert.equal(n.sumSquares(x, 0), 0);
  });

  test('softmax and log-softmax forward/backward', () => {
    for (const [rows, cols] of [
      [1, 1],
      [7, 33],
      [3, 1000],
      [0, 5],
    ]) {
      const x = rand(rows * cols, 22, -8, 8);
      const dy = rand(rows * cols, 23);
      for (const log of [false, true]) {
        const y = new Float32Array(rows * cols);
        const yr = new Float32Array(rows * cols);
        if (log) {
          n.logSoftmaxForward(y, x, rows, cols);
          reference.logSoftmaxForward(yr, x, rows, cols);
        } else {
          n.softmaxForward(y, x, rows, cols);
          reference.softmaxForward(yr, x, rows, cols);
        }
        assertClose(y, yr, 2e-6, 2e-6, `${log ? 'log' : ''}softmax ${rows}x${cols}`);
        const dx = rand(rows * cols, 24);
        const dxr = dx.slice();
        if (log) {
          n.logSoftmaxBackward(dx, yr, dy, rows, cols);
          reference.logSoftmaxBackward(dxr, yr, dy, rows, cols);
        } else {
          n.softmaxBackward(dx, yr, dy, rows, cols);
          reference.softmaxBackward(dxr, yr, dy, rows, cols);
        }
        assertClose(dx, dxr, 1e-5, 1e-5, `${log ? 'log' : ''}softmax backward ${rows}x${cols}`);
      }
    }
  });
});

describe('native norms, cross-entropy, embedding', { skip }, () => {
  // Row statistics are accumulated in double; the remaining error is a few f32 roundings per element.
  test('layerNorm forward/backward vs ref twin and reference, with and without affine', () => {
    for (const [rows, C] of [
      [1, 1],
      [7, 33],
      [5, 768],
      [0, 4],
    ]) {
      for (const affine of [true, false]) {
        const x = rand(rows * C, 30, -3, 3);
        const w = affine ? rand(C, 31) : null;
        const b = affine ? rand(C, 32) : null;
        const fwd = (impl: 'n' | 'ref' | 'r') => {
          const out = new Float32Array(rows * C);
          const mean = new Float32Array(rows);
          const rstd = new Float32Array(rows);
          if (impl === 'n') n.layerNormForward(out, mean, rstd, x, w, b, rows, C, 1e-5);
          else if (impl === 'ref')
            refTwins('layerNormForward').layerNormForward(out, mean, rstd, x, w, b, rows, C, 1e-5);
          else reference.layerNormForward(out, mean, rstd, x, w, b, rows, C, 1e-5);
          return { out, mean, rstd };
        };
        const got = fwd('n');
        for (const want of [fwd('ref'), fwd('r')]) {
          assertClose(got.out, want.out, 1e-5, 1e-5, 'layernorm out');
          assertClose(got.mean, want.mean, 1e-6, 1e-6, 'layernorm mean');
          assertClose(got.rstd, want.rstd, 1e-6, 1e-5, 'layernorm rstd');
        }
        const dy = rand(rows * C, 33);
        const bwd = (impl: 'n' | 'ref' | 'r') => {
          const dx = rand(rows * C, 34);
          const dw = affine ? rand(C, 35) : null;
          const db = affine ? rand(C, 36) : null;
          const s = fwd('r');
          if (impl === 'n') n.layerNormBackward(dx, dw, db, dy, x, w, s.mean, s.rstd, rows, C);
          else if (impl === 'ref')
            refTwins('layerNormBackward').layerNormBackward(dx, dw, db, dy, x, w, s.mean, s.rstd, rows, C);
          else reference.layerNormBackward(dx, dw, db, dy, x, w, s.mean, s.rstd, rows, C);
          return [dx, dw ?? new Float32Array(0), db ?? new Float32Array(0)];
        };
        const g = bwd('n');
        for (const want of [bwd('ref'), bwd('r')]) {
          assertClose(g[0], want[0], 2e-5, 2e-5, 'layernorm dx');
          assertClose(g[1], want[1], 1e-5 * Math.sqrt(rows + 1), 1e-5, 'layernorm dweight');
          assertClose(g[2], want[2], 1e-5 * Math.sqrt(rows + 1), 1e-5, 'layernorm dbias');
        }
      }
    }
  });

  test('rmsNorm forward/backward', () => {
    for (const [rows, C, affine] of [
      [7, 33, true],
      [4, 768, false],
    ] as const) {
      const x = rand(rows * C, 40, -3, 3);
      const w = affine ? rand(C, 41) : null;
      const out = [new Float32Array(rows * C), new Float32Array(rows * C)];
      const rstd = [new Float32Array(rows), new Float32Array(rows)];
      n.rmsNormForward(out[0], rstd[0], x, w, rows, C, 1e-6);
      reference.rmsNormForward(out[1], rstd[1], x, w, rows, C, 1e-6);
      assertClose(out[0], out[1], 1e-5, 1e-5, 'rmsnorm out');
      assertClose(rstd[0], rstd[1], 1e-6, 1e-5, 'rmsnorm rstd');
      const dy = rand(rows * C, 42);
      const dx = [rand(rows * C, 43), rand(rows * C, 43)];
      const dw = affine ? [rand(C, 44), rand(C, 44)] : [null, null];
      n.rmsNormBackward(dx[0], dw[0], dy, x, w, rstd[1], rows, C);
      reference.rmsNormBackward(dx[1], dw[1], dy, x, w, rstd[1], rows, C);
      assertClose(dx[0], dx[1], 2e-5, 2e-5, 'rmsnorm dx');
      if (dw[0] && dw[1]) assertClose(dw[0], dw[1], 2e-5, 2e-5, 'rmsnorm dweight');
    }
  });

  test('crossEntropy forward/backward with ignore index and label smoothing', () => {
    const rows = 9;
    const V = 1000;
    const logits = rand(rows * V, 50, -6, 6);
    const targets = randInt(rows, 51, V);
    targets[3] = -100;
    for (const smoothing of [0, 0.1]) {
      const run = (impl: 'n' | 'ref' | 'r') => {
        const losses = new Float32Array(rows);
        const lse = new Float32Array(rows);
        const k =
          impl === 'n'
            ? n
            : impl === 'ref'
              ? refTwins('crossEntropyForward', 'crossEntropyBackward')
              : reference;
        k.crossEntropyForward(losses, lse, logits, targets, rows, V, -100, smoothing);
        const dl = rand(rows * V, 52);
        k.crossEntropyBackward(dl, logits, lse, targets, rand(rows, 53), rows, V, -100, smoothing);
        return { losses, lse, dl };
      };
      const got = run('n');
      assert.equal(got.losses[3], 0);
      for (const want of [run('ref'), run('r')]) {
        assertClose(got.losses, want.losses, 1e-5, 1e-6, 'ce loss');
        assertClose(got.lse, want.lse, 1e-5, 1e-6, 'ce lse');
        assertClose(got.dl, want.dl, 1e-6, 1e-5, 'ce dlogits');
      }
    }
    assert.throws(
      () =>
        n.crossEntropyForward(
          new Float32Array(1),
          new Float32Array(1),
          new Float32Array(4),
          new Int32Array([4]),
          1,
          4,
          -1,
          0,
        ),
      /outside \[0, V\)/,
    );
  });

  test('embedding forward copies rows; backward scatter-adds repeated ids exactly', () => {
    const V = 50;
    const C = 33;
    const w = rand(V * C, 60);
    const ids = Int32Array.from([3, 7, 3, 49, 0, 3]);
    const out = [new Float32Array(ids.length * C), new Float32Array(ids.length * C)];
    n.embeddingForward(out[0], w, ids, ids.length, C);
    reference.embeddingForward(out[1], w, ids, ids.length, C);
    assertBitEqual(out[0], out[1], 'embedding');
    const dout = rand(ids.length * C, 61);
    const dw = [rand(V * C, 62), rand(V * C, 62)];
    n.embeddingBackward(dw[0], dout, ids, ids.length, C);
    reference.embeddingBackward(dw[1], dout, ids, ids.length, C);
    assertBitEqual(dw[0], dw[1], 'embedding backward');
    assert.throws(
      () => n.embeddingForward(out[0], w, Int32Array.from([50]), 1, C),
      /ids\[0\] = 50 is outside/,
    );
  });
});

describe('native rope, dropout, optimizers', { skip }, () => {
  test('rope forward/backward, interleaved and half layouts, partial rotary dim, in place', () => {
    const [B, NH, T, HS] = [2, 3, 5, 8];
    for (const interleaved of [true, false]) {
      for (const rd of [8, 4]) {
        const x = rand(B * NH * T * HS, 70);
        const cos = rand((T * rd) / 2, 71);
        const sin = rand((T * rd) / 2, 72);
        const got = new Float32Array(x.length);
        const want = new Float32Array(x.length);
        n.ropeForward(got, x, cos, sin, B, NH, T, HS, rd, interleaved);
        reference.ropeForward(want, x, cos, sin, B, NH, T, HS, rd, interleaved);
        assertClose(got, want, 1e-6, 1e-6, 'rope');
        const inPlace = x.slice();
        n.ropeForward(inPlace, inPlace, cos, sin, B, NH, T, HS, rd, interleaved);
        assertBitEqual(inPlace, got, 'rope in place');
        const dx = [rand(x.length, 73), rand(x.length, 73)];
        n.ropeBackward(dx[0], x, cos, sin, B, NH, T, HS, rd, interleaved);
        reference.ropeBackward(dx[1], x, cos, sin, B, NH, T, HS, rd, interleaved);
        assertClose(dx[0], dx[1], 1e-6, 1e-6, 'rope backward');
      }
    }
  });

  test('dropout mask equals dropoutUniform bit for bit; values and backward match reference', () => {
    for (const [seed, offset, p] of [
      [1234, 0, 0.1],
      [-7, 4294967000, 0.5],
      [2 ** 31 + 5, 123, 0.9],
    ]) {
      const len = 5001;
      const x = rand(len, 80);
      const out = new Float32Array(len);
      const mask = new Uint8Array(len);
      n.dropoutForward(out, mask, x, len, p, seed, offset);
      for (let i = 0; i < len; i++) {
        const keep = dropoutUniform(seed, offset + i) >= p ? 1 : 0;
        if (mask[i] !== keep) assert.fail(`mask[${i}] = ${mask[i]}, dropoutUniform says ${keep}`);
      }
      const outR = new Float32Array(len);
      const maskR = new Uint8Array(len);
      reference.dropoutForward(outR, maskR, x, len, p, seed, offset);
      assertClose(out, outR, 0, 2e-7, 'dropout out'); // scale 1/(1−p) rounded to f32 first
      const dx = [rand(len, 81), rand(len, 81)];
      const dy = rand(len, 82);
      n.dropoutBackward(dx[0], dy, mask, len, p);
      reference.dropoutBackward(dx[1], dy, mask, len, p);
      assertClose(dx[0], dx[1], 2e-7, 2e-7, 'dropout backward');
    }
  });

  test('adamw and sgd match the reference update over 3 steps', () => {
    const len = 40001;
    const init = rand(len, 90);
    const pa = [init.slice(), init.slice()];
    const m = [new Float32Array(len), new Float32Array(len)];
    const v = [new Float32Array(len), new Float32Array(len)];
    for (let step = 1; step <= 3; step++) {
      const g = rand(len, 91 + step);
      n.adamw(pa[0], g, m[0], v[0], len, 1e-3, 0.9, 0.999, 1e-8, 0.1, step);
      reference.adamw(pa[1], g, m[1], v[1], len, 1e-3, 0.9, 0.999, 1e-8, 0.1, step);
    }
    // f32 arithmetic on both sides' state; the update itself is ~lr, so 1e-6 absolute is ~1e-3 of it.
    assertClose(pa[0], pa[1], 1e-6, 1e-6, 'adamw param');
    assertClose(m[0], m[1], 1e-7, 1e-5, 'adamw m');
    for (const nesterov of [false, true]) {
      const ps = [init.slice(), init.slice()];
      const buf = [new Float32Array(len), new Float32Array(len)];
      for (let step = 1; step <= 3; step++) {
        const g = rand(len, 95 + step);
        n.sgd(ps[0], g, buf[0], len, 0.01, 0.9, 0.1, 0.01, nesterov, step === 1);
        reference.sgd(ps[1], g, buf[1], len, 0.01, 0.9, 0.1, 0.01, nesterov, step === 1);
      }
      assertClose(ps[0], ps[1], 1e-6, 1e-6, `sgd nesterov=${nesterov}`);
    }
  });
});

describe('native determinism across thread counts', { skip }, () => {
  test('layerNorm backward, reduce, softmax, cross-entropy: bit-identical at 1 and 2 threads', () => {
    const rows = 300;
    const C = 257;
    const x = rand(rows * C, 100);
    const dy = rand(rows * C, 101);
    const run = () => {
      const out = new Float32Array(rows * C);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      n.layerNormForward(out, mean, rstd, x, rand(C, 102), rand(C, 103), rows, C, 1e-5);
      const dx = new Float32Array(rows * C);
      const dw = new Float32Array(C);
      const db = new Float32Array(C);
      n.layerNormBackward(dx, dw, db, dy, x, rand(C, 102), mean, rstd, rows, C);
      const red = new Float32Array(C);
      n.reduce(ReduceOp.sum, red, x, 1, rows, C);
      const sm = new Float32Array(rows * C);
      n.softmaxForward(sm, x, rows, C);
      return [out, dx, dw, db, red, sm];
    };
    const one = withThreads(1, run);
    const two = withThreads(2, run);
    for (let i = 0; i < one.length; i++) assertBitEqual(one[i], two[i], `output ${i}`);
    const big = rand(300000, 104);
    assert.equal(
      withThreads(1, () => n.sumSquares(big, big.length)),
      withThreads(2, () => n.sumSquares(big, big.length)),
    );
  });
});

describe('native dispatch', { skip }, () => {
  test('f32 calls and the int/u8 arrays a kernel takes go native; f64 and int binary go to the fallback', () => {
    const fellBack: string[] = [];
    // A reference backend that records which kernels reached it.
    const fallback = new Proxy(reference, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          fellBack.push(String(key));
          return value.apply(target, args);
        };
      },
    });
    const k = new NativeBackend(addon!, fallback);
    const routed = (expected: string[], call: () => void, what: string) => {
      fellBack.length = 0;
      call();
      assert.deepEqual(fellBack, expected, what);
    };
    const f32 = rand(6, 1);
    const f64 = Float64Array.from(f32);
    const i32 = Int32Array.from([1, 2, 3, 4, 5, 6]);
    const shape = [2, 3];
    const strides = [3, 1];
    routed(
      [],
      () => k.binary(BinaryOp.add, new Float32Array(6), f32, strides, f32, strides, shape),
      'f32 add',
    );
    for (const [x, out] of [
      [i32, new Int32Array(6)],
      [f64, new Float64Array(6)],
    ] as const) {
      routed(['binary'], () => k.binary(BinaryOp.add, out, x, strides, x, strides, shape), 'non-f32 add');
      assert.deepEqual(
        [...out],
        [...x].map((v) => 2 * v),
      );
    }
    routed([], () => k.copyStrided(new Float32Array(6), f32, shape, strides), 'f32 copy');
    const copied = new Int32Array(6);
    routed([], () => k.copyStrided(copied, i32, [3, 2], [1, 3]), 'i32 copy');
    assert.deepEqual([...copied], [1, 4, 2, 5, 3, 6]);
    routed(['copyStrided'], () => k.copyStrided(new Float64Array(6), f64, shape, strides), 'f64 copy');
    routed(['copyStrided'], () => k.copyStrided(new Float32Array(6), i32, shape, strides), 'i32 into f32');
    routed([], () => k.argReduce(ReduceOp.max, new Int32Array(2), f32, 2, 3, 1), 'argmax of f32');
    routed(['argReduce'], () => k.argReduce(ReduceOp.max, new Int32Array(2), f64, 2, 3, 1), 'argmax of f64');
    const targets = Int32Array.from([0, 2]);
    const ce = (x: Float32Array | Float64Array, out: () => Float32Array | Float64Array) =>
      k.crossEntropyForward(out(), out(), x, targets, 2, 3, -100, 0);
    routed([], () => ce(f32, () => new Float32Array(2)), 'f32 cross-entropy');
    routed(['crossEntropyForward'], () => ce(f64, () => new Float64Array(2)), 'f64 cross-entropy');
    const mask = new Uint8Array(6);
    routed([], () => k.dropoutForward(new Float32Array(6), mask, f32, 6, 0.5, 1, 0), 'f32 dropout');
    routed(
      [],
      () => k.layerNormForward(new Float32Array(6), f32, f32, f32, null, null, 2, 3, 1e-5),
      'f32 norm',
    );
    routed(['unary'], () => k.unary(UnaryOp.exp, new Float64Array(6), f64, 6, 0), 'f64 unary');
  });
});
