/**
 * `llmk tokenizer train|encode|decode|convert`: a thin shell over src/tokenize.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { checkInputFile, checkOutput } from '../../formats/output.js';
import { HfTokenizerAdapter, type TemplateName } from '../../tokenize/hf.js';
import { loadTokenizer, tokenizerFromGpt2Files } from '../../tokenize/load.js';
import { type TrainType, trainTokenizer } from '../../tokenize/train.js';
import type { Tokenizer } from '../../tokenize/types.js';
import { Progress, type ProgressMode } from '../../track/progress.js';
import { intFlag } from '../flags.js';

const TYPES: TrainType[] = ['bpe', 'wordpiece', 'unigram', 'char'];

function refuseExisting(path: string, force: boolean | undefined, inputs: readonly string[]): void {
  for (const input of inputs) checkInputFile(input, 'INPUT');
  checkOutput({ path, kind: 'file', force, flag: '--output', inputs });
}

/** Empty training text used to "succeed" with the 256 byte tokens only; refuse it by name. */
function refuseEmptyInputs(inputs: readonly string[]): void {
  const blank = (f: string): boolean => {
    const st = statSync(f, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) return false; // the reader reports these
    return st.size === 0 || (st.size < 1 << 16 && readFileSync(f, 'utf8').trim() === '');
  };
  if (inputs.every(blank))
    throw new LlmkError(
      'LLMK_E_DATA',
      `no training text: ${inputs.join(', ')} ${inputs.length === 1 ? 'is' : 'are'} empty`,
      'give UTF-8 text files with the corpus to learn the vocabulary from',
    );
}

function writeOut(tok: Tokenizer, output: string, force: boolean | undefined): void {
  tok.save(output, { force });
  process.stderr.write(`wrote ${output} (${tok.kind}, vocab ${tok.vocabSize})\n`);
}

