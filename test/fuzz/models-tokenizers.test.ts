// Fuzzing llama2.c checkpoints and every tokenizer file loadTokenizer accepts (tokenizer.json, our
// SPM JSON, GGUF vocabularies, llama2.c tokenizer.bin), plus the magic-byte detection that names
// what a wrong file looks like.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { LlmkError } from '../../src/errors.js';
import { type GgufWriteValue, serializeGguf } from '../../src/formats/gguf-write.js';
import { llamaConfig } from '../../src/models/llama/config.js';
import { readLlama2c, serializeLlama2c } from '../../src/models/llama/llama2c.js';
import { describeFileKind } from '../../src/tokenize/files.js';
import { loadTokenizer } from '../../src/tokenize/load.js';
import { expectTyped, mutate, mutations, property, scratch } from './harness.js';

const STORIES_TOKENIZER = '../shared/data/llama2c-stories260K/tok512.bin';

/** A tiny but complete llama2.c checkpoint (2 layers, dim 8): the seed the mutations edit. */
function llama2cSeed(version: 0 | 1): Buffer {
  const config = llamaConfig({
    vocabSize: 5,
    nCtx: 4,
    nLayer: 2,
    nHead: 2,
    nKvHead: 1,
    dim: 8,
    hiddenDim: 12,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieEmbeddings: version === 1,
  });
  const weights = new Map<string, Float32Array>();
  const add = (name: string, n: number) =>
    weights.set(
      name,
      new Float32Array(n).map((_, i) => Math.sin(i)),
    );
  add('model.embed_tokens.weight', 40);
  add('model.norm.weight', 8);
  add('lm_head.weight', 40);
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, 8);
    add(`${p}post_attention_layernorm.weight`, 8);
    add(`${p}self_attn.q_proj.weight`, 64);
    add(`${p}self_attn.k_proj.weight`, 32);
    add(`${p}self_attn.v_proj.weight`, 32);
    add(`${p}self_attn.o_proj.weight`, 64);
    add(`${p}mlp.gate_proj.weight`, 96);
    add(`${p}mlp.down_proj.weight`, 96);
    add(`${p}mlp.up_proj.weight`, 96);
  }
  return serializeLlama2c(config, weights, version);
}

const headerInt = fc.oneof(
  fc.integer({ min: -4, max: 64 }),
  fc.constantFrom(1 << 24, (1 << 24) + 1, 100000, 0x7fffffff, -0x80000000, 65536, 2 ** 20),
);

test('fuzz llama2.c checkpoints: edited valid files and hostile headers', () => {
  const tmp = scratch('l2c');
  try {
    for (const version of [0, 1] as const) {
      const seed = llama2cSeed(version);
      assert.equal(readLlama2c(tmp.file('seed.bin', seed)).config.nLayer, 2);
      property(
        `llama2.c v${version}: mutated valid file`,
        mutations(3),
        (edits) => {
          const bytes = mutate(seed, edits, version === 1 ? 40 : 28);
          const path = tmp.file('m.bin', bytes);
          expectTyped('readLlama2c(mutated)', () => readLlama2c(path), { inputBytes: bytes.length });
        },
        100,
      );
    }
    property(
      'llama2.c: hostile header ints',
      fc.tuple(
        fc.array(headerInt, { minLength: 7, maxLength: 7 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 300 }),
      ),
      ([ints, v1, body]) => {
        const head = Buffer.alloc(v1 ? 256 : 28);
        const at = v1 ? 8 : 0;
        if (v1) {
          head.write('24ka', 0, 'latin1'); // "ak42" read as a little-endian u32
          head.writeInt32LE(1, 4);
          head.writeUInt8(1, 36);
        }
        ints.forEach((v, i) => {
          head.writeInt32LE(v, at + 4 * i);
        });
        const bytes = Buffer.concat([head, body]);
        const path = tmp.file('h.bin', bytes);
        expectTyped('readLlama2c(hostile header)', () => readLlama2c(path), {
          inputBytes: bytes.length,
          ms: 2000,
        });
      },
      150,
    );
  } finally {
    tmp.done();
  }
});

