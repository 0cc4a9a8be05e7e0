#pragma once
// The .pycauset file header: its binary layout, encoding and validation.
// docs/format.md is the specification; this is its implementation.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "pycauset/core/dtype.hpp"
#include "pycauset/core/error.hpp"
#include "pycauset/core/structure.hpp"

namespace pycauset {

/// A file is not a valid .pycauset file (truncated, foreign, corrupt or of an
/// unsupported version). Maps to pycauset.FormatError (a ValueError).
struct FormatError : ValueError {
  using ValueError::ValueError;
};

namespace format {

inline constexpr std::array<char, 8> kMagic{'P', 'Y', 'C', 'A', 'U', 'S', 'E', 'T'};
inline constexpr std::uint32_t kVersion = 1;
inline constexpr std::uint32_t kHeaderSize = 128;        ///< bytes of the fixed header
inline constexpr std::uint32_t kByteOrderMark = 0x01020304;
inline constexpr std::uint64_t kPayloadAlign = 4096;     ///< payload offset is a multiple of this
inline constexpr std::uint64_t kSlack = 8;               ///< zero bytes after the payload
inline constexpr std::uint64_t kMaxMetadata = 64u << 20;

/// Decoded header. Integers are little-endian in the file.
struct Header {
  DType dtype = DType::float64;
  std::uint8_t ndim = 2;
  Structure structure = Structure::dense;  ///< stored as its code (core/structure.hpp)
  std::uint64_t rows = 0, cols = 0;
  std::uint64_t row_stride = 0;  ///< bytes between consecutive rows of the payload
  std::uint64_t payload_offset = 0, payload_length = 0;
  std::uint64_t metadata_offset = 0, metadata_length = 0;
  std::uint32_t metadata_crc = 0;
};

/// A header for an object of this dtype and shape, with the payload and
/// metadata placed as the format prescribes (payload at 4096, metadata after
/// the payload and 8 bytes of slack, 8-byte aligned).
Header layout(DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols,
              std::uint64_t metadata_length);

/// The 128 header bytes, checksum included.
std::array<std::byte, kHeaderSize> encode(const Header& h);

/// Parses and validates header bytes against the file size. Raises
/// FormatError with `name` (the file) and what is wrong. Never reads past
/// `bytes`; safe on arbitrary input.
Header decode(std::span<const std::byte> bytes, std::uint64_t file_size, const std::string& name);

/// CRC-32 (the zlib/PNG polynomial), so any language's zlib can check it.
std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0);

}  // namespace format
}  // namespace pycauset
