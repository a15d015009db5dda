/** `llmk convert --from FORMAT --to FORMAT IN OUT` (formats: hf, llama2c, gguf): a thin shell over src/models/convert.ts. */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { checkOutput } from '../../formats/output.js';
import { convertModel } from '../../models/convert.js';
import type { ModelFormat } from '../../models/load.js';
import { createEngine } from '../../tensor/create.js';

const FORMATS: readonly ModelFormat[] = ['hf', 'llama2c', 'gguf'];

function formatArg(flag: string): (value: string) => ModelFormat {
  return (value) => {
    if (!(FORMATS as readonly string[]).includes(value)) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} '${value}' is not a model format`,
        `use one of ${FORMATS.join(', ')}`,
      );
    }
    return value as ModelFormat;
  };
}

interface ConvertFlags {
  from: ModelFormat;
  to: ModelFormat;
  tokenizer?: string;
  type: string;
  llama2cVersion: string;
  force?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('Convert a model between formats: hf (Hugging Face directory), llama2c (.bin), gguf.')
    .requiredOption('--from <format>', 'input format: hf, llama2c or gguf', formatArg('--from'))
    .requiredOption('--to <format>', 'output format: hf, llama2c or gguf', formatArg('--to'))
    .option('--tokenizer <path>', 'tokenizer to carry along (llama2.c checkpoints need their tokenizer.bin)')
    .option('--type <type>', 'GGUF weight type: f32 or q8_0', 'f32')
    .option('--llama2c-version <v>', 'llama2.c layout to write: 0 (legacy, what run.c reads) or 1', '0')
    .option('--force', 'replace an existing output (a model directory for hf, a file otherwise)')
    .argument('<in>', 'input model path')
    .argument('<out>', 'output path (a directory for hf)')
    .action((input: string, output: string, flags: ConvertFlags) => {
      if (flags.type !== 'f32' && flags.type !== 'q8_0') {
        throw new LlmkError('LLMK_E_ARG', `--type '${flags.type}' is not supported`, 'use f32 or q8_0');
      }
      if (flags.llama2cVersion !== '0' && flags.llama2cVersion !== '1') {
        throw new LlmkError('LLMK_E_ARG', `--llama2c-version '${flags.llama2cVersion}'`, 'use 0 or 1');
      }
      // An existing HF directory or .gguf used to be replaced silently (the HF one wholesale).
      checkOutput({
        path: output,
        kind: flags.to === 'hf' ? 'dir' : 'file',
        force: flags.force,
        flag: 'OUT',
        inputs: [input, flags.tokenizer],
      });
      const summary = convertModel(createEngine(), flags.from, flags.to, input, output, {
        tokenizer: flags.tokenizer,
        ggufType: flags.type,
        llama2cVersion: flags.llama2cVersion === '1' ? 1 : 0,
      });
      process.stderr.write(
        `converted ${input} (${summary.from}) → ${output} (${summary.to}): ${summary.parameters} parameters` +
          `${summary.tokenizer ? ', with tokenizer' : ', no tokenizer'}\n`,
      );
    });
}
