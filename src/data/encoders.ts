/**
 * What packing needs from a tokenizer: `encode(text)` to ids, the vocabulary size (for the shard
 * dtype) and the end-of-document id. Any tokenizer with this shape plugs in; two built-ins make
 * packing usable and testable without a trained tokenizer.
 */
import { LlmkError } from '../errors.js';

export interface TokenEncoder {
  readonly vocabSize: number;
  /** Id written between documents. */
  readonly eosId: number;
  encode(text: string): ArrayLike<number>;
  /** Description stored in the pack's meta.json so the shards can be decoded later. */
  describe(): Record<string, unknown>;
}

/** UTF-8 bytes as ids 0–255, and 256 as end-of-document: lossless for any text. */
export class ByteEncoder implements TokenEncoder {
  readonly vocabSize = 257;
  readonly eosId = 256;

  encode(text: string): Uint8Array {
    return Buffer.from(text, 'utf8');
  }

  decode(ids: ArrayLike<number>): string {
    return Buffer.from(Array.from(ids).filter((t) => t < 256)).toString('utf8');
  }

  describe(): Record<string, unknown> {
    return { type: 'byte', vocabSize: this.vocabSize, eosId: this.eosId };
  }
}

/**
 * Characters (code points) as ids, nanoGPT's shakespeare_char scheme: the vocabulary is a fixed,
 * sorted character list; end-of-document is the id after the last character.
 */
export class CharEncoder implements TokenEncoder {
  readonly chars: string[];
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly ids: Map<string, number>;

  constructor(chars: Iterable<string>) {
    this.chars = [...new Set(chars)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
    this.eosId = this.chars.length;
    this.vocabSize = this.chars.length + 1;
  }

  /** The vocabulary of every code point in `texts`. */
  static fromTexts(texts: Iterable<string>): CharEncoder {
    const set = new Set<string>();
    for (const t of texts) for (const c of t) set.add(c);
    return new CharEncoder(set);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined)
        throw new LlmkError(
          'LLMK_E_TOKENIZER',
          `character ${JSON.stringify(c)} (U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}) is not in the vocabulary`,
          'build the vocabulary from the whole corpus',
        );
      out.push(id);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) if (ids[i] < this.chars.length) s += this.chars[ids[i]];
    return s;
  }

  describe(): Record<string, unknown> {
    return { type: 'char', vocabSize: this.vocabSize, eosId: this.eosId, chars: this.chars };
  }
}
