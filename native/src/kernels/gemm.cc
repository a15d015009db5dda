// Packed, register-blocked SGEMM after Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication" (TOMS 2008) and the BLIS loop structure (Van Zee & van de Geijn, TOMS 2015):
//   for jc (NC columns of C) → for pc (KC of K): pack B[pc, jc] into NR-wide panels
//     → for ic (MC rows): pack A[ic, pc] into MR-tall panels → for jr, ir: MR×NR micro-kernel.
// Packing absorbs every transA/transB/lda/ldb case, so one micro-kernel serves all of them. Edge
// panels are zero-padded and go through the same micro-kernel, so every element of C is computed
// by the same sequence of operations whatever the thread count and partition: results are
// bit-identical for 1 or n threads. Threads split C into disjoint column (or row) ranges.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "kernels/threadpool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLMK_GEMM_AVX2 1
#endif

namespace llmk {
namespace {

constexpr int64_t MR = 6;    // micro-tile rows: 6×16 uses 12 of 16 ymm registers as accumulators
constexpr int64_t NR = 16;   // micro-tile columns (two ymm vectors)

// Per-thread packing buffers, grown on demand and reused by every later call (pool threads persist).
struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  int64_t aCap = 0, bCap = 0;
  ~PackBuffers() {
    std::free(a);
    std::free(b);
  }
  static float* grow(float* p, int64_t* cap, int64_t need) {
    if (need <= *cap) return p;
    std::free(p);
    const size_t bytes = ((static_cast<size_t>(need) * sizeof(float) + 63) / 64) * 64;
    *cap = need;
    return static_cast<float*>(std::aligned_alloc(64, bytes));
  }
};
thread_local PackBuffers tlsPack;

// op(A)[i][k] for the (mc × kc) block at (i0, p0) into MR-row panels: panel r holds dst[k·MR + i].
void packA(float* dst, const float* A, int64_t lda, bool transA, int64_t i0, int64_t mc, int64_t p0,
           int64_t kc) {
  for (int64_t ip = 0; ip < mc; ip += MR) {
    const int64_t mr = std::min(MR, mc - ip);
    if (transA) {
      const float* src = A + p0 * lda + (i0 + ip);
      for (int64_t k = 0; k < kc; k++) {
        const float* s = src + k * lda;
        float* d = dst + k * MR;
        int64_t i = 0;
        for (; i < mr; i++) d[i] = s[i];
        for (; i < MR; i++) d[i] = 0.0f;
      }
    } else {
      for (int64_t i = 0; i < MR; i++) {
        if (i < mr) {
          const float* s = A + (i0 + ip + i) * lda + p0;
          for (int64_t k = 0; k < kc; k++) dst[k * MR + i] = s[k];
        } else {
          for (int64_t k = 0; k < kc; k++) dst[k * MR + i] = 0.0f;
        }
      }
    }
    dst += MR * kc;
  }
}

// op(B)[k][j] for the (kc × nc) block at (p0, j0) into NR-column panels: dst[k·NR + j].
void packB(float* dst, const float* B, int64_t ldb, bool transB, int64_t p0, int64_t kc, int64_t j0,
           int64_t nc) {
  for (int64_t jp = 0; jp < nc; jp += NR) {
    const int64_t nr = std::min(NR, nc - jp);
    if (!transB) {
      const float* src = B + p0 * ldb + (j0 + jp);
      if (nr == NR) {
        for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * NR, src + k * ldb, NR * sizeof(float));
      } else {
        for (int64_t k = 0; k < kc; k++) {
          int64_t j = 0;
          for (; j < nr; j++) dst[k * NR + j] = src[k * ldb + j];
          for (; j < NR; j++) dst[k * NR + j] = 0.0f;
        }
      }
    } else {
      for (int64_t j = 0; j < NR; j++) {
        if (j < nr) {
          const float* s = B + (j0 + jp + j) * ldb + p0;
          for (int64_t k = 0; k < kc; k++) dst[k * NR + j] = s[k];
        } else {
          for (int64_t k = 0; k < kc; k++) dst[k * NR + j] = 0.0f;
        }
      }
    }
    dst += NR * kc;
  }
}

