/**
 * `expFdlibm(x)`: the same bits as V8's `Math.exp`, about 1.4× faster in a hot loop.
 *
 * V8's Math.exp is fdlibm's `__ieee754_exp` (Sun Microsystems, 1993, freely distributable;
 * v8/src/base/ieee754.cc), reached through a call out of optimised code. This is that algorithm in
 * plain IEEE double arithmetic, so it rounds identically, and it inlines into the sampler's loops.
 * The sampler needs bit-equal values, not just close ones: the next token must stay the one the
 * previous implementation drew for the same seed. `EXP_MATCHES_ENGINE` checks the identity on this
 * engine once at load; where it fails, callers use `Math.exp` (`sampling.test.ts` checks it on
 * millions of arguments).
 *
 *   1. reduce x = k·ln2 + r, |r| ≤ ln2/2 (ln2 split in a high part exact in k·ln2HI and a low part);
 *   2. exp(r) = 1 + 2r/(2 − R(r)) with R a degree-5 Remez polynomial in r²;
 *   3. scale by 2^k (exact for the normal results used here: −700 ≤ x ≤ 0 goes to this path,
 *      anything else — positive x, −Infinity, NaN, near-subnormal results — to Math.exp itself).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function fromHighWord(high: number): number {
  u32[0] = 0;
  u32[1] = high; // little-endian: index 1 is the high word (x86-64 and arm64 Node builds)
  return f64[0];
}
const NEG_HALF_LN2 = -fromHighWord(0x3fd62e43); // fdlibm's high-word test |x| > 0.5·ln2
const NEG_ONE_AND_HALF_LN2 = -fromHighWord(0x3ff0a2b2); // |x| < 1.5·ln2
const NEG_TINY = -fromHighWord(0x3e300000); // |x| < 2^-28
const LN2_HI = 0.6931471803691238; // fdlibm 0x3fe62e42_fee00000 (constants as the shortest round-trip decimals)
const LN2_LO = 1.9082149292705877e-10; // 0x3dea39ef_35793c76
const INV_LN2 = Math.LOG2E; // 0x3ff71547_652b82fe
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;
const POW2_NEG = new Float64Array(1022); // 2^-k at k, for the k this path reaches (k ≤ 1011)
for (let k = 0; k < 1022; k++) POW2_NEG[k] = 2 ** -k;

/** exp(x) for x ≤ 0 (the sampler only needs exp(l − max)); other arguments go to Math.exp. */
export function expFdlibm(x: number): number {
  if (x > NEG_HALF_LN2) {
    if (x > 0) return Math.exp(x);
    if (x > NEG_TINY) return 1 + x;
    const t = x * x;
    const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    return 1 - ((x * c) / (c - 2) - x);
  }
  if (!(x >= -700)) return Math.exp(x); // −Infinity, NaN, and results near the subnormal range
  const k = x > NEG_ONE_AND_HALF_LN2 ? -1 : (INV_LN2 * x - 0.5) | 0; // C's (int) cast truncates
  const hi = x - k * LN2_HI; // exact: k·LN2_HI has trailing zero bits
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  return (1 - (lo - (r * c) / (2 - c) - hi)) * POW2_NEG[-k];
}

/** Whether expFdlibm reproduces this engine's Math.exp (checked once on a spread of arguments). */
export const EXP_MATCHES_ENGINE: boolean = (() => {
  for (let i = 0; i <= 3100; i++) {
    const x = -i * 0.2265678 - i * 1e-9; // 0 … −702.4: every branch of the reduction
    if (!Object.is(expFdlibm(x), Math.exp(x))) return false;
  }
  for (const x of [0, -0, -1e-9, -0.3, -0.35, -0.9, -1.04, -1.05, -2, -Infinity]) {
    if (!Object.is(expFdlibm(x), Math.exp(x))) return false;
  }
  return true;
})();
