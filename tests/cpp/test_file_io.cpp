#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "pycauset/array/file_io.hpp"
#include "pycauset/storage/atomic_file.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"

using namespace pycauset;
namespace fs = std::filesystem;
using index_t = Array::index_t;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("pycauset-test-" + std::to_string(getpid()) + "-" +
                                        std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

Array filled(index_t rows, index_t cols, DType d) {
  std::array<index_t, 2> s{rows, cols};
  Array a = Array::empty(s, d, true);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_int((i * 7 + j * 3) % 5));
  return a;
}

bool supports_direct_io(const fs::path& dir) {
  auto probe = (dir / "probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  if (fd >= 0) ::close(fd);
  fs::remove(probe);
  return fd >= 0;
}

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(AtomicFile, LargeWritesGoDirectWhereMemoryAndOffsetShareAPagePlace) {
  TempDir dir;
  const std::size_t n = (std::size_t(6) << 20) + 123;  // odd length: a buffered tail
  auto buf = RamBuffer::allocate(n + 8192, false);
  auto* bytes = reinterpret_cast<unsigned char*>(buf->data());
  for (std::size_t i = 0; i < n + 8192; ++i) bytes[i] = static_cast<unsigned char>(i * 131 + (i >> 12));
  auto path = (dir.path / "direct.bin").string();
  std::uint64_t direct = 0;
  {
    AtomicFile f(path);
    f.write(buf->data(), 100, 0);               // small: through the page cache
    f.write(buf->data() + 100, n, 100);          // same place in a page: head, direct body, tail
    f.write(buf->data() + 5, n, 100 + n);        // different place: all through the cache
    direct = f.direct_bytes();
    f.commit();
  }
  auto got = read_all(path);
  ASSERT_EQ(got.size(), 100 + 2 * n);
  EXPECT_EQ(std::memcmp(got.data(), bytes, 100 + n), 0);
  EXPECT_EQ(std::memcmp(got.data() + 100 + n, bytes + 5, n), 0);
  if (supports_direct_io(dir.path)) {
    // Everything of the second write but its unaligned head and tail.
    EXPECT_EQ(direct, (n - (4096 - 100)) / 4096 * 4096);
  } else {
    EXPECT_EQ(direct, 0u);
  }
}

TEST(FileIO, SaveOfUnalignedRowsIsExact) {
  // 1023 float64 columns: chunk boundaries fall inside pages, so the writer
  // stages each chunk at its file position's place in a page.
  TempDir dir;
  const index_t rows = 5000, cols = 1023;
  std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, DType::float32, true);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; j += 97) a.set(i, j, Scalar::of_int(i * 3 + j));
  auto path = (dir.path / "u.pycauset").string();
  FileWriter w(path, DType::float64, 2, std::uint64_t(rows), std::uint64_t(cols));
  w.write_block(a.ref(), 0, 0);
  w.commit("{}");
  LoadedFile f = load_file(path, MapMode::read_only);
  for (index_t i = 0; i < rows; i += 7)
    for (index_t j = 0; j < cols; j += 97) ASSERT_EQ(f.array.get(i, j).c.real(), double(i * 3 + j));
}

TEST(FileIO, SaveLoadRoundTripAllModes) {
  TempDir dir;
  for (DType d : {DType::float64, DType::bit, DType::int8, DType::complex64}) {
    Array a = filled(5, 70, d);
    auto path = (dir.path / "a.pycauset").string();
    save_array(a, path, R"({"properties":{}})");
    for (MapMode mode : {MapMode::read_only, MapMode::read_write, MapMode::copy_on_write}) {
      LoadedFile f = load_file(path, mode);
      EXPECT_EQ(f.array.structure(), Structure::dense);
      EXPECT_EQ(f.metadata, R"({"properties":{}})");
      EXPECT_EQ(f.array.buffer()->kind(), StorageKind::file);
      for (index_t i = 0; i < 5; ++i)
        for (index_t j = 0; j < 70; ++j)
          ASSERT_EQ(f.array.get(i, j).nonzero(), a.get(i, j).nonzero()) << dtype_name(d);
      EXPECT_EQ(f.array.writable(), mode != MapMode::read_only);
    }
  }
}