test('llama2.c regression from fuzzing: a 28-byte file declaring 16M layers is refused at once', () => {
  const tmp = scratch('l2c-reg');
  try {
    const head = Buffer.alloc(28);
    [8, 16, 1 << 24, 2, 2, 5, 4].forEach((v, i) => {
      head.writeInt32LE(v, 4 * i);
    });
    const path = tmp.file('layers.bin', head);
    expectTyped('readLlama2c(16M layers)', () => readLlama2c(path), { ms: 1000, inputBytes: 28 });
    assert.throws(() => readLlama2c(path), /LLMK_E_FORMAT.*implies/);
  } finally {
    tmp.done();
  }
});

/** A minimal Hugging Face tokenizer.json (WordLevel) that the tokenizers package loads. */
const HF_TOKENIZER = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 0,
      content: '[UNK]',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordLevel', vocab: { '[UNK]': 0, hello: 1, world: 2 }, unk_token: '[UNK]' },
};

/** Our SPM JSON (what `llmk tokenizer train --type spm` writes). */
const SPM_TOKENIZER = {
  llmk_tokenizer: 'spm',
  tokens: ['<unk>', '<s>', '</s>', '▁a', 'b'],
  scores: [0, 0, 0, -1, -2],
  types: [2, 3, 3, 1, 1],
  bosId: 1,
  eosId: 2,
  unkId: 0,
  addBos: true,
  addEos: false,
  addSpacePrefix: true,
};

/** A char-level tokenizer.json as CharTokenizer.fromHfJson recognises it. */
const CHAR_TOKENIZER = {
  model: { type: 'WordLevel', vocab: { a: 0, b: 1, '<unk>': 2 } },
  pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' } },
  added_tokens: [{ content: '<unk>', special: true }],
};

