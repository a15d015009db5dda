/**
 * llama2.c's `tokenizer.bin` and its tokenizer, behaving like `encode()` / `decode()` in llama2.c run.c
 * (https://github.com/karpathy/llama2.c) so generated text can be reproduced byte for byte.
 *
 * File layout (tokenizer.py `export`): int32 max_token_length, then per token float32 score,
 * int32 byte length, the bytes (SentencePiece's `▁` already replaced by a space). Ids 0, 1, 2 are
 * <unk>, BOS, EOS; ids 3..258 are the byte-fallback tokens `<0x00>`..`<0xFF>`.
 *
 * encode:
 * 1. BOS if asked; then, for non-empty text, the token for a single space (the "dummy prefix").
 * 2. Each UTF-8 code point becomes its token, or its bytes as ids `byte + 3` when it has none.
 * 3. Repeatedly merge the adjacent pair whose concatenation is the highest-scoring token (the
 *    leftmost on ties), until no pair forms a token. EOS if asked.
 */
import { LlmkError } from '../errors.js';
import { readFileOrThrow, writeFileAtomic } from './files.js';
import {
  type BatchOptions,
  type DecodeOptions,
  type EncodeInput,
  type EncodeOptions,
  type Encoding,
  encodeBatchWith,
  type Tokenizer,
} from './types.js';

