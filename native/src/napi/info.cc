// Build and machine facts the TypeScript side reports (SIMD level, caches and GEMM blocking), so a
// user knows what was compiled and how it was tuned.
#include <napi.h>

#include "kernels/gemm.h"

namespace llmk {

static Napi::Value Simd(const Napi::CallbackInfo& info) {
#if defined(__AVX2__) && defined(__FMA__)
  return Napi::String::New(info.Env(), "avx2+fma");
#else
  return Napi::String::New(info.Env(), "scalar");
#endif
}

// The caches the GEMM blocking was derived from and the blocking chosen (bytes; elements).
static Napi::Value GemmConfig(const Napi::CallbackInfo& info) {
  const CacheInfo& c = cacheInfo();
  const GemmBlocking& g = gemmBlocking();
  Napi::Env env = info.Env();
  Napi::Object caches = Napi::Object::New(env);
  caches.Set("l1d", Napi::Number::New(env, static_cast<double>(c.l1d)));
  caches.Set("l1dWays", Napi::Number::New(env, static_cast<double>(c.l1dWays)));
  caches.Set("l2", Napi::Number::New(env, static_cast<double>(c.l2)));
  caches.Set("l3", Napi::Number::New(env, static_cast<double>(c.l3)));
  caches.Set("l3Share", Napi::Number::New(env, static_cast<double>(c.l3Share)));
  caches.Set("line", Napi::Number::New(env, static_cast<double>(c.line)));
  caches.Set("source", Napi::String::New(env, c.source));
  Napi::Object blocking = Napi::Object::New(env);
  blocking.Set("mr", Napi::Number::New(env, static_cast<double>(g.mr)));
  blocking.Set("nr", Napi::Number::New(env, static_cast<double>(g.nr)));
  blocking.Set("kc", Napi::Number::New(env, static_cast<double>(g.kc)));
  blocking.Set("mc", Napi::Number::New(env, static_cast<double>(g.mc)));
  blocking.Set("nc", Napi::Number::New(env, static_cast<double>(g.nc)));
  blocking.Set("source", Napi::String::New(env, g.source));
  Napi::Object out = Napi::Object::New(env);
  out.Set("caches", caches);
  out.Set("blocking", blocking);
  return out;
}

Napi::Object InitInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("simd", Napi::Function::New(env, Simd));
  exports.Set("gemmConfig", Napi::Function::New(env, GemmConfig));
  return exports;
}

}  // namespace llmk
