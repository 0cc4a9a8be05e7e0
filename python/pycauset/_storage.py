"""Storage: the memory budget, spill files, and .pycauset / .npy files.

The mechanisms live in the C++ core (governor, spill directories, the file
format and its payload, atomic writes, every byte of data that save and
convert_file move); this module parses arguments, carries the metadata as JSON
and reads and writes .npy headers (NumPy's own format code).
"""

from __future__ import annotations

import atexit
import datetime
import json
import os
import re
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import _core, _dtypes
from ._array import Matrix, Vector, _ArrayBase

if TYPE_CHECKING:
    from ._causet import CausalSet

__all__ = [
    "set_memory_limit", "get_memory_limit", "set_backing_dir", "get_backing_dir",
    "set_disk_reserve", "get_disk_reserve", "memory_info", "save", "load", "convert_file", "FormatError",
]

FormatError = _core.FormatError
PathLike = Union[str, "os.PathLike[str]"]

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_CHUNK_BYTES = 32 << 20  # staging size for streaming conversions


def parse_size(size: Union[int, str], allow_zero: bool = False) -> int:
    """Bytes from an int or a size string such as ``"2 GiB"``, ``"512MB"``, ``"1.5e9"``."""
    if isinstance(size, bool):
        raise TypeError("size must be an int number of bytes or a string like '2 GiB'")
    if isinstance(size, (int, np.integer)):
        n = int(size)
    elif isinstance(size, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*", size)
        unit = m.group(2).lower() if m else None
        if not m or unit not in _UNITS:
            raise ValueError(
                f"cannot parse size {size!r}; use bytes or a number with a unit "
                "(B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. '2 GiB'"
            )
        n = int(float(m.group(1)) * _UNITS[unit])
    else:
        raise TypeError(f"size must be an int or a string like '2 GiB', got {type(size).__name__}")
    if n < 0 or (n == 0 and not allow_zero):
        raise ValueError(f"size must be {'non-negative' if allow_zero else 'positive'}, got {size!r}")
    return n


def set_memory_limit(limit: Union[int, str, None]) -> None:
    """Set the RAM budget of pycauset's memory governor.

    New objects (and imports) that would push pycauset's RAM use past the budget
    are created file-backed ("spill") in the backing directory instead. Existing
    objects stay where they are.

    Parameters
    ----------
    limit : int, str or None
        Bytes, or a size string such as ``"2 GiB"`` or ``"500MB"``. None restores
        the default: half of physical memory or of the container's limit,
        whichever is smaller.

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.set_memory_limit("2 GiB"); pc.get_memory_limit()
    2147483648
    >>> pc.set_memory_limit(None)
    """
    _core.set_memory_limit(_core.default_memory_limit() if limit is None else parse_size(limit))


def get_memory_limit() -> int:
    """The governor's RAM budget in bytes."""
    return _core.memory_limit()


def set_backing_dir(path: PathLike) -> None:
    """Directory in which spill files are created (default: the system temp dir).

    pycauset makes a private, locked ``pycauset-<pid>-...`` directory inside it,
    removes each spill file when its object dies and the directory at normal
    exit; a later process removes directories whose owner died. The path must be
    an existing, writable directory (ValueError otherwise).
    """
    _core.set_backing_dir(os.path.abspath(os.fspath(path)))


def get_backing_dir() -> str:
    """The directory spill files are created under."""
    return _core.backing_dir()


def set_disk_reserve(size: Union[int, str, None]) -> None:
    """Set how much free disk space spill files must leave on their file system.

    A spill file is created only if, after it, at least this much space stays
    free on the backing directory's file system; otherwise the operation that
    needed it raises ``MemoryError`` naming the size needed, the directory and
    the free space, and creates nothing. The reserve keeps out-of-core work from
    filling a disk that other programs (and the operating system) need.

    Parameters
    ----------
    size : int, str or None
        Bytes, or a size string such as ``"10 GiB"``; ``0`` lets spill files use
        the disk to the end. None restores the default: the larger of 1 GiB and
        5 % of the file system's size, but at most half of it. The environment
        variable ``PYCAUSET_DISK_RESERVE`` sets it at import.

    Notes
    -----
    The reserve applies to spill files (including the results of out-of-core
    operations). Files you ask for (``save``, ``convert_file``) may use the disk
    to the end; their space is allocated before the first byte is written, so a
    disk that cannot hold them raises ``OSError`` (``errno.ENOSPC``) at once.

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.set_disk_reserve("2 GiB"); pc.get_disk_reserve()
    2147483648
    >>> pc.set_disk_reserve(None)
    """
    _core.set_disk_reserve(-1 if size is None else parse_size(size, allow_zero=True))


def get_disk_reserve(path: Optional[PathLike] = None) -> int:
    """The disk reserve in bytes on the file system of ``path`` (default: the backing directory).

    See :func:`set_disk_reserve`. With the default rule the value depends on the
    file system's size.
    """
    where = _core.backing_dir() if path is None else os.path.abspath(os.fspath(path))
    return _core.disk_reserve_at(where)


def memory_info() -> dict:
    """Where pycauset's data lives right now.

    Returns a dict with ``limit`` (the budget), ``ram_in_use`` (live RAM
    buffers), ``ram_cached`` (freed RAM kept for reuse), ``spill_in_use`` and
    ``spill_files`` (live spill files), ``backing_dir`` and ``spill_dir`` (this
    process's spill directory, or None before the first spill), ``disk_free``
    (free space on the backing directory's file system) and ``disk_reserve``
    (how much of it spill files leave free, see :func:`set_disk_reserve`). All
    sizes in bytes.
    """
    return _core.memory_info()


# ---- .pycauset files -----------------------------------------------------------


def _metadata(obj: _ArrayBase, extra: Optional[dict] = None) -> bytes:
    try:
        props = json.loads(json.dumps(dict(obj.properties)))
    except (TypeError, ValueError) as err:
        raise TypeError(f"object properties must be JSON-serialisable to be saved: {err}") from None
    return metadata_bytes(props, extra)


def metadata_bytes(properties: dict, extra: Optional[dict] = None) -> bytes:
    """The metadata JSON of a file pycauset writes: its JSON-ready ``properties`` and
    the provenance (writer, creation time, and the entries of ``extra``)."""
    meta = {
        "properties": properties,
        "provenance": {
            "writer": f"pycauset {_version()}",
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **(extra or {}),
        },
    }
    return json.dumps(meta, sort_keys=True).encode()


def _version() -> str:
    from . import __version__

    return __version__


# Causal-set files: _causet_io (above this module) is installed here by pycauset/__init__.py.
_causets: Any = None


def install(causet_io: Any) -> None:
    """Let save/load dispatch causal sets to ``causet_io`` (``pycauset._causet_io``)."""
    global _causets
    _causets = causet_io


def save(obj: Union[_ArrayBase, "CausalSet"], path: PathLike) -> None:
    """Save a Matrix or Vector to a file, atomically: ``.pycauset``, or ``.npy`` by extension.

    A :class:`~pycauset.CausalSet` is saved to one ``.pycauset`` file holding its
    causal matrix, region, seed, mode, density and coordinates (docs/format.md,
    "Causal-set files"), with the same atomicity; :func:`load` returns it.

    The data goes to a temporary file in the target directory, which is fsynced
    and renamed over ``path`` (and the directory fsynced): a crash at any point
    leaves either the old file or the new one. Works for every dtype and both
    ranks, for RAM-, file- and spill-backed objects and for views, in bounded
    memory whatever the size.

    A path ending in ``.npy`` gets a NumPy ``.npy`` file (C order; ``bit`` is
    stored as ``bool``), readable by ``numpy.load``; properties are not kept
    there. Every other path gets the ``.pycauset`` format, which stores
    ``properties`` and provenance and which :func:`load` memory-maps.

    Raises
    ------
    FileNotFoundError
        The target directory does not exist.
    IsADirectoryError
        ``path`` is a directory.
    OSError
        With ``errno.ENOSPC`` when the disk cannot hold the file: the space is
        allocated before anything is written, and the message gives the size
        needed and the free space. The old file at ``path``, if any, is kept.

    Examples
    --------
    >>> import numpy as np, pycauset as pc, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> pc.save(pc.matrix(np.eye(3)), os.path.join(d, "a.pycauset"))
    >>> float(pc.load(os.path.join(d, "a.pycauset"))[1, 1])
    1.0
    >>> pc.save(pc.matrix(np.eye(3)), os.path.join(d, "a.npy"))
    >>> float(np.load(os.path.join(d, "a.npy"))[1, 1])
    1.0
    """
    if not isinstance(obj, _ArrayBase):
        if _causets is not None and _causets.is_causal_set(obj):
            _causets.save(obj, path)
            return
        raise TypeError(f"save expects a pycauset Matrix or Vector (or a CausalSet), got {type(obj).__name__}")
    obj = obj._materialized()
    name = os.fspath(path)
    if _kind(name) == "npy":
        _save_npy(obj, name)
        return
    _core.save_array(obj._h, name, _metadata(obj))


def _npy_header(np_dtype: np.dtype, shape: tuple) -> bytes:
    import io

    header = {"descr": np.lib.format.dtype_to_descr(np_dtype), "fortran_order": False, "shape": shape}
    head = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(head, header)
    except ValueError:
        head = io.BytesIO()
        np.lib.format.write_array_header_2_0(head, header)
    return head.getvalue()


def _save_npy(obj: _ArrayBase, path: str, chunk_bytes: int = _CHUNK_BYTES) -> None:
    """Write obj as a .npy file: the header here, the data by the core in bounded chunks."""
    head = _npy_header(obj.dtype.numpy, tuple(obj.shape))
    _core.save_npy(obj._h, path, head, chunk_bytes)


def load(path: PathLike, mode: str = "r") -> Union[Matrix, Vector, "CausalSet"]:
    """Open a ``.pycauset`` file as a memory-mapped Matrix or Vector (instant for any size).

    A file written by ``save(causal_set, path)`` gives a :class:`~pycauset.CausalSet`
    back: its causal matrix memory-mapped with ``mode``, its coordinates read into
    memory (docs/causets.md, "Saving and loading").

    Parameters
    ----------
    path : str or path-like
    mode : {"r", "r+", "c"}
        ``"r"`` read-only (writes raise ValueError), ``"r+"`` writes go to the
        file, ``"c"`` copy-on-write (writes stay in this process, the file never
        changes).

    Raises
    ------
    FormatError
        The file is truncated, foreign, corrupt or of an unsupported version; the
        message names the file and the problem. The file is never modified. A
        ``.npy`` file gets a message saying how to read it.
    FileNotFoundError
        There is no file at ``path`` (other ``OSError`` subclasses, such as
        ``PermissionError`` or ``IsADirectoryError``, when it cannot be opened).
    ValueError
        ``mode`` is invalid.

    Notes
    -----
    With ``"r"`` and ``"r+"`` the data is the file's pages: if another program
    truncates the file while it is loaded, reading the lost part kills the
    process with SIGBUS (see storage.md). ``"c"`` keeps changed pages in this
    process's memory.
    """
    name = os.fspath(path)
    handle, meta = _load_payload(name, mode)
    if "causet" in meta and _causets is not None:
        return _causets.load(name, handle, meta, mode)  # type: ignore[no-any-return]
    # The header's structure is the Array's mark (claimed by load_file, checked when first read).
    props = {k: v for k, v in meta.get("properties", {}).items() if k != "structure"}
    return _ArrayBase._wrap(handle, props)  # type: ignore[return-value]


def _load_array(path: PathLike, mode: str = "r") -> Union[Matrix, Vector]:
    """The array a ``.pycauset`` file holds (a causal-set file: its causal matrix)."""
    handle, meta = _load_payload(os.fspath(path), mode)
    props = {k: v for k, v in meta.get("properties", {}).items() if k != "structure"}
    return _ArrayBase._wrap(handle, props)  # type: ignore[return-value]


def _load_payload(name: str, mode: str) -> tuple:
    """(mapped payload handle, metadata dict) of a .pycauset file."""
    if mode not in ("r", "r+", "c"):
        raise ValueError(f"mode must be 'r', 'r+' or 'c', got {mode!r}")
    try:
        handle, meta_bytes = _core.load_file(name, mode)
    except FormatError as err:
        if _is_npy(name):
            raise FormatError(
                f"{err}; it is a NumPy .npy file: read it with "
                f"pc.matrix(np.load(path, mmap_mode='r')), or convert it once with "
                f"pc.convert_file(path, 'name.pycauset') and load that"
            ) from None
        raise
    return handle, _parse_metadata(name, meta_bytes)


def _is_npy(name: str) -> bool:
    try:
        with open(name, "rb") as f:
            return f.read(6) == b"\x93NUMPY"
    except OSError:
        return False


def _parse_metadata(name: str, meta_bytes: bytes) -> dict:
    """The metadata block as a dict (format.md, rule 6); FormatError if it is not one."""
    try:
        meta = json.loads(meta_bytes.decode()) if meta_bytes else {}
        if not isinstance(meta, dict):
            raise ValueError("metadata is not a JSON object")
        if not isinstance(meta.get("properties", {}), dict):
            raise ValueError("metadata 'properties' is not a JSON object")
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise FormatError(f"'{name}' is not a valid .pycauset file: unreadable metadata ({err})") from None
    return meta


# ---- conversion between .npy and .pycauset ----------------------------------------


def convert_file(src: PathLike, dst: PathLike, *, chunk_bytes: int = _CHUNK_BYTES) -> None:
    """Convert between ``.npy`` and ``.pycauset`` files in bounded memory.

    The C++ core streams the data in chunks of about ``chunk_bytes`` (default
    32 MiB; it holds two or three such buffers), reading the next chunk while
    it writes the current one, so files of any size convert in bounded memory.
    Supports every dtype both formats share (NumPy ``bool`` is pycauset's
    ``bit``), 1-D and 2-D, C and Fortran order and big-endian data (.npy
    input); .npy output is C order, little-endian. The destination is written
    atomically: its space is allocated first, and a failure at any point
    leaves the old file at ``dst`` (if any) as it was.

    Parameters
    ----------
    src, dst : str or path-like
        The extensions (``.npy``, ``.pycauset``, any case) decide the direction.
    chunk_bytes : int, keyword-only
        Size of one staging buffer in bytes (positive).

    Raises
    ------
    ValueError
        Extensions that are not one ``.npy`` and one ``.pycauset``; a source
        that is not 1-D or 2-D, truncated or not a readable .npy file
        (``FormatError``, a ValueError, for a bad .pycauset source).
    TypeError
        A .npy dtype pycauset does not have (object, strings, long double, ...).
    OSError
        With ``errno.ENOSPC`` when the disk cannot hold ``dst``.

    Examples
    --------
    >>> import numpy as np, pycauset as pc, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> np.save(os.path.join(d, "a.npy"), np.arange(6.0).reshape(2, 3))
    >>> pc.convert_file(os.path.join(d, "a.npy"), os.path.join(d, "a.pycauset"))
    >>> pc.load(os.path.join(d, "a.pycauset")).shape
    (2, 3)
    """
    src_s, dst_s = os.fspath(src), os.fspath(dst)
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, (int, np.integer)):
        raise TypeError(f"chunk_bytes must be an int number of bytes, got {type(chunk_bytes).__name__}")
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
    chunk_bytes = int(chunk_bytes)
    kinds = (_kind(src_s), _kind(dst_s))
    if kinds == ("npy", "pycauset"):
        _npy_to_pycauset(src_s, dst_s, chunk_bytes)
    elif kinds == ("pycauset", "npy"):
        _pycauset_to_npy(src_s, dst_s, chunk_bytes)
    else:
        raise ValueError(
            f"convert_file converts .npy <-> .pycauset; got {src_s!r} -> {dst_s!r} "
            "(the file extensions decide the direction)"
        )


