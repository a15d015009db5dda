/**
 * Reading a Hugging Face `config.json` field by field: every field of the file is accounted for — a
 * field the architecture maps, a field that does not change the forward pass (listed with why), or
 * an error naming it. A supported field with a value llmk cannot honour is an error too, never a
 * silently different model. Each architecture's `hf.ts` uses this.
 */
import { LlmkError } from '../errors.js';

export interface SpecialTokens {
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
}

/**
 * Fields of every PretrainedConfig that do not change the forward pass: bookkeeping, generation
 * defaults (generation reads them from generation_config.json) and outputs we never return.
 */
const NEUTRAL_COMMON = [
  'architectures',
  'model_type',
  'torch_dtype',
  'dtype',
  'transformers_version',
  '_name_or_path',
  'use_cache',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
  'is_decoder',
  'is_encoder_decoder',
  'id2label',
  'label2id',
  'task_specific_params',
  'tokenizer_class',
  'max_length',
  'do_sample',
  'temperature',
  'top_k',
  'top_p',
  'num_beams',
];

export function configError(path: string, field: string, what: string, hint: string): LlmkError {
  return new LlmkError('LLMK_E_CONFIG', `${path}: field '${field}' ${what}`, hint);
}

export class Fields {
  private readonly used = new Set<string>();

  constructor(
    private readonly json: Record<string, unknown>,
    readonly path: string,
  ) {}

  has(k: string): boolean {
    return this.json[k] !== undefined && this.json[k] !== null;
  }

  raw(k: string): unknown {
    this.used.add(k);
    return this.json[k];
  }

  num(k: string, fallback?: number): number {
    const v = this.raw(k);
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw configError(this.path, k, 'is missing', 'the config must give it');
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected a number`, 'fix the config');
    return v;
  }

  bool(k: string, fallback: boolean): boolean {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean')
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected true or false`, 'fix the config');
    return v;
  }

  str(k: string, fallback: string): string {
    const v = this.raw(k);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string')
      throw configError(this.path, k, `is ${JSON.stringify(v)}, expected a string`, 'fix the config');
    return v;
  }

  /** A field that must be absent/null (or equal one of `allowed`), else unsupported. */
  expect(k: string, allowed: unknown[], why: string): void {
    const v = this.raw(k);
    if (v === undefined || v === null || allowed.includes(v)) return;
    throw configError(this.path, k, `= ${JSON.stringify(v)} is not supported`, why);
  }

  /** Throws for the first field neither read nor neutral. */
  finish(neutral: readonly string[]): void {
    for (const k of Object.keys(this.json)) {
      if (this.used.has(k) || neutral.includes(k) || NEUTRAL_COMMON.includes(k)) continue;
      throw configError(
        this.path,
        k,
        'is not understood by llmk',
        'remove it if it does not change the model, or use a model type llmk supports',
      );
    }
  }
}

export function specialTokens(f: Fields): SpecialTokens {
  const out: SpecialTokens = {};
  const bos = f.raw('bos_token_id');
  const eos = f.raw('eos_token_id');
  const pad = f.raw('pad_token_id');
  if (typeof bos === 'number') out.bosTokenId = bos;
  if (typeof eos === 'number' || (Array.isArray(eos) && eos.every((e) => typeof e === 'number')))
    out.eosTokenId = eos as number | number[];
  if (typeof pad === 'number') out.padTokenId = pad;
  return out;
}