TEST(FileIO, ReadOnlyRejectsWritesAndCopyOnWriteKeepsFile) {
  TempDir dir;
  auto path = (dir.path / "b.pycauset").string();
  save_array(filled(3, 3, DType::int32), path, "{}");
  EXPECT_THROW(load_file(path, MapMode::read_only).array.set(0, 0, Scalar::of_int(9)), ValueError);
  {
    LoadedFile c = load_file(path, MapMode::copy_on_write);
    c.array.set(0, 0, Scalar::of_int(9));
    EXPECT_EQ(c.array.get(0, 0).i, 9);
  }
  EXPECT_EQ(load_file(path, MapMode::read_only).array.get(0, 0).i, 0);
  {
    LoadedFile w = load_file(path, MapMode::read_write);
    w.array.set(0, 0, Scalar::of_int(9));
  }
  EXPECT_EQ(load_file(path, MapMode::read_only).array.get(0, 0).i, 9);
}

TEST(FileIO, FailedWriteLeavesTargetAndNoTemporary) {
  TempDir dir;
  auto path = (dir.path / "c.pycauset").string();
  Array original = filled(2, 2, DType::float64);
  save_array(original, path, "{}");
  {
    FileWriter w(path, DType::float64, 2, 2, 2);  // abandoned without commit
  }
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir.path)) ++entries, (void)e;
  EXPECT_EQ(entries, 1);
  EXPECT_EQ(load_file(path, MapMode::read_only).array.get(1, 1).c.real(), original.get(1, 1).c.real());
}

TEST(FileIO, TruncatedFileIsAFormatError) {
  TempDir dir;
  auto path = (dir.path / "d.pycauset").string();
  save_array(filled(4, 4, DType::float64), path, "{}");
  fs::resize_file(path, 4096 + 64);
  EXPECT_THROW(load_file(path, MapMode::read_only), FormatError);
}

TEST(Governor, SpillsPastTheBudgetAndCleansUp) {
  TempDir dir;
  std::size_t saved = memory_limit();
  set_backing_dir(dir.path.string());
  set_memory_limit(1 << 20);
  {
    std::array<index_t, 2> big{1024, 1024};  // 8 MiB > 1 MiB budget
    Array a = Array::empty(big, DType::float64, true);
    EXPECT_EQ(a.buffer()->kind(), StorageKind::spill);
    EXPECT_TRUE(fs::exists(a.buffer()->path()));
    EXPECT_EQ(a.get(1023, 1023).c.real(), 0.0);
    EXPECT_EQ(memory_info().spill_files, 1u);
    std::string p = a.buffer()->path();
    a = Array::empty(std::array<index_t, 1>{4}, DType::int8);
    EXPECT_FALSE(fs::exists(p));  // removed when its buffer died
  }
  std::string spill_dir = memory_info().spill_dir;
  EXPECT_TRUE(fs::exists(spill_dir));
  remove_spill_dir();
  EXPECT_FALSE(fs::exists(spill_dir));
  set_memory_limit(saved);
}

TEST(Governor, StaleDirectoriesOfDeadOwnersOnly) {
  TempDir dir;
  // An unlocked pycauset directory (its owner is gone) is removed; a foreign
  // directory without our lock file and a foreign file are left alone.
  fs::create_directories(dir.path / "pycauset-1-dead");
  std::ofstream(dir.path / "pycauset-1-dead" / "lock").put('x');
  std::ofstream(dir.path / "pycauset-1-dead" / "spill-1.bin").put('x');
  fs::create_directories(dir.path / "pycauset-foreign");
  std::ofstream(dir.path / "notes.txt").put('x');
  EXPECT_EQ(remove_stale_spill_dirs(dir.path.string()), 1);
  EXPECT_FALSE(fs::exists(dir.path / "pycauset-1-dead"));
  EXPECT_TRUE(fs::exists(dir.path / "pycauset-foreign"));
  EXPECT_TRUE(fs::exists(dir.path / "notes.txt"));
}
