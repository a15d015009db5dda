// Vectorised exp for the kernels' hot loops (softmax, attention, cross-entropy, GELU): 8 lanes with
// AVX2, scalar std::exp otherwise. Cephes expf (S. Moshier): exp(x) = 2ⁿ·exp(r), r = x − n·ln2 split
// in two constants, degree-5 minimax polynomial for exp(r) on [−ln2/2, ln2/2]; max error ~1 ulp
// over the finite range. Inputs below −87.3 return 0 (so −∞ masks give exactly 0), above 88.7 +∞.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLMK_VEC_AVX2 1
#endif

namespace llmk {

#ifdef LLMK_VEC_AVX2
inline __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3365447504019f);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);  // also true for −∞
  const __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(n));
  y = _mm256_andnot_ps(under, y);
  return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}

// tanh(u) = 1 − 2/(exp(2u) + 1): saturates correctly at ±1; absolute error ~1e-7 near 0.
inline __m256 tanh256(__m256 u) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp256(_mm256_add_ps(u, u));
  return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
}

// Σ of the 8 lanes in double, lane order fixed.
inline double hsumDouble(__m256 v) {
  const __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  const __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  alignas(32) double t[4];
  _mm256_store_pd(t, _mm256_add_pd(a, b));
  return (t[0] + t[1]) + (t[2] + t[3]);
}
#endif

// dst[i] = exp(src[i] − shift) for i < n; returns Σ dst in double (dst may alias src).
inline double expShifted(float* dst, const float* src, float shift, int64_t n) {
  int64_t i = 0;
  double sum = 0;
#ifdef LLMK_VEC_AVX2
  const __m256 s = _mm256_set1_ps(shift);
  __m256d acc = _mm256_setzero_pd();
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(src + i), s));
    _mm256_storeu_ps(dst + i, e);
    acc = _mm256_add_pd(acc, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                                           _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1))));
  }
  alignas(32) double t[4];
  _mm256_store_pd(t, acc);
  sum = (t[0] + t[1]) + (t[2] + t[3]);
#endif
  for (; i < n; i++) {
    dst[i] = std::exp(src[i] - shift);
    sum += dst[i];
  }
  return sum;
}

}  // namespace llmk
