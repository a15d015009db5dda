/**
 * LoRA adapters in Hugging Face PEFT's layout, written by scripts/golden/peft_lora.py (PEFT's LoRA
 * math in plain PyTorch over the tiny HF models of hf_models.py): loading base + adapter in llmk
 * reproduces PyTorch's logits unmerged and merged, mergeAndUnload reproduces the merged weights,
 * and saveAdapter writes back the same tensors and the same adapter_config.json bytes (Python's
 * json.dumps(indent=2, sort_keys=True)).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { loadCausalLM } from '../../src/models/load.js';
import type { Module } from '../../src/nn/module.js';
import { loadAdapter, saveAdapter } from '../../src/peft/io.js';
import { LoraLinear } from '../../src/peft/lora.js';
import { mergeAdapter, mergeAndUnload, unmergeAdapter } from '../../src/peft/model.js';
import { createEngine } from '../../src/tensor/create.js';
import { REPO_ROOT } from './shared-data.js';

const engine = createEngine();
const FIXTURES = join(REPO_ROOT, 'test', 'golden', 'fixtures');

function maxErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err;
}

// Tolerance 1e-5 on logits of magnitude < 10: both sides compute in f32 and differ only in
// summation order over dot products of length ≤ 40 (hidden 16, MLP 40/64), whose rounding is a few
// ulps (~1e-6 at these magnitudes); a wrong scaling, transposition or key would be off by ≥ 1e-2.
const TOL = 1e-5;

for (const name of ['gpt2', 'llama']) {
  test(`peft-lora-${name}: base + PEFT adapter logits match PyTorch within ${TOL}, merged too; mergeAndUnload weights and saveAdapter round-trip`, () => {
    const dir = join(FIXTURES, `peft-lora-${name}`);
    const golden = readSafetensors(join(dir, 'golden.safetensors'));
    const idx = golden.get('input.idx')!;
    const { model } = loadCausalLM(engine, join(FIXTURES, `hf-tiny-${name}`));
    const loaded = loadAdapter(engine, model, dir);
    assert.equal(loaded.baseModelNameOrPath, `hf-tiny-${name}`);
    const layers = model.namedModules().filter(([, m]) => m instanceof LoraLinear).length;
    assert.equal(layers, name === 'gpt2' ? 6 : 3);
    const run = (): number[] =>
      engine.noGrad(() =>
        engine.scope(() => model.forward(engine.tensor(idx.data, idx.shape, 'i32')).toArray()),
      );
    const base = readSafetensors(join(FIXTURES, `hf-tiny-${name}`, 'golden.safetensors')).get(
      'out.logits',
    )!.data;
    const unmerged = run();
    assert.ok(maxErr(unmerged, base) > 1e-2, 'the adapter changes the logits (non-zero B)');
    const err = maxErr(unmerged, golden.get('out.logits')!.data);
    assert.ok(err < TOL, `unmerged: max |Δlogit| = ${err}`);
    mergeAdapter(model);
    const errMerged = maxErr(run(), golden.get('out.logits_merged')!.data);
    assert.ok(errMerged < TOL, `merged: max |Δlogit| = ${errMerged}`);
    unmergeAdapter(model);

    // saveAdapter writes the file's tensors back under the same keys, and the same config bytes.
    const out = mkdtempSync(join(tmpdir(), 'llmk-peft-golden-'));
    try {
      saveAdapter(out, model, { baseModelNameOrPath: `hf-tiny-${name}`, taskType: 'CAUSAL_LM' });
      assert.equal(
        readFileSync(join(out, 'adapter_config.json'), 'utf8'),
        readFileSync(join(dir, 'adapter_config.json'), 'utf8'),
      );
      const mine = readSafetensors(join(out, 'adapter_model.safetensors'));
      const theirs = readSafetensors(join(dir, 'adapter_model.safetensors'));
      assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
      for (const [k, t] of theirs) assert.deepEqual(mine.get(k)?.data, t.data, k);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }

    const plain: Module = mergeAndUnload(model);
    const state = plain.stateDict();
    for (const [key, t] of golden) {
      if (!key.startsWith('merged.')) continue;
      const w = state.get(key.slice('merged.'.length));
      assert.ok(w, key);
      const e = maxErr(w.toArray(), t.data);
      // W + s·B·A with r ≤ 4 terms: a couple of f32 ulps of |W| < 2.
      assert.ok(e < 1e-6, `${key}: max |Δ| = ${e}`);
    }
    const errPlain = maxErr(run(), golden.get('out.logits_merged')!.data);
    assert.ok(errPlain < TOL, `merged and unloaded: max |Δlogit| = ${errPlain}`);
  });
}
