/** Adversarial training (FGM, PGD, FreeLB) and robustness evaluation under seeded text attacks. */
export {
  ADVERSARIAL_METHODS,
  type AdversarialMethod,
  AdversarialObjective,
  type AdversarialOptions,
  type AdversarialStepInfo,
  embeddingModuleOf,
  resolveAdversarialOptions,
} from './adversarial.js';
export {
  type AttackedModel,
  evaluateUnderAttack,
  type RobustnessOptions,
  type RobustnessReport,
} from './evaluate.js';
export {
  ATTACKS,
  type AttackName,
  type PerturbResult,
  perturbText,
  perturbUnit,
  perturbUnits,
} from './perturb.js';
