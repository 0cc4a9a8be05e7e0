// Block I/O (array/blocks.hpp) against a brute-force element oracle
// (Array::get / Array::set): every dtype, bit rows that are not a whole
// number of words, row and column blocks, reads and writes, in RAM, in
// loaded files (modes r, r+, c), in spill files and through views.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "pycauset/array/array.hpp"
#include "pycauset/array/blocks.hpp"
#include "pycauset/array/file_io.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/storage/governor.hpp"
#include "pycauset/storage/mapped_file.hpp"
#include "pycauset/storage/tile_io.hpp"

using namespace pycauset;
using index_t = Array::index_t;

namespace {

std::string temp_path(const std::string& name) {
  static int counter = 0;
  const char* t = std::getenv("TMPDIR");
  return std::string(t && *t ? t : "/tmp") + "/pycauset-blocks-test-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++) + "-" + name;
}

/// Removes the files it names when the test ends.
struct TempFiles {
  std::vector<std::string> paths;
  std::string make(const std::string& name) { return paths.emplace_back(temp_path(name)); }
  ~TempFiles() {
    for (const auto& p : paths) std::remove(p.c_str());
  }
};

/// A deterministic value for element (i, j) of pattern `seed`: small
/// integers (exact in every dtype), about half of them zero for bit.
Scalar value_at(DType dtype, index_t i, index_t j, int seed) {
  const index_t v = (i * 7 + j * 13 + seed * 5) % 23;
  if (dtype == DType::bit) return Scalar::of_bool((v * 3 + i) % 5 < 2);
  if (dtype_info(dtype).kind == DTypeKind::unsigned_int) return Scalar::of_uint(std::uint64_t(v));
  if (dtype_info(dtype).kind == DTypeKind::complex) return Scalar::of_complex({double(v - 11), double(seed)});
  return Scalar::of_int(v - 11);
}

Array filled(DType dtype, index_t rows, index_t cols, int seed) {
  const std::array<index_t, 2> shape{rows, cols};
  Array a = Array::empty(shape, dtype);
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) a.set(i, j, value_at(dtype, i, j, seed));
  return a;
}

/// The value of a scalar as a complex number (booleans as 0/1).
std::complex<double> as_complex(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::boolean:
    case Scalar::Kind::signed_int: return {double(s.i), 0.0};
    case Scalar::Kind::unsigned_int: return {double(s.u), 0.0};
    default: return s.c;
  }
}

/// What convert() makes of `s` in `dtype` for the small values used here.
std::complex<double> cast_value(const Scalar& s, DType dtype) {
  if (dtype == DType::bit) return {s.nonzero() ? 1.0 : 0.0, 0.0};
  std::complex<double> c = as_complex(s);
  if (dtype_info(dtype).kind != DTypeKind::complex) c = {c.real(), 0.0};
  if (dtype_info(dtype).kind == DTypeKind::unsigned_int && c.real() < 0) return {-1, -1};  // not compared
  return c;
}

/// Element (i, j) of a row-major tile of `dtype` with `pitch` bytes per row.
Scalar tile_get(const std::byte* tile, DType dtype, std::size_t pitch, index_t i, index_t j) {
  const std::byte* row = tile + std::size_t(i) * pitch;
  return visit_dtype(dtype, [&]<class T>(std::type_identity<T>) -> Scalar {
    if constexpr (std::is_same_v<T, bit_tag>) {
      std::uint64_t word;
      std::memcpy(&word, row + std::size_t(j / 64) * 8, 8);
      return Scalar::of_bool((word >> (j % 64)) & 1);
    } else {
      T v;
      std::memcpy(&v, row + std::size_t(j) * sizeof(T), sizeof(T));
      if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        return Scalar::of_complex({double(v.real()), double(v.imag())});
      else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
        return Scalar::of_int(std::int64_t(v));
      else if constexpr (std::is_integral_v<T>)
        return Scalar::of_uint(std::uint64_t(v));
      else
        return Scalar::of_float(double(v));
    }
  });
}

