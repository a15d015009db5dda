/**
 * Training and evaluation windows over token shards.
 *
 * Random batches (training): B windows of T + 1 tokens, each from a shard chosen with probability
 * proportional to its number of valid start positions and a uniform start within it (nanoGPT's
 * get_batch); inputs are tokens [s, s + T), targets [s + 1, s + T + 1). Everything random comes
 * from the Rng passed in, so saving `rng.state()` is enough to resume the exact sequence.
 *
 * Sequential windows (evaluation): non-overlapping windows with stride T over each shard in order,
 * never crossing a shard boundary; the position is a plain `WindowCursor` that can be saved.
 */
import { check } from '../errors.js';
import type { Rng } from './rng.js';
import type { TokenSource } from './shards.js';

export interface TokenBatch {
  /** (B, T) row-major. */
  inputs: Int32Array;
  /** (B, T) row-major: inputs shifted left by one. */
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** Where sequential evaluation stands: the shard and the next window's start in it. */
export interface WindowCursor {
  source: number;
  offset: number;
}

export class TokenWindowSampler {
  readonly sources: TokenSource[];
  private window: Int32Array = new Int32Array(0);

  constructor(sources: TokenSource | TokenSource[]) {
    this.sources = Array.isArray(sources) ? sources : [sources];
    check(this.sources.length > 0, 'LLMK_E_ARG', () => 'TokenWindowSampler needs at least one token source');
  }

  get numTokens(): number {
    return this.sources.reduce((n, s) => n + s.numTokens, 0);
  }

  private fill(batch: TokenBatch, b: number, source: TokenSource, start: number): void {
    const T = batch.seqLen;
    if (this.window.length < T + 1) this.window = new Int32Array(T + 1);
    source.read(start, T + 1, this.window, 0);
    batch.inputs.set(this.window.subarray(0, T), b * T);
    batch.targets.set(this.window.subarray(1, T + 1), b * T);
  }

  /** B random windows of T + 1 tokens. */
  randomBatch(B: number, T: number, rng: Rng): TokenBatch {
    check(
      Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0,
      'LLMK_E_ARG',
      () => `batch size and sequence length must be positive integers (got B=${B}, T=${T})`,
    );
    const starts = this.sources.map((s) => Math.max(0, s.numTokens - T));
    const total = starts.reduce((a, b) => a + b, 0);
    check(
      total > 0,
      'LLMK_E_DATA',
      () =>
        `no shard holds ${T + 1} tokens (largest has ${Math.max(...this.sources.map((s) => s.numTokens))})`,
      'use a shorter sequence length or more data',
    );
    const batch: TokenBatch = {
      inputs: new Int32Array(B * T),
      targets: new Int32Array(B * T),
      batchSize: B,
      seqLen: T,
    };
    for (let b = 0; b < B; b++) {
      // One draw over all valid starts picks both the shard (weighted by its starts) and the offset.
      let r = rng.nextInt(total);
      let k = 0;
      while (r >= starts[k]) r -= starts[k++];
      this.fill(batch, b, this.sources[k], r);
    }
    return batch;
  }

  /** Number of sequential windows of length T + 1 (stride T) over all shards. */
  numWindows(T: number): number {
    return this.sources.reduce((n, s) => n + Math.max(0, Math.floor((s.numTokens - 1) / T)), 0);
  }

  /**
   * The next batch of up to B sequential windows from `cursor` (default: the start), and the cursor
   * after it; null when every window has been served.
   */
  sequentialBatch(
    B: number,
    T: number,
    cursor: WindowCursor = { source: 0, offset: 0 },
  ): { batch: TokenBatch; next: WindowCursor } | null {
    check(
      Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0,
      'LLMK_E_ARG',
      () => `batch size and sequence length must be positive integers (got B=${B}, T=${T})`,
    );
    const found: [TokenSource, number][] = [];
    let { source, offset } = cursor;
    while (found.length < B && source < this.sources.length) {
      const s = this.sources[source];
      if (offset + T + 1 <= s.numTokens) {
        found.push([s, offset]);
        offset += T;
      } else {
        source++;
        offset = 0;
      }
    }
    if (found.length === 0) return null;
    const n = found.length;
    const batch: TokenBatch = {
      inputs: new Int32Array(n * T),
      targets: new Int32Array(n * T),
      batchSize: n,
      seqLen: T,
    };
    for (let b = 0; b < n; b++) this.fill(batch, b, found[b][0], found[b][1]);
    return { batch, next: { source, offset } };
  }

  /** All sequential batches, in order. */
  *sequentialBatches(B: number, T: number): Generator<TokenBatch> {
    let cursor: WindowCursor | undefined;
    for (;;) {
      const r = this.sequentialBatch(B, T, cursor);
      if (!r) return;
      yield r.batch;
      cursor = r.next;
    }
  }
}
