// Naive LayerNorm (llm.c layernorm_forward/backward, double arithmetic): the fast kernel's oracle.
#include <cmath>

#include "kernels/layernorm.h"

namespace llmk::ref {

void layernormForward(float* out, float* mean, float* rstd, const float* x, const float* weight, const float* bias,
                      int64_t rows, int64_t C, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    double m = 0;
    for (int64_t i = 0; i < C; i++) m += xr[i];
    m /= C;
    double v = 0;
    for (int64_t i = 0; i < C; i++) v += (xr[i] - m) * (xr[i] - m);
    v /= C;
    const double rs = 1.0 / std::sqrt(v + eps);
    for (int64_t i = 0; i < C; i++) {
      const double n = (xr[i] - m) * rs;
      out[r * C + i] = static_cast<float>(n * (weight ? weight[i] : 1.0) + (bias ? bias[i] : 0.0));
    }
    mean[r] = static_cast<float>(m);
    rstd[r] = static_cast<float>(rs);
  }
}

void layernormBackward(float* dx, float* dweight, float* dbias, const float* dy, const float* x, const float* weight,
                       const float* mean, const float* rstd, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    const float* g = dy + r * C;
    double md = 0, mdn = 0;
    for (int64_t i = 0; i < C; i++) {
      const double n = (xr[i] - mean[r]) * static_cast<double>(rstd[r]);
      const double dn = g[i] * (weight ? weight[i] : 1.0);
      md += dn;
      mdn += dn * n;
    }
    md /= C;
    mdn /= C;
    for (int64_t i = 0; i < C; i++) {
      const double n = (xr[i] - mean[r]) * static_cast<double>(rstd[r]);
      const double dn = g[i] * (weight ? weight[i] : 1.0);
      if (dbias) dbias[i] += g[i];
      if (dweight) dweight[i] += static_cast<float>(n * g[i]);
      dx[r * C + i] += static_cast<float>((dn - md - n * mdn) * rstd[r]);
    }
  }
}

}  // namespace llmk::ref
