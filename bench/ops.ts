/**
 * Engine kernel benchmarks: native GEMM vs OpenBLAS sgemm (numpy, same run, same thread count), the
 * measured FMA peak, fused attention vs an unfused kernel composition, and elementwise kernels in GB/s
 * vs a large memcpy. Prints a table and writes JSON.
 *   node --import tsx bench/ops.ts [--json FILE] [--quick]      (or: llmk bench ops)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnaryOp } from '../src/tensor/backend.js';
import { loadNativeAddon, NativeBackend, nativeLoadError } from '../src/tensor/backends/native.js';
import { createReferenceBackend } from '../src/tensor/backends/reference.js';

export interface OpsBenchOptions {
  /** Where to write the JSON results (default .bench/ops.json). */
  json?: string;
  /** Fewer shapes and shorter timings (smoke run). */
  quick?: boolean;
  /** Threads for llmk and OpenBLAS alike (default 2). */
  threads?: number;
}

export interface GemmRow {
  /** N: row-major operand; T: stored transposed (op = Xᵀ), e.g. NT is x·Wᵀ with W stored (out, in). */
  op: string;
  m: number;
  k: number;
  n: number;
  gflops: number;
  openblas_gflops: number | null;
  ratio: number | null;
}

/** Caches the addon detected and the GEMM blocking it derived (native `gemmConfig()`, bytes; elements). */
export interface GemmConfig {
  caches: {
    l1d: number;
    l1dWays: number;
    l2: number;
    l3: number;
    l3Share: number;
    line: number;
    source: string;
  };
  blocking: { mr: number; nr: number; kc: number; mc: number; nc: number; source: string };
}

export interface OpsBenchResult {
  threads: number;
  simd: string;
  /** null when the addon predates gemmConfig. */
  gemm_config: GemmConfig | null;
  /**
   * The Python whose numpy ran the anchor, the OPENBLAS_CORETYPE it saw ("auto" when unset) and the
   * kernel set OpenBLAS chose (openblas_get_corename, e.g. Haswell = AVX2, SkylakeX = AVX-512).
   */
  openblas: { python: string; coretype: string; corename: string | null } | null;
  fma_peak_gflops: number | null;
  memcpy_gbs: number;
  gemm: GemmRow[];
  attention: { name: string; ms: number; unfused_ms: number; speedup: number }[];
  elementwise: { name: string; gbs: number; fraction_of_memcpy: number }[];
  notes: string[];
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export type Shape = [string, number, number, number]; // op, M, K, N
const GEMM_SHAPES: Shape[] = [
  ['NN', 2048, 768, 3072],
  ['NN', 2048, 3072, 768],
  ['NN', 2048, 768, 768],
  ['NN', 512, 512, 512],
  ['NN', 1024, 1024, 1024],
  ['NN', 2048, 2048, 2048],
  ['NT', 2048, 768, 3072], // Linear forward, weight (out, in)
  ['TN', 768, 2048, 3072], // weight gradient xᵀ·dy
  ['NN', 1, 768, 3072], // batch-1 decode
  ['NT', 1, 768, 3072],
  ['NT', 8, 768, 3072], // decode with 8 sequences
];

/** Median seconds per call over `runs` runs, each lasting at least minSeconds (after one warm-up). */
function timeCall(fn: () => void, minSeconds: number, runs: number): number {
  fn();
  const t0 = performance.now();
  fn();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const calls = Math.max(1, Math.ceil(minSeconds / once));
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - s) / 1000 / calls);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function randomF32(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const NUMPY_SCRIPT = `
import json, sys, time, statistics
import numpy as np
shapes, min_t, runs = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
out = []
for op, m, k, n in shapes:
    # Transposed operands are views of row-major arrays: OpenBLAS gets the trans flag, no copy.
    a = np.random.rand(k, m).astype(np.float32).T if op[0] == 'T' else np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(n, k).astype(np.float32).T if op[1] == 'T' else np.random.rand(k, n).astype(np.float32)
    c = np.empty((m, n), np.float32)
    f = (lambda: np.matmul(a, b, out=c)) if m > 1 else (lambda: np.matmul(a[0], b, out=c[0]))
    f(); t0 = time.perf_counter(); f(); once = max(time.perf_counter() - t0, 1e-7)
    calls = max(1, int(min_t / once) + 1); ts = []
    for _ in range(runs):
        s = time.perf_counter()
        for _ in range(calls): f()
        ts.append((time.perf_counter() - s) / calls)
    out.append(2.0 * m * n * k / statistics.median(ts) / 1e9)
print(json.dumps(out))
`;

/**
 * The Python to run the anchor with: the first of Debian's /usr/bin/python3 and the `python3` on
 * PATH whose numpy has OpenBLAS loaded (its corename answers), else the first with any numpy (a
 * numpy on the reference BLAS runs 100× slower: the note says so).
 */
export function numpyPython(): string | null {
  let first: string | null = null;
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import numpy, sys; print(sys.executable)'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const exe = r.stdout.trim() || py;
    if (openblasCorename(exe) !== null) return exe;
    first ??= exe;
  }
  return first;
}

