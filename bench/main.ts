/**
 * `npm run bench`: every area's benchmark in turn; each prints its table and writes JSON under .bench/.
 * `npm run bench -- --only data,metrics` runs a subset; `--quick` shortens the ones that support it.
 */
import { runDataBench } from './data.js';
import { runDecodeBench } from './decode.js';
import { runInteropBench } from './interop.js';
import { runLoadMemoryBench } from './load-memory.js';
import { runMemoryBench } from './memory.js';
import { runMetricsBench } from './metrics.js';
import { runOpsBench } from './ops.js';
import { runSamplingBench } from './sampling.js';
import { runTokenizeBench } from './tokenize.js';
import { runTrackBench } from './track.js';
import { runTrainBench } from './train.js';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const onlyArg = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const want = (name: string): boolean => only === null || only.has(name);

if (want('ops')) await runOpsBench({ quick });
if (want('track')) await runTrackBench({ quick });
if (want('metrics')) runMetricsBench();
if (want('tokenize')) await runTokenizeBench();
if (want('data')) await runDataBench({ keep: true });
if (want('train')) runTrainBench({ configs: quick ? ['baby'] : undefined });
if (want('sampling')) runSamplingBench({ reps: quick ? 15 : undefined });
if (want('decode')) await runDecodeBench({ quick });
if (want('interop')) await runInteropBench({ quick });
if (want('memory')) runMemoryBench({ quick });
if (want('load-memory')) runLoadMemoryBench();
