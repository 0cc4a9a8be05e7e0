#include "pycauset/array/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>
#include <optional>
#include <vector>

#include "pycauset/array/blocks.hpp"
#include "pycauset/core/progress.hpp"
#include "pycauset/kernels/convert.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/tile_io.hpp"

namespace pycauset {
namespace {

std::string os_error(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

void pread_all(int fd, std::byte* out, std::size_t n, std::uint64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw OsError(errno, os_error("cannot read", path), path);
    if (got == 0) throw FormatError("'" + path + "' is not a valid .pycauset file: it is truncated");
    out += got, n -= std::size_t(got), offset += std::uint64_t(got);
  }
}

constexpr std::size_t kPage = AtomicFile::kDirectAlignment;

/// Governor-accounted RAM for one chunk, with two pages of slack: a chunk can
/// start anywhere within the first page (to share a write target's place in
/// its page, for direct I/O) and a direct read can take whole blocks.
class Staging {
 public:
  explicit Staging(std::size_t bytes) : buf_(RamBuffer::allocate(bytes + 2 * kPage, false)) {}
  std::byte* base() const { return buf_->data(); }
  /// Where a chunk bound for file offset `at` starts.
  std::byte* placed(std::uint64_t at) const {
    return base() + AtomicFile::direct_placement(reinterpret_cast<std::uintptr_t>(base()), at);
  }

 private:
  std::shared_ptr<RamBuffer> buf_;
};

/// Blocks of a rows x cols payload of `item`-byte elements that fit `chunk`
/// bytes: whole rows when a row fits, else pieces of one row whose starts are
/// multiples of 64 elements (bit blocks start on words). {rows, cols} per block.
std::pair<std::uint64_t, std::uint64_t> chunk_steps(std::uint64_t cols, std::uint64_t item, std::size_t chunk) {
  if (cols * item <= chunk) return {std::max<std::uint64_t>(1, chunk / (cols * item)), cols};
  return {1, std::max<std::uint64_t>(64, chunk / item / 64 * 64)};
}

/// Progress of a streamed save or conversion, in bytes. Reports (and so lets
/// Ctrl-C in) about every 16 MiB moved, not once per chunk: small chunks cost
/// no calls into the progress callback.
class ByteProgress {
 public:
  ByteProgress(const char* what, std::uint64_t total) : progress_(what, double(total)) {}
  void advance(std::uint64_t n) {
    pending_ += n;
    if (pending_ >= kStep) progress_.advance(double(pending_)), pending_ = 0;
  }
  void finish() { progress_.finish(); }

