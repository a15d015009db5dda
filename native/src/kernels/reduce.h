// Reductions over the middle axis of (outer, n, inner), arg-reductions, and Σx² in double.
#pragma once
#include <cstdint>

namespace llmk {

enum ReduceOpCode { kSum = 0, kMax = 1, kMin = 2 };

// out[o·inner + i] = reduce_j x[(o·n + j)·inner + i]; sums accumulate in double.
void reduce(int op, float* out, const float* x, int64_t outer, int64_t n, int64_t inner);
// Index of the first max (or min) along the middle axis.
void argReduce(int op, int32_t* out, const float* x, int64_t outer, int64_t n, int64_t inner);
// Σ x[i]², accumulated in double over fixed 64K-element chunks combined in order (thread-count independent).
double sumSquares(const float* x, int64_t n);

}  // namespace llmk
