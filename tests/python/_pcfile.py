"""An independent reader and patcher of ``.pycauset`` files, in plain Python + NumPy.

Written from the format description only (128-byte little-endian header with
fields at fixed offsets, CRC-32 of bytes [0, 120) stored at 120, payload at
4096, 8 zero slack bytes after the payload, metadata JSON after that with its
CRC-32 in the header at 80). The tests use it to check that pycauset writes
what the format says and to build malformed files.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib

import numpy as np

HEADER_SIZE = 128
PAYLOAD_ALIGN = 4096
SLACK = 8
MAGIC = b"PYCAUSET"
VERSION = 1
BYTE_ORDER_MARK = 0x01020304

# Field name -> (offset, struct code), little-endian.
FIELDS = {
    "magic": (0, "8s"),
    "version": (8, "I"),
    "header_size": (12, "I"),
    "byte_order": (16, "I"),
    "dtype": (20, "B"),
    "ndim": (21, "B"),
    "structure": (22, "B"),
    "rows": (24, "Q"),
    "cols": (32, "Q"),
    "row_stride": (40, "Q"),
    "payload_offset": (48, "Q"),
    "payload_length": (56, "Q"),
    "metadata_offset": (64, "Q"),
    "metadata_length": (72, "Q"),
    "metadata_crc": (80, "I"),
    "header_crc": (120, "I"),
}

# The stable dtype codes of the file format, and the NumPy dtype of each.
DTYPE_CODES = {
    0: "bit", 1: "int8", 2: "int16", 3: "int32", 4: "int64",
    5: "uint8", 6: "uint16", 7: "uint32", 8: "uint64",
    9: "float16", 10: "float32", 11: "float64", 12: "complex_float32", 13: "complex_float64",
}
NUMPY_OF_CODE = {
    0: np.dtype(np.bool_), 1: np.dtype("<i1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"),
    4: np.dtype("<i8"), 5: np.dtype("<u1"), 6: np.dtype("<u2"), 7: np.dtype("<u4"),
    8: np.dtype("<u8"), 9: np.dtype("<f2"), 10: np.dtype("<f4"), 11: np.dtype("<f8"),
    12: np.dtype("<c8"), 13: np.dtype("<c16"),
}
STRUCTURES = ["dense", "upper_triangular", "lower_triangular", "symmetric", "diagonal",
              "strictly_upper_triangular", "strictly_lower_triangular", "antisymmetric"]


def sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def file_state(path) -> tuple:
    """Content hash, size and modification time: what 'never modifies the file' compares."""
    st = os.stat(path)
    return (sha256(path), st.st_size, st.st_mtime_ns)


def parse_header(data: bytes) -> dict:
    """All header fields of a file's bytes (no validation)."""
    out = {}
    for name, (off, code) in FIELDS.items():
        (out[name],) = struct.unpack_from("<" + code, data, off)
    return out


def header_crc(data: bytes) -> int:
    return zlib.crc32(bytes(data[:120])) & 0xFFFFFFFF


def patch(data: bytes, fix_crc: bool = True, **fields) -> bytearray:
    """A copy of `data` with header fields replaced (and the header CRC recomputed)."""
    out = bytearray(data)
    for name, value in fields.items():
        off, code = FIELDS[name]
        size = struct.calcsize("<" + code)
        if code != "8s":
            value &= (1 << (8 * size)) - 1
        struct.pack_into("<" + code, out, off, value)
    if fix_crc:
        struct.pack_into("<I", out, 120, header_crc(out))
    return out


def replace_metadata(data: bytes, meta: bytes) -> bytearray:
    """A copy of `data` whose metadata block is `meta`, header fixed up (lengths, CRCs)."""
    h = parse_header(data)
    out = bytearray(data[: h["metadata_offset"]]) + meta
    return patch(out, metadata_length=len(meta), metadata_crc=zlib.crc32(meta))


def row_stride(code: int, cols: int) -> int:
    if code == 0:
        return (cols + 63) // 64 * 8
    return cols * NUMPY_OF_CODE[code].itemsize


def decode_payload(data: bytes, h: dict) -> np.ndarray:
    """The object's values from the raw bytes, per the header (which must be plausible)."""
    rows, cols, code = h["rows"], h["cols"], h["dtype"]
    stride = h["row_stride"]
    start = h["payload_offset"]
    raw = np.frombuffer(data, dtype=np.uint8, count=rows * stride, offset=start).reshape(rows, stride)
    if code == 0:
        bits = np.unpackbits(raw, axis=1, bitorder="little")[:, :cols].astype(bool)
        values = bits
    else:
        dt = NUMPY_OF_CODE[code]
        values = raw.view(dt).reshape(rows, cols) if stride else np.zeros((rows, cols), dt)
        values = values.astype(dt.newbyteorder("="))
    return values[0] if h["ndim"] == 1 else values


def read(path) -> tuple:
    """(header, values, metadata dict) of a well-formed file, checking every CRC."""
    with open(path, "rb") as f:
        data = f.read()
    h = parse_header(data)
    assert h["magic"] == MAGIC
    assert h["header_crc"] == header_crc(data)
    meta = data[h["metadata_offset"] : h["metadata_offset"] + h["metadata_length"]]
    assert zlib.crc32(meta) == h["metadata_crc"]
    return h, decode_payload(data, h), json.loads(meta)
