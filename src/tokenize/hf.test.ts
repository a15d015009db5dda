import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import hf from 'tokenizers';
import { LlmkError } from '../errors.js';
import { tokenizerFromGguf } from './gguf-vocab.js';
import type { HfTokenizerAdapter } from './hf.js';
import { loadTokenizer, tokenizerFromGpt2Files } from './load.js';

const V = '../shared/data/tokenizer-vectors';
const dir = mkdtempSync(join(tmpdir(), 'llmk-hf-'));
const gpt2 = tokenizerFromGpt2Files(`${V}/gpt2-bpe/encoder.json`, `${V}/gpt2-bpe/vocab.bpe`);
const bert = tokenizerFromGguf(`${V}/llama.cpp/ggml-vocab-bert-bge.gguf`) as HfTokenizerAdapter;

test('GPT-2 from encoder.json + vocab.bpe: known ids, byte-exact decode, same ids as the GGUF vocabulary', async () => {
  // "Hello world" = [15496, 995] and " <|endoftext|>" handling are GPT-2's published ids (tiktoken "gpt2").
  assert.deepEqual((await gpt2.encode('Hello world')).ids, [15496, 995]);
  assert.equal(gpt2.tokenToId('<|endoftext|>'), 50256);
  assert.deepEqual((await gpt2.encode('a<|endoftext|>b')).ids, [64, 50256, 65]);
  const fromGguf = tokenizerFromGguf(`${V}/llama.cpp/ggml-vocab-gpt-2.gguf`);
  const text = "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～ 3...3";
  const a = await gpt2.encode(text);
  assert.deepEqual(a.ids, (await fromGguf.encode(text)).ids);
  assert.equal(await gpt2.decode(a.ids), text);
});

test('GPT-2 round-trips the CS336 tokenizer-test inputs byte for byte', async () => {
  for (const name of ['address.txt', 'german.txt', 'tinystories_sample.txt', 'corpus.en']) {
    const text = readFileSync(`${V}/cs336-bpe-train/${name}`, 'utf8');
    const enc = await gpt2.encode(text, undefined, { addSpecialTokens: false });
    assert.equal(await gpt2.decode(enc.ids), text, name);
    // Offsets never go backwards (tokens of one multi-byte character share its span).
    for (let i = 1; i < enc.offsets.length; i++) assert.ok(enc.offsets[i][0] >= enc.offsets[i - 1][0], name);
  }
});

test('BERT template: [CLS] A [SEP] B [SEP] with type ids, offsets and word ids for label alignment', async () => {
  const enc = await bert.encode('John lives in Paris', 'Hello');
  assert.deepEqual(enc.tokens, ['[CLS]', 'john', 'lives', 'in', 'paris', '[SEP]', 'hello', '[SEP]']);
  assert.deepEqual(enc.ids, [101, 2198, 3268, 1999, 3000, 102, 7592, 102]);
  assert.deepEqual(enc.typeIds, [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(enc.specialTokensMask, [1, 0, 0, 0, 0, 1, 0, 1]);
  assert.deepEqual(enc.offsets.slice(1, 5), [
    [0, 4],
    [5, 10],
    [11, 13],
    [14, 19],
  ]);
  // A word split into pieces shares one word id (what NER label alignment keys on).
  const split = await bert.encode('Huggingface rocks', undefined, { addSpecialTokens: false });
  assert.deepEqual(split.tokens, ['hugging', '##face', 'rocks']);
  assert.deepEqual(split.wordIds, [0, 0, 1]);
  // Offsets index the JavaScript string (UTF-16), also past characters outside the BMP.
  const text = 'héllo 😁 x';
  const emoji = await bert.encode(text, undefined, { addSpecialTokens: false });
  assert.deepEqual(
    emoji.offsets.map(([a, b]) => text.slice(a, b)),
    ['héllo', '😁', 'x'],
  );
});

test('encodeBatch: right/left padding, attention masks and truncation', async () => {
  const right = await bert.encodeBatch(['hello world', 'hi'], { padding: 'longest' });
  assert.deepEqual(right[1].ids, [101, 7632, 102, 0]);
  assert.deepEqual(right[1].attentionMask, [1, 1, 1, 0]);
  const left = await bert.encodeBatch(['hello world', 'hi'], { padding: 6, paddingSide: 'left' });
  assert.deepEqual(left[1].ids, [0, 0, 0, 101, 7632, 102]);
  assert.deepEqual(left[1].attentionMask, [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(left[0].attentionMask, [0, 0, 1, 1, 1, 1]);
  const cut = await bert.encodeBatch(['one two three four five'], { truncation: 4 });
  assert.deepEqual(cut[0].tokens, ['[CLS]', 'one', 'two', '[SEP]']);
  // The settings are per call: a later plain encode is neither padded nor truncated.
  assert.equal((await bert.encode('one two three four five')).ids.length, 7);
  await assert.rejects(
    gpt2.encodeBatch(['a', 'bb'], { padding: 'longest' }),
    /LLMK_E_TOKENIZER: padding requested/,
  );
});

test('GPT template appends <|endoftext|>; decode skips specials on request', async () => {
  gpt2.setTemplate('gpt');
  const enc = await gpt2.encode('Hello world');
  assert.deepEqual(enc.ids, [15496, 995, 50256]);
  assert.equal(await gpt2.decode(enc.ids, { skipSpecialTokens: true }), 'Hello world');
  assert.equal(await gpt2.decode(enc.ids), 'Hello world<|endoftext|>');
  assert.throws(() => bert.setTemplate('gpt'), /needs token <\|endoftext\|>/);
});

test('save writes a tokenizer.json Hugging Face tokenizers loads unchanged; no overwrite without force', async () => {
  const path = join(dir, 'bert.json');
  bert.save(path);
  assert.throws(
    () => bert.save(path),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_EXISTS',
  );
  bert.save(path, { force: true });
  const raw = hf.Tokenizer.fromFile(path);
  const ids = (await raw.encode('John lives in Paris', null)).getIds();
  assert.deepEqual(ids, (await bert.encode('John lives in Paris')).ids);
  assert.deepEqual((await loadTokenizer(path).encode('John lives in Paris')).ids, ids);
});

test('malformed tokenizer files are typed errors naming the file', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"version": "1.0", "model": {"type": "Nope"}}');
  assert.throws(
    () => loadTokenizer(bad),
    /LLMK_E_FORMAT: .*bad\.json is not a valid Hugging Face tokenizer\.json/,
  );
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{"version": ');
  assert.throws(
    () => loadTokenizer(notJson),
    /LLMK_E_FORMAT: tokenizer file .*broken\.json is not valid JSON/,
  );
  assert.throws(
    () => loadTokenizer(join(dir, 'missing.json')),
    /LLMK_E_NOT_FOUND: tokenizer file .*missing\.json/,
  );
  const badMerges = join(dir, 'vocab.bpe');
  writeFileSync(badMerges, '#version: 0.2\nĠ t\nbroken-line\n');
  assert.throws(
    () => tokenizerFromGpt2Files(`${V}/gpt2-bpe/encoder.json`, badMerges),
    /LLMK_E_FORMAT: .*vocab\.bpe:3: expected "left right"/,
  );
});
