// `npm run bench`: every area's benchmark in one run (each prints its table and writes .bench/<area>.json).
import { runTrackBench } from './track.js';

const quick = process.argv.includes('--quick');
await runTrackBench({ quick });
/** `npm run bench`: every area's benchmark in turn; each prints a table and writes JSON under .bench/. */
import { runTokenizeBench } from './tokenize.js';

await runTokenizeBench();
