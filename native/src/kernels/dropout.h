// Inverted dropout with the counter-based hash dropoutUniform of src/tensor/backend.ts, so the
// native and reference backends draw identical masks for the same (seed, offset).
#pragma once
#include <cstdint>

namespace llmk {

// lowbias32 (Chris Wellons, "Hash function prospector") of i mixed with the seed; 24 uniform bits.
inline uint32_t dropoutBits(uint32_t seed, uint32_t i) {
  uint32_t x = i + seed * 0x9e3779b9u;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x >> 8;
}

// Keeps element i when dropoutBits(seed, offset + i)/2²⁴ ≥ p; out = x/(1−p) there, 0 elsewhere.
void dropoutForward(float* out, uint8_t* mask, const float* x, int64_t n, double p, uint32_t seed, uint64_t offset);
// dx += dy·mask/(1−p)
void dropoutBackward(float* dx, const float* dy, const uint8_t* mask, int64_t n, double p);

}  // namespace llmk
