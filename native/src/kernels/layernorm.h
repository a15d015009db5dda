// LayerNorm and RMSNorm over the last axis C of (rows, C), forward and backward (llm.c layernorm_*).
#pragma once
#include <cstdint>

namespace llmk {

// out = (x − mean)·rstd·weight + bias; writes mean and rstd per row. weight/bias may be null.
void layernormForward(float* out, float* mean, float* rstd, const float* x, const float* weight, const float* bias,
                      int64_t rows, int64_t C, float eps);
// Accumulates dx, dweight, dbias (the latter two may be null).
void layernormBackward(float* dx, float* dweight, float* dbias, const float* dy, const float* x, const float* weight,
                       const float* mean, const float* rstd, int64_t rows, int64_t C);

// out = x·rstd·weight, rstd = 1/√(mean(x²) + eps).
void rmsnormForward(float* out, float* rstd, const float* x, const float* weight, int64_t rows, int64_t C, float eps);
void rmsnormBackward(float* dx, float* dweight, const float* dy, const float* x, const float* weight,
                     const float* rstd, int64_t rows, int64_t C);

namespace ref {
void layernormForward(float* out, float* mean, float* rstd, const float* x, const float* weight, const float* bias,
                      int64_t rows, int64_t C, float eps);
void layernormBackward(float* dx, float* dweight, float* dbias, const float* dy, const float* x, const float* weight,
                       const float* mean, const float* rstd, int64_t rows, int64_t C);
}  // namespace ref

}  // namespace llmk
