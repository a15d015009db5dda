// Per query row: scores = scale·q·kᵀ + mask over the visible keys, then a two-pass softmax (max, then
// exp and sum) and out = P·V / Σ. Rows are independent, so threads split (b, h, t) statically.
#include "kernels/attention.h"

#include <cmath>
#include <vector>

#include "kernels/threadpool.h"

namespace llmk {
namespace {

inline float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

inline void axpy(float* y, float a, const float* x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

// Keys visible to query row t: [0, visible). Causal rows see s ≤ t + (S − T).
inline int64_t visibleKeys(const AttentionShape& sh, int64_t t) {
  if (!sh.causal) return sh.S;
  const int64_t last = t + (sh.S - sh.T);
  return last < 0 ? 0 : (last + 1 < sh.S ? last + 1 : sh.S);
}

// scores[s] = scale·q·k_s + mask for s < n.
inline void rowScores(float* scores, const float* qt, const float* kh, const float* maskRow, int64_t n,
                      const AttentionShape& sh) {
  for (int64_t s = 0; s < n; s++) scores[s] = sh.scale * dot(qt, kh + s * sh.HS, sh.HS);
  if (maskRow)
    for (int64_t s = 0; s < n; s++) scores[s] += maskRow[s];
}

thread_local std::vector<float> tlsScores;

}  // namespace

void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const AttentionShape& sh) {
  const int64_t HS = sh.HS, group = sh.NH / sh.NKV;
  parallelFor(sh.B * sh.NH * sh.T, 16, [&](int64_t r0, int64_t r1) {
    std::vector<float>& scores = tlsScores;
    if (static_cast<int64_t>(scores.size()) < sh.S) scores.resize(sh.S);
    for (int64_t r = r0; r < r1; r++) {
      const int64_t t = r % sh.T, h = (r / sh.T) % sh.NH, b = r / (sh.T * sh.NH);
      const int64_t kvOff = (b * sh.NKV + h / group) * sh.S * HS;
      const float* qt = q + r * HS;
      float* o = out + r * HS;
      const int64_t n = visibleKeys(sh, t);
      const float* maskRow = sh.mask ? sh.mask + b * sh.mb + h * sh.mh + t * sh.mt : nullptr;
      rowScores(scores.data(), qt, k + kvOff, maskRow, n, sh);
      float m = -INFINITY;
      for (int64_t s = 0; s < n; s++) m = scores[s] > m ? scores[s] : m;
      for (int64_t i = 0; i < HS; i++) o[i] = 0.0f;
      if (m == -INFINITY) {
        lse[r] = -INFINITY;
        continue;
      }
      float sum = 0;
      const float* vh = v + kvOff;
      for (int64_t s = 0; s < n; s++) {
        const float p = std::exp(scores[s] - m);
        sum += p;
        if (p != 0.0f) axpy(o, p, vh + s * HS, HS);
      }
      const float inv = 1.0f / sum;
      for (int64_t i = 0; i < HS; i++) o[i] *= inv;
      lse[r] = m + std::log(sum);
    }
  });
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const AttentionShape& sh) {
  const int64_t HS = sh.HS, group = sh.NH / sh.NKV;
  parallelFor(sh.B * sh.NKV, 1, [&](int64_t w0, int64_t w1) {
    std::vector<float>& scores = tlsScores;
    if (static_cast<int64_t>(scores.size()) < sh.S) scores.resize(sh.S);
    for (int64_t w = w0; w < w1; w++) {
      const int64_t b = w / sh.NKV, g = w % sh.NKV;
      const int64_t kvOff = w * sh.S * HS;
      const float* kh = k + kvOff;
      const float* vh = v + kvOff;
      float* dkh = dk + kvOff;
      float* dvh = dv + kvOff;
      for (int64_t h = g * group; h < (g + 1) * group; h++) {
        for (int64_t t = 0; t < sh.T; t++) {
          const int64_t r = (b * sh.NH + h) * sh.T + t;
          const float l = lse[r];
          if (l == -INFINITY) continue;
          const float* qt = q + r * HS;
          const float* dot_ = dout + r * HS;
          float* dqt = dq + r * HS;
          const int64_t n = visibleKeys(sh, t);
          const float* maskRow = sh.mask ? sh.mask + b * sh.mb + h * sh.mh + t * sh.mt : nullptr;
          rowScores(scores.data(), qt, kh, maskRow, n, sh);
          const float D = dot(dot_, out + r * HS, HS);  // D_t = rowsum(dO ∘ O)
          for (int64_t s = 0; s < n; s++) {
            const float p = std::exp(scores[s] - l);  // P recomputed from the saved lse
            if (p == 0.0f) continue;
            const float dp = dot(dot_, vh + s * HS, HS);  // dP = dO·Vᵀ
            const float ds = p * (dp - D) * sh.scale;     // dS = P ∘ (dP − D), times the score scale
            axpy(dqt, ds, kh + s * HS, HS);
            axpy(dkh + s * HS, ds, qt, HS);
            axpy(dvh + s * HS, p, dot_, HS);
          }
        }
      }
    }
  });
}

}  // namespace llmk