// acc = Σ_k a[k·MR + i]·b[k·NR + j]; then C = alpha·acc + beta·C (first K block; beta 0 ignores C)
// or C += alpha·acc (later K blocks). Partial tiles (mr < MR or nr < NR) go through a scratch tile.
void microKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr, int64_t nr,
                 float alpha, float beta, bool first) {
  alignas(64) float tile[MR * NR];
#ifdef LLMK_GEMM_AVX2
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    const __m256 vb = _mm256_set1_ps(beta);
    for (int64_t i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      for (int h = 0; h < 2; h++) {
        const __m256 r = _mm256_mul_ps(va, acc[i][h]);
        __m256 out;
        if (!first)
          out = _mm256_add_ps(_mm256_loadu_ps(ci + 8 * h), r);
        else if (beta == 0.0f)
          out = r;
        else
          out = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8 * h), r);
        _mm256_storeu_ps(ci + 8 * h, out);
      }
    }
    return;
  }
  for (int64_t i = 0; i < MR; i++) {
    _mm256_store_ps(tile + i * NR, _mm256_mul_ps(va, acc[i][0]));
    _mm256_store_ps(tile + i * NR + 8, _mm256_mul_ps(va, acc[i][1]));
  }
#else
  float accs[MR * NR] = {0};
  for (int64_t k = 0; k < kc; k++) {
    for (int64_t i = 0; i < MR; i++)
      for (int64_t j = 0; j < NR; j++) accs[i * NR + j] += a[i] * b[j];
    a += MR;
    b += NR;
  }
  for (int64_t i = 0; i < MR * NR; i++) tile[i] = alpha * accs[i];
#endif
  for (int64_t i = 0; i < mr; i++) {
    float* ci = c + i * ldc;
    const float* t = tile + i * NR;
    for (int64_t j = 0; j < nr; j++) {
      if (!first)
        ci[j] += t[j];
      else if (beta == 0.0f)
        ci[j] = t[j];
      else
        ci[j] = beta * ci[j] + t[j];
    }
  }
}

// C[0:M, 0:N] of one GEMM on the calling thread (A, B, C already offset to the sub-block).
void gemmBlocked(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  PackBuffers& pb = tlsPack;
  const GemmBlocking& g = gemmBlocking();
  const int64_t KC = g.kc, MC = g.mc, NC = g.nc;
  const int64_t kcMax = std::min(KC, K);
  const int64_t ncMax = std::min(NC, (N + NR - 1) / NR * NR);
  const int64_t mcMax = std::min(MC, (M + MR - 1) / MR * MR);
  pb.a = PackBuffers::grow(pb.a, &pb.aCap, mcMax * kcMax);
  pb.b = PackBuffers::grow(pb.b, &pb.bCap, ncMax * kcMax);
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      // B offset: op(B)[pc.., jc..]; packB takes the original B and the block origin.
      packB(pb.b, B, ldb, transB, pc, kc, jc, nc);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        packA(pb.a, A, lda, transA, ic, mc, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min(NR, nc - jr);
          const float* bp = pb.b + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min(MR, mc - ir);
            microKernel(kc, pb.a + ir * kc, bp, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha, beta,
                        pc == 0);
          }
        }
      }
    }
  }
}

