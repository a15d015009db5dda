/** Explanations: integrated gradients, gradient × input, attention rollout, HTML reports. */
export {
  EXPLAIN_METHODS,
  type ExplainedModel,
  type ExplainMethod,
  type ExplainOptions,
  type Explanation,
  explainClassifier,
} from './classifier.js';
export { renderExplanationHtml } from './html.js';
export {
  type Attribution,
  approximationParameters,
  type EmbeddingFunction,
  gradientTimesInput,
  INTEGRATION_METHODS,
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
  type IntegrationMethod,
  integratedGradients,
  legendreGauss,
  withFrozen,
} from './integrated-gradients.js';
export { addResidual, attentionRollout, type Matrix, meanHeads } from './rollout.js';
