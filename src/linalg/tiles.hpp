#pragma once
// Helpers shared by the tiled (out-of-core) routines of linalg: governor tiles
// and the waits of the I/O pipeline. Private to src/linalg.
#include <algorithm>
#include <cstddef>
#include <future>
#include <memory>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"

namespace pycauset::linalg::detail {

/// A governor-accounted RAM tile of `count` T's (see allocate_tile).
template <class T> struct Tile {
  std::shared_ptr<RamBuffer> buffer;
  T* p = nullptr;
  Tile() = default;
  explicit Tile(Array::index_t count)
      : buffer(allocate_tile(std::size_t(std::max<Array::index_t>(count, 1)) * sizeof(T))),
        p(reinterpret_cast<T*>(buffer->data())) {}
};

/// Waits for an I/O job if one was submitted; rethrows its exception.
inline void wait(std::future<void>& f) {
  if (f.valid()) f.get();
}

/// The same for a job whose result several threads wait on.
inline void wait_shared(const std::shared_future<void>& f) {
  if (f.valid()) f.get();
}

inline Array::index_t ceil_div(Array::index_t a, Array::index_t b) { return (a + b - 1) / b; }

}  // namespace pycauset::linalg::detail
