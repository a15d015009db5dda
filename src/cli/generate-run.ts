/**
 * What `llmk generate` does once a model and its tokenizer are loaded: encode the prompt, stream
 * the generated text to stdout as it comes, and report timings on stderr (so stdout can be piped).
 */
import { LlmkError } from '../errors.js';
import {
  type FinishReason,
  type GenerateOptions,
  generateStream,
  type TextCodec,
} from '../infer/generate.js';
import type { CausalLM } from '../models/causal-lm.js';

export interface RunGenerateOptions
  extends Omit<GenerateOptions, 'codec' | 'rng' | 'logitsProcessors' | 'padTokenId'> {
  prompt: string;
  /** Write the prompt itself to stdout before the continuation (default false). */
  echo?: boolean;
  /** Leave out the stats line on stderr. */
  quiet?: boolean;
}

export interface GenerateIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Milliseconds (performance.now by default); injectable so tests can pin the stats line. */
  now?: () => number;
}

export interface RunGenerateSummary {
  text: string;
  tokens: number[];
  promptTokens: number;
  finishReason: FinishReason;
  /** Time to the first generated token (prefill + one sample), ms. */
  firstTokenMs: number;
  totalMs: number;
  /** Decode rate after the first token, tokens/s (0 when only one token was generated). */
  tokensPerSecond: number;
}

export async function runGenerate<C extends { dispose(): void }>(
  model: CausalLM<C>,
  codec: TextCodec,
  options: RunGenerateOptions,
  io: GenerateIo,
): Promise<RunGenerateSummary> {
  const now = io.now ?? (() => performance.now());
  const { prompt, echo = false, quiet = false, ...generateOptions } = options;
  const ids = await codec.encode(prompt);
  if (ids.length === 0 && generateOptions.bosTokenId === undefined) {
    throw new LlmkError(
      'LLMK_E_ARG',
      'the prompt encodes to no tokens',
      'pass a non-empty --prompt (or a model whose config names a BOS token)',
    );
  }
  if (echo) io.stdout.write(prompt);
  const start = now();
  let first = start;
  let text = '';
  const tokens: number[] = [];
  let finishReason: FinishReason = 'length';
  for await (const event of generateStream(model, ids, { ...generateOptions, codec })) {
    if (tokens.length === 0) first = now();
    tokens.push(event.token);
    if (event.text) {
      io.stdout.write(event.text);
      text += event.text;
    }
    if (event.finishReason) finishReason = event.finishReason;
  }
  const end = now();
  const decodeTokens = tokens.length - 1;
  const summary: RunGenerateSummary = {
    text,
    tokens,
    promptTokens: ids.length,
    finishReason,
    firstTokenMs: first - start,
    totalMs: end - start,
    tokensPerSecond: decodeTokens > 0 && end > first ? (decodeTokens * 1000) / (end - first) : 0,
  };
  if (!quiet) {
    io.stderr.write(
      `\n${tokens.length} tokens in ${(summary.totalMs / 1000).toFixed(2)} s ` +
        `(${summary.tokensPerSecond.toFixed(1)} tok/s after the first; first token ${summary.firstTokenMs.toFixed(0)} ms; ` +
        `prompt ${ids.length} tokens); finished: ${finishReason}` +
        (finishReason === 'context'
          ? ` (the model's context of ${model.config.nCtx} tokens is full; shorten the prompt for more)`
          : '') +
        '\n',
    );
  }
  return summary;
}
