/** Task encodings and predictions that training and inference share. */
export {
  type ClassificationExample,
  classificationLoss,
  classificationMetrics,
  encodeClassification,
  encodeTexts,
  predictClassification,
  type SequenceClassifier,
} from './classification.js';
export type { EncodedText, TokenDropout } from './encoder-batch.js';
export {
  encodeNer,
  encodeWords,
  type NerExample,
  predictTokens,
  type TokenClassifier,
  tokenClassificationLoss,
} from './token-classification.js';
