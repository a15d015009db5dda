/**
 * The few pieces of the protobuf wire format the TensorBoard event files need, both ways.
 * Spec: https://protobuf.dev/programming-guides/encoding/ (varints, wire types 0/1/2/5).
 */
import { LlmkError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Appends protobuf fields to a growing byte list; `finish()` returns the message bytes. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  /** Varint of a signed 64-bit value; negatives take ten bytes (two's complement), as int64 does. */
  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  int64(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.varint(typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, WIRE_I64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
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
