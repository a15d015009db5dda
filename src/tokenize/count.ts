/**
 * Counting pre-tokens for training, on worker threads when the input is large. Documents are split
 * around special tokens (never merged across), pre-tokenized by the scheme of the tokenizer being
 * trained, and counted into one Map. With `threads` > 1, ~16 MB documents go round-robin to workers
 * (at most two in flight per worker, so memory stays bounded) and their Maps are summed at the end.
 */
import { Worker } from 'node:worker_threads';
import { bertPreTokenize, gpt2PreTokenize } from './pretokenize.js';

export type PreTokenizeScheme = 'gpt2' | 'bert';

export interface CountOptions {
  scheme: PreTokenizeScheme;
  specialTokens: string[];
  threads: number;
  /** Called after each document with the total UTF-8 bytes counted so far. */
  onBytes?: (bytes: number) => void;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Counts the pre-tokens of one document into `words` (shared by the main thread and workers). */
export function countInto(
  words: Map<string, number>,
  doc: string,
  scheme: PreTokenizeScheme,
  specials: string[],
): void {
  const add = (w: string): void => {
    words.set(w, (words.get(w) ?? 0) + 1);
  };
  const pre = scheme === 'gpt2' ? gpt2PreTokenize : bertPreTokenize;
  if (specials.length === 0) {
    pre(doc, add);
    return;
  }
  const splitter = new RegExp(specials.map(escapeRegex).join('|'), 'g');
  for (const part of doc.split(splitter)) pre(part, add);
}

/** A counting worker; from TypeScript sources (tsx), the worker registers tsx before loading its module. */
function startWorker(workerData: { scheme: PreTokenizeScheme; specials: string[] }): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./count-worker.js', self), { workerData });
  const entry = new URL('./count-worker.ts', self).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export async function countWords(
  docs: AsyncIterable<string>,
  options: CountOptions,
): Promise<Map<string, number>> {
  let bytes = 0;
  if (options.threads <= 1) {
    const words = new Map<string, number>();
    for await (const doc of docs) {
      countInto(words, doc, options.scheme, options.specialTokens);
      bytes += Buffer.byteLength(doc);
      options.onBytes?.(bytes);
    }
    return words;
  }
  const workers = Array.from({ length: options.threads }, () =>
    startWorker({ scheme: options.scheme, specials: options.specialTokens }),
  );
  const inFlight = workers.map(() => 0);
  const waiters: (() => void)[] = [];
  const failures: Error[] = [];
  const results = workers.map(
    (w, i) =>
      new Promise<Map<string, number>>((resolve, reject) => {
        w.on('message', (msg: { type: 'ack' } | { type: 'result'; words: Map<string, number> }) => {
          if (msg.type === 'ack') {
            inFlight[i]--;
            waiters.shift()?.();
          } else resolve(msg.words);
        });
        w.on('error', (err) => {
          failures.push(err);
          reject(err);
          for (const wake of waiters.splice(0)) wake();
        });
      }),
  );
  try {
    let next = 0;
    for await (const doc of docs) {
      while (failures.length === 0 && Math.min(...inFlight) >= 2)
        await new Promise<void>((r) => waiters.push(r));
      if (failures.length > 0) throw failures[0];
      // Least-loaded worker, starting from the round-robin position.
      let pick = next;
      for (let k = 0; k < workers.length; k++) {
        const i = (next + k) % workers.length;
        if (inFlight[i] < inFlight[pick]) pick = i;
      }
      next = (pick + 1) % workers.length;
      inFlight[pick]++;
      workers[pick].postMessage({ type: 'doc', doc });
      bytes += Buffer.byteLength(doc);
      options.onBytes?.(bytes);
    }
    for (const w of workers) w.postMessage({ type: 'done' });
    const maps = await Promise.all(results);
    const total = maps[0];
    for (const m of maps.slice(1)) for (const [w, c] of m) total.set(w, (total.get(w) ?? 0) + c);
    return total;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
