/**
 * Tiny random BART and Marian checkpoints written by scripts/golden/seq2seq.py (plain PyTorch with
 * transformers' semantics, HF tensor names, transformers-style config.json): loadModel builds them
 * through the registry; encoder outputs, decoder logits (teacher-forced, and step by step with the
 * self- and cross-attention caches), the loss and its gradients match PyTorch; greedy and beam
 * search reproduce a plain-torch reimplementation of HF's generate / BeamSearchScorer token for token.
 *
 * Tolerance 1e-4 (absolute): f32 on both sides, only summation order differs (matmul blocking, the
 * fused attention's two-pass softmax vs torch's); values are O(1..10) after post-LN layers, so
 * rounding differences are ~1e-6 (measured: encoder ≤ 4e-6, logits ≤ 2e-5) and 1e-4 leaves margin
 * while any real difference (a wrong offset, scale or layout) moves values by ≥ 1e-2. Gradients are
 * compared relative to their tensor's largest entry when it exceeds 1 (see below).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { generateSeq2Seq, type Seq2SeqGenerateOptions } from '../../src/infer/seq2seq.js';
import { asBart } from '../../src/models/bart/hf.js';
import { shiftTokensRight } from '../../src/models/bart/model.js';
import { loadModel } from '../../src/models/load.js';
import { saveModel } from '../../src/models/save.js';
import { createEngine } from '../../src/tensor/create.js';
import { crossEntropy } from '../../src/tensor/ops/fused.js';
import { concat, reshape } from '../../src/tensor/ops/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { REPO_ROOT } from './shared-data.js';

const engine = createEngine();
const TOL = 1e-4;

function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err;
}

interface GenerationCase {
  options: {
    name: string;
    max_new_tokens: number;
    min_new_tokens?: number;
    no_repeat_ngram_size?: number;
    num_beams?: number;
    num_return_sequences?: number;
    length_penalty?: number;
    early_stopping?: boolean | 'never';
  };
  outputs: Array<Array<{ tokens: number[]; score?: number }>>;
}

for (const name of ['bart', 'marian']) {
  const dir = join(REPO_ROOT, 'test', 'golden', 'fixtures', `hf-tiny-${name}`);
  const golden = readSafetensors(join(dir, 'golden.safetensors'));
  const input = (key: string): Tensor => {
    const t = golden.get(key)!;
    return engine.tensor(t.data, t.shape, 'i32');
  };
  const want = (key: string): Float32Array => golden.get(key)!.data as Float32Array;

  test(`hf-tiny-${name}: encoder output and decoder logits (full and cached steps) match PyTorch within 1e-4`, () => {
    const loaded = loadModel(engine, dir);
    assert.equal(loaded.modelType, name);
    const model = asBart(loaded.model, dir);
    engine.noGrad(() =>
      engine.scope(() => {
        const ids = input('input.input_ids');
        const mask = input('input.attention_mask');
        const dec = input('input.decoder_input_ids');
        const enc = model.encode(ids, mask); // (B, S, C)
        assert.ok(maxDiff(enc.toArray(), want('out.encoder')) < TOL, 'encoder');
        const logits = model.decode(dec, enc, { encoderAttentionMask: mask }); // (B, T, V)
        assert.deepEqual(logits.shape, golden.get('out.logits')!.shape);
        const e1 = maxDiff(logits.toArray(), want('out.logits'));
        assert.ok(e1 < TOL, `full logits max |Δ| = ${e1}`);
        // Step by step: the self cache grows, the cross cache is filled at the first step and reused.
        const cache = model.newCache();
        const [B, T] = dec.shape;
        const decValues = dec.toArray();
        const steps: Tensor[] = [];
        for (let t = 0; t < T; t++) {
          const step = engine.tensor(
            Int32Array.from({ length: B }, (_, b) => decValues[b * T + t]),
            [B, 1],
            'i32',
          );
          steps.push(model.decode(step, t === 0 ? enc : null, { encoderAttentionMask: mask, cache })); // (B, 1, V)
        }
        assert.equal(cache.length, T);
        const e2 = maxDiff(concat(steps, 1).toArray(), want('out.step_logits'));
        cache.dispose();
        assert.ok(e2 < TOL, `cached step logits max |Δ| = ${e2}`);
      }),
    );
  });

  test(`hf-tiny-${name}: loss and gradients match PyTorch within 1e-4`, () => {
    const model = asBart(loadModel(engine, dir).model, dir);
    // Eval mode (no dropout), as the golden forward; gradients are recorded all the same.
    model.eval();
    engine.scope(() => {
      const logits = model.forward({
        inputIds: input('input.input_ids'),
        attentionMask: input('input.attention_mask'),
        decoderInputIds: input('input.decoder_input_ids'),
      }); // (B, T, V)
      const [B, T, V] = logits.shape;
      const labels = input('input.labels');
      const loss = crossEntropy(reshape(logits, [B * T, V]), reshape(labels, [B * T]), { ignoreIndex: -100 });
      assert.ok(Math.abs(loss.item() - want('out.loss')[0]) < TOL, `loss ${loss.item()}`);
      loss.backward();
      // model.loss: labels shifted right into decoder inputs, −100 ignored, PyTorch's label smoothing.
      const labelsShifted = shiftTokensRight(
        labels,
        model.config.padTokenId,
        model.config.decoderStartTokenId,
      );
      assert.deepEqual(
        Array.from(labelsShifted.toArray()),
        Array.from(golden.get('input.decoder_input_ids')!.data),
      );
      const inputs = {
        inputIds: input('input.input_ids'),
        attentionMask: input('input.attention_mask'),
        decoderInputIds: labelsShifted,
      };
      const smoothed = engine.noGrad(() => model.loss(inputs, labels, { labelSmoothing: 0.1 }).item());
      assert.ok(
        Math.abs(smoothed - want('out.loss_label_smoothing_0.1')[0]) < TOL,
        `smoothed loss ${smoothed}`,
      );
    });
    const state = model.stateDict();
    const names = [...golden.keys()].filter((k) => k.startsWith('grad.'));
    assert.ok(names.length >= 6);
    for (const key of names) {
      const p = state.get(key.slice('grad.'.length));
      assert.ok(p?.grad, `${key} has a gradient`);
      // Gradients reach |g| ≈ 20 (Marian's √C-scaled embeddings): 1e-4 relative to the tensor's
      // largest entry when that exceeds 1 (f32 accumulation error grows with the magnitudes summed).
      const g = want(key);
      let scale = 1;
      for (const x of g) scale = Math.max(scale, Math.abs(x));
      const err = maxDiff(p.grad.toArray(), g);
      assert.ok(err < TOL * scale, `${key} max |Δ| = ${err} (max |g| ${scale})`);
    }
    assert.equal(state.get('final_logits_bias')?.grad ?? null, null, 'final_logits_bias is a buffer');
  });

  test(`hf-tiny-${name}: greedy and beam search reproduce transformers' generate (BeamSearchScorer)`, () => {
    const model = asBart(loadModel(engine, dir).model, dir);
    const gen = JSON.parse(readFileSync(join(dir, 'generation.json'), 'utf8')) as {
      source: number[][];
      attention_mask: number[][];
      cases: GenerationCase[];
    };
    const sources = gen.source.map((row, b) => row.filter((_, s) => gen.attention_mask[b][s] === 1));
    for (const { options: o, outputs } of gen.cases) {
      const options: Seq2SeqGenerateOptions = {
        maxNewTokens: o.max_new_tokens,
        minNewTokens: o.min_new_tokens,
        noRepeatNgramSize: o.no_repeat_ngram_size,
        numBeams: o.num_beams,
        numReturnSequences: o.num_return_sequences,
        lengthPenalty: o.length_penalty,
        earlyStopping: o.early_stopping,
      };
      for (const crossCache of [true, false]) {
        const got = generateSeq2Seq(model, sources, { ...options, crossCache });
        assert.deepEqual(
          got.map((hyps) => hyps.map((h) => h.tokens)),
          outputs.map((hyps) => hyps.map((h) => h.tokens)),
          `${o.name} (crossCache ${crossCache})`,
        );
        for (const [b, hyps] of got.entries()) {
          for (const [i, h] of hyps.entries()) {
            const score = outputs[b][i].score;
            if (score !== undefined)
              assert.ok(Math.abs(h.score - score) < TOL, `${o.name} score ${h.score} vs ${score}`);
          }
        }
      }
    }
  });

  test(`hf-tiny-${name}: saving the loaded checkpoint rewrites model.safetensors byte for byte`, () => {
    const loaded = loadModel(engine, dir);
    const out = join(mkdtempSync(join(tmpdir(), 'llmk-seq2seq-')), name);
    saveModel(out, loaded.model);
    assert.ok(
      readFileSync(join(out, 'model.safetensors')).equals(readFileSync(join(dir, 'model.safetensors'))),
    );
  });
}
