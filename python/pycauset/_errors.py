"""Exception classes of pycauset."""

from __future__ import annotations

__all__ = ["ExportGuardError"]


class ExportGuardError(ValueError):
    """An export to NumPy was refused to avoid materialising a large object in RAM.

    Raised by ``np.asarray(obj)``, ``np.array(obj)`` and ``pycauset.to_numpy(obj)``
    when the object is file- or spill-backed, or when the export is larger than
    the cap set with :func:`pycauset.set_export_max_bytes`. Also raised by
    ``to_numpy(obj, allow_huge=True)`` when the copy would not fit in available
    memory. Subclasses ``ValueError``. Nothing is allocated when it is raised.

    To export anyway call ``pycauset.to_numpy(obj, allow_huge=True)``, or export a
    slice: ``pycauset.to_numpy(obj[:1000, :1000])``.
    """
