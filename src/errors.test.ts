import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, LlmkError } from './errors.js';

test('LlmkError carries a stable code and a hint in its message', () => {
  const err = new LlmkError(
    'LLMK_E_SHAPE',
    'matmul (2,3)x(4,5): inner dims differ',
    'did you mean transpose?',
  );
  assert.equal(err.code, 'LLMK_E_SHAPE');
  assert.equal(err.message, 'LLMK_E_SHAPE: matmul (2,3)x(4,5): inner dims differ; did you mean transpose?');
  assert.throws(() => check(false, 'LLMK_E_ARG', () => 'bad'), /LLMK_E_ARG: bad/);
  assert.doesNotThrow(() => check(true, 'LLMK_E_ARG', () => 'bad'));
});