/** OpenBLAS sgemm GFLOP/s through numpy, or null with a note. */
export function openblasGemm(
  py: string | null,
  shapes: Shape[],
  threads: number,
  minT: number,
  runs: number,
  notes: string[],
) {
  if (!py) {
    notes.push('OpenBLAS anchor skipped: no python3 with numpy (apt-get install python3-numpy)');
    return null;
  }
  const r = spawnSync(py, ['-c', NUMPY_SCRIPT, JSON.stringify(shapes), String(minT), String(runs)], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    notes.push(`OpenBLAS anchor skipped: numpy failed (${(r.stderr || '').trim().split('\n').pop()})`);
    return null;
  }
  return JSON.parse(r.stdout.trim()) as number[];
}

const CORENAME_SCRIPT = `
import ctypes, glob, os, numpy
root = os.path.join(os.path.dirname(numpy.__file__), '..')
for p in glob.glob(root + '/scipy_openblas*/lib/*.so*') + glob.glob(root + '/numpy.libs/*openblas*') + glob.glob('/usr/lib/x86_64-linux-gnu/openblas*/libblas.so*'):
    try: lib = ctypes.CDLL(p)
    except OSError: continue
    for fn in ('scipy_openblas_get_corename64_', 'scipy_openblas_get_corename', 'openblas_get_corename64_', 'openblas_get_corename'):
        if hasattr(lib, fn):
            f = getattr(lib, fn); f.restype = ctypes.c_char_p; print(f().decode()); raise SystemExit
`;