 private:
  static constexpr std::uint64_t kStep = std::uint64_t(16) << 20;
  Progress progress_;
  std::uint64_t pending_ = 0;
};

/// Writes the rows of `src` (any dtype, bits included; an Array of any
/// storage or rows in a file) as C-order .npy elements at `offset` of `out`:
/// pieces of whole rows, or of one row when a row is longer than a chunk,
/// read through the block API straight into staging placed for direct writes.
/// `out` has write(data, n, offset) (an AtomicFile); `progress` may be null.
template <class Out>
void write_npy_elements(Out& out, std::uint64_t offset, const BlockStore& src, std::size_t chunk,
                        ByteProgress* progress) {
  const DType el = npy_element_dtype(src.dtype());
  const std::uint64_t item = dtype_info(el).itemsize();
  const auto rows = std::uint64_t(src.rows()), cols = std::uint64_t(src.cols());
  if (rows == 0 || cols == 0) return;
  const auto [step_r, step_c] = chunk_steps(cols, item, chunk);
  Staging buf(std::size_t(std::min(step_r, rows) * std::min(step_c, cols) * item));
  for (std::uint64_t r0 = 0; r0 < rows; r0 += step_r) {
    const std::uint64_t nr = std::min(step_r, rows - r0);
    for (std::uint64_t c0 = 0; c0 < cols; c0 += step_c) {
      const std::uint64_t nc = std::min(step_c, cols - c0);
      const std::uint64_t at = offset + (r0 * cols + c0) * item;
      std::byte* stage = buf.placed(at);
      // A uint8 tile row of bits read as bools is nc bytes: the .npy layout.
      src.read_block(BlockStore::index_t(r0), BlockStore::index_t(r0 + nr), BlockStore::index_t(c0),
                     BlockStore::index_t(c0 + nc), el, stage);
      out.write(stage, std::size_t(nr * nc * item), at);
      if (progress) progress->advance(nr * nc * item);
    }
    src.release_rows(BlockStore::index_t(r0), BlockStore::index_t(r0 + nr));
  }
}

}  // namespace

FileWriter::FileWriter(std::string path, DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols,
                       std::size_t chunk_bytes, std::uint64_t reserve_length)
    : file_(std::move(path)), header_(format::layout(dtype, ndim, rows, cols, 0)),
      chunk_bytes_(std::max<std::size_t>(chunk_bytes, 64)) {
  if (ndim != 1 && ndim != 2) throw ValueError("arrays have 1 or 2 dimensions");
  if (ndim == 1 && rows != 1) throw ValueError("a vector file has one row");
  // The file's blocks are allocated before anything is written: a disk too
  // small for the file raises OsError(ENOSPC) here, not after a long write.
  file_.reserve(std::max(header_.metadata_offset, reserve_length));
}

void FileWriter::write_block(const StridedRef& src, std::uint64_t row0, std::uint64_t col0) {
  const auto& h = header_;
  if (src.rows < 0 || src.cols < 0 || row0 + std::uint64_t(src.rows) > h.rows ||
      col0 + std::uint64_t(src.cols) > h.cols)
    throw ValueError("block lies outside the file's shape");
  if (src.rows == 0 || src.cols == 0) return;
  const bool bit = h.dtype == DType::bit;
  if (bit && col0 % 64 != 0) throw ValueError("bit blocks must start on a multiple of 64 columns");
  // Bytes one block row occupies in the file.
  const std::uint64_t seg = bit ? (std::uint64_t(src.cols) + 7) / 8
                                : std::uint64_t(src.cols) * dtype_info(h.dtype).itemsize();
  const std::uint64_t seg_padded = (seg + 7) / 8 * 8;  // staging rows stay word aligned
  const std::int64_t col_step =
      std::max<std::int64_t>(64, std::int64_t(chunk_bytes_ * 8 / dtype_info(h.dtype).bits / 64 * 64));
  if (seg_padded > chunk_bytes_ && src.cols > col_step) {
    // Rows longer than the staging buffer (long vectors): split the columns.
    const std::int64_t step = col_step;
    for (std::int64_t c = 0; c < src.cols; c += step) {
      StridedRef part = src;
      part.cols = std::min(step, src.cols - c);
      if (src.dtype == DType::bit) part.bit_offset += c * src.s1;
      else part.data += c * src.s1;
      write_block(part, row0, col0 + std::uint64_t(c));
    }
    return;
  }
  const std::uint64_t col_byte = bit ? col0 / 8 : col0 * dtype_info(h.dtype).itemsize();
  const bool full_rows = col0 == 0 && std::uint64_t(src.cols) == h.cols;
  const std::int64_t rows_per_chunk =
      std::max<std::int64_t>(1, std::int64_t(chunk_bytes_ / std::max<std::uint64_t>(seg_padded, 1)));
  const std::size_t staging_bytes =
      std::size_t(std::min<std::int64_t>(rows_per_chunk, src.rows)) * (full_rows ? h.row_stride : seg_padded);
  // A page of slack lets each chunk of whole rows be staged at the same offset
  // within a page as its place in the file, so the file can take it by direct I/O.
  auto staging = RamBuffer::allocate(staging_bytes + AtomicFile::kDirectAlignment, false);
  for (std::int64_t r = 0; r < src.rows; r += rows_per_chunk) {
    std::int64_t n = std::min(rows_per_chunk, src.rows - r);
    StridedRef part = src;
    part.rows = n;
    if (src.dtype == DType::bit) part.bit_offset += r * src.s0;
    else part.data += r * src.s0;
    const std::uint64_t stride = full_rows ? h.row_stride : seg_padded;
    const std::uint64_t at = h.payload_offset + (row0 + std::uint64_t(r)) * h.row_stride + col_byte;
    std::byte* stage = staging->data();
    if (full_rows) stage += AtomicFile::direct_placement(reinterpret_cast<std::uintptr_t>(stage), at);
    if (bit) std::memset(stage, 0, std::size_t(n * stride));  // padding bits of each row must be zero
    StridedRef dst{stage, h.dtype, n, src.cols, std::int64_t(bit ? stride * 8 : stride),
                   bit ? 1 : std::int64_t(dtype_info(h.dtype).itemsize()), 0};
    convert(part, dst);
    if (full_rows) {
      file_.write(stage, std::size_t(n * h.row_stride), at);
    } else {
      for (std::int64_t i = 0; i < n; ++i)
        file_.write(stage + i * seg_padded, std::size_t(seg), at + std::uint64_t(i) * h.row_stride);
    }
  }
}

void FileWriter::write_payload(const std::byte* data, std::size_t n, std::uint64_t pos) {
  if (pos > header_.payload_length || n > header_.payload_length - pos)
    throw ValueError("bytes lie outside the file's payload");
  file_.write(data, n, header_.payload_offset + pos);
}

void FileWriter::write_array(const Array& a) {
  if (std::uint64_t(a.rows()) != header_.rows || std::uint64_t(a.cols()) != header_.cols)
    throw ValueError("array shape does not match the file");
  // A contiguous RAM array of the file's dtype already is the payload: write it as it lies.
  if (a.is_contiguous() && a.dtype() == header_.dtype && a.buffer()->kind() == StorageKind::ram) {
    file_.write(a.data(), std::size_t(header_.payload_length), header_.payload_offset);
    return;
  }
  if (a.dtype() != header_.dtype) {
    write_block(a.ref(), 0, 0);
    return;
  }
  // Anything else moves as payload rows through the block API: rows of file-
  // backed and spilled arrays by pread (their pages dropped once read), views
  // through memory; each piece is staged at its place in a page (direct writes).
  using index_t = BlockStore::index_t;
  const BlockStore store(a);
  const std::uint64_t rows = header_.rows, cols = header_.cols, stride = header_.row_stride;
  if (rows == 0 || cols == 0) return;
  const DType dt = header_.dtype;
  const bool bit = dt == DType::bit;
  const std::uint64_t step_r = stride <= chunk_bytes_ ? chunk_bytes_ / stride : 1;
  const std::uint64_t step_c = stride <= chunk_bytes_
      ? cols : std::max<std::uint64_t>(64, chunk_bytes_ * 8 / dtype_info(dt).bits / 64 * 64);
  // (Sized as save_npy's staging for the same rows, so one reuses the other's freed mapping.)
  const Staging staging(std::size_t(step_c == cols ? std::min(step_r, rows) * stride
                                                   : BlockStore::tile_row_bytes(dt, index_t(step_c))));
  for (std::uint64_t r0 = 0; r0 < rows; r0 += step_r) {
    const std::uint64_t nr = std::min(step_r, rows - r0);
    for (std::uint64_t c0 = 0; c0 < cols; c0 += step_c) {
      const std::uint64_t nc = std::min(step_c, cols - c0);
      const std::uint64_t pos = r0 * stride + (bit ? c0 / 8 : c0 * dtype_info(dt).itemsize());
      const std::uint64_t len = step_c == cols ? nr * stride : BlockStore::tile_row_bytes(dt, index_t(nc));
      std::byte* stage = staging.placed(header_.payload_offset + pos);
      store.read_block(index_t(r0), index_t(r0 + nr), index_t(c0), index_t(c0 + nc), dt, stage);
      write_payload(stage, std::size_t(len), pos);
    }
    store.release_rows(index_t(r0), index_t(r0 + nr));
  }
}

std::uint64_t section_nbytes(const Array& section) {
  if (section.ndim() != 1 && section.ndim() != 2)
    throw ValueError("a file section is a 1-D or 2-D array, got " + std::to_string(section.ndim()) + "-D");
  if (section.dtype() == DType::bit)
    throw ValueError("a file section holds whole bytes per element: convert a bit array to uint8 or bool first");
  return std::uint64_t(section.rows()) * std::uint64_t(section.cols()) * dtype_info(section.dtype()).itemsize();
}

std::vector<std::uint64_t> section_offsets(std::uint64_t metadata_end, std::span<const std::uint64_t> nbytes) {
  std::vector<std::uint64_t> out;
  out.reserve(nbytes.size());
  std::uint64_t at = metadata_end;
  for (std::uint64_t n : nbytes) {
    std::uint64_t up;
    if (__builtin_add_overflow(at, kSectionAlign - 1, &up)) throw ValueError("file sections past 2**64 bytes");
    at = up / kSectionAlign * kSectionAlign;
    out.push_back(at);
    if (__builtin_add_overflow(at, n, &at)) throw ValueError("file sections past 2**64 bytes");
  }
  return out;
}

std::uint64_t file_length_with_sections(std::uint64_t metadata_end, std::span<const std::uint64_t> nbytes) {
  if (nbytes.empty()) return metadata_end;
  return section_offsets(metadata_end, nbytes).back() + nbytes.back();
}

namespace {

std::vector<std::uint64_t> sizes_of(std::span<const Array> sections) {
  std::vector<std::uint64_t> sizes;
  sizes.reserve(sections.size());
  for (const Array& s : sections) sizes.push_back(section_nbytes(s));  // ValueError before any write
  return sizes;
}

/// Writes each section at its offset through out.write(data, n, offset).
template <class Out>
void write_sections(Out& out, std::span<const Array> sections, const std::vector<std::uint64_t>& offsets,
                    std::size_t chunk) {
  for (std::size_t k = 0; k < sections.size(); ++k)
    write_npy_elements(out, offsets[k], BlockStore(sections[k]), chunk, nullptr);
}

}  // namespace

void FileWriter::commit(std::string_view metadata, Structure structure, std::span<const Array> sections) {
  if (metadata.size() > format::kMaxMetadata) throw ValueError("metadata is too large");
  const std::vector<std::uint64_t> sizes = sizes_of(sections);
  header_.metadata_length = metadata.size();
  header_.metadata_crc = format::crc32(std::as_bytes(std::span(metadata.data(), metadata.size())));
  header_.structure = structure;
  const std::uint64_t metadata_end = header_.metadata_offset + header_.metadata_length;
  file_.write(reinterpret_cast<const std::byte*>(metadata.data()), metadata.size(), header_.metadata_offset);
  write_sections(file_, sections, section_offsets(metadata_end, sizes), chunk_bytes_);
  auto head = format::encode(header_);
  file_.write(head.data(), head.size(), 0);
  // Exact length: the slack after the payload and the gaps before sections are holes that read as zeros.
  file_.resize(file_length_with_sections(metadata_end, sizes));
  file_.commit();
}

namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

/// Saving a whole spilled object on the file system of its spill file: the
/// spill file already holds the payload where a .pycauset file has it, so
/// write the header and metadata into it, make it durable, and link it into
/// place (a new name, then an atomic rename). The object keeps its data but
/// writes to it become copy-on-write, so the saved file never changes.
/// Returns false (nothing visible done) when that does not apply.
bool save_by_linking(const Array& a, const std::string& path, std::string_view metadata, Structure structure,
                     std::span<const Array> sections, const std::vector<std::uint64_t>& sizes) {
  auto* spill = dynamic_cast<MappedFileBuffer*>(a.buffer().get());
  if (!spill || spill->kind() != StorageKind::spill || spill->mode() != MapMode::read_write) return false;
  if (!a.is_contiguous() || a.data() != spill->data() || a.buffer()->pins() > 0) return false;
  format::Header h = format::layout(a.dtype(), a.ndim(), std::uint64_t(a.rows()), std::uint64_t(a.cols()), 0);
  // The payload must fill the spill file's data region exactly: the saved file
  // ends right after it, and the object's mapping must not reach past that end.
  if (h.payload_offset != spill->file_offset() || h.payload_length != spill->size()) return false;
  if (metadata.size() > format::kMaxMetadata) throw ValueError("metadata is too large");
  struct stat target_dir, spill_file, existing;
  if (::stat(directory_of(path).c_str(), &target_dir) != 0 || ::stat(spill->path().c_str(), &spill_file) != 0 ||
      target_dir.st_dev != spill_file.st_dev)
    return false;
  if (::stat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode))
    throw OsError(EISDIR, "cannot write '" + path + "': it is a directory", path);
  const int fd = ::open(spill->path().c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const std::uint64_t metadata_end = h.metadata_offset + metadata.size();
  const std::uint64_t end = file_length_with_sections(metadata_end, sizes);
  if (end > metadata_end) {
    // The sections' blocks are allocated before anything is written. Where
    // that fails, the spill file gets its old length back and the save copies
    // instead (which reserves the whole file and reports a full disk).
    struct stat before;
    if (::fstat(fd, &before) != 0) return false;
    int rc;
    do rc = ::fallocate(fd, 0, off_t(metadata_end), off_t(end - metadata_end));
    while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
      if (::ftruncate(fd, before.st_size) != 0) {}
      return false;
    }
  }
  // From here on the file will be the saved one, so the object's later writes
  // must stay private. The copy-on-write mapping is made first: where the
  // system refuses it, nothing has changed and the save copies instead.
  try {
    spill->make_copy_on_write();
  } catch (const MemoryError&) {
    return false;
  } catch (const OsError&) {
    return false;
  }

