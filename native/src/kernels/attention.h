// Fused scaled dot-product attention with grouped-query heads, causal offset (KV cache) and an
// additive strided mask. Forward saves the log-sum-exp of each score row; backward recomputes the
// probabilities from it (FlashAttention-2, Dao 2023, arXiv:2307.08691, Algorithm 2).
#pragma once
#include <cstdint>

namespace llmk {

struct AttentionShape {
  int64_t B, NH, NKV, T, S, HS;
  // Elements from one (batch, kv head) block of k and v to the next: S·HS for dense (B, NKV, S, HS);
  // larger when k and v are the first S rows of a longer buffer (a KV cache read in place).
  int64_t kvStride;
  float scale;
  bool causal;
  const float* mask;         // null: no mask
  int64_t mb, mh, mt;        // mask strides for batch, head, query row (the key axis is contiguous)
};

// q (B, NH, T, HS), k/v (B, NKV, S, HS), out (B, NH, T, HS), lse (B, NH, T).
void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const AttentionShape& sh);
// Accumulates dq, dk, dv. Work is split by (batch, kv head), so the query heads sharing a kv head
// add into dk/dv from one thread, in order: no races and a thread-count independent result.
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const AttentionShape& sh);

namespace ref {
void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const AttentionShape& sh);
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const AttentionShape& sh);
}  // namespace ref

}  // namespace llmk
