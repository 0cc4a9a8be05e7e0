// MappedFileBuffer: file regions mapped read-only, read-write and
// copy-on-write, the switch of a read-write mapping to copy-on-write in place,
// spill files, and errors that name the file. Every check reads the file back
// with plain pread, independently of the mapping.
#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pycauset/core/error.hpp"
#include "pycauset/storage/mapped_file.hpp"

using namespace pycauset;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kSlack = 8;  // readable bytes a mapping needs past its region

using test_support::TempDir;

unsigned char pattern(std::size_t i) { return static_cast<unsigned char>((i * 131 + (i >> 9)) & 0xff); }

// A file of n bytes holding pattern(i) at byte i.
std::string make_file(const fs::path& path, std::size_t n) {
  std::vector<unsigned char> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = pattern(i);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(n));
  return path.string();
}

unsigned char file_byte(const std::string& path, std::uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  unsigned char c = 0;
  EXPECT_EQ(::pread(fd, &c, 1, off_t(offset)), 1);
  ::close(fd);
  return c;
}

unsigned char at(const std::shared_ptr<MappedFileBuffer>& b, std::size_t i) {
  return std::to_integer<unsigned char>(b->data()[i]);
}

bool strict_overcommit() {
  std::ifstream f("/proc/sys/vm/overcommit_memory");
  int mode = 0;
  return (f >> mode) && mode == 2;
}

}  // namespace

TEST(MappedFile, ReadOnlyRegionsAtAnyOffsetShowTheFile) {
  TempDir dir;
  const std::size_t n = 3 * 4096 + 100;
  const std::string path = make_file(dir.path / "r.bin", n);
  for (std::uint64_t offset : {std::uint64_t(0), std::uint64_t(100), std::uint64_t(4096), std::uint64_t(4096 + 17)}) {
    const std::size_t size = n - std::size_t(offset) - kSlack;
    auto b = MappedFileBuffer::open(path, offset, size, MapMode::read_only);
    EXPECT_EQ(b->size(), size);
    EXPECT_EQ(b->file_offset(), offset);
    EXPECT_EQ(b->path(), path);
    EXPECT_EQ(b->kind(), StorageKind::file);
    EXPECT_EQ(b->mode(), MapMode::read_only);
    EXPECT_FALSE(b->writable());
    for (std::size_t i = 0; i < size + kSlack; ++i) ASSERT_EQ(at(b, i), pattern(offset + i)) << offset << " " << i;
  }
  auto spilled = MappedFileBuffer::open(path, 0, 16, MapMode::read_only, StorageKind::spill);
  EXPECT_EQ(spilled->kind(), StorageKind::spill);
}

TEST(MappedFile, ReadWriteWritesReachTheFile) {
  TempDir dir;
  const std::string path = make_file(dir.path / "w.bin", 9000);
  {
    auto b = MappedFileBuffer::open(path, 4096 + 5, 1000, MapMode::read_write);
    EXPECT_TRUE(b->writable());
    b->data()[0] = std::byte{0x11};
    b->data()[999] = std::byte{0x22};
    EXPECT_EQ(file_byte(path, 4096 + 5), 0x11);  // shared mapping: visible to read at once
  }
  EXPECT_EQ(file_byte(path, 4096 + 5), 0x11);
  EXPECT_EQ(file_byte(path, 4096 + 5 + 999), 0x22);
  EXPECT_EQ(file_byte(path, 4096 + 4), pattern(4096 + 4));  // neighbours untouched
  EXPECT_EQ(file_byte(path, 4096 + 5 + 1000), pattern(4096 + 5 + 1000));
}

TEST(MappedFile, CopyOnWriteWritesStayPrivateToTheirMapping) {
  TempDir dir;
  const std::string path = make_file(dir.path / "c.bin", 5000);
  auto c1 = MappedFileBuffer::open(path, 10, 4000, MapMode::copy_on_write);
  auto c2 = MappedFileBuffer::open(path, 10, 4000, MapMode::copy_on_write);
  auto r = MappedFileBuffer::open(path, 10, 4000, MapMode::read_only);
  auto w = MappedFileBuffer::open(path, 10, 4000, MapMode::read_write);
  EXPECT_TRUE(c1->writable());
  EXPECT_EQ(c1->mode(), MapMode::copy_on_write);
  c1->data()[3] = std::byte{0xEE};
  EXPECT_EQ(at(c1, 3), 0xEE);
  EXPECT_EQ(at(c2, 3), pattern(13));  // another private mapping does not see it
  EXPECT_EQ(at(r, 3), pattern(13));
  EXPECT_EQ(file_byte(path, 13), pattern(13));  // nor does the file
  // A page c1 has not written still follows the file (private copies are per page).
  w->data()[3000] = std::byte{0x5A};
  EXPECT_EQ(at(r, 3000), 0x5A);
  EXPECT_EQ(at(c2, 3000), 0x5A);
  // Once c2 writes a page it keeps its own copy of it.
  c2->data()[3001] = std::byte{0x01};
  w->data()[3002] = std::byte{0x02};
  EXPECT_EQ(at(c2, 3002), pattern(3012));
  EXPECT_EQ(file_byte(path, 3012), 0x02);
  c1.reset();
  c2.reset();
  EXPECT_EQ(file_byte(path, 13), pattern(13));
  EXPECT_EQ(file_byte(path, 3011), pattern(3011));
}

