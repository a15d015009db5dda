// Bindings for the naive kernels (exported as `ref.<name>`), the oracles the fast ones are tested against.
#include <napi.h>

#include "kernels/attention.h"
#include "kernels/crossentropy.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "napi/args.h"
#include "napi/shapes.h"

namespace llmk::napi {


void registerRef(Napi::Env env, Napi::Object exports) {
  Napi::Object ref = Napi::Object::New(env);
  ref.Set("gemm", bind(env, "ref.gemm", [](Args& a) {
            const GemmArgs g = gemmArgs(a);
            ref::gemm(g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.sA, g.B, g.ldb, g.sB, g.beta, g.C,
                      g.ldc, g.sC, g.batch);
            return a.env().Undefined();
          }));
  ref.Set("layerNormForward", bind(env, "ref.layerNormForward", [](Args& a) {
            const int64_t rows = a.size(6, "rows"), C = a.size(7, "C");
            ref::layernormForward(a.f32(0, "out", rows * C), a.f32(1, "mean", rows), a.f32(2, "rstd", rows),
                                  a.f32(3, "x", rows * C), a.f32OrNull(4, "weight", C), a.f32OrNull(5, "bias", C),
                                  rows, C, static_cast<float>(a.num(8, "eps")));
            return a.env().Undefined();
          }));
  ref.Set("layerNormBackward", bind(env, "ref.layerNormBackward", [](Args& a) {
            const int64_t rows = a.size(8, "rows"), C = a.size(9, "C");
            ref::layernormBackward(a.f32(0, "dx", rows * C), a.f32OrNull(1, "dweight", C), a.f32OrNull(2, "dbias", C),
                                   a.f32(3, "dy", rows * C), a.f32(4, "x", rows * C), a.f32OrNull(5, "weight", C),
                                   a.f32(6, "mean", rows), a.f32(7, "rstd", rows), rows, C);
            return a.env().Undefined();
          }));
  ref.Set("crossEntropyForward", bind(env, "ref.crossEntropyForward", [](Args& a) {
            const int64_t rows = a.size(4, "rows"), V = a.size(5, "V");
            const int32_t ignore = static_cast<int32_t>(a.integer(6, "ignoreIndex"));
            const int32_t* targets = a.i32(3, "targets", rows);
            for (int64_t r = 0; r < rows; r++)
              if (targets[r] != ignore && (targets[r] < 0 || targets[r] >= V)) a.fail("target outside [0, V)");
            ref::crossentropyForward(a.f32(0, "losses", rows), a.f32(1, "lse", rows), a.f32(2, "logits", rows * V),
                                     targets, rows, V, ignore, static_cast<float>(a.num(7, "smoothing")));
            return a.env().Undefined();
          }));
  ref.Set("crossEntropyBackward", bind(env, "ref.crossEntropyBackward", [](Args& a) {
            const int64_t rows = a.size(5, "rows"), V = a.size(6, "V");
            const int32_t ignore = static_cast<int32_t>(a.integer(7, "ignoreIndex"));
            const int32_t* targets = a.i32(3, "targets", rows);
            for (int64_t r = 0; r < rows; r++)
              if (targets[r] != ignore && (targets[r] < 0 || targets[r] >= V)) a.fail("target outside [0, V)");
            ref::crossentropyBackward(a.f32(0, "dlogits", rows * V), a.f32(1, "logits", rows * V),
                                      a.f32(2, "lse", rows), targets, a.f32(4, "dlosses", rows), rows, V, ignore,
                                      static_cast<float>(a.num(8, "smoothing")));
            return a.env().Undefined();
          }));
  ref.Set("attentionForward", bind(env, "ref.attentionForward", [](Args& a) {
            AttentionShape sh = attentionShape(a, 5, 7);
            readKvStride(a, 15, &sh);
            const int64_t nq = sh.B * sh.NH * sh.T * sh.HS, nkv = kvSpan(sh);
            ref::attentionForward(a.f32(0, "out", nq), a.f32(1, "lse", sh.B * sh.NH * sh.T), a.f32(2, "q", nq),
                                  a.f32(3, "k", nkv), a.f32(4, "v", nkv), sh);
            return a.env().Undefined();
          }));
  ref.Set("attentionBackward", bind(env, "ref.attentionBackward", [](Args& a) {
            const AttentionShape sh = attentionShape(a, 9, 11);
            const int64_t nq = sh.B * sh.NH * sh.T * sh.HS, nkv = sh.B * sh.NKV * sh.S * sh.HS;
            ref::attentionBackward(a.f32(0, "dq", nq), a.f32(1, "dk", nkv), a.f32(2, "dv", nkv), a.f32(3, "dout", nq),
                                   a.f32(4, "q", nq), a.f32(5, "k", nkv), a.f32(6, "v", nkv), a.f32(7, "out", nq),
                                   a.f32(8, "lse", sh.B * sh.NH * sh.T), sh);
            return a.env().Undefined();
          }));
  exports.Set("ref", ref);
}

}  // namespace llmk::napi
