// Embedding lookup and its scatter-add backward.
#pragma once
#include <cstdint>

namespace llmk {

// out[i, :] = weight[ids[i], :]
void embeddingForward(float* out, const float* weight, const int32_t* ids, int64_t n, int64_t C);
// dweight[ids[i], :] += dout[i, :], i in order; threads split the columns, so no two touch one element.
void embeddingBackward(float* dweight, const float* dout, const int32_t* ids, int64_t n, int64_t C);

}  // namespace llmk
