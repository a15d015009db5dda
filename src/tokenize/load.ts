/**
 * Loading tokenizers from the files the ecosystem ships: Hugging Face tokenizer.json, GPT-2's
 * `encoder.json` + `vocab.bpe`, a GGUF file's vocabulary, llama2.c's `tokenizer.bin`, and the JSON
 * our own SPM tokenizer writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { CharTokenizer } from './char.js';
import { describeFileKind, parseJsonFile, readFileOrThrow, readHead } from './files.js';
import { byteLevelBpeJson, tokenizerFromGguf } from './gguf-vocab.js';
import { HfTokenizerAdapter } from './hf.js';
import { Llama2cTokenizer } from './llama2c.js';
import { SpmTokenizer, type SpmVocab } from './spm.js';
import type { Tokenizer } from './types.js';

/**
 * GPT-2 from OpenAI's files: `encoder.json` (token → id) and `vocab.bpe` (a `#version` line, then one
 * merge per line, highest priority first). `<|endoftext|>` becomes a special added token.
 */
export function tokenizerFromGpt2Files(encoderJsonPath: string, vocabBpePath: string): HfTokenizerAdapter {
  const encoder = parseJsonFile(encoderJsonPath, 'GPT-2 encoder.json');
  if (typeof encoder !== 'object' || encoder === null || Array.isArray(encoder)) {
    throw new LlmkError('LLMK_E_FORMAT', `${encoderJsonPath} is not a JSON object of token → id`);
  }
  const vocab = encoder as Record<string, number>;
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0) {
      throw new LlmkError('LLMK_E_FORMAT', `${encoderJsonPath}: token ${JSON.stringify(token)} has id ${id}`);
    }
  }
  const lines = readFileOrThrow(vocabBpePath, 'GPT-2 vocab.bpe').toString('utf8').split('\n');
  const merges: [string, string][] = [];
  lines.forEach((line, i) => {
    if (line.length === 0 || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${vocabBpePath}:${i + 1}: expected "left right", got ${JSON.stringify(line)}`,
      );
    }
    merges.push([parts[0], parts[1]]);
  });
  const added =
    '<|endoftext|>' in vocab
      ? [
          {
            id: vocab['<|endoftext|>'],
            content: '<|endoftext|>',
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: true,
            special: true,
          },
        ]
      : [];
  return HfTokenizerAdapter.fromJSON(JSON.stringify(byteLevelBpeJson(vocab, merges, added)), encoderJsonPath);
}

/**
 * Loads any tokenizer file by its content: GGUF (magic `GGUF`), llama2.c tokenizer.bin (`.bin`),
 * our SPM/char JSON, or a Hugging Face tokenizer.json.
 */
export function loadTokenizer(path: string): Tokenizer {
  const head = readHead(path, 4096, 'tokenizer file');
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return tokenizerFromGguf(path);
  if (/\.gguf$/i.test(path)) {
    // Named .gguf but without the magic: say so, rather than "not valid JSON" from the fallback.
    const kind = describeFileKind(head);
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `tokenizer file ${path} is not a GGUF file (it does not start with "GGUF"${kind ? `; it looks like ${kind}` : ''})`,
      'the file is damaged or mislabelled; pass a GGUF model, a tokenizer.json or a llama2.c tokenizer.bin',
    );
  }
  if (path.endsWith('.bin')) return Llama2cTokenizer.fromFile(path);
  const json = parseJsonFile(path, 'tokenizer file');
  if (typeof json !== 'object' || json === null) {
    throw new LlmkError('LLMK_E_FORMAT', `tokenizer file ${path} is not a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if (record.llmk_tokenizer === 'spm') return new SpmTokenizer(spmVocab(path, record));
  checkCharJson(path, record);
  return CharTokenizer.fromHfJson(record) ?? HfTokenizerAdapter.fromJSON(readFileSync(path, 'utf8'), path);
}

function invalid(path: string, what: string): LlmkError {
  return new LlmkError(
    'LLMK_E_FORMAT',
    `tokenizer file ${path}: ${what}`,
    'the file is damaged or was edited by hand; restore it or train the tokenizer again',
  );
}

/**
 * Our SPM JSON, field by field: the constructor trusts its input, so a damaged file used to fail
 * with a TypeError ("Cannot read properties of undefined") instead of naming the field.
 */
function spmVocab(path: string, r: Record<string, unknown>): SpmVocab {
  const { tokens, scores, types } = r;
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string'))
    throw invalid(path, 'SPM "tokens" is not a list of strings');
  const n = tokens.length;
  if (!Array.isArray(scores) || scores.length !== n || !scores.every((x) => typeof x === 'number'))
    throw invalid(path, `SPM "scores" is not a list of ${n} numbers`);
  if (!Array.isArray(types) || types.length !== n || !types.every((x) => Number.isInteger(x)))
    throw invalid(path, `SPM "types" is not a list of ${n} integers`);
  const ids: Record<string, number | undefined> = {};
  for (const key of ['bosId', 'eosId', 'unkId', 'padId']) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n)
      throw invalid(path, `SPM "${key}" is not a token id below ${n}`);
    ids[key] = v;
  }
  const flags: Record<string, boolean> = {};
  for (const key of ['addBos', 'addEos', 'addSpacePrefix']) {
    if (typeof r[key] !== 'boolean') throw invalid(path, `SPM "${key}" is not true or false`);
    flags[key] = r[key] as boolean;
  }
  return {
    tokens: tokens as string[],
    scores: scores as number[],
    types: types as number[],
    bosId: ids.bosId,
    eosId: ids.eosId,
    unkId: ids.unkId,
    padId: ids.padId,
    addBos: flags.addBos,
    addEos: flags.addEos,
    addSpacePrefix: flags.addSpacePrefix,
  };
}

/** The parts of a char-level tokenizer.json CharTokenizer.fromHfJson reads, checked the same way. */
function checkCharJson(path: string, r: Record<string, unknown>): void {
  const model = r.model as { type?: unknown; vocab?: unknown } | null | undefined;
  if (typeof model !== 'object' || model === null || model.type !== 'WordLevel') return;
  const vocab = model.vocab;
  if (vocab !== undefined && (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)))
    throw invalid(path, 'model.vocab is not an object of token → id');
  const added = r.added_tokens;
  if (added === undefined) return;
  const ok =
    Array.isArray(added) &&
    added.every(
      (a) => typeof a === 'object' && a !== null && typeof (a as { content?: unknown }).content === 'string',
    );
  if (!ok) throw invalid(path, 'added_tokens is not a list of {content, special} objects');
}

/** tokenizer.json, else a llama2.c tokenizer.bin (what llmk writes for llama2.c-born models), in a model directory. */
export function tokenizerInDir(dir: string): Tokenizer | null {
  for (const name of ['tokenizer.json', 'tokenizer.bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return loadTokenizer(p);
  }
  return null;
}
