/** `npm run bench`: every area's benchmark in turn; each prints a table and writes JSON under .bench/. */
import { runTokenizeBench } from './tokenize.js';
import { runTrackBench } from './track.js';

const quick = process.argv.includes('--quick');
await runTrackBench({ quick });
await runTokenizeBench();
/** `npm run bench`: every benchmark, each printing its table and writing JSON under .bench/. */
import { runMetricsBench } from './metrics.js';

runMetricsBench();
/** `npm run bench`: every area's benchmark in turn; each prints its table and writes its JSON. */
import { runDataBench } from './data.js';

await runDataBench({ keep: true });
