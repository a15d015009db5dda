import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Module } from '../nn/module.js';
import { createEngine } from '../tensor/create.js';
import type { Engine } from '../tensor/engine.js';
import { mul } from '../tensor/ops/elementwise.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { bertConfig } from './bert/config.js';
import { BertForSequenceClassification } from './bert/heads.js';
import { gptConfig } from './gpt/config.js';
import { GPTForSequenceClassification } from './gpt/heads.js';
import { GPT } from './gpt/model.js';
import { llamaConfig } from './llama/config.js';
import { Llama } from './llama/model.js';

// The unfused attention sums in another order than the fused kernel: 1e-5 absolute on logits of
// tiny models (|logit| < 1) is a few hundred ulps, far below any real difference.
const TOL = 1e-5;

function close(a: readonly number[], b: readonly number[], what: string, tol = TOL): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function differs(a: readonly number[], b: readonly number[]): boolean {
  return a.some((v, i) => Math.abs(v - b[i]) > 1e-4);
}

/** Checks shared by every model: attentions, hidden states, inputsEmbeds and a replacing hook. */
function checkModel(
  engine: Engine,
  name: string,
  run: (opts: { inputsEmbeds?: Tensor; outputAttentions?: boolean; outputHiddenStates?: boolean }) => {
    logits: Tensor;
    attentions: Tensor[] | null;
    hiddenStates: Tensor[] | null;
  },
  embed: () => Tensor,
  hooked: Module & { forward(x: Tensor): Tensor },
  nLayer: number,
): void {
  engine.noGrad(() => {
    const base = run({});
    const fast = base.logits.toArray();
    assert.equal(base.attentions, null);
    const slow = run({ outputAttentions: true, outputHiddenStates: true });
    close(slow.logits.toArray(), fast, `${name} unfused attention`);
    assert.equal(slow.attentions?.length, nLayer);
    assert.equal(slow.hiddenStates?.length, nLayer + 1);
    const p = slow.attentions?.[0] as Tensor;
    const S = p.shape[3];
    const rowSum = p
      .toArray()
      .slice(0, S)
      .reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(rowSum - 1) < 1e-5, `${name} probabilities sum to 1`);
    close(run({ inputsEmbeds: embed() }).logits.toArray(), fast, `${name} inputsEmbeds`, 0);
    const remove = hooked.onForward((out) => mul(out, 2));
    const changed = run({}).logits.toArray();
    assert.ok(differs(changed, fast), `${name}: a replacing hook changes the logits`);
    remove();
    assert.deepEqual(run({}).logits.toArray(), fast, `${name}: removing the hook restores them`);
  });
}

for (const backend of ['reference', 'native'] as const) {
  const engine = createEngine({ backend });
  const ids = engine.tensor(Int32Array.from([1, 5, 7, 2, 9, 3, 4, 8]), [2, 4], 'i32');

  test(`GPT (learned and rotary+GQA variants): unfused attention, hidden states, inputsEmbeds, hooks (${backend})`, () => {
    for (const extra of [{}, { positions: 'rotary' as const, nKvHead: 1, norm: 'rmsnorm' as const }]) {
      const cfg = gptConfig({ vocabSize: 11, nCtx: 16, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0, ...extra });
      const model = new GPT(engine, cfg, { rng: new Rng(1) });
      checkModel(
        engine,
        `GPT ${JSON.stringify(extra)}`,
        (o) => model.outputs(o.inputsEmbeds ? null : ids, o),
        () => model.getInputEmbeddings().forward(ids),
        model.transformer.h.at(1).mlp,
        2,
      );
      // Decoding with a cache (S > T): both attention paths agree on the new token's logits.
      engine.noGrad(() => {
        const step = (outputAttentions: boolean): number[] => {
          const cache = model.newCache();
          model.forward(ids, { cache });
          const out = model.outputs(engine.tensor(Int32Array.from([3, 6]), [2, 1], 'i32'), {
            cache,
            outputAttentions,
          });
          if (outputAttentions) assert.deepEqual(out.attentions?.[0].shape, [2, 2, 1, 5]);
          cache.dispose();
          return out.logits.toArray();
        };
        close(step(true), step(false), 'GPT cached decode, unfused vs fused');
      });
      // Gradients reach the input embeddings (integrated gradients, adversarial training).
      engine.scope(() => {
        // A leaf: embedded without recording, then marked to receive a gradient.
        const e = engine.keep(engine.noGrad(() => model.getInputEmbeddings().forward(ids)));
        e.requiresGrad = true;
        const logits = model.forward(null, { inputsEmbeds: e }); // (2, 4, V)
        logits.backward(engine.full(logits.shape, 1));
        assert.ok(
          e.grad?.toArray().some((g) => g !== 0),
          'inputsEmbeds get a gradient',
        );
        e.grad?.dispose();
        e.dispose();
      });
    }
  });

  test(`Llama: unfused attention, hidden states, inputsEmbeds, hooks (${backend})`, () => {
    const cfg = llamaConfig({
      vocabSize: 11,
      nCtx: 16,
      nLayer: 2,
      nHead: 4,
      nKvHead: 2,
      dim: 16,
      hiddenDim: 24,
    });
    const model = new Llama(engine, cfg, { rng: new Rng(2) });
    assert.equal(model.lm_head.weight.shape.join(), '11,16');
    checkModel(
      engine,
      'Llama',
      (o) => model.outputs(o.inputsEmbeds ? null : ids, o),
      () => model.getInputEmbeddings().forward(ids),
      model.model.layers.at(0).self_attn.o_proj,
      2,
    );
  });

  test(`BERT and the GPT/BERT heads take inputsEmbeds and run hooks (${backend})`, () => {
    const cfg = bertConfig({
      vocabSize: 20,
      hiddenSize: 8,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      maxPositionEmbeddings: 12,
      hiddenDropout: 0,
    });
    const head = new BertForSequenceClassification(engine, cfg, { numLabels: 3, rng: new Rng(3) }).eval();
    const mask = engine.tensor(Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0]), [2, 4], 'i32');
    checkModel(
      engine,
      'BERT',
      (o) => {
        const out = head.bert.call({ inputIds: o.inputsEmbeds ? null : ids, attentionMask: mask }, o);
        return { ...out, logits: out.sequence };
      },
      () => head.getInputEmbeddings().forward(ids),
      head.bert.encoder.layer.at(0).intermediate,
      2,
    );
    engine.noGrad(() => {
      const a = head.logits({ inputIds: ids, attentionMask: mask }).toArray();
      const b = head.logits({ inputsEmbeds: head.getInputEmbeddings().forward(ids), attentionMask: mask });
      assert.deepEqual(b.toArray(), a);
      const gcfg = gptConfig({ vocabSize: 11, nCtx: 16, nLayer: 2, nHead: 2, nEmbd: 8, dropout: 0 });
      const gpt = new GPTForSequenceClassification(engine, gcfg, { numLabels: 3, rng: new Rng(4) });
      const x = gpt.logits({ inputIds: ids, attentionMask: mask }).toArray();
      const e = gpt.getInputEmbeddings().forward(ids);
      assert.deepEqual(gpt.logits({ inputsEmbeds: e, attentionMask: mask }).toArray(), x);
      const remove = gpt.onForward((out) => mul(out, 0));
      assert.ok(
        gpt
          .logits({ inputIds: ids })
          .toArray()
          .every((v) => v === 0),
        'a hook on the head itself',
      );
      remove();
    });
  });
}
