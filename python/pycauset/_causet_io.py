"""Causal sets in ``.pycauset`` files (docs/format.md, "Causal-set files").

A causal-set file is an ordinary version-1 ``.pycauset`` file whose payload is
the causal matrix (an N x N bit matrix marked strictly upper-triangular), so
every reader of the format sees that matrix. Its metadata adds a ``"causet"``
object (region, seed, mode, density, N) that lists the binary *sections*
(coordinates, labels) stored after the metadata block with their name, length,
dtype, shape and CRC-32; where each starts follows from the core's layout rule
(the next multiple of 4096 after what precedes it).

Saving builds the metadata and hands the causal matrix and the sections (core
arrays of any storage) to the core's ``save_array``, which writes the whole file
through one atomic write: space reserved first, one rename into place, so a
crash or a full disk leaves the old file or the new one. Loading maps the
causal matrix with the requested mode and reads the sections (checked against
their CRC-32) into memory.

``pycauset/__init__.py`` installs this module into ``_storage`` (which sits
below the causal-set layer), so ``pc.save`` and ``pc.load`` dispatch here.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import struct
import zlib
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import _core, _storage
from ._array import Matrix, _ArrayBase
from ._causet import CausalSet
from .spacetime import MinkowskiBox, MinkowskiCylinder, MinkowskiDiamond, Region

__all__ = ["is_causal_set", "save", "load", "REGION_KINDS"]

FormatError = _core.FormatError

#: Version of the "causet" metadata object this module writes and reads.
FORMAT = 2
#: Bytes per read or write of a section.
_CHUNK_BYTES = 4 << 20
#: Region classes a file may name, by their "kind".
REGION_KINDS: Dict[str, type] = {cls.__name__: cls for cls in (MinkowskiDiamond, MinkowskiBox, MinkowskiCylinder)}
#: Header fields the loader reads (docs/format.md): metadata_offset, metadata_length.
_METADATA_FIELDS = struct.Struct("<QQ")
_METADATA_FIELDS_AT = 64


def is_causal_set(obj: Any) -> bool:
    return isinstance(obj, CausalSet)


# ---- regions -------------------------------------------------------------------------


def region_to_json(region: Optional[Region]) -> Optional[dict]:
    """``{"kind": class name, field: value, ...}`` for a region of pycauset.spacetime."""
    if region is None:
        return None
    cls = type(region)
    if REGION_KINDS.get(cls.__name__) is not cls:
        raise TypeError(
            f"cannot save a causal set whose region is a {cls.__module__}.{cls.__qualname__}: "
            f"files store the regions of pycauset.spacetime ({', '.join(REGION_KINDS)})"
        )
    out: dict = {"kind": cls.__name__}
    for field in dataclasses.fields(region):
        out[field.name] = getattr(region, field.name)
    return out


def region_from_json(name: str, value: Any) -> Optional[Region]:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise _corrupt(name, f"its region is {value!r}, not an object with a 'kind'")
    kind = value["kind"]
    cls = REGION_KINDS.get(kind)
    if cls is None:
        raise FormatError(
            f"'{name}' holds a causal set in a region of unknown kind {kind!r}; this version of "
            f"pycauset reads {', '.join(REGION_KINDS)} (a newer pycauset may have written the file)"
        )
    params = {k: v for k, v in value.items() if k != "kind"}
    fields = [f.name for f in dataclasses.fields(cls)]
    missing = [f for f in fields if f not in params]
    extra = sorted(set(params) - set(fields))
    if missing or extra:
        raise _corrupt(name, f"its {kind} region has fields {sorted(params)}, expected {fields}")
    try:
        return cls(**params)  # type: ignore[no-any-return]
    except (TypeError, ValueError) as err:
        raise _corrupt(name, f"its {kind} region is invalid: {err}") from None


# ---- sections ------------------------------------------------------------------------


class _Section:
    """A binary block of a causal-set file: a C-order little-endian array held by a core array."""

    def __init__(self, name: str, handle: Any, dtype: np.dtype, chunks: Any) -> None:
        self.name = name
        self.handle = handle  # the _core.Array the core writes
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(x) for x in handle.shape)
        self.nbytes = math.prod(self.shape) * self.dtype.itemsize
        self.crc = 0
        for piece in chunks():
            self.crc = zlib.crc32(piece, self.crc)

    def describe(self) -> dict:
        return {"name": self.name, "nbytes": self.nbytes, "dtype": self.dtype.str, "shape": list(self.shape),
                "crc32": self.crc}


def _matrix_chunks(m: Matrix) -> Any:
    """Row blocks of a float64 Matrix as little-endian bytes (bounded memory, any storage)."""
    h = m._h
    rows, cols = h.shape
    step = max(1, _CHUNK_BYTES // max(1, cols * 8))

    def chunks() -> Iterator[Any]:
        for r0 in range(0, rows, step):
            n = min(step, rows - r0)
            out = np.empty((n, cols), dtype="<f8")
            h.slice(0, r0, 1, n).export_to(out)
            yield out.data
    return chunks


def _sections(cs: CausalSet) -> List[_Section]:
    """The sections of a set's file, in file order (coordinates, then labels)."""
    n = len(cs)
    out = []
    coords = cs.coordinates
    if coords is not None:
        coords = coords._materialized()
        if coords.ndim != 2 or coords.shape[0] != n or coords.dtype.name != "float64":
            raise ValueError(f"the causal set's coordinates must be an {n} x d float64 Matrix, "
                             f"got {coords.dtype} of shape {coords.shape}")
        out.append(_Section("coordinates", coords._h, np.dtype("<f8"), _matrix_chunks(coords)))
    labels = getattr(cs, "labels", None)
    if labels is not None:
        labels = np.ascontiguousarray(labels, dtype="<i8")
        if labels.shape != (n,):
            raise ValueError(f"the causal set's labels must have shape ({n},), got {labels.shape}")
        h = _core.Array.empty([n], _core.DType.int64, False)
        h.assign_numpy(labels)
        out.append(_Section("labels", h, np.dtype("<i8"), lambda: [labels.data]))
    return out


