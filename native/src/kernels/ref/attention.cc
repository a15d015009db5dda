// Naive attention in double arithmetic: full score rows, softmax, then the textbook gradients
// (dP = dO·Vᵀ, dS = P ∘ (dP − rowsum(dP ∘ P))). The fused kernel's oracle.
#include <cmath>
#include <vector>

#include "kernels/attention.h"

namespace llmk::ref {
namespace {

// Probabilities of row (b, h, t) over all S keys (0 where masked out or not visible); returns lse.
double rowProbs(std::vector<double>& p, const float* q, const float* k, const AttentionShape& sh, int64_t b,
                int64_t h, int64_t t) {
  const int64_t HS = sh.HS, kvh = h / (sh.NH / sh.NKV);
  const float* qt = q + ((b * sh.NH + h) * sh.T + t) * HS;
  double m = -INFINITY;
  for (int64_t s = 0; s < sh.S; s++) {
    const bool visible = !sh.causal || s <= t + (sh.S - sh.T);
    double score = -INFINITY;
    if (visible) {
      const float* ks = k + (b * sh.NKV + kvh) * sh.kvStride + s * HS;
      double acc = 0;
      for (int64_t i = 0; i < HS; i++) acc += static_cast<double>(qt[i]) * ks[i];
      score = sh.scale * acc;
      if (sh.mask) score += sh.mask[b * sh.mb + h * sh.mh + t * sh.mt + s];
    }
    p[s] = score;
    if (score > m) m = score;
  }
  if (m == -INFINITY) {
    for (int64_t s = 0; s < sh.S; s++) p[s] = 0;
    return -INFINITY;
  }
  double sum = 0;
  for (int64_t s = 0; s < sh.S; s++) sum += std::exp(p[s] - m);
  for (int64_t s = 0; s < sh.S; s++) p[s] = std::exp(p[s] - m) / sum;
  return m + std::log(sum);
}

}  // namespace

void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const AttentionShape& sh) {
  std::vector<double> p(sh.S);
  const int64_t HS = sh.HS;
  for (int64_t b = 0; b < sh.B; b++)
    for (int64_t h = 0; h < sh.NH; h++)
      for (int64_t t = 0; t < sh.T; t++) {
        const int64_t r = (b * sh.NH + h) * sh.T + t;
        lse[r] = static_cast<float>(rowProbs(p, q, k, sh, b, h, t));
        const float* vh = v + (b * sh.NKV + h / (sh.NH / sh.NKV)) * sh.kvStride;
        for (int64_t i = 0; i < HS; i++) {
          double acc = 0;
          for (int64_t s = 0; s < sh.S; s++) acc += p[s] * vh[s * HS + i];
          out[r * HS + i] = static_cast<float>(acc);
        }
      }
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float*, const float*, const AttentionShape& sh) {
  std::vector<double> p(sh.S), dp(sh.S);
  const int64_t HS = sh.HS;
  for (int64_t b = 0; b < sh.B; b++)
    for (int64_t h = 0; h < sh.NH; h++)
      for (int64_t t = 0; t < sh.T; t++) {
        const int64_t r = (b * sh.NH + h) * sh.T + t;
        rowProbs(p, q, k, sh, b, h, t);
        const int64_t kvOff = (b * sh.NKV + h / (sh.NH / sh.NKV)) * sh.kvStride;
        const float* g = dout + r * HS;
        double pdp = 0;
        for (int64_t s = 0; s < sh.S; s++) {
          double acc = 0;
          for (int64_t i = 0; i < HS; i++) acc += static_cast<double>(g[i]) * v[kvOff + s * HS + i];
          dp[s] = acc;
          pdp += p[s] * acc;
        }
        for (int64_t s = 0; s < sh.S; s++) {
          if (p[s] == 0) continue;
          const double ds = p[s] * (dp[s] - pdp) * sh.scale;
          for (int64_t i = 0; i < HS; i++) {
            dq[r * HS + i] += static_cast<float>(ds * k[kvOff + s * HS + i]);
            dk[kvOff + s * HS + i] += static_cast<float>(ds * q[r * HS + i]);
            dv[kvOff + s * HS + i] += static_cast<float>(p[s] * g[i]);
          }
        }
      }
}

}  // namespace llmk::ref
