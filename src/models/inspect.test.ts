import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { createEngine } from '../tensor/create.js';
import { convertModel } from './convert.js';
import { formatInspection, inspectModel } from './inspect.js';

const FIXTURES = join('test', 'golden', 'fixtures');

test('inspect: llama2.c checkpoint and HF directory (architecture, parameter count, dtypes, tensor table)', () => {
  const l2c = inspectModel(join(FIXTURES, 'llama2c-stories260K', 'stories260K.bin'));
  assert.equal(l2c.format, 'llama2c');
  assert.equal(l2c.parameters, 260032);
  assert.deepEqual(l2c.dtypes, { F32: 260032 });
  const text = formatInspection(l2c);
  assert.match(text, /model\.layers\.4\.mlp\.down_proj\.weight +F32 +\[64, 172\]/);
  assert.match(text, /model\.layers\.0\.self_attn\.k_proj\.weight +F32 +\[32, 64\]/);
  const qwen = inspectModel(join(FIXTURES, 'hf-tiny-qwen2'));
  assert.equal(qwen.architecture, 'qwen2');
  assert.deepEqual(Object.keys(qwen.dtypes), ['BF16']);
  assert.ok(
    qwen.tensors.some((t) => t.name === 'model.layers.1.self_attn.q_proj.bias' && t.shape.join() === '16'),
  );
});

test('convert checks the declared input format against the file', () => {
  const model = join(FIXTURES, 'llama2c-stories260K', 'stories260K.bin');
  assert.throws(
    () => convertModel(createEngine({ backend: 'reference' }), 'hf', 'gguf', model, 'unused.gguf'),
    (e: unknown) =>
      e instanceof LlmkError &&
      e.code === 'LLMK_E_FORMAT' &&
      e.message.includes('looks like llama2c, not hf'),
  );
});
