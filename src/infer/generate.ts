/**
 * Autoregressive generation with a KV cache: one forward over the (left-padded) prompts fills the
 * cache, then each step feeds one token per row. Works for any model shaped like `CausalLM`.
 *
 * Batching by left padding (as Hugging Face does for decoder-only models): rows are right-aligned
 * so every row's next token sits in the last column. Pad slots are hidden from attention by an
 * additive key mask (B, S) — 0 for real tokens, −Infinity for pads — that grows by one column per
 * step, and each row's positions count only its real tokens (cumulative count − 1, clamped at 0),
 * so a padded row computes exactly what it would alone.
 */
import { check, LlmkError } from '../errors.js';
import type { CausalLM, CausalLMForwardOptions } from '../models/causal-lm.js';
import { Rng } from '../tensor/random.js';
import { type LogitsProcessor, Sampler, type SamplingOptions } from './sampling.js';

/** Text ↔ token ids, as generation needs it; sync or async (see `tokenizerCodec` for a llmk Tokenizer). */
export interface TextCodec {
  encode(text: string): number[] | Promise<number[]>;
  decode(ids: readonly number[]): string | Promise<string>;
}

export interface GenerateOptions extends SamplingOptions {
  /** New tokens per row at most (default 64). */
  maxTokens?: number;
  /** Seed of the sampling Rng (default 0, so runs repeat); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
  /** Token id(s) that end a row; the id is kept in `tokens` but not in `text`. */
  eosTokenId?: number | readonly number[];
  /** A row ends when its generated text contains one of these; the text is cut before it. Needs `codec`. */
  stop?: readonly string[];
  /** Decodes generated tokens into `text` (results and stream events). */
  codec?: TextCodec;
  /** Used as the prompt when a prompt is empty (a model cannot start from nothing). */
  bosTokenId?: number;
  /** Id fed in pad slots (masked out, so any valid id works; default 0). */
  padTokenId?: number;
  /** Extra processors run after the repetition penalty, before temperature. */
  logitsProcessors?: LogitsProcessor[];
}

/** Why a row stopped: max tokens, EOS, a stop string, or the model's context was full. */
export type FinishReason = 'length' | 'eos' | 'stop' | 'context';

export interface GenerateResult {
  /** Generated ids (prompt excluded; a final EOS or stop-completing token included). */
  tokens: number[];
  /** Decoded generated text, stop string and everything after it removed (with `codec`). */
  text?: string;
  finishReason: FinishReason;
  promptTokens: number;
}

export interface GenerateEvent {
  /** Row of the batch (0 for a single prompt). */
  row: number;
  /** Position of this token among the row's generated tokens. */
  index: number;
  token: number;
  /** Text this token makes final (with `codec`); may be '' while a multi-byte character or a possible stop string is pending. */
  text?: string;
  /** Set on a row's last event. */
  finishReason?: FinishReason;
}

interface RowState {
  history: number[];
  generated: number[];
  finished: FinishReason | null;
  /** Generated ids that count as text (EOS excluded). */
  textIds: number[];
  emitted: number;
  finalText: string | null;
}

/**
 * A generation in progress: `step()` runs one forward (the prefill first) and samples one token per
 * unfinished row. The model work is synchronous; step is async only to await the codec's decode.
 * `generate` loops it; `generateStream` yields to the event loop between steps.
 */
export class GenerationSession<C extends { dispose(): void }> {
  readonly B: number;
  private readonly prompts: number[][];
  private readonly sampler: Sampler;
  private readonly cache: C;
  private readonly rows: RowState[];
  private readonly padded: boolean;
  private readonly maxTokens: number;
  private readonly eos: Set<number>;
  private readonly stop: readonly string[];
  private readonly maxStopLength: number;
  private readonly wasTraining: boolean | undefined;
  /** Additive mask values of every cached slot, (B, S) row-major, grown by one column per step. */
  private mask: number[][];
  /** Next position id of each row (its real-token count). */
  private nextPos: number[];
  private cacheLength = 0;
  private feed: number[] | null = null;
  private closed = false;

