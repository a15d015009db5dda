import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PerplexityMeter, perplexity } from './perplexity.js';

test('perplexity of per-token losses is exp(mean)', () => {
  const r = perplexity([1, 2, 3]);
  assert.equal(r.tokens, 3);
  assert.ok(Math.abs(r.perplexity - Math.exp(2)) < 1e-12);
  // A uniform model over V tokens has loss ln V and perplexity V.
  assert.ok(Math.abs(perplexity([Math.log(50257)]).perplexity - 50257) < 1e-6);
});

test('batch mean losses are weighted by token count, not averaged per batch', () => {
  // 3 tokens at loss 1 and 1 token at loss 5: mean per token 2, not (1+5)/2 = 3.
  const r = perplexity([1, 5], [3, 1]);
  assert.ok(Math.abs(r.meanLoss - 2) < 1e-12);
  const m = new PerplexityMeter();
  m.add(1, 3);
  m.add(5, 1);
  assert.ok(Math.abs(m.result().perplexity - Math.exp(2)) < 1e-12);
});

test('losses in bits give 2^mean', () => {
  assert.ok(Math.abs(perplexity([3, 5], undefined, { unit: 'bits' }).perplexity - 16) < 1e-12);
});

test('bad input: no tokens, non-finite loss, mismatched counts', () => {
  assert.throws(() => perplexity([]), { code: 'LLMK_E_DATA' });
  assert.throws(() => perplexity([Number.NaN]), { code: 'LLMK_E_DATA' });
  assert.throws(() => perplexity([1, 2], [1]), { code: 'LLMK_E_ARG' });
});
