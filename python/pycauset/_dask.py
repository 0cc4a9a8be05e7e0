"""Dask interop: ``.pycauset`` files as Dask arrays and back, causal matrices built by a cluster.

Dask does the distributing; this module only gives it pieces of files
(docs/dask.md):

- :func:`to_dask`: a ``dask.array`` whose chunks a :class:`FileTileReader`
  reads. The reader is a few plain values (path, layout, the file's identity),
  so it pickles to any worker; each read opens the file by path, checks that
  it is still the same file, ``pread``\\ s exactly the bytes of its tile (bit
  rows: the bytes holding the tile's columns, unpacked to bool) and closes it.
- :func:`from_dask`: the client creates the file (the core's ``FileWriter``:
  header layout, space reserved, a temporary name beside the target); workers
  ``pwrite`` their chunks at their offsets (:class:`FileTileWriter`, the
  target of ``da.store``); the client then writes metadata and header and
  renames the file into place. Any failure removes the temporary.
- :func:`sprinkle_on_cluster`: the cluster build of a causal matrix behind
  ``pycauset.sprinkle(..., client=, path=)``.

Nothing here imports dask at module level: ``import pycauset`` never loads it.
"""

from __future__ import annotations

import errno
import json
import math
import mmap
import os
import threading
import zlib
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np

from . import _core, _dtypes, _pickle, _storage
from ._array import _ArrayBase
from ._factories import matrix

__all__ = ["to_dask", "from_dask", "FileTileReader", "FileTileWriter"]

PathLike = Union[str, "os.PathLike[str]"]

_HEADER_BYTES = 128
_WORD_BITS = 64
#: Whole-row tiles of at least this many bytes are read with O_DIRECT.
_DIRECT_MIN = 1 << 20
_BLOCK = 4096
#: Largest causal-matrix row block one cluster task computes and writes.
_BLOCK_BYTES = 32 << 20


def _require_dask() -> Any:
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "pycauset's Dask support needs dask: pip install \"pycauset[dask]\" "
            "(dask[array] and distributed)"
        ) from None
    return da


def _le(d: np.dtype) -> np.dtype:
    """The little-endian form of a NumPy dtype (the file's byte order)."""
    return d.newbyteorder("<") if d.itemsize > 1 else d


# ---------------------------------------------------------------------- reading


