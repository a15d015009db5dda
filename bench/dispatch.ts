/**
 * Small-op dispatch overhead: ns per call of tiny kernels through NativeBackend (f32 routing, the
 * argument-error wrapper) against the same addon function called directly, in the same process.
 * The kernels do almost no work at these sizes, so the difference is the TypeScript dispatch.
 *   node --import tsx bench/dispatch.ts [--calls N] [--rounds R]
 */
import { UnaryOp } from '../src/tensor/backend.js';
import { loadNativeAddon, NativeBackend, nativeLoadError } from '../src/tensor/backends/native.js';
import { createReferenceBackend } from '../src/tensor/backends/reference.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const addon = loadNativeAddon();
if (!addon) throw new Error(`native addon not built: ${nativeLoadError()}`);
const calls = arg('--calls', 200_000);
const rounds = arg('--rounds', 5);
const k = new NativeBackend(addon, createReferenceBackend());
addon.setThreads(1);

const x = new Float32Array(8).fill(0.5);
const out = new Float32Array(8);
const stats = new Float32Array(1);
const ids = Int32Array.from([3]);
const strides = [4, 1];
const shape = [2, 4];
const noMask = [0, 0, 0];

// [name, through the backend, the addon directly]
const cases: [string, () => void, () => void][] = [
  ['unary (5 args)', () => k.unary(UnaryOp.exp, out, x, 8, 0), () => addon.unary(UnaryOp.exp, out, x, 8, 0)],
  [
    'binary (7 args)',
    () => k.binary(0, out, x, strides, x, strides, shape),
    () => addon.binary(0, out, x, strides, x, strides, shape),
  ],
  ['accumulate (4 args)', () => k.accumulate(out, x, 8, 1), () => addon.accumulate(out, x, 8, 1)],
  [
    'layerNormForward (9 args)',
    () => k.layerNormForward(out, stats, stats, x, null, null, 1, 8, 1e-5),
    () => addon.layerNormForward(out, stats, stats, x, null, null, 1, 8, 1e-5),
  ],
  [
    'crossEntropyForward (8 args)',
    () => k.crossEntropyForward(stats, stats, x, ids, 1, 8, -100, 0),
    () => addon.crossEntropyForward(stats, stats, x, ids, 1, 8, -100, 0),
  ],
  [
    'attentionForward (15 args)',
    () => k.attentionForward(out, stats, x, x, x, null, noMask, 1, 1, 1, 1, 1, 8, 1, true),
    () => addon.attentionForward(out, stats, x, x, x, null, noMask, 1, 1, 1, 1, 1, 8, 1, true),
  ],
];

function nsPerCall(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn();
  return Number(process.hrtime.bigint() - t0) / calls;
}

console.log('kernel                          backend ns  direct ns  overhead ns');
for (const [name, viaBackend, direct] of cases) {
  let best = [Infinity, Infinity];
  // Alternate the two so both see the same machine load; keep each side's best round.
  for (let r = 0; r < rounds; r++)
    best = [Math.min(best[0], nsPerCall(viaBackend)), Math.min(best[1], nsPerCall(direct))];
  const [b, d] = best;
  console.log(
    `${name.padEnd(30)} ${b.toFixed(0).padStart(10)} ${d.toFixed(0).padStart(10)} ${(b - d).toFixed(0).padStart(12)}`,
  );
}
