// Argument conversion for the kernel bindings: typed arrays to raw pointers (byteOffset included),
// numbers to ints/floats, with checks that throw ArgError (turned into a JS Error by `bind`) before
// any kernel could read or write out of bounds. A float operand of another element type than the kernel
// takes (a Float64Array from a gradient check, Int32Array operands of `binary`) declines the call
// instead: no kernel runs and `route` hands the call to the fallback backend. Declining sets a flag
// rather than throwing, because a C++ throw costs microseconds and f64 calls are many.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llmk::napi {

struct ArgError {
  std::string message;
};
// Thrown only by a failed check after a decline: the call goes to the fallback all the same.
struct Decline {};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}

  // A failed check after a decline is the fallback's call too (it was never the kernel's).
  [[noreturn]] void fail(const std::string& msg) const {
    if (declined_) throw Decline{};
    throw ArgError{std::string(fn_) + ": " + msg};
  }
  // The reason is kept as two string literals and spelled out only by an export without a fallback,
  // so a declined call on the fallback path builds no message.
  void decline(const char* name, const char* expected) const {
    if (declined_) return;
    declined_ = true;
    declinedName_ = name;
    declinedExpected_ = expected;
  }
  bool declined() const { return declined_; }
  std::string declineMessage() const {
    return std::string(fn_) + ": argument '" + declinedName_ + "' must be a " + declinedExpected_;
  }

  double num(size_t i, const char* name) const {
    if (i >= info_.Length() || !info_[i].IsNumber()) fail(std::string("argument '") + name + "' must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  // A non-negative integer size or stride.
  int64_t size(size_t i, const char* name) const {
    const double v = num(i, name);
    if (!(v >= 0) || v != std::floor(v) || v > 9.0e15)
      fail(std::string("argument '") + name + "' must be a non-negative integer, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }
  int64_t integer(size_t i, const char* name) const {
    const double v = num(i, name);
    if (v != std::floor(v) || std::fabs(v) > 9.0e15)
      fail(std::string("argument '") + name + "' must be an integer, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }
  bool flag(size_t i, const char* name) const {
    if (i >= info_.Length() || !info_[i].IsBoolean()) fail(std::string("argument '") + name + "' must be a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }
  bool isNull(size_t i) const { return i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined(); }

  // A typed array of the given type with at least `need` elements.
  // Another typed array type declines the call when `declinable` (float operands; returns null), else fails.
  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* typeName, int64_t need,
           bool declinable = false) const {
    if (i >= info_.Length() || !info_[i].IsTypedArray())
      fail(std::string("argument '") + name + "' must be a " + typeName);
    Napi::TypedArray ta = info_[i].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != type) {
      if (!declinable) fail(std::string("argument '") + name + "' must be a " + typeName);
      decline(name, typeName);
      return nullptr;
    }
    const int64_t len = static_cast<int64_t>(ta.ElementLength());
    if (len < need)
      fail(std::string("argument '") + name + "' has " + std::to_string(len) + " elements, needs at least " +
           std::to_string(need));
    Napi::ArrayBuffer buf = ta.ArrayBuffer();
    return reinterpret_cast<T*>(static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset());
  }
  float* f32(size_t i, const char* name, int64_t need) const {
    return array<float>(i, name, napi_float32_array, "Float32Array", need, true);
  }
  float* f32OrNull(size_t i, const char* name, int64_t need) const { return isNull(i) ? nullptr : f32(i, name, need); }
  int32_t* i32(size_t i, const char* name, int64_t need) const {
    return array<int32_t>(i, name, napi_int32_array, "Int32Array", need);
  }
  uint8_t* u8(size_t i, const char* name, int64_t need) const {
    return array<uint8_t>(i, name, napi_uint8_array, "Uint8Array", need);
  }
  // Float32Array or Int32Array (4-byte elements, for copyStrided); returns the type tag too.
  uint32_t* word(size_t i, const char* name, int64_t need, napi_typedarray_type* type) const {
    if (i >= info_.Length() || !info_[i].IsTypedArray())
      fail(std::string("argument '") + name + "' must be a Float32Array or Int32Array");
    *type = info_[i].As<Napi::TypedArray>().TypedArrayType();
    if (*type == napi_int32_array) return array<uint32_t>(i, name, napi_int32_array, "Int32Array", need);
    return array<uint32_t>(i, name, napi_float32_array, "Float32Array or Int32Array", need, true);
  }
  // A JS array of integers (shape or strides).
  std::vector<int64_t> ints(size_t i, const char* name, bool allowNegative = false) const {
    if (i >= info_.Length() || !info_[i].IsArray()) fail(std::string("argument '") + name + "' must be an array");
    Napi::Array arr = info_[i].As<Napi::Array>();
    std::vector<int64_t> out(arr.Length());
    for (uint32_t j = 0; j < arr.Length(); j++) {
      Napi::Value e = arr.Get(j);
      const double v = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
      if (!(v == std::floor(v)) || (!allowNegative && v < 0) || std::fabs(v) > 9.0e15)
        fail(std::string("argument '") + name + "' must hold " + (allowNegative ? "" : "non-negative ") +
             "integers; element " + std::to_string(j) + " is not");
      out[j] = static_cast<int64_t>(v);
    }
    return out;
  }
  // Element count of the typed array at i (0 when it is not one; the typed getters then report it).
  int64_t length(size_t i) const {
    if (i >= info_.Length() || !info_[i].IsTypedArray()) return 0;
    return static_cast<int64_t>(info_[i].As<Napi::TypedArray>().ElementLength());
  }
  Napi::Env env() const { return info_.Env(); }
  const Napi::CallbackInfo& info() const { return info_; }

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
  mutable bool declined_ = false;
  mutable const char* declinedName_ = "";
  mutable const char* declinedExpected_ = "";
};

// Wraps a binding body so ArgError (or a decline: this export has no fallback) becomes a thrown JS Error
// (the addon builds without C++ exceptions in N-API).
template <typename F>
Napi::Function bind(Napi::Env env, std::string name, F body) {
  return Napi::Function::New(
      env,
      [name, body](const Napi::CallbackInfo& info) -> Napi::Value {
        std::string error;
        try {
          Args a(info, name.c_str());
          Napi::Value result = body(a);
          if (!a.declined()) return result;
          error = a.declineMessage();
        } catch (const ArgError& e) {
          error = e.message;
        } catch (const Decline&) {
          error = name + ": argument types do not match the kernel";
        }
        Napi::Error::New(info.Env(), error).ThrowAsJavaScriptException();
        return info.Env().Undefined();
      },
      name.c_str());
}

// A binding as a backend method: the kernel when it takes the arguments, else `fallback` called with
// them unchanged (no kernel ran). Argument errors are thrown as makeError(message), the caller's typed
// error. No JavaScript runs between a caller and the kernel on the f32 path.
template <typename F>
Napi::Function route(Napi::Env env, std::string name, F body, Napi::Function fallback, Napi::Function makeError) {
  auto slow = std::make_shared<Napi::FunctionReference>(Napi::Persistent(fallback));
  auto error = std::make_shared<Napi::FunctionReference>(Napi::Persistent(makeError));
  return Napi::Function::New(
      env,
      [name, body, slow, error](const Napi::CallbackInfo& info) -> Napi::Value {
        try {
          Args a(info, name.c_str());
          Napi::Value result = body(a);
          if (!a.declined()) return result;
        } catch (const ArgError& e) {
          Napi::Value err = error->Call({Napi::String::New(info.Env(), e.message)});
          if (!err.IsEmpty()) Napi::Error(info.Env(), err).ThrowAsJavaScriptException();
          return info.Env().Undefined();
        } catch (const Decline&) {
        }
        std::vector<napi_value> args(info.Length());
        for (size_t i = 0; i < args.size(); i++) args[i] = info[i];
        Napi::Value result = slow->Call(args);
        return result.IsEmpty() ? info.Env().Undefined() : result;
      },
      name.c_str());
}

// Elements a (rows × cols) matrix with row stride ld spans: (rows−1)·ld + cols, or 0 when empty.
inline int64_t matrixSpan(int64_t rows, int64_t cols, int64_t ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; }

}  // namespace llmk::napi
