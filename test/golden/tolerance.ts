/** The error measure of the PyTorch golden tests: max |a − b| / max(max |b|, 1e-6). */
import assert from 'node:assert/strict';

export function scaledMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-6);
}
