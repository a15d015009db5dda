/**
 * Helpers for the native backend's tests: seeded inputs, a tolerance comparison that names the worst
 * element, and the backends under test. Tests skip (saying why) only when the addon is not built.
 */
import assert from 'node:assert/strict';
import type { Backend } from '../backend.js';
import {
  type F32Kernels,
  loadNativeAddon,
  type NativeAddon,
  NativeBackend,
  nativeLoadError,
} from './native.js';
import { createReferenceBackend } from './reference.js';

export const addon: NativeAddon | null = loadNativeAddon();
export const reference: Backend = createReferenceBackend();
export const native: NativeBackend | null = addon ? new NativeBackend(addon, reference) : null;
/** node:test `skip` option: false when the addon loaded, else the reason. */
export const skip: string | false = addon ? false : `native addon not built (${nativeLoadError()})`;

/** The addon's naive C++ twins of `names`, the oracles a test compares against; fails if one is missing. */
export function refTwins<K extends keyof F32Kernels>(...names: K[]): Pick<F32Kernels, K> {
  const twins = addon!.ref;
  for (const name of names) assert.equal(typeof twins[name], 'function', `the addon exports no ref.${name}`);
  return twins as Pick<F32Kernels, K>;
}

/** Deterministic uniform values in [lo, hi) (mulberry32), so failures reproduce. */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export function randInt(n: number, seed: number, hi: number): Int32Array {
  const u = rand(n, seed, 0, 1);
  return Int32Array.from(u, (v) => Math.min(hi - 1, Math.floor(v * hi)));
}

/** Asserts |a − e| ≤ atol + rtol·|e| elementwise (NaN must match NaN, ±Inf must match exactly). */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e)))
        assert.fail(`${what}[${i}] = ${a}, expected ${e}`);
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0)
    assert.fail(
      `${what}[${worst}] = ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst] - expected[worst])} > ${atol} + ${rtol}·|e|)`,
    );
}

export function assertBitEqual(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}[${i}]: ${a[i]} !== ${b[i]}`);
}

/** Runs fn with the native pool at `n` threads, restoring the previous count afterwards. */
export function withThreads<T>(n: number, fn: () => T): T {
  const prev = addon!.getThreads();
  addon!.setThreads(n);
  try {
    return fn();
  } finally {
    addon!.setThreads(prev);
  }
}
