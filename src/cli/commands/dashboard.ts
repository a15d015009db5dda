/** `llmk dashboard [RUNS_DIR]`: serves the run dashboard until interrupted. */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { startDashboard } from '../../track/dashboard/server.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `--port ${value} is not a port number`,
      'use 0..65535 (0 picks a free port)',
    );
  }
  return port;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('Serve a local web page plotting the runs in RUNS_DIR, live while they train.')
    .argument('[RUNS_DIR]', 'folder holding run directories', 'runs')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '6006')
    .option('--host <addr>', 'interface to bind', '127.0.0.1')
    .action(async (runsDir: string, opts: { port: string; host: string }) => {
      const dashboard = await startDashboard({ runsDir, host: opts.host, port: parsePort(opts.port) });
      process.stdout.write(`llmk dashboard: ${dashboard.url} (runs in ${runsDir}; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await dashboard.close();
    });
}
