// Sections of a .pycauset file (save_array with extra arrays after the
// metadata): the layout rule, the bytes in place (read back here with plain
// reads and an independent computation of the offsets), checks before any
// write, and failures (a full tmpfs this test mounts, a file-size limit) that
// leave the old file and no temporary. Also the spilled-object link path.
#include <gtest/gtest.h>

#include "temp_dir.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pycauset/array/file_io.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/storage/buffer.hpp"
#include "pycauset/storage/governor.hpp"

using namespace pycauset;
namespace fs = std::filesystem;
using index_t = Array::index_t;
using test_support::TempDir;
using test_support::Tmpfs;

namespace {

constexpr std::size_t MiB = 1 << 20;


std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

// Little-endian fields of the header (docs/format.md), read independently of the codec.
std::uint64_t field(const std::string& data, std::size_t at) {
  std::uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | std::uint8_t(data[at + std::size_t(k)]);
  return v;
}
std::uint64_t metadata_end_of(const std::string& data) { return field(data, 64) + field(data, 72); }

std::uint64_t round_up_4096(std::uint64_t x) { return (x + 4095) / 4096 * 4096; }

Array matrix(index_t rows, index_t cols, DType d, double scale) {
  Array a = Array::empty(std::array<index_t, 2>{rows, cols}, d, true);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, Scalar::of_float(scale * double(i * cols + j) + 0.25));
  return a;
}

Array int64_vector(index_t n) {
  Array v = Array::empty(std::array<index_t, 1>{n}, DType::int64, true);
  for (index_t i = 0; i < n; ++i) v.set(i, 0, Scalar::of_int(1000 - 3 * i));  // rank 1: j is ignored
  return v;
}

template <class T>
T at(const std::string& data, std::uint64_t offset) {
  T v;
  std::memcpy(&v, data.data() + offset, sizeof(T));
  return v;
}

}  // namespace

TEST(FileSections, OffsetsFollowTheAlignmentRule) {
  const std::vector<std::uint64_t> sizes{10, 0, 3, 4096, 1};
  EXPECT_EQ(section_offsets(5000, sizes), (std::vector<std::uint64_t>{8192, 12288, 12288, 16384, 20480}));
  EXPECT_EQ(file_length_with_sections(5000, sizes), 20481u);
  EXPECT_EQ(section_offsets(8192, std::vector<std::uint64_t>{7}), std::vector<std::uint64_t>{8192});
  EXPECT_EQ(file_length_with_sections(5000, {}), 5000u);
  EXPECT_TRUE(section_offsets(5000, {}).empty());
  const std::vector<std::uint64_t> huge{std::uint64_t(1) << 63, std::uint64_t(1) << 63};
  EXPECT_THROW(section_offsets(5000, huge), ValueError);
}

TEST(FileSections, SavedAfterTheMetadataEachOnAPageInCOrder) {
  TempDir dir;
  const fs::path path = dir.path / "s.pycauset";
  Array payload = matrix(3, 5, DType::float64, 1.0);
  Array labels = int64_vector(7);
  Array wide = matrix(3, 4, DType::float64, -0.5);
  Array coords = wide.transpose();  // a strided view: written in its own (4 x 3) C order
  const std::string meta = R"({"note": "sections"})";
  std::vector<Array> sections{coords, labels};
  save_array(payload, path.string(), meta, sections);

  const std::string data = read_all(path);
  const std::uint64_t first = round_up_4096(metadata_end_of(data));
  const std::uint64_t second = round_up_4096(first + 4 * 3 * 8);
  ASSERT_EQ(data.size(), second + 7 * 8);  // the file ends with its last section
  for (std::uint64_t k = metadata_end_of(data); k < first; ++k) EXPECT_EQ(data[k], '\0');  // gaps read as zeros
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(at<double>(data, first + std::uint64_t(i * 3 + j) * 8), -0.5 * double(j * 4 + i) + 0.25);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(at<std::int64_t>(data, second + std::uint64_t(i) * 8), 1000 - 3 * i);

  // Readers of the array see the payload and the metadata as ever.
  LoadedFile f = load_file(path.string(), MapMode::read_only);
  EXPECT_EQ(f.metadata, meta);
  EXPECT_EQ(f.array.get(2, 4).c.real(), 14.25);
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"s.pycauset"});
}

