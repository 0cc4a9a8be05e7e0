"""Lazy, fused elementwise expressions.

``A + 2*B - C`` builds a small expression tree instead of computing anything.
The result is an ordinary Matrix or Vector whose values are computed in one
fused, tiled, multithreaded pass (the C++ ``evaluate`` kernel) the first time
something needs them: indexing, export, save, printing, a reduction or matmul,
a write, or an explicit ``.eval()``.

The rule when operands change: an unevaluated expression always gives the
values NumPy's eager evaluation would have given. Writing to an object through
pycauset (item or slice assignment, ``fill``) first evaluates every pending
expression that reads that object's storage. NumPy operands are copied when the
expression is built.
"""

from __future__ import annotations

import weakref
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _core, _dtypes
from ._dtypes import DType

__all__ = ["Node", "operand", "scalar", "apply", "evaluate", "before_write"]

#: Expressions with more nodes than this evaluate their largest input first,
#: which bounds per-thread scratch memory and interpreter overhead.
MAX_NODES = 48


class Node:
    """One node of an expression tree (immutable once built)."""

    __slots__ = ("op", "compute", "compute_rhs", "result", "children", "handle", "value", "shape",
                 "count")

    def __init__(self, op: str, compute: DType, result: DType, shape: tuple,
                 children: Tuple["Node", ...] = (), handle: Any = None, value: Any = None,
                 compute_rhs: Optional[DType] = None) -> None:
        self.op = op
        self.compute = compute
        self.compute_rhs = compute if compute_rhs is None else compute_rhs
        self.result = result
        self.shape = shape
        self.children = children
        self.handle = handle
        self.value = value
        self.count = 1 + sum(c.count for c in children)


def operand(handle: Any) -> Node:
    d = _dtypes.dtype(handle.dtype)
    return Node("operand", d, d, handle.shape, handle=handle)


def scalar(value: Any, dtype: DType) -> Node:
    return Node("scalar", dtype, dtype, (), value=value)


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """NumPy broadcasting of two shapes of rank <= 2; ValueError when incompatible."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ValueError(f"operands could not be broadcast together with shapes {a} {b}") from None


def apply(op: str, compute: DType, result: DType, *children: Node,
          compute_rhs: Optional[DType] = None) -> Node:
    shape: tuple = ()
    for c in children:
        shape = broadcast_shape(shape, c.shape)
    return Node(op, compute, result, shape, tuple(children), compute_rhs=compute_rhs)


# ---- evaluation ------------------------------------------------------------------


def evaluate(node: Node) -> Any:
    """Compute a tree into a new C++ Array (RAM, or spill past the memory budget)."""
    shape = node.shape
    out = _core.Array.empty(list(shape), node.result.core, False)
    if node.op == "operand" and node.handle.shape == shape and node.handle.dtype == node.result.name:
        out.assign(node.handle)
        return out
    tuples: List[tuple] = []
    operands: List[Any] = []
    seen: Dict[int, int] = {}

    def visit(n: Node) -> int:
        kids = [visit(c) for c in n.children]
        index = -1
        if n.op == "operand":
            key = id(n.handle)
            if key not in seen:
                h = n.handle
                if h.shape != shape:
                    h = h.broadcast_to(shape)
                seen[key] = len(operands)
                operands.append(h)
            index = seen[key]
        lhs = kids[0] if kids else -1
        rhs = kids[1] if len(kids) > 1 else -1
        value = n.value if n.op == "scalar" else None
        tuples.append((getattr(_core.ExprOp, n.op), n.compute.core, n.compute_rhs.core, n.result.core,
                       lhs, rhs, index, value))
        return len(tuples) - 1

    visit(node)
    _core.evaluate(tuples, operands, out)
    return out


# ---- the write barrier -----------------------------------------------------------

# storage address -> {id(lazy object): weak reference}
_pending: Dict[int, Dict[int, "weakref.ref[Any]"]] = {}


def leaves(node: Node) -> List[Any]:
    if node.op == "operand":
        return [node.handle]
    out: List[Any] = []
    for c in node.children:
        out.extend(leaves(c))
    return out


def register(obj: Any, node: Node) -> None:
    """Remember that lazy `obj` reads the storage of every operand of `node`."""
    for h in leaves(node):
        bucket = _pending.setdefault(h.storage_address, {})
        key = id(obj)
        bucket[key] = weakref.ref(obj, lambda _, a=h.storage_address, k=key: _forget(a, k))


def _forget(address: int, key: int) -> None:
    bucket = _pending.get(address)
    if bucket is not None:
        bucket.pop(key, None)
        if not bucket:
            _pending.pop(address, None)


def unregister(obj: Any, node: Node) -> None:
    for h in leaves(node):
        _forget(h.storage_address, id(obj))


def before_write(handle: Any) -> None:
    """Evaluate every pending expression that reads `handle`'s storage."""
    bucket = _pending.get(handle.storage_address)
    if not bucket:
        return
    for ref in list(bucket.values()):
        obj = ref()
        if obj is not None:
            obj._materialized()


def pending_count() -> int:
    """Number of unevaluated expressions being tracked (for tests)."""
    return sum(len(b) for b in _pending.values())


def optional_handle(obj: Any) -> Optional[Any]:
    return getattr(obj, "_hv", None)
