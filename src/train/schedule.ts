/** Learning-rate schedules: linear warmup, then cosine / linear decay to minLr, or constant. */
export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface ScheduleOptions {
  kind: ScheduleKind;
  lr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate for optimizer step `step` (0-based), nanoGPT's get_lr for 'cosine'. */
export function learningRate(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  if (o.kind === 'constant') return o.lr;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const ratio = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
  const coeff = o.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * ratio)) : 1 - ratio;
  return o.minLr + coeff * (o.lr - o.minLr);
}
