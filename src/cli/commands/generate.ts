/**
 * `llmk generate --model PATH [--tokenizer PATH] [--prompt TEXT] [sampling flags]`: streams the
 * continuation to stdout; timings go to stderr. A thin shell over `runGenerate` (src/infer/cli.ts).
 * The model is read by the loader the program passes in; `anyModelLoader` reads every format
 * `loadModel` knows (HF directory, llama2.c .bin, GGUF). Without --prompt, generation starts
 * from BOS.
 */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { llama2cCodec, tokenizerCodec } from '../../infer/codec.js';
import type { TextCodec } from '../../infer/generate.js';
import type { CausalLM } from '../../models/causal-lm.js';
import { loadCausalLM, stopTokenIds } from '../../models/load.js';
import type { KVCache } from '../../nn/kv-cache.js';
import { createEngine } from '../../tensor/create.js';
import { Llama2cTokenizer } from '../../tokenize/llama2c.js';
import { intFlag, numberFlag } from '../flags.js';
import { type GenerateIo, runGenerate } from '../generate-run.js';

/** A loaded model directory: the model, its tokenizer as a codec, and its special ids. */
export interface LoadedGenerator<C extends { dispose(): void }> {
  model: CausalLM<C>;
  codec: TextCodec;
  eosTokenId?: number | readonly number[];
  bosTokenId?: number;
}

export type GenerateModelLoader<C extends { dispose(): void }> = (
  path: string,
  options: { tokenizer?: string },
) => Promise<LoadedGenerator<C>>;

/** Loads any supported model format with its tokenizer (llama2.c vocabularies print as llama2.c `run` does). */
export const anyModelLoader: GenerateModelLoader<KVCache> = async (path, options) => {
  const loaded = loadCausalLM(createEngine(), path, options);
  const tok = loaded.tokenizer;
  if (!tok) {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${path} comes with no tokenizer`,
      'pass --tokenizer PATH (llama2.c checkpoints need their tokenizer.bin)',
    );
  }
  return {
    model: loaded.model,
    codec: tok instanceof Llama2cTokenizer ? llama2cCodec(tok) : tokenizerCodec(tok),
    eosTokenId: stopTokenIds(loaded),
    bosTokenId: loaded.bosTokenId,
  };
};

interface GenerateFlags {
  model: string;
  tokenizer?: string;
  prompt: string;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  maxTokens: number;
  seed: number;
  stop?: string[];
  echo?: boolean;
  quiet?: boolean;
}

export function registerGenerate<C extends { dispose(): void }>(
  program: Command,
  load: GenerateModelLoader<C>,
  io: GenerateIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  program
    .command('generate')
    .description(
      'Generate text from a model (HF directory, llama2.c .bin or GGUF), streaming it to stdout (stats on stderr).',
    )
    .requiredOption('-m, --model <path>', 'HF model directory, llama2.c checkpoint or GGUF file')
    .option(
      '--tokenizer <path>',
      'tokenizer file (tokenizer.json, llama2.c tokenizer.bin, GGUF); default: the model’s own',
    )
    .option('-p, --prompt <text>', 'the text to continue; default: start from BOS', '')
    .option(
      '-t, --temperature <t>',
      'softmax temperature; 0 = greedy',
      numberFlag('-t, --temperature', { min: 0, example: 0.8 }),
      1,
    )
    .option(
      '--top-k <k>',
      'keep the k most likely tokens; 0 = all',
      intFlag('--top-k', { min: 0, example: 40 }),
      0,
    )
    .option(
      '--top-p <p>',
      'nucleus sampling mass in (0, 1]; 1 = all',
      numberFlag('--top-p', { min: 0, minExclusive: true, max: 1, example: 0.9 }),
      1,
    )
    .option(
      '--min-p <p>',
      'drop tokens below p × the top probability; 0 = off',
      numberFlag('--min-p', { min: 0, max: 1, example: 0.05 }),
      0,
    )
    .option(
      '--repetition-penalty <r>',
      'CTRL penalty on repeated tokens; 1 = off',
      numberFlag('--repetition-penalty', { min: 0, minExclusive: true, example: 1.1 }),
      1,
    )
    .option(
      '-n, --max-tokens <n>',
      'new tokens at most',
      intFlag('-n, --max-tokens', { min: 1, example: 64 }),
      64,
    )
    .option(
      '--seed <s>',
      'sampling seed (same seed, same text)',
      intFlag('--seed', { min: 0, example: 42 }),
      0,
    )
    .option('--stop <strings...>', 'stop when the text contains one of these (it is not printed)')
    .option('--echo', 'print the prompt before the continuation')
    .option('-q, --quiet', 'no stats line on stderr')
    .action(async (flags: GenerateFlags) => {
      const loaded = await load(flags.model, { tokenizer: flags.tokenizer });
      await runGenerate(
        loaded.model,
        loaded.codec,
        {
          prompt: flags.prompt,
          temperature: flags.temperature,
          topK: flags.topK,
          topP: flags.topP,
          minP: flags.minP,
          repetitionPenalty: flags.repetitionPenalty,
          maxTokens: flags.maxTokens,
          seed: flags.seed,
          stop: flags.stop,
          eosTokenId: loaded.eosTokenId,
          bosTokenId: loaded.bosTokenId,
          echo: flags.echo,
          quiet: flags.quiet,
        },
        io,
      );
    });
}
