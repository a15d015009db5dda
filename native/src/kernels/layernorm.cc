// Rows are independent in the forward pass and for dx; dweight/dbias sum over rows, so they are
// computed by splitting the columns instead: each column is summed over rows in order by one
// thread, which makes the result independent of the thread count without per-thread buffers.
#include "kernels/layernorm.h"

#include <cmath>

#include "kernels/threadpool.h"

namespace llmk {
namespace {
int64_t rowGrain(int64_t C) { return C >= 4096 ? 1 : 4096 / (C > 0 ? C : 1); }
}  // namespace

void layernormForward(float* out, float* mean, float* rstd, const float* x, const float* weight, const float* bias,
                      int64_t rows, int64_t C, float eps) {
  parallelFor(rows, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < C; i++) s += xr[i];
      const float m = static_cast<float>(s / C);
      double v = 0;
#pragma omp simd reduction(+ : v)
      for (int64_t i = 0; i < C; i++) {
        const float d = xr[i] - m;
        v += static_cast<double>(d) * d;
      }
      const float rs = static_cast<float>(1.0 / std::sqrt(v / C + eps));
      float* o = out + r * C;
      if (weight && bias) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * rs * weight[i] + bias[i];
      } else if (weight) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * rs * weight[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * rs + (bias ? bias[i] : 0.0f);
      }
      mean[r] = m;
      rstd[r] = rs;
    }
  });
}

void layernormBackward(float* dx, float* dweight, float* dbias, const float* dy, const float* x, const float* weight,
                       const float* mean, const float* rstd, int64_t rows, int64_t C) {
  parallelFor(rows, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      const float* g = dy + r * C;
      const float m = mean[r], rs = rstd[r];
      // dnorm = dy·w; dx = rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm))
      double sd = 0, sdn = 0;
#pragma omp simd reduction(+ : sd, sdn)
      for (int64_t i = 0; i < C; i++) {
        const float dn = weight ? g[i] * weight[i] : g[i];
        sd += dn;
        sdn += static_cast<double>(dn) * ((xr[i] - m) * rs);
      }
      const float md = static_cast<float>(sd / C), mdn = static_cast<float>(sdn / C);
      float* d = dx + r * C;
#pragma omp simd
      for (int64_t i = 0; i < C; i++) {
        const float dn = weight ? g[i] * weight[i] : g[i];
        d[i] += (dn - md - (xr[i] - m) * rs * mdn) * rs;
      }
    }
  });
  if (!dweight && !dbias) return;
  parallelFor(C, 64, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + r * C;
      const float* g = dy + r * C;
      const float m = mean[r], rs = rstd[r];
      if (dweight) {
#pragma omp simd
        for (int64_t i = c0; i < c1; i++) dweight[i] += g[i] * ((xr[i] - m) * rs);
      }
      if (dbias) {
#pragma omp simd
        for (int64_t i = c0; i < c1; i++) dbias[i] += g[i];
      }
    }
  });
}

void rmsnormForward(float* out, float* rstd, const float* x, const float* weight, int64_t rows, int64_t C,
                    float eps) {
  parallelFor(rows, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < C; i++) s += static_cast<double>(xr[i]) * xr[i];
      const float rs = static_cast<float>(1.0 / std::sqrt(s / C + eps));
      float* o = out + r * C;
      if (weight) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = xr[i] * rs * weight[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = xr[i] * rs;
      }
      rstd[r] = rs;
    }
  });
}

void rmsnormBackward(float* dx, float* dweight, const float* dy, const float* x, const float* weight,
                     const float* rstd, int64_t rows, int64_t C) {
  parallelFor(rows, rowGrain(C), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * C;
      const float* g = dy + r * C;
      const float rs = rstd[r];
      // y = x·rs·w: dx = rs·(dn − x·rs²·mean(dn·x)), dn = dy·w
      double sdx = 0;
#pragma omp simd reduction(+ : sdx)
      for (int64_t i = 0; i < C; i++) sdx += static_cast<double>(weight ? g[i] * weight[i] : g[i]) * xr[i];
      const float k = static_cast<float>(sdx / C) * rs * rs;
      float* d = dx + r * C;
#pragma omp simd
      for (int64_t i = 0; i < C; i++) d[i] += rs * ((weight ? g[i] * weight[i] : g[i]) - xr[i] * k);
    }
  });
  if (!dweight) return;
  parallelFor(C, 64, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + r * C;
      const float* g = dy + r * C;
      const float rs = rstd[r];
#pragma omp simd
      for (int64_t i = c0; i < c1; i++) dweight[i] += g[i] * xr[i] * rs;
    }
  });
}

}  // namespace llmk
