#include "kernels/crossentropy.h"

#include <cmath>

#include "kernels/softmax.h"
#include "kernels/threadpool.h"
#include "kernels/vecmath.h"

namespace llmk {

void crossentropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t rows,
                         int64_t V, int32_t ignoreIndex, float smoothing) {
  parallelFor(rows, V >= 4096 ? 1 : 4096 / (V > 0 ? V : 1), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* x = logits + r * V;
      const float l = rowLogSumExp(x, V);
      lse[r] = l;
      const int32_t t = targets[r];
      if (t == ignoreIndex) {
        losses[r] = 0.0f;
        continue;
      }
      double loss = static_cast<double>(l) - (1.0 - smoothing) * x[t];
      if (smoothing != 0.0f) {
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t v = 0; v < V; v++) s += x[v];
        loss -= smoothing * s / V;
      }
      losses[r] = static_cast<float>(loss);
    }
  });
}

void crossentropyBackward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                          const float* dlosses, int64_t rows, int64_t V, int32_t ignoreIndex, float smoothing) {
  parallelFor(rows, V >= 4096 ? 1 : 4096 / (V > 0 ? V : 1), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const int32_t t = targets[r];
      if (t == ignoreIndex) continue;
      const float* x = logits + r * V;
      float* d = dlogits + r * V;
      const float g = dlosses[r], l = lse[r], u = smoothing / static_cast<float>(V);
      float e[256];
      for (int64_t v0 = 0; v0 < V; v0 += 256) {
        const int64_t len = V - v0 < 256 ? V - v0 : 256;
        expShifted(e, x + v0, l, len);
#pragma omp simd
        for (int64_t v = 0; v < len; v++) d[v0 + v] += g * (e[v] - u);
      }
      d[t] -= g * (1.0f - smoothing);
    }
  });
}

}  // namespace llmk
