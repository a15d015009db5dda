/** Evaluation metrics: BLEU, chrF, TER, ROUGE, perplexity, classification and span scores. */
export * from './bleu.js';
export * from './bleu-tokenizers.js';
export {
  type BootstrapInterval,
  type BootstrapOptions,
  bootstrapIntervals,
  percentileSorted,
} from './bootstrap.js';
export * from './chrf.js';
export * from './classification.js';
export * from './perplexity.js';
export { porterStem } from './porter.js';
export { pyFixed } from './py-string.js';
export * from './rouge.js';
export * from './spans.js';
export * from './tag-decode.js';
export * from './ter.js';
export * from './text-files.js';
