/**
 * A Tokenizer backed by Hugging Face `tokenizers` (Rust, through its Node-API binding). Whatever the
 * binding can express — BPE, WordPiece, Unigram, WordLevel, normalizers, pre-tokenizers, templates,
 * padding, truncation, offsets — runs in Rust; this class adapts it to our `Tokenizer` contract and
 * keeps files in the exact `tokenizer.json` format Hugging Face reads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hf from 'tokenizers';
import { LlmkError } from '../errors.js';
import { readFileOrThrow, writeFileAtomic } from './files.js';
import type {
  BatchOptions,
  DecodeOptions,
  EncodeInput,
  EncodeOptions,
  Encoding,
  Tokenizer,
} from './types.js';

type HfTokenizer = InstanceType<typeof hf.Tokenizer>;
type HfEncoding = Awaited<ReturnType<HfTokenizer['encode']>>;

/** Pad token names tried in order when a batch asks for padding. */
const PAD_NAMES = ['[PAD]', '<pad>', '<|pad|>', '<|padding|>'];

export type TemplateName = 'bert' | 'gpt';

/**
 * Maps code-point offsets (what the Rust side reports) to UTF-16 offsets (what JavaScript indexes);
 * undefined when the string has no surrogate pairs and the two agree.
 */
function utf16Index(text: string | undefined): number[] | undefined {
  if (text === undefined || !/[\uD800-\uDFFF]/.test(text)) return undefined;
  const index: number[] = [];
  let unit = 0;
  for (const ch of text) {
    index.push(unit);
    unit += ch.length;
  }
  index.push(unit);
  return index;
}

function convert(enc: HfEncoding, text?: string, pair?: string): Encoding {
  const maps = [utf16Index(text), utf16Index(pair)];
  const sequences = maps[0] || maps[1] ? enc.getSequenceIds() : [];
  return {
    ids: enc.getIds(),
    tokens: enc.getTokens(),
    offsets: enc.getOffsets().map((o, i) => {
      const map = maps[sequences[i] ?? 0];
      return map ? [map[o[0]] ?? o[0], map[o[1]] ?? o[1]] : [o[0], o[1]];
    }),
    wordIds: enc.getWordIds().map((w) => (w === undefined ? null : w)),
    typeIds: enc.getTypeIds(),
    attentionMask: enc.getAttentionMask(),
    specialTokensMask: enc.getSpecialTokensMask(),
  };
}

export class HfTokenizerAdapter implements Tokenizer {
  readonly kind = 'hf';
  /** Serialises batch calls: padding and truncation are settings on the shared Rust object. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly inner: HfTokenizer) {}

  /** Parses a tokenizer.json string; `source` names it in errors. */
  static fromJSON(json: string, source = 'tokenizer.json'): HfTokenizerAdapter {
    try {
      return new HfTokenizerAdapter(hf.Tokenizer.fromString(json));
    } catch (err) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `${source} is not a valid Hugging Face tokenizer.json: ${(err as Error).message}`,
        'check that the file was written by Hugging Face tokenizers or llmk',
      );
    }
  }

  static fromFile(path: string): HfTokenizerAdapter {
    return HfTokenizerAdapter.fromJSON(readFileOrThrow(path, 'tokenizer file').toString('utf8'), path);
  }

  get vocabSize(): number {
    return this.inner.getVocabSize(true);
  }

  async encode(text: string, pair?: string, options: EncodeOptions = {}): Promise<Encoding> {
    const enc = await this.inner.encode(text, pair ?? null, {
      addSpecialTokens: options.addSpecialTokens ?? true,
    });
    return convert(enc, text, pair);
  }

  encodeBatch(inputs: EncodeInput[], options: BatchOptions = {}): Promise<Encoding[]> {
    const run = async (): Promise<Encoding[]> => {
      if (options.truncation !== undefined) {
        this.inner.setTruncation(options.truncation, {
          direction: options.truncationSide === 'left' ? 'left' : 'right',
        });
      }
      if (options.padding !== undefined) {
        const padId = this.padId();
        if (padId === undefined) {
          throw new LlmkError(
            'LLMK_E_TOKENIZER',
            'padding requested but the tokenizer has no pad token (tried [PAD], <pad>, <|pad|>)',
            'train with --special "<pad>" or add a pad token',
          );
        }
        this.inner.setPadding({
          maxLength: options.padding === 'longest' ? undefined : options.padding,
          direction: options.paddingSide === 'left' ? 'left' : 'right',
          padId,
          padToken: this.idToToken(padId),
          padToMultipleOf: options.padToMultipleOf,
        });
      }
      try {
        const encs = await this.inner.encodeBatch(inputs, {
          addSpecialTokens: options.addSpecialTokens ?? true,
        });
        return encs.map((e, i) => {
          const input = inputs[i];
          return typeof input === 'string' ? convert(e, input) : convert(e, input[0], input[1]);
        });
      } finally {
        this.inner.disablePadding();
        this.inner.disableTruncation();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  decode(ids: number[], options: DecodeOptions = {}): Promise<string> {
    return this.inner.decode(ids, options.skipSpecialTokens ?? false);
  }

  tokenToId(token: string): number | undefined {
    return this.inner.tokenToId(token) ?? undefined;
  }

  idToToken(id: number): string | undefined {
    return this.inner.idToToken(id) ?? undefined;
  }

  padId(): number | undefined {
    for (const name of PAD_NAMES) {
      const id = this.tokenToId(name);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /**
   * Sets the special-token template added around one sequence or a pair:
   * `bert` = `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (B with type id 1);
   * `gpt` = `A <|endoftext|>` / `A <|endoftext|> B <|endoftext|>` (GPT-2's document separator).
   */
  setTemplate(name: TemplateName): void {
    const need = (token: string): [string, number] => {
      const id = this.tokenToId(token);
      if (id === undefined) {
        throw new LlmkError(
          'LLMK_E_TOKENIZER',
          `the ${name} template needs token ${token}, which is not in the vocabulary`,
          `train with --special "${token}"`,
        );
      }
      return [token, id];
    };
    if (name === 'bert') {
      const cls = need('[CLS]');
      const sep = need('[SEP]');
      this.inner.setPostProcessor(
        hf.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1', [cls, sep]),
      );
    } else {
      const eot = need('<|endoftext|>');
      this.inner.setPostProcessor(
        hf.templateProcessing('$A <|endoftext|>', '$A <|endoftext|> $B:1 <|endoftext|>:1', [eot]),
      );
    }
  }

  toJSON(): string {
    const dir = mkdtempSync(join(tmpdir(), 'llmk-tok-'));
    try {
      const path = join(dir, 'tokenizer.json');
      this.inner.save(path, true);
      return readFileSync(path, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  save(path: string, options: { force?: boolean } = {}): void {
    writeFileAtomic(path, this.toJSON(), options.force);
  }
}
