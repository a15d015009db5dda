// Rotary position embedding (Su et al., RoFormer, arXiv:2104.09864) on x (B, NH, T, HS).
#pragma once
#include <cstdint>

namespace llmk {

// Rotates the first rotaryDim features of each head by cos/sin (T, rotaryDim/2). interleaved: pairs
// (2i, 2i+1) (GPT-J, llama2.c); otherwise (i, i + rotaryDim/2) (HF Llama rotate_half). out may alias x.
void ropeForward(float* out, const float* x, const float* cos, const float* sin, int64_t B, int64_t NH, int64_t T,
                 int64_t HS, int64_t rotaryDim, bool interleaved);
// dx += Rᵀ·dy
void ropeBackward(float* dx, const float* dy, const float* cos, const float* sin, int64_t B, int64_t NH, int64_t T,
                  int64_t HS, int64_t rotaryDim, bool interleaved);

}  // namespace llmk
