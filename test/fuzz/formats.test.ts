// Fuzzing the weight-file readers: safetensors (header and tensors) and GGUF (header, metadata,
// tensor infos, tensor data). Inputs are valid files with a few byte edits aimed at size fields,
// files built field by field from hostile values, and plain random bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LlmkError } from '../../src/errors.js';
import { readGguf, readGgufTensor } from '../../src/formats/gguf.js';
import { type GgufWriteValue, serializeGguf } from '../../src/formats/gguf-write.js';
import {
  openSafetensors,
  parseSafetensorsHeader,
  serializeSafetensors,
} from '../../src/formats/safetensors.js';
import { expectTyped, INTERESTING_U64, mutate, mutations, property, scratch } from './harness.js';

function safetensorsSeed(): Buffer {
  const chunks = serializeSafetensors(
    {
      'model.w': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'model.h': { dtype: 'F16', shape: [4], data: new Float32Array([0.5, 1, 2, 4]) },
      'model.b': { dtype: 'BF16', shape: [2], data: new Float32Array([1, -1]) },
      ids: { dtype: 'I64', shape: [3], data: new Int32Array([1, 2, 3]) },
      mask: { dtype: 'U8', shape: [5], data: new Uint8Array([1, 0, 1, 0, 1]) },
    },
    { format: 'pt' },
  );
  return Buffer.concat(chunks);
}

/** Opens a safetensors file and reads every tensor, as loading a model does. */
function readAllSafetensors(path: string): number {
  const file = openSafetensors(path);
  try {
    let n = 0;
    for (const key of file.keys()) {
      const info = file.info(key);
      const t = file.read(key);
      n += t.data.length;
      if (info.dtype === 'F32' || info.dtype === 'F16' || info.dtype === 'BF16') {
        const count = info.shape.reduce((a, b) => a * b, 1);
        file.readFloatInto(key, new Float32Array(count));
      }
    }
    return n;
  } finally {
    file.close();
  }
}

