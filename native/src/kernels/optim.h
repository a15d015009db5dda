// Optimizer updates over flat parameter buffers: AdamW and SGD with PyTorch's exact rules.
#pragma once
#include <cstdint>

namespace llmk {

// torch.optim.AdamW, step t ≥ 1 (Loshchilov & Hutter, arXiv:1711.05101).
void adamw(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
           float eps, float weightDecay, int64_t step);
// torch.optim.SGD with momentum/dampening/nesterov; buf may be null when momentum is 0.
void sgd(float* param, const float* grad, float* buf, int64_t n, float lr, float momentum, float dampening,
         float weightDecay, bool nesterov, bool firstStep);

}  // namespace llmk
