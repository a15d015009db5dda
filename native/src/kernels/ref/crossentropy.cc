// Naive cross-entropy in double arithmetic: the fast kernel's oracle.
#include <cmath>

#include "kernels/crossentropy.h"

namespace llmk::ref {

void crossentropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t rows,
                         int64_t V, int32_t ignoreIndex, float smoothing) {
  for (int64_t r = 0; r < rows; r++) {
    const float* x = logits + r * V;
    double m = -INFINITY;
    for (int64_t v = 0; v < V; v++) m = x[v] > m ? x[v] : m;
    double s = 0, mean = 0;
    for (int64_t v = 0; v < V; v++) {
      s += std::exp(x[v] - m);
      mean += x[v];
    }
    mean /= V;
    const double l = m + std::log(s);
    lse[r] = static_cast<float>(l);
    losses[r] = targets[r] == ignoreIndex ? 0.0f
                                          : static_cast<float>(l - (1.0 - smoothing) * x[targets[r]] - smoothing * mean);
  }
}

void crossentropyBackward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                          const float* dlosses, int64_t rows, int64_t V, int32_t ignoreIndex, float smoothing) {
  for (int64_t r = 0; r < rows; r++) {
    if (targets[r] == ignoreIndex) continue;
    for (int64_t v = 0; v < V; v++) {
      const double p = std::exp(static_cast<double>(logits[r * V + v]) - lse[r]);
      const double hot = v == targets[r] ? 1.0 - smoothing : 0.0;
      dlogits[r * V + v] += static_cast<float>(dlosses[r] * (p - hot - smoothing / V));
    }
  }
}

}  // namespace llmk::ref
