// Node-API entry point: registers every binding. Argument conversion only; kernels live in ../kernels.
#include <napi.h>

namespace llmk {
Napi::Object InitInfo(Napi::Env env, Napi::Object exports);
namespace napi {
void registerKernels(Napi::Env env, Napi::Object exports);
}  // namespace napi
}  // namespace llmk

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  llmk::InitInfo(env, exports);
  llmk::napi::registerKernels(env, exports);
  return exports;
}

NODE_API_MODULE(llmk, Init)
