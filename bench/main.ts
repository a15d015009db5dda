/** `npm run bench`: every area's benchmark in turn; each prints a table and writes JSON under .bench/. */
import { runTokenizeBench } from './tokenize.js';

await runTokenizeBench();
