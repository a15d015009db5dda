import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { readSafetensors } from '../formats/safetensors.js';
import { bertConfig } from '../models/bert/config.js';
import { BertForSequenceClassification } from '../models/bert/heads.js';
import { gptConfig } from '../models/gpt/config.js';
import { GPT } from '../models/gpt/model.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import { pythonJson } from './config.js';
import { loadAdapter, saveAdapter } from './io.js';
import { LoraLinear } from './lora.js';
import { addLora } from './model.js';

const engine = createEngine({ backend: 'reference' });
const gpt = (nEmbd = 8): GPT =>
  new GPT(engine, gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 2, nHead: 2, nEmbd, dropout: 0 }), {
    rng: new Rng(1),
  });
const ids = () => engine.tensor(Int32Array.from([1, 5, 7, 2, 9, 3]), [1, 6], 'i32');

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-peft-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const code = (c: string, text: string) => (e: unknown) =>
  e instanceof LlmkError && e.code === c && `${e.message} ${e.hint}`.includes(text);

test('saveAdapter → loadAdapter round-trips a trained GPT-2 adapter: same logits on a fresh base', () => {
  withDir((dir) => {
    const model = gpt();
    addLora(
      model,
      { r: 2, loraAlpha: 4, targetModules: ['c_attn', 'c_fc'], initLoraWeights: false },
      { rng: new Rng(2) },
    );
    const want = engine.noGrad(() => model.forward(ids()).toArray());
    saveAdapter(dir, model, { baseModelNameOrPath: 'tiny', taskType: 'CAUSAL_LM' });
    const keys = [...readSafetensors(join(dir, 'adapter_model.safetensors')).keys()].sort();
    assert.equal(keys.length, 8);
    assert.ok(keys.includes('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight'));
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.fan_in_fan_out, true, 'forced for Conv1D as PEFT does');
    assert.deepEqual(cfg.target_modules, ['c_attn', 'c_fc']);
    const fresh = gpt();
    const loaded = loadAdapter(engine, fresh, dir);
    assert.equal(loaded.targets.length, 4);
    assert.deepEqual(
      engine.noGrad(() => fresh.forward(ids()).toArray()),
      want,
    );
    assert.equal(fresh.parameterCount({ trainable: true }), 0, 'loaded for inference: frozen');
  });
});

test('loadAdapter refuses before loading: peft_type, r ≤ 0, unknown target, shape mismatch (naming the tensor)', () => {
  withDir((dir) => {
    const model = gpt();
    addLora(model, { r: 2, targetModules: ['c_attn'] });
    saveAdapter(dir, model);
    const path = join(dir, 'adapter_config.json');
    const good = JSON.parse(readFileSync(path, 'utf8'));
    const edit = (patch: Record<string, unknown>) => writeFileSync(path, pythonJson({ ...good, ...patch }));
    const fresh = gpt();
    edit({ peft_type: 'IA3' });
    assert.throws(() => loadAdapter(engine, fresh, dir), code('LLMK_E_UNSUPPORTED', 'IA3'));
    edit({ r: 0 });
    assert.throws(() => loadAdapter(engine, fresh, dir), code('LLMK_E_CONFIG', 'r=0'));
    edit({ use_dora: true });
    assert.throws(() => loadAdapter(engine, fresh, dir), code('LLMK_E_UNSUPPORTED', 'DoRA'));
    edit({ target_modules: ['q_proj'] });
    assert.throws(
      () => loadAdapter(engine, fresh, dir),
      code('LLMK_E_CONFIG', 'transformer.h.0.attn.c_attn'),
    );
    edit({ r: 3 });
    assert.throws(
      () => loadAdapter(engine, fresh, dir),
      code('LLMK_E_CHECKPOINT', 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight'),
    );
    edit({});
    const wide = gpt(16);
    assert.throws(() => loadAdapter(engine, wide, dir), code('LLMK_E_CHECKPOINT', 'has shape [2, 8]'));
    assert.ok(!wide.namedModules().some(([, m]) => m instanceof LoraLinear), 'nothing was wrapped');
    for (const m of [fresh, wide]) assert.ok(!m.namedModules().some(([, x]) => x instanceof LoraLinear));
  });
});

test('BERT classification: query/value LoRA + classifier in modules_to_save; bias lora_only; head saved under its own name', () => {
  withDir((dir) => {
    const cfg = bertConfig({
      vocabSize: 30,
      hiddenSize: 8,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      intermediateSize: 16,
      maxPositionEmbeddings: 16,
    });
    const model = new BertForSequenceClassification(engine, cfg, { numLabels: 3, rng: new Rng(3) });
    const s = addLora(model, {
      r: 2,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      bias: 'lora_only',
    });
    // A (2, 8) + B (8, 2) = 32 per layer, 4 layers; biases of the 4 wrapped layers (8 each); classifier 8·3 + 3.
    assert.equal(s.trainable, 4 * 32 + 4 * 8 + 27);
    saveAdapter(dir, model, { taskType: 'SEQ_CLS' });
    const keys = [...readSafetensors(join(dir, 'adapter_model.safetensors')).keys()];
    assert.ok(
      keys.includes('base_model.model.classifier.weight') &&
        keys.includes('base_model.model.classifier.bias'),
    );
    assert.ok(keys.includes('base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.bias'));
    assert.equal(keys.length, 8 + 4 + 2);
  });
});
