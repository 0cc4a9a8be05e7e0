#pragma once
// Exception types of the core. The binding layer maps each to the Python
// exception of the same name in one place; nothing else crosses the boundary.
#include <stdexcept>
#include <string>
#include <utility>

namespace pycauset {

/// Base of every error the core raises on purpose.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// A value is outside what the operation accepts (Python ValueError).
struct ValueError : Error {
  using Error::Error;
};
/// An argument has the wrong type or dtype (Python TypeError).
struct TypeError : Error {
  using Error::Error;
};
/// An index is out of bounds (Python IndexError).
struct IndexError : Error {
  using Error::Error;
};
/// A value does not fit the target dtype (Python OverflowError).
struct OverflowError : Error {
  using Error::Error;
};
/// A linear-algebra routine failed: singular matrix, no convergence, not
/// positive definite (Python pycauset.linalg.LinAlgError, a
/// numpy.linalg.LinAlgError subclass).
struct LinAlgError : Error {
  using Error::Error;
};
/// Memory could not be obtained (Python MemoryError).
struct MemoryError : Error {
  using Error::Error;
};
/// An operating-system call on a file failed (Python OSError with this errno,
/// so ENOENT arrives as FileNotFoundError, ENOSPC as OSError(errno.ENOSPC)).
/// what() is the explanation; filename names the file.
struct OsError : Error {
  OsError(int code, const std::string& message, std::string filename)
      : Error(message), code(code), filename(std::move(filename)) {}
  int code;
  std::string filename;
};

}  // namespace pycauset
