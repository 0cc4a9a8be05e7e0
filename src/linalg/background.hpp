#pragma once
// Interruptible monolithic LAPACK calls and in-RAM matrix products.
//
// A single LAPACK call (geev, syevd, gesdd, getrf, ...) cannot report progress
// or be stopped from outside. So that Ctrl-C still works within a fraction of
// a second, a long call runs on a worker thread while the calling thread waits
// in short slices and polls check_interrupt() (core/progress.hpp). On an
// interrupt the caller gets the exception at once; the worker is abandoned: it
// runs to the end in the background (the CPU stays busy until then) and frees
// what it holds.
//
// Ownership rule, which makes abandoning safe: the work is a closure that owns
// everything it touches: private copies of the inputs (made on the calling
// thread before the worker starts, so later writes to the caller's objects
// cannot race with it) and the workspaces and results it allocates. Nothing
// refers to the caller's stack or objects. (Matrix products, whose operands
// are too large to copy, hold the operands' buffers instead, alive and pinned;
// see matmul.cpp.) The closure and any result nobody
// collected are destroyed on the worker before it signals that it is done, and
// wait_for_background() (called at interpreter exit) waits for every worker,
// so none runs while the process tears down.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "pycauset/core/error.hpp"
#include "pycauset/core/progress.hpp"

namespace pycauset::linalg::detail {

/// Calls below this many (estimated) flops run inline: a thread start costs
/// tens of microseconds, and such calls end within milliseconds anyway.
inline constexpr double kBackgroundFlops = 2e7;

/// How often the waiting thread checks for Ctrl-C.
inline constexpr std::chrono::milliseconds kInterruptPoll{50};

/// Count of running workers, for wait_for_background(). Never destroyed, so
/// a worker may still use it during static destruction.
struct BackgroundRegistry {
  std::mutex mutex;
  std::condition_variable idle;
  int running = 0;
};
inline BackgroundRegistry*& background_registry_slot() {
  static BackgroundRegistry* registry = [] {
    // A forked child has none of the parent's workers: give it a fresh count
    // (and an unlocked mutex), or its exit would wait for them forever.
    pthread_atfork(nullptr, nullptr, [] { background_registry_slot() = new BackgroundRegistry; });
    return new BackgroundRegistry;
  }();
  return registry;
}
inline BackgroundRegistry& background_registry() { return *background_registry_slot(); }

/// Blocks until no worker runs (abandoned ones included).
inline void wait_for_background() {
  auto& r = background_registry();
  std::unique_lock lock(r.mutex);
  r.idle.wait(lock, [&] { return r.running == 0; });
}

template <class R> struct BackgroundCall {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::optional<R> result;
  std::exception_ptr error;
};

/// Set when the caller has abandoned a worker (Ctrl-C). Work made of our own
/// loops polls it (relaxed loads are enough) and stops early by throwing, so an
/// abandoned worker frees the CPU within a block instead of running to the end.
using CancelFlag = std::atomic<bool>;

/// What a cancellable kernel throws when it sees the flag; nobody catches it
/// but the abandoned worker.
struct Cancelled {};

/// Throws Cancelled when `cancel` is set.
inline void throw_if_cancelled(const CancelFlag& cancel) {
  if (cancel.load(std::memory_order_relaxed)) [[unlikely]] throw Cancelled{};
}

/// As run_interruptible (below), for work that polls a CancelFlag: when the
/// caller abandons the worker on Ctrl-C, it sets the flag. Inline calls get a
/// flag that is never set.
template <class R> R run_cancellable(double flops, std::function<R(const CancelFlag&)> work) {
  if (flops < kBackgroundFlops) {
    CancelFlag never{false};
    return work(never);
  }
  auto cancel = std::make_shared<CancelFlag>(false);
  auto call = std::make_shared<BackgroundCall<R>>();
  auto& registry = background_registry();
  {
    std::lock_guard lock(registry.mutex);
    ++registry.running;
  }
  std::function<void()> run = [call, cancel, work = std::move(work)]() mutable {
    try {
      R r = work(*cancel);
      std::lock_guard lock(call->mutex);
      call->result.emplace(std::move(r));
    } catch (...) {
      std::lock_guard lock(call->mutex);
      call->error = std::current_exception();
    }
    work = nullptr;  // the private inputs and workspaces
    {
      std::lock_guard lock(call->mutex);
      call->done = true;
    }
    call->done_cv.notify_all();
    call.reset();  // the result too, when the caller has gone
    auto& r = background_registry();
    std::lock_guard lock(r.mutex);
    if (--r.running == 0) r.idle.notify_all();
  };
  try {
    std::thread(std::move(run)).detach();
  } catch (const std::system_error& e) {
    {
      std::lock_guard lock(registry.mutex);
      if (--registry.running == 0) registry.idle.notify_all();
    }
    throw MemoryError(std::string("cannot start a thread for a linear-algebra call: ") + e.what());
  }
  std::unique_lock lock(call->mutex);
  while (!call->done) {
    if (call->done_cv.wait_for(lock, kInterruptPoll, [&] { return call->done; })) break;
    lock.unlock();
    try {
      check_interrupt();  // throws on Ctrl-C: the worker goes on alone and cleans up
    } catch (...) {
      cancel->store(true, std::memory_order_relaxed);
      throw;
    }
    lock.lock();
  }
  if (call->error) std::rethrow_exception(call->error);
  return std::move(*call->result);
}

/// Runs `work` (see the ownership rule above) and returns its result or
/// rethrows its exception. Calls estimated at `flops` >= kBackgroundFlops run on
/// a worker and honour Ctrl-C (the exception check_interrupt throws) within
/// about kInterruptPoll; smaller ones run inline on the calling thread.
/// MemoryError when no thread can be started.
template <class R> R run_interruptible(double flops, std::function<R()> work) {
  return run_cancellable<R>(flops, [work = std::move(work)](const CancelFlag&) mutable { return work(); });
}

}  // namespace pycauset::linalg::detail