void tile_set(std::byte* tile, DType dtype, std::size_t pitch, index_t i, index_t j, const Scalar& s) {
  std::byte* row = tile + std::size_t(i) * pitch;
  visit_dtype(dtype, [&]<class T>(std::type_identity<T>) {
    if constexpr (std::is_same_v<T, bit_tag>) {
      std::uint64_t word;
      std::memcpy(&word, row + std::size_t(j / 64) * 8, 8);
      const std::uint64_t bit = std::uint64_t(1) << (j % 64);
      word = s.nonzero() ? (word | bit) : (word & ~bit);
      std::memcpy(row + std::size_t(j / 64) * 8, &word, 8);
    } else {
      const std::complex<double> c = as_complex(s);  // small integers: exact in every T
      T v;
      if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        v = T(typename T::value_type(c.real()), typename T::value_type(c.imag()));
      else
        v = T(c.real());
      std::memcpy(row + std::size_t(j) * sizeof(T), &v, sizeof(T));
    }
  });
}

/// True when every tile row has zero bits past column w (bit tiles).
bool tile_padding_zero(const std::byte* tile, index_t rows, index_t w, std::size_t pitch) {
  if (w % 64 == 0) return true;
  for (index_t i = 0; i < rows; ++i) {
    std::uint64_t word;
    std::memcpy(&word, tile + std::size_t(i) * pitch + std::size_t(w / 64) * 8, 8);
    if (word >> (w % 64)) return false;
  }
  return true;
}

std::vector<Scalar> snapshot(const Array& a) {
  std::vector<Scalar> s;
  for (index_t i = 0; i < a.rows(); ++i)
    for (index_t j = 0; j < a.cols(); ++j) s.push_back(a.ndim() == 2 ? a.get(i, j) : a.get(j));
  return s;
}

Scalar element(const Array& a, bool as_column, index_t i, index_t j) {
  if (a.ndim() == 1) return a.get(as_column ? i : j);
  return a.get(i, j);
}

/// Reads [r0, r1) x [c0, c1) into a tile of `dtype` and compares every element
/// with the oracle.
void expect_read(const BlockStore& store, const Array& a, bool as_column, index_t r0, index_t r1, index_t c0,
                 index_t c1, DType dtype) {
  const index_t w = c1 - c0;
  // Whole rows into a tight tile (read_rows), blocks into a wider pitch (ld).
  const bool whole = c0 == 0 && c1 == store.cols();
  const index_t ld = whole ? 0 : dtype == DType::bit ? (w + 63) / 64 * 64 : w + 3;
  const std::size_t pitch = whole ? BlockStore::tile_row_bytes(dtype, w)
                            : dtype == DType::bit ? std::size_t(ld / 8)
                                                  : std::size_t(ld) * dtype_info(dtype).itemsize();
  std::vector<std::uint64_t> buf((std::size_t(r1 - r0) * pitch + 7) / 8 + 1, ~std::uint64_t(0));
  auto* tile = reinterpret_cast<std::byte*>(buf.data());
  if (whole)
    store.read_rows(r0, r1, dtype, tile);
  else
    store.read_block(r0, r1, c0, c1, dtype, tile, ld);
  for (index_t i = r0; i < r1; ++i)
    for (index_t j = c0; j < c1; ++j) {
      const auto want = cast_value(element(a, as_column, i, j), dtype);
      if (want == std::complex<double>(-1, -1)) continue;
      ASSERT_EQ(as_complex(tile_get(tile, dtype, pitch, i - r0, j - c0)), want)
          << "element (" << i << ", " << j << ") of " << dtype_info(a.dtype()).name << " read as "
          << dtype_info(dtype).name;
    }
  if (dtype == DType::bit) {
    EXPECT_TRUE(tile_padding_zero(tile, r1 - r0, w, pitch));
  }
}

