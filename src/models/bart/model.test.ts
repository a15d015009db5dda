import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../../errors.js';
import { generateSeq2Seq } from '../../infer/seq2seq.js';
import { CrossKVCache, KVCache } from '../../nn/kv-cache.js';
import { createEngine } from '../../tensor/create.js';
import { Rng } from '../../tensor/random.js';
import { loadModel } from '../load.js';
import { familyForModelType } from '../registry.js';
import { saveModel } from '../save.js';
import { bartConfig } from './config.js';
import { asBart } from './hf.js';
import { BartForConditionalGeneration } from './model.js';
import { SinusoidalPositions } from './positions.js';

const engines = [createEngine(), createEngine({ backend: 'reference' })];
const root = mkdtempSync(join(tmpdir(), 'llmk-bart-'));
const tiny = { vocabSize: 23, dModel: 8, encoderLayers: 1, decoderLayers: 2, encoderAttentionHeads: 2 };

function code(c: string, ...needles: string[]): (e: unknown) => boolean {
  return (e) => e instanceof LlmkError && e.code === c && needles.every((n) => e.message.includes(n));
}

test('save → load → save is byte-identical (BART and Marian, config.json and model.safetensors)', () => {
  const engine = engines[0];
  for (const flavor of ['bart', 'marian'] as const) {
    const config = bartConfig({
      ...tiny,
      flavor,
      padTokenId: flavor === 'marian' ? 22 : 1,
      forcedEosTokenId: 2,
    });
    const model = new BartForConditionalGeneration(engine, config, { rng: new Rng(7) });
    model.final_logits_bias.values().fill(0.25);
    const a = join(root, `${flavor}-a`);
    const b = join(root, `${flavor}-b`);
    saveModel(a, model);
    const loaded = loadModel(engine, a);
    assert.equal(loaded.modelType, flavor);
    assert.deepEqual(asBart(loaded.model, a).config, config);
    saveModel(b, loaded.model);
    for (const f of ['model.safetensors', 'config.json'])
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${flavor} ${f}`);
    // Tied aliases and Marian's recomputed position tables are not written (HF leaves them out too).
    const header = readFileSync(join(a, 'model.safetensors')).toString('latin1', 8, 4000);
    assert.ok(!header.includes('lm_head.weight') && !header.includes('embed_tokens'));
    assert.equal(header.includes('embed_positions'), flavor === 'bart');
    const tied = loaded.model.stateDict();
    assert.equal(tied.get('lm_head.weight'), tied.get('model.shared.weight'));
    assert.equal(tied.get('model.decoder.embed_tokens.weight'), tied.get('model.shared.weight'));
  }
});

test('config.json: defaults per model_type, unsupported fields are errors naming the field', () => {
  const parse = (json: Record<string, unknown>) =>
    familyForModelType(json.model_type, 'c.json').parseConfig(json, 'c.json') as ReturnType<
      typeof bartConfig
    >;
  const base = { vocab_size: 50, d_model: 8, encoder_attention_heads: 2, decoder_attention_heads: 2 };
  const marian = parse({
    ...base,
    model_type: 'marian',
    pad_token_id: 49,
    num_beams: 4,
    bad_words_ids: [[49]],
  });
  assert.deepEqual(
    [marian.activation, marian.scaleEmbedding, marian.decoderStartTokenId, marian.eosTokenId],
    ['swish', true, 49, 0],
  );
  const bart = parse({ ...base, model_type: 'bart', forced_bos_token_id: 0, forced_eos_token_id: 2 });
  assert.deepEqual(
    [bart.activation, bart.scaleEmbedding, bart.decoderStartTokenId, bart.forcedBosTokenId],
    ['gelu', false, 2, 0],
  );
  assert.throws(
    () => parse({ ...base, model_type: 'bart', normalize_before: true }),
    code('LLMK_E_CONFIG', "'normalize_before'"),
  );
  assert.throws(
    () => parse({ ...base, model_type: 'marian', share_encoder_decoder_embeddings: false }),
    code('LLMK_E_CONFIG', "'share_encoder_decoder_embeddings'"),
  );
  assert.throws(
    () => parse({ ...base, model_type: 'bart', activation_function: 'tanh' }),
    code('LLMK_E_CONFIG', "'activation_function'"),
  );
  assert.throws(
    () => parse({ ...base, model_type: 'bart', rope_theta: 1 }),
    code('LLMK_E_CONFIG', "'rope_theta'"),
  );
  assert.throws(() => bartConfig({ ...tiny, dModel: 9 }), code('LLMK_E_CONFIG', 'dModel 9'));
});

test('Marian sinusoidal table: sin in the first half, cos in the second, positions from 0', () => {
  const t = new SinusoidalPositions(5, 6);
  const row = t.table(engines[0], 3, 1).toArray();
  for (let j = 0; j < 3; j++) {
    const angle = 3 / 10000 ** ((2 * j) / 6);
    assert.ok(Math.abs(row[j] - Math.sin(angle)) < 1e-7);
    assert.ok(Math.abs(row[3 + j] - Math.cos(angle)) < 1e-7);
  }
});

for (const engine of engines) {
  test(`[${engine.backend.name}] a padded source in a batch decodes as it does alone; cached steps equal the full decode`, () => {
    const model = new BartForConditionalGeneration(
      engine,
      bartConfig({ ...tiny, flavor: 'marian', padTokenId: 22 }),
      {
        rng: new Rng(3),
      },
    );
    model.eval();
    engine.noGrad(() =>
      engine.scope(() => {
        const src = engine.tensor(Int32Array.from([5, 6, 7, 8, 0, 9, 10, 0, 22, 22]), [2, 5], 'i32');
        const mask = engine.tensor(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), [2, 5], 'i32');
        const dec = engine.tensor(Int32Array.from([22, 3, 4, 22, 11, 12]), [2, 3], 'i32');
        const both = model.decode(dec, model.encode(src, mask), { encoderAttentionMask: mask }).toArray(); // (2, 3, V)
        const alone = model
          .decode(
            engine.tensor(Int32Array.from([22, 11, 12]), [1, 3], 'i32'),
            model.encode(engine.tensor(Int32Array.from([9, 10, 0]), [1, 3], 'i32')),
          )
          .toArray(); // (1, 3, V)
        const V = 23;
        for (let i = 0; i < 3 * V; i++) assert.ok(Math.abs(both[3 * V + i] - alone[i]) < 1e-5, `logit ${i}`);
        const cache = model.newCache();
        const enc = model.encode(src, mask);
        const decv = dec.toArray();
        for (let t = 0; t < 3; t++) {
          const step = model
            .decode(engine.tensor(Int32Array.from([decv[t], decv[3 + t]]), [2, 1], 'i32'), enc, {
              encoderAttentionMask: mask,
              cache,
            })
            .toArray(); // (2, 1, V)
          for (let b = 0; b < 2; b++)
            for (let v = 0; v < V; v++)
              assert.ok(Math.abs(step[b * V + v] - both[(b * 3 + t) * V + v]) < 1e-5, `step ${t} row ${b}`);
        }
        cache.dispose();
      }),
    );
  });
}

test('KVCache.reorder and CrossKVCache.repeatRows move whole rows; autograd reorder is refused', () => {
  const engine = engines[0];
  engine.noGrad(() => {
    const cache = new KVCache(1);
    const k = engine.tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 1, 1, 2]);
    cache.append(0, k, k);
    cache.reorder([2, 0, 0]);
    const [kk] = cache.append(0, engine.zeros([3, 1, 1, 2]), engine.zeros([3, 1, 1, 2]));
    assert.deepEqual(Array.from(kk.toArray()), [5, 6, 0, 0, 1, 2, 0, 0, 1, 2, 0, 0]);
    cache.dispose();
    const cross = new CrossKVCache(1);
    cross.set(
      0,
      engine.tensor(Float32Array.from([1, 2]), [2, 1, 1, 1]),
      engine.tensor(Float32Array.from([3, 4]), [2, 1, 1, 1]),
    );
    cross.repeatRows(2);
    assert.deepEqual(Array.from(cross.get(0)[0].toArray()), [1, 1, 2, 2]);
    cross.dispose();
    assert.throws(() => cross.get(0), code('LLMK_E_ARG', 'empty'));
  });
  const cache = new KVCache(1);
  const k = engine.tensor(Float32Array.from([1, 2]), [2, 1, 1, 1]);
  cache.append(0, k, k);
  assert.throws(() => cache.reorder([1, 0]), code('LLMK_E_UNSUPPORTED'));
  cache.dispose();
});

test('generation options: numBeams < 1 and numReturnSequences > numBeams are typed errors', () => {
  const model = new BartForConditionalGeneration(engines[0], bartConfig(tiny), { rng: new Rng(1) });
  assert.throws(() => generateSeq2Seq(model, [[3, 4]], { numBeams: 0 }), code('LLMK_E_ARG', 'numBeams 0'));
  assert.throws(
    () => generateSeq2Seq(model, [[3, 4]], { numBeams: 2, numReturnSequences: 3 }),
    code('LLMK_E_ARG', 'numReturnSequences 3', 'numBeams 2'),
  );
  assert.throws(() => generateSeq2Seq(model, [[3, 99]]), code('LLMK_E_ARG', 'token id 99'));
  assert.throws(() => generateSeq2Seq(model, [[]]), code('LLMK_E_ARG', 'source 0 is empty'));
  // Beam search with several sources: each hypothesis list is sorted best first and ≤ maxNewTokens.
  const out = generateSeq2Seq(
    model,
    [
      [3, 4, 2],
      [5, 2],
    ],
    { numBeams: 3, numReturnSequences: 3, maxNewTokens: 5 },
  );
  assert.equal(out.length, 2);
  for (const hyps of out) {
    assert.equal(hyps.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(hyps[i - 1].score >= hyps[i].score);
    for (const h of hyps) assert.ok(h.tokens.length <= 5);
  }
  assert.equal(model.training, true, 'the training flag is restored');
});
