/**
 * What the Trainer trains: a module, how to draw a training micro-batch and its loss, how to
 * evaluate, and how to write the model's own files into a checkpoint directory. Causal LM, masked
 * LM + NSP and the fine-tuning tasks are each one Objective; the loop around them is shared.
 */
import type { Rng as DataRng } from '../data/rng.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EvalMetrics {
  /** Mean validation loss (drives best-checkpoint tracking and early stopping). */
  loss: number;
  [metric: string]: number;
}

export interface Objective {
  readonly model: Module;
  /** Tokens (or examples) one micro-batch holds, for throughput figures. */
  readonly unitsPerBatch: number;
  /**
   * Draws the next training micro-batch with `rng` and returns its scalar loss (recorded for
   * autograd). Called inside an engine scope; everything but the loss may be temporary.
   */
  trainLoss(rng: DataRng): Tensor;
  /** Validation metrics, or null when there is no validation data. Called in eval mode under noGrad. */
  evaluate(): EvalMetrics | null;
  /** Writes the model files (config.json, model.safetensors, tokenizer.json, …) into `dir`. */
  saveModel(dir: string): void;
}
