// Naive GEMM (llm.c matmul_forward_naive style): one output element at a time, double accumulator.
#include "kernels/gemm.h"

namespace llmk::ref {

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
          int64_t strideC, int64_t batch) {
  for (int64_t b = 0; b < batch; b++) {
    const float* a = A + b * strideA;
    const float* bb = B + b * strideB;
    float* c = C + b * strideC;
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        double acc = 0;
        for (int64_t k = 0; k < K; k++) {
          const float av = transA ? a[k * lda + i] : a[i * lda + k];
          const float bv = transB ? bb[j * ldb + k] : bb[k * ldb + j];
          acc += static_cast<double>(av) * bv;
        }
        const double prev = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c[i * ldc + j];
        c[i * ldc + j] = static_cast<float>(alpha * acc + prev);
      }
    }
  }
}

}  // namespace llmk::ref
