#include "kernels/softmax.h"

#include <cmath>

#include "kernels/threadpool.h"
#include "kernels/vecmath.h"

namespace llmk {
namespace {
int64_t rowGrain(int64_t cols) { return cols >= 8192 ? 1 : 8192 / (cols > 0 ? cols : 1); }
}  // namespace

float rowMax(const float* x, int64_t n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

float rowLogSumExp(const float* x, int64_t n) {
  const float m = rowMax(x, n);
  if (m == -INFINITY) return -INFINITY;
  // exp values go to a small stack scratch block by block; only their sum is needed.
  float scratch[256];
  double s = 0;
  for (int64_t i = 0; i < n; i += 256) s += expShifted(scratch, x + i, m, n - i < 256 ? n - i : 256);
  return m + static_cast<float>(std::log(s));
}

void softmaxForward(float* out, const float* x, int64_t rows, int64_t cols) {
  parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* o = out + r * cols;
      const float m = rowMax(xr, cols);
      const double s = expShifted(o, xr, m, cols);
      const float inv = static_cast<float>(1.0 / s);
#pragma omp simd
      for (int64_t i = 0; i < cols; i++) o[i] *= inv;
    }
  });
}

void softmaxBackward(float* dx, const float* y, const float* dy, int64_t rows, int64_t cols) {
  parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* g = dy + r * cols;
      float* d = dx + r * cols;
      double dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int64_t i = 0; i < cols; i++) dot += static_cast<double>(g[i]) * yr[i];
      const float fd = static_cast<float>(dot);
#pragma omp simd
      for (int64_t i = 0; i < cols; i++) d[i] += yr[i] * (g[i] - fd);
    }
  });
}

void logSoftmaxForward(float* out, const float* x, int64_t rows, int64_t cols) {
  parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      const float lse = rowLogSumExp(xr, cols);
      float* o = out + r * cols;
#pragma omp simd
      for (int64_t i = 0; i < cols; i++) o[i] = xr[i] - lse;
    }
  });
}

void logSoftmaxBackward(float* dx, const float* y, const float* dy, int64_t rows, int64_t cols) {
  parallelFor(rows, rowGrain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* g = dy + r * cols;
      float* d = dx + r * cols;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < cols; i++) s += g[i];
      const float fs = static_cast<float>(s);
      float e[256];
      for (int64_t i0 = 0; i0 < cols; i0 += 256) {
        const int64_t len = cols - i0 < 256 ? cols - i0 : 256;
        expShifted(e, yr + i0, 0.0f, len);
        for (int64_t i = 0; i < len; i++) d[i0 + i] += g[i0 + i] - e[i] * fs;
      }
    }
  });
}

}  // namespace llmk
