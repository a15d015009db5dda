/**
 * Ctrl-C (SIGINT) and SIGTERM for every command. A command that handles the signal itself
 * (training saves a checkpoint and stops; the dashboard closes) has its own listener and finishes;
 * the CLI then exits 130 (128 + SIGINT, what shells report) unless the command says the signal was
 * its ordinary end (a server). Otherwise nothing is worth finishing: the partial outputs are removed
 * and the process exits 130 at once.
 */
import { removePartials } from '../formats/output.js';

export const EXIT_INTERRUPTED = 130;

let interrupted = false;
let signalIsNormalEnd = false;

function onSignal(signal: NodeJS.Signals): void {
  interrupted = true;
  if (process.listenerCount(signal) > 1) return;
  removePartials();
  process.stderr.write(`llmk: interrupted (${signal}); partial outputs removed\n`);
  process.exit(EXIT_INTERRUPTED);
}

export function installInterruptHandlers(): () => void {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** For commands whose normal end is a signal (the dashboard server). */
export function signalEndsNormally(): void {
  signalIsNormalEnd = true;
}

/** The exit status of a command that returned: 130 when a signal cut its work short. */
export function exitStatusAfterSignal(): number {
  return interrupted && !signalIsNormalEnd ? EXIT_INTERRUPTED : 0;
}
