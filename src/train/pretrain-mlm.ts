/**
 * BERT pretraining with masked LM (and optionally next-sentence prediction) from text files: one
 * sentence per line, blank lines between documents (the layout of BERT's pretraining corpora), or
 * the text column of a TSV/CSV. Writes a BertForPreTraining / BertForMaskedLM model directory that
 * `finetune --model` starts from.
 */

import { readLines } from '../data/lines.js';
import { readCsv } from '../data/readers.js';
import { Rng as DataRng } from '../data/rng.js';
import { LlmkError } from '../errors.js';
import { checkOutput } from '../formats/output.js';
import { type BertConfigInput, bertConfig } from '../models/bert/config.js';
import { BertForMaskedLM, BertForPreTraining } from '../models/bert/heads.js';
import { saveModel } from '../models/save.js';
import { encodeTexts } from '../tasks/classification.js';
import type { Engine } from '../tensor/engine.js';
import { Rng } from '../tensor/random.js';
import { loadTokenizer } from '../tokenize/load.js';
import { trainTokenizer } from '../tokenize/train.js';
import type { Tokenizer } from '../tokenize/types.js';
import type { ProgressMode } from '../track/progress.js';
import { MaskedLMObjective, type MlmExample } from './objectives/mlm.js';
import { buildNspPairs } from './objectives/mlm-data.js';
import { type EvalInfo, Trainer, type TrainerOptions } from './trainer.js';

export interface MlmPretrainOptions {
  /** Text files (sentences per line, blank line between documents) or .tsv/.csv (text column). */
  files: string[];
  textColumn?: string;
  /** Also train next-sentence prediction (needs documents of ≥ 2 sentences). */
  nsp: boolean;
  wholeWordMasking?: boolean;
  maskProbability?: number;
  /** tokenizer.json to use; else a WordPiece vocabulary of `vocabSize` is trained on the files. */
  tokenizer?: string;
  vocabSize?: number;
  config?: Partial<BertConfigInput>;
  maxLength?: number;
  batchSize?: number;
  /** Every n-th example (1-based) is held out for validation (default 20). */
  holdoutEvery?: number;
  output: string;
  /** Replace an existing model directory at `output` (see checkOutput). */
  force?: boolean;
  trainer?: Partial<TrainerOptions>;
  progress?: ProgressMode;
  onEval?: (info: EvalInfo) => void;
}

export interface MlmPretrainResult {
  steps: number;
  finalLoss: number;
  history: EvalInfo[];
  wallSeconds: number;
  parameters: number;
  examples: number;
}

/** Documents (arrays of sentences) of the input files. */
async function readDocuments(files: readonly string[], textColumn?: string): Promise<string[][]> {
  const docs: string[][] = [];
  for (const file of files) {
    if (/\.(tsv|csv)$/.test(file)) {
      const rows: string[] = [];
      for await (const { value } of readCsv(file, {
        delimiter: file.endsWith('.tsv') ? '\t' : ',',
        column: textColumn ?? 'sentence',
      }))
        if (value.text.trim() !== '') rows.push(value.text);
      // A table has no document structure: each row is its own document.
      for (const r of rows) docs.push([r]);
      continue;
    }
    let doc: string[] = [];
    for await (const { text } of readLines(file)) {
      if (text.trim() === '') {
        if (doc.length) docs.push(doc);
        doc = [];
      } else doc.push(text.trim());
    }
    if (doc.length) docs.push(doc);
  }
  if (docs.length === 0)
    throw new LlmkError('LLMK_E_DATA', `no text in ${files.join(', ')}`, 'give non-empty files');
  return docs;
}

export async function pretrainMlm(engine: Engine, options: MlmPretrainOptions): Promise<MlmPretrainResult> {
  const t0 = performance.now();
  // Refuse an existing output (or one holding the inputs) before any work, not after training.
  checkOutput({
    path: options.output,
    kind: 'dir',
    force: options.force,
    flag: '--output',
    inputs: [...options.files, options.tokenizer],
  });
  const docs = await readDocuments(options.files, options.textColumn);
  const seed = options.trainer?.seed ?? 1337;
  const tokenizer: Tokenizer = options.tokenizer
    ? loadTokenizer(options.tokenizer)
    : await trainTokenizer({
        type: 'wordpiece',
        texts: docs.map((d) => d.join('\n')),
        vocabSize: options.vocabSize ?? 8000,
        progress: 'quiet',
      });
  const maskId = tokenizer.tokenToId('[MASK]');
  if (maskId === undefined)
    throw new LlmkError(
      'LLMK_E_TOKENIZER',
      'the tokenizer has no [MASK] token',
      'train it with the BERT specials',
    );
  const specialIds = new Set(
    ['[PAD]', '[CLS]', '[SEP]', '[UNK]', '[MASK]']
      .map((t) => tokenizer.tokenToId(t))
      .filter((x) => x !== undefined),
  );
  const maxLength = options.maxLength ?? 128;
  const pairs = options.nsp ? buildNspPairs(docs, new DataRng(seed)) : null;
  const inputs = pairs ? pairs.map((p) => ({ text: p.a, pair: p.b })) : docs.flat().map((text) => ({ text }));
  const encoded = await encodeTexts(tokenizer, inputs, maxLength);
  const examples: MlmExample[] = encoded.map((e, i) => (pairs ? { ...e, nspLabel: pairs[i].nspLabel } : e));
  const every = options.holdoutEvery ?? 20;
  const train = examples.filter((_, i) => (i + 1) % every !== 0);
  const val = examples.filter((_, i) => (i + 1) % every === 0);
  const config = bertConfig({
    hiddenSize: 128,
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    maxPositionEmbeddings: Math.max(maxLength, 16),
    ...options.config,
    vocabSize: tokenizer.vocabSize,
    padTokenId: tokenizer.padId() ?? 0,
  });
  const rng = new Rng(seed);
  const model = options.nsp
    ? new BertForPreTraining(engine, config, { rng })
    : new BertForMaskedLM(engine, config, { rng });
  const objective = new MaskedLMObjective(
    model,
    { train, val },
    {
      batchSize: options.batchSize ?? 32,
      padId: tokenizer.padId() ?? 0,
      evalSeed: seed + 1,
      nsp: options.nsp,
      tokenizer,
      masking: {
        probability: options.maskProbability ?? 0.15,
        maskId,
        vocabSize: tokenizer.vocabSize,
        specialIds: specialIds as Set<number>,
        wholeWord: options.wholeWordMasking ?? false,
      },
    },
  );
  const history: EvalInfo[] = [];
  const trainer = new Trainer(
    engine,
    objective,
    { progress: options.progress ?? 'bar', ...options.trainer, seed },
    {
      callbacks: {
        onEval: (info) => {
          history.push(info);
          options.onEval?.(info);
        },
      },
    },
  );
  const result = await trainer.run();
  saveModel(options.output, model, { tokenizer });
  return {
    steps: result.steps,
    finalLoss: result.finalLoss,
    history,
    wallSeconds: (performance.now() - t0) / 1000,
    parameters: model.parameterCount(),
    examples: examples.length,
  };
}
