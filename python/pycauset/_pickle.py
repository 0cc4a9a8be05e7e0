"""Copying and pickling Matrix and Vector objects.

``copy.copy`` and ``copy.deepcopy`` give independent objects, as for ``ndarray``.
Pickling (``pickle``, ``multiprocessing``, ``joblib``, Dask's process schedulers)
follows where the data lives (docs/objects.md, "Copying and pickling"):

- RAM: by value. With protocol 5 the values travel as one ``pickle.PickleBuffer``
  that is a read-only view of the object's own storage (no copy on the sending
  side; out of band with ``buffer_callback``). Transposed views send their
  storage as it is and come back transposed; other non-contiguous views are
  compacted once. Protocols 2 to 4 carry a ``bytes`` copy.
- File (``pycauset.load``): by reference (the file's path, the mode, the view's
  geometry, and the file's size, modification time and header checksum, checked
  when the pickle is loaded). A mode ``'c'`` object whose private pages were
  written, or one whose file was replaced or removed since it was loaded, no
  longer shows the file's contents and goes by value instead.
- Spill, and the by-value cases of files: by value, refused with
  ``ExportGuardError`` above the export cap (``pycauset.set_export_max_bytes``).
- Lazy expressions are evaluated and pickled as their values.

Unpickling by value copies the values once into storage the memory governor
picks (RAM, or a spill file past the budget).
"""

from __future__ import annotations

import copy as _copy
import mmap
import os
import pickle
import zlib
from typing import Any, Optional, Tuple

import numpy as np

from . import _core, _dtypes, _export
from ._errors import ExportGuardError

__all__ = ["copy_of", "deepcopy_of", "reduce"]

#: Version of the argument tuples of the rebuild functions below.
_FORMAT = 1
#: Bytes of the fixed .pycauset header (docs/format.md), checksummed in references.
_HEADER_BYTES = 128
#: Pagemap entries read per chunk when checking a copy-on-write mapping.
_PAGEMAP_CHUNK = 1 << 16


# ---- copy.copy / copy.deepcopy -----------------------------------------------------


def copy_of(obj: Any) -> Any:
    """``copy.copy(obj)``: an independent object with the same values and properties.

    An evaluated object is copied with ``obj.copy()`` (contiguous, RAM or
    spill as the budget decides). A pending expression stays pending: the copy
    shares the immutable expression tree, which the write barrier evaluates
    before any operand changes.
    """
    from ._array import _ArrayBase

    if obj.is_lazy:
        out = _ArrayBase._lazy(obj._expr)
        if dict(out.properties) == dict(obj.properties):
            return out
    return obj.copy()


def deepcopy_of(obj: Any, memo: dict) -> Any:
    """``copy.deepcopy(obj, memo)``: as :func:`copy_of`, with properties deep-copied.

    ``copy.deepcopy`` itself records the result in ``memo``, so an object met
    twice in one structure is copied once.
    """
    from ._array import _ArrayBase

    if obj.is_lazy:
        out = _ArrayBase._lazy(obj._expr)
        if dict(out.properties) == dict(obj.properties):
            return out
    return _ArrayBase._wrap(obj._h.copy(), _copy.deepcopy(dict(obj.properties), memo))


# ---- pickling -------------------------------------------------------------------


def reduce(obj: Any, protocol: int) -> Tuple[Any, tuple]:
    """``obj.__reduce_ex__(protocol)``: a reference for loaded files, else the values."""
    obj = obj._materialized()  # a pending expression is pickled as its value
    h = obj._h
    props = dict(obj.properties)
    kind = h.storage_kind
    if kind == "file":
        ref, why = _file_reference(h)
        if ref is not None:
            return _rebuild_file, (_FORMAT, ref, props)
        _check_cap(obj, h, why)
    elif kind != "ram":
        _check_cap(obj, h, "it is spill-backed (a temporary file pycauset made past the memory "
                           "budget), so pickling copies its values")
    order, data = _values(h, protocol)
    return _rebuild_value, (_FORMAT, h.dtype, tuple(h.shape), order, props, data)


def _check_cap(obj: Any, h: Any, why: str) -> None:
    cap = _export.get_export_max_bytes()
    nbytes = obj.nbytes
    if cap is not None and nbytes > cap:
        raise ExportGuardError(
            f"cannot pickle {_export._describe(obj)}: {why}, and its {_export._human(nbytes)} "
            f"exceed the export cap of {_export._human(cap)} (pycauset.set_export_max_bytes). "
            "Save it with pycauset.save(obj, path) and pickle pycauset.load(path) instead "
            "(objects loaded from a file pickle as a small reference to it), or raise the cap."
        )


