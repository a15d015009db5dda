import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { f16ToF32, ggufStringArray, readGguf, readGgufTensor } from './gguf.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-gguf-'));

/** A minimal GGUF v3 writer for the tests (spec: ggml docs/gguf.md). */
class Writer {
  parts: Buffer[] = [];
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u64(b.length).raw(b);
  }
  get length(): number {
    return this.parts.reduce((n, p) => n + p.length, 0);
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function scalar(size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

/** Every metadata type once, plus an F32 (2x3), an F16 (4) and a BF16 (2) tensor. */
function sampleGguf(): Buffer {
  const w = new Writer().u32(0x46554747).u32(3).u64(3).u64(14);
  w.str('u8')
    .u32(0)
    .raw(scalar(1, (b) => b.writeUInt8(200)));
  w.str('i8')
    .u32(1)
    .raw(scalar(1, (b) => b.writeInt8(-5)));
  w.str('u16')
    .u32(2)
    .raw(scalar(2, (b) => b.writeUInt16LE(60000)));
  w.str('i16')
    .u32(3)
    .raw(scalar(2, (b) => b.writeInt16LE(-300)));
  w.str('u32').u32(4).u32(4000000000);
  w.str('i32')
    .u32(5)
    .raw(scalar(4, (b) => b.writeInt32LE(-70000)));
  w.str('f32')
    .u32(6)
    .raw(scalar(4, (b) => b.writeFloatLE(0.5)));
  w.str('bool')
    .u32(7)
    .raw(Buffer.from([1]));
  w.str('string').u32(8).str('héllo');
  w.str('strings').u32(9).u32(8).u64(2).str('a').str('b c');
  w.str('u64')
    .u32(10)
    .u64(2n ** 60n);
  w.str('i64')
    .u32(11)
    .raw(scalar(8, (b) => b.writeBigInt64LE(-(2n ** 40n))));
  w.str('f64')
    .u32(12)
    .raw(scalar(8, (b) => b.writeDoubleLE(-1.25)));
  w.str('nested')
    .u32(9)
    .u32(9)
    .u64(1)
    .u32(5)
    .u64(2)
    .raw(
      scalar(8, (b) => {
        b.writeInt32LE(7, 0);
        b.writeInt32LE(-8, 4);
      }),
    );
  w.str('w').u32(2).u64(3).u64(2).u32(0).u64(0);
  w.str('h').u32(1).u64(4).u32(1).u64(32);
  w.str('b').u32(1).u64(2).u32(30).u64(64);
  const pad = (32 - (w.length % 32)) % 32;
  w.raw(Buffer.alloc(pad));
  const f32 = Buffer.alloc(32);
  for (const [i, v] of [1, -2, 3.5, 0, 1e-3, -7].entries()) f32.writeFloatLE(v, 4 * i);
  const f16 = Buffer.alloc(32);
  for (const [i, v] of [0x3c00, 0xc000, 0x3555, 0x0001].entries()) f16.writeUInt16LE(v, 2 * i);
  const bf16 = Buffer.alloc(4);
  bf16.writeUInt16LE(0x3f80, 0); // 1.0
  bf16.writeUInt16LE(0xc040, 2); // -3.0
  return Buffer.concat([w.buffer(), f32, f16, bf16]);
}

test('readGguf decodes every metadata type and tensor infos; F32/F16/BF16 data exact', () => {
  const path = join(dir, 'sample.gguf');
  writeFileSync(path, sampleGguf());
  const g = readGguf(path);
  assert.equal(g.version, 3);
  const m = Object.fromEntries([...g.metadata].map(([k, v]) => [k, v.value]));
  assert.deepEqual(
    { ...m, nested: undefined },
    {
      u8: 200,
      i8: -5,
      u16: 60000,
      i16: -300,
      u32: 4000000000,
      i32: -70000,
      f32: 0.5,
      bool: true,
      string: 'héllo',
      strings: ['a', 'b c'],
      u64: 2n ** 60n,
      i64: -(2n ** 40n),
      f64: -1.25,
      nested: undefined,
    },
  );
  assert.deepEqual(g.metadata.get('nested'), {
    type: 'array',
    itemType: 'array',
    value: [{ type: 'array', itemType: 'i32', value: [7, -8] }],
  });
  assert.equal(g.dataOffset % 32, 0);
  assert.deepEqual(
    g.tensors.map((t) => [t.name, t.shape, t.type, t.offset, t.byteLength]),
    [
      ['w', [3, 2], 0, 0, 24],
      ['h', [4], 1, 32, 8],
      ['b', [2], 30, 64, 4],
    ],
  );
  // float32 round trip is exact for these values; f16 0x3555 = 0.333251953125 exactly.
  assert.deepEqual(Array.from(readGgufTensor(g, g.tensors[0])), [1, -2, 3.5, 0, Math.fround(1e-3), -7]);
  assert.deepEqual(Array.from(readGgufTensor(g, g.tensors[1])), [1, -2, 0.333251953125, 2 ** -24]);
  assert.deepEqual(Array.from(readGgufTensor(g, g.tensors[2])), [1, -3]);
  assert.equal(f16ToF32(0x7c00), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
});

test('readGguf: truncated file, lying counts, bad magic and missing file are typed errors naming the file', () => {
  const full = sampleGguf();
  const cases: [string, Buffer, string, RegExp][] = [
    ['cut-header.gguf', full.subarray(0, 60), 'LLMK_E_FORMAT', /cut-header\.gguf: truncated or corrupt GGUF/],
    ['cut-meta.gguf', full.subarray(0, 200), 'LLMK_E_FORMAT', /cut-meta\.gguf: truncated GGUF: metadata/],
    [
      'cut-data.gguf',
      full.subarray(0, full.length - 4),
      'LLMK_E_FORMAT',
      /cut-data\.gguf: truncated GGUF: tensor 'b'/,
    ],
    [
      'magic.gguf',
      Buffer.from('GGML0000000000000000000000'),
      'LLMK_E_FORMAT',
      /magic\.gguf: not a GGUF file/,
    ],
  ];
  const lying = Buffer.from(full);
  lying.writeBigUInt64LE(2n ** 40n, 16); // metadata_kv_count far beyond the file
  cases.push([
    'lying.gguf',
    lying,
    'LLMK_E_FORMAT',
    /lying\.gguf: truncated or corrupt GGUF: metadata_kv_count = 1099511627776/,
  ]);
  const understated = Buffer.from(full);
  understated.writeBigUInt64LE(understated.readBigUInt64LE(8) - 1n, 8); // tensor_count one short
  cases.push([
    'understated.gguf',
    understated,
    'LLMK_E_FORMAT',
    /understated\.gguf: .*tensor_count \(\d+\) is probably understated/,
  ]);
  for (const [name, bytes, code, message] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    assert.throws(
      () => readGguf(path),
      (e: unknown) => e instanceof LlmkError && e.code === code && message.test(e.message),
      name,
    );
  }
  assert.throws(() => readGguf(join(dir, 'absent.gguf')), /LLMK_E_IO: cannot open GGUF file .*absent\.gguf/);
});

test('readGguf reads the llama.cpp vocabulary files', () => {
  const g = readGguf('../shared/data/tokenizer-vectors/llama.cpp/ggml-vocab-gpt-2.gguf');
  assert.equal(g.tensors.length, 0);
  const tokens = ggufStringArray(g, 'tokenizer.ggml.tokens');
  assert.equal(tokens.length, 50257);
  assert.equal(tokens[50256], '<|endoftext|>');
  assert.equal(ggufStringArray(g, 'tokenizer.ggml.merges').length, 50000);
});