/// Writes pattern `seed` into [r0, r1) x [c0, c1) from a tile of `src_dtype`
/// (ld elements per row, dirty padding for bit) and checks every element of
/// the array: the block holds the new values, the rest is unchanged.
void expect_write(const BlockStore& store, Array& a, bool as_column, index_t r0, index_t r1, index_t c0, index_t c1,
                  DType src_dtype, int seed) {
  const std::vector<Scalar> before = snapshot(a);
  const index_t w = c1 - c0;
  // Whole rows come from a tight tile (write_rows), blocks from a wider pitch.
  const bool whole = c0 == 0 && c1 == store.cols();
  const index_t ld = whole ? padded_row_length(src_dtype, w) : src_dtype == DType::bit ? (w + 63) / 64 * 64 + 64 : w + 3;
  const std::size_t pitch = src_dtype == DType::bit ? std::size_t(ld / 8) : std::size_t(ld) * dtype_info(src_dtype).itemsize();
  std::vector<std::uint64_t> buf((std::size_t(r1 - r0) * pitch + 7) / 8 + 1, ~std::uint64_t(0));  // set padding
  auto* tile = reinterpret_cast<std::byte*>(buf.data());
  for (index_t i = r0; i < r1; ++i)
    for (index_t j = c0; j < c1; ++j) tile_set(tile, src_dtype, pitch, i - r0, j - c0, value_at(src_dtype, i, j, seed));
  if (whole && src_dtype == store.dtype()) {
    store.write_rows(r0, r1, tile);
  } else if (whole) {
    store.write_rows(r0, r1, tile, src_dtype);
  } else if (src_dtype == store.dtype()) {
    store.write_block(r0, r1, c0, c1, tile, ld);
  } else {
    store.write_block(r0, r1, c0, c1, tile, ld, src_dtype);
  }
  std::size_t k = 0;
  const DType d = a.dtype();
  for (index_t i = 0; i < store.rows(); ++i)
    for (index_t j = 0; j < store.cols(); ++j, ++k) {
      const bool inside = i >= r0 && i < r1 && j >= c0 && j < c1;
      const auto want = inside ? cast_value(value_at(src_dtype, i, j, seed), d) : as_complex(before[k]);
      if (want == std::complex<double>(-1, -1)) continue;
      ASSERT_EQ(as_complex(element(a, as_column, i, j)), want)
          << "element (" << i << ", " << j << ") of " << dtype_info(d).name << (inside ? " written" : " kept");
    }
}

/// Bits past the last column of every row of a contiguous bit matrix are zero.
void expect_bit_padding_zero(const Array& a) {
  ASSERT_TRUE(a.is_contiguous());
  const index_t words = (a.cols() + 63) / 64;
  if (a.cols() % 64 == 0) return;
  for (index_t i = 0; i < a.rows(); ++i) {
    std::uint64_t word;
    std::memcpy(&word, a.data() + std::size_t((i + 1) * words - 1) * 8, 8);
    EXPECT_EQ(word >> (a.cols() % 64), 0u) << "row " << i;
  }
}

/// Blocks every test runs: whole rows, a row block, column blocks that start
/// on a word and end inside one, end at the last column, or span whole words.
struct Block {
  index_t r0, r1, c0, c1;
};
std::vector<Block> blocks_of(index_t rows, index_t cols, bool bit) {
  std::vector<Block> all = {{0, rows, 0, cols}, {3, rows - 4, 0, cols}};
  if (cols >= 130) {
    all.push_back({2, rows - 1, 64, cols});   // to the last column (a partial word)
    all.push_back({1, rows, 0, 100});         // ends inside a word, columns after it kept
    all.push_back({5, 9, 64, 128});           // whole words
    if (!bit) all.push_back({4, rows - 2, 3, 101});
  }
  std::vector<Block> b;
  for (const Block& x : all)
    if (x.r0 >= 0 && x.r0 < x.r1 && x.r1 <= rows) b.push_back(x);
  return b;
}

constexpr index_t kRows = 21, kCols = 131;

std::vector<DType> every_dtype() {
  std::vector<DType> d;
  for (const auto& info : all_dtypes()) d.push_back(info.id);
  return d;
}

