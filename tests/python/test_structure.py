"""properties["structure"]: checked when set, kept true through writes, saved and loaded.

The reference for every check is NumPy on the same values (np.triu/np.tril,
A == A.T), and for the linear algebra numpy.linalg on the matrix as stored.
"""

from __future__ import annotations

import numpy as np
import pytest

import pycauset as pc

STRUCTURES = ("dense", "upper_triangular", "lower_triangular", "symmetric", "diagonal")


def holds(a: np.ndarray, structure: str) -> bool:
    """Independent oracle: does the ndarray satisfy the structure?"""
    if structure == "dense":
        return True
    if structure == "upper_triangular":
        return not np.tril(a, -1).any()
    if structure == "lower_triangular":
        return not np.triu(a, 1).any()
    if structure == "diagonal":
        return not np.tril(a, -1).any() and not np.triu(a, 1).any()
    return a.shape[0] == a.shape[1] and bool(np.array_equal(a, a.T))


def test_the_issue_example_is_refused_and_inv_stays_right(rng):
    a = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    M = pc.matrix(a)
    with pytest.raises(ValueError, match=r"cannot mark this object 'upper_triangular': element \[1, 0\]"):
        M.properties["structure"] = "upper_triangular"
    assert M.properties["structure"] == "dense"
    X = pc.linalg.inv(M)
    np.testing.assert_allclose(np.asarray(X) @ a, np.eye(4), atol=1e-12)


@pytest.mark.parametrize("bad", ["banana", "Upper_Triangular", "", None, 3])
def test_unknown_structures_are_refused_listing_the_valid_ones(bad):
    M = pc.matrix(np.eye(3))
    with pytest.raises(ValueError) as info:
        M.properties["structure"] = bad
    for name in STRUCTURES:
        assert repr(name) in str(info.value)
    assert M.properties["structure"] == "dense"


KINDS = ["upper", "lower", "diag", "sym", "full", "nan_below", "wide", "tall"]
CASES = [(d, k) for d in ["float64", "complex128", "int32", "bit"] for k in KINDS
         if not (k == "nan_below" and d in ("int32", "bit"))]  # integers have no NaN


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize(("dtype", "kind"), CASES)
def test_setting_validates_against_the_data(structure, kind, dtype, rng):
    n = 300  # more than one block of rows in the checker
    base = rng.integers(1, 5, size=(n, n)).astype(np.float64)
    a = {
        "upper": np.triu(base),
        "lower": np.tril(base),
        "diag": np.diag(np.diag(base)),
        "sym": base + base.T,
        "full": base,
        "nan_below": np.triu(base) + np.where(np.arange(n)[:, None] == np.arange(n) + 257, np.nan, 0),
        "wide": np.triu(base[:40]),
        "tall": np.tril(base[:, :40]),
    }[kind]
    if dtype == "bit" or dtype == "int32":
        a = (a != 0) if dtype == "bit" else a.astype(np.int32)
    elif dtype == "complex128":
        a = a * (1 + 1j)
    M = pc.matrix(a, dtype=None if dtype == "complex128" else dtype)
    expected = np.asarray(pc.to_numpy(M))
    if holds(expected, structure):
        M.properties["structure"] = structure
        assert M.properties["structure"] == structure
    else:
        with pytest.raises(ValueError):
            M.properties["structure"] = structure
        assert M.properties["structure"] == "dense"


def test_vectors_are_always_dense():
    v = pc.vector([1.0, 0.0])
    with pytest.raises(ValueError, match="Vector's structure is always 'dense'"):
        v.properties["structure"] = "diagonal"
    v.properties["structure"] = "dense"


def upper(n: int = 5) -> tuple:
    a = np.triu(np.arange(1.0, n * n + 1).reshape(n, n))
    U = pc.matrix(a)
    U.properties["structure"] = "upper_triangular"
    return a, U


def test_element_writes_keep_or_drop_the_mark():
    a, U = upper()
    U[0, 4] = 7.0  # inside the triangle: kept
    U[3, 1] = 0.0  # a zero below: kept
    assert U.properties["structure"] == "upper_triangular"
    U[1, 0] = 5.0  # the issue's write: dropped
    assert U.properties["structure"] == "dense"
    # With the mark gone, inv is the general inverse of what is stored.
    stored = np.asarray(U)
    np.testing.assert_allclose(np.asarray(pc.linalg.inv(U)) @ stored, np.eye(5), atol=1e-10)
    # Re-marking is checked again.
    with pytest.raises(ValueError):
        U.properties["structure"] = "upper_triangular"
    U[1, 0] = 0.0
    U.properties["structure"] = "upper_triangular"
    U[-4, -5] = 1.0  # negative indices address the same element
    assert U.properties["structure"] == "dense"


def test_symmetric_element_writes():
    S = pc.matrix([[1.0, 2.0], [2.0, 1.0]])
    S.properties["structure"] = "symmetric"
    S[0, 0] = 9.0
    assert S.properties["structure"] == "symmetric"
    S[0, 1] = 3.0
    assert S.properties["structure"] == "dense"
    S[1, 0] = 3.0
    S.properties["structure"] = "symmetric"
    assert S.properties["structure"] == "symmetric"