// y[j·incy] = alpha·Σ_k x[k·incx]·op(B)[k][j] + beta·y[j·incy] for j in [j0, j1): the M = 1 case
// (batch-1 decode), memory-bound on B, so B is streamed once without packing.
void gemvRange(bool transB, int64_t K, float alpha, const float* x, int64_t incx, const float* B, int64_t ldb,
               float beta, float* y, int64_t incy, int64_t j0, int64_t j1) {
  auto store = [&](int64_t j, float acc) {
    float* yj = y + j * incy;
    *yj = beta == 0.0f ? alpha * acc : alpha * acc + beta * *yj;
  };
  if (transB) {
    // op(B)[k][j] = B[j·ldb + k]: one dot product per output, 4 rows at a time.
    int64_t j = j0;
    for (; j + 4 <= j1; j += 4) {
      const float* r0 = B + j * ldb;
      const float* r1 = r0 + ldb;
      const float* r2 = r1 + ldb;
      const float* r3 = r2 + ldb;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      if (incx == 1) {
#pragma omp simd reduction(+ : s0, s1, s2, s3)
        for (int64_t k = 0; k < K; k++) {
          const float xv = x[k];
          s0 += xv * r0[k];
          s1 += xv * r1[k];
          s2 += xv * r2[k];
          s3 += xv * r3[k];
        }
      } else {
        for (int64_t k = 0; k < K; k++) {
          const float xv = x[k * incx];
          s0 += xv * r0[k];
          s1 += xv * r1[k];
          s2 += xv * r2[k];
          s3 += xv * r3[k];
        }
      }
      store(j, s0);
      store(j + 1, s1);
      store(j + 2, s2);
      store(j + 3, s3);
    }
    for (; j < j1; j++) {
      const float* r0 = B + j * ldb;
      float s0 = 0;
      if (incx == 1) {
#pragma omp simd reduction(+ : s0)
        for (int64_t k = 0; k < K; k++) s0 += x[k] * r0[k];
      } else {
        for (int64_t k = 0; k < K; k++) s0 += x[k * incx] * r0[k];
      }
      store(j, s0);
    }
    return;
  }
  // op(B)[k][j] = B[k·ldb + j]: y[j0:j1] += x[k]·B[k, j0:j1], four rows of B per pass so each pass
  // streams four contiguous rows (the accumulator strip stays in L1; B is read exactly once).
  thread_local std::vector<float> strip;
  const int64_t w = j1 - j0;
  if (static_cast<int64_t>(strip.size()) < w) strip.resize(w);
  float* acc = strip.data();
  std::memset(acc, 0, sizeof(float) * w);
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float x0 = x[k * incx], x1 = x[(k + 1) * incx], x2 = x[(k + 2) * incx], x3 = x[(k + 3) * incx];
    const float* r0 = B + k * ldb + j0;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
#pragma omp simd
    for (int64_t j = 0; j < w; j++) acc[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; k < K; k++) {
    const float x0 = x[k * incx];
    const float* r0 = B + k * ldb + j0;
#pragma omp simd
    for (int64_t j = 0; j < w; j++) acc[j] += x0 * r0[j];
  }
  for (int64_t j = 0; j < w; j++) store(j0 + j, acc[j]);
}

// C[0:M, j0:j1] for small M (2..8, decode with a few sequences) with B stored transposed (Linear
// weights as (out, in)): four rows of B at a time stay in L1 while every row of A is dotted with
// them, so B streams from memory once instead of being packed first.
void skinnyNT(int64_t M, int64_t K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
              float beta, float* C, int64_t ldc, int64_t j0, int64_t j1) {
  auto store = [&](int64_t i, int64_t j, float acc) {
    float* c = C + i * ldc + j;
    *c = beta == 0.0f ? alpha * acc : alpha * acc + beta * *c;
  };
  int64_t j = j0;
  for (; j + 4 <= j1; j += 4) {
    const float* r0 = B + j * ldb;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
    for (int64_t i = 0; i < M; i++) {
      const float* x = A + i * lda;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
      for (int64_t k = 0; k < K; k++) {
        s0 += x[k] * r0[k];
        s1 += x[k] * r1[k];
        s2 += x[k] * r2[k];
        s3 += x[k] * r3[k];
      }
      store(i, j, s0);
      store(i, j + 1, s1);
      store(i, j + 2, s2);
      store(i, j + 3, s3);
    }
  }
  for (; j < j1; j++) {
    const float* r0 = B + j * ldb;
    for (int64_t i = 0; i < M; i++) {
      const float* x = A + i * lda;
      float s0 = 0;
#pragma omp simd reduction(+ : s0)
      for (int64_t k = 0; k < K; k++) s0 += x[k] * r0[k];
      store(i, j, s0);
    }
  }
}