TEST(FileSections, EmptySectionsTakeNoSpace) {
  TempDir dir;
  const fs::path path = dir.path / "e.pycauset";
  std::vector<Array> sections{Array::empty(std::array<index_t, 2>{0, 3}, DType::float64, true), int64_vector(2)};
  save_array(matrix(1, 1, DType::float64, 1.0), path.string(), "{}", sections);
  const std::string data = read_all(path);
  const std::uint64_t first = round_up_4096(metadata_end_of(data));
  ASSERT_EQ(data.size(), first + 16);
  EXPECT_EQ(at<std::int64_t>(data, first + 8), 997);
}

TEST(FileSections, BadSectionsAreRefusedBeforeAnyWrite) {
  TempDir dir;
  const fs::path path = dir.path / "b.pycauset";
  save_array(matrix(2, 2, DType::float64, 1.0), path.string(), "{}");
  const std::string before = read_all(path);
  std::vector<Array> bits{Array::empty(std::array<index_t, 2>{2, 64}, DType::bit, true)};
  EXPECT_THROW(save_array(matrix(3, 3, DType::float64, 2.0), path.string(), "{}", bits), ValueError);
  EXPECT_EQ(read_all(path), before);
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"b.pycauset"});
}

TEST(FileSections, NoRoomForTheSectionsKeepsTheOldFile) {
  Tmpfs small(3 * MiB);
  if (!small.ok) GTEST_SKIP() << "cannot mount a tmpfs here (" << small.why << ")";
  const fs::path path = small.dir.path / "x.pycauset";
  save_array(matrix(2, 2, DType::float64, 1.0), path.string(), "{}");
  const std::string before = read_all(path);
  // A 1 MiB payload fits; with 2.5 MiB of sections the file does not. All of it is
  // reserved before the first byte is written, so nothing of the new file is left.
  Array payload = matrix(128, 1024, DType::float64, 1.0);
  std::vector<Array> sections{matrix(320, 1024, DType::float64, 3.0)};
  try {
    save_array(payload, path.string(), "{}", sections);
    FAIL() << "saved 3.5 MiB on a 3 MiB file system";
  } catch (const OsError& e) {
    EXPECT_EQ(e.code, ENOSPC);
    EXPECT_EQ(e.filename, path.string());
  }
  EXPECT_EQ(read_all(path), before);
  EXPECT_EQ(names_in(small.dir.path), std::vector<std::string>{"x.pycauset"});
}

TEST(FileSections, AFileSizeLimitPastThePayloadKeepsTheOldFileAndNoTemporary) {
  TempDir dir;
  const fs::path path = dir.path / "l.pycauset";
  save_array(matrix(2, 2, DType::float64, 1.0), path.string(), "{}");
  const std::string before = read_all(path);
  Array payload = matrix(64, 64, DType::float64, 1.0);   // payload ends near 36 KiB
  std::vector<Array> sections{matrix(64, 64, DType::float64, 2.0)};  // sections end near 72 KiB
  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 1 * MiB) GTEST_SKIP() << "file size already limited";
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = saved;
  limit.rlim_cur = 48 * 1024;  // past the payload, before the sections' end
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  int code = 0;
  try {
    save_array(payload, path.string(), "{}", sections);
  } catch (const OsError& e) {
    code = e.code;
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(code, EFBIG);
  EXPECT_EQ(read_all(path), before);
  EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"l.pycauset"});
}

