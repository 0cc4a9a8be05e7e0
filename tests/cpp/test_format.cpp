#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "pycauset/storage/format.hpp"

using namespace pycauset;
using namespace pycauset::format;

namespace {
std::uint64_t file_size_for(const Header& h) { return h.metadata_offset + h.metadata_length; }
}  // namespace

TEST(Format, Crc32MatchesZlib) {
  const char* text = "123456789";  // the standard check value
  EXPECT_EQ(crc32(std::as_bytes(std::span(text, 9))), 0xCBF43926u);
}

TEST(Format, LayoutPlacesPayloadAndMetadata) {
  Header h = layout(DType::bit, 2, 3, 70, 17);
  EXPECT_EQ(h.row_stride, 16u);
  EXPECT_EQ(h.payload_offset, 4096u);
  EXPECT_EQ(h.payload_length, 48u);
  EXPECT_EQ(h.metadata_offset, 4096u + 48 + 8);
  Header v = layout(DType::complex128, 1, 1, 5, 0);
  EXPECT_EQ(v.row_stride, 80u);
}

TEST(Format, EncodeDecodeRoundTrip) {
  Header h = layout(DType::float32, 2, 10, 7, 33);
  h.structure = Structure::upper_triangular;
  h.metadata_crc = 0xdeadbeef;
  auto bytes = encode(h);
  Header back = decode(bytes, file_size_for(h), "x");
  EXPECT_EQ(back.dtype, DType::float32);
  EXPECT_EQ(back.rows, 10u);
  EXPECT_EQ(back.cols, 7u);
  EXPECT_EQ(back.structure, Structure::upper_triangular);
  EXPECT_EQ(back.metadata_crc, 0xdeadbeefu);
}

TEST(Format, RejectsEveryDamagedField) {
  Header h = layout(DType::float64, 2, 4, 4, 2);
  auto good = encode(h);
  auto size = file_size_for(h);
  auto expect_error = [&](auto bytes, std::uint64_t file_size, const char* needle) {
    try {
      decode(bytes, file_size, "f.pycauset");
      FAIL() << "accepted: " << needle;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("f.pycauset"), std::string::npos);
    }
  };
  auto bad_magic = good;
  bad_magic[0] = std::byte{'X'};
  expect_error(bad_magic, size, "magic");
  auto flipped = good;
  flipped[30] ^= std::byte{1};
  expect_error(flipped, size, "checksum");
  expect_error(good, size - 1, "truncated");
  expect_error(std::span(good).first(100), size, "too short");
  // A newer version with a valid checksum is reported as a version problem.
  auto newer = good;
  newer[8] = std::byte{2};
  auto crc = crc32(std::span(newer).first(120));
  for (int i = 0; i < 4; ++i) newer[120 + i] = std::byte((crc >> (8 * i)) & 0xff);
  expect_error(newer, size, "version 2");
}

TEST(Format, RandomBytesNeverCrash) {
  std::mt19937_64 rng(3);
  Header h = layout(DType::int16, 2, 5, 9, 11);
  auto good = encode(h);
  int accepted = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    auto b = good;
    int flips = 1 + int(rng() % 4);
    // Bytes [124, 128) are reserved and unchecked; everything else is guarded.
    for (int k = 0; k < flips; ++k) b[rng() % 124] = std::byte(rng() & 0xff);
    try {
      decode(b, rng() % 2 ? file_size_for(h) : rng() % (1u << 20), "fuzz");
      ++accepted;
    } catch (const FormatError&) {
    }
  }
  // Accepted only when a "change" rewrote a byte with its own value.
  EXPECT_LT(accepted, 20000 * 4 / 256);
}
