/**
 * Character-level tokenizer for small experiments (nanoGPT's shakespeare_char): one id per distinct
 * code point, special tokens first. Pure TypeScript; saved as a Hugging Face tokenizer.json that
 * `tokenizers` loads and encodes identically (WordLevel model, every code point its own pre-token via
 * Split on `[\s\S]`, Fuse decoder so decoding concatenates without spaces).
 */
import { LlmkError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import {
  type BatchOptions,
  type DecodeOptions,
  type EncodeInput,
  type EncodeOptions,
  type Encoding,
  encodeBatchWith,
  type Tokenizer,
} from './types.js';

const UNK_NAMES = ['<unk>', '[UNK]'];
const PAD_NAMES = ['<pad>', '[PAD]'];

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  private readonly ids = new Map<string, number>();
  private readonly specials: Set<string>;

  constructor(
    readonly vocab: string[],
    specialTokens: string[] = [],
  ) {
    this.specials = new Set(specialTokens);
    vocab.forEach((t, i) => {
      if (this.ids.has(t))
        throw new LlmkError('LLMK_E_TOKENIZER', `duplicate token ${JSON.stringify(t)} in char vocabulary`);
      this.ids.set(t, i);
    });
  }

  /** Specials first, then the characters sorted by code point (nanoGPT's `sorted(set(text))`). */
  static fromChars(chars: Iterable<string>, specialTokens: string[] = []): CharTokenizer {
    const sorted = [...new Set(chars)]
      .filter((c) => !specialTokens.includes(c))
      .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer([...specialTokens, ...sorted], specialTokens);
  }

  static fromText(text: string, specialTokens: string[] = []): CharTokenizer {
    return CharTokenizer.fromChars(text, specialTokens);
  }

  /** Recognises the tokenizer.json that `toJSON` writes; undefined for any other tokenizer.json. */
  static fromHfJson(json: Record<string, unknown>): CharTokenizer | undefined {
    const model = json.model as { type?: string; vocab?: Record<string, number> } | undefined;
    const pre = json.pre_tokenizer as { type?: string; pattern?: { Regex?: string } } | undefined;
    if (model?.type !== 'WordLevel' || pre?.type !== 'Split' || pre.pattern?.Regex !== '[\\s\\S]')
      return undefined;
    const vocab = Object.entries(model.vocab ?? {}).sort((a, b) => a[1] - b[1]);
    const added = (json.added_tokens as { content: string; special: boolean }[] | undefined) ?? [];
    return new CharTokenizer(
      vocab.map(([t]) => t),
      added.filter((a) => a.special).map((a) => a.content),
    );
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  private unkId(): number | undefined {
    for (const name of UNK_NAMES) if (this.specials.has(name)) return this.ids.get(name);
    return undefined;
  }

  async encode(text: string, pair?: string, _options: EncodeOptions = {}): Promise<Encoding> {
    const enc: Encoding = {
      ids: [],
      tokens: [],
      offsets: [],
      wordIds: [],
      typeIds: [],
      attentionMask: [],
      specialTokensMask: [],
    };
    const segments = pair === undefined ? [text] : [text, pair];
    let word = 0;
    segments.forEach((segment, typeId) => {
      let pos = 0;
      for (const ch of segment) {
        const id = this.ids.get(ch) ?? this.unkId();
        if (id === undefined) {
          throw new LlmkError(
            'LLMK_E_TOKENIZER',
            `character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase()}) is not in the vocabulary`,
            'train with --special "<unk>" to map unseen characters to it',
          );
        }
        enc.ids.push(id);
        enc.tokens.push(this.vocab[id]);
        enc.offsets.push([pos, pos + ch.length]);
        enc.wordIds.push(word++);
        enc.typeIds.push(typeId);
        enc.attentionMask.push(1);
        enc.specialTokensMask.push(0);
        pos += ch.length;
      }
    });
    return enc;
  }

  encodeBatch(inputs: EncodeInput[], options?: BatchOptions): Promise<Encoding[]> {
    return encodeBatchWith(this, inputs, options);
  }

  async decode(ids: number[], options: DecodeOptions = {}): Promise<string> {
    let out = '';
    for (const id of ids) {
      const t = this.vocab[id];
      if (t === undefined)
        throw new LlmkError(
          'LLMK_E_TOKENIZER',
          `token id ${id} is out of range (vocab ${this.vocab.length})`,
        );
      if (options.skipSpecialTokens && this.specials.has(t)) continue;
      out += t;
    }
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  padId(): number | undefined {
    for (const name of PAD_NAMES) if (this.specials.has(name)) return this.ids.get(name);
    return undefined;
  }

  toJSON(): string {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((t, i) => {
      vocab[t] = i;
    });
    const unk = UNK_NAMES.find((n) => this.specials.has(n)) ?? '<unk>';
    return JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specials].map((content) => ({
        id: this.ids.get(content),
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: { type: 'WordLevel', vocab, unk_token: unk },
    });
  }

  save(path: string, options: { force?: boolean } = {}): void {
    writeFileAtomic(path, this.toJSON(), options.force);
  }
}
