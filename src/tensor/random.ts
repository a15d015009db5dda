/**
 * Seeded random numbers for the whole library: xoshiro128** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2018; reference C at https://prng.di.unimi.it/xoshiro128starstar.c),
 * seeded through SplitMix32 so any integer seed gives a well-spread, never all-zero state. The state
 * is four uint32 values: save it with `state()` and restore it with `Rng.fromState()` (or
 * `setState`) to resume a run exactly.
 */
import { check } from '../errors.js';

export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function checkState(state: readonly number[]): void {
  check(
    state.length === 4 &&
      state.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) &&
      state.some((v) => v !== 0),
    'LLMK_E_ARG',
    () => `invalid RNG state ${JSON.stringify(state)}`,
    'expected four uint32 values, not all zero, as returned by rng.state()',
  );
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed = 0) {
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** A copy of the state (JSON-serialisable). */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  getState(): RngState {
    return this.state();
  }

  setState(state: RngState): void {
    checkState(state);
    [this.s0, this.s1, this.s2, this.s3] = state;
  }

  /** Next uint32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [0, 1) (an alias of nextFloat). */
  uniform(): number {
    return this.nextFloat();
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling), for n up to 2^53. */
  nextInt(n: number): number {
    check(
      Number.isInteger(n) && n > 0 && n <= 2 ** 53,
      'LLMK_E_ARG',
      () => `nextInt bound must be a positive integer ≤ 2^53 (got ${n})`,
    );
    if (n <= 0x100000000) {
      // Lemire-style threshold: reject the low values that would bias the modulo.
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % n;
      }
    }
    for (;;) {
      const x = Math.floor(this.nextFloat() * 2 ** 53);
      const limit = 2 ** 53 - (2 ** 53 % n);
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [0, n) (an alias of nextInt). */
  int(n: number): number {
    return this.nextInt(n);
  }

  /** Standard normal by the Box–Muller transform (no cached pair, so the state is the four words). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