  h.metadata_length = metadata.size();
  h.metadata_crc = format::crc32(std::as_bytes(std::span(metadata.data(), metadata.size())));
  h.structure = structure;
  auto put = [&](const void* data, std::size_t n, std::uint64_t at) {
    const auto* p = static_cast<const std::byte*>(data);
    while (n > 0) {
      ssize_t w = ::pwrite(fd, p, n, off_t(at));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw OsError(errno, os_error("cannot write", spill->path()), path);
      p += w, n -= std::size_t(w), at += std::uint64_t(w);
    }
  };
  put(metadata.data(), metadata.size(), h.metadata_offset);
  struct {
    decltype(put)& fn;
    void write(const std::byte* data, std::size_t n, std::uint64_t at) const { fn(data, n, at); }
  } out{put};
  write_sections(out, sections, section_offsets(metadata_end, sizes), kConvertChunkBytes);
  auto head = format::encode(h);
  put(head.data(), head.size(), 0);
  if (::ftruncate(fd, off_t(end)) != 0)
    throw OsError(errno, os_error("cannot size", spill->path()), path);
  if (::fsync(fd) != 0) throw OsError(errno, os_error("cannot flush", spill->path()), path);
  std::string tmp = directory_of(path);
  tmp.append("/.").append(path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1));
  tmp.append(".tmp-").append(std::to_string(::getpid())).append("-link");  // AtomicFile's naming: stale ones get cleaned
  ::unlink(tmp.c_str());
  if (::link(spill->path().c_str(), tmp.c_str()) != 0) return false;  // e.g. a file system without hard links
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    throw OsError(err, os_error("cannot move the file into place at", path), path);
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {  // make the rename durable
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

}  // namespace