# ---- by value ----------------------------------------------------------------------


def _layout_nbytes(dtype: str, shape: tuple) -> int:
    """Bytes of a contiguous array of this dtype and shape: row-major; bit rows
    padded to 64-bit words, a bit vector to whole words (as Array::empty lays them out)."""
    if dtype == "bit":
        if len(shape) == 2:
            return shape[0] * ((shape[1] + 63) // 64) * 8
        return (shape[0] + 63) // 64 * 8
    return int(np.prod(shape)) * _dtypes.dtype(dtype).numpy.itemsize


def _raw(h: Any) -> np.ndarray:
    """Read-only uint8 view of a contiguous handle's bytes (pins its storage while alive)."""
    return h.raw_view(h, _layout_nbytes(h.dtype, tuple(h.shape)))


def _clean_bits(h: Any, raw: np.ndarray) -> bool:
    """True when the padding bits after each row of a contiguous bit view are zero.

    A view such as ``M[:, :10]`` of a bit matrix with at most 64 columns is
    contiguous, but its row padding holds the parent's other columns; sending
    those bytes would leak them (and the padding must read as zero)."""
    cols = h.shape[-1]
    if cols % 64 == 0:
        return True
    rows = h.shape[0] if h.ndim == 2 else 1
    last = raw.view(np.uint64).reshape(rows, -1)[:, -1]
    return not np.any(last >> np.uint64(cols % 64))


def _values(h: Any, protocol: int) -> Tuple[str, Any]:
    """The order ("C", or "T" for the transpose's bytes) and the bytes of h's values.

    Contiguous views, and transposes of contiguous views, send their own bytes;
    any other view is compacted into one contiguous copy first."""
    if h.size == 0:
        return "C", b""
    order, src = "C", None
    for o, cand in (("C", h), ("T", h.transpose() if h.ndim == 2 else None)):
        if cand is not None and cand.is_contiguous:
            raw = _raw(cand)
            if h.dtype != "bit" or _clean_bits(cand, raw):
                order, src = o, raw
                break
    if src is None:
        src = _raw(h.copy())
    if protocol >= 5:
        return order, pickle.PickleBuffer(src)  # type: ignore[arg-type]  # ndarray is a buffer
    return order, src.tobytes()


def _rebuild_value(fmt: int, dtype: str, shape: tuple, order: str, props: dict, data: Any) -> Any:
    """Unpickle a by-value object: one copy of ``data`` into new pycauset storage."""
    from ._array import _ArrayBase

    _check_format(fmt)
    d = _dtypes.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    if len(shape) not in (1, 2) or order not in ("C", "T") or (order == "T" and len(shape) != 2):
        raise pickle.UnpicklingError(f"corrupt pycauset pickle: shape {shape}, order {order!r}")
    stored = shape[::-1] if order == "T" else shape
    try:
        raw = np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError, BufferError):  # e.g. a non-contiguous buffer
        raw = np.frombuffer(memoryview(data).tobytes(), dtype=np.uint8)
    expected = _layout_nbytes(d.name, stored)
    if raw.size != expected:
        raise pickle.UnpicklingError(
            f"corrupt pycauset pickle: {raw.size} bytes of data for a {d.name} object of shape "
            f"{shape}, expected {expected}"
        )
    if expected == 0:
        h = _core.Array.empty(list(stored), d.core, True)
    else:
        align = 8 if d.name == "bit" else d.numpy.alignment
        if raw.ctypes.data % align:
            raw = raw.copy()  # an unaligned buffer supplied by the caller
        h = _core.Array.from_bytes(raw, list(stored), d.core)
    if order == "T":
        h = h.transpose()
    return _ArrayBase._wrap(h, dict(props))


def _check_format(fmt: int) -> None:
    if fmt != _FORMAT:
        raise pickle.UnpicklingError(
            f"this pycauset pickle has format {fmt}; this version reads format {_FORMAT}. "
            "Unpickle it with the pycauset version that wrote it."
        )


# ---- by reference (objects loaded from a file) ---------------------------------------