// C[0:M, j0:j1] for small M (2..8, decode with a few sequences) with B row-major (K × N, Conv1D
// weights as (in, out)): per block of 256 columns, four rows of B at a time are applied to every row of
// A while they sit in L1, so B streams from memory once instead of being packed first.
void skinnyNN(bool transA, int64_t M, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
              int64_t ldb, float beta, float* C, int64_t ldc, int64_t j0, int64_t j1) {
  constexpr int64_t JB = 256;
  alignas(64) float acc[8][JB];
  auto a = [&](int64_t i, int64_t k) { return transA ? A[k * lda + i] : A[i * lda + k]; };
  for (int64_t jb = j0; jb < j1; jb += JB) {
    const int64_t w = std::min(JB, j1 - jb);
    for (int64_t i = 0; i < M; i++) std::memset(acc[i], 0, sizeof(float) * w);
    int64_t k = 0;
    for (; k + 4 <= K; k += 4) {
      const float* r0 = B + k * ldb + jb;
      const float* r1 = r0 + ldb;
      const float* r2 = r1 + ldb;
      const float* r3 = r2 + ldb;
      for (int64_t i = 0; i < M; i++) {
        const float x0 = a(i, k), x1 = a(i, k + 1), x2 = a(i, k + 2), x3 = a(i, k + 3);
        float* c = acc[i];
#pragma omp simd
        for (int64_t j = 0; j < w; j++) c[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
      }
    }
    for (; k < K; k++) {
      const float* r0 = B + k * ldb + jb;
      for (int64_t i = 0; i < M; i++) {
        const float x0 = a(i, k);
        float* c = acc[i];
#pragma omp simd
        for (int64_t j = 0; j < w; j++) c[j] += x0 * r0[j];
      }
    }
    for (int64_t i = 0; i < M; i++) {
      float* out = C + i * ldc + jb;
      for (int64_t j = 0; j < w; j++) out[j] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * out[j];
    }
  }
}

// Scales C by beta (beta 0 writes zeros): the whole GEMM when K = 0 or alpha = 0.
void scaleC(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// One GEMM split over `n` threads, this being thread t: a disjoint range of C's columns or rows.
void gemmPart(int t, int n, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (K == 0 || alpha == 0.0f) {
    int64_t r0, r1;
    splitRange(M, t, n, &r0, &r1);
    scaleC(r1 - r0, N, beta, C + r0 * ldc, ldc);
    return;
  }
  if (M == 1) {
    int64_t j0, j1;
    splitRange((N + 15) / 16, t, n, &j0, &j1);
    gemvRange(transB, K, alpha, A, transA ? lda : 1, B, ldb, beta, C, 1, j0 * 16, std::min(N, j1 * 16));
    return;
  }
  if (N == 1) {
    // Cᵀ (1 × M) = op(B)ᵀ · op(A)ᵀ: a GEMV with x = op(B)[:, 0] and the matrix op(A)ᵀ.
    int64_t i0, i1;
    splitRange((M + 15) / 16, t, n, &i0, &i1);
    gemvRange(!transA, K, alpha, B, transB ? 1 : ldb, A, lda, beta, C, ldc, i0 * 16, std::min(M, i1 * 16));
    return;
  }
  if (M <= 8 && !transB) {
    int64_t j0, j1;
    splitRange((N + 15) / 16, t, n, &j0, &j1);
    skinnyNN(transA, M, K, alpha, A, lda, B, ldb, beta, C, ldc, j0 * 16, std::min(N, j1 * 16));
    return;
  }
  if (M <= 8 && transB && !transA) {
    int64_t j0, j1;
    splitRange((N + 15) / 16, t, n, &j0, &j1);
    skinnyNT(M, K, alpha, A, lda, B, ldb, beta, C, ldc, j0 * 16, std::min(N, j1 * 16));
    return;
  }
  const int64_t nPanels = (N + NR - 1) / NR, mPanels = (M + MR - 1) / MR;
  // Split columns when there are enough panels for every thread (each packs only its share of B);
  // otherwise rows (each packs all of B, but tall-skinny shapes keep both threads busy).
  if (nPanels >= 4 * n || nPanels * NR >= mPanels * MR) {
    int64_t p0, p1;
    splitRange(nPanels, t, n, &p0, &p1);
    const int64_t j0 = p0 * NR, j1 = std::min(N, p1 * NR);
    if (j0 >= j1) return;
    const float* Bj = transB ? B + j0 * ldb : B + j0;
    gemmBlocked(transA, transB, M, j1 - j0, K, alpha, A, lda, Bj, ldb, beta, C + j0, ldc);
  } else {
    int64_t p0, p1;
    splitRange(mPanels, t, n, &p0, &p1);
    const int64_t i0 = p0 * MR, i1 = std::min(M, p1 * MR);
    if (i0 >= i1) return;
    const float* Ai = transA ? A + i0 : A + i0 * lda;
    gemmBlocked(transA, transB, i1 - i0, N, K, alpha, Ai, lda, B, ldb, beta, C + i0 * ldc, ldc);
  }
}

}  // namespace

void gemmSerial(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  gemmPart(0, 1, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc,
          int64_t strideC, int64_t batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  const double flops = 2.0 * static_cast<double>(M) * N * (K > 0 ? K : 1);
  // Under ~64k flops per matrix a thread hand-off costs more than it saves. A matrix-vector product
  // is memory-bound and one core does not saturate memory: from 256K elements (1 MB) on, two threads
  // stream a weight matrix 1.2-1.5x faster than one (cold, quiet machine: 1x1536x384 10 -> 15 GB/s,
  // 1x768x3072 16 -> 21 GB/s); below that the hand-off eats the gain.
  const bool gemv = M == 1 || N == 1;
  constexpr double kGemvSplitMin = 262144.0;
  if (flops * batch < 65536.0 || (gemv && batch == 1 && static_cast<double>(K) * (M > N ? M : N) < kGemvSplitMin)) {
    for (int64_t b = 0; b < batch; b++)
      gemmPart(0, 1, transA, transB, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta,
               C + b * strideC, ldc);
    return;
  }
  // Many small matrices with distinct outputs: one thread per matrix range. Otherwise split each one.
  if (batch > 1 && strideC != 0 && flops < 8.0e6) {
    parallelFor(batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; b++)
        gemmPart(0, 1, transA, transB, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta,
                 C + b * strideC, ldc);
    });
    return;
  }
  // y = x·B with B (K × N) row-major: split K, so each thread streams one contiguous block of B's rows
  // rather than a piece of every row, then add the per-thread partial rows in a fixed order (the result
  // depends on the thread count, as the threadpool allows). Cold, quiet machine, three interleaved
  // rounds: 1×384×1536 12.9 → 17.7 GB/s, 1×3072×768 13.0 → 18.5, 1×768×3072 19.3 → 22.7.
  if (M == 1 && !transB && batch == 1 && K >= 64) {
    thread_local std::vector<float> partial;
    const int nt = getThreads();
    if (static_cast<int64_t>(partial.size()) < nt * N) partial.resize(nt * N);
    float* parts = partial.data();
    int used = 1;
    parallelRun(nt, [&](int t, int n) {
      if (t == 0) used = n;
      int64_t k0, k1;
      splitRange(K, t, n, &k0, &k1);
      gemvRange(false, k1 - k0, 1.0f, A + k0 * (transA ? lda : 1), transA ? lda : 1, B + k0 * ldb, ldb, 0.0f,
                parts + t * N, 1, 0, N);
    });
    for (int64_t j = 0; j < N; j++) {
      float acc = parts[j];
      for (int t = 1; t < used; t++) acc += parts[t * N + j];
      C[j] = beta == 0.0f ? alpha * acc : alpha * acc + beta * C[j];
    }
    return;
  }
  for (int64_t b = 0; b < batch; b++) {
    const float* a = A + b * strideA;
    const float* bb = B + b * strideB;
    float* c = C + b * strideC;
    parallelRun(1 << 30, [&](int t, int n) {
      gemmPart(t, n, transA, transB, M, N, K, alpha, a, lda, bb, ldb, beta, c, ldc);
    });
  }
}