void save_array(const Array& a, const std::string& path, std::string_view metadata,
                std::span<const Array> sections) {
  if (path.empty()) throw ValueError("empty file name");
  if (metadata.size() > format::kMaxMetadata) throw ValueError("metadata is too large");
  const std::vector<std::uint64_t> sizes = sizes_of(sections);
  const Structure structure = a.structure();
  if (save_by_linking(a, path, metadata, structure, sections, sizes)) return;
  const auto rows = std::uint64_t(a.rows()), cols = std::uint64_t(a.cols());
  const format::Header h = format::layout(a.dtype(), a.ndim(), rows, cols, metadata.size());
  // The whole file, sections included, is reserved before its first byte is written.
  const std::uint64_t end = file_length_with_sections(h.metadata_offset + metadata.size(), sizes);
  FileWriter w(path, a.dtype(), a.ndim(), rows, cols, kConvertChunkBytes, end);
  w.write_array(a);
  w.commit(metadata, structure, sections);
}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

FileInfo read_info(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) throw OsError(errno, os_error("cannot stat", path), path);
  if (S_ISDIR(st.st_mode)) throw OsError(EISDIR, "'" + path + "' is a directory, not a .pycauset file", path);
  if (!S_ISREG(st.st_mode)) throw ValueError("'" + path + "' is not a regular file");
  const auto size = std::uint64_t(st.st_size);
  std::array<std::byte, format::kHeaderSize> head{};
  std::size_t want = std::size_t(std::min<std::uint64_t>(size, head.size()));
  pread_all(fd, head.data(), want, 0, path);
  FileInfo info{format::decode(std::span(head.data(), want), size, path), {}};
  const format::Header& h = info.header;
  info.metadata.assign(std::size_t(h.metadata_length), '\0');
  pread_all(fd, reinterpret_cast<std::byte*>(info.metadata.data()), info.metadata.size(), h.metadata_offset, path);
  if (format::crc32(std::as_bytes(std::span(info.metadata.data(), info.metadata.size()))) != h.metadata_crc)
    throw FormatError("'" + path + "' is not a valid .pycauset file: the metadata checksum does not match");
  return info;
}

}  // namespace

