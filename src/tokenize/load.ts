/**
 * Loading tokenizers from the files the ecosystem ships: Hugging Face tokenizer.json, GPT-2's
 * `encoder.json` + `vocab.bpe`, a GGUF file's vocabulary, llama2.c's `tokenizer.bin`, and the JSON
 * our own SPM tokenizer writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { CharTokenizer } from './char.js';
import { parseJsonFile, readFileOrThrow } from './files.js';
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
  const head = readFileOrThrow(path, 'tokenizer file').subarray(0, 4);
  if (head.toString('latin1') === 'GGUF') return tokenizerFromGguf(path);
  if (path.endsWith('.bin')) return Llama2cTokenizer.fromFile(path);
  const json = parseJsonFile(path, 'tokenizer file');
  if (typeof json !== 'object' || json === null) {
    throw new LlmkError('LLMK_E_FORMAT', `tokenizer file ${path} is not a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if (record.llmk_tokenizer === 'spm') {
    const { llmk_tokenizer: _, ...vocab } = record;
    return new SpmTokenizer(vocab as unknown as SpmVocab);
  }
  return CharTokenizer.fromHfJson(record) ?? HfTokenizerAdapter.fromJSON(readFileSync(path, 'utf8'), path);
}

/** tokenizer.json, else a llama2.c tokenizer.bin (what llmk writes for llama2.c-born models), in a model directory. */
export function tokenizerInDir(dir: string): Tokenizer | null {
  for (const name of ['tokenizer.json', 'tokenizer.bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return loadTokenizer(p);
  }
  return null;
}