# ---- save ------------------------------------------------------------------------------


def _seed_json(seed: Optional[int]) -> Optional[str]:
    return None if seed is None else str(int(seed))


def save(cs: CausalSet, path: Any) -> None:
    """``pc.save(cs, path)``: write a causal set to one ``.pycauset`` file, atomically.

    The core writes the causal matrix, the metadata and the sections through one
    atomic write (its space reserved first, one rename into place)."""
    name = os.fspath(path)
    if not isinstance(name, str):
        name = os.fsdecode(name)
    if _storage._kind(name) == "npy":
        raise ValueError(
            f"a causal set is saved as a .pycauset file, not '{name}' (.npy holds one array); "
            "save its causal matrix with pc.save(cs.causal_matrix, path) to get a .npy file"
        )
    region = region_to_json(cs.region)  # TypeError for a region a file cannot name, before any write
    causal = cs.causal_matrix._materialized()
    n = len(cs)
    if causal.ndim != 2 or tuple(causal.shape) != (n, n) or causal.dtype.name != "bit":
        raise ValueError(f"the causal matrix must be an {n} x {n} bit Matrix, got {causal.dtype} of shape {causal.shape}")
    sections = _sections(cs)
    causet = {
        "format": FORMAT,
        "n": n,
        "region": region,
        "seed": _seed_json(cs.seed),
        "mode": cs.mode,
        "density": None if cs.density is None else float(cs.density),
        "sections": [s.describe() for s in sections],
    }
    meta = json.dumps({**json.loads(_storage._metadata(causal)), "causet": causet}, sort_keys=True).encode()
    full = os.path.abspath(name)
    directory = os.path.dirname(full)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"cannot save '{name}': the directory '{directory}' does not exist", name)
    if os.path.isdir(full):
        raise IsADirectoryError(errno.EISDIR, f"cannot save '{name}': it is a directory", name)
    _core.save_array(causal._h, full, meta, [s.handle for s in sections])


# ---- load ------------------------------------------------------------------------------


