/**
 * The one thread setting: LLMK_THREADS (a whole number ≥ 1), else every available core. The native
 * backend sets its pool from it at creation (createNativeBackend); run metadata and the
 * tokenizer-training workers read it here too, so every consumer agrees on one number and a bad
 * value is a typed error rather than a silent default.
 */
import { availableParallelism } from 'node:os';
import { LlmkError } from '../errors.js';

export function configuredThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LLMK_THREADS;
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `LLMK_THREADS='${raw}' is not a whole number ≥ 1`,
      'unset it to use every core, or set e.g. LLMK_THREADS=2',
    );
  }
  return n;
}
