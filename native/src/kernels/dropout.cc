#include "kernels/dropout.h"

#include "kernels/threadpool.h"

namespace llmk {

void dropoutForward(float* out, uint8_t* mask, const float* x, int64_t n, double p, uint32_t seed,
                    uint64_t offset) {
  const float scale = p < 1.0 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
  parallelFor(n, 1 << 15, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double u = dropoutBits(seed, static_cast<uint32_t>(offset + static_cast<uint64_t>(i))) / 16777216.0;
      const bool keep = u >= p;
      mask[i] = keep ? 1 : 0;
      out[i] = keep ? x[i] * scale : 0.0f;
    }
  });
}

void dropoutBackward(float* dx, const float* dy, const uint8_t* mask, int64_t n, double p) {
  const float scale = p < 1.0 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
  parallelFor(n, 1 << 15, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) dx[i] += mask[i] ? dy[i] * scale : 0.0f;
  });
}

}  // namespace llmk
