/**
 * Explanations for a fine-tuned sequence classifier: which tokens drive a label. Attributions are
 * taken on the word-embedding output (what Captum's LayerIntegratedGradients on
 * `embeddings.word_embeddings` and transformers-interpret do): the model runs on inputsEmbeds,
 * position and segment embeddings are added as usual. f is the softmax probability of the target
 * label (transformers-interpret's forward). Attention maps come from the unfused attention path.
 */
import { LlmkError } from '../errors.js';
import type { BertForSequenceClassification } from '../models/bert/heads.js';
import type { TaskInfo } from '../models/task-info.js';
import { encodeTexts } from '../tasks/classification.js';
import type { Engine } from '../tensor/engine.js';
import { mul } from '../tensor/ops/elementwise.js';
import { softmax } from '../tensor/ops/fused.js';
import { sum } from '../tensor/ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenize/types.js';
import {
  gradientTimesInput,
  type IntegrationMethod,
  integratedGradients,
  withFrozen,
} from './integrated-gradients.js';
import { attentionRollout, type Matrix, meanHeads } from './rollout.js';

export type ExplainMethod = 'ig' | 'gradxinput' | 'rollout';
export const EXPLAIN_METHODS: readonly ExplainMethod[] = ['ig', 'gradxinput', 'rollout'];

/** A loaded fine-tuned classifier (what infer's loadTaskModel returns). */
export interface ExplainedModel {
  model: BertForSequenceClassification;
  tokenizer: Tokenizer;
  task: TaskInfo;
}

export interface ExplainOptions {
  method?: ExplainMethod;
  /** Label to explain (default the predicted one). */
  target?: string;
  /** Integrated gradients: quadrature points (Captum default 50) and rule (default gausslegendre). */
  steps?: number;
  integration?: IntegrationMethod;
  /** 'pad' (transformers-interpret: [CLS] [PAD]… [SEP]) or 'zero' (Captum's default); default pad. */
  baseline?: 'pad' | 'zero';
  /** Also return raw attention maps per layer and head (default true). */
  attentions?: boolean;
}

export interface Explanation {
  text: string;
  tokens: string[];
  method: ExplainMethod;
  labels: string[];
  probabilities: number[];
  predicted: string;
  target: string;
  /** Per-token scores: attributions (ig, gradxinput) or the [CLS] row of the rollout. */
  scores: number[];
  /** Integrated gradients only: the completeness check. */
  completeness: {
    fx: number;
    fBaseline: number;
    sum: number;
    delta: number;
    steps: number;
    integration: IntegrationMethod;
    baseline: 'pad' | 'zero';
  } | null;
  /** attentions[layer][head] = (T, T) probabilities; null when not asked for. */
  attentions: Matrix[][] | null;
  /** Attention rollout (T, T), when attentions were computed. */
  rollout: Matrix | null;
  /** Set when the text was cut to the model's context. */
  truncated: string | null;
}

/** The labels a model knows, or a typed error listing them. */
function targetIndex(labels: readonly string[], target: string): number {
  const i = labels.indexOf(target);
  if (i < 0)
    throw new LlmkError(
      'LLMK_E_ARG',
      `--target '${target}' is not a label of this model`,
      `its labels are: ${labels.join(', ')}`,
    );
  return i;
}

