/**
 * Generation for encoder–decoder models (BART, Marian) as Hugging Face's `generate()` does it for
 * `is_encoder_decoder` models (transformers `generation/utils.py`): the source is encoded once, the
 * decoder starts from `decoder_start_token_id` and runs one token per step with its caches —
 * self-attention keys/values grown per step, cross-attention keys/values computed once from the
 * encoder output. Greedy search (numBeams 1) or beam search (BeamSearchScorer semantics, beam.ts),
 * batched over sources (right-padded, with the source padding masked in cross-attention); beam
 * search reorders every beam's self-attention cache after each step.
 *
 * Dimension names: B sources, N = B × numBeams decoder rows, S source tokens, C width, V vocabulary.
 */
import { check } from '../errors.js';
import type { Engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  BeamHypotheses,
  type EarlyStopping,
  type Hypothesis,
  logSoftmaxInto,
  processScores,
  type StepProcessing,
  topCandidates,
} from './beam.js';

/** A decoder cache generation can reorder between beam steps and free at the end. */
export interface Seq2SeqDecoderCache {
  reorder(rows: readonly number[]): void;
  dispose(): void;
  readonly cross: { repeatRows(n: number): void } | null;
}

/** What seq2seq generation needs from a model (BartForConditionalGeneration has it). */
export interface Seq2SeqLM<C extends Seq2SeqDecoderCache = Seq2SeqDecoderCache> {
  readonly engine: Engine;
  readonly config: {
    vocabSize: number;
    padTokenId: number;
    eosTokenId: number;
    decoderStartTokenId: number;
    forcedBosTokenId: number | null;
    forcedEosTokenId: number | null;
  };
  training: boolean;
  eval(): unknown;
  train(on?: boolean): unknown;
  /** Encoder output (B, S, C) for ids (B, S) and their 1/0 mask. */
  encode(inputIds: Tensor, attentionMask: Tensor | null): Tensor;
  /** Logits (N, T', V) of decoder ids (N, T). */
  decode(
    decoderInputIds: Tensor,
    encoderHidden: Tensor | null,
    options: { encoderAttentionMask?: Tensor | null; cache?: C | null; logitsToKeep?: number },
  ): Tensor;
  fillCrossCache(cache: C, encoderHidden: Tensor): void;
  newCache(options?: { crossCache?: boolean }): C;
}

export interface Seq2SeqGenerateOptions {
  /** New tokens per hypothesis at most, EOS included (default 64); HF max_length = 1 + this. */
  maxNewTokens?: number;
  /** EOS is banned before this many new tokens (default 0). */
  minNewTokens?: number;
  /** 1 (default): greedy search; more: beam search. */
  numBeams?: number;
  /** Hypotheses returned per source, ≤ numBeams (default 1). */
  numReturnSequences?: number;
  /** Beam scores are sum_logprobs / length^lengthPenalty (default 1; > 1 favours longer outputs). */
  lengthPenalty?: number;
  /** true: stop a source once numBeams hypotheses ended; false (default): when none can improve; 'never': the HF "never" rule. */
  earlyStopping?: EarlyStopping;
  /** Never repeat an n-gram of this size (default 0: off). */
  noRepeatNgramSize?: number;
  /** Overrides of the model config's special tokens (null switches a forced token off). */
  eosTokenId?: number;
  padTokenId?: number;
  decoderStartTokenId?: number;
  forcedBosTokenId?: number | null;
  forcedEosTokenId?: number | null;
  /** Keep the encoder's cross-attention keys/values for the whole generation (default true). */
  crossCache?: boolean;
}

export interface Seq2SeqHypothesis {
  /** Generated ids (decoder start excluded; a final EOS included). */
  tokens: number[];
  /** Beam search: sum of log-probabilities / length^lengthPenalty; greedy: sum of log-probabilities. */
  score: number;
  finishReason: 'eos' | 'length';
}

interface Resolved extends StepProcessing {
  numBeams: number;
  numReturnSequences: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping;
  padTokenId: number;
  decoderStartTokenId: number;
  crossCache: boolean;
}

