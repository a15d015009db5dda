#include "kernels/threadpool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LLMK_PAUSE() _mm_pause()
#else
#define LLMK_PAUSE() ((void)0)
#endif

namespace llmk {
namespace {

// Spin this many pause iterations (~10-20 µs) before sleeping: back-to-back kernel calls from
// JavaScript then avoid a futex wake-up, while an idle pool sleeps and leaves the cores to others.
constexpr int kSpinIterations = 4000;

class Pool {
 public:
  Pool() {
    int n = 0;
    if (const char* env = std::getenv("LLMK_THREADS")) n = std::atoi(env);
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    resize(n < 1 ? 1 : n);
  }
  ~Pool() { stopWorkers(); }

  void resize(int n) {
    std::lock_guard<std::mutex> callerLock(callerMutex_);
    if (n < 1) n = 1;
    if (n == static_cast<int>(workers_.size()) + 1) return;
    stopWorkers();
    stop_ = false;
    // The generation seen at creation is passed in: a thread that starts late must still run the
    // first region published after this point.
    const uint64_t start = state_.load(std::memory_order_acquire);
    for (int t = 1; t < n; t++) workers_.emplace_back([this, t, start] { workerLoop(t, start); });
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int maxTasks, const std::function<void(int, int)>& fn) {
    int n = threads();
    if (maxTasks < n) n = maxTasks;
    if (n <= 1 || inParallel_ || !callerMutex_.try_lock()) {
      fn(0, 1);
      return;
    }
    std::lock_guard<std::mutex> callerLock(callerMutex_, std::adopt_lock);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      pending_.store(n - 1, std::memory_order_relaxed);
      // Generation and task count travel in one word, so a worker never pairs one with the other's stale value.
      const uint64_t gen = (state_.load(std::memory_order_relaxed) >> 16) + 1;
      state_.store((gen << 16) | static_cast<uint64_t>(n), std::memory_order_release);
    }
    cv_.notify_all();
    inParallel_ = true;
    fn(0, n);
    inParallel_ = false;
    for (int i = 0; pending_.load(std::memory_order_acquire) != 0; i++) {
      if (i < kSpinIterations) {
        LLMK_PAUSE();
      } else {
        std::unique_lock<std::mutex> lock(mutex_);
        doneCv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
      }
    }
  }

 private:
  void workerLoop(int t, uint64_t seen) {
    for (;;) {
      uint64_t g = seen;
      for (int i = 0; i < kSpinIterations; i++) {
        g = state_.load(std::memory_order_acquire);
        if (g != seen || stop_.load(std::memory_order_relaxed)) break;
        LLMK_PAUSE();
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] {
          return state_.load(std::memory_order_acquire) != seen || stop_.load(std::memory_order_relaxed);
        });
        g = state_.load(std::memory_order_acquire);
      }
      if (stop_.load(std::memory_order_relaxed)) return;
      seen = g;
      const int n = static_cast<int>(g & 0xffff);
      if (t < n) {
        inParallel_ = true;
        (*fn_)(t, n);
        inParallel_ = false;
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lock(mutex_);
          doneCv_.notify_one();
        }
      }
    }
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex callerMutex_;  // one parallel region at a time (JS main thread and worker_threads share the pool)
  std::mutex mutex_;
  std::condition_variable cv_, doneCv_;
  std::atomic<uint64_t> state_{0};  // (generation << 16) | task count
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int, int)>* fn_ = nullptr;
  static thread_local bool inParallel_;
};

thread_local bool Pool::inParallel_ = false;

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

void setThreads(int n) { pool().resize(n); }
int getThreads() { return pool().threads(); }
void parallelRun(int maxTasks, const std::function<void(int, int)>& fn) { pool().run(maxTasks, fn); }

void parallelFor(int64_t total, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (total <= 0) return;
  int64_t maxTasks = grain > 0 ? total / grain : total;
  if (maxTasks < 1) maxTasks = 1;
  const int cap = maxTasks > 1024 ? 1024 : static_cast<int>(maxTasks);
  parallelRun(cap, [&](int t, int n) {
    int64_t b, e;
    splitRange(total, t, n, &b, &e);
    if (b < e) fn(b, e);
  });
}

}  // namespace llmk
