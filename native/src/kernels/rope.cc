#include "kernels/rope.h"

#include "kernels/threadpool.h"

namespace llmk {

void ropeForward(float* out, const float* x, const float* cos, const float* sin, int64_t B, int64_t NH, int64_t T,
                 int64_t HS, int64_t rotaryDim, bool interleaved) {
  const int64_t half = rotaryDim / 2;
  parallelFor(B * NH * T, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t t = r % T;
      const float* xr = x + r * HS;
      float* o = out + r * HS;
      const float* c = cos + t * half;
      const float* s = sin + t * half;
      for (int64_t i = 0; i < half; i++) {
        const int64_t i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
        const float a = xr[i0], b = xr[i1];
        o[i0] = a * c[i] - b * s[i];
        o[i1] = a * s[i] + b * c[i];
      }
      if (o != xr)
        for (int64_t i = rotaryDim; i < HS; i++) o[i] = xr[i];
    }
  });
}

void ropeBackward(float* dx, const float* dy, const float* cos, const float* sin, int64_t B, int64_t NH, int64_t T,
                  int64_t HS, int64_t rotaryDim, bool interleaved) {
  const int64_t half = rotaryDim / 2;
  parallelFor(B * NH * T, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int64_t t = r % T;
      const float* g = dy + r * HS;
      float* d = dx + r * HS;
      const float* c = cos + t * half;
      const float* s = sin + t * half;
      for (int64_t i = 0; i < half; i++) {
        const int64_t i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
        const float ga = g[i0], gb = g[i1];
        d[i0] += ga * c[i] + gb * s[i];
        d[i1] += -ga * s[i] + gb * c[i];
      }
      for (int64_t i = rotaryDim; i < HS; i++) d[i] += g[i];
    }
  });
}

}  // namespace llmk