TEST(FileSections, ASpilledArrayIsLinkedWithItsSections) {
  TempDir dir;
  const std::size_t saved_limit = memory_limit();
  const std::string saved_backing = backing_dir();
  set_backing_dir(dir.path.string());
  set_memory_limit(1 * MiB);
  {
    Array big = Array::empty(std::array<index_t, 2>{512, 512}, DType::float64, true);  // 2 MiB: spilled
    ASSERT_EQ(big.buffer()->kind(), StorageKind::spill);
    big.set(511, 511, Scalar::of_float(7.5));
    struct stat spill;
    ASSERT_EQ(::stat(big.buffer()->path().c_str(), &spill), 0);
    const fs::path path = dir.path / "big.pycauset";
    std::vector<Array> sections{int64_vector(5)};
    save_array(big, path.string(), "{\"k\": 1}", sections);
    struct stat saved;
    ASSERT_EQ(::stat(path.c_str(), &saved), 0);
    EXPECT_EQ(saved.st_ino, spill.st_ino);  // linked, not copied
    const std::string data = read_all(path);
    const std::uint64_t first = round_up_4096(metadata_end_of(data));
    ASSERT_EQ(data.size(), first + 40);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(at<std::int64_t>(data, first + std::uint64_t(i) * 8), 1000 - 3 * i);
    big.set(511, 511, Scalar::of_float(1.0));  // later writes stay private
    LoadedFile f = load_file(path.string(), MapMode::read_only);
    EXPECT_EQ(f.array.get(511, 511).c.real(), 7.5);
    EXPECT_EQ(f.metadata, "{\"k\": 1}");
  }
  remove_spill_dir();
  set_memory_limit(saved_limit);
  set_backing_dir(saved_backing);
}

TEST(FileSections, ASpilledArrayWhoseSectionsDoNotFitKeepsTheOldFile) {
  Tmpfs small(8 * MiB);
  if (!small.ok) GTEST_SKIP() << "cannot mount a tmpfs here (" << small.why << ")";
  const std::size_t saved_limit = memory_limit();
  const std::string saved_backing = backing_dir();
  const std::int64_t saved_reserve = disk_reserve_setting();
  // 7 MiB of sections, in RAM (made before the limit is lowered).
  std::vector<Array> sections{matrix(896, 1024, DType::float64, 1.0)};
  set_backing_dir(small.dir.str());
  set_memory_limit(1 * MiB);
  set_disk_reserve(0);
  const fs::path out = small.dir.path / "out";
  fs::create_directories(out);
  const fs::path path = out / "big.pycauset";
  save_array(matrix(2, 2, DType::float64, 1.0), path.string(), "{}");
  const std::string before = read_all(path);
  {
    Array big = Array::empty(std::array<index_t, 2>{512, 512}, DType::float64, true);  // 2 MiB: spilled
    ASSERT_EQ(big.buffer()->kind(), StorageKind::spill);
    big.set(3, 4, Scalar::of_float(2.5));
    const std::string spill = big.buffer()->path();
    const auto spill_size = fs::file_size(spill);
    // 2 MiB of spill file and 7 MiB of sections do not fit in 8 MiB: the link path
    // cannot allocate them, the copy cannot either, and nothing changes.
    try {
      save_array(big, path.string(), "{}", sections);
      FAIL() << "saved 9 MiB on an 8 MiB file system";
    } catch (const OsError& e) {
      EXPECT_EQ(e.code, ENOSPC);
      EXPECT_EQ(e.filename, path.string());
    }
    EXPECT_EQ(read_all(path), before);
    EXPECT_EQ(names_in(out), std::vector<std::string>{"big.pycauset"});
    EXPECT_EQ(fs::file_size(spill), spill_size);  // the spill file got its length back
    EXPECT_EQ(big.get(3, 4).c.real(), 2.5);
    // With sections that fit, the same array is saved (by linking).
    std::vector<Array> few{int64_vector(3)};
    save_array(big, path.string(), "{}", few);
    struct stat a, b;
    ASSERT_EQ(::stat(spill.c_str(), &a), 0);
    ASSERT_EQ(::stat(path.c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(load_file(path.string(), MapMode::read_only).array.get(3, 4).c.real(), 2.5);
  }
  remove_spill_dir();
  set_disk_reserve(saved_reserve);
  set_memory_limit(saved_limit);
  set_backing_dir(saved_backing);
}
