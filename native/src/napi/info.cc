// Build facts the TypeScript side reports (SIMD level), so a user knows what was compiled.
#include <napi.h>

namespace llmk {

static Napi::Value Simd(const Napi::CallbackInfo& info) {
#if defined(__AVX2__) && defined(__FMA__)
  return Napi::String::New(info.Env(), "avx2+fma");
#else
  return Napi::String::New(info.Env(), "scalar");
#endif
}

Napi::Object InitInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("simd", Napi::Function::New(env, Simd));
  return exports;
}

}  // namespace llmk
