/**
 * 16-bit float conversions for checkpoint I/O (Node 20 has no Float16Array).
 * - f16: IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits).
 * - bf16: bfloat16, the top 16 bits of a binary32.
 * Narrowing rounds to nearest, ties to even, as torch's `.half()` / `.bfloat16()` do, so a
 * 16-bit value widened to f32 and narrowed again is bit-identical (NaN payloads aside).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits → the exact f32 value. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A number → binary16 bits (via its f32 value), round to nearest even; overflow → ±Infinity. */
export function numberToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf / quiet NaN
  const e = exp - 127 + 15; // rebiased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    // Subnormal (or zero) in f16: shift the mantissa with its implicit 1 into place.
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000;
    const shift = 14 - e; // 1 - e extra bits on top of the 13 dropped for a normal
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h; // a carry into bit 10 correctly makes the smallest normal
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // a carry may round up to Infinity: correct
  return sign | h;
}

/** bfloat16 bits → the exact f32 value. */
export function bf16BitsToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** A number → bfloat16 bits (via its f32 value), round to nearest even; NaN → a quiet NaN. */
export function numberToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

/** Widens packed 16-bit floats (`kind` f16 or bf16) to a Float32Array. */
export function halfToFloat32(src: Uint16Array, kind: 'f16' | 'bf16'): Float32Array {
  const out = new Float32Array(src.length);
  if (kind === 'bf16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
    return out;
  }
  for (let i = 0; i < src.length; i++) out[i] = f16BitsToNumber(src[i]);
  return out;
}

/** Narrows floats to packed 16-bit values (`kind` f16 or bf16). */
export function float32ToHalf(src: ArrayLike<number>, kind: 'f16' | 'bf16'): Uint16Array {
  const out = new Uint16Array(src.length);
  const narrow = kind === 'bf16' ? numberToBf16Bits : numberToF16Bits;
  for (let i = 0; i < src.length; i++) out[i] = narrow(src[i]);
  return out;
}
