/**
 * Tokenizer training from files or iterables of text:
 * - `bpe`: byte-level BPE (GPT-2 style) by our trainer (bpe-train.ts), saved as a Hugging Face
 *   tokenizer.json. The `tokenizers` npm binding (0.23) exposes `Tokenizer.train(files)` only with the
 *   model's default trainer — no vocabulary size, no special tokens — so BPE and WordPiece are trained
 *   here and loaded back into Hugging Face for encoding.
 * - `wordpiece`: BERT normalisation and pre-tokenisation, then BPE merges over `##`-continued
 *   characters — the procedure of Hugging Face's WordPieceTrainer (its BpeTrainer with a continuing
 *   prefix); equal-count ties are broken our way (greater pair first), so the order of tied merges can
 *   differ from Hugging Face's.
 * - `unigram`: Hugging Face's UnigramTrainer with its defaults (target 8000 pieces), then the pieces
 *   beyond `vocabSize` with the lowest log-probabilities are dropped (single characters are kept).
 *   `<unk>` is added first when the special tokens lack it. Larger vocabularies raise
 *   LLMK_E_UNSUPPORTED (the binding cannot set the trainer's size).
 * - `char`: one token per distinct character (CharTokenizer).
 */

import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hf from 'tokenizers';
import { LlmkError } from '../errors.js';
import { configuredThreads } from '../tensor/threads.js';
import { Progress, type ProgressMode } from '../track/progress.js';
import { byteAlphabet, bytesToUnicode, trainBpe } from './bpe-train.js';
import { CharTokenizer } from './char.js';
import { countWords } from './count.js';
import { byteLevelBpeJson } from './gguf-vocab.js';
import { HfTokenizerAdapter } from './hf.js';
import type { Tokenizer } from './types.js';

export type TrainType = 'bpe' | 'wordpiece' | 'unigram' | 'char';

export interface TrainOptions {
  type: TrainType;
  /** Text files to read (UTF-8). */
  files?: string[];
  /** Or texts to train on (each element is a document). */
  texts?: Iterable<string> | AsyncIterable<string>;
  vocabSize: number;
  /** Added first (ids 0..n-1), never split, never merged across. */
  specialTokens?: string[];
  progress?: ProgressMode;
  /** Worker threads for counting words; default: see countThreads. */
  threads?: number;
}

const CHUNK = 16 << 20;

/**
 * Yields documents: whole files up to 16 MB, larger ones in ~16 MB chunks cut after a newline. A cut
 * can change how a whitespace run ending exactly there is pre-tokenized (one run of newlines instead
 * of two pieces), so files over 16 MB may count a handful of newline pieces differently.
 */
async function* textsOf(options: TrainOptions): AsyncGenerator<string> {
  for (const file of options.files ?? []) {
    if (!existsSync(file)) throw new LlmkError('LLMK_E_NOT_FOUND', `training file ${file} does not exist`);
    let carry = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK })) {
      const text = carry + (chunk as string);
      const cut = text.lastIndexOf('\n') + 1;
      if (cut === 0) {
        carry = text;
        continue;
      }
      carry = text.slice(cut);
      yield text.slice(0, cut);
    }
    if (carry) yield carry;
  }
  if (options.texts) for await (const t of options.texts) yield t;
}

/**
 * Worker threads for counting: one per core (or LLMK_THREADS), but none for inputs under 32 MB,
 * where starting workers costs more than it saves.
 */
function countThreads(options: TrainOptions): number {
  if (options.threads !== undefined) return options.threads;
  if (totalKb(options) < 32_000) return 1;
  return configuredThreads();
}

