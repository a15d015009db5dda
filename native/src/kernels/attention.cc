// Blocked attention on the packed GEMM: per (b, h) and block of QB query rows,
//   1. S = scale·Q_blk·Kᵀ over the keys the block can see (one small GEMM),
//   2. mask/causal cut, then a two-pass softmax per row (max, then exp and sum), lse saved,
//   3. O_blk = P·V (one small GEMM).
// Backward works per (b, kv head), looping over the query heads of its group and their blocks, so dK
// and dV of a kv head are accumulated by one thread in a fixed order (no races, and the result does
// not depend on the thread count). It recomputes P = exp(S − lse) and applies FlashAttention-2's
// formulas (Dao 2023, arXiv:2307.08691, Alg. 2): dP = dO·Vᵀ, D = rowsum(dO∘O), dS = P∘(dP − D),
// dV += Pᵀ·dO, dQ += scale·dS·K, dK += scale·dSᵀ·Q.
#include "kernels/attention.h"

#include <cmath>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/softmax.h"
#include "kernels/threadpool.h"
#include "kernels/vecmath.h"

namespace llmk {
namespace {

constexpr int64_t QB = 64;  // query rows per block: S block 64×S floats stays in L2 for S ≤ 2048

// Keys visible to query row t: [0, visible). Causal rows see s ≤ t + (S − T).
inline int64_t visibleKeys(const AttentionShape& sh, int64_t t) {
  if (!sh.causal) return sh.S;
  const int64_t last = t + (sh.S - sh.T);
  return last < 0 ? 0 : (last + 1 < sh.S ? last + 1 : sh.S);
}

struct Scratch {
  std::vector<float> p, dp;
};
thread_local Scratch tlsScratch;

// Rows [t0, t0 + m) of head (b, h): P (m × n, row stride n) = softmax over the visible keys of
// scale·Q·Kᵀ + mask, zero beyond each row's visible keys. With lseIn the saved lse is used (backward);
// otherwise lse is computed and written to lseOut. Returns n, the keys the block sees.
int64_t blockProbs(float* P, const float* qBlk, const float* kh, const AttentionShape& sh, int64_t b, int64_t h,
                   int64_t t0, int64_t m, const float* lseIn, float* lseOut) {
  const int64_t n = visibleKeys(sh, t0 + m - 1);
  if (n == 0) {
    for (int64_t i = 0; i < m; i++)
      if (lseOut) lseOut[i] = -INFINITY;
    return 0;
  }
  gemmSerial(false, true, m, n, sh.HS, sh.scale, qBlk, sh.HS, kh, sh.HS, 0.0f, P, n);
  for (int64_t i = 0; i < m; i++) {
    const int64_t t = t0 + i;
    float* row = P + i * n;
    const int64_t vis = visibleKeys(sh, t);
    if (sh.mask) {
      const float* mr = sh.mask + b * sh.mb + h * sh.mh + t * sh.mt;
#pragma omp simd
      for (int64_t s = 0; s < vis; s++) row[s] += mr[s];
    }
    const float m0 = rowMax(row, vis);
    if (m0 == -INFINITY || (lseIn && lseIn[i] == -INFINITY)) {
      for (int64_t s = 0; s < n; s++) row[s] = 0.0f;
      if (lseOut) lseOut[i] = -INFINITY;
      continue;
    }
    if (lseIn) {
      expShifted(row, row, lseIn[i], vis);
    } else {
      const double sum = expShifted(row, row, m0, vis);
      const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
      for (int64_t s = 0; s < vis; s++) row[s] *= inv;
      lseOut[i] = m0 + static_cast<float>(std::log(sum));
    }
    for (int64_t s = vis; s < n; s++) row[s] = 0.0f;
  }
  return n;
}

}  // namespace

void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const AttentionShape& sh) {
  const int64_t HS = sh.HS, group = sh.NH / sh.NKV;
  const int64_t blocks = (sh.T + QB - 1) / QB;
  parallelFor(sh.B * sh.NH * blocks, 1, [&](int64_t w0, int64_t w1) {
    std::vector<float>& P = tlsScratch.p;
    if (static_cast<int64_t>(P.size()) < QB * sh.S) P.resize(QB * sh.S);
    for (int64_t w = w0; w < w1; w++) {
      const int64_t bh = w / blocks, t0 = (w % blocks) * QB;
      const int64_t m = sh.T - t0 < QB ? sh.T - t0 : QB;
      const int64_t b = bh / sh.NH, h = bh % sh.NH;
      const int64_t kvOff = (b * sh.NKV + h / group) * sh.kvStride;
      const int64_t r0 = bh * sh.T + t0;
      const int64_t n = blockProbs(P.data(), q + r0 * HS, k + kvOff, sh, b, h, t0, m, nullptr, lse + r0);
      float* o = out + r0 * HS;
      if (n == 0) {
        for (int64_t i = 0; i < m * HS; i++) o[i] = 0.0f;
        continue;
      }
      gemmSerial(false, false, m, HS, n, 1.0f, P.data(), n, v + kvOff, HS, 0.0f, o, HS);
    }
  });
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const AttentionShape& sh) {
  const int64_t HS = sh.HS, group = sh.NH / sh.NKV;
  parallelFor(sh.B * sh.NKV, 1, [&](int64_t w0, int64_t w1) {
    std::vector<float>& P = tlsScratch.p;
    std::vector<float>& dP = tlsScratch.dp;
    if (static_cast<int64_t>(P.size()) < QB * sh.S) P.resize(QB * sh.S);
    if (static_cast<int64_t>(dP.size()) < QB * sh.S) dP.resize(QB * sh.S);
    for (int64_t w = w0; w < w1; w++) {
      const int64_t b = w / sh.NKV, g = w % sh.NKV;
      const int64_t kvOff = w * sh.kvStride;
      for (int64_t h = g * group; h < (g + 1) * group; h++) {
        for (int64_t t0 = 0; t0 < sh.T; t0 += QB) {
          const int64_t m = sh.T - t0 < QB ? sh.T - t0 : QB;
          const int64_t r0 = (b * sh.NH + h) * sh.T + t0;
          const float* qBlk = q + r0 * HS;
          const float* dO = dout + r0 * HS;
          const int64_t n = blockProbs(P.data(), qBlk, k + kvOff, sh, b, h, t0, m, lse + r0, nullptr);
          if (n == 0) continue;
          gemmSerial(false, true, m, n, HS, 1.0f, dO, HS, v + kvOff, HS, 0.0f, dP.data(), n);  // dP = dO·Vᵀ
          for (int64_t i = 0; i < m; i++) {
            const float* oi = out + (r0 + i) * HS;
            const float* gi = dO + i * HS;
            float D = 0;
#pragma omp simd reduction(+ : D)
            for (int64_t d = 0; d < HS; d++) D += gi[d] * oi[d];
            float* dpi = dP.data() + i * n;
            const float* pi = P.data() + i * n;
#pragma omp simd
            for (int64_t s = 0; s < n; s++) dpi[s] = pi[s] * (dpi[s] - D) * sh.scale;  // scale·dS
          }
          gemmSerial(true, false, n, HS, m, 1.0f, P.data(), n, dO, HS, 1.0f, dv + kvOff, HS);       // dV += Pᵀ·dO
          gemmSerial(true, false, n, HS, m, 1.0f, dP.data(), n, qBlk, HS, 1.0f, dk + kvOff, HS);    // dK += dSᵀ·Q
          gemmSerial(false, false, m, HS, n, 1.0f, dP.data(), n, k + kvOff, HS, 1.0f, dq + r0 * HS, HS);  // dQ
        }
      }
    }
  });
}

}  // namespace llmk
