// Softmax and log-softmax over the last axis of (rows, cols), forward and backward.
#pragma once
#include <cstdint>

namespace llmk {

void softmaxForward(float* out, const float* x, int64_t rows, int64_t cols);
// dx += y ⊙ (dy − Σ dy⊙y)
void softmaxBackward(float* dx, const float* y, const float* dy, int64_t rows, int64_t cols);
void logSoftmaxForward(float* out, const float* x, int64_t rows, int64_t cols);
// dx += dy − exp(y)·Σ dy
void logSoftmaxBackward(float* dx, const float* y, const float* dy, int64_t rows, int64_t cols);

// Row helpers shared with cross-entropy and attention: max, and log Σ exp(x − max) + max.
float rowMax(const float* x, int64_t n);
float rowLogSumExp(const float* x, int64_t n);

}  // namespace llmk