// ---- Cache sizes and the blocking derived from them -------------------------------------------
//
// Goto & van de Geijn (2008) §6 and the BLIS analytical model (Low et al., "Analytical Modeling Is
// Enough for High-Performance BLIS", TOMS 2016): each packed operand lives in the cache level that
// feeds the loop which reuses it.
//   KC: a KC×NR micro-panel of B is reused by every MR×KC micro-panel of A in the jr/ir loops, from
//       L1. It gets half of L1; the other half holds the streaming A micro-panels (MR·KC floats,
//       two in flight) and the C tile. 32 KB → 256, 48 KB → 384.
//   MC: the MC×KC block of A is reused across all of a thread's B micro-panels, from L2. It gets a
//       quarter of L2, leaving room for the B micro-panels passing through on their way to L1 and
//       for the rows of C (BLIS's Zen 144×256 is about that; here 84–252 rows measured alike).
//   NC: the KC×NC block of B is reused across every MC block, from L3. It gets half of the L3, up
//       to 8192 columns. Not the per-CPU share: at MC ≥ 84 a block streamed from memory needs under
//       2 GB/s, while a small NC makes every thread re-pack its A block once per NC columns
//       (NC 672 from a 2 MB share measured 8% slower than 3072: BENCHMARKS.md).
// The thread split never depends on these, so results stay bit-identical across thread counts; KC
// sets where K is cut into partial sums, so results may differ (in the last bits) between CPUs with
// different L1 sizes, as with any BLAS.
namespace {

int64_t parseSize(const std::string& text) {  // "32K", "1024K", "16M", "48 KB"
  const char* p = text.c_str();
  char* end = nullptr;
  const long long v = std::strtoll(p, &end, 10);
  if (end == p || v <= 0) return 0;
  while (*end == ' ') end++;
  if (*end == 'K' || *end == 'k') return v * 1024;
  if (*end == 'M' || *end == 'm') return v * 1024 * 1024;
  if (*end == 'G' || *end == 'g') return v * 1024 * 1024 * 1024;
  return v;
}

std::string readLine(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return "";
  char buf[256] = {0};
  const char* ok = std::fgets(buf, sizeof buf, f);
  std::fclose(f);
  std::string s = ok ? buf : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// CPUs in a sysfs list such as "0-3,8-11".
int64_t countCpuList(const std::string& list) {
  int64_t n = 0;
  const char* p = list.c_str();
  while (*p) {
    char* end = nullptr;
    const long a = std::strtol(p, &end, 10);
    if (end == p) break;
    long b = a;
    p = end;
    if (*p == '-') {
      b = std::strtol(p + 1, &end, 10);
      p = end;
    }
    n += b - a + 1;
    if (*p == ',') p++;
  }
  return n;
}

// Linux: /sys/devices/system/cpu/cpu0/cache/index*/{level,type,size,ways_of_associativity,...}.
bool fromSysfs(CacheInfo* c) {
  bool any = false;
  for (int i = 0; i < 8; i++) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = readLine(dir + "level");
    if (level.empty()) break;
    const std::string type = readLine(dir + "type");
    if (type == "Instruction") continue;
    const int64_t size = parseSize(readLine(dir + "size"));
    if (size <= 0) continue;
    any = true;
    const int64_t line = parseSize(readLine(dir + "coherency_line_size"));
    if (line > 0) c->line = line;
    if (level == "1") {
      c->l1d = size;
      c->l1dWays = parseSize(readLine(dir + "ways_of_associativity"));
    } else if (level == "2") {
      c->l2 = size;
    } else if (level == "3") {
      c->l3 = size;
      const int64_t sharing = countCpuList(readLine(dir + "shared_cpu_list"));
      c->l3Share = size / std::max<int64_t>(1, sharing);
    }
  }
  return any && c->l1d > 0 && c->l2 > 0;
}

#if defined(__x86_64__) || defined(__i386__)
// cpuid leaf 4 (Intel) or 0x8000001D (AMD): one sub-leaf per cache, same layout. Where a hypervisor
// leaves those empty, AMD's legacy leaves 0x80000005 (L1d) and 0x80000006 (L2, L3).
bool fromCpuid(CacheInfo* c) {
  unsigned a = 0, b = 0, cx = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &cx, &d)) return false;
  const unsigned maxLeaf = a;
  const bool amd = b == 0x68747541;  // "Auth"enticAMD
  unsigned maxExt = 0;
  if (__get_cpuid(0x80000000, &a, &b, &cx, &d)) maxExt = a;
  unsigned logical = 1;  // logical CPUs per package (leaf 1 EBX[23:16]), the L3 share's divisor
  if (__get_cpuid(1, &a, &b, &cx, &d)) logical = std::max(1u, (b >> 16) & 0xff);
  const unsigned leaf = amd ? 0x8000001D : 4;
  const bool hasLeaf = amd ? maxExt >= 0x8000001D : maxLeaf >= 4;
  bool any = false;
  for (unsigned sub = 0; hasLeaf && sub < 8; sub++) {
    if (!__get_cpuid_count(leaf, sub, &a, &b, &cx, &d)) break;
    const unsigned type = a & 31;  // 1 data, 2 instruction, 3 unified
    if (type == 0) break;
    if (type == 2) continue;
    const unsigned level = (a >> 5) & 7;
    const int64_t sharing = ((a >> 14) & 0xfff) + 1;
    const int64_t line = (b & 0xfff) + 1, parts = ((b >> 12) & 0x3ff) + 1, ways = ((b >> 22) & 0x3ff) + 1;
    const int64_t size = ways * parts * line * (static_cast<int64_t>(cx) + 1);
    any = true;
    c->line = line;
    if (level == 1) {
      c->l1d = size;
      c->l1dWays = ways;
    } else if (level == 2) {
      c->l2 = size;
    } else if (level == 3) {
      c->l3 = size;
      c->l3Share = size / sharing;
    }
  }
  if (any && c->l1d > 0 && c->l2 > 0) return true;
  if (!amd || maxExt < 0x80000006) return false;
  __get_cpuid(0x80000005, &a, &b, &cx, &d);
  c->l1d = static_cast<int64_t>(cx >> 24) * 1024;  // ECX[31:24] KB, [23:16] ways, [7:0] line
  c->l1dWays = (cx >> 16) & 0xff;
  c->line = cx & 0xff;
  __get_cpuid(0x80000006, &a, &b, &cx, &d);
  c->l2 = static_cast<int64_t>(cx >> 16) * 1024;              // ECX[31:16] KB
  c->l3 = static_cast<int64_t>(d >> 18) * 512 * 1024;         // EDX[31:18] in 512 KB units
  c->l3Share = c->l3 / logical;
  return c->l1d > 0 && c->l2 > 0;
}
#else
bool fromCpuid(CacheInfo*) { return false; }
#endif

