// Elementwise kernels: binary (strided broadcast), unary and its backward, strided copy, axpy.
#pragma once
#include <cstdint>

namespace llmk {

// Operator codes match BinaryOp / UnaryOp in src/tensor/backend.ts.
enum BinaryOpCode { kAdd = 0, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kEq, kGt, kLt };
enum UnaryOpCode {
  kNeg = 0, kExp, kLog, kSqrt, kTanh, kSigmoid, kRelu, kGeluTanh, kGeluErf, kSilu, kAbs, kScale,
  kAddScalar, kPowScalar, kSquare, kRsqrt
};
constexpr int kMaxDims = 16;

// out (contiguous, shape) = a ∘ b, a and b read through their element strides (0 broadcasts).
void binaryForward(int op, float* out, const float* a, const int64_t* aStrides, const float* b,
                   const int64_t* bStrides, const int64_t* shape, int ndim);
// out[i] = f(x[i]); out may alias x.
void unaryForward(int op, float* out, const float* x, int64_t n, float alpha);
// dx[i] += dy[i]·f'(x[i]) (y = f(x)).
void unaryBackward(int op, float* dx, const float* x, const float* y, const float* dy, int64_t n, float alpha);
// out (contiguous, shape) = x read through strides; 4-byte elements of any type (float or int32).
void copyStrided(uint32_t* out, const uint32_t* x, const int64_t* shape, const int64_t* strides, int ndim);
// out[i] += alpha·x[i].
void accumulate(float* out, const float* x, int64_t n, float alpha);

}  // namespace llmk
