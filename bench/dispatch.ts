/**
 * Small-op dispatch overhead: ns per call of tiny kernels through NativeBackend against the same kernel
 * called without it, in the same process: f32 calls against the addon's plain export, f64 and i32 calls
 * (which the backend hands to its fallback) against the reference backend itself. The kernels do almost
 * no work at these sizes, so the difference is the dispatch. CPU time, best of alternating rounds.
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
const calls = arg('--calls', 30_000);
const rounds = arg('--rounds', 20);
const reference = createReferenceBackend();
const k = new NativeBackend(addon, reference);
addon.setThreads(1);

const x = new Float32Array(8).fill(0.5);
const out = new Float32Array(8);
const stats = new Float32Array(1);
const ids = Int32Array.from([3]);
const strides = [4, 1];
const shape = [2, 4];
const noMask = [0, 0, 0];
const x64 = new Float64Array(8).fill(0.5);
const out64 = new Float64Array(8);
const xi = new Int32Array(8).fill(2);
const outi = new Int32Array(8);

// [name, through the backend, without it]
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
  [
    'f64 unary (fallback)',
    () => k.unary(UnaryOp.exp, out64, x64, 8, 0),
    () => reference.unary(UnaryOp.exp, out64, x64, 8, 0),
  ],
  [
    'f64 layerNormForward (fallback)',
    () => k.layerNormForward(out64, out64, out64, x64, null, null, 1, 8, 1e-5),
    () => reference.layerNormForward(out64, out64, out64, x64, null, null, 1, 8, 1e-5),
  ],
  [
    'i32 binary (fallback)',
    () => k.binary(0, outi, xi, strides, xi, strides, shape),
    () => reference.binary(0, outi, xi, strides, xi, strides, shape),
  ],
];

// CPU time rather than wall time: on a shared machine it leaves out the time other processes ran.
function nsPerCall(fn: () => void): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / calls;
}

console.log('call                             backend ns  without ns  overhead ns');
for (const [name, viaBackend, direct] of cases) {
  let best = [Infinity, Infinity];
  // Alternate the two so both see the same machine load; keep each side's best round.
  for (let r = 0; r < rounds; r++)
    best = [Math.min(best[0], nsPerCall(viaBackend)), Math.min(best[1], nsPerCall(direct))];
  const [b, d] = best;
  console.log(
    `${name.padEnd(32)} ${b.toFixed(0).padStart(10)} ${d.toFixed(0).padStart(11)} ${(b - d).toFixed(0).padStart(12)}`,
  );
}