TEST(MappedFile, MakeCopyOnWriteKeepsAddressAndContentsAndStopsWritesReachingTheFile) {
  if (strict_overcommit()) GTEST_SKIP() << "vm.overcommit_memory = 2 refuses the private remap by design";
  TempDir dir;
  const std::size_t n = 5 * 4096;
  const std::string path = make_file(dir.path / "m.bin", 64 + n + kSlack);
  auto b = MappedFileBuffer::open(path, 64, n, MapMode::read_write);
  std::byte* const before = b->data();
  b->data()[0] = std::byte{0x77};  // reaches the file
  b->make_copy_on_write();
  EXPECT_EQ(b->mode(), MapMode::copy_on_write);
  EXPECT_EQ(b->data(), before);  // pointers into the buffer stay valid
  EXPECT_EQ(b->file_offset(), 64u);
  EXPECT_TRUE(b->writable());
  EXPECT_EQ(at(b, 0), 0x77);
  for (std::size_t i = 1; i < n; i += 97) ASSERT_EQ(at(b, i), pattern(64 + i)) << i;
  b->data()[1] = std::byte{0x88};
  b->data()[n - 1] = std::byte{0x99};
  EXPECT_EQ(at(b, 1), 0x88);
  EXPECT_EQ(file_byte(path, 64), 0x77);
  EXPECT_EQ(file_byte(path, 65), pattern(65));
  EXPECT_EQ(file_byte(path, 64 + n - 1), pattern(64 + n - 1));
  b->make_copy_on_write();  // already private: nothing changes
  EXPECT_EQ(at(b, 1), 0x88);

  auto r = MappedFileBuffer::open(path, 0, 100, MapMode::read_only);
  r->make_copy_on_write();  // only read-write mappings switch
  EXPECT_EQ(r->mode(), MapMode::read_only);
  EXPECT_FALSE(r->writable());
}

TEST(MappedFile, FromFdOutlivesTheDescriptor) {
  TempDir dir;
  const std::string path = make_file(dir.path / "fd.bin", 4200);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto b = MappedFileBuffer::from_fd(fd, path, 100, 4000, MapMode::read_write);
  ASSERT_EQ(::close(fd), 0);  // the caller closes it; the mapping stays
  EXPECT_EQ(at(b, 0), pattern(100));
  b->data()[1] = std::byte{0x44};
  EXPECT_EQ(file_byte(path, 101), 0x44);
  EXPECT_EQ(b->path(), path);
}

TEST(MappedFile, ErrorsNameTheFile) {
  TempDir dir;
  const std::string missing = (dir.path / "missing.bin").string();
  for (MapMode mode : {MapMode::read_only, MapMode::read_write, MapMode::copy_on_write}) {
    try {
      MappedFileBuffer::open(missing, 0, 1, mode);
      FAIL() << "opened a missing file";
    } catch (const OsError& e) {
      EXPECT_EQ(e.code, ENOENT);
      EXPECT_EQ(e.filename, missing);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
  }
  // The region and its slack must lie inside the file, to the byte.
  const std::string path = make_file(dir.path / "short.bin", 1000);
  EXPECT_NO_THROW(MappedFileBuffer::open(path, 100, 1000 - 100 - kSlack, MapMode::read_only));
  try {
    MappedFileBuffer::open(path, 100, 1000 - 100 - kSlack + 1, MapMode::read_only);
    FAIL() << "mapped past the end";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(MappedFileBuffer::open(path, 1000, 0, MapMode::read_only), ValueError);
  // A directory cannot be opened for writing.
  try {
    MappedFileBuffer::open(dir.path.string(), 0, 1, MapMode::read_write);
    FAIL() << "mapped a directory";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, EISDIR);
    EXPECT_EQ(e.filename, dir.path.string());
  }
  EXPECT_EQ(fs::file_size(path), 1000u);  // failed opens change nothing
}

TEST(MappedFile, SpillFilesAreZeroedReservedAndRemoved) {
  TempDir dir;
  const std::string path = (dir.path / "spill-x.bin").string();
  const std::size_t size = 100000;
  {
    auto s = MappedFileBuffer::create_spill(path, size);
    EXPECT_EQ(s->kind(), StorageKind::spill);
    EXPECT_EQ(s->mode(), MapMode::read_write);
    EXPECT_EQ(s->file_offset(), MappedFileBuffer::kSpillDataOffset);
    EXPECT_EQ(fs::file_size(path), MappedFileBuffer::kSpillDataOffset + size + kSlack);
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_GE(std::uint64_t(st.st_blocks) * 512, MappedFileBuffer::kSpillDataOffset + size);  // allocated
    for (std::size_t i = 0; i < size + kSlack; i += 1009) ASSERT_EQ(at(s, i), 0) << i;
    s->data()[size - 1] = std::byte{0x3C};
    EXPECT_EQ(file_byte(path, MappedFileBuffer::kSpillDataOffset + size - 1), 0x3C);
    // The name is taken: a second spill file there is refused, naming it.
    try {
      MappedFileBuffer::create_spill(path, 10);
      FAIL() << "created over an existing spill file";
    } catch (const MemoryError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    EXPECT_EQ(at(s, size - 1), 0x3C);  // the existing one is untouched
  }
  EXPECT_FALSE(fs::exists(path));
  const std::string nowhere = (dir.path / "no" / "spill.bin").string();
  try {
    MappedFileBuffer::create_spill(nowhere, 10);
    FAIL() << "created a spill file in a missing directory";
  } catch (const MemoryError& e) {
    EXPECT_NE(std::string(e.what()).find(nowhere), std::string::npos) << e.what();
  }
}
