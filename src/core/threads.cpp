#include "pycauset/core/threads.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pycauset/core/error.hpp"

namespace pycauset {
namespace {

thread_local bool t_in_region = false;

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && v > 0) return static_cast<int>(std::min(v, 1024L));
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Workers sleep on a condition variable and wake for each job. The caller of
// parallel_for runs chunks too, so a pool of n threads has n - 1 workers.
class Pool {
 public:
  explicit Pool(int threads) : threads_(threads), owner_pid_(getpid()) { start(); }
  ~Pool() {
    if (getpid() == owner_pid_) stop();
  }

  int threads() const { return threads_; }
  bool forked() const { return getpid() != owner_pid_; }

  void run(std::int64_t chunks, const std::function<void(std::int64_t)>& chunk_body) {
    {
      std::lock_guard lock(m_);
      job_ = &chunk_body;
      chunks_ = chunks;
      next_.store(0);
      pending_ = static_cast<int>(workers_.size());
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock lock(m_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start() {
    for (int i = 1; i < threads_; ++i)
      workers_.emplace_back([this] {
        pthread_setname_np(pthread_self(), "pycauset-pool");  // visible in /proc/<pid>/task/*/comm
        loop();
      });
  }
  void stop() {
    {
      std::lock_guard lock(m_);
      quit_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  void loop() {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(m_);
        wake_.wait(lock, [&] { return quit_ || generation_ != seen; });
        if (quit_) return;
        seen = generation_;
      }
      work();
      std::lock_guard lock(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
  void work() {
    t_in_region = true;
    for (std::int64_t c; (c = next_.fetch_add(1)) < chunks_;) {
      try {
        (*job_)(c);
      } catch (...) {
        std::lock_guard lock(err_m_);
        if (!error_) error_ = std::current_exception();
      }
    }
    t_in_region = false;
  }

  int threads_;
  pid_t owner_pid_;
  std::vector<std::thread> workers_;
  std::mutex m_, err_m_;
  std::condition_variable wake_, done_;
  const std::function<void(std::int64_t)>* job_ = nullptr;
  std::int64_t chunks_ = 0;
  std::atomic<std::int64_t> next_{0};
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  bool quit_ = false;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // held by the thread that currently drives the pool
std::unique_ptr<Pool> g_pool;
std::atomic<int> g_threads{0};

Pool& pool_locked() {
  if (g_pool && g_pool->forked()) {
    // The workers do not exist in a forked child; the old pool cannot be
    // joined, so it is abandoned and a fresh one started.
    (void)g_pool.release();
  }
  if (!g_pool) {
    int n = g_threads.load();
    if (n < 1) g_threads.store(n = default_threads());
    g_pool = std::make_unique<Pool>(n);
  }
  return *g_pool;
}

}  // namespace

int num_threads() {
  int n = g_threads.load();
  if (n < 1) {
    std::lock_guard lock(g_pool_mutex);
    n = pool_locked().threads();
  }
  return n;
}

void set_num_threads(int n) {
  if (n < 1) throw ValueError("number of threads must be >= 1, got " + std::to_string(n));
  std::lock_guard lock(g_pool_mutex);
  if (g_pool && !g_pool->forked() && g_pool->threads() == n) return;
  if (g_pool && g_pool->forked()) (void)g_pool.release();
  g_pool.reset();
  g_threads.store(n);
  g_pool = std::make_unique<Pool>(n);
}

bool in_parallel_region() { return t_in_region; }

void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& body,
                  std::int64_t align) {
  if (n <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  align = std::max<std::int64_t>(align, 1);
  int threads = g_threads.load();
  if (threads == 1 || t_in_region || n < 2 * grain) {
    body(0, n);
    return;
  }
  std::unique_lock lock(g_pool_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread is using the pool: do not wait on it
    body(0, n);
    return;
  }
  Pool& pool = pool_locked();
  std::int64_t chunks = std::min<std::int64_t>(pool.threads(), n / grain);
  if (chunks <= 1) {
    body(0, n);
    return;
  }
  // Equal chunks rounded up to `align`, so callers can keep chunk edges on
  // word or cache-line boundaries.
  std::int64_t step = (n + chunks - 1) / chunks;
  step = (step + align - 1) / align * align;
  chunks = (n + step - 1) / step;
  pool.run(chunks, [&](std::int64_t c) {
    std::int64_t b = c * step;
    body(b, std::min(n, b + step));
  });
}

void parallel_for_dynamic(std::int64_t n, std::int64_t chunk,
                          const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (n <= 0) return;
  chunk = std::max<std::int64_t>(chunk, 1);
  if (g_threads.load() == 1 || t_in_region || n <= chunk) {
    body(0, n);
    return;
  }
  std::unique_lock lock(g_pool_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    body(0, n);
    return;
  }
  Pool& pool = pool_locked();
  if (pool.threads() == 1) {
    body(0, n);
    return;
  }
  pool.run((n + chunk - 1) / chunk, [&](std::int64_t c) {
    std::int64_t b = c * chunk;
    body(b, std::min(n, b + chunk));
  });
}

}  // namespace pycauset
