/**
 * Small non-cryptographic hashes and an open-addressing table with 64-bit keys, the pieces the
 * dedup index is built from. Typed arrays keep the index at a known, flat cost per entry
 * (12 bytes per slot) instead of a JS Map's per-entry objects.
 */

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Mixes one 32-bit value into a running hash (the MurmurHash3 block step). */
export function mix32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Open-addressing hash table from a 64-bit key (two 32-bit halves) to a non-negative int32. */
export class U64Table {
  private hi: Int32Array;
  private lo: Int32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.values.byteLength;
  }

  private slot(hi: number, lo: number): number {
    let i = fmix32(lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    while (this.values[i] !== -1 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & this.mask;
    return i;
  }

  /** The value stored for the key, or -1. */
  get(hi: number, lo: number): number {
    return this.values[this.slot(hi | 0, lo | 0)];
  }

  /** Returns the existing value for the key, or stores `value` and returns -1. */
  getOrInsert(hi: number, lo: number, value: number): number {
    hi |= 0;
    lo |= 0;
    const i = this.slot(hi, lo);
    if (this.values[i] !== -1) return this.values[i];
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.values[i] = value;
    this.size++;
    // Keep the load factor at or below 1/2 so linear probes stay short.
    if (this.size * 2 > this.mask + 1) this.grow();
    return -1;
  }

  private grow(): void {
    const { hi, lo, values } = this;
    const cap = (this.mask + 1) * 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let j = 0; j < values.length; j++) {
      if (values[j] === -1) continue;
      const i = this.slot(hi[j], lo[j]);
      this.hi[i] = hi[j];
      this.lo[i] = lo[j];
      this.values[i] = values[j];
    }
  }
}