FileInfo read_file_info(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) throw OsError(errno, os_error("cannot open", path), path);
  return read_info(f.fd, path);
}

LoadedFile load_file(const std::string& path, MapMode mode) {
  Fd f;
  f.fd = ::open(path.c_str(), (mode == MapMode::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (f.fd < 0) throw OsError(errno, os_error("cannot open", path), path);
  FileInfo info = read_info(f.fd, path);
  const format::Header& h = info.header;
  auto buffer = MappedFileBuffer::from_fd(f.fd, path, h.payload_offset, std::size_t(h.payload_length), mode);
  const auto bits = std::uint64_t(dtype_info(h.dtype).bits);
  auto row_stride = Array::index_t(h.row_stride * 8 / bits);
  Array a = Array::over_buffer(std::move(buffer), h.dtype, h.ndim, Array::index_t(h.rows),
                               Array::index_t(h.cols), row_stride);
  a.claim_structure(h.structure);
  return {std::move(a), std::move(info.metadata)};
}

}  // namespace pycauset

// ---- NumPy .npy files ------------------------------------------------------------

namespace pycauset {
namespace {

template <class U>
void swap_each(std::byte* p, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i, p += sizeof(U)) {
    U v;
    std::memcpy(&v, p, sizeof(U));
    if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
    else if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    else v = __builtin_bswap64(v);
    std::memcpy(p, &v, sizeof(U));
  }
}

/// Big-endian elements to native order, in place (a complex number's parts each).
void to_native(std::byte* p, std::uint64_t count, DType element) {
  const auto& info = dtype_info(element);
  const std::size_t width = info.kind == DTypeKind::complex ? info.itemsize() / 2 : info.itemsize();
  const std::uint64_t n = count * (width ? info.itemsize() / width : 0);
  if (width == 2) swap_each<std::uint16_t>(p, n);
  else if (width == 4) swap_each<std::uint32_t>(p, n);
  else if (width == 8) swap_each<std::uint64_t>(p, n);
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& path) {
  std::uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw ValueError("'" + path + "' describes an array too large to convert");
  return r;
}

/// Moves `n` bytes from offset `from` of `in` to offset `to` of a target through
/// put(data, nbytes, target_offset), in chunks of at most `chunk` bytes staged
/// at their target's place in a page (direct writes). The next chunk is read on
/// an I/O thread while the current one is written; pages read are dropped.
template <class Put>
void pump(const FileRegion& in, std::uint64_t from, std::uint64_t n, std::uint64_t to, std::size_t chunk,
          ByteProgress& progress, Put&& put) {
  if (n == 0) return;
  chunk = std::max(chunk / kPage * kPage, kPage);
  const std::size_t first = std::size_t(std::min<std::uint64_t>(chunk, n));
  Staging bufs[2] = {Staging(first), Staging(n > chunk ? chunk : 1)};
  auto read = [&in, &bufs, from, n, to, chunk](std::uint64_t pos, int which) {
    const std::size_t len = std::size_t(std::min<std::uint64_t>(chunk, n - pos));
    in.read(from + pos, len, bufs[which].placed(to + pos));
    const std::uint64_t page = (from + pos) / kPage * kPage;  // with the page the last chunk shared
    in.drop(page, std::size_t(from + pos + len - page));
  };
  IoThread io;  // declared after what its jobs touch: its destructor waits for a running read
  std::future<void> next = io.submit([&read] { read(0, 0); });
  for (std::uint64_t pos = 0, k = 0; pos < n; pos += chunk, ++k) {
    next.get();
    if (pos + chunk < n) next = io.submit([&read, at = pos + chunk, w = int((k + 1) % 2)] { read(at, w); });
    const std::size_t len = std::size_t(std::min<std::uint64_t>(chunk, n - pos));
    put(bufs[k % 2].placed(to + pos), len, to + pos);
    progress.advance(len);
  }
}

/// One read-convert-write pass over a .npy file's row-major data (C order, or a
/// single row or column): pieces of whole rows, or of one row when a row is
/// longer than a chunk, byte-swapped if needed and written through the writer.
void npy_rows_to_file(const FileRegion& in, const NpyLayout& npy, FileWriter& w, std::size_t chunk,
                      ByteProgress& progress) {
  if (npy.rows == 0 || npy.cols == 0) return;
  const DType el = npy_element_dtype(npy.dtype);
  const std::uint64_t item = dtype_info(el).itemsize();
  const std::uint64_t rows = npy.ndim == 1 ? 1 : npy.rows, cols = npy.cols;
  const auto [step_r, step_c] = chunk_steps(cols, item, chunk);
  Staging buf(std::size_t(std::min(step_r, rows) * std::min(step_c, cols) * item));
  for (std::uint64_t r0 = 0; r0 < rows; r0 += step_r) {
    const std::uint64_t nr = std::min(step_r, rows - r0);
    for (std::uint64_t c0 = 0; c0 < cols; c0 += step_c) {
      const std::uint64_t nc = std::min(step_c, cols - c0);
      const std::uint64_t at = npy.data_offset + (r0 * cols + c0) * item, len = nr * nc * item;
      in.read(at, std::size_t(len), buf.base());
      in.drop(at / kPage * kPage, std::size_t(at + len - at / kPage * kPage));
      if (npy.byteswap) to_native(buf.base(), nr * nc, el);
      StridedRef src{buf.base(), el, std::int64_t(nr), std::int64_t(nc), std::int64_t(nc * item),
                     std::int64_t(item), 0};
      w.write_block(src, r0, c0);
      progress.advance(len);
    }
  }
}

/// C-order bools to bits: the block API reads .npy rows packed into bit rows
/// padded to whole words, which is the payload's layout, so they are staged
/// at their place in a page and written as they are.
void npy_bools_to_file(const std::shared_ptr<FileRegion>& in, const NpyLayout& npy, FileWriter& w,
                       std::size_t chunk, ByteProgress& progress) {
  using index_t = BlockStore::index_t;
  const std::uint64_t rows = npy.rows, cols = npy.cols, stride = w.header().row_stride;
  if (rows == 0 || cols == 0) return;
  const BlockStore store(in, npy.data_offset, DType::uint8, index_t(rows), index_t(cols));
  const auto [step_r, step_c] = chunk_steps(cols, 1, chunk);
  Staging buf(std::size_t(step_c == cols ? std::min(step_r, rows) * stride
                                         : BlockStore::tile_row_bytes(DType::bit, index_t(step_c))));
  for (std::uint64_t r0 = 0; r0 < rows; r0 += step_r) {
    const std::uint64_t nr = std::min(step_r, rows - r0);
    for (std::uint64_t c0 = 0; c0 < cols; c0 += step_c) {
      const std::uint64_t nc = std::min(step_c, cols - c0);
      const std::uint64_t pos = r0 * stride + c0 / 8;
      const std::uint64_t len = step_c == cols ? nr * stride : BlockStore::tile_row_bytes(DType::bit, index_t(nc));
      std::byte* stage = buf.base() + w.payload_placement(reinterpret_cast<std::uintptr_t>(buf.base()), pos);
      store.read_block(index_t(r0), index_t(r0 + nr), index_t(c0), index_t(c0 + nc), DType::bit, stage);
      w.write_payload(stage, std::size_t(len), pos);
      progress.advance(nr * nc);
    }
    store.release_rows(index_t(r0), index_t(r0 + nr));
  }
}

/// Fortran-order data: column j is contiguous. Square tiles keep the reads
/// (column segments) and the writes (row segments) long.
void npy_tiles_to_file(const FileRegion& in, const NpyLayout& npy, FileWriter& w, std::size_t chunk,
                       ByteProgress& progress) {
  if (npy.rows == 0 || npy.cols == 0) return;
  const DType el = npy_element_dtype(npy.dtype);
  const std::uint64_t item = dtype_info(el).itemsize();
  const std::uint64_t rows = npy.rows, cols = npy.cols;
  const auto side = std::uint64_t(std::sqrt(double(chunk / item)));
  const std::uint64_t t = std::max<std::uint64_t>(64, side / 64 * 64);  // bit blocks start on words
  Staging buf(std::size_t(std::min(t, rows) * std::min(t, cols) * item));
  for (std::uint64_t c0 = 0; c0 < cols; c0 += t) {
    const std::uint64_t nc = std::min(t, cols - c0);
    for (std::uint64_t r0 = 0; r0 < rows; r0 += t) {
      const std::uint64_t nr = std::min(t, rows - r0);
      // tile[j * nr + i] = A[r0 + i, c0 + j]
      for (std::uint64_t j = 0; j < nc; ++j)
        in.read(npy.data_offset + ((c0 + j) * rows + r0) * item, std::size_t(nr * item), buf.base() + j * nr * item);
      if (npy.byteswap) to_native(buf.base(), nr * nc, el);
      StridedRef src{buf.base(), el, std::int64_t(nr), std::int64_t(nc), std::int64_t(item),
                     std::int64_t(nr * item), 0};
      w.write_block(src, r0, c0);
      progress.advance(nr * nc * item);
    }
    const std::uint64_t from = npy.data_offset + c0 * rows * item;
    in.drop(from / kPage * kPage, std::size_t(from + nc * rows * item - from / kPage * kPage));
  }
}

std::uint64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw OsError(errno, os_error("cannot stat", path), path);
  return std::uint64_t(st.st_size);
}

}  // namespace