def _corrupt(name: str, what: str) -> Exception:
    return FormatError(f"'{name}' is not a valid causal-set file: {what}")


def _section_table(name: str, fd: int, sections: Any) -> Dict[str, Tuple[int, dict]]:
    """{section name: (offset, entry)} for the "sections" list; offsets follow the
    layout rule (docs/format.md, "Sections") from the end of the metadata block."""
    if not isinstance(sections, list):
        raise _corrupt(name, "its 'sections' is not a list")
    sizes = []
    for s in sections:
        nbytes = s.get("nbytes") if isinstance(s, dict) else None
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) \
                or isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
            raise _corrupt(name, f"section {s!r} is not an object with a 'name' and 'nbytes'")
        sizes.append(nbytes)
    moff, mlen = _METADATA_FIELDS.unpack_from(os.pread(fd, _METADATA_FIELDS.size, _METADATA_FIELDS_AT))
    try:
        offsets = _core.section_offsets(moff + mlen, sizes)
    except (TypeError, OverflowError, ValueError):
        raise _corrupt(name, f"its sections have sizes {sizes}") from None
    table: Dict[str, Tuple[int, dict]] = {}
    for s, offset in zip(sections, offsets):
        if s["name"] in table:
            raise _corrupt(name, f"it has two sections named {s['name']!r}")
        table[s["name"]] = (offset, s)
    return table


def _read_section(name: str, file_size: int, table: Dict[str, Tuple[int, dict]], key: str,
                  dtype: np.dtype, shape: Tuple[int, ...]) -> Optional[Tuple[int, int, int]]:
    """(offset, nbytes, crc32) of the section ``key``, checked against the file; None when absent."""
    if key not in table:
        return None
    offset, s = table[key]
    try:
        nbytes, crc = int(s["nbytes"]), int(s["crc32"])
        got_dtype, got_shape = np.dtype(s["dtype"]), tuple(int(x) for x in s["shape"])
    except (KeyError, TypeError, ValueError) as err:
        raise _corrupt(name, f"section {key!r} is malformed ({err!r})") from None
    if got_dtype != dtype or got_shape != shape or nbytes != math.prod(shape) * dtype.itemsize:
        raise _corrupt(name, f"section {key!r} holds {got_dtype} of shape {got_shape} in {nbytes} bytes, "
                             f"expected {dtype} of shape {shape}")
    if offset + nbytes > file_size:
        raise FormatError(f"'{name}' is truncated: its {key} section ends at byte {offset + nbytes}, "
                          f"but the file has {file_size} bytes")
    return offset, nbytes, crc


