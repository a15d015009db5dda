/** `llmk dashboard [RUNS_DIR]`: serves the run dashboard until interrupted. */
import type { Command } from 'commander';
import { startDashboard } from '../../track/dashboard/server.js';
import { portFlag } from '../flags.js';
import { signalEndsNormally } from '../interrupt.js';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('Serve a local web page plotting the runs in RUNS_DIR, live while they train.')
    .argument('[RUNS_DIR]', 'folder holding run directories', 'runs')
    .option('--port <n>', 'port to listen on (0 picks a free one)', portFlag('--port'), 6006)
    .option('--host <addr>', 'interface to bind', '127.0.0.1')
    .action(async (runsDir: string, opts: { port: number; host: string }) => {
      const dashboard = await startDashboard({ runsDir, host: opts.host, port: opts.port });
      process.stdout.write(`llmk dashboard: ${dashboard.url} (runs in ${runsDir}; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          // A server's ordinary end is a signal: exit 0, not 130.
          signalEndsNormally();
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