/// Checks reads (own dtype, float64, bit) and writes (own dtype and converting)
/// of `a` through a BlockStore for every block; `fresh` rebuilds a after writes.
void check_array(Array a, bool as_column = false) {
  const DType d = a.dtype();
  BlockStore store(a, as_column);
  const bool bit = d == DType::bit;
  int seed = 1;
  for (const Block& b : blocks_of(store.rows(), store.cols(), bit)) {
    SCOPED_TRACE("block [" + std::to_string(b.r0) + ", " + std::to_string(b.r1) + ") x [" + std::to_string(b.c0) +
                 ", " + std::to_string(b.c1) + ")");
    expect_read(store, a, as_column, b.r0, b.r1, b.c0, b.c1, d);
    expect_read(store, a, as_column, b.r0, b.r1, b.c0, b.c1, DType::float64);
    if (!bit || b.c0 % 64 == 0) expect_read(store, a, as_column, b.r0, b.r1, b.c0, b.c1, DType::bit);
    if (!a.writable()) continue;
    expect_write(store, a, as_column, b.r0, b.r1, b.c0, b.c1, d, ++seed);
    expect_write(store, a, as_column, b.r0, b.r1, b.c0, b.c1, bit ? DType::int16 : DType::bit, ++seed);
  }
}

class Blocks : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = memory_limit(); }
  void TearDown() override { set_memory_limit(saved_); }
  std::size_t saved_ = 0;
  TempFiles files_;
};

}  // namespace

TEST_F(Blocks, RamEveryDtype) {
  for (DType d : every_dtype()) {
    SCOPED_TRACE(std::string(dtype_info(d).name));
    check_array(filled(d, kRows, kCols, 0));
  }
}

TEST_F(Blocks, LoadedFileReadWriteEveryDtype) {
  for (DType d : every_dtype()) {
    SCOPED_TRACE(std::string(dtype_info(d).name));
    const std::string path = files_.make("rw.pycauset");
    save_array(filled(d, kRows, kCols, 0), path, "");
    Array a = load_file(path, MapMode::read_write).array;
    BlockStore store(a);
    EXPECT_TRUE(store.in_file());
    check_array(a);
    if (d == DType::bit) expect_bit_padding_zero(a);
    // The writes reached the file: a second load sees them.
    const Array again = load_file(path, MapMode::read_only).array;
    EXPECT_EQ(snapshot(again).size(), snapshot(a).size());
    for (index_t i = 0; i < kRows; ++i) {
      for (index_t j = 0; j < kCols; ++j) {
        ASSERT_EQ(as_complex(again.get(i, j)), as_complex(a.get(i, j)));
      }
    }
  }
}

TEST_F(Blocks, ReadOnlyFileReadsAndRefusesWrites) {
  for (DType d : {DType::bit, DType::float64, DType::int8}) {
    const std::string path = files_.make("r.pycauset");
    save_array(filled(d, kRows, kCols, 0), path, "");
    const Array a = load_file(path, MapMode::read_only).array;
    check_array(a);  // reads only: the array is not writable
    BlockStore store(a);
    std::vector<std::uint64_t> tile(kRows * kCols * 2);
    EXPECT_THROW(store.write_rows(0, 1, reinterpret_cast<std::byte*>(tile.data())), ValueError);
  }
}

TEST_F(Blocks, CopyOnWriteFileGoesThroughMemoryAndLeavesTheFile) {
  for (DType d : {DType::bit, DType::float32, DType::complex128}) {
    const std::string path = files_.make("c.pycauset");
    const Array original = filled(d, kRows, kCols, 0);
    save_array(original, path, "");
    Array a = load_file(path, MapMode::copy_on_write).array;
    EXPECT_FALSE(BlockStore(a).in_file());
    check_array(a);
    const Array on_disk = load_file(path, MapMode::read_only).array;
    for (index_t i = 0; i < kRows; ++i) {
      for (index_t j = 0; j < kCols; ++j) {
        ASSERT_EQ(as_complex(on_disk.get(i, j)), as_complex(original.get(i, j)));
      }
    }
  }
}