function addedTokenEntries(specials: string[]): object[] {
  return specials.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

function totalKb(options: TrainOptions): number {
  let total = 0;
  for (const f of options.files ?? []) if (existsSync(f)) total += statSync(f).size;
  return Math.round(total / 1e3);
}

async function trainByteLevel(options: TrainOptions, mode: ProgressMode): Promise<Tokenizer> {
  const specials = options.specialTokens ?? [];
  const table = bytesToUnicode();
  const read = new Progress({ label: 'count', unit: 'kB', total: totalKb(options), mode });
  const words = await countWords(textsOf(options), {
    scheme: 'gpt2',
    specialTokens: specials,
    threads: countThreads(options),
    onBytes: (b) => read.update(Math.round(b / 1e3)),
  });
  read.finish({ words: words.size });
  const merge = new Progress({ label: 'merge', unit: 'merges', mode });
  const decodeSym = new Map(table.map((ch, b) => [ch, b]));
  const result = trainBpe({
    words,
    split: (w) => Array.from(Buffer.from(w, 'utf8'), (b) => table[b]),
    join: (a, b) => a + b,
    bytesOf: (t) => Uint8Array.from(Array.from(t, (ch) => decodeSym.get(ch) ?? 0)),
    initialAlphabet: byteAlphabet(),
    vocabSize: options.vocabSize,
    reservedIds: specials.length,
    onProgress: (done, total) => merge.update(done, { target: total }),
  });
  merge.finish();
  const vocab: Record<string, number> = {};
  specials.forEach((s, i) => {
    vocab[s] = i;
  });
  result.tokens.forEach((t, i) => {
    vocab[t] = specials.length + i;
  });
  const json = byteLevelBpeJson(vocab, result.merges, addedTokenEntries(specials));
  return HfTokenizerAdapter.fromJSON(JSON.stringify(json), 'trained BPE tokenizer');
}

async function trainWordPiece(options: TrainOptions, mode: ProgressMode): Promise<Tokenizer> {
  const specials = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const read = new Progress({ label: 'count', unit: 'kB', total: totalKb(options), mode });
  const words = await countWords(textsOf(options), {
    scheme: 'bert',
    specialTokens: specials,
    threads: countThreads(options),
    onBytes: (b) => read.update(Math.round(b / 1e3)),
  });
  read.finish({ words: words.size });
  const merge = new Progress({ label: 'merge', unit: 'merges', mode });
  const result = trainBpe({
    words,
    split: (w) => Array.from(w, (ch, i) => (i === 0 ? ch : `##${ch}`)),
    join: (a, b) => a + (b.startsWith('##') ? b.slice(2) : b),
    bytesOf: (t) => Buffer.from(t, 'utf8'),
    // Every character both word-initially and as a `##` continuation, as Hugging Face's trainer does,
    // so a word may start with a character only ever seen inside words.
    initialAlphabet: (() => {
      const chars = new Set<string>();
      for (const w of words.keys()) for (const ch of w) chars.add(ch);
      const sorted = [...chars].sort();
      return [...sorted, ...sorted.map((c) => `##${c}`)];
    })(),
    vocabSize: options.vocabSize,
    reservedIds: specials.length,
    onProgress: (done, total) => merge.update(done, { target: total }),
  });
  merge.finish();
  const vocab: Record<string, number> = {};
  for (const t of [...specials, ...result.tokens]) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  const unk = specials.includes('[UNK]') ? '[UNK]' : specials[0];
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokenEntries(specials),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  const tok = HfTokenizerAdapter.fromJSON(JSON.stringify(json), 'trained WordPiece tokenizer');
  if (specials.includes('[CLS]') && specials.includes('[SEP]')) tok.setTemplate('bert');
  return tok;
}

/** vocab_size of Hugging Face's default UnigramTrainer, the only one the npm binding can run. */
const UNIGRAM_DEFAULT_SIZE = 8000;

async function trainUnigram(options: TrainOptions, mode: ProgressMode): Promise<Tokenizer> {
  const specials = options.specialTokens ?? ['<unk>'];
  const all = specials.includes('<unk>') ? specials : ['<unk>', ...specials];
  if (options.vocabSize > UNIGRAM_DEFAULT_SIZE + all.length) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `a Unigram vocabulary of ${options.vocabSize} is beyond what the tokenizers binding can train (${UNIGRAM_DEFAULT_SIZE} pieces + special tokens)`,
      'the npm binding only runs its default UnigramTrainer; use --type bpe or wordpiece for larger vocabularies',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'llmk-unigram-'));
  const progress = new Progress({ label: 'unigram', unit: 'MB', mode });
  try {
    // The binding trains from files only; iterables are spooled to a temporary file.
    const files = [...(options.files ?? [])];
    if (options.texts) {
      const spool = join(dir, 'texts.txt');
      const parts: string[] = [];
      for await (const t of options.texts) parts.push(t);
      writeFileSync(spool, parts.join('\n'));
      files.push(spool);
    }
    for (const f of files)
      if (!existsSync(f)) throw new LlmkError('LLMK_E_NOT_FOUND', `training file ${f} does not exist`);
    const tok = new hf.Tokenizer(hf.Unigram.empty());
    tok.setPreTokenizer(hf.metaspacePreTokenizer());
    tok.train(files);
    const path = join(dir, 'trained.json');
    tok.save(path);
    const trained = JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: [string, number][] } };
    const pieces = trained.model.vocab.filter(([p]) => !all.includes(p));
    const keep = Math.max(0, options.vocabSize - all.length);
    // Keep every single character (so any seen text still encodes) and the most probable rest.
    const chars = pieces.filter(([p]) => Array.from(p).length === 1);
    const rest = pieces.filter(([p]) => Array.from(p).length > 1).sort((x, y) => y[1] - x[1]);
    const kept = new Set([...chars, ...rest.slice(0, Math.max(0, keep - chars.length))]);
    const vocab: [string, number][] = [
      ...all.map((s): [string, number] => [s, 0]),
      ...pieces.filter((p) => kept.has(p)),
    ];
    progress.finish({ pieces: vocab.length });
    const json = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokenEntries(all),
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
      post_processor: null,
      decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: all.indexOf('<unk>'), vocab, byte_fallback: false },
    };
    return HfTokenizerAdapter.fromJSON(JSON.stringify(json), 'trained Unigram tokenizer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function trainChar(options: TrainOptions): Promise<Tokenizer> {
  const chars = new Set<string>();
  for await (const doc of textsOf(options)) for (const ch of doc) chars.add(ch);
  return CharTokenizer.fromChars(chars, options.specialTokens ?? []);
}

/** Trains a tokenizer of the given type; see the file comment for what each type does. */
export async function trainTokenizer(options: TrainOptions): Promise<Tokenizer> {
  if (!options.files?.length && !options.texts) {
    throw new LlmkError('LLMK_E_ARG', 'no training input', 'pass files or texts');
  }
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= 0) {
    throw new LlmkError('LLMK_E_ARG', `vocabSize must be a positive integer, got ${options.vocabSize}`);
  }
  const mode = options.progress ?? 'quiet';
  switch (options.type) {
    case 'bpe':
      return trainByteLevel(options, mode);
    case 'wordpiece':
      return trainWordPiece(options, mode);
    case 'unigram':
      return trainUnigram(options, mode);
    case 'char':
      return trainChar(options);
    default:
      throw new LlmkError(
        'LLMK_E_ARG',
        `unknown tokenizer type '${options.type as string}'`,
        'use bpe, wordpiece, unigram or char',
      );
  }
}
