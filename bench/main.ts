/** `npm run bench`: every area's benchmark in turn; each prints its table and writes its JSON. */
import { runDataBench } from './data.js';

await runDataBench({ keep: true });
