/** `npm run bench`: every area's benchmark in turn; each prints a table and writes JSON under .bench/. */
import { runOpsBench } from './ops.js';
import { runTokenizeBench } from './tokenize.js';
import { runTrackBench } from './track.js';

const quick = process.argv.includes('--quick');
await runOpsBench({ quick });
await runTokenizeBench();
await runTrackBench({ quick });
