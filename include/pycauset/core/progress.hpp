#pragma once
// Progress of long operations (out-of-core algebra), and the point where the
// user may interrupt them. The core reports; the Python layer decides whether
// to draw a bar and turns Ctrl-C into an exception thrown from the callback.
#include <functional>
#include <string>

namespace pycauset {

/// Called on the thread running the operation, with the operation's name and
/// the fraction done (0 at the start, 1 at the end). It may throw to abandon
/// the operation: the exception propagates out of the operation after its
/// temporaries are released, and its inputs are left as they were.
using ProgressCallback = std::function<void(const std::string& what, double fraction)>;

/// Installs the process-wide callback (an empty function removes it).
void set_progress_callback(ProgressCallback callback);

/// Throws when the user has interrupted (Ctrl-C pending), through the check
/// the binding installs; a no-op without one. For operations that cannot report
/// progress: the thread waiting for a monolithic LAPACK call polls it
/// (linalg/background.hpp).
void check_interrupt();

/// Installs the process-wide interrupt check (an empty function removes it).
void set_interrupt_check(std::function<void()> check);

/// One long operation's progress, counted in any unit (flops, bytes).
/// Not thread-safe: report from the thread that runs the operation.
class Progress {
 public:
  Progress(std::string what, double total);
  /// Adds `units` of finished work and reports (may throw, see above).
  void advance(double units);
  /// Reports 100% (may throw).
  void finish();

 private:
  void report();
  std::string what_;
  double total_;
  double done_ = 0;
};

}  // namespace pycauset