CacheInfo detectCaches() {
  CacheInfo c;
  if (fromSysfs(&c)) {
    c.source = "sysfs";
  } else {
    c = CacheInfo();
    if (fromCpuid(&c)) {
      c.source = "cpuid";
    } else {
      c = CacheInfo();  // a common x86 core of the last decade
      c.l1d = 32 * 1024;
      c.l1dWays = 8;
      c.l2 = 512 * 1024;
      c.l3 = 8 * 1024 * 1024;
      c.source = "default";
    }
  }
  if (c.line <= 0) c.line = 64;
  if (c.l3 <= 0) c.l3 = c.l2;
  if (c.l3Share <= 0) c.l3Share = c.l3;
  return c;
}

int64_t envBlock(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  const long long n = std::strtoll(v, nullptr, 10);
  return n > 0 ? n : 0;
}

}  // namespace

GemmBlocking blockingFor(const CacheInfo& c) {
  GemmBlocking g;
  g.mr = MR;
  g.nr = NR;
  const int64_t f = static_cast<int64_t>(sizeof(float));
  g.kc = std::clamp<int64_t>(c.l1d / 2 / (NR * f) / 8 * 8, 64, 1024);
  g.mc = std::clamp<int64_t>(c.l2 / 4 / (g.kc * f) / MR * MR, 4 * MR, 1020);
  g.nc = std::clamp<int64_t>(c.l3 / 2 / (g.kc * f) / NR * NR, 16 * NR, 8192);
  g.source = "cache";
  return g;
}

const CacheInfo& cacheInfo() {
  static const CacheInfo info = detectCaches();
  return info;
}

const GemmBlocking& gemmBlocking() {
  static const GemmBlocking blocking = [] {
    GemmBlocking g = blockingFor(cacheInfo());
    const int64_t kc = envBlock("LLMK_GEMM_KC"), mc = envBlock("LLMK_GEMM_MC"), nc = envBlock("LLMK_GEMM_NC");
    if (kc || mc || nc) {
      if (kc) g.kc = kc;
      if (mc) g.mc = std::max<int64_t>(MR, mc / MR * MR);
      if (nc) g.nc = std::max<int64_t>(NR, nc / NR * NR);
      g.source = "env";
    }
    return g;
  }();
  return blocking;
}

}  // namespace llmk
