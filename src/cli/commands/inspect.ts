/** `llmk inspect PATH`: a thin shell over src/io/inspect.ts. */
import type { Command } from 'commander';
import { formatInspection, inspectModel } from '../../models/inspect.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Print a model file’s architecture, parameter count, dtypes and tensor table.')
    .argument('<path>', 'HF model directory, llama2.c checkpoint or GGUF file')
    .option('--json', 'print JSON instead of text')
    .action((path: string, flags: { json?: boolean }) => {
      const r = inspectModel(path);
      process.stdout.write(flags.json ? `${JSON.stringify(r, null, 2)}\n` : formatInspection(r));
    });
}
