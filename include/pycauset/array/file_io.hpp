#pragma once
// Saving arrays to and loading them from .pycauset files.
#include <cstdint>
#include <string>
#include <string_view>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/atomic_file.hpp"
#include "pycauset/storage/format.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace pycauset {

/// Writes a .pycauset file atomically (through an AtomicFile): a failure or a
/// crash before commit() leaves the old target untouched.
/// Not thread-safe; payload writes may come in any order.
class FileWriter {
 public:
  FileWriter(std::string path, DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols);
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  const format::Header& header() const { return header_; }
  /// Writes src (a block of the object) at rows [row0, row0 + src.rows) and
  /// columns [col0, col0 + src.cols), converting to the file's dtype. For bit
  /// files col0 must be a multiple of 64. Uses a bounded staging buffer.
  void write_block(const StridedRef& src, std::uint64_t row0, std::uint64_t col0 = 0);
  /// Writes the whole payload from an array of the file's shape.
  void write_array(const Array& a);
  /// Writes metadata and header, makes the file durable and puts it in place.
  void commit(std::string_view metadata, Structure structure = Structure::dense);

 private:
  AtomicFile file_;
  format::Header header_;
};

/// Saves `a` to `path` (see FileWriter). `metadata` is stored verbatim, and
/// the header records a.structure().
/// A whole, unpinned spilled object on the same file system is saved without
/// copying: its spill file gets the header and metadata, is fsynced and
/// linked into place, and the object's later writes become copy-on-write.
void save_array(const Array& a, const std::string& path, std::string_view metadata);

/// A loaded file: its array (memory-mapped, carrying the header's structure,
/// checked when first read) and metadata bytes.
struct LoadedFile {
  Array array;
  std::string metadata;
};

/// Reads and validates a .pycauset file's header and metadata (FormatError
/// naming the file and the problem) without mapping the payload.
struct FileInfo {
  format::Header header;
  std::string metadata;
};
FileInfo read_file_info(const std::string& path);

/// Opens a .pycauset file, validates it (FormatError naming the file and the
/// problem) and maps its payload with the given mode. Never writes to the file.
LoadedFile load_file(const std::string& path, MapMode mode);

}  // namespace pycauset
