/**
 * safetensors: byte-exact agreement with the Rust reference's serializer test vectors
 * (huggingface/safetensors safetensors/src/tensor.rs: test_serialization, test_empty,
 * test_serialization_forced_alignement), round trips of every supported dtype, a byte-identical
 * rewrite of the PyTorch-written golden fixture, lazy reads, and crafted bad files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LlmkError } from '../errors.js';
import {
  openSafetensors,
  readSafetensors,
  type SafetensorsWriteTensor,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tmpPath = (): string => join(dir, `t${counter++}.safetensors`);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A file with a hand-written header (string or object) and data bytes; `length` overrides the u64 prefix. */
function craft(
  header: string | Uint8Array | object,
  data: Uint8Array = new Uint8Array(0),
  length?: bigint,
): string {
  const json =
    header instanceof Uint8Array
      ? header
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  const path = tmpPath();
  writeFileSync(path, concat([len, json, data]));
  return path;
}

function expectError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LlmkError, `expected LlmkError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `message '${e.message}' lacks '${f}'`);
    return true;
  });
}

const f32Bytes = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

describe('writer matches the Rust reference byte for byte', () => {
  // The `serialize` outputs asserted in safetensors/src/tensor.rs.
  const data = Float32Array.from([0, 1, 2, 3, 4, 5]);
  test('test_serialization: one F32 tensor, header already 8-aligned', () => {
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    const expected = concat([
      new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(header),
      f32Bytes([0, 1, 2, 3, 4, 5]),
    ]);
    assert.deepEqual(
      concat(serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } })),
      expected,
    );
  });
  test('test_serialization_forced_alignement: header padded with spaces', () => {
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    const expected = concat([
      new Uint8Array([72, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(header),
      f32Bytes([0, 1, 2, 3, 4, 5]),
    ]);
    const path = tmpPath();
    writeSafetensors(path, { attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } });
    assert.deepEqual(new Uint8Array(readFileSync(path)), expected);
  });
  test('test_empty: no tensors, with and without metadata', () => {
    assert.deepEqual(
      concat(serializeSafetensors({})),
      new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]),
    );
    const withMeta = concat([
      new Uint8Array([40, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('{"__metadata__":{"framework":"pt"}}     '),
    ]);
    assert.deepEqual(concat(serializeSafetensors({}, { framework: 'pt' })), withMeta);
  });
});

describe('round trips', () => {
  const tensors: Record<string, SafetensorsWriteTensor> = {
    'w.f32': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30]) },
    'w.f16': { dtype: 'F16', shape: [4], data: Float32Array.from([1, -0.5, 65504, 2 ** -24]) },
    'w.bf16': {
      dtype: 'BF16',
      shape: [2, 2],
      data: Float32Array.from([1, -3.140625, 2 ** 100, -(2 ** -100)]),
    },
    'w.f64': { dtype: 'F64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
    'ids.i32': { dtype: 'I32', shape: [3], data: Int32Array.from([0, -1, 2147483647]) },
    'ids.i64': { dtype: 'I64', shape: [3], data: Int32Array.from([-2147483648, 5, 2147483647]) },
    'q.i8': { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    'q.u8': { dtype: 'U8', shape: [2], data: Uint8Array.from([0, 255]) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.from([7]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };

  test('every dtype reads back the written values (16-bit floats exactly representable)', () => {
    const path = tmpPath();
    writeSafetensors(path, tensors, { format: 'pt', note: 'round trip' });
    const back = readSafetensors(path);
    assert.equal(back.size, Object.keys(tensors).length);
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.get(name)!;
      assert.equal(r.dtype, t.dtype, name);
      assert.deepEqual(r.shape, t.shape, name);
      assert.deepEqual(Array.from(r.data), Array.from(t.data), name);
    }
    const file = openSafetensors(path);
    assert.deepEqual({ ...file.metadata }, { format: 'pt', note: 'round trip' });
    file.close();
  });

  test('tensors are laid out by descending dtype alignment, then name (Rust prepare order)', () => {
    const path = tmpPath();
    writeSafetensors(path, tensors);
    const file = openSafetensors(path);
    assert.deepEqual(file.keys(), [
      'ids.i64',
      'w.f64',
      'empty',
      'scalar',
      'w.f32',
      'ids.i32',
      'w.bf16',
      'w.f16',
      'q.i8',
      'q.u8',
    ]);
    // Every tensor's data starts aligned to its element size (the point of the ordering and padding).
    for (const k of file.keys()) {
      const info = file.info(k);
      const size = { I64: 8, F64: 8, F32: 4, I32: 4, BF16: 2, F16: 2 }[info.dtype as string] ?? 1;
      assert.equal(info.begin % size, 0, k);
    }
    file.close();
  });

  test('save → load → save is byte-identical', () => {
    const a = tmpPath();
    writeSafetensors(a, tensors, { b: '2', a: '1' });
    const loaded = readSafetensors(a);
    const b = tmpPath();
    writeSafetensors(b, Object.fromEntries(loaded), openSafetensorsMetadata(a));
    assert.deepEqual(readFileSync(b), readFileSync(a));
  });

  test('the PyTorch-written golden fixture rewrites byte-identically', () => {
    const fixture = fileURLToPath(
      new URL('../../test/golden/fixtures/gpt2_tiny_engine.safetensors', import.meta.url),
    );
    const out = tmpPath();
    writeSafetensors(out, Object.fromEntries(readSafetensors(fixture)));
    assert.deepEqual(readFileSync(out), readFileSync(fixture));
  });

  test('16-bit floats round to nearest even on write', () => {
    const path = tmpPath();
    writeSafetensors(path, { h: { dtype: 'F16', shape: [2], data: Float32Array.from([1 + 2 ** -11, 0.1]) } });
    assert.deepEqual(Array.from(readSafetensors(path).get('h')!.data), [1, 0.0999755859375]);
  });

  test('writes are atomic: no temporary file is left behind', () => {
    const path = tmpPath();
    writeSafetensors(path, { x: { dtype: 'U8', shape: [1], data: Uint8Array.from([1]) } });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
});

function openSafetensorsMetadata(path: string): Record<string, string> {
  const f = openSafetensors(path);
  const m = { ...f.metadata };
  f.close();
  return m;
}

describe('lazy reads', () => {
  test('open reads the header only; read(name) fetches that tensor now', () => {
    const path = tmpPath();
    writeSafetensors(path, {
      a: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) },
      b: { dtype: 'F32', shape: [2], data: Float32Array.from([3, 4]) },
    });
    const file = openSafetensors(path);
    assert.deepEqual(file.info('b').shape, [2]);
    // Change b's bytes on disk after opening: the read must see the new values.
    const bytes = readFileSync(path);
    bytes.set(f32Bytes([30, 40]), file.info('b').begin);
    writeFileSync(path, bytes);
    assert.deepEqual(Array.from(file.read('b').data), [30, 40]);
    assert.deepEqual(Array.from(file.read('a').data), [1, 2]);
    expectError(() => file.read('c'), 'LLMK_E_NOT_FOUND', path, "'c'");
    file.close();
    expectError(() => file.read('a'), 'LLMK_E_IO', 'after close');
  });

  test('an unsupported but valid dtype opens; only reading it fails', () => {
    const path = craft(
      {
        flags: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] },
        x: { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
      },
      Uint8Array.from([1, 0, 9]),
    );
    const file = openSafetensors(path);
    assert.deepEqual(Array.from(file.read('x').data), [9]);
    expectError(() => file.read('flags'), 'LLMK_E_UNSUPPORTED', "'flags'", 'BOOL');
    file.close();
  });

  test('I64 values outside int32 are refused on read', () => {
    const big = new Uint8Array(BigInt64Array.from([1n, 2n ** 40n]).buffer);
    const path = craft({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, big);
    expectError(() => readSafetensors(path), 'LLMK_E_UNSUPPORTED', "'ids'", '1099511627776', 'index 1');
  });

  test('a missing file is LLMK_E_NOT_FOUND', () => {
    expectError(() => openSafetensors(join(dir, 'nope.safetensors')), 'LLMK_E_NOT_FOUND', 'nope.safetensors');
  });
});

describe('crafted bad files are LLMK_E_FORMAT naming the file and the tensor', () => {
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const eight = new Uint8Array(8);
  const cases: Array<[string, () => string, string[]]> = [
    [
      'shorter than the length prefix',
      () => {
        const p = tmpPath();
        writeFileSync(p, Uint8Array.from([1, 2, 3]));
        return p;
      },
      ['too short'],
    ],
    ['header length beyond the file size', () => craft({ a: ok }, eight, 1000n), ['runs past the end']],
    ['header length of 2^63', () => craft({ a: ok }, eight, 2n ** 63n), ['exceeds']],
    ['header not JSON', () => craft('{"a": {', eight), ['not valid JSON']],
    ['header not UTF-8', () => craft(Uint8Array.from([0x7b, 0xff, 0x7d]), eight), ['UTF-8']],
    ['header not an object', () => craft('[1,2,3]', eight), ['"{"']],
    ['unknown dtype', () => craft({ w: { ...ok, dtype: 'F33' } }, eight), ["'w'", 'F33']],
    ['negative shape', () => craft({ w: { ...ok, shape: [-2] } }, eight), ["'w'", 'shape']],
    ['fractional shape', () => craft({ w: { ...ok, shape: [1.5] } }, eight), ["'w'", 'shape']],
    ['offsets not a pair', () => craft({ w: { ...ok, data_offsets: [0] } }, eight), ["'w'", 'data_offsets']],
    ['span not dtype × shape', () => craft({ w: { ...ok, shape: [3] } }, eight), ["'w'", 'needs 12']],
    ['end before begin', () => craft({ w: { ...ok, data_offsets: [8, 0] } }, eight), ["'w'"]],
    [
      'offsets past the data',
      () => craft({ w: { ...ok, data_offsets: [8, 16] } }, eight),
      ["'w'", 'past the end'],
    ],
    [
      'overlapping tensors',
      () => craft({ a: ok, b: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
      ["'b'", 'overlap'],
    ],
    ['same bytes twice', () => craft({ a: ok, b: ok }, new Uint8Array(8)), ["'b'", 'overlap']],
    [
      'gap between tensors',
      () => craft({ a: ok, b: { ...ok, data_offsets: [12, 20] } }, new Uint8Array(20)),
      ["'b'", 'gap'],
    ],
    [
      'trailing bytes after the data',
      () => craft({ a: ok }, new Uint8Array(12)),
      ['cover 8 bytes', 'holds 12'],
    ],
    ['entry not an object', () => craft({ w: 3 }, new Uint8Array(0)), ["'w'"]],
    ['metadata value not a string', () => craft({ __metadata__: { n: 1 }, a: ok }, eight), ["'n'"]],
  ];
  for (const [name, make, fragments] of cases) {
    test(name, () => {
      const path = make();
      expectError(() => openSafetensors(path), 'LLMK_E_FORMAT', path, ...fragments);
    });
  }
});

describe('writer validation', () => {
  test('data of the wrong typed array is LLMK_E_DTYPE', () => {
    expectError(
      () => serializeSafetensors({ w: { dtype: 'F64', shape: [1], data: Float32Array.from([1]) } }),
      'LLMK_E_DTYPE',
      "'w'",
      'Float64Array',
    );
    expectError(
      () => serializeSafetensors({ w: { dtype: 'I64', shape: [1], data: Float32Array.from([1]) } }),
      'LLMK_E_DTYPE',
      'Int32Array',
    );
  });
  test('shape and data length disagree is LLMK_E_SHAPE', () => {
    expectError(
      () => serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1]) } }),
      'LLMK_E_SHAPE',
      "'w'",
      '4 elements',
    );
  });
  test('an unwritable path is LLMK_E_IO', () => {
    expectError(() => writeSafetensors(join(dir, 'missing', 'x.safetensors'), {}), 'LLMK_E_IO', 'missing');
  });
  test('a tensor named __proto__ is an ordinary name', () => {
    const path = tmpPath();
    const tensors: Record<string, SafetensorsWriteTensor> = {};
    Object.defineProperty(tensors, '__proto__', {
      value: { dtype: 'U8', shape: [1], data: Uint8Array.from([5]) },
      enumerable: true,
    });
    writeSafetensors(path, tensors);
    assert.deepEqual(Array.from(readSafetensors(path).get('__proto__')!.data), [5]);
  });
});
