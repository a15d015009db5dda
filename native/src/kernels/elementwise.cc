#include "kernels/elementwise.h"

#include <cmath>

#include "kernels/threadpool.h"
#include "kernels/vecmath.h"

namespace llmk {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per thread below which threading costs more than it saves

// Merges adjacent dimensions that are contiguous for every operand, so the inner loop is long.
// Returns the new rank; shape/strides are rewritten in place (strides[k][d] for operand k).
int collapse(int64_t* shape, int64_t (*strides)[kMaxDims], int nops, int ndim) {
  int out = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;  // size-1 dims never move the index
    bool merge = out > 0;
    for (int k = 0; k < nops && merge; k++)
      merge = strides[k][out - 1] == strides[k][d] * shape[d];
    if (merge) {
      shape[out - 1] *= shape[d];
      for (int k = 0; k < nops; k++) strides[k][out - 1] = strides[k][d];
    } else {
      shape[out] = shape[d];
      for (int k = 0; k < nops; k++) strides[k][out] = strides[k][d];
      out++;
    }
  }
  if (out == 0) {
    shape[0] = 1;
    for (int k = 0; k < nops; k++) strides[k][0] = 0;
    out = 1;
  }
  return out;
}

template <typename F>
inline void binaryRow(float* out, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n, F f) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i * sa], b[i * sb]);
  }
}

template <typename F>
void binaryImpl(float* out, const float* a, const float* b, const int64_t* shape, int64_t (*st)[kMaxDims], int nd,
                F f) {
  const int64_t inner = shape[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= shape[d];
  parallelFor(rows, inner >= kGrain ? 1 : (kGrain + inner - 1) / inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t oa = 0, ob = 0, rem = r;
      for (int d = nd - 2; d >= 0; d--) {
        const int64_t idx = rem % shape[d];
        rem /= shape[d];
        oa += idx * st[0][d];
        ob += idx * st[1][d];
      }
      binaryRow(out + r * inner, a + oa, st[0][nd - 1], b + ob, st[1][nd - 1], inner, f);
    }
  });
}

inline float jsMax(float a, float b) { return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b); }
inline float jsMin(float a, float b) { return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b); }

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

template <typename F>
void mapUnary(float* out, const float* x, int64_t n, F f) {
  parallelFor(n, kGrain, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] = f(x[i]);
  });
}

template <typename F>
void mapUnaryBackward(float* dx, const float* x, const float* y, const float* dy, int64_t n, F f) {
  parallelFor(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] * f(x[i], y[i]);
  });
}

// GELU (tanh form) with the vectorised tanh: the MLP activation of GPT-2, on every training step.
void geluTanhForward(float* out, const float* x, int64_t n) {
  parallelFor(n, kGrain, [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
#ifdef LLMK_VEC_AVX2
    const __m256 k0 = _mm256_set1_ps(kSqrt2OverPi), c = _mm256_set1_ps(kGeluC), half = _mm256_set1_ps(0.5f),
                 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= i1; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      const __m256 u = _mm256_mul_ps(k0, _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v));
      _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, tanh256(u))));
    }
#endif
    for (; i < i1; i++) out[i] = 0.5f * x[i] * (1.0f + std::tanh(kSqrt2OverPi * (x[i] + kGeluC * x[i] * x[i] * x[i])));
  });
}

// d/dx 0.5x(1+tanh u) = 0.5(1+tanh u) + 0.5x·(1 − tanh²u)·u',  u = √(2/π)(x + 0.044715x³)
void geluTanhBackward(float* dx, const float* x, const float* dy, int64_t n) {
  parallelFor(n, kGrain, [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
#ifdef LLMK_VEC_AVX2
    const __m256 k0 = _mm256_set1_ps(kSqrt2OverPi), c = _mm256_set1_ps(kGeluC), c3 = _mm256_set1_ps(3.0f * kGeluC),
                 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= i1; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      const __m256 v2 = _mm256_mul_ps(v, v);
      const __m256 u = _mm256_mul_ps(k0, _mm256_fmadd_ps(_mm256_mul_ps(c, v), v2, v));
      const __m256 t = tanh256(u);
      const __m256 du = _mm256_mul_ps(k0, _mm256_fmadd_ps(c3, v2, one));
      const __m256 sech2 = _mm256_fnmadd_ps(t, t, one);
      const __m256 grad = _mm256_fmadd_ps(_mm256_mul_ps(half, v), _mm256_mul_ps(sech2, du),
                                          _mm256_mul_ps(half, _mm256_add_ps(one, t)));
      _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(dy + i), grad, _mm256_loadu_ps(dx + i)));
    }
#endif
    for (; i < i1; i++) {
      const float v = x[i];
      const float u = kSqrt2OverPi * (v + kGeluC * v * v * v);
      const float t = std::tanh(u);
      const float du = kSqrt2OverPi * (1.0f + 3.0f * kGeluC * v * v);
      dx[i] += dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
    }
  });
}

}  // namespace

void binaryForward(int op, float* out, const float* a, const int64_t* aStrides, const float* b,
                   const int64_t* bStrides, const int64_t* shape, int ndim) {
  int64_t sh[kMaxDims], st[2][kMaxDims];
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 0) return;
    sh[d] = shape[d];
    st[0][d] = aStrides[d];
    st[1][d] = bStrides[d];
  }
  const int nd = collapse(sh, st, 2, ndim);
  switch (op) {
    case kAdd: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u + v; });
    case kSub: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u - v; });
    case kMul: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u * v; });
    case kDiv: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u / v; });
    case kPow: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return std::pow(u, v); });
    case kMaximum: return binaryImpl(out, a, b, sh, st, nd, jsMax);
    case kMinimum: return binaryImpl(out, a, b, sh, st, nd, jsMin);
    case kEq: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u == v ? 1.0f : 0.0f; });
    case kGt: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u > v ? 1.0f : 0.0f; });
    case kLt: return binaryImpl(out, a, b, sh, st, nd, [](float u, float v) { return u < v ? 1.0f : 0.0f; });
    default: return;
  }
}

