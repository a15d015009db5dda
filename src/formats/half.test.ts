/**
 * f16 / bf16 conversions: exact bit patterns from IEEE 754 binary16 and bfloat16, round-to-nearest-even
 * ties, and an exhaustive widen → narrow identity over all 65,536 patterns of each format.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bf16BitsToNumber,
  f16BitsToNumber,
  float32ToHalf,
  halfToFloat32,
  numberToBf16Bits,
  numberToF16Bits,
} from './half.js';

describe('f16', () => {
  test('known values', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // largest finite
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [0.1, 0x2e66],
      [0, 0x0000],
      [-0, 0x8000],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    for (const [x, bits] of cases) {
      assert.equal(numberToF16Bits(x), bits, `narrow ${x}`);
      if (x !== 0.1) assert.ok(Object.is(f16BitsToNumber(bits), x), `widen 0x${bits.toString(16)}`);
    }
    assert.ok(Number.isNaN(f16BitsToNumber(numberToF16Bits(Number.NaN))));
  });

  test('rounding: nearest, ties to even, overflow and underflow', () => {
    assert.equal(numberToF16Bits(1 + 2 ** -11), 0x3c00, 'tie at 1.0 stays even');
    assert.equal(numberToF16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie at 1+ulp rounds up to even');
    assert.equal(numberToF16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above the tie rounds up');
    assert.equal(numberToF16Bits(65519), 0x7bff, 'below the overflow midpoint');
    assert.equal(numberToF16Bits(65520), 0x7c00, 'the overflow midpoint rounds to Infinity');
    assert.equal(numberToF16Bits(2 ** -25), 0x0000, 'half the smallest subnormal: tie to 0');
    assert.equal(numberToF16Bits(3 * 2 ** -26), 0x0001, '0.75 ulp rounds up');
    assert.equal(numberToF16Bits(3 * 2 ** -25), 0x0002, 'subnormal tie 1.5 ulp → 2');
    assert.equal(numberToF16Bits(2 ** -14 - 2 ** -25), 0x0400, 'rounds up into the smallest normal');
    assert.equal(numberToF16Bits(2 ** -30), 0x0000);
  });

  test('every pattern survives widen → narrow', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToHalf(halfToFloat32(all, 'f16'), 'f16');
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (nan) assert.ok(Number.isNaN(f16BitsToNumber(back[i])), `NaN 0x${i.toString(16)}`);
      else assert.equal(back[i], i, `0x${i.toString(16)}`);
    }
  });
});

describe('bf16', () => {
  test('known values and ties to even', () => {
    assert.equal(numberToBf16Bits(1), 0x3f80);
    assert.equal(numberToBf16Bits(-2), 0xc000);
    assert.equal(numberToBf16Bits(1 + 2 ** -8), 0x3f80, 'tie stays even');
    assert.equal(numberToBf16Bits(1 + 3 * 2 ** -8), 0x3f82, 'tie rounds up to even');
    assert.equal(numberToBf16Bits(Number.POSITIVE_INFINITY), 0x7f80);
    assert.equal(numberToBf16Bits(Number.NaN) & 0x7fc0, 0x7fc0);
    assert.equal(bf16BitsToNumber(0x3f80), 1);
    assert.equal(bf16BitsToNumber(0x4049), 3.140625);
  });

  test('every pattern survives widen → narrow', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToHalf(halfToFloat32(all, 'bf16'), 'bf16');
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
      if (nan) assert.ok(Number.isNaN(bf16BitsToNumber(back[i])), `NaN 0x${i.toString(16)}`);
      else assert.equal(back[i], i, `0x${i.toString(16)}`);
    }
  });
});