TEST_F(Blocks, SpillEveryDtype) {
  for (DType d : every_dtype()) {
    SCOPED_TRACE(std::string(dtype_info(d).name));
    const Array src = filled(d, kRows, kCols, 0);
    set_memory_limit(1);
    const std::array<index_t, 2> shape{kRows, kCols};
    Array a = Array::empty(shape, d);
    set_memory_limit(saved_);
    ASSERT_EQ(a.buffer()->kind(), StorageKind::spill);
    a.assign(src.ref());
    EXPECT_TRUE(BlockStore(a).in_file());
    check_array(a);
    if (d == DType::bit) expect_bit_padding_zero(a);
  }
}

TEST_F(Blocks, TransposedAndSlicedViews) {
  for (DType d : every_dtype()) {
    SCOPED_TRACE(std::string(dtype_info(d).name));
    const std::string path = files_.make("views.pycauset");
    save_array(filled(d, 140, 150, 0), path, "");
    Array file = load_file(path, MapMode::read_write).array;
    Array ram = filled(d, 140, 150, 0);
    for (Array* base : {&ram, &file}) {
      check_array(base->transpose());                           // strided: through convert
      check_array(base->slice(0, 7, 2, 30));                    // every other row
      check_array(base->slice(1, 64, 1, 80));                   // a column range starting on a word
      check_array(base->slice(0, 139, -3, 25).transpose());     // reversed rows, transposed
      check_array(base->select(0, 5));                          // one row as a vector
      check_array(base->select(1, 6), /*as_column=*/true);      // a column as n x 1
      check_array(base->select(1, 6));                          // the same as one row
    }
  }
}

TEST_F(Blocks, WideRowsOfAColumnSliceUseTheFile) {
  // Rows of 8 * 600 bytes: a column slice is read row by row from the file.
  const std::string path = files_.make("wide.pycauset");
  save_array(filled(DType::float64, 12, 700, 0), path, "");
  Array a = load_file(path, MapMode::read_write).array;
  Array part = a.slice(1, 50, 1, 600);
  EXPECT_TRUE(BlockStore(part).in_file());
  check_array(part);
  // A narrow slice of the same file goes through the mapping.
  EXPECT_FALSE(BlockStore(a.slice(1, 0, 1, 10)).in_file());
  check_array(a.slice(1, 0, 1, 10));
}

TEST_F(Blocks, BitColumnRangesMustStartOnAWord) {
  const Array a = filled(DType::bit, 4, 200, 0);
  BlockStore store(a);
  std::vector<std::uint64_t> tile(64);
  auto* p = reinterpret_cast<std::byte*>(tile.data());
  EXPECT_THROW(store.read_block(0, 2, 3, 70, DType::bit, p), ValueError);
  EXPECT_THROW(store.read_block(0, 2, 65, 70, DType::float64, p), ValueError);
  EXPECT_THROW(store.write_block(0, 2, 1, 64, p, 64), ValueError);
  EXPECT_THROW(store.write_block(0, 2, 0, 64, p, 70), ValueError);  // bit pitch not whole words
  EXPECT_NO_THROW(store.read_block(0, 2, 128, 200, DType::bit, p));
  EXPECT_THROW(store.read_block(0, 5, 0, 64, DType::bit, p), IndexError);
  EXPECT_THROW(store.read_block(0, 2, 0, 70, DType::bit, p, 64), ValueError);   // pitch shorter than the block
  EXPECT_THROW(store.read_block(0, 2, 0, 64, DType::bit, p, 96), ValueError);   // pitch not whole words
  EXPECT_THROW(store.read_block(0, 2, 64, 201, DType::bit, p), IndexError);
  // Word alignment is a rule of bit arrays only: a float array's columns may start anywhere.
  const Array f = filled(DType::float32, 4, 200, 0);
  EXPECT_NO_THROW(BlockStore(f).read_block(0, 2, 3, 70, DType::bit, p));
}

