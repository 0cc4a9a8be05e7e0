#pragma once
// Saving arrays to and loading them from .pycauset files.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/storage/atomic_file.hpp"
#include "pycauset/storage/format.hpp"
#include "pycauset/storage/mapped_file.hpp"

namespace pycauset {

/// Default bound on the bytes one staging buffer of a streamed save or
/// conversion holds (each streams through two or three such buffers).
inline constexpr std::size_t kConvertChunkBytes = std::size_t(32) << 20;

// ---- sections -------------------------------------------------------------------
// A file may carry sections after its metadata block (docs/format.md,
// "Sections"): each one the elements of a 1-D or 2-D array of a byte dtype
// (not bit) in C order, native (little-endian) byte order, starting at the
// first multiple of kSectionAlign at or after the end of what precedes it
// (the metadata block for the first). The file ends where the last one ends.
// The header does not record them; the metadata describes them to readers.

/// Every section starts at a multiple of this.
inline constexpr std::uint64_t kSectionAlign = 4096;
/// Bytes `section` takes in a file (rows * cols * itemsize); ValueError for a
/// bit array or an array that is not 1-D or 2-D.
std::uint64_t section_nbytes(const Array& section);
/// Where sections of the given sizes start in a file whose metadata block
/// ends at `metadata_end` (metadata_offset + metadata_length).
std::vector<std::uint64_t> section_offsets(std::uint64_t metadata_end, std::span<const std::uint64_t> nbytes);
/// The length of such a file: where its last section ends (`metadata_end` without sections).
std::uint64_t file_length_with_sections(std::uint64_t metadata_end, std::span<const std::uint64_t> nbytes);

/// Writes a .pycauset file atomically (through an AtomicFile): a failure or a
/// crash before commit() leaves the old target untouched.
/// Not thread-safe; payload writes may come in any order.
class FileWriter {
 public:
  /// `chunk_bytes` bounds each staging buffer the writer allocates (governor-accounted RAM).
  /// The file's first max(`reserve_length`, payload end) bytes are allocated
  /// before anything is written (OsError(ENOSPC) naming the target when the
  /// disk cannot hold them): pass the whole file's length when the metadata
  /// and sections are known up front, so that they cannot fail for space.
  FileWriter(std::string path, DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols,
             std::size_t chunk_bytes = kConvertChunkBytes, std::uint64_t reserve_length = 0);
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  const format::Header& header() const { return header_; }
  /// The temporary file the payload goes to until commit() (other processes may
  /// pwrite payload bytes into it, at header().payload_offset + row * row_stride).
  const std::string& temp_path() const { return file_.temp_path(); }
  /// Writes src (a block of the object) at rows [row0, row0 + src.rows) and
  /// columns [col0, col0 + src.cols), converting to the file's dtype. For bit
  /// files col0 must be a multiple of 64. Uses a bounded staging buffer.
  void write_block(const StridedRef& src, std::uint64_t row0, std::uint64_t col0 = 0);
  /// Writes n payload bytes, laid out as the file holds them, at byte `pos`
  /// of the payload (direct I/O when `data` sits at the right place in its page;
  /// see payload_placement).
  void write_payload(const std::byte* data, std::size_t n, std::uint64_t pos);
  /// Where in a staging buffer (page-aligned or not) bytes bound for payload byte
  /// `pos` should start so that write_payload can take them by direct I/O.
  std::size_t payload_placement(std::uintptr_t address, std::uint64_t pos) const {
    return AtomicFile::direct_placement(address, header_.payload_offset + pos);
  }
  /// Writes the whole payload from an array of the file's shape.
  void write_array(const Array& a);
  /// Writes metadata, `sections` (see section_offsets; any storage or view)
  /// and header, makes the file durable and puts it in place (one rename).
  /// The sections are checked before anything is written.
  void commit(std::string_view metadata, Structure structure = Structure::dense,
              std::span<const Array> sections = {});

 private:
  AtomicFile file_;
  format::Header header_;
  std::size_t chunk_bytes_;
};

/// Saves `a` to `path` (see FileWriter). `metadata` is stored verbatim, and
/// the header records a.structure(). `sections` (1-D or 2-D arrays of byte
/// dtypes, any storage or view) follow the metadata (see section_offsets).
/// The whole file's space is allocated before its first byte is written
/// (OsError(ENOSPC) leaves the old target), and it is put in place by one
/// atomic rename: a failure or crash leaves the old file or the new one.
/// A whole, unpinned spilled object on the same file system is saved without
/// copying: its spill file gets the header, metadata and sections, is fsynced
/// and linked into place, and the object's later writes become copy-on-write.
void save_array(const Array& a, const std::string& path, std::string_view metadata,
                std::span<const Array> sections = {});

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

// ---- NumPy .npy files ----------------------------------------------------------
// The .npy header (a Python dict literal) is NumPy's to read and write; the
// caller parses or builds it. The core moves the data: in bounded chunks of
// governor-accounted RAM, reading the next chunk on an I/O thread while the
// current one is written, by direct I/O where the file system allows it, with
// the source's pages dropped from the page cache once read. Targets are
// written through AtomicFile: reserved (fallocate) before the first byte, and
// a failure at any point leaves the old target in place.

/// How a .npy file lays out its data, as its header says.
struct NpyLayout {
  /// Element type; DType::bit stands for NumPy's bool (one byte, 0 or 1, per element).
  DType dtype = DType::float64;
  bool byteswap = false;       ///< the data is big-endian (NumPy descr '>...')
  bool fortran_order = false;  ///< column-major 2-D data
  int ndim = 2;                ///< 1 or 2
  std::uint64_t rows = 0;      ///< 1 for a vector
  std::uint64_t cols = 0;      ///< the length for a vector
  std::uint64_t data_offset = 0;  ///< where the data starts: the header's length
};

/// The dtype of one .npy element of a pycauset dtype (bit -> uint8, i.e. bool bytes).
DType npy_element_dtype(DType dtype);

/// Converts the .npy file `src`, whose header describes `npy`, into a dense
/// .pycauset file `dst` holding `metadata` (stored verbatim).
/// Big-endian data is swapped and Fortran order transposed (in square tiles)
/// on the way; bool becomes bit. ValueError naming `src` when it holds less
/// data than `npy` promises; OsError(ENOSPC) when the disk cannot hold `dst`.
void convert_npy_to_pycauset(const std::string& src, const NpyLayout& npy, const std::string& dst,
                             std::string_view metadata, std::size_t chunk_bytes = kConvertChunkBytes);

/// Converts the .pycauset file `src` (validated as load_file does) into the
/// .npy file `dst`: `npy_header` (C order, the element dtype of
/// npy_element_dtype, the file's shape), then the data. Bits become bools.
void convert_pycauset_to_npy(const std::string& src, const std::string& dst, std::string_view npy_header,
                             std::size_t chunk_bytes = kConvertChunkBytes);

/// Saves `a` (any storage, any view) as the .npy file `dst`: `npy_header`
/// (C order, as for convert_pycauset_to_npy), then the data in C order.
void save_npy(const Array& a, const std::string& dst, std::string_view npy_header,
              std::size_t chunk_bytes = kConvertChunkBytes);

}  // namespace pycauset