DType npy_element_dtype(DType dtype) { return dtype == DType::bit ? DType::uint8 : dtype; }

void convert_npy_to_pycauset(const std::string& src, const NpyLayout& npy, const std::string& dst,
                             std::string_view metadata, std::size_t chunk_bytes) {
  if (npy.ndim != 1 && npy.ndim != 2) throw ValueError("'" + src + "': pycauset files are 1-D or 2-D");
  if (npy.ndim == 1 && npy.rows != 1) throw ValueError("a vector is one row");
  const DType el = npy_element_dtype(npy.dtype);
  const std::uint64_t nbytes = checked_mul(checked_mul(npy.rows, npy.cols, src), dtype_info(el).itemsize(), src);
  FileRegion in(src, false);
  if (file_size(src) < npy.data_offset + nbytes)
    throw ValueError("'" + src + "' is truncated: its header promises more data than the file holds");
  FileWriter w(dst, npy.dtype, npy.ndim, npy.rows, npy.cols, chunk_bytes);
  ByteProgress progress("convert_file", nbytes);
  if (npy.dtype != DType::bit && !npy.byteswap && (!npy.fortran_order || npy.rows == 1 || npy.cols == 1)) {
    // The file's payload is the .npy data byte for byte (rows are not padded).
    const std::uint64_t payload = w.header().payload_offset;
    pump(in, npy.data_offset, nbytes, payload, chunk_bytes, progress,
         [&w, payload](const std::byte* data, std::size_t n, std::uint64_t at) {
           w.write_payload(data, n, at - payload);
         });
  } else if (npy.dtype == DType::bit && (!npy.fortran_order || npy.rows == 1 || npy.cols == 1)) {
    npy_bools_to_file(std::make_shared<FileRegion>(src, false), npy, w, chunk_bytes, progress);
  } else if (!npy.fortran_order || npy.rows == 1 || npy.cols == 1) {
    npy_rows_to_file(in, npy, w, chunk_bytes, progress);  // big-endian data
  } else {
    npy_tiles_to_file(in, npy, w, chunk_bytes, progress);
  }
  progress.finish();  // before the commit: an interrupt leaves the old target
  w.commit(metadata, {});  // dense
}

