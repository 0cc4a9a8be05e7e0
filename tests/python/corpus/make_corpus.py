"""Regenerates the malformed-file regression corpus (run once; the outputs are committed).

    python tests/python/corpus/make_corpus.py

Every file is built byte by byte from the format description (docs/format.md), not
with pycauset, so the corpus does not change when pycauset's writer does.
MANIFEST.json maps each file to the error pycauset.load must raise ("FormatError"
or "ValueError") and a fragment its message must contain; "valid.pycauset" is the
control that must load.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import _pcfile  # noqa: E402


def build(values: np.ndarray, code: int, ndim: int, meta: bytes, structure: int = 0) -> bytes:
    """A valid version-1 file holding `values` (2-D, already in the file's dtype)."""
    rows, cols = values.shape
    stride = _pcfile.row_stride(code, cols)
    if code == 0:
        padded = np.zeros((rows, stride * 8), dtype=np.uint8)
        padded[:, :cols] = values
        payload = np.packbits(padded, axis=1, bitorder="little").tobytes()
    else:
        payload = values.astype(_pcfile.NUMPY_OF_CODE[code]).tobytes()
    assert len(payload) == rows * stride
    moff = (4096 + len(payload) + 8 + 7) // 8 * 8
    head = bytearray(128)
    struct.pack_into("<8sIIIBBB", head, 0, b"PYCAUSET", 1, 128, 0x01020304, code, ndim, structure)
    struct.pack_into("<7Q", head, 24, rows, cols, stride, 4096, len(payload), moff, len(meta))
    struct.pack_into("<I", head, 80, zlib.crc32(meta))
    struct.pack_into("<I", head, 120, zlib.crc32(head[:120]))
    out = bytearray(moff + len(meta))
    out[:128] = head
    out[4096 : 4096 + len(payload)] = payload
    out[moff:] = meta
    return bytes(out)


META = json.dumps({"properties": {"structure": "dense"}, "provenance": {"writer": "corpus"}}).encode()
BASE = build(np.arange(12.0).reshape(3, 4), 11, 2, META)  # 3x4 float64: payload [4096, 4192)
ROW = build(np.arange(512.0).reshape(1, 512), 11, 2, META)  # exactly one page of payload
BITS = build((np.arange(70) % 3 == 0).reshape(1, 70), 0, 1, META)  # bit vector of 70
PEND = 4096 + 96


def flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x40
    return bytes(out)


def npy_bytes() -> bytes:
    f = io.BytesIO()
    np.save(f, np.arange(12.0).reshape(3, 4))
    return f.getvalue()


CASES = {
    # name: (bytes, expected error, message fragment)
    "empty.pycauset": (b"", "FormatError", "too short"),
    "cut-10.pycauset": (BASE[:10], "FormatError", "too short"),
    "cut-127.pycauset": (BASE[:127], "FormatError", "too short"),
    "cut-128.pycauset": (BASE[:128], "FormatError", "truncated"),
    "cut-4095.pycauset": (BASE[:4095], "FormatError", "truncated"),
    "cut-payload-minus-1.pycauset": (BASE[: PEND - 1], "FormatError", "truncated"),
    "cut-no-slack.pycauset": (BASE[:PEND], "FormatError", "truncated"),
    "cut-metadata.pycauset": (BASE[:-1], "FormatError", "metadata"),
    "bit-cut-payload.pycauset": (BITS[:4100], "FormatError", "truncated"),
    "bad-magic.pycauset": (b"PYCAUSEX" + BASE[8:], "FormatError", "magic"),
    "lowercase-magic.pycauset": (_pcfile.patch(BASE, magic=b"pycauset"), "FormatError", "magic"),
    "version-2.pycauset": (_pcfile.patch(BASE, version=2), "FormatError", "version 2"),
    "version-0.pycauset": (_pcfile.patch(BASE, version=0), "FormatError", "version 0"),
    "version-max.pycauset": (_pcfile.patch(BASE, version=2**32 - 1), "FormatError", "version 4294967295"),
    "big-endian-mark.pycauset": (_pcfile.patch(BASE, byte_order=0x04030201), "FormatError", "byte order"),
    "header-crc-flip.pycauset": (flip(BASE, 30), "FormatError", "header checksum"),
    "header-crc-field-flip.pycauset": (flip(BASE, 121), "FormatError", "header checksum"),
    "header-size-64.pycauset": (_pcfile.patch(BASE, header_size=64), "FormatError", "header size"),
    "dtype-14.pycauset": (_pcfile.patch(BASE, dtype=14), "FormatError", "dtype code 14"),
    "dtype-255.pycauset": (_pcfile.patch(BASE, dtype=255), "FormatError", "dtype code 255"),
    "ndim-0.pycauset": (_pcfile.patch(BASE, ndim=0), "FormatError", "rank 0"),
    "ndim-3.pycauset": (_pcfile.patch(BASE, ndim=3), "FormatError", "rank 3"),
    "vector-with-3-rows.pycauset": (_pcfile.patch(BASE, ndim=1), "FormatError", "one row"),
    "structure-8.pycauset": (_pcfile.patch(BASE, structure=8), "FormatError", "structure code 8"),
    "row-stride-33.pycauset": (_pcfile.patch(BASE, row_stride=33), "FormatError", "row stride"),
    "dtype-changed-stride-kept.pycauset": (_pcfile.patch(BASE, dtype=3), "FormatError", "row stride"),
    "payload-length-95.pycauset": (_pcfile.patch(BASE, payload_length=95), "FormatError", "payload length"),
    "payload-offset-4000.pycauset": (_pcfile.patch(BASE, payload_offset=4000), "FormatError", "aligned"),
    "payload-offset-0.pycauset": (_pcfile.patch(BASE, payload_offset=0), "FormatError", "aligned"),
    "payload-offset-8192.pycauset": (_pcfile.patch(BASE, payload_offset=8192), "FormatError", "truncated"),
    "payload-offset-2e63.pycauset": (_pcfile.patch(BASE, payload_offset=2**63), "FormatError", "truncated"),
    # payload_offset + payload_length wraps around 2**64 to 0: the size check must not overflow.
    "payload-offset-wraps.pycauset": (_pcfile.patch(ROW, payload_offset=2**64 - 4096), "FormatError", "truncated"),
    "rows-2e40.pycauset": (_pcfile.patch(BASE, rows=2**40, payload_length=2**40 * 32), "FormatError", "truncated"),
    "cols-2e49.pycauset": (_pcfile.patch(BASE, cols=2**49), "FormatError", "shape"),
    "rows-cols-max.pycauset": (_pcfile.patch(BASE, rows=2**64 - 1, cols=2**64 - 1), "FormatError", "shape"),
    "metadata-inside-payload.pycauset": (_pcfile.patch(BASE, metadata_offset=4096), "FormatError", "metadata"),
    "metadata-in-slack.pycauset": (_pcfile.patch(BASE, metadata_offset=PEND), "FormatError", "metadata"),
    "metadata-past-end.pycauset": (_pcfile.patch(BASE, metadata_offset=len(BASE) + 8), "FormatError", "metadata"),
    "metadata-length-huge.pycauset": (_pcfile.patch(BASE, metadata_length=2**40), "FormatError", "metadata"),
    "metadata-length-max.pycauset": (_pcfile.patch(BASE, metadata_length=2**64 - 1), "FormatError", "metadata"),
    "metadata-crc-flip.pycauset": (flip(BASE, len(BASE) - 3), "FormatError", "metadata checksum"),
    "metadata-crc-field.pycauset": (_pcfile.patch(BASE, metadata_crc=0), "FormatError", "metadata checksum"),
    "metadata-invalid-json.pycauset": (_pcfile.replace_metadata(BASE, b'{"properties": {'), "FormatError", "metadata"),
    "metadata-not-object.pycauset": (_pcfile.replace_metadata(BASE, b"[1, 2]"), "FormatError", "JSON object"),
    "metadata-properties-list.pycauset": (_pcfile.replace_metadata(BASE, b'{"properties": [1]}'), "FormatError", "properties"),
    "metadata-not-utf8.pycauset": (_pcfile.replace_metadata(BASE, b'{"a": "\xff\xfe"}'), "FormatError", "metadata"),
    "metadata-nul.pycauset": (_pcfile.replace_metadata(BASE, b"\x00" * 16), "FormatError", "metadata"),
    # Valid CRC, syntactically deep JSON: the parser's recursion limit must surface as FormatError.
    "metadata-deep-nesting.pycauset": (_pcfile.replace_metadata(BASE, b"[" * 5000 + b"]" * 5000), "FormatError", "metadata"),
    "numpy-npy.pycauset": (npy_bytes(), "FormatError", "magic"),
    "text.pycauset": (b"This is a plain text file, not a matrix.\n" * 8, "FormatError", "magic"),
    "random-bytes.pycauset": (np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(), "FormatError", "magic"),
    "zeros-8k.pycauset": (bytes(8192), "FormatError", "magic"),
    "valid.pycauset": (BASE, None, None),
}


def main() -> None:
    manifest = {}
    for name, (data, error, match) in CASES.items():
        assert len(data) < 20 * 1024, name
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        manifest[name] = {"error": error, "match": match}
    with open(os.path.join(HERE, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
