/**
 * `llmk <command>`: one file per command under ./commands, each a thin shell over the library.
 * Only the CLI turns errors into exit codes; library code never exits the process.
 */
import { Command, CommanderError } from 'commander';
import { LlmkError } from '../errors.js';
import { removePartials } from '../formats/output.js';
import { VERSION } from '../version.js';
import { registerBench } from './commands/bench.js';
import { registerConvert } from './commands/convert.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerData } from './commands/data.js';
import { registerExplain } from './commands/explain.js';
import { registerEval, registerFinetune, registerPredict } from './commands/finetune.js';
import { anyModelLoader, registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerMerge } from './commands/merge.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPretrain } from './commands/pretrain.js';
import { registerQuickstart } from './commands/quickstart.js';
import { registerTokenizer } from './commands/tokenizer.js';
import { exitStatusAfterSignal, installInterruptHandlers } from './interrupt.js';

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
  registerMerge(program);
  return program;
}

/**
 * A Node system error (EISDIR, ENOENT, EACCES, …) that reached the CLI unconverted: say which path
 * and what to do, as a typed error, instead of a stack trace.
 */
export function systemError(err: unknown): LlmkError | null {
  if (!(err instanceof Error)) return null;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  const path = e.path ?? '(unknown path)';
  switch (e.code) {
    case 'EISDIR':
      return new LlmkError(
        'LLMK_E_IO',
        e.path ? `${e.path} is a directory` : 'an input is a directory where a file is expected',
        'give the path of a file',
      );
    case 'ENOENT':
      return new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'check the path');
    case 'ENOTDIR':
      return new LlmkError('LLMK_E_IO', `a part of ${path} is a file, not a directory`, 'check the path');
    case 'EACCES':
    case 'EPERM':
      return new LlmkError('LLMK_E_IO', `permission denied: ${path}`, 'check the file permissions');
    case 'ENOSPC':
      return new LlmkError(
        'LLMK_E_IO',
        `no space left on the device writing ${path}`,
        'free some disk space',
      );
    default:
      return new LlmkError('LLMK_E_IO', `${e.syscall} ${path} failed (${e.code})`, 'check the path');
  }
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const uninstall = installInterruptHandlers();
  try {
    await program.parseAsync(argv);
    return exitStatusAfterSignal();
  } catch (err) {
    // Every error path removes what was half-written (a typed error mid-stage, a crash).
    removePartials();
    if (err instanceof CommanderError) return err.exitCode;
    const typed = err instanceof LlmkError ? err : systemError(err);
    if (typed) {
      process.stderr.write(`error ${typed.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    uninstall();
  }
}

process.exitCode = await main(process.argv);
