/**
 * createEngine(): picks the native backend when the addon is built and loads, else the reference
 * backend — and says so once, clearly, because the reference backend is slow.
 */
import { LlmkError } from '../errors.js';
import type { Backend } from './backend.js';
import { createNativeBackend, nativeLoadError } from './backends/native.js';
import { createReferenceBackend } from './backends/reference.js';
import { Engine } from './engine.js';

export interface EngineOptions {
  /** 'native' (default when built), 'reference', or a Backend object. */
  backend?: 'native' | 'reference' | Backend;
  /** Seed of the engine RNG (dropout masks, default initialisers). */
  seed?: number;
  /** Where the one-time fallback notice goes (console.warn by default). */
  warn?: (message: string) => void;
}

// The fallback notice is printed once per process, not once per engine: a latch, not a setting.
let fallbackNoticeShown = false;

export function createEngine(options: EngineOptions = {}): Engine {
  const seed = options.seed ?? 0;
  const requested = options.backend ?? 'native';
  if (typeof requested === 'object') return new Engine(requested, seed);
  const reference = createReferenceBackend();
  if (requested === 'reference') return new Engine(reference, seed);
  const native = createNativeBackend(reference);
  if (native) return new Engine(native, seed);
  const loaded = nativeLoadError();
  if (options.backend === 'native') {
    throw new LlmkError(
      'LLMK_E_BACKEND',
      `the native backend is unavailable: ${loaded}`,
      'run `npm install` (needs g++, make, python3) or use backend: "reference"',
    );
  }
  if (!fallbackNoticeShown) {
    fallbackNoticeShown = true;
    (options.warn ?? console.warn)(
      `llmk: native kernels unavailable (${loaded}); using the slow reference backend.`,
    );
  }
  return new Engine(reference, seed);
}
