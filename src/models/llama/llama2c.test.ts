import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../../errors.js';
import { llamaConfig } from './config.js';
import { readLlama2c, serializeLlama2c } from './llama2c.js';
import { halfToInterleaved, interleavedToHalf } from './rope-permute.js';

const FIXTURE = join('test', 'golden', 'fixtures', 'llama2c-stories260K', 'stories260K.bin');
const dir = mkdtempSync(join(tmpdir(), 'llmk-llama2c-'));

test('rotary row permutation: Meta interleaved pairs (2p, 2p+1) ↔ HF (p, p + HS/2), per head', () => {
  // 2 heads of size 4, one column: rows 0..7.
  const w = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...interleavedToHalf(w, 2, 1)], [0, 2, 1, 3, 4, 6, 5, 7]);
  assert.deepEqual([...halfToInterleaved(interleavedToHalf(w, 2, 1), 2, 1)], [...w]);
});

test('stories260K: legacy header, shared classifier, HF-named weights', () => {
  const ck = readLlama2c(FIXTURE);
  assert.equal(ck.version, 0);
  const c = ck.config;
  assert.deepEqual(
    [c.dim, c.hiddenDim, c.nLayer, c.nHead, c.nKvHead, c.vocabSize, c.nCtx, c.tieEmbeddings],
    [64, 172, 5, 8, 4, 512, 512, true],
  );
  assert.equal(ck.weights.get('model.layers.4.self_attn.k_proj.weight')?.length, 32 * 64);
  assert.ok(!ck.weights.has('lm_head.weight'));
});

test('legacy write reproduces the file: weights byte for byte, RoPE tables to 1e-6', () => {
  const original = readFileSync(FIXTURE);
  const ck = readLlama2c(FIXTURE);
  const again = serializeLlama2c(ck.config, ck.weights, 0);
  assert.equal(again.length, original.length);
  // The tables sit between the final RMS weight and the end (shared classifier): 512 × 4 × 2 floats.
  const tableBytes = 512 * 4 * 2 * 4;
  const tableStart = original.length - tableBytes;
  assert.ok(again.subarray(0, tableStart).equals(original.subarray(0, tableStart)));
  const a = new Float32Array(
    again.buffer.slice(again.byteOffset + tableStart, again.byteOffset + again.length),
  );
  const b = new Float32Array(original.buffer.slice(original.byteOffset + tableStart));
  // Both are float32 cos/sin of float32 angles; libm and torch may differ in the last bit.
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `table value ${i}`);
});

test('version 1 round trip, unshared classifier', () => {
  const config = llamaConfig({
    vocabSize: 7,
    nCtx: 4,
    nLayer: 1,
    nHead: 2,
    nKvHead: 1,
    dim: 8,
    hiddenDim: 6,
  });
  const weights = new Map<string, Float32Array>();
  let k = 0;
  const put = (name: string, n: number): void => {
    weights.set(
      name,
      Float32Array.from({ length: n }, () => (k++ % 13) / 7 - 1),
    );
  };
  put('model.embed_tokens.weight', 7 * 8);
  put('lm_head.weight', 7 * 8);
  put('model.norm.weight', 8);
  for (const [name, n] of [
    ['input_layernorm.weight', 8],
    ['post_attention_layernorm.weight', 8],
    ['self_attn.q_proj.weight', 64],
    ['self_attn.k_proj.weight', 32],
    ['self_attn.v_proj.weight', 32],
    ['self_attn.o_proj.weight', 64],
    ['mlp.gate_proj.weight', 48],
    ['mlp.up_proj.weight', 48],
    ['mlp.down_proj.weight', 48],
  ] as const)
    put(`model.layers.0.${name}`, n);
  for (const version of [0, 1] as const) {
    const path = join(dir, `v${version}.bin`);
    writeFileSync(path, serializeLlama2c(config, weights, version));
    const back = readLlama2c(path);
    assert.equal(back.version, version);
    assert.equal(back.config.tieEmbeddings, false);
    assert.equal(back.weights.size, weights.size);
    for (const [name, w] of weights) assert.deepEqual([...back.weights.get(name)!], [...w], name);
  }
});

test('bad llama2.c files: truncated, a header that lies about sizes, unknown version', () => {
  const original = readFileSync(FIXTURE);
  const isFormat = (e: unknown): boolean => e instanceof LlmkError && e.code === 'LLMK_E_FORMAT';
  const write = (name: string, bytes: Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  assert.throws(() => readLlama2c(write('trunc.bin', original.subarray(0, original.length - 4))), isFormat);
  assert.throws(() => readLlama2c(write('short.bin', original.subarray(0, 10))), isFormat);
  const lying = Buffer.from(original);
  lying.writeInt32LE(128, 0); // dim 128: implies a far larger file
  assert.throws(
    () => readLlama2c(write('lying.bin', lying)),
    (e: unknown) => isFormat(e) && String(e).includes('implies'),
  );
  const huge = Buffer.from(original);
  huge.writeInt32LE(-5, 8); // n_layers
  assert.throws(() => readLlama2c(write('neg.bin', huge)), isFormat);
  const v2 = Buffer.alloc(300);
  v2.writeUInt32LE(0x616b3432, 0);
  v2.writeInt32LE(2, 4);
  assert.throws(
    () => readLlama2c(write('v2.bin', v2)),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_UNSUPPORTED',
  );
});