def test_slice_writes_fill_and_in_place_operators():
    a, U = upper()
    U[0, :] = 1.0  # the top row is inside the triangle
    assert U.properties["structure"] == "upper_triangular"
    U[2:4, 0:2] = 0.0
    assert U.properties["structure"] == "upper_triangular"
    U[4, :] = 1.0
    assert U.properties["structure"] == "dense"

    a, U = upper()
    U *= 2.0
    U += 0.0
    assert U.properties["structure"] == "upper_triangular"
    U += 1.0
    assert U.properties["structure"] == "dense"

    a, U = upper()
    U.fill(0.0)
    assert U.properties["structure"] == "upper_triangular"
    U.fill(2.0)
    assert U.properties["structure"] == "dense"
    S = pc.matrix(np.ones((3, 3)))
    S.properties["structure"] = "symmetric"
    S.fill(5.0)  # a constant matrix is still symmetric
    assert S.properties["structure"] == "symmetric"


def test_writes_through_views_and_transposes_are_seen():
    a, U = upper()
    L = U.T
    assert L.properties["structure"] == "lower_triangular"
    row = U[3]
    row[0] = 4.0  # below U's diagonal, written through a row view
    assert U.properties["structure"] == "dense"
    assert L.properties["structure"] == "dense"  # L[0, 3] is now non-zero above its diagonal

    a, U = upper()
    L = U.T
    L[2, 0] = 0.5  # below L's diagonal = above U's: both stay true
    assert U.properties["structure"] == "upper_triangular"
    assert L.properties["structure"] == "lower_triangular"
    L[0, 2] = 0.5  # = U[2, 0]: U is broken
    assert U.properties["structure"] == "dense"
    assert L.properties["structure"] == "dense"


def test_copies_carry_a_valid_mark_and_are_independent():
    a, U = upper()
    C = U.copy()
    F = U.astype("float32")
    assert C.properties["structure"] == F.properties["structure"] == "upper_triangular"
    C[4, 0] = 1.0
    assert C.properties["structure"] == "dense"
    assert U.properties["structure"] == "upper_triangular"
    M = pc.matrix(U)
    assert M.properties["structure"] == "upper_triangular"


def test_saved_structure_round_trips_and_is_checked_on_load(fast_tmp):
    a, U = upper()
    pc.save(U, fast_tmp / "u.pycauset")
    V = pc.load(fast_tmp / "u.pycauset", mode="r+")
    assert V.properties["structure"] == "upper_triangular"
    V[4, 0] = 1.0
    assert V.properties["structure"] == "dense"
    # A file whose header claims a structure its data lacks (written by an older
    # writer or edited) loads with the mark checked down to dense.
    pc.save(V, fast_tmp / "v.pycauset")
    W = pc.load(fast_tmp / "v.pycauset")
    assert W.properties["structure"] == "dense"


def test_other_keys_are_free_and_structure_cannot_be_deleted():
    M = pc.matrix(np.eye(2))
    M.properties["name"] = "I"
    M.properties.update(kind=1)
    assert dict(M.properties) == {"structure": "dense", "name": "I", "kind": 1}
    del M.properties["name"]
    with pytest.raises(KeyError):
        del M.properties["structure"]
    M.properties.clear()
    assert dict(M.properties) == {"structure": "dense"}
    assert M.properties == {"structure": "dense"}


def test_results_of_structured_operations_are_marked():
    assert pc.identity(4).properties["structure"] == "diagonal"
    U = pc.matrix([[2.0, 1.0], [0.0, 4.0]])
    assert pc.linalg.inv_triangular(U).properties["structure"] == "upper_triangular"
    L = pc.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]])
    assert L.properties["structure"] == "lower_triangular"
    L[0, 1] = 1.0
    assert L.properties["structure"] == "dense"


@pytest.mark.parametrize(
    "write",
    [
        lambda A: A.__setitem__(([1], [0]), 5.0),           # element pairs
        lambda A: A.__setitem__(np.array([2]), 7.0),        # a whole row by index array
        lambda A: A.__setitem__((slice(None), [0]), 7.0),   # a column by index list
        lambda A: A.__setitem__(A == 0, 1.0),               # a boolean mask
    ],
)
def test_index_array_and_mask_writes_break_a_triangular_mark(write):
    A = pc.matrix(np.triu(np.arange(1.0, 10.0).reshape(3, 3)))
    A.properties["structure"] = "upper_triangular"
    write(A)
    values = pc.to_numpy(A)
    expected = "upper_triangular" if np.array_equal(values, np.triu(values)) else "dense"
    assert A.properties["structure"] == expected == "dense"
    # and linalg answers for the matrix as it is now (NumPy's inverse as the oracle)
    assert np.allclose(pc.to_numpy(pc.linalg.inv(A)), np.linalg.inv(values))
