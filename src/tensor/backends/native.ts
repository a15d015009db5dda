/**
 * The native backend: the C++ kernels of native/src behind Node-API (build/Release/llmk.node).
 * Float32 calls go to the addon; a call with a Float64Array (or int operands a kernel computes only in
 * f32) goes to the fallback backend, normally the reference one, so f64 gradient checks keep working
 * through the same Backend object.
 *
 * Nothing here restates a kernel's signature: the addon's type is derived from `Kernels`, and one
 * dispatcher, the addon's `route`, makes each binding a backend method that sends the calls its
 * argument conversion declines to the fallback. Adding a kernel touches four places:
 *   1. native/src/kernels/<op>.{h,cc}  the fast kernel (raw pointers and ints);
 *   2. native/src/kernels/ref/<op>.cc  its naive twin (declared in <op>.h), the fast kernel's oracle;
 *   3. native/src/napi/kernels.cc      its binding (JS arguments in, the kernel's arguments out) and its
 *                                      row in kBindings, which exports it, and its twin as `ref.<op>`;
 *   4. src/tensor/backend.ts           its declaration in `Kernels`.
 * (Every backend implements `Kernels`, so the reference backend gets the op's TypeScript version too;
 * that is the op itself, not plumbing.)
 */
import { createRequire } from 'node:module';
import { LlmkError } from '../../errors.js';
import type { Backend, Kernels } from '../backend.js';
import { configuredThreads } from '../threads.js';

type KernelName = keyof Kernels;

/** A `Kernels` parameter as the addon takes it: float arrays as Float32Array only. */
type F32Param<P> = Exclude<P, Float64Array>;
type F32Method<F> = F extends (...args: infer A) => infer R
  ? (...args: { [I in keyof A]: F32Param<A[I]> }) => R
  : never;

/**
 * The addon's kernels: every `Kernels` method under its own name, f32 only. (NumArray operands keep
 * Int32Array in the type: copyStrided copies it natively, binary declines it to the fallback.)
 */
export type F32Kernels = { [K in KernelName]: F32Method<Kernels[K]> };

/** The addon's exports: the fast kernels, their naive twins under `ref`, and the thread pool. */
export type NativeAddon = F32Kernels & {
  simd(): string;
  setThreads(n: number): void;
  getThreads(): number;
  /** Naive C++ versions (double accumulation), the oracles of the fast kernels' tests; not every kernel has one yet. */
  ref: Partial<F32Kernels>;
  /**
   * Kernel `name` as a backend method: the kernel when its binding takes the arguments, else `fallback`
   * called with them unchanged. It declines any typed array of another type than the kernel takes at
   * that position (Float64Array, Int32Array operands of binary, copyStrided between types); argument
   * errors are thrown as makeError(message).
   */
  route<K extends KernelName>(
    name: K,
    fallback: Kernels[K],
    makeError: (message: string) => Error,
  ): Kernels[K];
};

let cached: { addon: NativeAddon | null; error: string } | null = null;

/**
 * Loads build/Release/llmk.node once (path relative to the package root, which is three levels above
 * both src/tensor/backends and dist/tensor/backends). Returns null when it is missing or fails to load;
 * `nativeLoadError()` then says why.
 */
export function loadNativeAddon(): NativeAddon | null {
  if (cached) return cached.addon;
  const require = createRequire(import.meta.url);
  try {
    const addon = require('../../../build/Release/llmk.node') as NativeAddon;
    // A build from before the dispatcher moved into the addon would fail at the first kernel call;
    // treat it as not built, so createEngine() falls back and says why.
    if (typeof addon.route !== 'function') throw new Error('the addon is out of date: run `npm run build`');
    cached = { addon, error: '' };
  } catch (err) {
    cached = { addon: null, error: err instanceof Error ? err.message : String(err) };
  }
  return cached.addon;
}

/** Why loadNativeAddon() returned null ('' when it loaded or was not tried yet). */
export function nativeLoadError(): string {
  return cached?.error ?? '';
}

/** The addon's argument errors (too-short arrays, bad sizes) surface as LlmkError LLMK_E_ARG. */
function argError(message: string): LlmkError {
  return new LlmkError('LLMK_E_ARG', `native kernel ${message}`, 'check the sizes passed to the kernel');
}

// The kernel methods are own properties the constructor installs from the addon's kBindings table
// (native/src/napi/kernels.cc), so they are not restated here; this merge gives them their types.
export interface NativeBackend extends Kernels {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the constructor installs every Kernels method.
export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  private readonly k: NativeAddon;

  constructor(addon: NativeAddon, fallback: Backend) {
    this.k = addon;
    // Every addon function that is also a method of the fallback is a kernel (simd, the thread pool
    // and route are not backend methods). The addon's routed function is the method itself: no
    // JavaScript runs between the caller and the kernel.
    const self = this as unknown as Record<string, unknown>;
    const slow = fallback as unknown as Record<string, unknown>;
    const route = addon.route as (name: string, fallback: unknown, makeError: typeof argError) => unknown;
    for (const [name, fast] of Object.entries(addon)) {
      const method = slow[name];
      if (typeof fast !== 'function' || typeof method !== 'function') continue;
      self[name] = route(name, method.bind(fallback), argError);
    }
  }

  /** The SIMD level the addon was compiled for ('avx2+fma' or 'scalar'). */
  simd(): string {
    return this.k.simd();
  }
  threads(): number {
    return this.k.getThreads();
  }
  /** Sets the worker thread count (≥ 1); results are deterministic for a given count. */
  setThreads(n: number): void {
    try {
      this.k.setThreads(n);
    } catch (err) {
      throw err instanceof Error && !(err instanceof LlmkError) ? argError(err.message) : err;
    }
  }
}

/**
 * A NativeBackend over the addon, or null (see nativeLoadError()) when the addon is not built. The
 * backend owns the thread count: LLMK_THREADS as `configuredThreads()` validates it, else every core.
 */
export function createNativeBackend(fallback: Backend): NativeBackend | null {
  const addon = loadNativeAddon();
  if (!addon) return null;
  const backend = new NativeBackend(addon, fallback);
  const threads = configuredThreads();
  if (backend.threads() !== threads) backend.setThreads(threads);
  return backend;
}