function ggufVocab(): Buffer {
  const tokens = [
    '<unk>',
    '<s>',
    '</s>',
    ...Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`),
    '▁a',
    'b',
  ];
  const meta = new Map<string, GgufWriteValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: tokens.map((_, i) => -i) }],
    [
      'tokenizer.ggml.token_type',
      {
        type: 'array',
        itemType: 'i32',
        value: tokens.map((t, i) => (i < 3 ? 3 : t.startsWith('<0x') ? 6 : 1)),
      },
    ],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
  ]);
  return serializeGguf(meta, []);
}

/** Replaces the value at a random path of a JSON document with an arbitrary JSON value. */
function replaceAt(doc: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== 'object') return value;
  const keys = Object.keys(doc as object);
  if (keys.length === 0) return value;
  const key = keys[path[0] % keys.length];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(doc)
    ? [...doc]
    : { ...(doc as Record<string, unknown>) };
  (copy as Record<string, unknown>)[key] = replaceAt(
    (doc as Record<string, unknown>)[key],
    path.slice(1),
    value,
  );
  return copy;
}

async function tryEncode(tok: { encode(text: string): Promise<unknown> }): Promise<void> {
  await tok.encode('hello world ab');
}

test('fuzz tokenizer files: JSON documents with hostile values, edited binaries, random bytes', async () => {
  const tmp = scratch('tok');
  try {
    for (const doc of [HF_TOKENIZER, SPM_TOKENIZER, CHAR_TOKENIZER]) {
      const tok = loadTokenizer(tmp.file('seed.json', JSON.stringify(doc)));
      await tryEncode(tok);
    }
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(null, -1, 2 ** 53, 1e308, '', [], {}, [[]], '__proto__', { length: 2 ** 32 }),
    );
    property(
      'tokenizer JSON: a value replaced anywhere',
      fc.tuple(
        fc.constantFrom(HF_TOKENIZER, SPM_TOKENIZER, CHAR_TOKENIZER),
        fc.array(fc.nat(), { maxLength: 4 }),
        hostile,
      ),
      ([doc, path, value]) => {
        const text = JSON.stringify(replaceAt(doc, path, value));
        const file = tmp.file('t.json', text);
        expectTyped('loadTokenizer(json)', () => loadTokenizer(file), { inputBytes: text.length });
      },
      250,
    );
    const gguf = ggufVocab();
    await loadTokenizer(tmp.file('seed.gguf', gguf)).encode('ab');
    property(
      'tokenizer GGUF: mutated vocabulary',
      mutations(),
      (edits) => {
        const bytes = mutate(gguf, edits, 400);
        const file = tmp.file('t.gguf', bytes);
        expectTyped('loadTokenizer(gguf)', () => loadTokenizer(file), { inputBytes: bytes.length });
      },
      100,
    );
    if (existsSync(STORIES_TOKENIZER)) {
      const bin = readFileSync(STORIES_TOKENIZER);
      property(
        'tokenizer llama2.c .bin: mutated tok512.bin',
        mutations(),
        (edits) => {
          const bytes = mutate(bin, edits, 64);
          const file = tmp.file('tokenizer.bin', bytes);
          expectTyped('loadTokenizer(bin)', () => loadTokenizer(file), { inputBytes: bytes.length });
        },
        100,
      );
    }
    property(
      'tokenizer: random bytes under every name',
      fc.tuple(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('t.json', 't.gguf', 't.bin', 'tokenizer.model', 'noext'),
      ),
      ([bytes, name]) => {
        const file = tmp.file(name, bytes);
        const err = expectTyped('loadTokenizer(random)', () => {
          loadTokenizer(file);
          return undefined;
        });
        assert.equal(err, undefined);
      },
      150,
    );
  } finally {
    tmp.done();
  }
});

test('a binary passed as a tokenizer is named by its magic bytes, and none of its bytes are quoted', () => {
  const tmp = scratch('tok-kind');
  try {
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0x53, 0x45]);
    const st = Buffer.concat([
      Buffer.from([20, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from('{"__metadata__":{} }'),
      Buffer.alloc(4),
    ]);
    const spm = Buffer.from([
      0x0a, 0x0c, 0x0a, 0x05, 0x3c, 0x75, 0x6e, 0x6b, 0x3e, 0x15, 0, 0, 0, 0, 0x18, 0x02,
    ]);
    const random = Buffer.from('8f3a00c1d27e9b44ff10a3b7c6d5e4f3', 'hex');
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'model.gguf',
        random,
        /is not a GGUF file \(it does not start with "GGUF"; it looks like binary data\)/,
      ],
      ['weights.json', st, /is not JSON: it looks like a safetensors weights file/],
      ['tok.json', gz, /is not JSON: it looks like a gzip archive/],
      ['tokenizer.model', spm, /is not JSON: it looks like a SentencePiece model \(tokenizer\.model\)/],
      ['pytorch_model.json', Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), /a zip archive/],
      [
        'ckpt.json',
        Buffer.concat([Buffer.from('ak42', 'latin1'), Buffer.from([1, 0, 0, 0]), Buffer.alloc(24)]),
        /a llama2\.c model checkpoint/,
      ],
      ['tok.json', random, /is not JSON: it looks like binary data/],
      ['utf16.json', Buffer.from('\ufeff{"a":1}', 'utf16le'), /UTF-16 text/],
      [
        'text.json',
        Buffer.from('root:x:0:0:SECRET:/root:/bin/bash\n'),
        /is not valid JSON \(syntax error: unexpected character\)/,
      ],
      ['cut.json', Buffer.from('{"model": {"vocab": {"SECRET": 1'), /is not valid JSON \(syntax error/],
    ];
    for (const [name, bytes, expected] of cases) {
      const path = tmp.file(name, bytes);
      assert.throws(
        () => loadTokenizer(path),
        (e: unknown) => {
          assert.ok(e instanceof LlmkError && e.code === 'LLMK_E_FORMAT', String(e));
          assert.match(e.message, expected, name);
          // Nothing of the file's content in the message: no bytes, no quoted text.
          assert.doesNotMatch(e.message, /SECRET|root:x|\\u|\uFFFD/, name);
          assert.ok(
            ![...e.message].some((c) => c.charCodeAt(0) < 0x20),
            `${name}: control character in message`,
          );
          return true;
        },
      );
    }
    // Ordinary text and JSON are not mistaken for binaries.
    assert.equal(describeFileKind(Buffer.from('{"version": "1.0"}')), null);
    assert.equal(describeFileKind(Buffer.from('\n\n\n{"a": 1}')), null);
    assert.equal(describeFileKind(Buffer.from('ak42 is a word, GGUF too\n')), null);
    assert.equal(describeFileKind(Buffer.from('中文文本，没有问题。')), null);
    // A multi-byte character cut at the sniffing window is still text.
    assert.equal(describeFileKind(Buffer.from('中文').subarray(0, 4)), null);
  } finally {
    tmp.done();
  }
});
