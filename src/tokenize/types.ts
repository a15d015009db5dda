/**
 * The tokenizer contract every implementation honours (Hugging Face `tokenizers` wrapper, character
 * level, SentencePiece-style vocabularies from GGUF, llama2.c `tokenizer.bin`), and the padding and
 * truncation shared by the implementations that are not backed by Hugging Face.
 */
import { LlmkError } from '../errors.js';

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) in the input string (UTF-16 code units, as JavaScript indexes strings). */
  offsets: [number, number][];
  /** Index of the pre-tokenized word each token came from; null for special and padding tokens. */
  wordIds: (number | null)[];
  /** 0 for the first sequence, 1 for the pair. */
  typeIds: number[];
  attentionMask: number[];
  specialTokensMask: number[];
}

export interface EncodeOptions {
  /** Add the template's special tokens (BOS, [CLS] … [SEP]); default true. */
  addSpecialTokens?: boolean;
}

export type PaddingSide = 'left' | 'right';

export interface BatchOptions extends EncodeOptions {
  /** Pad to the longest sequence (`'longest'`) or to a fixed length; no padding when undefined. */
  padding?: 'longest' | number;
  paddingSide?: PaddingSide;
  /** Round the padded length up to a multiple of this (e.g. 8 for tensor cores). */
  padToMultipleOf?: number;
  /** Truncate each encoding to this many tokens (special tokens included). */
  truncation?: number;
  truncationSide?: PaddingSide;
}

export type EncodeInput = string | [string, string];

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  /** Which implementation: `hf`, `char`, `spm`, `llama2c`. */
  readonly kind: string;
  readonly vocabSize: number;
  encode(text: string, pair?: string, options?: EncodeOptions): Promise<Encoding>;
  encodeBatch(inputs: EncodeInput[], options?: BatchOptions): Promise<Encoding[]>;
  decode(ids: number[], options?: DecodeOptions): Promise<string>;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** The id used for padding, when the tokenizer has one. */
  padId(): number | undefined;
  /** Serialised form (tokenizer.json for HF-backed tokenizers). */
  toJSON(): string;
  /** Writes `toJSON()` to `path` through a temporary file; refuses to overwrite unless `force`. */
  save(path: string, options?: { force?: boolean }): void;
}

export function emptyEncoding(): Encoding {
  return {
    ids: [],
    tokens: [],
    offsets: [],
    wordIds: [],
    typeIds: [],
    attentionMask: [],
    specialTokensMask: [],
  };
}

const FIELDS = [
  'ids',
  'tokens',
  'offsets',
  'wordIds',
  'typeIds',
  'attentionMask',
  'specialTokensMask',
] as const;

/** Keeps `maxLength` tokens, dropping from the right (default) or the left. */
export function truncateEncoding(enc: Encoding, maxLength: number, side: PaddingSide = 'right'): Encoding {
  if (enc.ids.length <= maxLength) return enc;
  const out = emptyEncoding() as unknown as Record<(typeof FIELDS)[number], unknown[]>;
  const src = enc as unknown as Record<(typeof FIELDS)[number], unknown[]>;
  for (const f of FIELDS) {
    out[f] = side === 'right' ? src[f].slice(0, maxLength) : src[f].slice(src[f].length - maxLength);
  }
  return out as unknown as Encoding;
}

/** Pads every encoding to one length with `padId`; padding gets attention 0 and special mask 1. */
export function padEncodings(
  encodings: Encoding[],
  options: {
    padding: 'longest' | number;
    side?: PaddingSide;
    padId: number;
    padToken: string;
    multipleOf?: number;
  },
): Encoding[] {
  let length =
    options.padding === 'longest' ? Math.max(0, ...encodings.map((e) => e.ids.length)) : options.padding;
  if (options.multipleOf && options.multipleOf > 1) {
    length = Math.ceil(length / options.multipleOf) * options.multipleOf;
  }
  const side = options.side ?? 'right';
  return encodings.map((enc) => {
    const n = length - enc.ids.length;
    if (n <= 0) return enc;
    const fill = <T>(values: T[], v: T): T[] =>
      side === 'right' ? [...values, ...new Array<T>(n).fill(v)] : [...new Array<T>(n).fill(v), ...values];
    return {
      ids: fill(enc.ids, options.padId),
      tokens: fill(enc.tokens, options.padToken),
      offsets: fill<[number, number]>(enc.offsets, [0, 0]),
      wordIds: fill<number | null>(enc.wordIds, null),
      typeIds: fill(enc.typeIds, 0),
      attentionMask: fill(enc.attentionMask, 0),
      specialTokensMask: fill(enc.specialTokensMask, 1),
    };
  });
}

/** encodeBatch for implementations without native batching: encode, truncate, then pad. */
export async function encodeBatchWith(
  tokenizer: Tokenizer,
  inputs: EncodeInput[],
  options: BatchOptions = {},
): Promise<Encoding[]> {
  let encodings = await Promise.all(
    inputs.map((input) =>
      typeof input === 'string'
        ? tokenizer.encode(input, undefined, options)
        : tokenizer.encode(input[0], input[1], options),
    ),
  );
  if (options.truncation !== undefined) {
    const max = options.truncation;
    encodings = encodings.map((e) => truncateEncoding(e, max, options.truncationSide));
  }
  if (options.padding !== undefined) {
    const padId = tokenizer.padId();
    if (padId === undefined) {
      throw new LlmkError(
        'LLMK_E_TOKENIZER',
        `padding requested but this ${tokenizer.kind} tokenizer has no padding token`,
        'add a pad token (e.g. --special "<pad>") when training, or do not pad',
      );
    }
    encodings = padEncodings(encodings, {
      padding: options.padding,
      side: options.paddingSide,
      padId,
      padToken: tokenizer.idToToken(padId) ?? '',
      multipleOf: options.padToMultipleOf,
    });
  }
  return encodings;
}
