/**
 * `llmk <command>`: one file per command under ./commands, each a thin shell over the library.
 * Only the CLI turns errors into exit codes; library code never exits the process.
 */
import { Command, CommanderError } from 'commander';
import { LlmkError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerBench } from './commands/bench.js';
import { registerConvert } from './commands/convert.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerData } from './commands/data.js';
import { registerExplain } from './commands/explain.js';
import { registerEval, registerFinetune, registerPredict } from './commands/finetune.js';
import { anyModelLoader, registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPretrain } from './commands/pretrain.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerTokenizer } from './commands/tokenizer.js';

function buildProgram(): Command {
  const program = new Command('llmk')
    .description('The whole life of a transformer language model on Node.js.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  registerBench(program);
  registerMetrics(program);
  registerQuickstart(program);
  registerPretrain(program);
  registerDashboard(program);
  registerTokenizer(program);
  registerData(program);
  registerFinetune(program);
  registerEval(program);
  registerPredict(program);
  registerExplain(program);
  registerGenerate(program, anyModelLoader);
  registerConvert(program);
  registerInspect(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof LlmkError) {
      process.stderr.write(`error ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv);
