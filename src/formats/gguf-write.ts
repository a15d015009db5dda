/**
 * GGUF writer (version 3, little-endian): header, metadata, tensor infos, then the tensor data, each
 * tensor at an offset that is a multiple of `general.alignment` (32). Tensor types F32 and Q8_0.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md.
 *
 * Q8_0 (ggml-quants.c `quantize_row_q8_0_ref`): rows cut in blocks of 32; per block d = max|x| / 127
 * stored as f16, q = round(x / d) as int8 (round half away from zero, C `roundf`).
 */
import { LlmkError } from '../errors.js';
import type { GgufValueType } from './gguf.js';
import { GGUF_VALUE_TYPES } from './gguf.js';
import { f16BitsToNumber, numberToF16Bits } from './half.js';

export const GGUF_ALIGNMENT = 32;
const GGML_F32 = 0;
const GGML_Q8_0 = 8;
const QK8_0 = 32;

/** A metadata value to write; arrays name their item type. */
export type GgufWriteValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: string[] }
  | { type: 'array'; itemType: 'f32' | 'i32' | 'u32'; value: number[] };

export interface GgufWriteTensor {
  name: string;
  /** torch order (outermost first), e.g. (out, in) for a weight matrix; GGUF stores it reversed. */
  shape: readonly number[];
  data: Float32Array;
  type: 'F32' | 'Q8_0';
}

/** Q8_0 bytes of `x` (length a multiple of 32): per block an f16 scale then 32 int8 values. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  if (x.length % QK8_0 !== 0) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `Q8_0 needs a multiple of 32 values, got ${x.length}`,
      'write it as F32',
    );
  }
  const blocks = x.length / QK8_0;
  const out = new Uint8Array(blocks * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) amax = Math.max(amax, Math.abs(x[b * QK8_0 + j]));
    // ggml computes d and 1/d in f32.
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    view.setUint16(34 * b, numberToF16Bits(d), true);
    for (let j = 0; j < QK8_0; j++) {
      const v = Math.fround(x[b * QK8_0 + j] * id);
      view.setInt8(34 * b + 2 + j, Math.sign(v) * Math.round(Math.abs(v)));
    }
  }
  return out;
}

/** The values Q8_0 bytes stand for (x = d·q per block; the inverse of `quantizeQ8_0` up to rounding). */
export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = bytes.length / 34;
  const out = new Float32Array(blocks * QK8_0);
  for (let b = 0; b < blocks; b++) {
    const d = f16BitsToNumber(view.getUint16(34 * b, true));
    for (let j = 0; j < QK8_0; j++) out[b * QK8_0 + j] = d * view.getInt8(34 * b + 2 + j);
  }
  return out;
}

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  pad(to: number): void {
    const n = (to - (this.length % to)) % to;
    if (n > 0) this.push(Buffer.alloc(n));
  }
  scalar(type: GgufValueType, v: number | bigint | boolean | string): void {
    if (type === 'string') {
      this.string(v as string);
      return;
    }
    const b = Buffer.alloc(8);
    const n = v as number;
    let size: number;
    switch (type) {
      case 'u8':
        size = b.writeUInt8(n);
        break;
      case 'i8':
        size = b.writeInt8(n);
        break;
      case 'u16':
        size = b.writeUInt16LE(n);
        break;
      case 'i16':
        size = b.writeInt16LE(n);
        break;
      case 'u32':
        size = b.writeUInt32LE(n);
        break;
      case 'i32':
        size = b.writeInt32LE(n);
        break;
      case 'f32':
        size = b.writeFloatLE(n);
        break;
      case 'f64':
        size = b.writeDoubleLE(n);
        break;
      case 'u64':
        size = b.writeBigUInt64LE(v as bigint);
        break;
      case 'i64':
        size = b.writeBigInt64LE(v as bigint);
        break;
      case 'bool':
        size = b.writeUInt8(v ? 1 : 0);
        break;
      case 'array':
        throw new LlmkError('LLMK_E_ARG', 'nested GGUF arrays are not written');
    }
    // Buffer write methods return the offset after the value, i.e. its width here.
    this.push(b.subarray(0, size));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The bytes of a GGUF v3 file with `metadata` (general.alignment is added) and `tensors`. */
export function serializeGguf(
  metadata: ReadonlyMap<string, GgufWriteValue>,
  tensors: readonly GgufWriteTensor[],
): Buffer {
  const meta = new Map(metadata);
  meta.set('general.alignment', { type: 'u32', value: GGUF_ALIGNMENT });
  const data = tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new LlmkError(
        'LLMK_E_SHAPE',
        `tensor '${t.name}': shape [${t.shape.join(', ')}] holds ${n} values, data has ${t.data.length}`,
      );
    }
    if (t.type === 'Q8_0') {
      if ((t.shape[t.shape.length - 1] ?? 0) % QK8_0 !== 0) {
        throw new LlmkError(
          'LLMK_E_SHAPE',
          `tensor '${t.name}': Q8_0 rows must be a multiple of 32, got ${t.shape[t.shape.length - 1]}`,
          'write this tensor as F32',
        );
      }
      return Buffer.from(quantizeQ8_0(t.data));
    }
    return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  });
  const w = new ByteWriter();
  w.push(Buffer.from('GGUF', 'latin1'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.size);
  for (const [key, v] of meta) {
    w.string(key);
    w.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    if (v.type === 'array') {
      w.u32(GGUF_VALUE_TYPES.indexOf(v.itemType));
      w.u64(v.value.length);
      for (const item of v.value) w.scalar(v.itemType, item);
    } else {
      w.scalar(v.type, v.value);
    }
  }
  let offset = 0;
  tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) w.u64(t.shape[d]);
    w.u32(t.type === 'Q8_0' ? GGML_Q8_0 : GGML_F32);
    w.u64(offset);
    offset += data[i].length;
    offset += (GGUF_ALIGNMENT - (offset % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
  });
  w.pad(GGUF_ALIGNMENT);
  for (const d of data) {
    w.push(d);
    w.pad(GGUF_ALIGNMENT);
  }
  return w.concat();
}
