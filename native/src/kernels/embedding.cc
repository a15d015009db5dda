#include "kernels/embedding.h"

#include <cstring>

#include "kernels/threadpool.h"

namespace llmk {

void embeddingForward(float* out, const float* weight, const int32_t* ids, int64_t n, int64_t C) {
  parallelFor(n, C >= 8192 ? 1 : 8192 / (C > 0 ? C : 1), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
      std::memcpy(out + i * C, weight + static_cast<int64_t>(ids[i]) * C, sizeof(float) * C);
  });
}

void embeddingBackward(float* dweight, const float* dout, const int32_t* ids, int64_t n, int64_t C) {
  parallelFor(C, n * C >= (1 << 16) ? 64 : C, [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; i++) {
      float* d = dweight + static_cast<int64_t>(ids[i]) * C;
      const float* g = dout + i * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; c++) d[c] += g[c];
    }
  });
}

}  // namespace llmk