def _mapping(address: int) -> Optional[Tuple[str, int]]:
    """(path, inode) of the file mapped at ``address`` from /proc/self/maps, or None.

    The kernel's path is absolute (the object may have been loaded through a
    relative path); it ends in " (deleted)" when the file was removed or replaced."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.rstrip("\n").split(None, 5)
                lo, _, hi = fields[0].partition("-")
                if int(lo, 16) <= address < int(hi, 16) and len(fields) == 6:
                    return fields[5], int(fields[4])
    except (OSError, ValueError):
        pass
    return None


def _private_pages_written(address: int, nbytes: int) -> bool:
    """Whether any page of a copy-on-write (MAP_PRIVATE) file mapping was written.

    A written page is an anonymous copy: present but not a file page (pagemap
    bit 63 set, bit 61 clear), or swapped out (bit 62). Unreadable pagemap:
    True (the caller then pickles the values, which is always correct)."""
    page = mmap.PAGESIZE
    first = address // page
    count = (address + max(nbytes, 1) - 1) // page - first + 1
    try:
        with open("/proc/self/pagemap", "rb", buffering=0) as f:
            for start in range(0, count, _PAGEMAP_CHUNK):
                n = min(_PAGEMAP_CHUNK, count - start)
                f.seek((first + start) * 8)
                data = f.read(n * 8)
                if len(data) != n * 8:
                    return True
                e = np.frombuffer(data, dtype=np.uint64)
                present = (e >> np.uint64(63)) != 0
                swapped = ((e >> np.uint64(62)) & np.uint64(1)) != 0
                file_page = ((e >> np.uint64(61)) & np.uint64(1)) != 0
                if np.any((present & ~file_page) | swapped):
                    return True
    except OSError:
        return True
    return False


def _file_identity(path: str) -> dict:
    """What a reference records to detect a changed file: size, mtime, header checksum."""
    st = os.stat(path)
    with open(path, "rb") as f:
        head = f.read(_HEADER_BYTES)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "header_crc": zlib.crc32(head),
            "inode": st.st_ino}


def _file_reference(h: Any) -> Tuple[Optional[dict], str]:
    """(reference, "") for a file-backed handle, or (None, why it must go by value)."""
    mode = h.storage_mode
    found = _mapping(h.storage_address)
    if found is None:  # no /proc: trust the path the file was loaded from
        path, inode = os.path.abspath(h.storage_path), None
    else:
        path, inode = found
        if path.endswith(" (deleted)"):
            return None, (f"its file '{h.storage_path}' was removed or replaced since it was "
                          "loaded, so pickling copies its values")
    try:
        identity: Optional[dict] = _file_identity(path)
    except OSError:
        identity = None
    if identity is None or (inode is not None and identity["inode"] != inode):
        return None, (f"its file '{path}' was removed or replaced since it was loaded, so "
                      "pickling copies its values")
    if mode == "c" and _private_pages_written(h.storage_address, h.storage_nbytes):
        return None, ("it was loaded with mode 'c' and written to (its values differ from the "
                      "file's), so pickling copies its values")
    ref = {
        "path": path,
        "mode": mode,
        **identity,
        "dtype": h.dtype,
        "shape": tuple(h.shape),
        "strides": tuple(h.strides),
        "offset": h.offset,
    }
    return ref, ""


def _rebuild_file(fmt: int, ref: dict, props: dict) -> Any:
    """Unpickle a reference: map the file again (same mode) and rebuild the view."""
    from ._array import _ArrayBase
    from ._storage import _load_array

    _check_format(fmt)
    path, mode = ref["path"], ref["mode"]
    what = f"a pycauset object loaded from '{path}' (mode {mode!r})"
    try:
        now = _file_identity(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"cannot unpickle {what}: the file no longer exists. Objects loaded from a file "
            "pickle as a reference to it; pickle obj.copy() to send the values instead."
        ) from None
    changed = []
    if now["size"] != ref["size"]:
        changed.append(f"its size went from {ref['size']} to {now['size']} bytes")
    if now["header_crc"] != ref["header_crc"]:
        changed.append("its header differs (it was saved again)")
    if mode != "r+" and now["mtime_ns"] != ref["mtime_ns"]:
        changed.append("its modification time differs (it was written)")
    if mode == "r+" and now["inode"] != ref["inode"]:
        changed.append("it is another file now (it was saved again or replaced)")
    if changed:
        raise ValueError(
            f"cannot unpickle {what}: the file changed after the object was pickled "
            f"({'; '.join(changed)}). A pickled file reference is valid only while its file "
            "is unchanged: load the file again with pycauset.load, or pickle obj.copy() to "
            "send the values."
        )
    base = _load_array(path, mode)._h  # the payload, also of a causal-set file
    if base.dtype != ref["dtype"]:
        raise ValueError(f"cannot unpickle {what}: the file holds {base.dtype}, not {ref['dtype']}")
    view = base.as_strided(list(ref["shape"]), list(ref["strides"]), int(ref["offset"]))
    return _ArrayBase._wrap(view, dict(props))