void unaryForward(int op, float* out, const float* x, int64_t n, float alpha) {
  switch (op) {
    case kNeg: return mapUnary(out, x, n, [](float v) { return -v; });
    case kExp: return mapUnary(out, x, n, [](float v) { return std::exp(v); });
    case kLog: return mapUnary(out, x, n, [](float v) { return std::log(v); });
    case kSqrt: return mapUnary(out, x, n, [](float v) { return std::sqrt(v); });
    case kTanh: return mapUnary(out, x, n, [](float v) { return std::tanh(v); });
    case kSigmoid: return mapUnary(out, x, n, sigmoidf);
    case kRelu: return mapUnary(out, x, n, [](float v) { return v > 0.0f || std::isnan(v) ? v : 0.0f; });  // Math.max(x, 0)
    case kGeluTanh: return geluTanhForward(out, x, n);
    case kGeluErf: return mapUnary(out, x, n, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
    case kSilu: return mapUnary(out, x, n, [](float v) { return v * sigmoidf(v); });
    case kAbs: return mapUnary(out, x, n, [](float v) { return std::fabs(v); });
    case kScale: return mapUnary(out, x, n, [alpha](float v) { return v * alpha; });
    case kAddScalar: return mapUnary(out, x, n, [alpha](float v) { return v + alpha; });
    case kPowScalar: return mapUnary(out, x, n, [alpha](float v) { return std::pow(v, alpha); });
    case kSquare: return mapUnary(out, x, n, [](float v) { return v * v; });
    case kRsqrt: return mapUnary(out, x, n, [](float v) { return 1.0f / std::sqrt(v); });
    default: return;
  }
}

void unaryBackward(int op, float* dx, const float* x, const float* y, const float* dy, int64_t n, float alpha) {
  switch (op) {
    case kNeg: return mapUnaryBackward(dx, x, y, dy, n, [](float, float) { return -1.0f; });
    case kExp: return mapUnaryBackward(dx, x, y, dy, n, [](float, float yv) { return yv; });
    case kLog: return mapUnaryBackward(dx, x, y, dy, n, [](float xv, float) { return 1.0f / xv; });
    case kSqrt: return mapUnaryBackward(dx, x, y, dy, n, [](float, float yv) { return 0.5f / yv; });
    case kTanh: return mapUnaryBackward(dx, x, y, dy, n, [](float, float yv) { return 1.0f - yv * yv; });
    case kSigmoid: return mapUnaryBackward(dx, x, y, dy, n, [](float, float yv) { return yv * (1.0f - yv); });
    case kRelu: return mapUnaryBackward(dx, x, y, dy, n, [](float xv, float) { return xv > 0.0f ? 1.0f : 0.0f; });
    case kGeluTanh: return geluTanhBackward(dx, x, dy, n);
    case kGeluErf:
      // Φ(x) + x·φ(x)
      return mapUnaryBackward(dx, x, y, dy, n, [](float v, float) {
        return 0.5f * (1.0f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
      });
    case kSilu:
      return mapUnaryBackward(dx, x, y, dy, n, [](float v, float) {
        const float s = sigmoidf(v);
        return s * (1.0f + v * (1.0f - s));
      });
    case kAbs:
      return mapUnaryBackward(dx, x, y, dy, n,
                              [](float v, float) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); });
    case kScale: return mapUnaryBackward(dx, x, y, dy, n, [alpha](float, float) { return alpha; });
    case kAddScalar: return mapUnaryBackward(dx, x, y, dy, n, [](float, float) { return 1.0f; });
    case kPowScalar:
      return mapUnaryBackward(dx, x, y, dy, n,
                              [alpha](float v, float) { return alpha * std::pow(v, alpha - 1.0f); });
    case kSquare: return mapUnaryBackward(dx, x, y, dy, n, [](float v, float) { return 2.0f * v; });
    case kRsqrt: return mapUnaryBackward(dx, x, y, dy, n, [](float, float yv) { return -0.5f * yv * yv * yv; });
    default: return;
  }
}

void copyStrided(uint32_t* out, const uint32_t* x, const int64_t* shape, const int64_t* strides, int ndim) {
  int64_t sh[kMaxDims], st[1][kMaxDims];
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 0) return;
    sh[d] = shape[d];
    st[0][d] = strides[d];
  }
  const int nd = collapse(sh, st, 1, ndim);
  const int64_t inner = sh[nd - 1], s = st[0][nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= sh[d];
  parallelFor(rows, inner >= kGrain ? 1 : (kGrain + inner - 1) / inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t off = 0, rem = r;
      for (int d = nd - 2; d >= 0; d--) {
        off += (rem % sh[d]) * st[0][d];
        rem /= sh[d];
      }
      const uint32_t* src = x + off;
      uint32_t* dst = out + r * inner;
      if (s == 1) {
        for (int64_t i = 0; i < inner; i++) dst[i] = src[i];
      } else {
        for (int64_t i = 0; i < inner; i++) dst[i] = src[i * s];
      }
    }
  });
}

void accumulate(float* out, const float* x, int64_t n, float alpha) {
  parallelFor(n, kGrain, [&](int64_t i0, int64_t i1) {
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) out[i] += alpha * x[i];
  });
}

}  // namespace llmk
