#include "pycauset/array/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "pycauset/storage/buffer.hpp"

namespace pycauset {
namespace {

constexpr std::size_t kStagingBytes = 32u << 20;  // bound on the RAM a conversion stages at once

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

}  // namespace

FileWriter::FileWriter(std::string path, DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols)
    : file_(std::move(path)), header_(format::layout(dtype, ndim, rows, cols, 0)) {
  if (ndim != 1 && ndim != 2) throw ValueError("arrays have 1 or 2 dimensions");
  if (ndim == 1 && rows != 1) throw ValueError("a vector file has one row");
  // The payload's blocks are allocated before anything is written: a disk too
  // small for the file raises OsError(ENOSPC) here, not after a long write.
  file_.reserve(header_.metadata_offset);
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
  if (seg_padded > kStagingBytes) {
    // Rows longer than the staging buffer (long vectors): split the columns.
    const std::uint64_t per_col_bits = dtype_info(h.dtype).bits;
    const std::int64_t step = std::int64_t(kStagingBytes * 8 / per_col_bits / 64 * 64);
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
      std::max<std::int64_t>(1, std::int64_t(kStagingBytes / std::max<std::uint64_t>(seg_padded, 1)));
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

void FileWriter::write_array(const Array& a) {
  if (std::uint64_t(a.rows()) != header_.rows || std::uint64_t(a.cols()) != header_.cols)
    throw ValueError("array shape does not match the file");
  // A contiguous array of the file's dtype already is the payload: write it as it lies.
  if (a.is_contiguous() && a.dtype() == header_.dtype) {
    file_.write(a.data(), std::size_t(header_.payload_length), header_.payload_offset);
    return;
  }
  write_block(a.ref(), 0, 0);
}

void FileWriter::commit(std::string_view metadata, Structure structure) {
  if (metadata.size() > format::kMaxMetadata) throw ValueError("metadata is too large");
  header_.metadata_length = metadata.size();
  header_.metadata_crc = format::crc32(std::as_bytes(std::span(metadata.data(), metadata.size())));
  header_.structure = structure;
  file_.write(reinterpret_cast<const std::byte*>(metadata.data()), metadata.size(), header_.metadata_offset);
  auto head = format::encode(header_);
  file_.write(head.data(), head.size(), 0);
  // Exact length: the slack after the payload is a hole that reads as zeros.
  file_.resize(header_.metadata_offset + header_.metadata_length);
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
bool save_by_linking(const Array& a, const std::string& path, std::string_view metadata, Structure structure) {
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

  const int fd = ::open(spill->path().c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
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
  auto head = format::encode(h);
  put(head.data(), head.size(), 0);
  if (::ftruncate(fd, off_t(h.metadata_offset + h.metadata_length)) != 0)
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

void save_array(const Array& a, const std::string& path, std::string_view metadata) {
  if (path.empty()) throw ValueError("empty file name");
  const Structure structure = a.structure();
  if (save_by_linking(a, path, metadata, structure)) return;
  FileWriter w(path, a.dtype(), a.ndim(), std::uint64_t(a.rows()), std::uint64_t(a.cols()));
  w.write_array(a);
  w.commit(metadata, structure);
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