void convert_pycauset_to_npy(const std::string& src, const std::string& dst, std::string_view npy_header,
                             std::size_t chunk_bytes) {
  const format::Header h = read_file_info(src).header;
  const DType el = npy_element_dtype(h.dtype);
  const std::uint64_t item = dtype_info(el).itemsize();
  const std::uint64_t nbytes = h.rows * h.cols * item;  // validated by the header codec
  FileRegion in(src, false);
  AtomicFile out(dst);
  out.reserve(npy_header.size() + nbytes);  // a disk too small fails here, before any write
  out.write(reinterpret_cast<const std::byte*>(npy_header.data()), npy_header.size(), 0);
  ByteProgress progress("convert_file", nbytes);
  if (h.dtype != DType::bit) {
    // Byte dtypes: the payload is the .npy data byte for byte (rows are not padded).
    pump(in, h.payload_offset, nbytes, npy_header.size(), chunk_bytes, progress,
         [&out](const std::byte* data, std::size_t n, std::uint64_t at) { out.write(data, n, at); });
  } else if (nbytes > 0) {
    // Bits: payload rows read and unpacked to bools through the block API.
    auto region = std::make_shared<FileRegion>(src, false);
    const BlockStore rows(region, h.payload_offset, DType::bit, BlockStore::index_t(h.rows),
                          BlockStore::index_t(h.cols), h.row_stride);
    write_npy_elements(out, npy_header.size(), rows, chunk_bytes, &progress);
  }
  progress.finish();  // before the commit: an interrupt leaves the old target
  out.commit();
}

void save_npy(const Array& a, const std::string& dst, std::string_view npy_header, std::size_t chunk_bytes) {
  const DType el = npy_element_dtype(a.dtype());
  const auto rows = std::uint64_t(a.rows()), cols = std::uint64_t(a.cols());
  const std::uint64_t nbytes = rows * cols * dtype_info(el).itemsize();
  AtomicFile out(dst);
  out.reserve(npy_header.size() + nbytes);
  out.write(reinterpret_cast<const std::byte*>(npy_header.data()), npy_header.size(), 0);
  ByteProgress progress("save", nbytes);
  write_npy_elements(out, npy_header.size(), BlockStore(a), chunk_bytes, &progress);
  progress.finish();  // before the commit: an interrupt leaves the old target
  out.commit();
}

}  // namespace pycauset
