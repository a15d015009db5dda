#include "kernels/reduce.h"

#include <cmath>
#include <vector>

#include "kernels/threadpool.h"

namespace llmk {

void reduce(int op, float* out, const float* x, int64_t outer, int64_t n, int64_t inner) {
  // Work items: (outer row, block of 64 inner columns); each is reduced in j order by one thread.
  constexpr int64_t W = 64;
  const int64_t blocks = (inner + W - 1) / W;
  const int64_t items = outer * blocks;
  const int64_t grain = n * inner / (items > 0 ? items : 1) > 4096 ? 1 : 64;
  parallelFor(items, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / blocks, i0 = (t % blocks) * W;
      const int64_t w = inner - i0 < W ? inner - i0 : W;
      const float* base = x + o * n * inner + i0;
      float* dst = out + o * inner + i0;
      if (op == kSum) {
        if (inner == 1) {
          double s = 0;
#pragma omp simd reduction(+ : s)
          for (int64_t j = 0; j < n; j++) s += base[j];
          dst[0] = static_cast<float>(s);
          continue;
        }
        double acc[W] = {0};
        for (int64_t j = 0; j < n; j++) {
          const float* row = base + j * inner;
          for (int64_t i = 0; i < w; i++) acc[i] += row[i];
        }
        for (int64_t i = 0; i < w; i++) dst[i] = static_cast<float>(acc[i]);
      } else {
        float acc[W];
        const bool isMax = op == kMax;
        for (int64_t i = 0; i < w; i++) acc[i] = isMax ? -INFINITY : INFINITY;
        for (int64_t j = 0; j < n; j++) {
          const float* row = base + j * inner;
          for (int64_t i = 0; i < w; i++) {
            const float v = row[i];
            // NaN propagates, as Math.max/Math.min and torch.amax do.
            if (std::isnan(v) || std::isnan(acc[i]))
              acc[i] = NAN;
            else if (isMax ? v > acc[i] : v < acc[i])
              acc[i] = v;
          }
        }
        for (int64_t i = 0; i < w; i++) dst[i] = acc[i];
      }
    }
  });
}

void argReduce(int op, int32_t* out, const float* x, int64_t outer, int64_t n, int64_t inner) {
  const bool isMax = op == kMax;
  parallelFor(outer * inner, 256, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / inner, i = t % inner;
      const float* base = x + o * n * inner + i;
      int32_t best = 0;
      float bv = n > 0 ? base[0] : 0.0f;
      for (int64_t j = 1; j < n; j++) {
        const float v = base[j * inner];
        if (isMax ? v > bv : v < bv) {
          bv = v;
          best = static_cast<int32_t>(j);
        }
      }
      out[t] = best;
    }
  });
}

double sumSquares(const float* x, int64_t n) {
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 0) return 0.0;
  std::vector<double> partial(static_cast<size_t>(chunks));
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
      const int64_t i0 = c * kChunk, i1 = i0 + kChunk < n ? i0 + kChunk : n;
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = i0; i < i1; i++) s += static_cast<double>(x[i]) * x[i];
      partial[c] = s;
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace llmk
