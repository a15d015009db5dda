// Argument parsing shared by the fast and the naive (ref) bindings of gemm and attention.
#pragma once
#include "kernels/attention.h"
#include "napi/args.h"

namespace llmk::napi {

struct GemmArgs {
  bool transA, transB;
  int64_t M, N, K, lda, sA, ldb, sB, ldc, sC, batch;
  float alpha, beta;
  float *A, *B, *C;
};
// Arguments in Kernels.gemm order, with every array checked to span the matrices it must hold.
GemmArgs gemmArgs(const Args& a);
// B, NH, NKV, T, S, HS, scale, causal from index `first`; mask and its strides at maskIdx, maskIdx + 1.
AttentionShape attentionShape(const Args& a, size_t maskIdx, size_t first);
// The optional kvStride argument of attentionForward at index i (absent: dense k and v, S·HS).
void readKvStride(const Args& a, size_t i, AttentionShape* sh);
// Elements k and v must hold: B·NKV blocks kvStride apart, the last S·HS long.
int64_t kvSpan(const AttentionShape& sh);

}  // namespace llmk::napi
