/** Bad input to the tensor layer raises typed errors with stable codes and a hint. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { createEngine } from './create.js';
import { add } from './ops/elementwise.js';
import { crossEntropy } from './ops/fused.js';
import { matmul } from './ops/matmul.js';
import { sum } from './ops/reduce.js';
import { reshape } from './ops/shape.js';

const engine = createEngine({ backend: 'reference' });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LlmkError, `not an LlmkError: ${e}`);
    assert.ok(e.hint.length > 0, 'every error carries a hint');
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

test('shape mismatches name both shapes and suggest the fix', () => {
  engine.scope(() => {
    const a = engine.zeros([2, 3]);
    const b = engine.zeros([4, 5]);
    assert.match(
      code(() => matmul(a, b)),
      /LLMK_E_SHAPE: matmul \(2,3\) x \(4,5\): inner dims differ \(3 vs 4\).*transpose/,
    );
    assert.match(
      code(() => add(a, engine.zeros([3, 2]))),
      /LLMK_E_SHAPE: shapes \(2,3\) and \(3,2\) do not broadcast/,
    );
    assert.match(
      code(() => reshape(a, [4, 2])),
      /LLMK_E_SHAPE: cannot reshape 6 elements to \(4,2\)/,
    );
  });
});

test('dtype mismatches', () => {
  engine.scope(() => {
    const f = engine.zeros([3]);
    const i = engine.zeros([3], 'i32');
    assert.match(
      code(() => add(f, i)),
      /LLMK_E_DTYPE: binary op on f32 \(3\) and i32 \(3\)/,
    );
    assert.match(
      code(() => crossEntropy(engine.zeros([3, 4]), f)),
      /LLMK_E_DTYPE: expected an i32 tensor/,
    );
  });
});

test('backward on a non-scalar without a gradient, and on a tensor that needs none', () => {
  engine.scope(() => {
    const x = engine.ones([3]);
    x.requiresGrad = true;
    const y = add(x, x);
    assert.match(
      code(() => y.backward()),
      /LLMK_E_GRAD: backward\(\) on a non-scalar tensor \(3\) without a gradient/,
    );
    assert.match(
      code(() => sum(engine.ones([2])).backward()),
      /LLMK_E_GRAD: backward\(\) on a tensor \(\) that does not require grad/,
    );
  });
});

test('use after dispose, including a tensor freed by its scope', () => {
  const kept = engine.scope(() => {
    const inner = engine.ones([2]);
    return { inner, alive: engine.ones([1]) };
  });
  const escaped = engine.scope(() => engine.zeros([2]));
  escaped.dispose();
  assert.match(
    code(() => escaped.toArray()),
    /LLMK_E_DISPOSED: tensor \(2\) was used after dispose/,
  );
  let leaked = engine.zeros([1]);
  engine.scope(() => {
    leaked = engine.ones([5]);
  });
  assert.match(
    code(() => leaked.toArray()),
    /LLMK_E_DISPOSED: tensor \(5\) was used after dispose/,
  );
  assert.deepEqual(kept.inner.toArray(), [1, 1], 'tensors returned from a scope survive it');
});
