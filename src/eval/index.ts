/** Evaluation metrics: BLEU, chrF, ROUGE, perplexity, classification and span scores. */
export * from './bleu.js';
export * from './bleuTokenizers.js';
export * from './bootstrap.js';
export * from './chrf.js';
export * from './classification.js';
export * from './perplexity.js';
export * from './porter.js';
export { pyFixed } from './pyString.js';
export * from './rouge.js';
export * from './textFiles.js';