function resolve(
  model: Seq2SeqLM,
  sources: readonly (readonly number[])[],
  o: Seq2SeqGenerateOptions,
): Resolved {
  const c = model.config;
  const V = c.vocabSize;
  const whole = (v: number, min: number, what: string, hint: string): number => {
    check(Number.isInteger(v) && v >= min, 'LLMK_E_ARG', () => `${what} ${v} is not allowed`, hint);
    return v;
  };
  const numBeams = whole(o.numBeams ?? 1, 1, 'numBeams', 'use numBeams ≥ 1 (1 = greedy search)');
  const numReturnSequences = whole(
    o.numReturnSequences ?? 1,
    1,
    'numReturnSequences',
    'use a whole number ≥ 1',
  );
  check(
    numReturnSequences <= numBeams,
    'LLMK_E_ARG',
    () => `numReturnSequences ${numReturnSequences} is more than numBeams ${numBeams}`,
    'beam search returns at most numBeams hypotheses per source; raise numBeams',
  );
  const maxNewTokens = whole(o.maxNewTokens ?? 64, 1, 'maxNewTokens', 'use a whole number ≥ 1');
  const minNewTokens = whole(o.minNewTokens ?? 0, 0, 'minNewTokens', 'use a whole number ≥ 0');
  const noRepeatNgramSize = whole(o.noRepeatNgramSize ?? 0, 0, 'noRepeatNgramSize', 'use 0 (off) or n ≥ 1');
  const lengthPenalty = o.lengthPenalty ?? 1;
  check(
    Number.isFinite(lengthPenalty),
    'LLMK_E_ARG',
    () => `lengthPenalty ${lengthPenalty} is not finite`,
    'use e.g. 1.0',
  );
  const id = (v: number, what: string): number => {
    check(
      Number.isInteger(v) && v >= 0 && v < V,
      'LLMK_E_ARG',
      () => `${what} ${v} is outside the vocabulary of ${V}`,
      'use a token id of the model',
    );
    return v;
  };
  const forced = (v: number | null | undefined, fallback: number | null, what: string): number | null => {
    const x = v === undefined ? fallback : v;
    return x === null ? null : id(x, what);
  };
  check(sources.length > 0, 'LLMK_E_ARG', () => 'no sources to generate from', 'pass at least one source');
  sources.forEach((s, row) => {
    check(
      s.length > 0,
      'LLMK_E_ARG',
      () => `source ${row} is empty`,
      'encode the text with the model’s tokenizer',
    );
    for (const t of s) id(t, `source ${row} holds token id`);
  });
  return {
    numBeams,
    numReturnSequences,
    lengthPenalty,
    earlyStopping: o.earlyStopping ?? false,
    noRepeatNgramSize,
    minNewTokens,
    maxLength: 1 + maxNewTokens,
    eosTokenId: id(o.eosTokenId ?? c.eosTokenId, 'eosTokenId'),
    padTokenId: id(o.padTokenId ?? c.padTokenId, 'padTokenId'),
    decoderStartTokenId: id(o.decoderStartTokenId ?? c.decoderStartTokenId, 'decoderStartTokenId'),
    forcedBosTokenId: forced(o.forcedBosTokenId, c.forcedBosTokenId, 'forcedBosTokenId'),
    forcedEosTokenId: forced(o.forcedEosTokenId, c.forcedEosTokenId, 'forcedEosTokenId'),
    crossCache: o.crossCache ?? true,
  };
}

/** One decoding step's state: the encoder output, its mask and the caches, for N decoder rows. */
class DecoderRun<C extends Seq2SeqDecoderCache> {
  readonly cache: C;
  private readonly encoder: Tensor | null;
  private readonly mask: Tensor;

