import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../formats/safetensors.js';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { loadModel } from '../load.js';
import { saveModel } from '../save.js';
import { bertConfig } from './config.js';
import { BertForPreTraining, BertForSequenceClassification, BertForTokenClassification } from './heads.js';
import { bertFromHfConfig, bertToHfConfig } from './hf.js';

const engine = createEngine({ backend: 'reference' });
const tiny = bertConfig({
  vocabSize: 20,
  hiddenSize: 8,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  maxPositionEmbeddings: 12,
  hiddenDropout: 0,
});

test('BERT parameter names are the Hugging Face keys; the MLM decoder is tied to the word embeddings', () => {
  const model = new BertForPreTraining(engine, tiny, { rng: new Rng(1) });
  const names = model.namedParameters().map(([n]) => n);
  for (const key of [
    'bert.embeddings.word_embeddings.weight',
    'bert.embeddings.token_type_embeddings.weight',
    'bert.encoder.layer.1.attention.self.query.weight',
    'bert.encoder.layer.0.attention.output.LayerNorm.bias',
    'bert.encoder.layer.0.intermediate.dense.weight',
    'bert.encoder.layer.0.output.dense.weight',
    'bert.pooler.dense.weight',
    'cls.predictions.transform.LayerNorm.weight',
    'cls.predictions.bias',
    'cls.seq_relationship.weight',
  ])
    assert.ok(names.includes(key), key);
  const state = model.stateDict();
  assert.equal(
    state.get('cls.predictions.decoder.weight'),
    state.get('bert.embeddings.word_embeddings.weight'),
  );
  assert.ok(!names.includes('cls.predictions.decoder.weight'), 'tied weights are listed once');
  assert.deepEqual(state.get('bert.encoder.layer.0.intermediate.dense.weight')?.shape, [32, 8]);
  // Embeddings 20·8 + 12·8 + 2·8 + 16; per layer 4·(64+8) + 2·16 + (8·32+32) + (32·8+8) = 872;
  // pooler 72; cls: transform 72 + 16, bias 20, seq_relationship 18.
  assert.equal(model.parameterCount(), 160 + 96 + 16 + 16 + 2 * 872 + 72 + 88 + 20 + 18);
});

test('padding does not change the real tokens’ outputs (attention mask)', () => {
  const model = new BertForTokenClassification(engine, tiny, { numLabels: 3, rng: new Rng(2) }).eval();
  engine.scope(() => {
    const short = model
      .logits({ inputIds: engine.tensor(Int32Array.from([2, 5, 7, 3]), [1, 4], 'i32') })
      .toArray();
    const padded = model
      .logits({
        inputIds: engine.tensor(Int32Array.from([2, 5, 7, 3, 0, 0]), [1, 6], 'i32'),
        attentionMask: engine.tensor(Int32Array.from([1, 1, 1, 1, 0, 0]), [1, 6], 'i32'),
      })
      .toArray()
      .slice(0, 12);
    const err = Math.max(...short.map((x, i) => Math.abs(x - padded[i])));
    // Same arithmetic except masked keys contribute exact zeros: f32 rounding only.
    assert.ok(err < 1e-6, `padded outputs differ by ${err}`);
  });
});

test('saveModel → loadModel reproduces the logits, config and labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-bert-'));
  try {
    const model = new BertForSequenceClassification(engine, tiny, { numLabels: 2, rng: new Rng(3) }).eval();
    const task = {
      labels: ['neg', 'pos'],
      multiLabel: false,
      task: 'classification' as const,
      maxLength: 12,
    };
    saveModel(join(dir, 'm'), model, { task });
    const json = JSON.parse(readFileSync(join(dir, 'm', 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json.model_type, 'bert');
    assert.deepEqual(json.architectures, ['BertForSequenceClassification']);
    assert.deepEqual(json.id2label, { 0: 'neg', 1: 'pos' });
    assert.deepEqual(bertFromHfConfig(bertToHfConfig(tiny, 'BertForPreTraining'), 'x'), tiny);
    const loaded = loadModel(engine, join(dir, 'm'));
    assert.deepEqual(loaded.task?.labels, ['neg', 'pos']);
    loaded.model.eval();
    engine.scope(() => {
      const ids = engine.tensor(Int32Array.from([2, 9, 4, 3]), [1, 4], 'i32');
      const a = model.logits({ inputIds: ids }).toArray();
      const b = (loaded.model as BertForSequenceClassification).logits({ inputIds: ids }).toArray();
      assert.deepEqual(b, a);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pretraining checkpoint in the original HF spelling (no bert. prefix, gamma/beta) loads under a new head', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-bert-'));
  try {
    const src = new BertForPreTraining(engine, tiny, { rng: new Rng(4) });
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of src.namedParameters()) {
      if (!name.startsWith('bert.')) continue;
      const key = name
        .slice(5)
        .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
        .replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
      tensors[key] = { dtype: 'F32', shape: [...t.shape], data: t.values() as Float32Array };
    }
    writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...bertToHfConfig(tiny, 'BertForPreTraining'), architectures: ['BertModel'] }),
    );
    const task = { labels: ['O', 'B-X', 'I-X'], multiLabel: false, task: 'ner' as const, maxLength: 12 };
    const loaded = loadModel(engine, dir, { architecture: 'BertForTokenClassification', task });
    const got = loaded.model.stateDict().get('bert.encoder.layer.1.output.LayerNorm.weight')?.toArray();
    assert.deepEqual(got, src.stateDict().get('bert.encoder.layer.1.output.LayerNorm.weight')?.toArray());
    assert.throws(
      () => bertFromHfConfig({ model_type: 'gpt2' }, join(dir, 'config.json')),
      /LLMK_E_CONFIG: .*model_type 'gpt2' is not bert/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad configs and inputs give typed errors', () => {
  assert.throws(
    () => bertConfig({ vocabSize: 5, hiddenSize: 10, numAttentionHeads: 3 }),
    /LLMK_E_CONFIG: hiddenSize 10/,
  );
  const model = new BertForPreTraining(engine, tiny, { rng: new Rng(5) });
  engine.scope(() => {
    assert.throws(
      () => model.bert.forward({ inputIds: engine.tensor(new Int32Array(13), [1, 13], 'i32') }),
      /LLMK_E_SHAPE: sequence of 13 tokens exceeds maxPositionEmbeddings 12/,
    );
  });
});