def _read_blocks(name: str, fd: int, key: str, where: Tuple[int, int, int], dtype: np.dtype,
                 row_bytes: int) -> Iterator[np.ndarray]:
    """The section's bytes in blocks of whole rows; its CRC checked after the last one."""
    offset, nbytes, crc = where
    step = max(row_bytes, _CHUNK_BYTES // max(1, row_bytes) * max(1, row_bytes))
    got = 0
    for at in range(0, nbytes, step):
        want = min(step, nbytes - at)
        data = os.pread(fd, want, offset + at)
        if len(data) != want:
            raise FormatError(f"'{name}' is truncated: its {key} section is cut short")
        got = zlib.crc32(data, got)
        yield np.frombuffer(data, dtype=dtype)
    if got != crc:
        raise FormatError(f"'{name}' is corrupt: the checksum of its {key} section does not match")


def _mapped_inode(handle: Any) -> Optional[int]:
    """Inode of the file mapped under ``handle`` (None when unknown or nothing is mapped)."""
    from ._pickle import _mapping

    if handle.size == 0:
        return None
    found = _mapping(handle.storage_address)
    return None if found is None else found[1]


def load(name: str, handle: Any, meta: dict, mode: str) -> Any:
    """Build the CausalSet of a causal-set file whose payload ``_storage.load`` has mapped.

    The sections are read through a second descriptor; if the file was replaced
    (by an atomic save) after the payload was mapped, the new file is loaded whole."""
    for _ in range(3):
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        inode = _mapped_inode(handle)
        if inode is None or inode == os.fstat(fd).st_ino:
            break
        os.close(fd)
        handle, meta = _storage._load_payload(name, mode)
        if "causet" not in meta:
            return _storage._load_array(name, mode)
    else:
        raise OSError(errno.EAGAIN, f"'{name}' was replaced again and again while it was being loaded; "
                      "load it when its writer is done", name)
    try:
        return _build(name, fd, handle, meta)
    finally:
        os.close(fd)


def _build(name: str, fd: int, handle: Any, meta: dict) -> CausalSet:
    info = meta["causet"]
    if not isinstance(info, dict):
        raise _corrupt(name, f"its 'causet' metadata is {type(info).__name__}, not an object")
    fmt = info.get("format")
    if fmt != FORMAT:
        raise FormatError(f"'{name}' holds a causal set in format {fmt!r}; this version of pycauset reads "
                          f"format {FORMAT} (a newer pycauset may have written the file)")
    n = info.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise _corrupt(name, f"its element count is {n!r}")
    if handle.dtype != "bit" or handle.ndim != 2 or tuple(handle.shape) != (n, n):
        raise _corrupt(name, f"it says {n} elements, but its payload is {handle.dtype} of shape "
                             f"{tuple(handle.shape)}, not an {n} x {n} bit causal matrix")
    region = region_from_json(name, info.get("region"))
    seed = info.get("seed")
    if seed is not None:
        if not isinstance(seed, str) or not seed.isdigit() or int(seed) >= 1 << 128:
            raise _corrupt(name, f"its seed is {seed!r}, not a decimal integer in [0, 2**128)")
        seed = int(seed)
    how = info.get("mode")
    if how not in (None, "n", "density"):
        raise _corrupt(name, f"its sprinkling mode is {how!r}, not 'n', 'density' or null")
    density = info.get("density")
    if density is not None:
        if isinstance(density, bool) or not isinstance(density, (int, float)) \
                or not math.isfinite(density) or density < 0:
            raise _corrupt(name, f"its density is {density!r}")
        density = float(density)
    table = _section_table(name, fd, info.get("sections", []))

    coords: Optional[Matrix] = None
    labels: Optional[np.ndarray] = None
    size = os.fstat(fd).st_size
    if "coordinates" in table:
        shape = table["coordinates"][1].get("shape")
        d = region.dim if region is not None else (shape[1] if isinstance(shape, list) and len(shape) == 2 else -1)
        if not isinstance(d, int) or d < 1:
            raise _corrupt(name, f"its coordinates section has shape {shape!r}")
        where = _read_section(name, size, table, "coordinates", np.dtype("<f8"), (n, d))
        assert where is not None  # the key is present
        h = _core.Array.empty([n, d], _core.DType.float64, False)
        r0 = 0
        for block in _read_blocks(name, fd, "coordinates", where, np.dtype("<f8"), d * 8):
            rows = block.size // d
            h.slice(0, r0, 1, rows).assign_numpy(block.reshape(rows, d))
            r0 += rows
        coords = Matrix._wrap(h)  # type: ignore[assignment]
    where = _read_section(name, size, table, "labels", np.dtype("<i8"), (n,))
    if where is not None:
        labels = np.concatenate([np.zeros(0, np.int64),
                                 *_read_blocks(name, fd, "labels", where, np.dtype("<i8"), 8)])
        labels = labels.astype(np.int64)
        if n and not np.array_equal(np.sort(labels), np.arange(n)):
            raise _corrupt(name, "its labels are not a permutation of 0..n-1")
        labels.flags.writeable = False
    if region is not None and coords is not None and coords.shape[1] != region.dim:
        raise _corrupt(name, f"its coordinates have {coords.shape[1]} columns, its region dim={region.dim}")

    props = meta.get("properties", {})
    props = {k: v for k, v in props.items() if k != "structure"}
    causal = _ArrayBase._wrap(handle, props)
    cs = CausalSet._make(causal, coords, region, seed, how, density)  # type: ignore[arg-type]
    if labels is not None:
        cs.labels = labels
    return cs