class FileTileReader:
    """Reads rectangles of a ``.pycauset`` file by path: the chunk source of :func:`to_dask`.

    Picklable (it holds only the path, the layout and the file's identity) and
    thread-safe (no state changes after construction; every read opens the file,
    reads and closes it, so no handle outlives a read). Each read checks that
    the file is the one it was made for (inode, size, modification time) and
    raises ``ValueError`` otherwise, so a replaced or rewritten file never
    yields a mix of old and new tiles.

    Indexing with basic slices (``reader[r0:r1, c0:c1]``) returns a NumPy
    array: the file's dtype, ``bool`` for ``bit``.

    Examples
    --------
    >>> import numpy as np, os, pickle, tempfile, pycauset as pc
    >>> from pycauset._dask import FileTileReader
    >>> path = os.path.join(tempfile.mkdtemp(), "a.pycauset")
    >>> pc.save(pc.matrix(np.arange(12.0).reshape(3, 4)), path)
    >>> r = pickle.loads(pickle.dumps(FileTileReader(path)))
    >>> r[1:3, 1:3].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, path: PathLike) -> None:
        name = os.path.abspath(os.fspath(path))
        info = _core.file_info(name)  # validates header and metadata (FormatError naming the file)
        self.path = name
        self.pc_dtype = str(info["dtype"])
        self.ndim = int(info["ndim"])
        self.rows = int(info["rows"])
        self.cols = int(info["cols"])
        self.row_stride = int(info["row_stride"])
        self.payload_offset = int(info["payload_offset"])
        self.structure = str(info["structure"].name)
        fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            head = os.pread(fd, _HEADER_BYTES, 0)
        finally:
            os.close(fd)
        #: (inode, size, mtime_ns) checked at every read; the header CRC goes into the token.
        self.identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        self.header_crc = zlib.crc32(head)

    # The array-like face dask.array.from_array needs.
    @property
    def dtype(self) -> np.dtype:
        return _dtypes.dtype(self.pc_dtype).numpy

    @property
    def shape(self) -> Tuple[int, ...]:
        return (self.cols,) if self.ndim == 1 else (self.rows, self.cols)

    def token(self) -> tuple:
        """What names the file's current contents: path, inode, size, mtime and header CRC."""
        return (self.path, *self.identity, self.header_crc)

    def __repr__(self) -> str:
        return f"FileTileReader({self.path!r}, {self.pc_dtype}, shape={self.shape})"

    def __getitem__(self, key: Any) -> np.ndarray:
        if not isinstance(key, tuple):
            key = (key,)
        if len(key) != self.ndim or not all(isinstance(k, slice) for k in key):
            raise IndexError(f"a FileTileReader takes {self.ndim} slices, got {key!r}")
        spans = [k.indices(n) for k, n in zip(key, self.shape)]
        # Read the covering range with step 1, then apply the steps in memory.
        lo_hi = []
        for start, stop, step in spans:
            idx = range(start, stop, step)
            lo_hi.append((min(idx), max(idx) + 1) if len(idx) else (0, 0))
        if self.ndim == 1:
            (c0, c1), = lo_hi
            tile = self.read(0, 1 if c1 > c0 else 0, c0, c1).reshape(c1 - c0)
        else:
            (r0, r1), (c0, c1) = lo_hi
            tile = self.read(r0, r1, c0, c1)
        sub = tuple(slice(None) if st == 1 else
                    slice(s - lo, (e - lo) if e >= lo else None, st)
                    for (s, e, st), (lo, _) in zip(spans, lo_hi))
        return tile if all(st == 1 for _, _, st in spans) else np.ascontiguousarray(tile[sub])

    def read(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Rows ``[r0, r1)`` and columns ``[c0, c1)`` of the file as a 2-D NumPy array."""
        if not (0 <= r0 <= r1 <= self.rows and 0 <= c0 <= c1 <= self.cols):
            raise IndexError(f"tile [{r0}:{r1}, {c0}:{c1}] lies outside the file's shape "
                             f"({self.rows}, {self.cols})")
        nr, nc = r1 - r0, c1 - c0
        bit = self.pc_dtype == "bit"
        if nr == 0 or nc == 0:
            return np.empty((nr, nc), dtype=self.dtype)
        if bit:  # the bytes holding columns [c0, c1)
            b0, b1 = c0 // 8, (c1 + 7) // 8
            raw_dtype = np.dtype(np.uint8)
        else:
            item = self.dtype.itemsize
            b0, b1 = c0 * item, c1 * item
            raw_dtype = _le(self.dtype)
        seg = b1 - b0
        raw = np.empty((nr, seg), dtype=np.uint8)
        fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
                raise ValueError(
                    f"the file '{self.path}' changed after this Dask array was made from it "
                    "(it was replaced or written); make a new one with pycauset.to_dask(path)")
            first = self.payload_offset + r0 * self.row_stride + b0
            if seg == self.row_stride:  # whole rows: one contiguous read, direct where large
                direct = _read_direct(self.path, first, nr * seg) if nr * seg >= _DIRECT_MIN else None
                if direct is not None:
                    raw = direct.reshape(nr, seg)
                else:
                    _pread_into(fd, raw, first, self.path)
            elif self.row_stride - seg <= seg:
                # Little lies between the rows' pieces: one read of the span, then the pieces.
                span = np.empty(nr * self.row_stride - (self.row_stride - seg), dtype=np.uint8)
                _pread_into(fd, span, first, self.path)
                full = np.lib.stride_tricks.as_strided(span, (nr, seg), (self.row_stride, 1))
                raw[...] = full
            else:
                for i in range(nr):
                    _pread_into(fd, raw[i], first + i * self.row_stride, self.path)
        finally:
            os.close(fd)
        if bit:
            bits = np.unpackbits(raw, axis=1, bitorder="little")
            return bits[:, c0 - 8 * b0: c1 - 8 * b0].view(np.bool_)
        out = raw.view(raw_dtype)
        return out if raw_dtype.isnative else out.astype(self.dtype)


def _read_direct(path: str, offset: int, n: int) -> Optional[np.ndarray]:
    """``n`` bytes at ``offset`` read with O_DIRECT into page-aligned memory (a cold read
    without a copy through the page cache, as the core's block reads do), or None where
    the file system does not take direct I/O (tmpfs)."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | flag)
    except OSError:
        return None
    try:
        start = offset // _BLOCK * _BLOCK
        end = -(-(offset + n) // _BLOCK) * _BLOCK
        buf = mmap.mmap(-1, end - start)
        view = memoryview(buf)
        at = 0
        while start + at < offset + n:
            try:
                got = os.preadv(fd, [view[at:]], start + at)
            except OSError as err:
                if err.errno == errno.EINVAL:  # refused after all: read through the cache
                    return None
                raise
            if got == 0:
                break
            at += got
            if got % _BLOCK:
                break  # end of file: a short last block
        view.release()
        if start + at < offset + n:
            raise ValueError(f"'{path}' is shorter than its header says: it was truncated")
        return np.frombuffer(buf, dtype=np.uint8)[offset - start: offset - start + n]
    finally:
        os.close(fd)


def _pread_into(fd: int, buf: np.ndarray, offset: int, path: str) -> None:
    view = memoryview(buf).cast("B")
    done = 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got == 0:
            raise ValueError(f"'{path}' is shorter than its header says: it was truncated")
        done += got


def _auto_chunks(reader: FileTileReader, chunks: Any) -> Any:
    """Dask's chunk normalisation, preferring whole rows (the file's contiguous runs)."""
    import dask
    from dask.array.core import normalize_chunks
    from dask.utils import parse_bytes

    shape, dtype = reader.shape, reader.dtype
    if isinstance(chunks, str) and chunks == "auto" and len(shape) == 2:
        limit = parse_bytes(dask.config.get("array.chunk-size"))
        if shape[1] * dtype.itemsize * 16 <= limit:
            chunks = {0: "auto", 1: -1}
        elif reader.pc_dtype == "bit":  # column chunks on whole words, so from_dask can write them back
            side = max(_WORD_BITS, int(math.sqrt(limit)) // _WORD_BITS * _WORD_BITS)
            chunks = {0: "auto", 1: side}
    return normalize_chunks(chunks, shape, dtype=dtype)


def to_dask(obj: Any, chunks: Any = "auto", *, path: Optional[PathLike] = None) -> Any:
    """A ``dask.array`` over a ``.pycauset`` file, read tile by tile where the chunks run.

    Nothing is read when the array is made: each chunk is one task that opens
    the file by path on whichever worker runs it and reads exactly that tile
    (one ``pread`` per tile of whole rows, else one per row). ``bit`` files
    arrive as ``bool`` chunks. Workers on other machines need the file at the
    same path (a shared file system).

    Parameters
    ----------
    obj : str, path-like, Matrix or Vector
        A ``.pycauset`` file, or an object loaded from one (views such as
        ``A.T`` or ``A[10:20, ::2]`` included). An object held in RAM or in a
        spill file exists only in this process: pass ``path`` to save it there
        first (a spilled object is linked into place without copying where
        possible), or it is refused with ``ValueError``.
    chunks : int, tuple, dict or "auto"
        Dask's chunk specification. ``"auto"`` uses whole rows when a row is
        small next to Dask's ``array.chunk-size``; bit files get column chunks
        on whole 64-bit words otherwise.
    path : str or path-like, optional
        Where to save an object that is not backed by a file.

    Returns
    -------
    dask.array.Array
        Named by the file's path, inode, size, modification time and header
        checksum (and the chunks), so the same unchanged file gives the same
        name, and a rewritten one a new name; a chunk read after the file
        changed raises ``ValueError``.

    Raises
    ------
    ValueError
        An object that lives only in this process and no ``path``, or a view
        that is not a slice or transpose of its file.
    FormatError, FileNotFoundError
        ``obj`` is not a readable ``.pycauset`` file.

    Examples
    --------
    >>> import numpy as np, os, tempfile, pycauset as pc
    >>> path = os.path.join(tempfile.mkdtemp(), "a.pycauset")
    >>> pc.save(pc.matrix(np.arange(12.0).reshape(3, 4)), path)
    >>> X = pc.to_dask(path, chunks=(2, 2))
    >>> X.chunks
    ((2, 1), (2, 2))
    >>> float(X.sum().compute(scheduler="threads"))
    66.0
    """
    da = _require_dask()
    view = None
    if isinstance(obj, (str, os.PathLike)):
        if path is not None:
            raise TypeError("path= is for objects that are not backed by a file; obj is a path already")
        file = os.fspath(obj)
    elif isinstance(obj, _ArrayBase):
        obj = obj._materialized()
        h = obj._h
        ref = None
        if h.storage_kind == "file":
            ref, why = _pickle._file_reference(h)
        else:
            why = ("it is held in RAM" if h.storage_kind == "ram"
                   else "it is in a spill file private to this process")
        if ref is not None:
            file, view = ref["path"], ref
        elif path is not None:
            from ._storage import save

            file = os.fspath(path)
            save(obj, file)
        else:
            raise ValueError(
                f"cannot hand this {type(obj).__name__} to Dask: {why}, and Dask's workers read "
                "files by path. Pass path='name.pycauset' to save it there first, or save it with "
                "pycauset.save and call pycauset.to_dask on the file")
    else:
        raise TypeError(f"to_dask expects a .pycauset path or a pycauset Matrix or Vector, "
                        f"got {type(obj).__name__}")
    reader = FileTileReader(file)
    normalized = _auto_chunks(reader, chunks)
    from dask.base import tokenize

    name = "pycauset-" + tokenize(*reader.token(), normalized)
    meta = np.empty((0,) * reader.ndim, dtype=reader.dtype)
    arr = da.from_array(reader, chunks=normalized, name=name, meta=meta, asarray=False,
                        lock=False, fancy=False, inline_array=False)
    if view is not None:
        arr = _apply_view(arr, reader, view)
    return arr


def _apply_view(arr: Any, reader: FileTileReader, ref: dict) -> Any:
    """``arr`` (the whole file) sliced and transposed to the view ``ref`` describes."""
    shape, strides, offset = tuple(ref["shape"]), tuple(ref["strides"]), int(ref["offset"])
    rows, cols = reader.rows, reader.cols
    if reader.ndim == 2 and shape == (rows, cols) and offset == 0 and \
            strides == ((reader.row_stride * 8 if reader.pc_dtype == "bit" else cols), 1):
        return arr
    if reader.ndim == 1 and shape == (cols,) and offset == 0 and strides == (1,):
        return arr
    # Element (r, c) of the file sits at r * R + c in the view's units (elements; bits for bit).
    R = reader.row_stride * 8 if reader.pc_dtype == "bit" else max(cols, 1)
    r0, c0 = divmod(offset, R)
    base = arr if reader.ndim == 2 else arr[None, :]
    axis_of: List[Tuple[str, int]] = []
    for n, s in zip(shape, strides):
        if n == 1:
            axis_of.append(("fixed", 0))
        elif s != 0 and s % R == 0 and rows > 1:
            axis_of.append(("row", s // R))
        else:
            axis_of.append(("col", s))
    kinds = [k for k, _ in axis_of]
    bad = (kinds.count("row") > 1 or kinds.count("col") > 1 or offset < 0 or r0 >= max(rows, 1)
           or c0 >= cols)

    def span(start: int, step: int, n: int, size: int) -> slice:
        last = start + step * (n - 1)
        nonlocal bad
        if not (0 <= last < size):
            bad = True
        stop = last + (1 if step > 0 else -1)
        return slice(start, None if stop < 0 else stop, step)

    rsl, csl = slice(r0, r0 + 1), slice(c0, c0 + 1)
    order = []
    for (kind, step), n in zip(axis_of, shape):
        if kind == "row":
            rsl = span(r0, step, n, rows)
            order.append(0)
        elif kind == "col":
            if step == 0:
                bad = True
                break
            csl = span(c0, step, n, cols)
            order.append(1)
    if bad:
        raise ValueError(
            "this view of a file (shape %s, strides %s) is not a slice or transpose of it; "
            "pass path='name.pycauset' to save a copy of it for Dask" % (shape, strides))
    out = base[rsl, csl]
    if order == [1, 0]:
        out = out.T
    return out.reshape(shape)


# ---------------------------------------------------------------------- writing


class FileTileWriter:
    """The target ``da.store`` writes chunks into: a file's payload, by path.

    ``writer[r0:r1, c0:c1] = block`` opens the file, ``pwrite``\\ s the block's
    rows at their offsets (bits packed; a bit block must start on a multiple
    of 64 columns) and closes it. Picklable and thread-safe, as the reader.
    Used by :func:`from_dask` on the temporary file the core created.
    """

    def __init__(self, path: str, pc_dtype: str, ndim: int, rows: int, cols: int,
                 row_stride: int, payload_offset: int) -> None:
        self.path, self.pc_dtype, self.ndim = path, pc_dtype, ndim
        self.rows, self.cols, self.row_stride, self.payload_offset = rows, cols, row_stride, payload_offset

    @property
    def shape(self) -> Tuple[int, ...]:
        return (self.cols,) if self.ndim == 1 else (self.rows, self.cols)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, tuple):
            key = (key,)
        spans = [k.indices(n) for k, n in zip(key, self.shape)]
        if len(spans) != self.ndim or any(st != 1 for _, _, st in spans):
            raise IndexError(f"a FileTileWriter takes {self.ndim} slices with step 1, got {key!r}")
        block = np.asarray(value)
        if self.ndim == 1:
            (c0, c1, _), = spans
            r0, r1 = 0, 1
            block = block.reshape(1, -1)
        else:
            (r0, r1, _), (c0, c1, _) = spans
        if block.shape != (r1 - r0, c1 - c0):
            raise ValueError(f"a block of shape {block.shape} for the region [{r0}:{r1}, {c0}:{c1}]")
        if block.size == 0:
            return
        if self.pc_dtype == "bit":
            if c0 % _WORD_BITS:
                raise ValueError(f"bit blocks must start on a multiple of 64 columns, got column {c0}")
            raw = np.packbits(block.astype(np.bool_, copy=False), axis=1, bitorder="little")
            b0 = c0 // 8
        else:
            target = _le(_dtypes.dtype(self.pc_dtype).numpy)
            raw = np.ascontiguousarray(block.astype(target, copy=False)).view(np.uint8)
            raw = raw.reshape(r1 - r0, -1)
            b0 = c0 * target.itemsize
        seg = raw.shape[1]
        first = self.payload_offset + r0 * self.row_stride + b0
        fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            if seg == self.row_stride:
                _pwrite_all(fd, memoryview(np.ascontiguousarray(raw)).cast("B"), first)
            else:
                for i in range(raw.shape[0]):
                    _pwrite_all(fd, memoryview(np.ascontiguousarray(raw[i])).cast("B"),
                                first + i * self.row_stride)
        finally:
            os.close(fd)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], offset + done)


def from_dask(array: Any, path: PathLike, *, dtype: Any = None,
              properties: Optional[dict] = None, **store_kwargs: Any) -> None:
    """Write a Dask array to a ``.pycauset`` file, every worker writing its own chunks.

    The file is created here (header layout and space reserved by pycauset's
    own writer, under a temporary name beside ``path``); ``dask.array.store``
    then has each worker write the chunks it computes at their offsets in the
    temporary; when all are written the metadata and header go in, the file is
    flushed and renamed over ``path``. A failure at any point (an exception
    in a task, a worker killed, Ctrl-C) removes the temporary: ``path`` keeps
    its old file or stays absent, never half written. Workers need the target
    directory at the same path (a shared file system).

    Parameters
    ----------
    array : dask.array.Array (or anything ``dask.array.asarray`` takes)
        1-D (a Vector) or 2-D (a Matrix). ``bool`` is stored as ``bit``; its
        column chunks must start on multiples of 64 (``array.rechunk``).
    path : str or path-like
        The ``.pycauset`` file to create or replace.
    dtype : optional
        Store as this pycauset dtype (chunks are cast with ``astype``);
        default: the array's.
    properties : dict, optional
        JSON-serialisable properties recorded in the file's metadata.
    **store_kwargs
        Passed to ``dask.array.store`` (e.g. ``scheduler=``).

    Raises
    ------
    ValueError
        Not 1-D or 2-D, or bit column chunks not on multiples of 64 columns.
    TypeError
        A dtype pycauset does not have.
    OSError
        ``errno.ENOSPC`` when the disk cannot hold the file (before any chunk runs).

    Examples
    --------
    >>> import numpy as np, os, tempfile, dask.array as da, pycauset as pc
    >>> path = os.path.join(tempfile.mkdtemp(), "a.pycauset")
    >>> x = da.arange(12.0, chunks=5).reshape(3, 4).rechunk((2, 2))
    >>> pc.from_dask(x + 1, path, scheduler="threads")
    >>> pc.load(path)[2, 3]
    12.0
    """
    da = _require_dask()
    if not isinstance(array, da.Array):
        array = da.asarray(array)
    if array.ndim not in (1, 2):
        raise ValueError(f"pycauset files hold 1-D or 2-D arrays, got a {array.ndim}-D array of "
                         f"shape {array.shape}")
    if any(isinstance(n, float) and math.isnan(n) for n in array.shape):
        raise ValueError("the array has unknown chunk sizes (NaN); call array.compute_chunk_sizes() first")
    pc_dtype = _dtypes.from_numpy(array.dtype) if dtype is None else _dtypes.dtype(dtype)
    if dtype is not None and pc_dtype.numpy != array.dtype:
        array = array.astype(pc_dtype.numpy)
    if pc_dtype.name == "bit":
        starts = np.cumsum((0,) + array.chunks[-1][:-1])
        bad = [int(s) for s in starts if s % _WORD_BITS]
        if bad:
            raise ValueError(
                f"bit (bool) arrays are written in whole 64-bit words of a row, but column chunks "
                f"start at {bad[:3]}{'...' if len(bad) > 3 else ''}; rechunk the columns to "
                f"multiples of 64, e.g. array.rechunk({{{array.ndim - 1}: 64 * k}})")
    try:
        props = json.loads(json.dumps(dict(properties or {})))
    except (TypeError, ValueError) as err:
        raise TypeError(f"properties must be JSON-serialisable: {err}") from None
    rows, cols = (1, int(array.shape[0])) if array.ndim == 1 else map(int, array.shape)
    pending = _core.PendingFile(os.fspath(path), pc_dtype.core, array.ndim, rows, cols)
    try:
        target = FileTileWriter(pending.temp_path, pc_dtype.name, array.ndim, rows, cols,
                                pending.row_stride, pending.payload_offset)
        da.store(array, target, lock=False, **store_kwargs)
        pending.commit(_storage.metadata_bytes(props, {"written_by": "pycauset.from_dask"}), _core.Structure.dense)
    except BaseException:
        pending.discard()
        raise


# ---------------------------------------------------------- causal matrix on a cluster

_POINTS_LOCK = threading.Lock()
_POINTS_CACHE: dict = {}


def _worker_points(points: Callable, region: Any, count: int, seed: int) -> Any:
    """The PointSet of a sprinkling, regenerated once per worker process (kept for the next task)."""
    key = (getattr(points, "__qualname__", repr(points)), repr(region), count, seed)
    with _POINTS_LOCK:
        found = _POINTS_CACHE.get(key)
        if found is None:
            _POINTS_CACHE.clear()  # one sprinkling at a time
            coords = np.ascontiguousarray(points(region, count, seed))
            periods = list(region.spatial_periods or ())
            found = _core.PointSet(matrix(coords)._h, periods)
            _POINTS_CACHE[key] = found
        return found


def _causal_rows(points: Callable, region: Any, count: int, seed: int, path: str, row_stride: int,
                 payload_offset: int, r0: int, r1: int) -> int:
    """Rows [r0, r1) of the causal matrix into the file at ``path``; returns their relations.

    Only the words from the block's diagonal word on are computed and written
    (the file's reserved space reads as zeros before them)."""
    ps = _worker_points(points, region, count, seed)
    words = -(-count // _WORD_BITS)
    w0 = r0 // _WORD_BITS
    buf = np.empty((r1 - r0, words - w0), dtype=np.uint64)
    ps.relation_words(r0, r1, w0, words, buf)
    relations = int(np.bitwise_count(buf).sum(dtype=np.int64))
    raw = buf.astype("<u8", copy=False).view(np.uint8)
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        for i in range(r1 - r0):
            _pwrite_all(fd, memoryview(raw[i]), payload_offset + (r0 + i) * row_stride + w0 * 8)
    finally:
        os.close(fd)
    return relations


def row_blocks(n: int, workers: int) -> List[Tuple[int, int]]:
    """Row blocks of an n x n causal matrix for `workers` threads: 64-row aligned, each at
    most _BLOCK_BYTES of words, about 8 per thread of work, costlier (earlier) blocks first."""
    if n == 0:
        return []
    row_bytes = -(-n // _WORD_BITS) * 8
    cap = max(_WORD_BITS, _BLOCK_BYTES // row_bytes // _WORD_BITS * _WORD_BITS)
    # Equal work per block: rows near r cost ~ (n - r); split the triangle into T parts.
    parts = max(1, 8 * max(1, workers))
    bounds, r = [], 0
    total = n * n / 2
    for k in range(1, parts):
        # r with (n^2 - (n - r)^2) / 2 = k * total / parts
        x = n - math.sqrt(max(0.0, n * n - 2 * k * total / parts))
        bounds.append(int(round(x / _WORD_BITS)) * _WORD_BITS)
    bounds.append(n)
    out = []
    for b in bounds:
        b = min(n, max(b, r))
        while r < b:
            e = min(b, r + cap)
            out.append((r, e))
            r = e
    return out


def sprinkle_on_cluster(points: Callable[[Any, int, int], np.ndarray], region: Any, count: int,
                        seed: int, client: Any, path: Optional[PathLike]) -> Tuple[Any, np.ndarray, int]:
    """Build the causal matrix of a sprinkling on a Dask cluster into the file ``path``.

    ``points(region, count, seed)`` gives the time-sorted coordinates; each
    worker calls it once (counter-based, so every worker gets the same
    points), then computes row blocks of C with the core's kernel and writes
    them into the shared temporary file. The relation counts of the blocks are
    summed here. Returns (the loaded causal matrix, the coordinates, R).
    """
    if client is None or path is None:
        raise ValueError("a cluster build needs both client= (a dask.distributed Client) and path= "
                         "(the .pycauset file its workers write, on a file system they share)")
    if not hasattr(client, "submit") or not hasattr(client, "gather"):
        raise TypeError(f"client must be a dask.distributed Client, got {type(client).__name__}")
    from ._storage import load

    target = os.path.abspath(os.fspath(path))
    coords = np.ascontiguousarray(points(region, count, seed))
    pending = _core.PendingFile(target, _dtypes.dtype("bit").core, 2, count, count)
    try:
        threads = sum(getattr(client, "nthreads", lambda: {})().values()) or 1
        futures = [client.submit(_causal_rows, points, region, count, seed, pending.temp_path,
                                 pending.row_stride, pending.payload_offset, r0, r1, pure=False)
                   for r0, r1 in row_blocks(count, threads)]
        relations = int(sum(client.gather(futures)))
        meta = _storage.metadata_bytes({}, {"written_by": "pycauset.sprinkle on a Dask cluster",
                              "sprinkling": {"region": repr(region), "n": count, "seed": str(seed)}})
        pending.commit(meta, _core.Structure.strictly_upper_triangular)
    except BaseException:
        pending.discard()
        raise
    causal = load(target)
    return causal, coords, relations
