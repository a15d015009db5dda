/**
 * The pieces of Hugging Face's beam search, one by one (transformers `generation/beam_search.py`
 * BeamHypotheses/BeamSearchScorer and `generation/logits_process.py`):
 *   - the length-limit and forcing processors (NoRepeatNGram, MinNewTokensLength, ForcedBOSToken,
 *     ForcedEOSToken, applied in that order, as `_get_logits_processor` lists them),
 *   - `topCandidates`: torch.topk over one source's num_beams × V scores,
 *   - `BeamHypotheses`: the finished hypotheses of one source, scored sum_logprobs / length^lp,
 *     and its `isDone` rule for early_stopping true / false / "never".
 * Lengths count generated tokens (the decoder start token is the one-token "prompt").
 */

/** Options every decoding step's processors read. */
export interface StepProcessing {
  /** Ban tokens that would repeat an n-gram of the sequence so far (0: off). */
  noRepeatNgramSize: number;
  /** EOS is banned until this many tokens are generated. */
  minNewTokens: number;
  /** Sequence length limit: 1 (decoder start) + maxNewTokens. */
  maxLength: number;
  eosTokenId: number;
  forcedBosTokenId: number | null;
  forcedEosTokenId: number | null;
}

/**
 * Applies the processors to one row's scores (logits or log-probabilities) in place; `history` is
 * the row's sequence so far, decoder start token included (its length is HF's cur_len).
 */
export function processScores(scores: Float32Array, history: readonly number[], p: StepProcessing): void {
  const curLen = history.length;
  const n = p.noRepeatNgramSize;
  // NoRepeatNGramLogitsProcessor: tokens that followed the last n − 1 tokens before are banned.
  if (n > 0 && curLen + 1 >= n) {
    const prefix = history.slice(curLen + 1 - n, curLen).join(',');
    for (let i = 0; i + n <= curLen; i++) {
      if (history.slice(i, i + n - 1).join(',') === prefix)
        scores[history[i + n - 1]] = Number.NEGATIVE_INFINITY;
    }
  }
  // MinNewTokensLengthLogitsProcessor (prompt_length_to_skip = 1, the decoder start token).
  if (curLen - 1 < p.minNewTokens) scores[p.eosTokenId] = Number.NEGATIVE_INFINITY;
  // ForcedBOSTokenLogitsProcessor: the first generated token.
  if (p.forcedBosTokenId !== null && curLen === 1) forceToken(scores, p.forcedBosTokenId);
  // ForcedEOSTokenLogitsProcessor: the last token the length limit allows.
  if (p.forcedEosTokenId !== null && curLen === p.maxLength - 1) forceToken(scores, p.forcedEosTokenId);
}

function forceToken(scores: Float32Array, id: number): void {
  scores.fill(Number.NEGATIVE_INFINITY);
  scores[id] = 0;
}

/** log_softmax of one row of logits into `out` (f64 accumulation, f32 result). */
export function logSoftmaxInto(out: Float32Array, logits: Float32Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
}

export interface Candidate {
  score: number;
  /** Index into the source's num_beams × V scores: beam = ⌊index / V⌋, token = index mod V. */
  index: number;
}

/** The k best of `scores`, best first; equal scores keep index order (as a stable sort). */
export function topCandidates(scores: Float32Array, k: number): Candidate[] {
  const top: Candidate[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (top.length === k && !(s > top[k - 1].score)) continue;
    let j = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push({ score: s, index: i });
    while (j > 0 && s > top[j - 1].score) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = { score: s, index: i };
  }
  return top;
}

export interface Hypothesis {
  /** Generated tokens (decoder start excluded; the final EOS included when it ended by EOS). */
  tokens: number[];
  /** sum of log-probabilities / generated length ^ lengthPenalty. */
  score: number;
  /** Whether it ended with EOS (else it reached the length limit). */
  eos: boolean;
}

export type EarlyStopping = boolean | 'never';

/** HF BeamHypotheses: the num_beams best finished hypotheses of one source. */
export class BeamHypotheses {
  readonly beams: Hypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    readonly numBeams: number,
    readonly lengthPenalty: number,
    readonly earlyStopping: EarlyStopping,
    readonly maxLength: number,
  ) {}

  /** Adds a hypothesis of `generatedLength` tokens (EOS counted) and cumulative log-probability. */
  add(tokens: number[], sumLogprobs: number, generatedLength: number, eos: boolean): void {
    const score = sumLogprobs / generatedLength ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worstScore) {
      this.beams.push({ tokens, score, eos });
      if (this.beams.length > this.numBeams) {
        const ranked = this.beams.map((b, i) => ({ s: b.score, i })).sort((a, b) => a.s - b.s || a.i - b.i);
        this.beams.splice(ranked[0].i, 1);
        this.worstScore = ranked[1].s;
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  /**
   * Whether no running beam can beat the kept hypotheses: true as soon as num_beams are kept
   * (early_stopping true); else compare the worst kept score with the best running sum divided by
   * the current length (false) or, for "never" with a positive length penalty, the longest length.
   */
  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    const len = this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxLength - 1 : curLen - 1;
    return this.worstScore >= bestSumLogprobs / len ** this.lengthPenalty;
  }

  /** The best `n`, best first (Python's stable sort then pop: the later of equal scores first). */
  best(n: number): Hypothesis[] {
    const ranked = this.beams.map((b, i) => ({ b, i })).sort((x, y) => x.b.score - y.b.score || x.i - y.i);
    return ranked
      .slice(-n)
      .reverse()
      .map((r) => r.b);
  }
}
