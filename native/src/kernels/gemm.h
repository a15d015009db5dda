// Single-precision GEMM, row-major, batched with strides (see Kernels.gemm in src/tensor/backend.ts).
#pragma once
#include <cstdint>

namespace llmk {

// C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b] for b < batch; op(A) is (M, K), op(B) is (K, N).
// beta = 0 ignores C's previous contents. Threaded; the result does not depend on the thread count.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
          int64_t strideC, int64_t batch);

// One GEMM on the calling thread only (for kernels that are already inside a parallel region).
void gemmSerial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

namespace ref {
// Triple loop, double accumulation: the oracle the fast path is tested against (llm.c matmul_forward_naive).
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
          int64_t strideC, int64_t batch);
}  // namespace ref

}  // namespace llmk
