// The kernel bindings, under their `Kernels` names (src/tensor/backend.ts), same argument order.
//
// Each binding converts and checks one method's JS arguments and returns them as the kernel's
// arguments, so the fast kernel and its naive twin (exported as `ref.<name>`) share it. kBindings at
// the bottom is the one list of what the addon exports: a new kernel adds its binding here and one
// row there. `route` hands a binding to the NativeBackend as its method, which calls the fallback
// backend itself when a typed array declined the call (see args.h).
#include <napi.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/attention.h"
#include "kernels/crossentropy.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/embedding.h"
#include "kernels/gemm.h"
#include "kernels/layernorm.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/rope.h"
#include "kernels/softmax.h"
#include "kernels/threadpool.h"
#include "napi/args.h"

namespace llmk::napi {

namespace {

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Elements an operand read through `strides` over `shape` spans (0 when the shape is empty).
int64_t stridedSpan(const Args& a, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                    const char* name) {
  if (strides.size() != shape.size())
    a.fail(std::string("'") + name + "' has " + std::to_string(strides.size()) + " strides for a rank-" +
           std::to_string(shape.size()) + " shape");
  if (shape.size() > static_cast<size_t>(kMaxDims)) a.fail("rank above 16 is not supported");
  if (product(shape) == 0) return 0;
  int64_t span = 1;
  for (size_t d = 0; d < shape.size(); d++) span += (shape[d] - 1) * strides[d];
  return span;
}

// B, NH, NKV, T, S, HS, scale, causal from index `first`; mask and its strides at maskIdx, maskIdx + 1.
AttentionShape attentionShape(const Args& a, size_t maskIdx, size_t first) {
  AttentionShape sh;
  sh.B = a.size(first, "B");
  sh.NH = a.size(first + 1, "NH");
  sh.NKV = a.size(first + 2, "NKV");
  sh.T = a.size(first + 3, "T");
  sh.S = a.size(first + 4, "S");
  sh.HS = a.size(first + 5, "HS");
  sh.scale = static_cast<float>(a.num(first + 6, "scale"));
  sh.causal = a.flag(first + 7, "causal");
  sh.kvStride = sh.S * sh.HS;
  if (sh.NKV == 0 || sh.NH % sh.NKV != 0)
    a.fail("NH " + std::to_string(sh.NH) + " must be a multiple of NKV " + std::to_string(sh.NKV));
  const std::vector<int64_t> ms = a.ints(maskIdx + 1, "maskStrides");
  sh.mask = nullptr;
  sh.mb = sh.mh = sh.mt = 0;
  if (!a.isNull(maskIdx)) {
    if (ms.size() != 3) a.fail("maskStrides must hold 3 strides (batch, head, query row)");
    sh.mb = ms[0];
    sh.mh = ms[1];
    sh.mt = ms[2];
    const int64_t rows = sh.B * sh.NH * sh.T * sh.S == 0 ? 0 : 1;
    const int64_t need = rows ? (sh.B - 1) * sh.mb + (sh.NH - 1) * sh.mh + (sh.T - 1) * sh.mt + sh.S : 0;
    sh.mask = a.f32(maskIdx, "mask", need);
  }
  return sh;
}

// The optional kvStride argument of attentionForward at index i (absent: dense k and v, S·HS).
void readKvStride(const Args& a, size_t i, AttentionShape* sh) {
  if (a.isNull(i)) return;
  const int64_t stride = a.size(i, "kvStride");
  if (stride < sh->S * sh->HS)
    a.fail("kvStride " + std::to_string(stride) + " is below S·HS = " + std::to_string(sh->S * sh->HS));
  sh->kvStride = stride;
}

// Elements k and v must hold: B·NKV blocks kvStride apart, the last S·HS long.
int64_t kvSpan(const AttentionShape& sh) {
  return sh.B * sh.NKV == 0 ? 0 : (sh.B * sh.NKV - 1) * sh.kvStride + sh.S * sh.HS;
}

void checkTargets(const Args& a, const int32_t* targets, int64_t rows, int64_t V, int32_t ignore) {
  for (int64_t r = 0; r < rows; r++)
    if (targets[r] != ignore && (targets[r] < 0 || targets[r] >= V))
      a.fail("targets[" + std::to_string(r) + "] = " + std::to_string(targets[r]) + " is outside [0, V)");
}

void checkIds(const Args& a, const int32_t* ids, int64_t n, int64_t rows) {
  for (int64_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= rows)
      a.fail("ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is outside the " +
             std::to_string(rows) + " rows of the table");
}

// B, NH, T, HS, rotaryDim of ropeForward/ropeBackward, from index `first`.
void ropeDims(const Args& a, size_t first, int64_t* dims) {
  static const char* names[] = {"B", "NH", "T", "HS", "rotaryDim"};
  for (int i = 0; i < 5; i++) dims[i] = a.size(first + i, names[i]);
  if (dims[4] % 2 != 0 || dims[4] > dims[3])
    a.fail("rotaryDim " + std::to_string(dims[4]) + " must be even and at most HS " + std::to_string(dims[3]));
}

double probability(const Args& a, size_t i) {
  const double p = a.num(i, "p");
  if (!(p >= 0 && p <= 1)) a.fail("p must be in [0, 1]");
  return p;
}

// A shape or strides the converted arguments own (moved in, not copied); the kernel sees a pointer to
// the first element.
struct Dims {
  std::vector<int64_t> v;
  operator const int64_t*() const { return v.data(); }
};

int opCode(const Args& a, int last, const char* what) {
  const int64_t op = a.integer(0, "op");
  if (op < 0 || op > last) a.fail(std::string("unknown ") + what + " op " + std::to_string(op));
  return static_cast<int>(op);
}

}  // namespace

// ---- the bindings: one per Kernels method, converting its JS arguments to the kernel's ----
namespace binding {

auto gemm(Args& a) {
  const bool tA = a.flag(0, "transA"), tB = a.flag(1, "transB");
  const int64_t M = a.size(2, "M"), N = a.size(3, "N"), K = a.size(4, "K");
  const int64_t lda = a.size(7, "lda"), sA = a.size(8, "strideA"), ldb = a.size(10, "ldb");
  const int64_t sB = a.size(11, "strideB"), ldc = a.size(14, "ldc"), sC = a.size(15, "strideC");
  const int64_t batch = a.size(16, "batch");
  const int64_t aRows = tA ? K : M, aCols = tA ? M : K, bRows = tB ? N : K, bCols = tB ? K : N;
  if (aRows > 0 && aCols > 0 && lda < aCols) a.fail("lda " + std::to_string(lda) + " < " + std::to_string(aCols));
  if (bRows > 0 && bCols > 0 && ldb < bCols) a.fail("ldb " + std::to_string(ldb) + " < " + std::to_string(bCols));
  if (M > 0 && N > 0 && ldc < N) a.fail("ldc " + std::to_string(ldc) + " < N " + std::to_string(N));
  // Every array must span all `batch` matrices it holds.
  const bool any = batch > 0 && M > 0 && N > 0;
  const int64_t last = batch > 0 ? batch - 1 : 0;
  const int64_t needA = any && K > 0 ? last * sA + matrixSpan(aRows, aCols, lda) : 0;
  const int64_t needB = any && K > 0 ? last * sB + matrixSpan(bRows, bCols, ldb) : 0;
  const int64_t needC = any ? last * sC + matrixSpan(M, N, ldc) : 0;
  // Locals, not call arguments, so the checks (and the first error reported) run in argument order.
  const float alpha = static_cast<float>(a.num(5, "alpha")), beta = static_cast<float>(a.num(12, "beta"));
  const float* A = a.f32(6, "A", needA);
  const float* B = a.f32(9, "B", needB);
  float* C = a.f32(13, "C", needC);
  return std::make_tuple(tA, tB, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch);
}

auto binary(Args& a) {
  const int op = opCode(a, kLt, "binary");
  std::vector<int64_t> shape = a.ints(6, "shape");
  std::vector<int64_t> as = a.ints(3, "aStrides"), bs = a.ints(5, "bStrides");
  const int ndim = static_cast<int>(shape.size());
  const int64_t needA = stridedSpan(a, shape, as, "aStrides"), needB = stridedSpan(a, shape, bs, "bStrides");
  float* out = a.f32(1, "out", product(shape));
  const float* x = a.f32(2, "a", needA);
  const float* y = a.f32(4, "b", needB);
  return std::make_tuple(op, out, x, Dims{std::move(as)}, y, Dims{std::move(bs)}, Dims{std::move(shape)}, ndim);
}

auto unary(Args& a) {
  const int op = opCode(a, kRsqrt, "unary");
  const int64_t n = a.size(3, "n");
  return std::make_tuple(op, a.f32(1, "out", n), a.f32(2, "x", n), n, static_cast<float>(a.num(4, "alpha")));
}

auto unaryBackward(Args& a) {
  const int op = opCode(a, kRsqrt, "unary");
  const int64_t n = a.size(5, "n");
  return std::make_tuple(op, a.f32(1, "dx", n), a.f32(2, "x", n), a.f32(3, "y", n), a.f32(4, "dy", n), n,
                         static_cast<float>(a.num(6, "alpha")));
}

auto copyStrided(Args& a) {
  std::vector<int64_t> shape = a.ints(2, "shape"), strides = a.ints(3, "strides");
  const int ndim = static_cast<int>(shape.size());
  const int64_t need = stridedSpan(a, shape, strides, "strides");
  napi_typedarray_type to, tx;
  uint32_t* out = a.word(0, "out", product(shape), &to);
  const uint32_t* x = a.word(1, "x", need, &tx);
  if (to != tx) a.decline("x", "typed array of out's element type");
  return std::make_tuple(out, x, Dims{std::move(shape)}, Dims{std::move(strides)}, ndim);
}

auto accumulate(Args& a) {
  const int64_t n = a.size(2, "n");
  return std::make_tuple(a.f32(0, "out", n), a.f32(1, "x", n), n, static_cast<float>(a.num(3, "alpha")));
}

auto reduce(Args& a) {
  const int op = opCode(a, kMin, "reduce");
  const int64_t outer = a.size(3, "outer"), n = a.size(4, "n"), inner = a.size(5, "inner");
  if (n == 0 && op != kSum && outer * inner > 0) a.fail("max/min over an empty axis");
  return std::make_tuple(op, a.f32(1, "out", outer * inner), a.f32(2, "x", outer * n * inner), outer, n, inner);
}

auto argReduce(Args& a) {
  const int64_t op = a.integer(0, "op");
  if (op != kMax && op != kMin) a.fail("argReduce op must be max (1) or min (2)");
  const int64_t outer = a.size(3, "outer"), n = a.size(4, "n"), inner = a.size(5, "inner");
  if (n == 0 && outer * inner > 0) a.fail("argmax/argmin over an empty axis");
  return std::make_tuple(static_cast<int>(op), a.i32(1, "out", outer * inner), a.f32(2, "x", outer * n * inner),
                         outer, n, inner);
}

auto sumSquares(Args& a) {
  const int64_t n = a.size(1, "n");
  return std::make_tuple(a.f32(0, "x", n), n);
}

// softmaxForward and logSoftmaxForward.
auto rowsForward(Args& a) {
  const int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  return std::make_tuple(a.f32(0, "out", rows * cols), a.f32(1, "x", rows * cols), rows, cols);
}

// softmaxBackward and logSoftmaxBackward.
auto rowsBackward(Args& a) {
  const int64_t rows = a.size(3, "rows"), cols = a.size(4, "cols"), n = rows * cols;
  return std::make_tuple(a.f32(0, "dx", n), a.f32(1, "y", n), a.f32(2, "dy", n), rows, cols);
}

auto layerNormForward(Args& a) {
  const int64_t rows = a.size(6, "rows"), C = a.size(7, "C");
  return std::make_tuple(a.f32(0, "out", rows * C), a.f32(1, "mean", rows), a.f32(2, "rstd", rows),
                         a.f32(3, "x", rows * C), a.f32OrNull(4, "weight", C), a.f32OrNull(5, "bias", C), rows, C,
                         static_cast<float>(a.num(8, "eps")));
}

auto layerNormBackward(Args& a) {
  const int64_t rows = a.size(8, "rows"), C = a.size(9, "C");
  return std::make_tuple(a.f32(0, "dx", rows * C), a.f32OrNull(1, "dweight", C), a.f32OrNull(2, "dbias", C),
                         a.f32(3, "dy", rows * C), a.f32(4, "x", rows * C), a.f32OrNull(5, "weight", C),
                         a.f32(6, "mean", rows), a.f32(7, "rstd", rows), rows, C);
}

auto rmsNormForward(Args& a) {
  const int64_t rows = a.size(4, "rows"), C = a.size(5, "C");
  return std::make_tuple(a.f32(0, "out", rows * C), a.f32(1, "rstd", rows), a.f32(2, "x", rows * C),
                         a.f32OrNull(3, "weight", C), rows, C, static_cast<float>(a.num(6, "eps")));
}

auto rmsNormBackward(Args& a) {
  const int64_t rows = a.size(6, "rows"), C = a.size(7, "C");
  return std::make_tuple(a.f32(0, "dx", rows * C), a.f32OrNull(1, "dweight", C), a.f32(2, "dy", rows * C),
                         a.f32(3, "x", rows * C), a.f32OrNull(4, "weight", C), a.f32(5, "rstd", rows), rows, C);
}

auto crossEntropyForward(Args& a) {
  const int64_t rows = a.size(4, "rows"), V = a.size(5, "V");
  const int32_t ignore = static_cast<int32_t>(a.integer(6, "ignoreIndex"));
  const int32_t* targets = a.i32(3, "targets", rows);
  checkTargets(a, targets, rows, V, ignore);
  return std::make_tuple(a.f32(0, "losses", rows), a.f32(1, "lse", rows), a.f32(2, "logits", rows * V), targets, rows,
                         V, ignore, static_cast<float>(a.num(7, "smoothing")));
}

auto crossEntropyBackward(Args& a) {
  const int64_t rows = a.size(5, "rows"), V = a.size(6, "V");
  const int32_t ignore = static_cast<int32_t>(a.integer(7, "ignoreIndex"));
  const int32_t* targets = a.i32(3, "targets", rows);
  checkTargets(a, targets, rows, V, ignore);
  return std::make_tuple(a.f32(0, "dlogits", rows * V), a.f32(1, "logits", rows * V), a.f32(2, "lse", rows), targets,
                         a.f32(4, "dlosses", rows), rows, V, ignore, static_cast<float>(a.num(8, "smoothing")));
}

auto embeddingForward(Args& a) {
  const int64_t n = a.size(3, "n"), C = a.size(4, "C");
  const int32_t* ids = a.i32(2, "ids", n);
  const float* w = a.f32(1, "weight", 0);
  if (C > 0) checkIds(a, ids, n, a.length(1) / C);
  return std::make_tuple(a.f32(0, "out", n * C), w, ids, n, C);
}

auto embeddingBackward(Args& a) {
  const int64_t n = a.size(3, "n"), C = a.size(4, "C");
  const int32_t* ids = a.i32(2, "ids", n);
  float* dw = a.f32(0, "dweight", 0);
  if (C > 0) checkIds(a, ids, n, a.length(0) / C);
  return std::make_tuple(dw, a.f32(1, "dout", n * C), ids, n, C);
}

auto attentionForward(Args& a) {
  AttentionShape sh = attentionShape(a, 5, 7);
  readKvStride(a, 15, &sh);
  const int64_t nq = sh.B * sh.NH * sh.T * sh.HS, nkv = kvSpan(sh);
  return std::make_tuple(a.f32(0, "out", nq), a.f32(1, "lse", sh.B * sh.NH * sh.T), a.f32(2, "q", nq),
                         a.f32(3, "k", nkv), a.f32(4, "v", nkv), sh);
}

auto attentionBackward(Args& a) {
  const AttentionShape sh = attentionShape(a, 9, 11);
  const int64_t nq = sh.B * sh.NH * sh.T * sh.HS, nkv = sh.B * sh.NKV * sh.S * sh.HS;
  return std::make_tuple(a.f32(0, "dq", nq), a.f32(1, "dk", nkv), a.f32(2, "dv", nkv), a.f32(3, "dout", nq),
                         a.f32(4, "q", nq), a.f32(5, "k", nkv), a.f32(6, "v", nkv), a.f32(7, "out", nq),
                         a.f32(8, "lse", sh.B * sh.NH * sh.T), sh);
}

// ropeForward (out, x, …) and ropeBackward (dx, dy, …) take the same arguments.
template <bool backward>
auto rope(Args& a) {
  int64_t d[5];
  ropeDims(a, 4, d);
  const int64_t n = d[0] * d[1] * d[2] * d[3], tab = d[2] * d[4] / 2;
  return std::make_tuple(a.f32(0, backward ? "dx" : "out", n), a.f32(1, backward ? "dy" : "x", n),
                         a.f32(2, "cos", tab), a.f32(3, "sin", tab), d[0], d[1], d[2], d[3], d[4],
                         a.flag(9, "interleaved"));
}

auto dropoutForward(Args& a) {
  const int64_t n = a.size(3, "n");
  const double p = probability(a, 4);
  // Seeds wrap modulo 2³² exactly as Math.imul's ToInt32 does in dropoutUniform.
  const uint32_t seed = static_cast<uint32_t>(static_cast<uint64_t>(a.integer(5, "seed")));
  const uint64_t offset = static_cast<uint64_t>(a.size(6, "offset"));
  return std::make_tuple(a.f32(0, "out", n), a.u8(1, "mask", n), a.f32(2, "x", n), n, p, seed, offset);
}

auto dropoutBackward(Args& a) {
  const int64_t n = a.size(3, "n");
  const double p = probability(a, 4);
  return std::make_tuple(a.f32(0, "dx", n), a.f32(1, "dy", n), a.u8(2, "mask", n), n, p);
}

auto adamw(Args& a) {
  const int64_t n = a.size(4, "n");
  const int64_t step = a.size(10, "step");
  if (step < 1) a.fail("step must be >= 1");
  return std::make_tuple(a.f32(0, "param", n), a.f32(1, "grad", n), a.f32(2, "m", n), a.f32(3, "v", n), n,
                         static_cast<float>(a.num(5, "lr")), static_cast<float>(a.num(6, "beta1")),
                         static_cast<float>(a.num(7, "beta2")), static_cast<float>(a.num(8, "eps")),
                         static_cast<float>(a.num(9, "weightDecay")), step);
}

auto sgd(Args& a) {
  const int64_t n = a.size(3, "n");
  const float momentum = static_cast<float>(a.num(5, "momentum"));
  float* buf = a.f32OrNull(2, "buf", n);
  if (momentum != 0.0f && !buf) a.fail("buf is required when momentum is not 0");
  return std::make_tuple(a.f32(0, "param", n), a.f32(1, "grad", n), buf, n, static_cast<float>(a.num(4, "lr")),
                         momentum, static_cast<float>(a.num(6, "dampening")),
                         static_cast<float>(a.num(7, "weightDecay")), a.flag(8, "nesterov"), a.flag(9, "firstStep"));
}

}  // namespace binding

namespace {

// Calls `kernel` with the arguments `convert` made, unless a typed array declined the call (Args).
template <auto convert, auto kernel>
Napi::Value run(Args& a) {
  auto args = convert(a);
  if (a.declined()) return a.env().Undefined();
  if constexpr (std::is_void_v<decltype(std::apply(kernel, args))>) {
    std::apply(kernel, args);
    return a.env().Undefined();
  } else {
    return Napi::Number::New(a.env(), std::apply(kernel, args));
  }
}

struct Binding {
  const char* name;           // the Kernels method (src/tensor/backend.ts)
  Napi::Value (*fast)(Args&);  // exported as `name`
  Napi::Value (*ref)(Args&);   // its naive twin, exported as `ref.name`; null where there is none yet
};

// Every kernel the addon exports: its name, then its binding run with the fast kernel and its twin.
const Binding kBindings[] = {
    {"gemm", run<binding::gemm, llmk::gemm>, run<binding::gemm, llmk::ref::gemm>},
    {"binary", run<binding::binary, llmk::binaryForward>, nullptr},
    {"unary", run<binding::unary, llmk::unaryForward>, nullptr},
    {"unaryBackward", run<binding::unaryBackward, llmk::unaryBackward>, nullptr},
    {"copyStrided", run<binding::copyStrided, llmk::copyStrided>, nullptr},
    {"accumulate", run<binding::accumulate, llmk::accumulate>, nullptr},
    {"reduce", run<binding::reduce, llmk::reduce>, nullptr},
    {"argReduce", run<binding::argReduce, llmk::argReduce>, nullptr},
    {"sumSquares", run<binding::sumSquares, llmk::sumSquares>, nullptr},
    {"softmaxForward", run<binding::rowsForward, llmk::softmaxForward>, nullptr},
    {"softmaxBackward", run<binding::rowsBackward, llmk::softmaxBackward>, nullptr},
    {"logSoftmaxForward", run<binding::rowsForward, llmk::logSoftmaxForward>, nullptr},
    {"logSoftmaxBackward", run<binding::rowsBackward, llmk::logSoftmaxBackward>, nullptr},
    {"layerNormForward", run<binding::layerNormForward, llmk::layernormForward>,
     run<binding::layerNormForward, llmk::ref::layernormForward>},
    {"layerNormBackward", run<binding::layerNormBackward, llmk::layernormBackward>,
     run<binding::layerNormBackward, llmk::ref::layernormBackward>},
    {"rmsNormForward", run<binding::rmsNormForward, llmk::rmsnormForward>, nullptr},
    {"rmsNormBackward", run<binding::rmsNormBackward, llmk::rmsnormBackward>, nullptr},
    {"crossEntropyForward", run<binding::crossEntropyForward, llmk::crossentropyForward>,
     run<binding::crossEntropyForward, llmk::ref::crossentropyForward>},
    {"crossEntropyBackward", run<binding::crossEntropyBackward, llmk::crossentropyBackward>,
     run<binding::crossEntropyBackward, llmk::ref::crossentropyBackward>},
    {"embeddingForward", run<binding::embeddingForward, llmk::embeddingForward>, nullptr},
    {"embeddingBackward", run<binding::embeddingBackward, llmk::embeddingBackward>, nullptr},
    {"attentionForward", run<binding::attentionForward, llmk::attentionForward>,
     run<binding::attentionForward, llmk::ref::attentionForward>},
    {"attentionBackward", run<binding::attentionBackward, llmk::attentionBackward>,
     run<binding::attentionBackward, llmk::ref::attentionBackward>},
    {"ropeForward", run<binding::rope<false>, llmk::ropeForward>, nullptr},
    {"ropeBackward", run<binding::rope<true>, llmk::ropeBackward>, nullptr},
    {"dropoutForward", run<binding::dropoutForward, llmk::dropoutForward>, nullptr},
    {"dropoutBackward", run<binding::dropoutBackward, llmk::dropoutBackward>, nullptr},
    {"adamw", run<binding::adamw, llmk::adamw>, nullptr},
    {"sgd", run<binding::sgd, llmk::sgd>, nullptr},
};

}  // namespace

void registerKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", bind(env, "setThreads", [](Args& a) {
                const int64_t n = a.size(0, "n");
                if (n < 1 || n > 256) a.fail("n must be between 1 and 256");
                setThreads(static_cast<int>(n));
                return a.env().Undefined();
              }));
  exports.Set("getThreads", bind(env, "getThreads", [](Args& a) -> Napi::Value {
                return Napi::Number::New(a.env(), getThreads());
              }));
  Napi::Object ref = Napi::Object::New(env);
  for (const Binding& b : kBindings) {
    exports.Set(b.name, bind(env, b.name, b.fast));
    if (b.ref) ref.Set(b.name, bind(env, std::string("ref.") + b.name, b.ref));
  }
  exports.Set("ref", ref);
  // route(name, fallback, makeError): the kernel `name` as a backend method (see `route` in args.h).
  exports.Set("route", bind(env, "route", [](Args& a) -> Napi::Value {
                const Napi::CallbackInfo& info = a.info();
                if (info.Length() < 3 || !info[0].IsString() || !info[1].IsFunction() || !info[2].IsFunction())
                  a.fail("expects (name, fallback, makeError)");
                const std::string name = info[0].As<Napi::String>().Utf8Value();
                for (const Binding& b : kBindings)
                  if (name == b.name)
                    return route(a.env(), name, b.fast, info[1].As<Napi::Function>(), info[2].As<Napi::Function>());
                a.fail("no kernel named '" + name + "'");
              }));
}

}  // namespace llmk::napi
