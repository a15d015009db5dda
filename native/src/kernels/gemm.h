// Single-precision GEMM, row-major, batched with strides (see Kernels.gemm in src/tensor/backend.ts).
#pragma once
#include <cstdint>

namespace llmk {

// Data-cache sizes the GEMM blocking is derived from (bytes), read once from sysfs, else cpuid,
// else defaults; `source` says which. l3Share is the L3 divided by the CPUs that share it.
struct CacheInfo {
  int64_t l1d = 0, l1dWays = 0, l2 = 0, l3 = 0, l3Share = 0, line = 0;
  const char* source = "default";
};
const CacheInfo& cacheInfo();

// Register tile (MR×NR, fixed by the micro-kernel) and cache blocks (KC, MC, NC) in elements.
// `source`: "cache" (derived from cacheInfo()) or "env" (LLMK_GEMM_KC/MC/NC set, for tuning runs).
struct GemmBlocking {
  int64_t mr = 0, nr = 0, kc = 0, mc = 0, nc = 0;
  const char* source = "cache";
};
const GemmBlocking& gemmBlocking();
// The blocking a CPU with these caches gets (pure; exposed for tests and the bench).
GemmBlocking blockingFor(const CacheInfo& c);

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