export function registerTokenizer(program: Command): void {
  const cmd = program.command('tokenizer').description('Train, convert and run tokenizers.');

  cmd
    .command('train')
    .description('Train a tokenizer on text files and write tokenizer.json.')
    .argument('<input...>', 'UTF-8 text files')
    .requiredOption('-o, --output <path>', 'where to write tokenizer.json')
    .option('-t, --type <type>', `one of ${TYPES.join(', ')}`, 'bpe')
    .option(
      '--vocab-size <n>',
      'vocabulary size, special tokens included',
      intFlag('--vocab-size', { min: 1, example: 32000 }),
      32000,
    )
    .option('--special <tokens>', 'comma-separated special tokens, given ids 0..n-1')
    .option('--template <name>', 'special-token template saved with the tokenizer: bert or gpt')
    .option('--progress <mode>', 'bar, json or quiet', 'bar')
    .option('--force', 'replace an existing output file')
    .action(
      async (
        inputs: string[],
        opts: {
          output: string;
          type: string;
          vocabSize: number;
          special?: string;
          template?: string;
          progress: string;
          force?: boolean;
        },
      ) => {
        if (opts.template !== undefined && opts.template !== 'bert' && opts.template !== 'gpt') {
          throw new LlmkError('LLMK_E_ARG', `unknown --template '${opts.template}'`, 'use bert or gpt');
        }
        if (!TYPES.includes(opts.type as TrainType)) {
          throw new LlmkError(
            'LLMK_E_ARG',
            `unknown --type '${opts.type}'`,
            `use one of ${TYPES.join(', ')}`,
          );
        }
        refuseExisting(opts.output, opts.force, inputs);
        refuseEmptyInputs(inputs);
        const tok = await trainTokenizer({
          type: opts.type as TrainType,
          files: inputs,
          vocabSize: opts.vocabSize,
          specialTokens: opts.special
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          progress: opts.progress as ProgressMode,
        });
        if (opts.template !== undefined) {
          if (!(tok instanceof HfTokenizerAdapter)) {
            throw new LlmkError(
              'LLMK_E_ARG',
              `--template applies to bpe, wordpiece and unigram, not ${opts.type}`,
            );
          }
          tok.setTemplate(opts.template as TemplateName);
        }
        if (tok.vocabSize < opts.vocabSize)
          process.stderr.write(
            `warning: the vocabulary has ${tok.vocabSize} tokens, fewer than --vocab-size ${opts.vocabSize}: ` +
              'the training text is too small to learn more merges; give more text or a smaller --vocab-size\n',
          );
        writeOut(tok, opts.output, opts.force);
      },
    );

  cmd
    .command('convert')
    .description('Write a tokenizer.json from a GGUF file, or from GPT-2 encoder.json + vocab.bpe.')
    .argument('<input...>', 'model.gguf | encoder.json vocab.bpe')
    .requiredOption('-o, --output <path>', 'where to write the tokenizer')
    .option('--force', 'replace an existing output file')
    .action((inputs: string[], opts: { output: string; force?: boolean }) => {
      refuseExisting(opts.output, opts.force, inputs);
      let tok: Tokenizer;
      if (inputs.length === 2) tok = tokenizerFromGpt2Files(inputs[0], inputs[1]);
      else if (inputs.length === 1) tok = loadTokenizer(inputs[0]);
      else throw new LlmkError('LLMK_E_ARG', 'convert takes one GGUF file or encoder.json + vocab.bpe');
      writeOut(tok, opts.output, opts.force);
    });

  cmd
    .command('encode')
    .description('Print token ids for TEXT, or for each line of --input FILE.')
    .argument('[text]', 'text to encode')
    .requiredOption('--tokenizer <path>', 'tokenizer.json, .gguf or llama2.c tokenizer.bin')
    .option('-i, --input <path>', 'encode each line of this file')
    .option('--pair <text>', 'second sequence (e.g. BERT sentence B)')
    .option('--no-special', 'do not add template special tokens')
    .option('--json', 'print the full encoding (tokens, offsets, word ids, masks) as JSON')
    .action(
      async (
        text: string | undefined,
        opts: { tokenizer: string; input?: string; pair?: string; special: boolean; json?: boolean },
      ) => {
        const tok = loadTokenizer(opts.tokenizer);
        const print = async (t: string, pair?: string): Promise<void> => {
          const enc = await tok.encode(t, pair, { addSpecialTokens: opts.special });
          process.stdout.write(`${opts.json ? JSON.stringify(enc) : enc.ids.join(' ')}\n`);
        };
        if (opts.input !== undefined) {
          if (!existsSync(opts.input))
            throw new LlmkError('LLMK_E_NOT_FOUND', `input file ${opts.input} does not exist`);
          const lines = readFileSync(opts.input, 'utf8').split('\n');
          if (lines.at(-1) === '') lines.pop();
          const big = lines.length > 10000; // below this encoding takes well under a second
          const progress = new Progress({
            label: 'encode',
            total: lines.length,
            unit: 'lines',
            mode: big ? 'bar' : 'quiet',
          });
          // Batches of 1024 lines: one call into the Rust tokenizer per batch instead of per line.
          for (let i = 0; i < lines.length; i += 1024) {
            const batch = await tok.encodeBatch(lines.slice(i, i + 1024), { addSpecialTokens: opts.special });
            const out = batch.map((enc) => (opts.json ? JSON.stringify(enc) : enc.ids.join(' ')));
            process.stdout.write(`${out.join('\n')}\n`);
            progress.update(Math.min(lines.length, i + 1024));
          }
          progress.finish();
        } else if (text !== undefined) {
          await print(text, opts.pair);
        } else {
          throw new LlmkError('LLMK_E_ARG', 'nothing to encode', 'give TEXT or --input FILE');
        }
      },
    );

  cmd
    .command('decode')
    .description('Print the text for token IDS.')
    .argument('<ids...>', 'token ids')
    .requiredOption('--tokenizer <path>', 'tokenizer.json, .gguf or llama2.c tokenizer.bin')
    .option('--skip-special', 'drop special tokens')
    .action(async (ids: string[], opts: { tokenizer: string; skipSpecial?: boolean }) => {
      const tok = loadTokenizer(opts.tokenizer);
      const numbers = ids
        .flatMap((s) => s.split(/[\s,]+/))
        .filter(Boolean)
        .map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 0 || n >= tok.vocabSize) {
            throw new LlmkError('LLMK_E_ARG', `'${s}' is not a token id (vocab ${tok.vocabSize})`);
          }
          return n;
        });
      process.stdout.write(`${await tok.decode(numbers, { skipSpecialTokens: opts.skipSpecial })}\n`);
    });
}