test('fuzz safetensors: edited valid files, hostile headers, random bytes', () => {
  const tmp = scratch('st');
  try {
    const seed = safetensorsSeed();
    const headerBytes = 8 + Number(seed.readBigUInt64LE(0));
    property(
      'safetensors: mutated valid file',
      mutations(),
      (edits) => {
        const bytes = mutate(seed, edits, headerBytes);
        const path = tmp.file('m.safetensors', bytes);
        expectTyped('openSafetensors(mutated)', () => readAllSafetensors(path), { inputBytes: bytes.length });
      },
      150,
    );

    const dim = fc.oneof(
      fc.integer({ min: 0, max: 8 }),
      fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 53 + 2, 1e300, Number.NaN),
      fc.string({ maxLength: 3 }),
    );
    const entry = fc.record(
      {
        dtype: fc.oneof(
          fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'F4', 'F6_E2M3', 'BOOL', 'C64'),
          fc.string({ maxLength: 5 }),
        ),
        shape: fc.oneof(fc.array(dim, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
        data_offsets: fc.oneof(
          fc.tuple(dim, dim),
          fc.array(fc.integer({ min: 0, max: 64 }), { maxLength: 3 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    );
    const header = fc.dictionary(
      fc.oneof(fc.constantFrom('__metadata__', '__proto__', 'constructor', 'w'), fc.string({ maxLength: 6 })),
      fc.oneof(entry, fc.jsonValue({ maxDepth: 2 })),
      { maxKeys: 4 },
    );
    property(
      'safetensors: hostile header JSON',
      fc.tuple(header, fc.uint8Array({ maxLength: 96 }), fc.option(fc.constantFrom(...INTERESTING_U64))),
      ([h, data, declared]) => {
        const json = Buffer.from(JSON.stringify(h));
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(declared ?? BigInt(json.length));
        const bytes = Buffer.concat([len, json, data]);
        const path = tmp.file('h.safetensors', bytes);
        expectTyped('openSafetensors(hostile header)', () => readAllSafetensors(path), {
          inputBytes: bytes.length,
        });
        expectTyped('parseSafetensorsHeader', () =>
          parseSafetensorsHeader('x', h, 8 + json.length, bytes.length),
        );
      },
      200,
    );
    property(
      'safetensors: random bytes',
      fc.uint8Array({ maxLength: 256 }),
      (bytes) => {
        const path = tmp.file('r.safetensors', bytes);
        expectTyped('openSafetensors(random)', () => readAllSafetensors(path), { inputBytes: bytes.length });
      },
      100,
    );
  } finally {
    tmp.done();
  }
});

function ggufSeed(): Buffer {
  const meta = new Map<string, GgufWriteValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.block_count', { type: 'u32', value: 2 }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['<unk>', 'a', 'b', 'ab'] }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: [0, -1, -2, -3] }],
    ['general.file_type', { type: 'u64', value: 7n }],
  ]);
  return serializeGguf(meta, [
    {
      name: 'tok_embd.weight',
      shape: [4, 32],
      data: new Float32Array(128).map((_, i) => i / 64),
      type: 'Q8_0',
    },
    { name: 'norm.weight', shape: [3], data: new Float32Array([1, 2, 3]), type: 'F32' },
  ]);
}

/** Reads a GGUF header and every tensor it can decode, as loading a model does. */
function readAllGguf(path: string): number {
  const file = readGguf(path);
  let n = 0;
  for (const t of file.tensors) {
    try {
      n += readGgufTensor(file, t).length;
    } catch (err) {
      // Quantization types we do not decode are a typed refusal, not a fault.
      if (!(err instanceof LlmkError)) throw err;
    }
  }
  return n;
}

/** Little-endian field writer for GGUF files built from hostile values. */
class Fields {
  private readonly parts: Buffer[] = [];
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  str(s: string, declared?: bigint): this {
    const b = Buffer.from(s);
    return this.u64(declared ?? BigInt(b.length)).bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const u64 = fc.oneof(fc.constantFrom(...INTERESTING_U64), fc.bigInt({ min: 0n, max: 64n }));

const kv = fc.record({
  key: fc.string({ maxLength: 12 }),
  keyLength: fc.option(u64, { freq: 4 }),
  type: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(13, 255, 0xffffffff)),
  itemType: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constant(99)),
  count: u64,
  payload: fc.uint8Array({ maxLength: 48 }),
});

const tensorInfo = fc.record({
  name: fc.string({ maxLength: 8 }),
  dims: fc.array(u64, { maxLength: 5 }),
  nDims: fc.option(fc.constantFrom(0, 1, 4, 5, 0xffffffff), { freq: 3 }),
  type: fc.oneof(fc.constantFrom(0, 1, 8, 30, 2, 24), fc.integer({ min: 0, max: 40 })),
  offset: u64,
});

const builtGguf = fc
  .record({
    version: fc.oneof(fc.constantFrom(2, 3), fc.constantFrom(0, 1, 4, 0xffffffff)),
    tensorCount: fc.option(u64, { freq: 3 }),
    kvCount: fc.option(u64, { freq: 3 }),
    kvs: fc.array(kv, { maxLength: 4 }),
    tensors: fc.array(tensorInfo, { maxLength: 3 }),
    tail: fc.uint8Array({ maxLength: 160 }),
  })
  .map((g) => {
    const f = new Fields().bytes(Buffer.from('GGUF')).u32(g.version);
    f.u64(g.tensorCount ?? BigInt(g.tensors.length)).u64(g.kvCount ?? BigInt(g.kvs.length));
    for (const e of g.kvs) {
      f.str(e.key, e.keyLength ?? undefined).u32(e.type);
      if (e.type === 9) f.u32(e.itemType).u64(e.count);
      f.bytes(e.payload);
    }
    for (const t of g.tensors) {
      f.str(t.name).u32(t.nDims ?? t.dims.length);
      for (const d of t.dims) f.u64(d);
      f.u32(t.type).u64(t.offset);
    }
    return f.bytes(g.tail).done();
  });

test('fuzz GGUF: edited valid files, files built from hostile fields, random bytes', () => {
  const tmp = scratch('gguf');
  try {
    const seed = ggufSeed();
    assert.ok(readAllGguf(tmp.file('seed.gguf', seed)) > 0);
    property(
      'gguf: mutated valid file',
      mutations(),
      (edits) => {
        const bytes = mutate(seed, edits, seed.length - 160);
        const path = tmp.file('m.gguf', bytes);
        expectTyped('readGguf(mutated)', () => readAllGguf(path), { inputBytes: bytes.length });
      },
      200,
    );
    property(
      'gguf: built from hostile fields',
      builtGguf,
      (bytes) => {
        const path = tmp.file('b.gguf', bytes);
        expectTyped('readGguf(built)', () => readAllGguf(path), { inputBytes: bytes.length });
      },
      200,
    );
    property(
      'gguf: random bytes after the magic',
      fc.uint8Array({ maxLength: 256 }),
      (tail) => {
        const bytes = Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00'), tail]);
        const path = tmp.file('r.gguf', bytes);
        expectTyped('readGguf(random)', () => readAllGguf(path), { inputBytes: bytes.length });
      },
      100,
    );
  } finally {
    tmp.done();
  }
});

test('GGUF regressions from fuzzing: huge counts are refused before allocating; nesting is bounded', () => {
  const tmp = scratch('gguf-reg');
  try {
    // An array declaring 2^40 u8 items in a 60-byte file.
    const huge = new Fields()
      .bytes(Buffer.from('GGUF'))
      .u32(3)
      .u64(0n)
      .u64(1n)
      .str('a')
      .u32(9)
      .u32(0)
      .u64(2n ** 40n)
      .done();
    assert.throws(() => readGguf(tmp.file('huge.gguf', huge)), /LLMK_E_FORMAT.*array length/);
    // Arrays of arrays of arrays …: 12 bytes a level, so a 1 MB file can nest 80,000 deep and
    // overflow the stack with a raw RangeError.
    const depth = 50_000;
    const nest = new Fields().bytes(Buffer.from('GGUF')).u32(3).u64(0n).u64(1n).str('deep').u32(9);
    for (let i = 0; i < depth; i++) nest.u32(9).u64(1n);
    nest.u32(0).u64(0n);
    const deep = tmp.file('deep.gguf', nest.done());
    expectTyped('readGguf(deep nesting)', () => readGguf(deep));
    assert.throws(() => readGguf(deep), /LLMK_E_FORMAT.*nests arrays more than 16 deep/);
  } finally {
    tmp.done();
  }
});