/** OpenBLAS's kernel set as numpy loads it (with this process's environment), or null. */
export function openblasCorename(py: string | null): string | null {
  if (!py) return null;
  const r = spawnSync(py, ['-c', CORENAME_SCRIPT], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** A note when numpy is not linked to OpenBLAS. */
function checkOpenblas(py: string | null, notes: string[]): void {
  if (py && openblasCorename(py) === null)
    notes.push(`numpy at ${py} does not load OpenBLAS (reference BLAS?): the anchor is not OpenBLAS`);
}

/** Measured FMA peak from ../shared/anchors/fma_peak.c (gcc), or null with a note. */
function fmaPeak(threads: number, notes: string[]): number | null {
  const src = join(ROOT, '..', 'shared', 'anchors', 'fma_peak.c');
  if (!existsSync(src)) {
    notes.push('FMA peak skipped: ../shared/anchors/fma_peak.c not found');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'llmk-fma-'));
  const exe = join(dir, 'fma_peak');
  const cc = spawnSync('gcc', ['-O2', '-mavx2', '-mfma', '-pthread', src, '-o', exe], { encoding: 'utf8' });
  if (cc.status !== 0) {
    notes.push('FMA peak skipped: gcc could not compile fma_peak.c');
    return null;
  }
  const run = spawnSync(exe, [String(threads)], { encoding: 'utf8' });
  const m = /total FMA fp32 peak: ([\d.]+)/.exec(run.stdout ?? '');
  return m ? Number(m[1]) : null;
}

export async function runOpsBench(options: OpsBenchOptions = {}): Promise<OpsBenchResult> {
  const addon = loadNativeAddon();
  if (!addon) throw new Error(`native addon not built: ${nativeLoadError()}`);
  const threads = options.threads ?? 2;
  const quick = options.quick ?? false;
  const minT = quick ? 0.05 : 0.25;
  const runs = quick ? 3 : 5;
  const k = new NativeBackend(addon, createReferenceBackend());
  const prevThreads = addon.getThreads();
  addon.setThreads(threads);
  const notes: string[] = [];
  try {
    // --- GEMM vs OpenBLAS, interleaved (numpy, llmk, numpy, llmk) so both see the same machine load;
    // each side's figure is the better of its two rounds.
    const shapes = quick ? GEMM_SHAPES.filter(([, m]) => m <= 1024) : GEMM_SHAPES;
    const operands = shapes.map(([op, m, kk, n]) => ({
      A: randomF32(m * kk),
      B: randomF32(kk * n),
      C: new Float32Array(m * n),
      tA: op[0] === 'T',
      tB: op[1] === 'T',
    }));
    const oursOnce = () =>
      shapes.map(([, m, kk, n], i) => {
        const { A, B, C, tA, tB } = operands[i];
        const lda = tA ? m : kk;
        const ldb = tB ? kk : n;
        const s = timeCall(
          () => k.gemm(tA, tB, m, n, kk, 1, A, lda, 0, B, ldb, 0, 0, C, n, 0, 1),
          minT,
          runs,
        );
        return (2 * m * n * kk) / s / 1e9;
      });
    const py = numpyPython();
    checkOpenblas(py, notes);
    const blasBefore = openblasGemm(py, shapes, threads, minT, runs, notes);
    const ours1 = oursOnce();
    const blasAfter = quick ? null : openblasGemm(py, shapes, threads, minT, runs, notes);
    const ours2 = quick ? ours1 : oursOnce();
    const ours = ours1.map((v, i) => Math.max(v, ours2[i]));
    const gemm: GemmRow[] = shapes.map(([op, m, kk, n], i) => {
      const b = blasBefore ? Math.max(blasBefore[i], blasAfter?.[i] ?? 0) : null;
      return { op, m, k: kk, n, gflops: ours[i], openblas_gflops: b, ratio: b ? ours[i] / b : null };
    });

    // --- memory bandwidth anchor: TypedArray.set is a memcpy; bytes read + written.
    const big = 16 * 1024 * 1024;
    const src = randomF32(big);
    const dst = new Float32Array(big);
    const copyS = timeCall(() => dst.set(src), minT, runs);
    const memcpyGbs = (2 * 4 * big) / copyS / 1e9;

    // --- elementwise kernels in GB/s (bytes each must read + write once).
    const rows = 4096;
    const C = 1024;
    const n = rows * C;
    const x = randomF32(n);
    const y = randomF32(n);
    const out = new Float32Array(n);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    const w = randomF32(C);
    const bvec = randomF32(C);
    const elem: [string, number, () => void][] = [
      ['unary scale', 8 * n, () => k.unary(UnaryOp.scale, out, x, n, 0.5)],
      ['unary geluTanh', 8 * n, () => k.unary(UnaryOp.geluTanh, out, x, n, 0)],
      ['binary add', 12 * n, () => k.binary(0, out, x, [C, 1], y, [C, 1], [rows, C])],
      ['binary add (row broadcast)', 8 * n, () => k.binary(0, out, x, [C, 1], w, [0, 1], [rows, C])],
      ['layerNorm forward', 8 * n, () => k.layerNormForward(out, mean, rstd, x, w, bvec, rows, C, 1e-5)],
      ['softmax forward', 8 * n, () => k.softmaxForward(out, x, rows, C)],
    ];
    const elementwise = elem.map(([name, bytes, fn]) => {
      const gbs = bytes / timeCall(fn, minT, runs) / 1e9;
      return { name, gbs, fraction_of_memcpy: gbs / memcpyGbs };
    });

    // --- attention B=8, T=256, NH=6, HS=64, causal: fused fwd+bwd vs gemm + mask + softmax + gemm.
    const [AB, AT, ANH, AHS] = quick ? [2, 128, 6, 64] : [8, 256, 6, 64];
    const BH = AB * ANH;
    const q = randomF32(BH * AT * AHS);
    const kk = randomF32(BH * AT * AHS);
    const v = randomF32(BH * AT * AHS);
    const dO = randomF32(BH * AT * AHS);
    const o = new Float32Array(q.length);
    const lse = new Float32Array(BH * AT);
    const dq = new Float32Array(q.length);
    const dk = new Float32Array(q.length);
    const dv = new Float32Array(q.length);
    const scale = 1 / Math.sqrt(AHS);
    const fused = timeCall(
      () => {
        k.attentionForward(o, lse, q, kk, v, null, [0, 0, 0], AB, ANH, ANH, AT, AT, AHS, scale, true);
        k.attentionBackward(
          dq,
          dk,
          dv,
          dO,
          q,
          kk,
          v,
          o,
          lse,
          null,
          [0, 0, 0],
          AB,
          ANH,
          ANH,
          AT,
          AT,
          AHS,
          scale,
          true,
        );
      },
      minT,
      runs,
    );
    const causalMask = new Float32Array(AT * AT);
    for (let t = 0; t < AT; t++)
      for (let s = t + 1; s < AT; s++) causalMask[t * AT + s] = Number.NEGATIVE_INFINITY;
    const TT = AT * AT;
    const scores = new Float32Array(BH * TT);
    const P = new Float32Array(BH * TT);
    const dP = new Float32Array(BH * TT);
    const dS = new Float32Array(BH * TT);
    const TH = AT * AHS;
    const unfused = timeCall(
      () => {
        k.gemm(false, true, AT, AT, AHS, scale, q, AHS, TH, kk, AHS, TH, 0, scores, AT, TT, BH); // (BH, T, T)
        k.binary(0, scores, scores, [TT, AT, 1], causalMask, [0, AT, 1], [BH, AT, AT]);
        k.softmaxForward(P, scores, BH * AT, AT);
        k.gemm(false, false, AT, AHS, AT, 1, P, AT, TT, v, AHS, TH, 0, o, AHS, TH, BH); // (BH, T, HS)
        k.gemm(false, true, AT, AT, AHS, 1, dO, AHS, TH, v, AHS, TH, 0, dP, AT, TT, BH); // dP = dO·Vᵀ
        k.gemm(true, false, AT, AHS, AT, 1, P, AT, TT, dO, AHS, TH, 1, dv, AHS, TH, BH); // dV += Pᵀ·dO
        dS.fill(0);
        k.softmaxBackward(dS, P, dP, BH * AT, AT);
        k.gemm(false, false, AT, AHS, AT, scale, dS, AT, TT, kk, AHS, TH, 1, dq, AHS, TH, BH); // dQ += s·dS·K
        k.gemm(true, false, AT, AHS, AT, scale, dS, AT, TT, q, AHS, TH, 1, dk, AHS, TH, BH); // dK += s·dSᵀ·Q
      },
      minT,
      runs,
    );
    const attention = [
      {
        name: `fwd+bwd B=${AB} T=${AT} NH=${ANH} HS=${AHS} causal`,
        ms: fused * 1000,
        unfused_ms: unfused * 1000,
        speedup: unfused / fused,
      },
    ];

    const peak = quick ? null : fmaPeak(threads, notes);
    // gemmConfig is newer than the backend's addon type: read it through a local cast.
    const withConfig = addon as unknown as { gemmConfig?: () => GemmConfig };
    const result: OpsBenchResult = {
      threads,
      simd: addon.simd(),
      gemm_config: withConfig.gemmConfig?.() ?? null,
      openblas: py
        ? { python: py, coretype: process.env.OPENBLAS_CORETYPE ?? 'auto', corename: openblasCorename(py) }
        : null,
      fma_peak_gflops: peak,
      memcpy_gbs: memcpyGbs,
      gemm,
      attention,
      elementwise,
      notes,
    };
    printTable(result);
    const path = options.json ?? join(ROOT, '.bench', 'ops.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`wrote ${path}`);
    return result;
  } finally {
    addon.setThreads(prevThreads);
  }
}

function printTable(r: OpsBenchResult): void {
  const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));
  console.log(
    `\nEngine kernels (native, ${r.simd}, ${r.threads} threads); FMA peak ${f(r.fma_peak_gflops)} GFLOP/s`,
  );
  const g = r.gemm_config;
  if (g) {
    const kb = (b: number) => `${Math.round(b / 1024)} KB`;
    console.log(
      `caches (${g.caches.source}): L1d ${kb(g.caches.l1d)} ${g.caches.l1dWays}-way, L2 ${kb(g.caches.l2)}, ` +
        `L3 ${kb(g.caches.l3)} (${kb(g.caches.l3Share)} per CPU); GEMM blocking (${g.blocking.source}): ` +
        `MR×NR ${g.blocking.mr}×${g.blocking.nr}, KC ${g.blocking.kc}, MC ${g.blocking.mc}, NC ${g.blocking.nc}`,
    );
  }
  if (r.openblas) {
    const o = r.openblas;
    console.log(`OpenBLAS via ${o.python}: OPENBLAS_CORETYPE ${o.coretype}, kernels ${o.corename ?? '?'}`);
  }
  console.log('GEMM (op M×K×N)       llmk GFLOP/s  OpenBLAS GFLOP/s  ratio');
  for (const g of r.gemm)
    console.log(
      `${`${g.op} ${g.m}×${g.k}×${g.n}`.padEnd(22)}${f(g.gflops).padStart(12)}${f(g.openblas_gflops).padStart(18)}${f(g.ratio, 2).padStart(7)}`,
    );
  for (const a of r.attention)
    console.log(
      `attention ${a.name}: fused ${f(a.ms)} ms, unfused ${f(a.unfused_ms)} ms (${f(a.speedup, 2)}×)`,
    );
  console.log(`memcpy ${f(r.memcpy_gbs)} GB/s`);
  for (const e of r.elementwise)
    console.log(
      `${e.name.padEnd(28)}${f(e.gbs).padStart(8)} GB/s  ${f(100 * e.fraction_of_memcpy, 0)}% of memcpy`,
    );
  for (const n of r.notes) console.log(`note: ${n}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--json');
  await runOpsBench({
    json: i > 0 ? process.argv[i + 1] : undefined,
    quick: process.argv.includes('--quick'),
  });
}