  /** Encodes the right-padded sources and prepares `repeat` decoder rows per source. */
  constructor(
    private readonly model: Seq2SeqLM<C>,
    sources: readonly (readonly number[])[],
    pad: number,
    repeat: number,
    crossCache: boolean,
  ) {
    const { engine } = model;
    const B = sources.length;
    const S = Math.max(...sources.map((s) => s.length));
    const ids = new Int32Array(B * S).fill(pad);
    const m = new Int32Array(B * S);
    sources.forEach((s, b) => {
      ids.set(s, b * S);
      m.fill(1, b * S, b * S + s.length);
    });
    const rows = (a: Int32Array): Int32Array => {
      const out = new Int32Array(B * repeat * S);
      for (let b = 0; b < B; b++)
        for (let r = 0; r < repeat; r++) out.set(a.subarray(b * S, (b + 1) * S), (b * repeat + r) * S);
      return out;
    };
    this.cache = model.newCache({ crossCache });
    const srcMask = engine.keep(engine.tensor(m, [B, S], 'i32'));
    const enc = engine.keep(model.encode(engine.tensor(ids, [B, S], 'i32'), srcMask)); // (B, S, C)
    this.mask = engine.keep(engine.tensor(rows(m), [B * repeat, S], 'i32'));
    if (crossCache && this.cache.cross) {
      model.fillCrossCache(this.cache, enc);
      this.cache.cross.repeatRows(repeat);
      this.encoder = null;
      enc.dispose();
    } else {
      // Without the cross cache every step projects the (N, S, C) encoder output again.
      const [, , C] = enc.shape;
      const src = enc.values();
      const out = new Float32Array(B * repeat * S * C);
      for (let b = 0; b < B; b++)
        for (let r = 0; r < repeat; r++)
          out.set(src.subarray(b * S * C, (b + 1) * S * C), (b * repeat + r) * S * C);
      this.encoder = engine.keep(engine.tensor(out, [B * repeat, S, C], 'f32')); // (N, S, C)
      enc.dispose();
    }
    srcMask.dispose();
  }

  /** Logits of the last tokens (one per row) → N rows of V logits (copies). */
  step(tokens: readonly number[]): Float32Array[] {
    const { engine } = this.model;
    const N = tokens.length;
    return engine.scope(() => {
      const ids = engine.tensor(Int32Array.from(tokens), [N, 1], 'i32');
      const logits = this.model.decode(ids, this.encoder, {
        encoderAttentionMask: this.mask,
        cache: this.cache,
      }); // (N, 1, V)
      const V = logits.shape[2];
      const values = logits.isContiguous() ? logits.values() : Float32Array.from(logits.toArray());
      return Array.from({ length: N }, (_, n) => new Float32Array(values.subarray(n * V, (n + 1) * V)));
    });
  }

  dispose(): void {
    this.cache.dispose();
    this.encoder?.dispose();
    this.mask.dispose();
  }
}

function greedy<C extends Seq2SeqDecoderCache>(
  run: DecoderRun<C>,
  B: number,
  r: Resolved,
): Seq2SeqHypothesis[][] {
  const history = Array.from({ length: B }, () => [r.decoderStartTokenId]);
  const out: Seq2SeqHypothesis[] = history.map(() => ({ tokens: [], score: 0, finishReason: 'length' }));
  const finished = new Array<boolean>(B).fill(false);
  const logp = new Float32Array(0);
  let lp = logp;
  while (true) {
    const logits = run.step(history.map((h) => h[h.length - 1]));
    for (let b = 0; b < B; b++) {
      if (finished[b]) {
        history[b].push(r.padTokenId);
        continue;
      }
      const row = logits[b];
      if (lp.length !== row.length) lp = new Float32Array(row.length);
      logSoftmaxInto(lp, row);
      processScores(row, history[b], r);
      let best = 0;
      for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
      history[b].push(best);
      out[b].tokens.push(best);
      out[b].score += lp[best];
      if (best === r.eosTokenId) {
        finished[b] = true;
        out[b].finishReason = 'eos';
      }
    }
    if (finished.every(Boolean) || history[0].length >= r.maxLength) break;
  }
  return out.map((h) => [h]);
}

