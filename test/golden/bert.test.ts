/**
 * BERT against PyTorch: a tiny BertForPreTraining built from llmk modules must reproduce the last
 * hidden states, the pooled [CLS], the masked-LM and next-sentence logits and the summed
 * pretraining loss that scripts/golden/bert.py computed with torch 1.13 (CPU, float32), including
 * a right-padded row (attention mask) and sentence-B token types.
 *
 * Error measure (as gpt-engine.test.ts): max |a − b| / max(max |b|, 1e-6). Two float32
 * implementations summing in different orders differ by ~1e-7 of the scale per reduction; 1e-4 leaves
 * room for the ~15 chained reductions here while a wrong rule (tanh instead of erf GELU, eps 1e-5
 * instead of 1e-12 is too small to see, a missing mask or pooler tanh) moves results by more.
 * Padded positions are compared too: HF computes them, and their values depend on the mask only
 * through the keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { bertConfig } from '../../src/models/bert/config.js';
import { BertForPreTraining } from '../../src/models/bert/heads.js';
import { createEngine } from '../../src/tensor/create.js';
import { pretrainingLoss } from '../../src/train/objectives/mlm.js';
import { scaledMaxError } from './tolerance.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/bert_tiny_pretraining.safetensors', import.meta.url));
const TOL = 1e-4;
const fixture = readSafetensors(FIXTURE);

function data(name: string): Float32Array | Int32Array {
  const t = fixture.get(name);
  assert.ok(t, `fixture has no tensor '${name}'`);
  return t.data as Float32Array | Int32Array;
}

for (const backend of ['reference', 'native'] as const) {
  test(`BERT pretraining forward matches PyTorch within ${TOL} (${backend})`, (t) => {
    let engine: ReturnType<typeof createEngine>;
    try {
      engine = createEngine({ backend });
    } catch {
      t.skip('native addon not built in this checkout');
      return;
    }
    // Must match scripts/golden/bert.py.
    const cfg = bertConfig({
      vocabSize: 40,
      hiddenSize: 16,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 32,
      maxPositionEmbeddings: 16,
      hiddenDropout: 0,
    });
    const model = new BertForPreTraining(engine, cfg).eval();
    const weights = new Map<string, Float32Array>();
    for (const k of fixture.keys())
      if (k.startsWith('param.')) weights.set(k.slice('param.'.length), data(k) as Float32Array);
    model.loadState(weights);
    engine.scope(() =>
      engine.noGrad(() => {
        const [B, T] = fixture.get('input.input_ids')?.shape ?? [];
        const ids = engine.tensor(data('input.input_ids'), [B, T], 'i32');
        const types = engine.tensor(data('input.token_type_ids'), [B, T], 'i32');
        const mask = engine.tensor(data('input.attention_mask'), [B, T], 'i32');
        const inputs = { inputIds: ids, tokenTypeIds: types, attentionMask: mask };
        const out = model.bert.forward(inputs);
        const heads = model.forward(inputs);
        const checks: Array<[string, number[]]> = [
          ['out.sequence', out.sequence.toArray()],
          ['out.pooled', out.pooled?.toArray() ?? []],
          ['out.mlm_logits', heads.mlmLogits.toArray()],
          ['out.nsp_logits', heads.nspLogits.toArray()],
        ];
        for (const [name, got] of checks) {
          const err = scaledMaxError(got, data(name));
          assert.ok(err < TOL, `${name}: scaled error ${err.toExponential(2)}`);
        }
        const loss = pretrainingLoss(model, {
          inputs,
          mlmLabels: data('input.mlm_labels') as Int32Array,
          nspLabels: data('input.nsp_labels') as Int32Array,
        }).item();
        const want = data('out.loss')[0];
        assert.ok(Math.abs(loss - want) / want < TOL, `loss ${loss} vs ${want}`);
      }),
    );
  });
}
