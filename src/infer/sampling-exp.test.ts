import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/random.js';
import { EXP_MATCHES_ENGINE, expFdlibm } from './sampling-exp.js';

test('expFdlibm gives the same bits as Math.exp (2M arguments: f32 logit differences, the whole range, tiny, special; positive ones go to Math.exp)', () => {
  assert.ok(EXP_MATCHES_ENGINE, "this engine's Math.exp is not fdlibm's: the sampler falls back to it");
  const rng = new Rng(3);
  const f32 = new Float32Array(2);
  let bad = 0;
  const first: number[] = [];
  for (let r = 0; r < 2_000_000; r++) {
    let x: number;
    const mode = r % 4;
    if (mode === 0) {
      // What the sampler computes: the difference of two float32 logits.
      f32[0] = 30 * rng.normal();
      f32[1] = 30 * rng.normal();
      x = f32[0] - f32[1];
    } else if (mode === 1) x = -60 * rng.uniform();
    else if (mode === 2) x = (2 * rng.uniform() - 1) * 720;
    else x = (2 * rng.uniform() - 1) * 2 ** (-40 * rng.uniform());
    if (!Object.is(expFdlibm(x), Math.exp(x))) {
      bad++;
      if (first.length < 5) first.push(x);
    }
  }
  const special = [0, -0, 1, -1, 2, Infinity, -Infinity, Number.NaN, 700, -700, 709, -709, -745, -746];
  for (const x of special) if (!Object.is(expFdlibm(x), Math.exp(x))) first.push(x);
  assert.equal(bad, 0, `first differing arguments: ${first}`);
  assert.deepEqual(first, []);
});
