/**
 * Tiny random GPT-2, Llama and Qwen2 models written by scripts/golden/hf_models.py (plain PyTorch
 * with transformers' semantics, HF tensor names, transformers-style config.json): loading each
 * directory with loadCausalLM and running the forward pass reproduces PyTorch's logits.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { loadCausalLM } from '../../src/models/load.js';
import { createEngine } from '../../src/tensor/create.js';
import { REPO_ROOT } from './shared-data.js';

const engine = createEngine();

for (const name of ['gpt2', 'llama', 'qwen2']) {
  test(`hf-tiny-${name}: loadCausalLM logits match PyTorch within 1e-4`, () => {
    const dir = join(REPO_ROOT, 'test', 'golden', 'fixtures', `hf-tiny-${name}`);
    const golden = readSafetensors(join(dir, 'golden.safetensors'));
    const idx = golden.get('input.idx')!;
    const want = golden.get('out.logits')!.data as Float32Array;
    const { model, modelType } = loadCausalLM(engine, dir);
    assert.equal(modelType, name);
    engine.noGrad(() =>
      engine.scope(() => {
        const logits = model.forward(engine.tensor(idx.data, idx.shape, 'i32'));
        assert.deepEqual(logits.shape, golden.get('out.logits')!.shape);
        const got = logits.toArray();
        let err = 0;
        for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
        // f32 throughout on both sides; only summation order differs (logits are O(1..10)).
        assert.ok(err < 1e-4, `max |Δlogit| = ${err}`);
      }),
    );
  });
}
