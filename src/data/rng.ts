/** The data pipeline draws from the library's one seeded generator (tensor/random.ts). */
export { Rng, type RngState } from '../tensor/random.js';
