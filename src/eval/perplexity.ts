/**
 * Perplexity from cross-entropy losses: PPL = exp(mean negative log-likelihood per token), with the
 * mean taken over tokens, not over batches (a batch's mean loss is weighted by its token count, as
 * Hugging Face's perplexity guide and lm-evaluation-harness do).
 */
import { check } from '../errors.js';

export interface PerplexityResult {
  /** exp(meanLoss), or 2^meanLoss when the losses are in bits. */
  perplexity: number;
  /** Token-weighted mean loss, in the losses' unit. */
  meanLoss: number;
  /** Number of tokens the mean is over. */
  tokens: number;
}

export interface PerplexityOptions {
  /** Unit of the losses: 'nats' (natural log, PyTorch's cross_entropy; default) or 'bits'. */
  unit?: 'nats' | 'bits';
}

/** Accumulates (mean loss, token count) pairs, e.g. one per evaluation batch. */
export class PerplexityMeter {
  private sum = 0;
  private count = 0;
  private readonly unit: 'nats' | 'bits';

  constructor(opts: PerplexityOptions = {}) {
    this.unit = opts.unit ?? 'nats';
  }

  /** Adds a batch whose mean per-token loss is `meanLoss` over `tokens` tokens (default 1: a per-token loss). */
  add(meanLoss: number, tokens = 1): void {
    check(
      Number.isFinite(meanLoss),
      'LLMK_E_DATA',
      () => `loss must be finite, got ${meanLoss}`,
      'a NaN or infinite loss usually means the model diverged; check the learning rate',
    );
    check(
      tokens >= 0 && Number.isFinite(tokens),
      'LLMK_E_ARG',
      () => `token count must be a non-negative number, got ${tokens}`,
    );
    this.sum += meanLoss * tokens;
    this.count += tokens;
  }

  get tokens(): number {
    return this.count;
  }

  result(): PerplexityResult {
    check(
      this.count > 0,
      'LLMK_E_DATA',
      () => 'no tokens to compute perplexity over',
      'add at least one loss',
    );
    const meanLoss = this.sum / this.count;
    const perplexity = this.unit === 'bits' ? 2 ** meanLoss : Math.exp(meanLoss);
    return { perplexity, meanLoss, tokens: this.count };
  }
}

/**
 * Perplexity from per-token losses, or from per-batch mean losses with `tokenCounts[i]` tokens in
 * batch i.
 */
export function perplexity(
  losses: readonly number[],
  tokenCounts?: readonly number[],
  opts: PerplexityOptions = {},
): PerplexityResult {
  check(
    tokenCounts === undefined || tokenCounts.length === losses.length,
    'LLMK_E_ARG',
    () => `${losses.length} losses but ${tokenCounts?.length} token counts`,
    'pass one token count per loss, or none for per-token losses',
  );
  const meter = new PerplexityMeter(opts);
  for (let i = 0; i < losses.length; i++) meter.add(losses[i], tokenCounts ? tokenCounts[i] : 1);
  return meter.result();
}
