/**
 * SentencePiece-BPE tokenization over a scored vocabulary, as llama.cpp's `llm_tokenizer_spm` does it
 * (llama.cpp src/llama-vocab.cpp), so ids match llama.cpp on GGUF `tokenizer.ggml.model = llama`:
 *
 * 1. Prepend a space (when the vocabulary asks for it) and replace every space with `▁` (U+2581).
 * 2. Split into Unicode characters; push every adjacent pair whose concatenation is a token onto a
 *    queue ordered by that token's score (higher first; ties: leftmost first).
 * 3. Pop pairs, skipping stale ones, merge them, and queue the new neighbours, until the queue is empty.
 * 4. Emit each final symbol: its token if it has one, else the two pieces it was merged from
 *    (recursively), else its UTF-8 bytes as `<0xXX>` byte-fallback tokens.
 */
import { LlmkError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import { Heap } from './heap.js';
import {
  type BatchOptions,
  type DecodeOptions,
  type EncodeInput,
  type EncodeOptions,
  type Encoding,
  encodeBatchWith,
  type Tokenizer,
} from './types.js';

/** llama.cpp token types (llama.h `llama_token_type`). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export interface SpmVocab {
  tokens: string[];
  scores: number[];
  /** llama.cpp token types; byte tokens (`<0xXX>`) are type 6, control tokens type 3. */
  types: number[];
  bosId?: number;
  eosId?: number;
  unkId?: number;
  padId?: number;
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
}

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

const SPACE = '\u2581';

export class SpmTokenizer implements Tokenizer {
  readonly kind = 'spm';
  private readonly ids = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(readonly vocab: SpmVocab) {
    vocab.tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
      if (m && vocab.types[i] === TOKEN_TYPE.byte) this.byteIds[Number.parseInt(m[1], 16)] = i;
    });
  }

  get vocabSize(): number {
    return this.vocab.tokens.length;
  }

  /** Token ids for `text` without special tokens, with offsets into `text`. */
  tokenize(text: string): { ids: number[]; offsets: [number, number][] } {
    const prefix = this.vocab.addSpacePrefix && text.length > 0 ? 1 : 0;
    const s = ((prefix ? ' ' : '') + text).replaceAll(' ', SPACE);
    // Symbols as a linked list over UTF-16 ranges of whole code points.
    const start: number[] = [];
    const end: number[] = [];
    for (let i = 0; i < s.length; ) {
      const n = (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      start.push(i);
      end.push(i + n);
      i += n;
    }
    const count = start.length;
    const prev = Array.from({ length: count }, (_, i) => i - 1);
    const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
    const len = end.map((e, i) => e - start[i]);
    const revMerge = new Map<string, [number, number, number, number]>();
    const queue = new Heap<Bigram>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
    const tryAdd = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const piece = s.slice(start[left], start[left] + len[left] + len[right]);
      const id = this.ids.get(piece);
      if (id === undefined) return;
      queue.push({ left, right, score: this.vocab.scores[id], size: piece.length });
      revMerge.set(piece, [start[left], start[left] + len[left], start[right], start[right] + len[right]]);
    };
    for (let i = 1; i < count; i++) tryAdd(i - 1, i);
    for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
      const { left, right } = b;
      if (len[left] === 0 || len[right] === 0 || len[left] + len[right] !== b.size) continue;
      len[left] += len[right];
      len[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      tryAdd(prev[left], left);
      tryAdd(left, next[left]);
    }
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    const emit = (from: number, to: number): void => {
      const piece = s.slice(from, to);
      const off: [number, number] = [Math.max(0, from - prefix), Math.max(0, to - prefix)];
      const id = this.ids.get(piece);
      if (id !== undefined) {
        ids.push(id);
        offsets.push(off);
        return;
      }
      const parts = revMerge.get(piece);
      if (parts) {
        emit(parts[0], parts[1]);
        emit(parts[2], parts[3]);
        return;
      }
      for (const byte of Buffer.from(piece, 'utf8')) {
        const byteId = this.byteIds[byte];
        const fallback = byteId >= 0 ? byteId : this.vocab.unkId;
        if (fallback === undefined) {
          throw new LlmkError(
            'LLMK_E_TOKENIZER',
            `no token for byte 0x${byte.toString(16)} and no unknown token`,
          );
        }
        ids.push(fallback);
        offsets.push(off);
      }
    };
    for (let i = 0; i >= 0 && count > 0; i = next[i]) emit(start[i], start[i] + len[i]);
    return { ids, offsets };
  }

  async encode(text: string, pair?: string, options: EncodeOptions = {}): Promise<Encoding> {
    const special = options.addSpecialTokens ?? true;
    const enc: Encoding = {
      ids: [],
      tokens: [],
      offsets: [],
      wordIds: [],
      typeIds: [],
      attentionMask: [],
      specialTokensMask: [],
    };
    let word = -1;
    const pushSpecial = (id: number | undefined, typeId: number): void => {
      if (!special || id === undefined) return;
      enc.ids.push(id);
      enc.tokens.push(this.vocab.tokens[id]);
      enc.offsets.push([0, 0]);
      enc.wordIds.push(null);
      enc.typeIds.push(typeId);
      enc.attentionMask.push(1);
      enc.specialTokensMask.push(1);
    };
    const segments = pair === undefined ? [text] : [text, pair];
    segments.forEach((segment, typeId) => {
      if (this.vocab.addBos) pushSpecial(this.vocab.bosId, typeId);
      const { ids, offsets } = this.tokenize(segment);
      ids.forEach((id, k) => {
        const token = this.vocab.tokens[id];
        if (word < 0 || token.startsWith(SPACE)) word++;
        enc.ids.push(id);
        enc.tokens.push(token);
        enc.offsets.push(offsets[k]);
        enc.wordIds.push(word);
        enc.typeIds.push(typeId);
        enc.attentionMask.push(1);
        enc.specialTokensMask.push(0);
      });
      if (this.vocab.addEos) pushSpecial(this.vocab.eosId, typeId);
    });
    return enc;
  }

  encodeBatch(inputs: EncodeInput[], options?: BatchOptions): Promise<Encoding[]> {
    return encodeBatchWith(this, inputs, options);
  }

  /** Joins pieces: `▁` → space, `<0xXX>` → raw byte; drops the space the encoder prepended. */
  async decode(ids: number[], options: DecodeOptions = {}): Promise<string> {
    const bytes: number[] = [];
    for (const id of ids) {
      const type = this.vocab.types[id];
      if (type === undefined) throw new LlmkError('LLMK_E_TOKENIZER', `token id ${id} is out of range`);
      if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.unused) {
        if (!options.skipSpecialTokens && type === TOKEN_TYPE.control) {
          bytes.push(...Buffer.from(this.vocab.tokens[id], 'utf8'));
        }
        continue;
      }
      const token = this.vocab.tokens[id];
      if (type === TOKEN_TYPE.byte) bytes.push(Number.parseInt(token.slice(3, 5), 16));
      else bytes.push(...Buffer.from(token.replaceAll(SPACE, ' '), 'utf8'));
    }
    const text = Buffer.from(bytes).toString('utf8');
    return this.vocab.addSpacePrefix && text.startsWith(' ') ? text.slice(1) : text;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab.tokens[id];
  }

  padId(): number | undefined {
    return this.vocab.padId;
  }

  toJSON(): string {
    return JSON.stringify({ llmk_tokenizer: 'spm', ...this.vocab });
  }

  save(path: string, options: { force?: boolean } = {}): void {
    writeFileAtomic(path, this.toJSON(), options.force);
  }
}
