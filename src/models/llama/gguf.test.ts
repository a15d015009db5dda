import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../../errors.js';
import { ggufNumber, ggufString, readGguf } from '../../formats/gguf.js';
import { type GgufWriteTensor, type GgufWriteValue, serializeGguf } from '../../formats/gguf-write.js';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { llamaConfig } from './config.js';
import { ggufName, llamaFromGguf, llamaToGguf } from './gguf.js';
import { Llama } from './model.js';

const engine = createEngine({ backend: 'reference' });
const dir = mkdtempSync(join(tmpdir(), 'llmk-gguf-llama-'));
const cfg = llamaConfig({
  vocabSize: 40,
  nCtx: 16,
  nLayer: 2,
  nHead: 4,
  nKvHead: 2,
  dim: 32,
  hiddenDim: 48,
  ropeTheta: 5e5,
});

function code(c: string, ...needles: string[]): (e: unknown) => boolean {
  return (e) => e instanceof LlmkError && e.code === c && needles.every((n) => e.message.includes(n));
}

test('GGUF f32 round trip: llama.cpp names and metadata, identical logits', () => {
  const model = new Llama(engine, cfg, { rng: new Rng(1) }).eval();
  const path = join(dir, 'f32.gguf');
  writeFileSync(path, llamaToGguf(model));
  const f = readGguf(path);
  assert.equal(ggufString(f, 'general.architecture'), 'llama');
  assert.equal(ggufNumber(f, 'llama.attention.head_count_kv'), 2);
  assert.equal(ggufNumber(f, 'llama.rope.dimension_count'), 8);
  assert.equal(ggufNumber(f, 'llama.rope.freq_base'), 5e5);
  assert.ok(f.tensors.some((t) => t.name === 'blk.1.ffn_down.weight' && t.shape.join() === '48,32'));
  assert.ok(f.tensors.some((t) => t.name === 'output.weight'));
  const back = llamaFromGguf(engine, path).model;
  engine.noGrad(() =>
    engine.scope(() => {
      const ids = engine.tensor(Int32Array.from([3, 1, 4, 1, 5, 9]), [1, 6], 'i32');
      const a = model.forward(ids).toArray();
      const b = back.forward(ids).toArray();
      // Same f32 weights (q/k permuted there and back exactly); rms eps stored as f32 (1e-5 → 1e-5 ± 1e-13).
      assert.ok(Math.max(...a.map((x, i) => Math.abs(x - b[i]))) < 1e-5);
    }),
  );
});

/** A GGUF with the model's metadata and a chosen tensor list. */
function writeWith(name: string, edit: (t: GgufWriteTensor[]) => GgufWriteTensor[], type = 'F32'): string {
  const model = new Llama(engine, cfg, { rng: new Rng(2) });
  const meta = new Map<string, GgufWriteValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.context_length', { type: 'u32', value: 16 }],
    ['llama.embedding_length', { type: 'u32', value: 32 }],
    ['llama.block_count', { type: 'u32', value: 2 }],
    ['llama.feed_forward_length', { type: 'u32', value: 48 }],
    ['llama.attention.head_count', { type: 'u32', value: 4 }],
    ['llama.attention.head_count_kv', { type: 'u32', value: 2 }],
  ]);
  const tensors = model.namedParameters().map(([n, t]) => ({
    name: ggufName(n),
    shape: t.shape,
    data: Float32Array.from(t.values()),
    type: 'F32' as const,
  }));
  const bytes = serializeGguf(meta, edit(tensors));
  if (type !== 'F32') {
    // Patch the first tensor's ggml type in place to one llmk does not decode (Q4_0 = 2).
    const at = bytes.indexOf(Buffer.from('token_embd.weight')) + 'token_embd.weight'.length + 4 + 16;
    bytes.writeUInt32LE(2, at);
  }
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

test('GGUF Llama: missing, extra, misshapen and undecodable tensors are errors naming the tensor', () => {
  const missing = writeWith('missing.gguf', (ts) => ts.filter((t) => t.name !== 'blk.1.attn_v.weight'));
  assert.throws(() => llamaFromGguf(engine, missing), code('LLMK_E_CHECKPOINT', "'blk.1.attn_v.weight'"));
  const extra = writeWith('extra.gguf', (ts) => [
    ...ts,
    { name: 'rope_freqs.weight', shape: [4], data: new Float32Array(4), type: 'F32' },
  ]);
  assert.throws(() => llamaFromGguf(engine, extra), code('LLMK_E_CHECKPOINT', "'rope_freqs.weight'"));
  const shaped = writeWith('shape.gguf', (ts) =>
    ts.map((t) => (t.name === 'output_norm.weight' ? { ...t, shape: [2, 16] } : t)),
  );
  assert.throws(() => llamaFromGguf(engine, shaped), code('LLMK_E_CHECKPOINT', "'output_norm.weight'"));
  const q4 = writeWith('q4.gguf', (ts) => ts, 'Q4_0');
  assert.throws(() => llamaFromGguf(engine, q4), code('LLMK_E_UNSUPPORTED', "'token_embd.weight'", 'Q4_0'));
});
