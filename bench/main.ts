/** `npm run bench`: every benchmark, each printing its table and writing JSON under .bench/. */
import { runMetricsBench } from './metrics.js';

runMetricsBench();
