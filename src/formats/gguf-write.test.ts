import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { ggufNumber, ggufString, ggufStringArray, readGguf, readGgufTensor } from './gguf.js';
import { dequantizeQ8_0, GGUF_ALIGNMENT, quantizeQ8_0, serializeGguf } from './gguf-write.js';
import { f16BitsToNumber, numberToF16Bits } from './half.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-gguf-write-'));

test('Q8_0 blocks: f16 scale max|x|/127, values round(x/d) half away from zero', () => {
  const x = new Float32Array(64);
  for (let i = 0; i < 32; i++) x[i] = (i - 16) / 8; // max |x| = 2 at i = 0
  x[32] = 1.5; // second block: max 1.5, the rest 0
  const q = quantizeQ8_0(x);
  assert.equal(q.length, 2 * 34);
  const view = new DataView(q.buffer);
  const d = Math.fround(2 / 127);
  assert.equal(view.getUint16(0, true), numberToF16Bits(d));
  assert.equal(view.getInt8(2), -127); // −2 / d
  // x = 0.5 at i = 20: 0.5 · 63.5 = 31.75 → 32.
  assert.equal(view.getInt8(2 + 20), 32);
  assert.equal(view.getInt8(34 + 2), 127);
  // Dequantized error per value ≤ d/2 plus the f16 rounding of d times |q| ≤ 127.
  const back = dequantizeQ8_0(q);
  const dh = f16BitsToNumber(numberToF16Bits(d));
  for (let i = 0; i < 32; i++) {
    assert.ok(Math.abs(back[i] - x[i]) <= d / 2 + 127 * Math.abs(dh - d) + 1e-7, `value ${i}`);
  }
  assert.throws(
    () => quantizeQ8_0(new Float32Array(31)),
    (e: unknown) => (e as LlmkError).code === 'LLMK_E_SHAPE',
  );
});

test('serializeGguf writes what readGguf reads: metadata of each type, aligned F32 and Q8_0 tensors', () => {
  const a = Float32Array.from({ length: 6 }, (_, i) => i - 2.5); // (2, 3)
  const b = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)); // (2, 32)
  const bytes = serializeGguf(
    new Map([
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['llama.block_count', { type: 'u32', value: 5 }],
      ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
      ['flag', { type: 'bool', value: true }],
      ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['<unk>', '▁a'] }],
      ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: [0, -1.5] }],
    ]),
    [
      { name: 'a', shape: [2, 3], data: a, type: 'F32' },
      { name: 'b', shape: [2, 32], data: b, type: 'Q8_0' },
    ],
  );
  const path = join(dir, 'w.gguf');
  writeFileSync(path, bytes);
  const f = readGguf(path);
  assert.equal(f.version, 3);
  assert.equal(ggufString(f, 'general.architecture'), 'llama');
  assert.equal(ggufNumber(f, 'llama.block_count'), 5);
  assert.equal(ggufNumber(f, 'general.alignment'), GGUF_ALIGNMENT);
  assert.deepEqual(ggufStringArray(f, 'tokenizer.ggml.tokens'), ['<unk>', '▁a']);
  assert.deepEqual(
    f.tensors.map((t) => [t.name, t.shape, t.type]),
    [
      ['a', [3, 2], 0],
      ['b', [32, 2], 8],
    ],
  );
  for (const t of f.tensors) assert.equal(t.offset % GGUF_ALIGNMENT, 0);
  assert.equal(f.dataOffset % GGUF_ALIGNMENT, 0);
  assert.deepEqual([...readGgufTensor(f, f.tensors[0])], [...a]);
  const bq = readGgufTensor(f, f.tensors[1]);
  assert.deepEqual([...bq], [...dequantizeQ8_0(quantizeQ8_0(b))]);
  // sin values: |x| ≤ 1, so d ≤ 1/127 and each value is off by at most d/2 (+ f16 scale rounding).
  for (let i = 0; i < 64; i++) assert.ok(Math.abs(bq[i] - b[i]) < 0.5 / 127 + 1e-3, `b[${i}]`);
});

test('Q8_0 needs rows that are a multiple of 32', () => {
  assert.throws(
    () => serializeGguf(new Map(), [{ name: 'w', shape: [32, 3], data: new Float32Array(96), type: 'Q8_0' }]),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_SHAPE' && e.message.includes("'w'"),
  );
});
