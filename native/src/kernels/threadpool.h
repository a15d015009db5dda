// One persistent pool of worker threads shared by every kernel.
// Work is split by static partitioning (thread t of n always gets the same range), so a kernel's
// result depends only on its inputs and the thread count. Idle workers block on a condition
// variable after a short spin, so they cost nothing while JavaScript runs.
#pragma once
#include <cstdint>
#include <functional>

namespace llmk {

// Sets the number of threads (>= 1) kernels compute with; the caller counts as one of them.
void setThreads(int n);
int getThreads();

// Runs fn(t, n) for t in [0, n) on n threads (n = min(getThreads(), maxTasks)), and returns when all
// are done. Called from inside a parallel region (or while another caller holds the pool), it runs
// serially on the calling thread with n = 1.
void parallelRun(int maxTasks, const std::function<void(int, int)>& fn);

// Static partition of [0, total) into n contiguous parts: part t is [begin, end).
inline void splitRange(int64_t total, int t, int n, int64_t* begin, int64_t* end) {
  const int64_t q = total / n, r = total % n;
  *begin = t * q + (t < r ? t : r);
  *end = *begin + q + (t < r ? 1 : 0);
}

// parallelFor over [0, total) in contiguous static ranges; runs serially when total < grain.
void parallelFor(int64_t total, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace llmk