export async function explainClassifier(
  em: ExplainedModel,
  text: string,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const { model, tokenizer, task } = em;
  const method = options.method ?? 'ig';
  if (!EXPLAIN_METHODS.includes(method))
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown explanation method '${method}'`,
      `use ${EXPLAIN_METHODS.join(', ')}`,
    );
  if (task.task !== 'classification' || task.multiLabel)
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `explain supports single-label sequence classifiers; this model is ${task.multiLabel ? 'multi-label' : task.task}`,
      'explain a model fine-tuned with --task classification',
    );
  if (options.target !== undefined) targetIndex(task.labels, options.target);
  const engine: Engine = model.engine;
  const maxLen = Math.min(task.maxLength, model.config.maxPositionEmbeddings);
  // 1. Tokens, cut to the context with a notice.
  const full = await tokenizer.encode(text);
  const [enc] = await encodeTexts(tokenizer, [{ text }], maxLen);
  const truncated =
    full.ids.length > enc.ids.length
      ? `the text has ${full.ids.length} tokens; the model takes ${maxLen}: explained the first ${enc.ids.length}`
      : null;
  const T = enc.ids.length;
  const C = model.config.hiddenSize;
  const tokens = enc.ids.map((id) => tokenizer.idToToken(id) ?? `<${id}>`);
  model.eval();
  const inputs = (B: number) => ({
    attentionMask: engine.ones([B, T], 'i32'),
    tokenTypeIds: engine.tensor(
      Int32Array.from({ length: B * T }, (_, i) => enc.typeIds[i % T]),
      [B, T],
      'i32',
    ),
  });
  const embed = (ids: readonly number[]): Float32Array =>
    engine.noGrad(() =>
      engine.scope(() =>
        Float32Array.from(
          model
            .getInputEmbeddings()
            .forward(engine.tensor(Int32Array.from(ids), [1, T], 'i32'))
            .toArray(),
        ),
      ),
    );
  const x = embed(enc.ids);
  // 2. The prediction (and attention maps from the unfused path).
  const wantAttn = options.attentions ?? true;
  const pred = engine.noGrad(() =>
    engine.scope(() => {
      const inp = { ...inputs(1), inputIds: engine.tensor(Int32Array.from(enc.ids), [1, T], 'i32') };
      const probabilities = softmax(model.logits(inp), -1).toArray();
      let attentions: Matrix[][] | null = null;
      if (wantAttn || method === 'rollout') {
        const out = model.bert.call(inp, { outputAttentions: true });
        if (!out.attentions || out.attentions.length === 0)
          throw new LlmkError(
            'LLMK_E_UNSUPPORTED',
            `${model.constructor.name} returned no attention maps`,
            'use --method ig or gradxinput for this model',
          );
        attentions = out.attentions.map((a) => toHeads(a.toArray(), a.shape[1], T));
      }
      return { probabilities, attentions };
    }),
  );
  const L = task.labels.length;
  const best = pred.probabilities.indexOf(Math.max(...pred.probabilities));
  const target = options.target !== undefined ? targetIndex(task.labels, options.target) : best;
  const rollout = pred.attentions ? attentionRollout(pred.attentions.map(meanHeads)) : null;
  // f: the target label's probability, for a batch of (S, T, C) word embeddings.
  const f = (embeds: Tensor): Tensor => {
    const S = embeds.shape[0];
    const p = softmax(model.logits({ ...inputs(S), inputsEmbeds: embeds }), -1); // (S, L)
    const onehot = engine.tensor(
      Float32Array.from({ length: S * L }, (_, i) => (i % L === target ? 1 : 0)),
      [S, L],
    );
    return sum(mul(p, onehot), -1); // (S)
  };
  let scores: number[];
  let completeness: Explanation['completeness'] = null;
  if (method === 'rollout') {
    scores = (rollout as Matrix)[0];
  } else if (method === 'gradxinput') {
    scores = withFrozen(model, () => gradientTimesInput(engine, f, x, T, C)).tokens;
  } else {
    const baselineKind = options.baseline ?? 'pad';
    const baseline =
      baselineKind === 'zero' ? new Float32Array(T * C) : embed(padBaseline(enc.ids, tokenizer));
    const ig = withFrozen(model, () =>
      integratedGradients(engine, f, x, baseline, T, C, {
        steps: options.steps ?? 50,
        method: options.integration ?? 'gausslegendre',
      }),
    );
    scores = ig.tokens;
    completeness = {
      fx: ig.fx,
      fBaseline: ig.fBaseline,
      sum: ig.tokens.reduce((a, v) => a + v, 0),
      delta: ig.delta,
      steps: ig.steps,
      integration: ig.method,
      baseline: baselineKind,
    };
  }
  return {
    text,
    tokens,
    method,
    labels: [...task.labels],
    probabilities: pred.probabilities,
    predicted: task.labels[best],
    target: task.labels[target],
    scores,
    completeness,
    attentions: wantAttn ? pred.attentions : null,
    rollout,
    truncated,
  };
}

/** transformers-interpret's reference: special tokens kept, every other token → [PAD]. */
function padBaseline(ids: readonly number[], tokenizer: Tokenizer): number[] {
  const pad = tokenizer.padId() ?? 0;
  const keep = new Set(
    ['[CLS]', '[SEP]', '<s>', '</s>'].map((t) => tokenizer.tokenToId(t)).filter((v) => v !== undefined),
  );
  return ids.map((id) => (keep.has(id) ? id : pad));
}

/** (1, NH, T, T) flat values → NH matrices. */
function toHeads(values: readonly number[], NH: number, T: number): Matrix[] {
  return Array.from({ length: NH }, (_, h) =>
    Array.from({ length: T }, (_, i) => values.slice((h * T + i) * T, (h * T + i + 1) * T)),
  );
}
