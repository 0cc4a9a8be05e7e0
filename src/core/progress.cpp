#include "pycauset/core/progress.hpp"

#include <algorithm>
#include <mutex>

namespace pycauset {
namespace {

std::mutex g_mutex;
ProgressCallback g_callback;
std::function<void()> g_interrupt_check;

ProgressCallback current() {
  std::lock_guard lock(g_mutex);
  return g_callback;
}

}  // namespace

void set_progress_callback(ProgressCallback callback) {
  std::lock_guard lock(g_mutex);
  g_callback = std::move(callback);
}

void set_interrupt_check(std::function<void()> check) {
  std::lock_guard lock(g_mutex);
  g_interrupt_check = std::move(check);
}

void check_interrupt() {
  std::function<void()> check;
  {
    std::lock_guard lock(g_mutex);
    check = g_interrupt_check;
  }
  if (check) check();
}

Progress::Progress(std::string what, double total) : what_(std::move(what)), total_(std::max(total, 1.0)) {
  report();
}

void Progress::advance(double units) {
  done_ = std::min(total_, done_ + units);
  report();
}

void Progress::finish() {
  done_ = total_;
  report();
}

void Progress::report() {
  if (auto cb = current()) cb(what_, done_ / total_);
}

}  // namespace pycauset
