#include "kernels/optim.h"

#include <cmath>

#include "kernels/threadpool.h"

namespace llmk {

void adamw(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
           float eps, float weightDecay, int64_t step) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step));
  const float stepSize = static_cast<float>(lr / bc1);
  const float invBc2Sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  const float decay = 1.0f - lr * weightDecay;
  parallelFor(n, 1 << 15, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) {
      const float g = grad[i];
      const float mi = beta1 * m[i] + (1.0f - beta1) * g;
      const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] = param[i] * decay - stepSize * mi / (std::sqrt(vi) * invBc2Sqrt + eps);
    }
  });
}

void sgd(float* param, const float* grad, float* buf, int64_t n, float lr, float momentum, float dampening,
         float weightDecay, bool nesterov, bool firstStep) {
  parallelFor(n, 1 << 15, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      float g = grad[i] + weightDecay * param[i];
      if (momentum != 0.0f && buf) {
        const float b = firstStep ? g : momentum * buf[i] + (1.0f - dampening) * g;
        buf[i] = b;
        g = nesterov ? g + momentum * b : b;
      }
      param[i] -= lr * g;
    }
  });
}

}  // namespace llmk
