/**
 * Marian's sinusoidal positions as transformers' MarianSinusoidalPositionalEmbedding lays them out
 * (`models/marian/modeling_marian.py`, `_init_weight`): "Identical to the XLM
 * create_sinusoidal_embeddings except features are not interleaved. The cos features are in the 2nd
 * half of the vector." With angle(p, j) = p / 10000^(2j/C) for j < C/2:
 *   table[p, j] = sin(angle(p, j)),  table[p, C/2 + j] = cos(angle(p, j)).
 * HF computes the angles in float64 (numpy) and stores float32; so does this. Positions start at 0
 * (no padding offset). The table is a constant, not a checkpoint tensor (HF ignores it on save).
 */
import type { Engine } from '../../tensor/engine.js';
import type { Tensor } from '../../tensor/tensor.js';

export class SinusoidalPositions {
  private readonly values: Float32Array;

  constructor(
    readonly count: number,
    readonly dim: number,
  ) {
    const half = dim / 2;
    this.values = new Float32Array(count * dim);
    for (let p = 0; p < count; p++) {
      for (let j = 0; j < half; j++) {
        const angle = p / 10000 ** ((2 * j) / dim);
        this.values[p * dim + j] = Math.sin(angle);
        this.values[p * dim + half + j] = Math.cos(angle);
      }
    }
  }

  /** Rows start … start + T − 1 → (T, C). */
  table(engine: Engine, start: number, T: number): Tensor {
    return engine.tensor(
      this.values.subarray(start * this.dim, (start + T) * this.dim),
      [T, this.dim],
      'f32',
    ); // (T, C)
  }
}
