/** `npm run bench`: every area's benchmark in turn; each prints a table and writes JSON under .bench/. */
import { runDecodeBench } from './decode.js';
import { runTokenizeBench } from './tokenize.js';
import { runTrackBench } from './track.js';

const quick = process.argv.includes('--quick');
await runTrackBench({ quick });
await runTokenizeBench();
await runDecodeBench({ quick });
