/**
 * The few pieces of the protobuf wire format the TensorBoard event files need, both ways.
 * Spec: https://protobuf.dev/programming-guides/encoding/ (varints, wire types 0/1/2/5).
 */
import { LlmkError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const UTF8 = new TextEncoder();

/**
 * Appends protobuf fields to one growable buffer; `finish()` returns the message bytes.
 * A single buffer because small typed-array allocations, not the arithmetic, dominate encoding cost.
 */
export class ProtoWriter {
  private buf = new Uint8Array(128);
  private view = new DataView(this.buf.buffer);
  private length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /**
   * Varint of a non-negative safe integer with plain arithmetic (the common case: keys, lengths,
   * steps); BigInt only for negatives, which int64 encodes as ten-byte two's complement.
   */
  private varint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      while (value >= 0x80) {
        this.buf[this.length++] = (value % 0x80) | 0x80;
        value = Math.floor(value / 0x80);
      }
      this.buf[this.length++] = value;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.length++] = Number(v);
  }

  int64(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.varint(typeof value === 'bigint' ? value : Math.trunc(value));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, WIRE_I64);
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_I32);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** Key and length of a LEN field whose `size` content bytes the caller writes next (no nested buffer). */
  header(field: number, size: number): this {
    this.key(field, WIRE_LEN);
    this.varint(size);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, UTF8.encode(value));
  }

  /** The message: a view of the writer's buffer (no copy), so write nothing more after it. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Bytes a varint of the non-negative integer `n` takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** One decoded field: numbers for varint (as bigint), I64/I32 raw views, bytes for LEN. */
export type ProtoField =
  | { field: number; wire: typeof WIRE_VARINT; value: bigint }
  | { field: number; wire: typeof WIRE_I64; view: DataView }
  | { field: number; wire: typeof WIRE_LEN; bytes: Uint8Array }
  | { field: number; wire: typeof WIRE_I32; view: DataView };

function truncated(what: string): LlmkError {
  return new LlmkError(
    'LLMK_E_FORMAT',
    `protobuf message truncated while reading ${what}`,
    'the event file is damaged or was cut mid-write',
  );
}

/** Splits a message into its fields, in order; unknown fields are returned too (callers skip them). */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw truncated('a varint');
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new LlmkError('LLMK_E_FORMAT', 'protobuf varint longer than 10 bytes');
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE_VARINT) {
      fields.push({ field, wire, value: varint() });
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const size = wire === WIRE_I64 ? 8 : 4;
      if (at + size > bytes.length) throw truncated(`field ${field}`);
      fields.push({ field, wire, view: new DataView(view.buffer, view.byteOffset + at, size) });
      at += size;
    } else if (wire === WIRE_LEN) {
      const len = Number(varint());
      if (at + len > bytes.length) throw truncated(`field ${field}`);
      fields.push({ field, wire, bytes: bytes.subarray(at, at + len) });
      at += len;
    } else {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `protobuf wire type ${wire} (field ${field}) is not supported`,
        'groups (wire types 3/4) are not used by TensorBoard events',
      );
    }
  }
  return fields;
}
