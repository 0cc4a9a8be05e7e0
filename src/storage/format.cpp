#include "pycauset/storage/format.hpp"

#include <cstring>

namespace pycauset::format {
namespace {

// Field offsets within the 128-byte header (see docs/format.md).
enum Field : std::size_t {
  kMagicAt = 0,
  kVersionAt = 8,
  kHeaderSizeAt = 12,
  kByteOrderAt = 16,
  kDTypeAt = 20,
  kNdimAt = 21,
  kStructureAt = 22,
  kRowsAt = 24,
  kColsAt = 32,
  kRowStrideAt = 40,
  kPayloadOffsetAt = 48,
  kPayloadLengthAt = 56,
  kMetadataOffsetAt = 64,
  kMetadataLengthAt = 72,
  kMetadataCrcAt = 80,
  kReservedAt = 84,
  kHeaderCrcAt = 120,
};

template <class T> void put(std::array<std::byte, kHeaderSize>& b, std::size_t at, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) b[at + i] = std::byte((std::uint64_t(v) >> (8 * i)) & 0xff);
}
template <class T> T get(std::span<const std::byte> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t(std::to_integer<unsigned>(b[at + i])) << (8 * i);
  return T(v);
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t to) { return (v + to - 1) / to * to; }

std::uint64_t payload_row_stride(DType d, std::uint64_t cols) {
  return d == DType::bit ? (cols + 63) / 64 * 8 : cols * dtype_info(d).itemsize();
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::byte b : data) crc = table[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

Header layout(DType dtype, int ndim, std::uint64_t rows, std::uint64_t cols, std::uint64_t metadata_length) {
  Header h;
  h.dtype = dtype;
  h.ndim = std::uint8_t(ndim);
  h.rows = rows;
  h.cols = cols;
  // A vector is one row; its bits need no padding beyond the last word.
  h.row_stride = payload_row_stride(dtype, cols);
  h.payload_offset = kPayloadAlign;
  h.payload_length = rows * h.row_stride;
  h.metadata_offset = round_up(h.payload_offset + h.payload_length + kSlack, 8);
  h.metadata_length = metadata_length;
  return h;
}

std::array<std::byte, kHeaderSize> encode(const Header& h) {
  std::array<std::byte, kHeaderSize> b{};
  std::memcpy(b.data() + kMagicAt, kMagic.data(), kMagic.size());
  put<std::uint32_t>(b, kVersionAt, kVersion);
  put<std::uint32_t>(b, kHeaderSizeAt, kHeaderSize);
  put<std::uint32_t>(b, kByteOrderAt, kByteOrderMark);
  put<std::uint8_t>(b, kDTypeAt, std::uint8_t(h.dtype));
  put<std::uint8_t>(b, kNdimAt, h.ndim);
  put<std::uint8_t>(b, kStructureAt, std::uint8_t(h.structure));
  put<std::uint64_t>(b, kRowsAt, h.rows);
  put<std::uint64_t>(b, kColsAt, h.cols);
  put<std::uint64_t>(b, kRowStrideAt, h.row_stride);
  put<std::uint64_t>(b, kPayloadOffsetAt, h.payload_offset);
  put<std::uint64_t>(b, kPayloadLengthAt, h.payload_length);
  put<std::uint64_t>(b, kMetadataOffsetAt, h.metadata_offset);
  put<std::uint64_t>(b, kMetadataLengthAt, h.metadata_length);
  put<std::uint32_t>(b, kMetadataCrcAt, h.metadata_crc);
  put<std::uint32_t>(b, kHeaderCrcAt, crc32(std::span(b).first(kHeaderCrcAt)));
  return b;
}

Header decode(std::span<const std::byte> bytes, std::uint64_t file_size, const std::string& name) {
  auto fail = [&](const std::string& what) {
    return FormatError("'" + name + "' is not a valid .pycauset file: " + what);
  };
  if (bytes.size() < kHeaderSize || file_size < kHeaderSize)
    throw fail("it is too short to hold a header (" + std::to_string(file_size) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    throw fail("the magic bytes are missing (not a pycauset file)");
  auto version = get<std::uint32_t>(bytes, kVersionAt);
  if (version != kVersion)
    throw fail("format version " + std::to_string(version) + " is not supported (this pycauset reads version " +
               std::to_string(kVersion) + "; upgrade pycauset)");
  if (get<std::uint32_t>(bytes, kByteOrderAt) != kByteOrderMark)
    throw fail("it was written with a byte order this build does not read");
  if (get<std::uint32_t>(bytes, kHeaderCrcAt) != crc32(bytes.first(kHeaderCrcAt)))
    throw fail("the header checksum does not match (the header is corrupt)");
  if (get<std::uint32_t>(bytes, kHeaderSizeAt) != kHeaderSize) throw fail("unexpected header size");

  Header h;
  auto code = get<std::uint8_t>(bytes, kDTypeAt);
  if (code >= kNumDTypes) throw fail("unknown dtype code " + std::to_string(code));
  h.dtype = DType(code);
  h.ndim = get<std::uint8_t>(bytes, kNdimAt);
  const auto structure_code = get<std::uint8_t>(bytes, kStructureAt);
  h.rows = get<std::uint64_t>(bytes, kRowsAt);
  h.cols = get<std::uint64_t>(bytes, kColsAt);
  h.row_stride = get<std::uint64_t>(bytes, kRowStrideAt);
  h.payload_offset = get<std::uint64_t>(bytes, kPayloadOffsetAt);
  h.payload_length = get<std::uint64_t>(bytes, kPayloadLengthAt);
  h.metadata_offset = get<std::uint64_t>(bytes, kMetadataOffsetAt);
  h.metadata_length = get<std::uint64_t>(bytes, kMetadataLengthAt);
  h.metadata_crc = get<std::uint32_t>(bytes, kMetadataCrcAt);

  if (h.ndim != 1 && h.ndim != 2) throw fail("rank " + std::to_string(h.ndim) + " (must be 1 or 2)");
  if (h.ndim == 1 && h.rows != 1) throw fail("a vector must have one row");
  const auto structure = structure_from_code(structure_code);
  if (!structure) throw fail("unknown structure code " + std::to_string(structure_code));
  h.structure = *structure;
  constexpr std::uint64_t kMaxExtent = std::uint64_t(1) << 48;  // far beyond any real object, no overflow below
  if (h.rows > kMaxExtent || h.cols > kMaxExtent) throw fail("implausible shape");
  if (h.row_stride != payload_row_stride(h.dtype, h.cols)) throw fail("row stride does not match the shape");
  if (h.row_stride != 0 && h.rows > (std::uint64_t(1) << 62) / h.row_stride) throw fail("implausible size");
  if (h.payload_length != h.rows * h.row_stride) throw fail("payload length does not match the shape");
  if (h.payload_offset < kHeaderSize || h.payload_offset % kPayloadAlign != 0)
    throw fail("payload offset is not page aligned");
  if (h.payload_offset > file_size || h.payload_length > file_size)  // also keeps the sums below from wrapping
    throw fail("it is truncated: the payload lies outside the file");
  std::uint64_t payload_end = h.payload_offset + h.payload_length;
  if (payload_end + kSlack > file_size)
    throw fail("it is truncated: the payload needs " + std::to_string(payload_end + kSlack) + " bytes, the file has " +
               std::to_string(file_size));
  if (h.metadata_length > kMaxMetadata) throw fail("metadata block is implausibly large");
  if (h.metadata_offset < payload_end + kSlack || h.metadata_offset > file_size ||
      h.metadata_length > file_size - h.metadata_offset)
    throw fail("it is truncated or corrupt: the metadata block lies outside the file");
  return h;
}

}  // namespace pycauset::format