def _kind(path: str) -> Optional[str]:
    ext = os.path.splitext(path)[1].lower()
    return {".npy": "npy", ".pycauset": "pycauset"}.get(ext)


def _read_npy_header(f: Any, name: str) -> tuple:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
    except ValueError as err:
        raise ValueError(f"'{name}' is not a readable .npy file: {err}") from None
    return shape, fortran, dtype, f.tell()


def _npy_to_pycauset(src: str, dst: str, chunk_bytes: int) -> None:
    with open(src, "rb") as f:
        shape, fortran, dtype, offset = _read_npy_header(f, src)
    if len(shape) not in (1, 2):
        raise ValueError(f"'{src}' holds a {len(shape)}-D array of shape {shape}; pycauset files are 1-D or 2-D")
    target = _dtypes.from_numpy(dtype if dtype.isnative else dtype.newbyteorder("="))
    meta = json.dumps({
        "properties": {"structure": "dense"},
        "provenance": {"writer": f"pycauset {_version()}", "converted_from": os.path.basename(src)},
    }).encode()
    _core.convert_npy_to_pycauset(src, offset, target.core, not dtype.isnative, bool(fortran), list(shape),
                                  dst, meta, chunk_bytes)


def _pycauset_to_npy(src: str, dst: str, chunk_bytes: int) -> None:
    info = _core.file_info(src)  # validates the header (FormatError naming the file)
    _parse_metadata(src, info["metadata"])
    shape = (info["cols"],) if info["ndim"] == 1 else (info["rows"], info["cols"])
    head = _npy_header(_dtypes.dtype(info["dtype"]).numpy, shape)
    _core.convert_pycauset_to_npy(src, dst, head, chunk_bytes)


def _cleanup_at_exit() -> None:
    _core.remove_spill_dir()


atexit.register(_cleanup_at_exit)


def _reserve_from_environment() -> None:
    value = os.environ.get("PYCAUSET_DISK_RESERVE", "").strip()
    if value:
        try:
            _core.set_disk_reserve(parse_size(value, allow_zero=True))
        except (TypeError, ValueError) as err:
            raise ValueError(f"PYCAUSET_DISK_RESERVE={value!r} is not a size: {err}") from None


_reserve_from_environment()