function beamSearch<C extends Seq2SeqDecoderCache>(
  run: DecoderRun<C>,
  B: number,
  r: Resolved,
): Seq2SeqHypothesis[][] {
  const nb = r.numBeams;
  const N = B * nb;
  const hyps = Array.from(
    { length: B },
    () => new BeamHypotheses(nb, r.lengthPenalty, r.earlyStopping, r.maxLength),
  );
  const done = new Array<boolean>(B).fill(false);
  // Only beam 0 of each source is live at the start; the others are identical copies kept out of the top-k.
  let beamScores = Float64Array.from({ length: N }, (_, n) => (n % nb === 0 ? 0 : -1e9));
  let seqs = Array.from({ length: N }, () => [r.decoderStartTokenId]);
  let scores: Float32Array | null = null;
  while (true) {
    const logits = run.step(seqs.map((s) => s[s.length - 1]));
    const V = logits[0].length;
    if (!scores) scores = new Float32Array(nb * V);
    const curLen = seqs[0].length + 1;
    const nextScores = new Float64Array(N);
    const nextTokens = new Array<number>(N).fill(r.padTokenId);
    const nextRows = Array.from({ length: N }, (_, n) => n);
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      for (let k = 0; k < nb; k++) {
        const row = b * nb + k;
        const part = scores.subarray(k * V, (k + 1) * V);
        logSoftmaxInto(part, logits[row]);
        processScores(part, seqs[row], r);
        for (let v = 0; v < V; v++) part[v] += beamScores[row];
      }
      const top = topCandidates(scores, 2 * nb);
      let kept = 0;
      for (let rank = 0; rank < top.length && kept < nb; rank++) {
        const { score, index } = top[rank];
        const row = b * nb + Math.floor(index / V);
        const token = index % V;
        if (token === r.eosTokenId) {
          // An EOS outside the top numBeams does not end a hypothesis.
          if (rank >= nb) continue;
          hyps[b].add(seqs[row].slice(1), score, curLen - 1, true);
        } else {
          const slot = b * nb + kept;
          nextScores[slot] = score;
          nextTokens[slot] = token;
          nextRows[slot] = row;
          kept++;
        }
      }
      done[b] = hyps[b].isDone(top[0].score, curLen);
    }
    beamScores = nextScores;
    seqs = nextRows.map((row, n) => [...seqs[row], nextTokens[n]]);
    run.cache.reorder(nextRows);
    if (done.every(Boolean) || seqs[0].length >= r.maxLength) break;
  }
  return hyps.map((h, b) => {
    if (!done[b]) {
      for (let k = 0; k < nb; k++) {
        const row = b * nb + k;
        h.add(seqs[row].slice(1), beamScores[row], seqs[row].length - 1, false);
      }
    }
    return h.best(r.numReturnSequences).map((x: Hypothesis) => ({
      tokens: x.eos ? [...x.tokens, r.eosTokenId] : x.tokens,
      score: x.score,
      finishReason: x.eos ? 'eos' : 'length',
    }));
  });
}

/**
 * Translates/summarizes a batch of sources (token ids, unpadded): per source, `numReturnSequences`
 * hypotheses, best first. Greedy for numBeams 1, else beam search as HF's BeamSearchScorer.
 */
export function generateSeq2Seq<C extends Seq2SeqDecoderCache>(
  model: Seq2SeqLM<C>,
  sources: readonly (readonly number[])[],
  options: Seq2SeqGenerateOptions = {},
): Seq2SeqHypothesis[][] {
  const r = resolve(model, sources, options);
  const { engine } = model;
  const wasTraining = model.training;
  model.eval();
  try {
    return engine.noGrad(() => {
      const run = new DecoderRun(model, sources, r.padTokenId, r.numBeams, r.crossCache);
      try {
        return r.numBeams === 1 ? greedy(run, sources.length, r) : beamSearch(run, sources.length, r);
      } finally {
        run.dispose();
      }
    });
  } finally {
    if (wasTraining) model.train(true);
  }
}
