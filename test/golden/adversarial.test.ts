/**
 * Adversarial training against PyTorch: one step of FGM, PGD (K = 3) and FreeLB (K = 3) on a tiny
 * BertForSequenceClassification must leave the same parameter gradients, last-pass loss and
 * perturbation norms as scripts/golden/adversarial.py computed with torch (CPU, float32), the
 * perturbation on the word-embedding output with per-example L2 norms.
 *
 * Error measure (as bert.test.ts): max |a − b| / max(max |b|, 1e-6) per tensor. Gradients pass
 * through the forward twice or more (the perturbation is built from one backward and fed into the
 * next forward), so 1e-4 leaves room for float32 reduction order over ~30 chained reductions, while
 * a wrong recipe (gradients of intermediate PGD passes kept, FreeLB without the 1/K, a global instead
 * of per-example norm) moves gradients by far more. Attention key biases, whose exact gradient is
 * zero, are checked to stay at rounding noise instead.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng as DataRng } from '../../src/data/rng.js';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { bertConfig } from '../../src/models/bert/config.js';
import { BertForSequenceClassification } from '../../src/models/bert/heads.js';
import { AdversarialObjective } from '../../src/robust/adversarial.js';
import { classificationLoss } from '../../src/tasks/classification.js';
import { createEngine } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Objective } from '../../src/train/objective.js';
import { scaledMaxError } from './tolerance.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/adversarial_tiny_bert.safetensors', import.meta.url));
const TOL = 1e-4;

for (const backend of ['reference', 'native'] as const) {
  test(`FGM / PGD / FreeLB parameter gradients match PyTorch within ${TOL} (${backend})`, (t) => {
    if (!existsSync(FIXTURE)) {
      t.skip('fixture missing: run /usr/bin/python3 scripts/golden/adversarial.py');
      return;
    }
    const fixture = readSafetensors(FIXTURE);
    const data = (name: string): Float32Array | Int32Array => {
      const x = fixture.get(name);
      assert.ok(x, `fixture has no tensor '${name}'`);
      return x.data as Float32Array | Int32Array;
    };
    const engine = createEngine({ backend });
    // Must match scripts/golden/bert.py's sizes.
    const cfg = bertConfig({
      vocabSize: 40,
      hiddenSize: 16,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 32,
      maxPositionEmbeddings: 16,
      hiddenDropout: 0,
    });
    const model = new BertForSequenceClassification(engine, cfg, { numLabels: 3, classifierDropout: 0 });
    const weights = new Map<string, Float32Array>();
    for (const k of fixture.keys())
      if (k.startsWith('param.')) weights.set(k.slice('param.'.length), data(k) as Float32Array);
    model.loadState(weights);
    const [B, T] = fixture.get('input.input_ids')?.shape ?? [];
    const labels = [...data('input.labels')].map((l) => [l]);
    // The fixed batch as an objective (the rng is not needed: every pass sees the same batch).
    const objective: Objective = {
      model,
      unitsPerBatch: B,
      trainLoss: (): Tensor =>
        classificationLoss(
          model.logits({
            inputIds: engine.tensor(data('input.input_ids'), [B, T], 'i32'),
            tokenTypeIds: engine.tensor(data('input.token_type_ids'), [B, T], 'i32'),
            attentionMask: engine.tensor(data('input.attention_mask'), [B, T], 'i32'),
          }),
          labels,
          { multiLabel: false },
        ),
      evaluate: () => null,
      saveModel: () => {},
    };
    for (const method of ['fgm', 'pgd', 'freelb'] as const) {
      for (const p of model.parameters()) p.grad?.values().fill(0);
      const adv = new AdversarialObjective(engine, objective, { method, epsilon: 0.5, steps: 3, alpha: 0.3 });
      let loss = 0;
      engine.scope(() => {
        const l = adv.trainLoss(new DataRng(1));
        l.backward();
        loss = l.item();
      });
      // FreeLB's returned value is the mean over passes; its last pass is what torch saved.
      if (method !== 'freelb') {
        const want = data(`loss.${method}`)[0];
        assert.ok(Math.abs(loss - want) / want < TOL, `${method} loss ${loss} vs ${want}`);
      }
      const norms = adv.lastStep?.perturbationNorms ?? [];
      assert.ok(scaledMaxError(norms, data(`norm.${method}`)) < TOL, `${method} norms ${norms}`);
      for (const [name, p] of model.namedParameters()) {
        const got = p.grad?.toArray() ?? [];
        const want = data(`grad.${method}.${name}`);
        // Attention key biases get no gradient in exact arithmetic (softmax is shift-invariant per
        // row); both sides hold rounding noise (~1e-9) there, so only check that it stays noise.
        if (Math.max(...want.map(Math.abs)) < 1e-6) {
          assert.ok(Math.max(...got.map(Math.abs)) < 1e-5, `${method} grad ${name} should vanish`);
          continue;
        }
        const err = scaledMaxError(got, want);
        assert.ok(err < TOL, `${method} grad ${name}: scaled error ${err.toExponential(2)}`);
      }
    }
  });
}
