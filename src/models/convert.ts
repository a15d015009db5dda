/**
 * Format conversion between Hugging Face directories, llama2.c checkpoints and GGUF, through the
 * in-memory model: load with `loadAnyModel`, then write the target format. The tokenizer travels
 * with the model where the target can hold it (an HF directory gets tokenizer.json, or llama2.c's
 * tokenizer.bin for a llama2.c vocabulary; GGUF gets a `tokenizer.ggml.*` vocabulary).
 */
import { LlmkError } from '../errors.js';
import { writeFileAtomic } from '../formats/atomic.js';
import type { Engine } from '../tensor/engine.js';
import { Llama2cTokenizer } from '../tokenize/llama2c.js';
import { type GgufWeightType, llamaToGguf } from './llama/gguf.js';
import { serializeLlama2c } from './llama/llama2c.js';
import { Llama } from './llama/model.js';
import { detectModelFormat, loadModel, type ModelFormat } from './load.js';
import { saveModel } from './save.js';

export interface ConvertOptions {
  /** Tokenizer file to load with the model (llama2.c checkpoints carry none). */
  tokenizer?: string;
  /** GGUF weight type (default f32). */
  ggufType?: GgufWeightType;
  /** llama2.c layout version to write (default 0, the legacy layout run.c reads). */
  llama2cVersion?: 0 | 1;
}

export interface ConvertSummary {
  from: ModelFormat;
  to: ModelFormat;
  parameters: number;
  /** Whether the output carries the tokenizer. */
  tokenizer: boolean;
}

/** Converts `input` (in format `from`) to `output` in format `to`. */
export function convertModel(
  engine: Engine,
  from: ModelFormat,
  to: ModelFormat,
  input: string,
  output: string,
  options: ConvertOptions = {},
): ConvertSummary {
  const detected = detectModelFormat(input);
  if (detected !== from) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${input} looks like ${detected}, not ${from}`,
      `pass --from ${detected}, or check the path`,
    );
  }
  const loaded = loadModel(engine, input, { tokenizer: options.tokenizer });
  const { model, tokenizer } = loaded;
  if (to === 'hf') {
    saveModel(output, model, {
      tokenizer,
      modelType: loaded.modelType,
      special: { bosTokenId: loaded.bosTokenId, eosTokenId: loaded.eosTokenId },
    });
  } else {
    if (!(model instanceof Llama)) {
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `${to} holds Llama-architecture models; ${input} is ${loaded.modelType}`,
        'convert GPT-2 models to hf only',
      );
    }
    const weights = new Map(model.namedParameters().map(([n, t]) => [n, Float32Array.from(t.values())]));
    if (to === 'llama2c') {
      writeFileAtomic(output, serializeLlama2c(model.config, weights, options.llama2cVersion ?? 0));
    } else {
      const tok = tokenizer instanceof Llama2cTokenizer ? tokenizer : null;
      if (tokenizer && !tok) {
        throw new LlmkError(
          'LLMK_E_UNSUPPORTED',
          `GGUF export of a ${tokenizer.kind} tokenizer`,
          'GGUF vocabularies are written from SentencePiece-style (llama2.c) tokenizers',
        );
      }
      writeFileAtomic(output, llamaToGguf(model, { type: options.ggufType ?? 'f32', tokenizer: tok }));
    }
  }
  // A llama2.c checkpoint has no room for a vocabulary (its tokenizer.bin is a separate file).
  return { from, to, parameters: model.parameterCount(), tokenizer: tokenizer !== null && to !== 'llama2c' };
}
