# A small user script checked by mypy in the test suite (tests/python/test_typing.py).
# Each `reveal_type` line ends with the type mypy must reveal ("# R: ..."); each line
# mypy must reject ends with "# E: <error code>". Nothing else may be reported.
import numpy as np

import pycauset as pc

A = pc.zeros((3, 3))
reveal_type(A)  # R: pycauset._array.Matrix
v = pc.ones(3)
reveal_type(v)  # R: pycauset._array.Vector
reveal_type(pc.empty((4,), dtype="int8"))  # R: pycauset._array.Vector
reveal_type(pc.full((2, 2), 1.5))  # R: pycauset._array.Matrix
reveal_type(pc.identity(3))  # R: pycauset._array.Matrix
reveal_type(pc.matrix([[1, 2], [3, 4]]))  # R: pycauset._array.Matrix
reveal_type(pc.vector(np.arange(3)))  # R: pycauset._array.Vector
reveal_type(pc.load("x.pycauset"))  # R: pycauset._array.Matrix | pycauset._array.Vector | pycauset._causet.CausalSet

reveal_type(pc.linalg.inv(A))  # R: pycauset._array.Matrix
reveal_type(A @ A)  # R: pycauset._array.Matrix
reveal_type(A @ v)  # R: pycauset._array.Vector
reveal_type(v @ A)  # R: pycauset._array.Vector
reveal_type(A.T)  # R: pycauset._array.Matrix
reveal_type(A.copy())  # R: pycauset._array.Matrix
reveal_type(A[0, 0])  # R: numpy.bool[bool] | numpy.integer[Any] | numpy.floating[Any] | numpy.complexfloating[Any, Any]
reveal_type(v[1])  # R: numpy.bool[bool] | numpy.integer[Any] | numpy.floating[Any] | numpy.complexfloating[Any, Any]
reveal_type(A[0])  # R: pycauset._array.Vector
reveal_type(A[:, 1])  # R: pycauset._array.Vector
reveal_type(A[1:, :])  # R: pycauset._array.Matrix
reveal_type(v[1:])  # R: pycauset._array.Vector
reveal_type(A.flatten())  # R: pycauset._array.Vector
reveal_type(A.diagonal())  # R: pycauset._array.Vector
reveal_type(A.tolist())  # R: list[Any]
reveal_type(float(A[0, 0]))  # R: float
reveal_type(np.allclose(A, A))  # R: bool
reveal_type(A.shape)  # R: tuple[int, ...]
reveal_type(A.dtype)  # R: pycauset._dtypes.DType

A.fill(2.0)
A.fill(np.float32(1))
A.fill("oops")  # E: arg-type
pc.zeros((2, 2), dtype=None)
