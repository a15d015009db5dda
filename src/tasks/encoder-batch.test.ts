import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/random.js';
import { checkTokenDropout, dropTokens } from './encoder-batch.js';

const rows = Array.from({ length: 200 }, (_, i) => ({
  ids: [2, 10 + (i % 7), 11, 12, 13, 3],
  typeIds: [0, 0, 0, 0, 0, 0],
}));
const d = { p: 0.25, unkId: 1, keep: new Set([2, 3]) };

test('token dropout replaces ordinary tokens at its rate and never the special ones', () => {
  const out = dropTokens(rows, d, new Rng(7));
  let replaced = 0;
  out.forEach((r, i) => {
    assert.equal(r.ids[0], 2);
    assert.equal(r.ids.at(-1), 3);
    r.ids.forEach((id, t) => {
      if (id === 1) replaced++;
      else assert.equal(id, rows[i].ids[t]);
    });
    assert.deepEqual(r.typeIds, rows[i].typeIds);
  });
  // 800 ordinary tokens at p = 0.25: 200 expected, standard deviation ≈ 12.
  assert.ok(Math.abs(replaced - 200) < 50, `${replaced} replaced`);
  assert.notEqual(out[0].ids, rows[0].ids, 'the input rows are not modified in place');
});

test('without token dropout the rows pass unchanged and the generator is not advanced', () => {
  const a = new Rng(3);
  const b = new Rng(3);
  assert.deepEqual(dropTokens(rows, undefined, a), rows);
  assert.deepEqual(dropTokens(rows, { ...d, p: 0 }, a), rows);
  assert.equal(a.nextFloat(), b.nextFloat());
  assert.throws(() => checkTokenDropout({ ...d, p: 1 }), /LLMK_E_ARG: token dropout 1 is outside \[0, 1\)/);
});
