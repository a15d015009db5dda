import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { type SafetensorsWriteTensor, writeSafetensors } from '../formats/safetensors.js';
import { createEngine } from '../tensor/create.js';
import { Rng } from '../tensor/random.js';
import type { GPTConfig } from './gpt/config.js';
import { gptConfig } from './gpt/config.js';
import { GPT } from './gpt/model.js';
import type { LlamaConfig } from './llama/config.js';
import { llamaConfig } from './llama/config.js';
import { llamaToGguf } from './llama/gguf.js';
import { Llama } from './llama/model.js';
import { loadModel as fromPretrained } from './load.js';
import { familyForModelType } from './registry.js';
import { modelTensors, saveModel as savePretrained } from './save.js';

const engine = createEngine({ backend: 'reference' });
const root = mkdtempSync(join(tmpdir(), 'llmk-pretrained-'));
const tinyLlama = llamaConfig({
  vocabSize: 11,
  nCtx: 8,
  nLayer: 2,
  nHead: 4,
  nKvHead: 2,
  dim: 8,
  hiddenDim: 12,
});

type Parsed = { arch: 'gpt2'; config: GPTConfig } | { arch: 'llama'; config: LlamaConfig };

/** The typed config the registry parses from config.json (its family's adapter). */
function configFromHf(json: Record<string, unknown>, path: string): Parsed {
  const config = familyForModelType(json.model_type, path).parseConfig(json, path);
  return json.model_type === 'gpt2'
    ? { arch: 'gpt2', config: config as GPTConfig }
    : { arch: 'llama', config: config as LlamaConfig };
}

function code(c: string, ...needles: string[]): (e: unknown) => boolean {
  return (e) => e instanceof LlmkError && e.code === c && needles.every((n) => e.message.includes(n));
}

