"""pycauset: NumPy for causal sets.

Matrices and vectors that live in RAM or memory-mapped files, with a C++20
engine, BLAS/LAPACK linear algebra, and NumPy interop that never silently
materialises a huge array.

>>> import numpy as np, pycauset as pc
>>> A = pc.matrix(np.random.rand(3, 2))
>>> np.asarray(A).shape
(3, 2)
"""

from __future__ import annotations

from . import _core, continuum, linalg, spacetime
from ._array import Matrix, Storage, Vector
from ._dtypes import (
    DType,
    bit,
    bool_,
    complex64,
    complex128,
    complex_float32,
    complex_float64,
    dtype,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._causet import CausalSet, causet, sprinkle
from ._dask import from_dask, to_dask
from ._errors import ExportGuardError
from ._export import get_export_max_bytes, set_export_max_bytes, to_numpy
from ._factories import empty, full, identity, matrix, ones, vector, zeros
from ._ops import conj, count_nonzero, dot, matmul, mean, sum, trace, transpose
from .linalg import det, eig, eigh, eigvals, eigvalsh, inv, norm, slogdet, solve
from ._storage import (
    FormatError,
    convert_file,
    get_backing_dir,
    get_disk_reserve,
    get_memory_limit,
    load,
    memory_info,
    save,
    set_backing_dir,
    set_disk_reserve,
    set_memory_limit,
)
from ._progress import get_progress, set_progress
from ._threads import blas_info, get_num_threads, set_num_threads
from . import _array, _causet_io, _indexing, _ops, _pickle, _properties, _storage

# _array imports no module above it; the ones implementing some of its methods
# are handed to it here (see the _array module doc).
_array.install(ops=_ops, indexing=_indexing, properties=_properties, pickle=_pickle)
_storage.install(causet_io=_causet_io)  # save/load of causal sets (docs/format.md)

try:  # written by the build from pyproject.toml (see [[tool.scikit-build.generate]])
    from ._version import __version__
except ImportError:  # a source tree that was never built: no version to report
    __version__ = "0+unknown"

__all__ = [
    "get_progress",
    "set_progress",
    "linalg", "spacetime", "continuum", "CausalSet", "sprinkle", "causet", "to_dask", "from_dask", "DType", "Matrix", "Vector", "Storage", "ExportGuardError",
    "dtype", "bit", "bool_", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64",
    "complex_float32", "complex_float64", "complex64", "complex128",
    "matrix", "vector", "zeros", "ones", "empty", "full", "identity",
    "to_numpy", "set_export_max_bytes", "get_export_max_bytes",
    "matmul", "dot", "sum", "mean", "trace", "count_nonzero", "transpose", "conj",
    "inv", "solve", "det", "slogdet", "eigh", "eigvalsh", "eig", "eigvals", "norm",
    "get_num_threads", "set_num_threads", "blas_info",
    "FormatError", "save", "load", "convert_file",
    "set_memory_limit", "get_memory_limit", "set_backing_dir", "get_backing_dir",
    "set_disk_reserve", "get_disk_reserve", "memory_info",
]

# Keep the package namespace to its public names: drop what the imports above
# bound only for internal use.
for _name in ("annotations",):
    globals().pop(_name, None)
del _name
