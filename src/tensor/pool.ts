/**
 * The buffer pool behind every tensor. A training step asks for the same sizes every time, so freed
 * buffers are kept in exact-size free lists and handed out again: after warm-up a step allocates
 * nothing new. The statistics make that checkable (a test compares `allocatedBytes` at step 2 and 100).
 * Workloads whose sizes keep changing (growing KV caches, variable-length batches) would fill the
 * lists with sizes never asked for again, so pooled memory is capped: past `maxPooledBytes` the
 * least recently used sizes are dropped for the garbage collector.
 */
import { type AnyArray, allocArray, BYTES_PER_ELEMENT, type DType } from './dtype.js';

export interface PoolStats {
  /** Bytes ever obtained from the system (live + pooled). Flat once a loop has warmed up. */
  allocatedBytes: number;
  /** Bytes held by live tensors. */
  liveBytes: number;
  /** Bytes sitting in free lists, ready for reuse. */
  pooledBytes: number;
  /** Number of buffers created from the system. */
  allocations: number;
  /** Number of requests served from a free list. */
  reuses: number;
}

/** Default cap on pooled (free, reusable) bytes: 512 MiB, or LLMK_POOL_MAX_MB. */
export function defaultMaxPooledBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.LLMK_POOL_MAX_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 512) * 2 ** 20;
}

export class MemoryPool {
  /** Free lists by size; Map order is recency of use (a list is re-inserted when touched). */
  private readonly free = new Map<string, AnyArray[]>();

  constructor(readonly maxPooledBytes = defaultMaxPooledBytes()) {}

  private readonly stats: PoolStats = {
    allocatedBytes: 0,
    liveBytes: 0,
    pooledBytes: 0,
    allocations: 0,
    reuses: 0,
  };

  /** A buffer of n elements, zero-filled unless `zero` is false (the caller overwrites every element). */
  acquire(dtype: DType, n: number, zero = true): AnyArray {
    const bytes = n * BYTES_PER_ELEMENT[dtype];
    const key = `${dtype}:${n}`;
    const list = this.free.get(key);
    const reused = list?.pop();
    if (list) {
      this.free.delete(key);
      if (list.length > 0) this.free.set(key, list);
    }
    this.stats.liveBytes += bytes;
    if (reused) {
      this.stats.pooledBytes -= bytes;
      this.stats.reuses++;
      if (zero) reused.fill(0);
      return reused;
    }
    this.stats.allocatedBytes += bytes;
    this.stats.allocations++;
    return allocArray(dtype, n);
  }

  /** Returns a buffer for reuse. The caller must hold no other reference to it. */
  release(array: AnyArray): void {
    const dtype: DType =
      array instanceof Float32Array ? 'f32' : array instanceof Float64Array ? 'f64' : 'i32';
    const key = `${dtype}:${array.length}`;
    const list = this.free.get(key) ?? [];
    this.free.delete(key);
    list.push(array);
    this.free.set(key, list);
    const bytes = array.byteLength;
    this.stats.liveBytes -= bytes;
    this.stats.pooledBytes += bytes;
    // Over the cap: drop whole least-recently-used size classes (the oldest Map entries).
    for (const [oldKey, oldList] of this.free) {
      if (this.stats.pooledBytes <= this.maxPooledBytes) break;
      this.free.delete(oldKey);
      const dropped = oldList.reduce((n, a) => n + a.byteLength, 0);
      this.stats.pooledBytes -= dropped;
      this.stats.allocatedBytes -= dropped;
    }
  }

  /** Drops every pooled buffer (gives the memory back to the garbage collector). */
  trim(): void {
    this.stats.allocatedBytes -= this.stats.pooledBytes;
    this.stats.pooledBytes = 0;
    this.free.clear();
  }

  snapshot(): PoolStats {
    return { ...this.stats };
  }
}