TEST_F(Blocks, DirectReadsOfWholeRows) {
  for (DType d : {DType::bit, DType::float64, DType::int32}) {
    const std::string path = files_.make("direct.pycauset");
    const index_t rows = 300, cols = 1000;
    save_array(filled(d, rows, cols, 0), path, "");
    const Array a = load_file(path, MapMode::read_only).array;
    BlockStore store(a);
    const std::size_t pitch = BlockStore::tile_row_bytes(d, cols);
    // 4 KiB-aligned, as the out-of-core tiles are.
    auto buf = allocate_tile(std::size_t(rows) * pitch + BlockStore::kDirectSlack);
    std::byte* p = store.read_rows_direct(17, 283, d, buf->data());
    ASSERT_GE(p, buf->data());
    ASSERT_LT(p, buf->data() + 4096);
    for (index_t i = 17; i < 283; ++i) {
      for (index_t j = 0; j < cols; ++j) {
        ASSERT_EQ(as_complex(tile_get(p, d, pitch, i - 17, j)), as_complex(a.get(i, j)));
      }
    }
    if (d == DType::bit) {
      EXPECT_TRUE(tile_padding_zero(p, 283 - 17, cols, pitch));
    }
  }
}

TEST_F(Blocks, RowsOfARawFileWithoutAnArray) {
  // A writer streaming rows into a new file, then a reader of the same rows
  // with a foreign row stride (as a .npy payload has), for every dtype.
  for (DType d : every_dtype()) {
    SCOPED_TRACE(std::string(dtype_info(d).name));
    const std::string path = files_.make("raw.bin");
    const index_t rows = 9, cols = 131;
    const std::uint64_t offset = 128, stride = BlockStore::tile_row_bytes(d, cols) + 16;
    {
      std::FILE* f = std::fopen(path.c_str(), "wb");
      std::vector<char> zeros(offset + rows * stride + 64, 0);
      std::fwrite(zeros.data(), 1, zeros.size(), f);
      std::fclose(f);
    }
    const Array src = filled(d, rows, cols, 4);
    {
      BlockStore out(std::make_shared<FileRegion>(path, true), offset, d, rows, cols, stride);
      EXPECT_TRUE(out.in_file());
      const std::size_t pitch = BlockStore::tile_row_bytes(d, cols);
      std::vector<std::uint64_t> tile((rows * pitch + 7) / 8);
      BlockStore(src).read_rows(0, rows, d, reinterpret_cast<std::byte*>(tile.data()));
      out.write_rows(0, 4, reinterpret_cast<std::byte*>(tile.data()));
      out.write_rows(4, rows, reinterpret_cast<std::byte*>(tile.data()) + 4 * pitch);
      out.finish_rows(0, rows);
    }
    BlockStore in(std::make_shared<FileRegion>(path, false), offset, d, rows, cols, stride);
    for (const Block& b : blocks_of(rows, cols, d == DType::bit)) {
      if (b.r1 <= b.r0) continue;
      expect_read(in, src, false, b.r0, b.r1, b.c0, b.c1, d);
      expect_read(in, src, false, b.r0, b.r1, b.c0, b.c1, DType::complex64);
    }
  }
  EXPECT_THROW(BlockStore(std::make_shared<FileRegion>(files_.paths.back(), false), 0, DType::float64, 2, 10, 40),
               ValueError);  // a stride shorter than a row
}

TEST_F(Blocks, BytesOutsideRam) {
  const Array ram = filled(DType::float32, 10, 11, 0);
  EXPECT_EQ(bytes_outside_ram(ram), 0u);
  const std::string path = files_.make("outside.pycauset");
  save_array(filled(DType::bit, 10, 131, 0), path, "");
  const Array file = load_file(path, MapMode::read_only).array;
  EXPECT_EQ(bytes_outside_ram(file), (10u * 131u + 7) / 8);
  set_memory_limit(1);
  const std::array<index_t, 2> shape{6, 5};
  const Array spill = Array::empty(shape, DType::complex128);
  set_memory_limit(saved_);
  ASSERT_EQ(spill.buffer()->kind(), StorageKind::spill);
  EXPECT_EQ(bytes_outside_ram(spill), 6u * 5u * 16u);
}
