/** Worker side of count.ts: counts the documents it is sent, replies with its Map when told `done`. */
import { parentPort, workerData } from 'node:worker_threads';
import { countInto, type PreTokenizeScheme } from './count.js';

const { scheme, specials } = workerData as { scheme: PreTokenizeScheme; specials: string[] };
const words = new Map<string, number>();
parentPort?.on('message', (msg: { type: 'doc'; doc: string } | { type: 'done' }) => {
  if (msg.type === 'doc') {
    countInto(words, msg.doc, scheme, specials);
    parentPort?.postMessage({ type: 'ack' });
  } else {
    parentPort?.postMessage({ type: 'result', words });
  }
});
