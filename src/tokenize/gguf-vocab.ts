/**
 * A tokenizer from a GGUF file's vocabulary (`tokenizer.ggml.*` keys, llama.cpp docs/gguf.md):
 * - `gpt2` (byte-level BPE): a Hugging Face tokenizer.json built in memory from tokens + merges.
 * - `bert` (WordPiece): tokenizer.json with BERT normalisation; GGUF stores word-initial pieces with a
 *   leading `▁` and continuation pieces bare (llama.cpp convert_hf_to_gguf.py `phantom`), which is
 *   turned back into Hugging Face's `##` convention.
 * - `llama` (SentencePiece BPE with scores and byte fallback): our SpmTokenizer, which follows
 *   llama.cpp's algorithm exactly (Hugging Face has no score-driven BPE model).
 */
import { LlmkError } from '../errors.js';
import {
  type GgufFile,
  ggufNumber,
  ggufNumberArray,
  ggufString,
  ggufStringArray,
  readGguf,
} from '../formats/gguf.js';
import { HfTokenizerAdapter } from './hf.js';
import { SpmTokenizer, TOKEN_TYPE } from './spm.js';
import type { Tokenizer } from './types.js';

function optionalNumber(file: GgufFile, key: string): number | undefined {
  return file.metadata.has(key) ? ggufNumber(file, key) : undefined;
}

function optionalBool(file: GgufFile, key: string): boolean | undefined {
  const v = file.metadata.get(key);
  return v?.type === 'bool' ? v.value : undefined;
}

function addedTokens(tokens: string[], types: number[]): object[] {
  const out: object[] = [];
  types.forEach((type, id) => {
    if (type !== TOKEN_TYPE.control && type !== TOKEN_TYPE.userDefined) return;
    out.push({
      id,
      content: tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: type === TOKEN_TYPE.control,
    });
  });
  return out;
}

/** tokenizer.json for GPT-2-style byte-level BPE from a vocabulary and its merge list. */
export function byteLevelBpeJson(
  vocab: Record<string, number>,
  merges: [string, string][],
  added: object[],
): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

function splitMerge(merge: string, file: string, i: number): [string, string] {
  const at = merge.indexOf(' ', 1);
  if (at < 0) throw new LlmkError('LLMK_E_FORMAT', `${file}: merge #${i} '${merge}' has no space separator`);
  return [merge.slice(0, at), merge.slice(at + 1)];
}

export function tokenizerFromGguf(path: string): Tokenizer {
  const file = readGguf(path);
  const model = ggufString(file, 'tokenizer.ggml.model');
  const tokens = ggufStringArray(file, 'tokenizer.ggml.tokens');
  const types = file.metadata.has('tokenizer.ggml.token_type')
    ? ggufNumberArray(file, 'tokenizer.ggml.token_type')
    : tokens.map(() => TOKEN_TYPE.normal);
  if (types.length !== tokens.length) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`,
    );
  }
  if (model === 'gpt2') {
    const vocab: Record<string, number> = {};
    tokens.forEach((t, i) => {
      vocab[t] = i;
    });
    const merges = ggufStringArray(file, 'tokenizer.ggml.merges').map((m, i) => splitMerge(m, path, i));
    const json = byteLevelBpeJson(vocab, merges, addedTokens(tokens, types));
    return HfTokenizerAdapter.fromJSON(JSON.stringify(json), path);
  }
  if (model === 'bert') {
    const vocab: Record<string, number> = {};
    tokens.forEach((t, i) => {
      const hfToken = t.startsWith('\u2581')
        ? t.slice(1)
        : t.startsWith('[') && t.endsWith(']')
          ? t
          : `##${t}`;
      if (!(hfToken in vocab)) vocab[hfToken] = i;
    });
    const unkId = optionalNumber(file, 'tokenizer.ggml.unknown_token_id') ?? 100;
    const clsId = optionalNumber(file, 'tokenizer.ggml.cls_token_id') ?? 101;
    const sepId = optionalNumber(file, 'tokenizer.ggml.seperator_token_id') ?? 102;
    const json = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens(tokens, types),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'BertProcessing',
        sep: [tokens[sepId], sepId],
        cls: [tokens[clsId], clsId],
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: tokens[unkId],
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab,
      },
    };
    return HfTokenizerAdapter.fromJSON(JSON.stringify(json), path);
  }
  if (model === 'llama') {
    return new SpmTokenizer({
      tokens,
      scores: ggufNumberArray(file, 'tokenizer.ggml.scores'),
      types,
      bosId: optionalNumber(file, 'tokenizer.ggml.bos_token_id'),
      eosId: optionalNumber(file, 'tokenizer.ggml.eos_token_id'),
      unkId: optionalNumber(file, 'tokenizer.ggml.unknown_token_id'),
      padId: optionalNumber(file, 'tokenizer.ggml.padding_token_id'),
      addBos: optionalBool(file, 'tokenizer.ggml.add_bos_token') ?? true,
      addEos: optionalBool(file, 'tokenizer.ggml.add_eos_token') ?? false,
      addSpacePrefix: optionalBool(file, 'tokenizer.ggml.add_space_prefix') ?? true,
    });
  }
  throw new LlmkError(
    'LLMK_E_UNSUPPORTED',
    `${path}: tokenizer.ggml.model '${model}' is not supported`,
    'supported: gpt2 (byte-level BPE), bert (WordPiece), llama (SentencePiece BPE)',
  );
}