  constructor(
    private readonly model: CausalLM<C>,
    prompts: readonly (readonly number[])[],
    private readonly options: GenerateOptions = {},
  ) {
    const { vocabSize: V, nCtx } = model.config;
    check(prompts.length > 0, 'LLMK_E_ARG', () => 'no prompts to generate from', 'pass at least one prompt');
    this.prompts = prompts.map((p, row) => checkPrompt(p, row, options.bosTokenId, V, nCtx));
    this.maxTokens = options.maxTokens ?? 64;
    check(
      Number.isInteger(this.maxTokens) && this.maxTokens >= 1,
      'LLMK_E_ARG',
      () => `maxTokens ${this.maxTokens} is not allowed`,
      'use a whole number ≥ 1',
    );
    this.stop = (options.stop ?? []).filter((s) => s.length > 0);
    check(
      this.stop.length === 0 || options.codec !== undefined,
      'LLMK_E_ARG',
      () => 'stop strings without a codec',
      'pass `codec` (the tokenizer) so generated tokens can be decoded and matched',
    );
    this.maxStopLength = Math.max(0, ...this.stop.map((s) => s.length));
    const eos = options.eosTokenId;
    this.eos = new Set(eos === undefined ? [] : typeof eos === 'number' ? [eos] : eos);
    this.sampler = new Sampler(options, options.rng ?? new Rng(options.seed ?? 0), options.logitsProcessors);
    const pad = options.padTokenId ?? 0;
    check(
      Number.isInteger(pad) && pad >= 0 && pad < V,
      'LLMK_E_ARG',
      () => `padTokenId ${pad} is outside the vocabulary of ${V}`,
      'use any valid token id (pad slots are masked)',
    );
    this.B = this.prompts.length;
    const P = Math.max(...this.prompts.map((p) => p.length));
    this.padded = this.prompts.some((p) => p.length !== P);
    this.mask = this.prompts.map((p) => [
      ...new Array(P - p.length).fill(-Infinity),
      ...new Array(p.length).fill(0),
    ]);
    this.nextPos = this.prompts.map(() => 0);
    this.rows = this.prompts.map((p) => ({
      history: [...p],
      generated: [],
      finished: null,
      textIds: [],
      emitted: 0,
      finalText: null,
    }));
    this.wasTraining = model.training;
    model.eval();
    this.cache = model.newCache();
  }

  get done(): boolean {
    return this.closed || this.rows.every((r) => r.finished !== null);
  }

  /** One forward and one sampled token for every unfinished row; [] once done. */
  async step(): Promise<GenerateEvent[]> {
    if (this.done) return [];
    const logits = this.feed === null ? this.prefill() : this.decode(this.feed);
    const contextFull = this.cacheLength + 1 > this.model.config.nCtx;
    const events: GenerateEvent[] = [];
    const feed: number[] = [];
    for (let b = 0; b < this.B; b++) {
      const row = this.rows[b];
      if (row.finished !== null) {
        feed.push(row.history[row.history.length - 1]);
        continue;
      }
      const token = this.sampler.next(logits[b], row.history);
      row.history.push(token);
      row.generated.push(token);
      feed.push(token);
      const event: GenerateEvent = { row: b, index: row.generated.length - 1, token };
      if (this.eos.has(token)) row.finished = 'eos';
      else row.textIds.push(token);
      if (this.options.codec) event.text = await this.newText(row);
      if (row.finished === null && row.generated.length >= this.maxTokens) row.finished = 'length';
      if (row.finished === null && contextFull) row.finished = 'context';
      if (row.finished !== null) {
        if (this.options.codec) event.text = (event.text ?? '') + (await this.flush(row));
        event.finishReason = row.finished;
      }
      events.push(event);
    }
    this.feed = feed;
    if (this.done) this.close();
    return events;
  }

  results(): GenerateResult[] {
    return this.rows.map((row, b) => {
      const r: GenerateResult = {
        tokens: [...row.generated],
        finishReason: row.finished ?? 'length',
        promptTokens: this.prompts[b].length,
      };
      if (this.options.codec && row.finalText !== null) r.text = row.finalText;
      return r;
    });
  }

  /** Frees the KV cache and restores the model's training flag; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.dispose();
    if (this.wasTraining) this.model.train?.(true);
  }

  private prefill(): Float32Array[] {
    const P = this.mask[0].length;
    const ids = new Int32Array(this.B * P).fill(this.options.padTokenId ?? 0);
    const pos = new Int32Array(this.B * P);
    for (let b = 0; b < this.B; b++) {
      const p = this.prompts[b];
      ids.set(p, b * P + P - p.length);
      // Position = real tokens so far − 1, clamped at 0 (pads take position 0; they are masked anyway).
      let seen = 0;
      for (let t = 0; t < P; t++) {
        if (this.mask[b][t] === 0) seen++;
        pos[b * P + t] = Math.max(0, seen - 1);
      }
      this.nextPos[b] = seen;
    }
    return this.forward(ids, pos, P);
  }

  private decode(feed: number[]): Float32Array[] {
    const pos = new Int32Array(this.B);
    for (let b = 0; b < this.B; b++) {
      this.mask[b].push(0);
      pos[b] = this.nextPos[b]++;
    }
    return this.forward(Int32Array.from(feed), pos, 1);
  }

  /** Runs the model on (B, T) ids and returns a copy of each row's last-position logits. */
  private forward(ids: Int32Array, pos: Int32Array, T: number): Float32Array[] {
    const { engine } = this.model;
    const B = this.B;
    const out = engine.noGrad(() =>
      engine.scope(() => {
        // Only the last position's logits are sampled from: a prefill skips the LM head elsewhere.
        const opts: CausalLMForwardOptions<C> = { cache: this.cache, logitsToKeep: 1 };
        if (this.padded) {
          const S = this.mask[0].length;
          const m = new Float32Array(B * S);
          for (let b = 0; b < B; b++) m.set(this.mask[b], b * S);
          opts.positionIds = engine.tensor(pos, [B, T], 'i32');
          opts.keyMask = engine.tensor(m, [B, S], 'f32');
        }
        const logits = this.model.forward(engine.tensor(ids, [B, T], 'i32'), opts); // (B, T', V)
        const [, Tk, V] = logits.shape;
        const values = logits.isContiguous() ? logits.values() : Float32Array.from(logits.toArray());
        return Array.from({ length: B }, (_, b) => {
          const start = (b * Tk + Tk - 1) * V;
          return new Float32Array(values.subarray(start, start + V));
        });
      }),
    );
    this.cacheLength += T;
    return out;
  }

