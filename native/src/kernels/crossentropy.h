// Cross-entropy fused with log-softmax over rows of logits (rows, V), with label smoothing
// (PyTorch's rule) and an ignore index.
#pragma once
#include <cstdint>

namespace llmk {

// losses[r] = lse[r] − (1−ε)·logits[r, t] − ε·mean_v logits[r, v]; ignored rows get 0.
void crossentropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t rows,
                         int64_t V, int32_t ignoreIndex, float smoothing);
// dlogits[r, v] += dlosses[r]·(softmax(r, v) − (1−ε)·[v = t] − ε/V); ignored rows untouched.
void crossentropyBackward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                          const float* dlosses, int64_t rows, int64_t V, int32_t ignoreIndex, float smoothing);

namespace ref {
void crossentropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t rows,
                         int64_t V, int32_t ignoreIndex, float smoothing);
void crossentropyBackward(float* dlogits, const float* logits, const float* lse, const int32_t* targets,
                          const float* dlosses, int64_t rows, int64_t V, int32_t ignoreIndex, float smoothing);
}  // namespace ref

}  // namespace llmk