/** A config.json + model.safetensors directory from raw tensors. */
function writeDir(name: string, config: object, tensors: Record<string, SafetensorsWriteTensor>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

test('save → load → save is byte-identical (Llama untied, GPT-2 tied, nanoGPT-style GPT)', () => {
  const nano = gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 1, nHead: 2, nEmbd: 8, bias: false, gelu: 'erf' });
  const models = [
    new Llama(engine, tinyLlama, { rng: new Rng(3) }),
    new GPT(engine, gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 1, nHead: 2, nEmbd: 8 }), {
      rng: new Rng(4),
    }),
    new GPT(engine, nano, { rng: new Rng(5) }),
  ];
  models.forEach((model, i) => {
    const a = join(root, `rt-${i}-a`);
    const b = join(root, `rt-${i}-b`);
    savePretrained(a, model);
    const loaded = fromPretrained(engine, a);
    savePretrained(b, loaded.model);
    for (const f of ['model.safetensors', 'config.json', 'generation_config.json'])
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} of model ${i}`);
  });
  const nanoLoaded = fromPretrained(engine, join(root, 'rt-2-a'));
  assert.ok(nanoLoaded.model instanceof GPT);
  assert.deepEqual([nanoLoaded.model.config.gelu, nanoLoaded.model.config.bias], ['erf', false]);
});

test('weights load by name prefix (bare LlamaModel keys), BF16/F16 widen to f32, tied head may be absent', () => {
  const src = new Llama(engine, { ...tinyLlama, tieEmbeddings: true }, { rng: new Rng(5) });
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  for (const [name, t] of Object.entries(modelTensors(src))) {
    // Bare base-model keys, half of them stored as BF16 and F16.
    tensors[name.replace(/^model\./, '')] = {
      ...t,
      dtype: name.includes('mlp') ? 'BF16' : name.includes('norm') ? 'F16' : 'F32',
    };
  }
  tensors['layers.0.self_attn.rotary_emb.inv_freq'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
  const hf = {
    model_type: 'llama',
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
  };
  const dir = writeDir(
    'bare',
    {
      ...hf,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 8,
      tie_word_embeddings: true,
    },
    tensors,
  );
  const { model } = fromPretrained(engine, dir);
  const state = model.stateDict();
  for (const [name, t] of src.stateDict()) {
    const got = state.get(name)!.values();
    const want = t.values();
    // BF16 keeps 8 significant bits (relative error ≤ 2^-9), F16 11 (≤ 2^-12).
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) <= Math.abs(want[i]) * 2 ** -8 + 1e-7, `${name}[${i}]`);
  }
  assert.equal(state.get('lm_head.weight'), state.get('model.embed_tokens.weight'));
});

test('missing, extra, misshapen and non-float tensors are errors naming the tensor', () => {
  const src = new Llama(engine, tinyLlama, { rng: new Rng(6) });
  const good = modelTensors(src);
  const config = JSON.parse(
    JSON.stringify({
      model_type: 'llama',
      vocab_size: 11,
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 8,
    }),
  );
  const { 'model.norm.weight': _, ...missing } = good;
  assert.throws(
    () => fromPretrained(engine, writeDir('missing', config, missing)),
    code('LLMK_E_CHECKPOINT', "'model.norm.weight'"),
  );
  const extra = {
    ...good,
    'model.layers.0.self_attn.q_proj.bias': { dtype: 'F32' as const, shape: [8], data: new Float32Array(8) },
  };
  assert.throws(
    () => fromPretrained(engine, writeDir('extra', config, extra)),
    code('LLMK_E_CHECKPOINT', "'model.layers.0.self_attn.q_proj.bias'"),
  );
  const norm = good['model.norm.weight'];
  const misshapen = { ...good, 'model.norm.weight': { ...norm, shape: [2, 4] } };
  assert.throws(
    () => fromPretrained(engine, writeDir('shape', config, misshapen)),
    code('LLMK_E_CHECKPOINT', "'model.norm.weight'", '[2, 4]'),
  );
  const ints = {
    ...good,
    'model.norm.weight': { dtype: 'I32' as const, shape: [8], data: new Int32Array(8) },
  };
  assert.throws(
    () => fromPretrained(engine, writeDir('dtype', config, ints)),
    code('LLMK_E_DTYPE', "'model.norm.weight'", 'I32'),
  );
  // A header that lies about sizes: the safetensors reader refuses it before any tensor is used.
  const dir = writeDir('lies', config, good);
  const bytes = readFileSync(join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 8));
  assert.throws(() => fromPretrained(engine, dir), code('LLMK_E_FORMAT'));
});

test('config.json fields: unknown or unsupported ones are errors naming the field', () => {
  const base = {
    model_type: 'llama',
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    transformers_version: '4.46.0',
    pretraining_tp: 1,
  };
  assert.equal(configFromHf(base, 'c.json').config.nKvHead, 4);
  assert.throws(
    () => configFromHf({ ...base, rope_scaling: { type: 'linear', factor: 2 } }, 'c.json'),
    code('LLMK_E_CONFIG', "'rope_scaling'"),
  );
  assert.throws(
    () => configFromHf({ ...base, hidden_act: 'gelu' }, 'c.json'),
    code('LLMK_E_CONFIG', "'hidden_act'"),
  );
  assert.throws(
    () => configFromHf({ ...base, attention_dropout: 0.1 }, 'c.json'),
    code('LLMK_E_CONFIG', "'attention_dropout'"),
  );
  assert.throws(
    () => configFromHf({ ...base, qk_layernorm: true }, 'c.json'),
    code('LLMK_E_CONFIG', "'qk_layernorm'"),
  );
  assert.throws(
    () => configFromHf({ ...base, vocab_size: '11' }, 'c.json'),
    code('LLMK_E_CONFIG', "'vocab_size'"),
  );
  assert.throws(
    () => configFromHf({ ...base, model_type: 'falcon' }, 'c.json'),
    code('LLMK_E_UNSUPPORTED', 'falcon'),
  );
  // Mistral: a sliding window only bounds the context; Qwen2: q/k/v biases.
  const mistral = configFromHf(
    { ...base, model_type: 'mistral', max_position_embeddings: 32768, sliding_window: 4096 },
    'c.json',
  );
  assert.equal(mistral.config.nCtx, 4096);
  const qwen = configFromHf(
    { ...base, model_type: 'qwen2', use_sliding_window: false, sliding_window: 64, max_window_layers: 2 },
    'c.json',
  );
  assert.ok(qwen.arch === 'llama');
  assert.deepEqual([qwen.config.qkvBias, qwen.config.oBias], [true, false]);
  const gpt2 = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 1, vocab_size: 11, n_positions: 8 };
  assert.equal(configFromHf(gpt2, 'g.json').arch, 'gpt2');
  // 'gelu' is the exact (erf) form; gelu_new and gelu_pytorch_tanh the tanh approximation.
  const geluOf = (act: string) => {
    const c = configFromHf({ ...gpt2, activation_function: act }, 'g.json');
    return c.arch === 'gpt2' ? c.config.gelu : null;
  };
  assert.deepEqual(['gelu', 'gelu_new', 'gelu_pytorch_tanh'].map(geluOf), ['erf', 'tanh', 'tanh']);
  assert.throws(
    () => configFromHf({ ...gpt2, activation_function: 'relu' }, 'g.json'),
    code('LLMK_E_CONFIG', "'activation_function'"),
  );
  assert.throws(
    () => configFromHf({ ...gpt2, scale_attn_by_inverse_layer_idx: true }, 'g.json'),
    code('LLMK_E_CONFIG', "'scale_attn_by_inverse_layer_idx'"),
  );
  assert.throws(
    () => configFromHf({ ...gpt2, add_cross_attention: true }, 'g.json'),
    code('LLMK_E_CONFIG', "'add_cross_attention'"),
  );
});

test('sizes a config or GGUF header declares beyond its weights fail at once, before allocating', () => {
  const gptDir = join(root, 'sizes-gpt');
  savePretrained(
    gptDir,
    new GPT(engine, gptConfig({ vocabSize: 11, nCtx: 8, nLayer: 1, nHead: 2, nEmbd: 8 })),
  );
  const base = JSON.parse(readFileSync(join(gptDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const llamaDir = join(root, 'sizes-llama');
  savePretrained(llamaDir, new Llama(engine, tinyLlama, { rng: new Rng(7) }));
  const llamaBase = JSON.parse(readFileSync(join(llamaDir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const cases: Array<[string, Record<string, unknown>]> = [
    [gptDir, { ...base, n_positions: 1e8, n_ctx: 1e8 }],
    [gptDir, { ...base, n_embd: 1e6 }],
    [gptDir, { ...base, vocab_size: 2e9 }],
    [llamaDir, { ...llamaBase, num_hidden_layers: 100000 }],
  ];
  for (const [dir, config] of cases) {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const t0 = performance.now();
    assert.throws(() => fromPretrained(engine, dir), code('LLMK_E_CHECKPOINT', 'larger than its weights'));
    // A typed error in well under a second (these configs used to allocate for minutes).
    assert.ok(performance.now() - t0 < 5000, `${JSON.stringify(config).slice(0, 60)} took too long`);
  }
  // GGUF: llama.block_count = 100000 over the tensors of a 2-layer model.
  const gguf = Buffer.from(
    llamaToGguf(new Llama(engine, tinyLlama, { rng: new Rng(8) }), { type: 'f32', tokenizer: null }),
  );
  const key = Buffer.from('llama.block_count');
  const at = gguf.indexOf(key) + key.length + 4; // the u32 value after the key and its type id
  gguf.writeUInt32LE(100000, at);
  const path = join(root, 'sizes.gguf');
  writeFileSync(path, gguf);
  assert.throws(() => fromPretrained(engine, path), code('LLMK_E_CHECKPOINT', 'larger than its weights'));
});