export const LLAMA2C_BOS = 1;
export const LLAMA2C_EOS = 2;
const BYTE_OFFSET = 3;

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c';
  /** Token strings decoded from UTF-8 (lookup keys); the raw bytes are kept in `pieces`. */
  readonly vocab: string[];
  private readonly ids = new Map<string, number>();

  constructor(
    readonly pieces: Uint8Array[],
    readonly scores: number[],
    readonly maxTokenLength: number,
  ) {
    this.vocab = pieces.map((p) => Buffer.from(p).toString('utf8'));
    // llama2.c looks tokens up by bsearch over the sorted vocabulary; duplicates are absent in
    // practice, so the first id per string is the one it would find.
    this.vocab.forEach((v, i) => {
      if (!this.ids.has(v)) this.ids.set(v, i);
    });
  }

  /** Reads `tokenizer.bin`; every length is bounds-checked against the file. */
  static fromFile(path: string): Llama2cTokenizer {
    const buf = readFileOrThrow(path, 'llama2.c tokenizer');
    const fail = (what: string, at: number): never => {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${path}: truncated or malformed llama2.c tokenizer.bin: ${what} at byte ${at} (file has ${buf.length})`,
        'expected int32 max_token_length then (float32 score, int32 len, bytes) per token',
      );
    };
    if (buf.length < 4) fail('max_token_length', 0);
    const maxTokenLength = buf.readInt32LE(0);
    if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) fail(`max_token_length = ${maxTokenLength}`, 0);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let pos = 4;
    while (pos < buf.length) {
      if (pos + 8 > buf.length) fail(`token #${pieces.length} header`, pos);
      const score = buf.readFloatLE(pos);
      const len = buf.readInt32LE(pos + 4);
      if (len < 0 || len > maxTokenLength) fail(`token #${pieces.length} length ${len}`, pos + 4);
      if (pos + 8 + len > buf.length) fail(`token #${pieces.length} bytes`, pos + 8);
      pieces.push(new Uint8Array(buf.subarray(pos + 8, pos + 8 + len)));
      scores.push(score);
      pos += 8 + len;
    }
    if (pieces.length < BYTE_OFFSET + 256)
      fail(`only ${pieces.length} tokens (need the 256 byte tokens)`, pos);
    return new Llama2cTokenizer(pieces, scores, maxTokenLength);
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  /** Token ids exactly as llama2.c `encode(t, text, bos, eos, …)` produces them. */
  encodeIds(text: string, bos: boolean, eos: boolean): number[] {
    const tokens: number[] = [];
    if (bos) tokens.push(LLAMA2C_BOS);
    if (text.length > 0) {
      const prefix = this.ids.get(' ');
      if (prefix === undefined) throw new LlmkError('LLMK_E_TOKENIZER', 'vocabulary has no " " token');
      tokens.push(prefix);
    }
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id !== undefined) tokens.push(id);
      else for (const b of Buffer.from(ch, 'utf8')) tokens.push(b + BYTE_OFFSET);
    }
    for (;;) {
      let bestScore = -1e10;
      let bestId = -1;
      let bestIdx = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = this.ids.get(this.vocab[tokens[i]] + this.vocab[tokens[i + 1]]);
        if (id !== undefined && this.scores[id] > bestScore) {
          bestScore = this.scores[id];
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      tokens.splice(bestIdx, 2, bestId);
    }
    if (eos) tokens.push(LLAMA2C_EOS);
    return tokens;
  }

  /**
   * The bytes llama2.c `decode(t, prev, token)` returns: the piece, minus its leading space right
   * after BOS, with `<0xXX>` turned into that raw byte.
   */
  decodePiece(prevId: number, id: number): Uint8Array {
    const piece = this.pieces[id];
    if (piece === undefined) throw new LlmkError('LLMK_E_TOKENIZER', `token id ${id} is out of range`);
    const m = /^<0x([0-9A-F]{2})>$/.exec(this.vocab[id]);
    if (m) return Uint8Array.of(Number.parseInt(m[1], 16));
    return prevId === LLAMA2C_BOS && piece[0] === 0x20 ? piece.subarray(1) : piece;
  }

  /**
   * What llama2.c `safe_printf` prints for a piece: nothing for an empty piece or a single byte that
   * is neither printable nor whitespace (C `isprint`/`isspace` in the C locale), else the piece.
   */
  static printable(piece: Uint8Array): Uint8Array {
    if (piece.length === 0) return piece;
    if (piece.length === 1) {
      const b = piece[0];
      const isPrint = b >= 0x20 && b <= 0x7e;
      const isSpace = b === 0x20 || (b >= 0x09 && b <= 0x0d);
      if (!isPrint && !isSpace) return new Uint8Array(0);
    }
    return piece;
  }

  async encode(text: string, pair?: string, options: EncodeOptions = {}): Promise<Encoding> {
    const special = options.addSpecialTokens ?? true;
    const ids = [
      ...this.encodeIds(text, special, false),
      ...(pair === undefined ? [] : this.encodeIds(pair, special, false)),
    ];
    // Offsets: walk the pieces over " " + text (the dummy prefix), mapping back by one; consecutive
    // byte tokens of one code point all get that code point's span.
    const offsets: [number, number][] = [];
    const wordIds: (number | null)[] = [];
    let pos = 0;
    let word = -1;
    let span: [number, number] = [0, 0];
    for (const id of ids) {
      if (id === LLAMA2C_BOS || id === LLAMA2C_EOS) {
        offsets.push([0, 0]);
        wordIds.push(null);
        continue;
      }
      const piece = this.vocab[id];
      const isByte = id >= BYTE_OFFSET && id < BYTE_OFFSET + 256;
      if (isByte) {
        const b = id - BYTE_OFFSET;
        if ((b & 0xc0) !== 0x80) {
          const units = b >= 0xf0 ? 2 : 1;
          span = [Math.max(0, pos - 1), pos - 1 + units];
          pos += units;
        }
      } else {
        span = [Math.max(0, pos - 1), Math.max(0, pos - 1 + piece.length)];
        pos += piece.length;
      }
      if (word < 0 || piece.startsWith(' ')) word++;
      offsets.push(span);
      wordIds.push(word);
    }
    return {
      ids,
      tokens: ids.map((id) => this.vocab[id]),
      offsets,
      wordIds,
      typeIds: ids.map(() => 0),
      attentionMask: ids.map(() => 1),
      specialTokensMask: ids.map((id) => (id === LLAMA2C_BOS || id === LLAMA2C_EOS ? 1 : 0)),
    };
  }

  encodeBatch(inputs: EncodeInput[], options?: BatchOptions): Promise<Encoding[]> {
    return encodeBatchWith(this, inputs, options);
  }

  /** Concatenates `decodePiece` over the ids (prev = the id before; the first has none). */
  async decode(ids: number[], options: DecodeOptions = {}): Promise<string> {
    const parts: Uint8Array[] = [];
    let prev = -1;
    for (const id of ids) {
      const skip = options.skipSpecialTokens && id < BYTE_OFFSET;
      if (!skip) parts.push(this.decodePiece(prev, id));
      prev = id;
    }
    return Buffer.concat(parts).toString('utf8');
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  padId(): number | undefined {
    return undefined;
  }

  /** Serialises back to the tokenizer.bin layout (byte-identical to the file it was read from). */
  toBinary(): Uint8Array {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeInt32LE(this.maxTokenLength);
    parts.push(head);
    this.pieces.forEach((p, i) => {
      const h = Buffer.alloc(8);
      h.writeFloatLE(this.scores[i], 0);
      h.writeInt32LE(p.length, 4);
      parts.push(h, Buffer.from(p));
    });
    return Buffer.concat(parts);
  }

  toJSON(): string {
    return JSON.stringify({
      llmk_tokenizer: 'llama2c',
      maxTokenLength: this.maxTokenLength,
      vocab: this.vocab,
      scores: this.scores,
    });
  }

  /** Writes tokenizer.bin (llama2.c's own format). */
  save(path: string, options: { force?: boolean } = {}): void {
    writeFileAtomic(path, this.toBinary(), options.force);
  }
}
