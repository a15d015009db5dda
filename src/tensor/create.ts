/**
 * createEngine(): picks the native backend when the addon is built and loads, else the reference
 * backend — and says so once, clearly, because the reference backend is slow.
 */
import { LlmkError } from '../errors.js';
import type { Backend } from './backend.js';
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

export type NativeLoader = (fallback: Backend) => Backend | string;

let nativeLoader: NativeLoader | null = null;
let fallbackNoticeShown = false;

/** Installed by the native backend module at import (kept here so this file has no addon dependency). */
export function setNativeLoader(loader: NativeLoader): void {
  nativeLoader = loader;
}

export function createEngine(options: EngineOptions = {}): Engine {
  const seed = options.seed ?? 0;
  const requested = options.backend ?? 'native';
  if (typeof requested === 'object') return new Engine(requested, seed);
  const reference = createReferenceBackend();
  if (requested === 'reference') return new Engine(reference, seed);
  const loaded = nativeLoader ? nativeLoader(reference) : 'the native backend module was not loaded';
  if (typeof loaded !== 'string') return new Engine(loaded, seed);
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
