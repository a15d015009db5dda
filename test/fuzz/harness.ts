/**
 * Shared pieces of the fuzz tests (issue 12): the invariant every reader of untrusted bytes must
 * keep, byte-level mutations, and run sizing.
 *
 * Invariant: a reader returns a valid result or throws an LlmkError (a typed code and a hint); never
 * a raw TypeError/RangeError, never a hang (each call is timed), never memory far beyond what the
 * file could justify (measured around each call, so a header declaring 2^40 elements that gets
 * allocated shows up even when the allocation happens to succeed).
 *
 * Sizing: `npm test` runs each property with its short case count and a fixed seed (a few seconds
 * in all). `npm run fuzz` (scripts/fuzz.mjs) sets LLMK_FUZZ_SCALE (cases × scale) and
 * LLMK_FUZZ_SEED (a fresh seed, printed, so a finding replays with the same environment), and
 * LLMK_FUZZ_REPORT, a file that collects `{property, runs}` lines for the case-count table.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LlmkError } from '../../src/errors.js';

const SEED = Number(process.env.LLMK_FUZZ_SEED ?? 1204);
const SCALE = Number(process.env.LLMK_FUZZ_SCALE ?? 1);

/** fast-check parameters for a property with `shortRuns` cases in `npm test`. */
export function runsFor(shortRuns: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: SEED, numRuns: Math.ceil(shortRuns * SCALE), endOnFailure: SCALE > 1 };
}

function record(name: string, runs: number): void {
  const file = process.env.LLMK_FUZZ_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ property: name, runs })}\n`);
}

/** Checks a synchronous property and records its case count. */
export function property<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => void,
  shortRuns: number,
): void {
  const params = runsFor(shortRuns);
  fc.assert(fc.property(arb, check), params);
  record(name, params.numRuns);
}

/** Checks an asynchronous property and records its case count. */
export async function asyncProperty<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  shortRuns: number,
): Promise<void> {
  const params = runsFor(shortRuns);
  await fc.assert(fc.asyncProperty(arb, check), params);
  record(name, params.numRuns);
}

export interface Limits {
  /** Wall-clock bound for one call. Generous: the machines are shared; a hang takes minutes. */
  ms?: number;
  /** Bytes the input is: memory growth is bounded by 64 MiB + 32 × this. */
  inputBytes?: number;
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function checkOutcome(err: unknown, started: number, before: number, limits: Limits, what: string): void {
  if (err !== undefined && !(err instanceof LlmkError)) {
    const e = err as Error;
    assert.fail(
      `${what}: raw ${e?.name ?? typeof err} instead of an LlmkError: ${e?.message ?? String(err)}`,
    );
  }
  const ms = performance.now() - started;
  assert.ok(ms < (limits.ms ?? 5000), `${what}: took ${ms.toFixed(0)} ms`);
  const grown = memory() - before;
  const bound = 64 * 2 ** 20 + 32 * (limits.inputBytes ?? 0);
  assert.ok(grown < bound, `${what}: memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
}

/** Runs a reader on untrusted input and checks the invariant; returns its result (undefined on a typed error). */
export function expectTyped<T>(what: string, run: () => T, limits: Limits = {}): T | undefined {
  const before = memory();
  const started = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = run();
  } catch (err) {
    error = err;
  }
  checkOutcome(error, started, before, limits, what);
  return result;
}

export async function expectTypedAsync<T>(
  what: string,
  run: () => Promise<T>,
  limits: Limits = {},
): Promise<T | undefined> {
  const before = memory();
  const started = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = await run();
  } catch (err) {
    error = err;
  }
  checkOutcome(error, started, before, limits, what);
  return result;
}

/** A scratch folder for the files one test writes; `file(name, bytes)` writes one. */
export function scratch(prefix: string): {
  dir: string;
  file(name: string, bytes: Uint8Array | string): string;
  done(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), `llmk-fuzz-${prefix}-`));
  return {
    dir,
    file(name, bytes) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    done() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Integers that break size arithmetic: zero, one, powers of two at type edges, the maxima. */
export const INTERESTING_U64: readonly bigint[] = [
  0n,
  1n,
  2n,
  7n,
  255n,
  256n,
  65535n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 40n,
  2n ** 53n - 1n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];

/** One edit to a byte string. Positions are fractions of the length so they fit any input. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u64'; at: number; value: bigint }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('u32' as const),
    at: position,
    value: fc.oneof(
      fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 24, 100000),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
  }),
  fc.record({ kind: fc.constant('u64' as const), at: position, value: fc.constantFrom(...INTERESTING_U64) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
);

/**
 * Applies mutations to a copy of `input`. Word-sized writes land on 4-byte boundaries in the first
 * `headerBytes` (where sizes and counts live) so they hit real fields far more often than chance.
 */
export function mutate(input: Uint8Array, edits: readonly Mutation[], headerBytes = input.length): Buffer {
  let b = Buffer.from(input);
  for (const m of edits) {
    if (b.length === 0) break;
    const at = Math.floor(m.at * b.length);
    const aligned = Math.min(Math.floor((m.at * Math.min(headerBytes, b.length)) / 4) * 4, b.length);
    switch (m.kind) {
      case 'flip':
        b[at] ^= 1 << m.bit;
        break;
      case 'set':
        b[at] = m.byte;
        break;
      case 'u32':
        if (aligned + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, aligned);
        break;
      case 'u64':
        if (aligned + 8 <= b.length) b.writeBigUInt64LE(m.value, aligned);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
    }
  }
  return b;
}

export const mutations = (maxLength = 4): fc.Arbitrary<Mutation[]> =>
  fc.array(mutation, { minLength: 1, maxLength });