  /** Decodes the row and returns the text that is now final; finds stop strings. */
  private async newText(row: RowState): Promise<string> {
    const full = await this.options.codec!.decode(row.textIds);
    if (this.stop.length > 0) {
      // Only the tail can hold a new match: a stop string ending in text decoded this step.
      const from = Math.max(0, row.emitted - this.maxStopLength);
      let cut = -1;
      for (const s of this.stop) {
        const i = full.indexOf(s, from);
        if (i >= 0 && (cut < 0 || i < cut)) cut = i;
      }
      if (cut >= 0) {
        row.finished = 'stop';
        row.finalText = full.slice(0, cut);
        return '';
      }
    }
    let end = full.length;
    // Hold back an unfinished multi-byte character (decoders emit U+FFFD for a partial sequence).
    while (end > row.emitted && full.charCodeAt(end - 1) === 0xfffd) end--;
    // Hold back a tail that could still grow into a stop string.
    for (let k = Math.min(this.maxStopLength - 1, end - row.emitted); k > 0; k--) {
      const tail = full.slice(end - k, end);
      if (this.stop.some((s) => s.startsWith(tail))) {
        end -= k;
        break;
      }
    }
    const text = full.slice(row.emitted, end);
    row.emitted = end;
    return text;
  }

  /** Everything not yet emitted of a finished row's final text. */
  private async flush(row: RowState): Promise<string> {
    if (row.finalText === null) row.finalText = await this.options.codec!.decode(row.textIds);
    const rest = row.finalText.slice(Math.min(row.emitted, row.finalText.length));
    row.emitted = row.finalText.length;
    return rest;
  }
}

function checkPrompt(
  prompt: readonly number[],
  row: number,
  bos: number | undefined,
  V: number,
  nCtx: number,
): number[] {
  if (prompt.length === 0) {
    if (bos === undefined) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `prompt ${row} is empty`,
        'pass at least one token, or set bosTokenId to start from the beginning-of-sequence token',
      );
    }
    prompt = [bos];
  }
  for (const t of prompt) {
    check(
      Number.isInteger(t) && t >= 0 && t < V,
      'LLMK_E_ARG',
      () => `prompt ${row} holds token id ${t}, outside the vocabulary of ${V}`,
      'encode the prompt with the model’s own tokenizer',
    );
  }
  check(
    prompt.length <= nCtx,
    'LLMK_E_ARG',
    () => `prompt ${row} has ${prompt.length} tokens; the model’s context is ${nCtx}`,
    `shorten the prompt (e.g. keep its last ${nCtx - 1} tokens to leave room for one new token)`,
  );
  return [...prompt];
}

function isBatch(
  prompt: readonly number[] | readonly (readonly number[])[],
): prompt is readonly (readonly number[])[] {
  return prompt.length > 0 && Array.isArray(prompt[0]);
}

/** Generates for one prompt (ids) or a batch of prompts (left-padded into one batch). */
export function generate<C extends { dispose(): void }>(
  model: CausalLM<C>,
  prompt: readonly number[],
  options?: GenerateOptions,
): Promise<GenerateResult>;
export function generate<C extends { dispose(): void }>(
  model: CausalLM<C>,
  prompts: readonly (readonly number[])[],
  options?: GenerateOptions,
): Promise<GenerateResult[]>;
export async function generate<C extends { dispose(): void }>(
  model: CausalLM<C>,
  prompt: readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions = {},
): Promise<GenerateResult | GenerateResult[]> {
  const batch = isBatch(prompt);
  const session = new GenerationSession(model, batch ? prompt : [prompt as readonly number[]], options);
  try {
    while (!session.done) await session.step();
  } finally {
    session.close();
  }
  const results = session.results();
  return batch ? results : results[0];
}

/**
 * The same generation as an async iterator of tokens as they are sampled; it yields to the event
 * loop after every step so a server or a terminal stays responsive. Breaking out frees the cache.
 */
export async function* generateStream<C extends { dispose(): void }>(
  model: CausalLM<C>,
  prompt: readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions = {},
): AsyncGenerator<GenerateEvent, GenerateResult[], undefined> {
  const batch = isBatch(prompt);
  const session = new GenerationSession(model, batch ? prompt : [prompt as readonly number[]], options);
  try {
    while (!session.done) {
      for (const event of await session.step()) yield event;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    session.close();
  }
  return session.results();
}
