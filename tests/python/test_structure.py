"""properties["structure"]: checked when set, kept true through writes, saved and loaded.

The reference for every check is NumPy on the same values (np.triu/np.tril,
A == A.T), and for the linear algebra numpy.linalg on the matrix as stored.
"""

from __future__ import annotations

import numpy as np
import pytest

import _pcfile
import pycauset as pc

STRUCTURES = ("dense", "upper_triangular", "lower_triangular", "symmetric", "diagonal",
              "strictly_upper_triangular", "strictly_lower_triangular", "antisymmetric")


def holds(a: np.ndarray, structure: str) -> bool:
    """Independent oracle: does the ndarray satisfy the structure?"""
    if structure == "dense":
        return True
    if structure == "upper_triangular":
        return not np.tril(a, -1).any()
    if structure == "lower_triangular":
        return not np.triu(a, 1).any()
    if structure == "strictly_upper_triangular":
        return not np.tril(a).any()
    if structure == "strictly_lower_triangular":
        return not np.triu(a).any()
    if structure == "diagonal":
        return not np.tril(a, -1).any() and not np.triu(a, 1).any()
    if a.shape[0] != a.shape[1]:
        return False
    if structure == "antisymmetric":
        # exact: bool and unsigned values have no negatives but zero
        if a.dtype == bool or a.dtype.kind == "u":
            return not a.any()
        return bool(np.array_equal(a, -a.T))
    return bool(np.array_equal(a, a.T))


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


KINDS = ["upper", "lower", "diag", "sym", "full", "nan_below", "wide", "tall", "strict_upper",
         "strict_lower", "antisym", "zero"]
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
        "strict_upper": np.triu(base, 1),
        "strict_lower": np.tril(base, -1),
        "antisym": np.triu(base, 1) - np.triu(base, 1).T,
        "zero": np.zeros((n, n)),
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


# ---- the C++ mark: new structures, views, files, products, routing ---------------------------

FLIP = {"upper_triangular": "lower_triangular", "lower_triangular": "upper_triangular",
        "strictly_upper_triangular": "strictly_lower_triangular",
        "strictly_lower_triangular": "strictly_upper_triangular"}


def example(structure: str, n: int = 6, dtype=np.float64) -> np.ndarray:
    """A matrix with exactly this structure (and no stronger triangular one)."""
    base = np.arange(1, n * n + 1, dtype=np.float64).reshape(n, n) % 7 + 1
    a = {
        "dense": base,
        "upper_triangular": np.triu(base),
        "lower_triangular": np.tril(base),
        "strictly_upper_triangular": np.triu(base, 1),
        "strictly_lower_triangular": np.tril(base, -1),
        "diagonal": np.diag(np.diag(base)),
        "symmetric": base + base.T,
        "antisymmetric": np.triu(base, 1) - np.triu(base, 1).T,
    }[structure]
    return a.astype(dtype)


def test_structures_are_the_core_enum():
    from pycauset import _core
    assert tuple(s.name for s in _core.Structure) == STRUCTURES
    assert [int(s.value) for s in _core.Structure] == list(range(8))  # the file codes


@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_mark_validates_and_names_the_offender(structure):
    a = example(structure)
    M = pc.matrix(a)
    M.properties["structure"] = structure
    assert M.properties["structure"] == structure
    for other in STRUCTURES:
        M2 = pc.matrix(a)
        if holds(a, other):
            M2.properties["structure"] = other
            assert M2.properties["structure"] == other
        else:
            with pytest.raises(ValueError, match=rf"cannot mark this object '{other}': element \[\d+, \d+\]"):
                M2.properties["structure"] = other
            assert M2.properties["structure"] == "dense"


def test_strict_and_antisymmetric_messages():
    M = pc.matrix(np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match=r"element \[0, 0\] on the diagonal is non-zero"):
        M.properties["structure"] = "strictly_upper_triangular"
    A = pc.matrix([[0.0, 2.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match=r"element \[0, 1\] is not the negative of element \[1, 0\]"):
        A.properties["structure"] = "antisymmetric"
    with pytest.raises(ValueError, match="2x3 matrix cannot be antisymmetric"):
        pc.matrix(np.zeros((2, 3))).properties["structure"] = "antisymmetric"


@pytest.mark.parametrize("structure", STRUCTURES)
def test_transpose_maps_every_mark(structure):
    a = example(structure)
    M = pc.matrix(a)
    M.properties["structure"] = structure
    expected = FLIP.get(structure, structure)
    T = M.T
    assert T.properties["structure"] == expected
    assert holds(np.asarray(T), expected)
    assert M.T.T.properties["structure"] == structure


@pytest.mark.parametrize("structure", STRUCTURES)
def test_slicing_rule(structure):
    a = example(structure, 8)
    M = pc.matrix(a)
    M.properties["structure"] = structure
    keep = [(slice(2, 6), slice(2, 6)), (slice(1, 8, 3), slice(1, 8, 3)), (slice(None), slice(None))]
    drop = [(slice(0, 4), slice(1, 5)), (slice(0, 4), slice(0, 8)), (slice(0, 8, 2), slice(0, 4)),
            (slice(None, None, -1), slice(None, None, -1))]
    for key in keep:
        V = M[key]
        assert V.properties["structure"] == structure, key
        assert holds(np.asarray(V), structure)
    for key in drop:
        assert M[key].properties["structure"] == "dense", key
    assert M[2].properties["structure"] == "dense"
    # The rule also holds through a transpose.
    assert M.T[2:6, 2:6].properties["structure"] == FLIP.get(structure, structure)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("dtype", ["float64", "int16", "bit"])
def test_save_load_round_trip_every_mark(structure, dtype, fast_tmp):
    a = example(structure, 5)
    if dtype == "bit":
        a = a != 0
    elif dtype == "int16":
        a = a.astype(np.int16)
    if not holds(a, structure):  # bit: antisymmetric holds only for zeros
        a = np.zeros_like(a)
    M = pc.matrix(a)
    M.properties["structure"] = structure
    pc.save(M, fast_tmp / "m.pycauset")
    L = pc.load(fast_tmp / "m.pycauset")
    assert L.properties["structure"] == structure
    assert np.array_equal(pc.to_numpy(L), a)
    h, _, _ = _pcfile.read(fast_tmp / "m.pycauset")
    assert _pcfile.STRUCTURES[h["structure"]] == structure


@pytest.mark.parametrize("code,name", list(enumerate(STRUCTURES[:5])))
def test_files_with_the_first_codes_keep_their_meaning(code, name, fast_tmp):
    # A file written with a header structure code of the first format version
    # (patched in by the independent reader/writer of the tests).
    a = example(name, 4)
    pc.save(pc.matrix(a), fast_tmp / "d.pycauset")
    data = (fast_tmp / "d.pycauset").read_bytes()
    (fast_tmp / "old.pycauset").write_bytes(bytes(_pcfile.patch(data, structure=code)))
    assert pc.load(fast_tmp / "old.pycauset").properties["structure"] == name
    # and a code the data does not satisfy is checked down to dense
    if code:
        pc.save(pc.matrix(example("dense", 4)), fast_tmp / "x.pycauset")
        data = (fast_tmp / "x.pycauset").read_bytes()
        (fast_tmp / "bad.pycauset").write_bytes(bytes(_pcfile.patch(data, structure=code)))
        assert pc.load(fast_tmp / "bad.pycauset").properties["structure"] == "dense"


PRODUCTS = [
    ("upper_triangular", "upper_triangular", "upper_triangular"),
    ("strictly_upper_triangular", "upper_triangular", "strictly_upper_triangular"),
    ("upper_triangular", "strictly_upper_triangular", "strictly_upper_triangular"),
    ("strictly_upper_triangular", "strictly_upper_triangular", "strictly_upper_triangular"),
    ("lower_triangular", "lower_triangular", "lower_triangular"),
    ("strictly_lower_triangular", "lower_triangular", "strictly_lower_triangular"),
    ("diagonal", "diagonal", "diagonal"),
    ("diagonal", "upper_triangular", "upper_triangular"),
    ("upper_triangular", "lower_triangular", "dense"),
    ("symmetric", "symmetric", "dense"),
    ("dense", "upper_triangular", "dense"),
]


@pytest.mark.parametrize("sa,sb,expected", PRODUCTS)
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_products_carry_the_certain_structure(sa, sb, expected, dtype):
    a, b = example(sa, 7, dtype), example(sb, 7, dtype)
    A, B = pc.matrix(a), pc.matrix(b)
    A.properties["structure"] = sa
    B.properties["structure"] = sb
    P = A @ B
    assert P.properties["structure"] == expected
    assert np.array_equal(pc.to_numpy(P), a @ b)
    assert holds(a @ b, expected)


def test_bit_product_of_causal_matrices_is_strictly_upper(rng):
    c = np.triu(rng.random((130, 130)) < 0.2, 1)
    C = pc.matrix(c, structure="strictly_upper_triangular")
    P = C @ C
    assert P.dtype == pc.int32
    assert P.properties["structure"] == "strictly_upper_triangular"
    assert np.array_equal(pc.to_numpy(P), c.astype(np.int32) @ c.astype(np.int32))


def test_a_float_product_mark_is_checked_because_zero_times_inf_is_nan():
    A = pc.matrix([[1.0, 1.0], [0.0, 1.0]], structure="upper_triangular")
    B = pc.matrix([[np.inf, 1.0], [0.0, 1.0]], structure="upper_triangular")
    P = A @ B  # [1, 0] = 0 * inf + 1 * 0 = NaN
    values = pc.to_numpy(P)
    assert np.isnan(values[1, 0])
    assert P.properties["structure"] == "dense"
    Q = A @ A
    assert Q.properties["structure"] == "upper_triangular" and holds(pc.to_numpy(Q), "upper_triangular")


@pytest.mark.parametrize("structure", ["upper_triangular", "lower_triangular", "diagonal"])
@pytest.mark.parametrize("dtype", ["float64", "complex128", "float32"])
def test_inv_and_solve_route_to_the_triangular_lapack_routines(structure, dtype):
    n = 9
    a = example(structure, n).astype(dtype) + 3 * np.eye(n, dtype=dtype)
    if dtype == "complex128":
        a = a + 1j * (a != 0)
    A = pc.matrix(a, structure=structure)
    lower = structure == "lower_triangular"
    tol = 1e-5 if dtype == "float32" else 1e-12
    X = pc.linalg.inv(A)
    got = pc.to_numpy(X)
    # trtri's result: triangular (the other triangle exactly zero), marked, and NumPy's inverse
    assert X.properties["structure"] == structure
    assert holds(got, structure)
    np.testing.assert_allclose(got, np.linalg.inv(a), rtol=tol, atol=tol)
    b = np.arange(1.0, n + 1).astype(dtype)
    B = np.arange(2.0 * n).reshape(n, 2).astype(dtype)
    x, xb = pc.to_numpy(pc.linalg.solve(A, b)), pc.to_numpy(pc.linalg.solve(A, B))
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=tol, atol=tol)
    np.testing.assert_allclose(xb, np.linalg.solve(a, B), rtol=tol, atol=tol)
    try:  # LAPACK's own triangular routines, where SciPy is installed
        from scipy.linalg import lapack, solve_triangular
    except ImportError:
        return
    trtri = {"float64": lapack.dtrtri, "complex128": lapack.ztrtri, "float32": lapack.strtri}[dtype]
    ref, info = trtri(a, lower=int(lower))
    assert info == 0
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(x, solve_triangular(a, b, lower=lower), rtol=tol, atol=tol)
    np.testing.assert_allclose(xb, solve_triangular(a, B, lower=lower), rtol=tol, atol=tol)


@pytest.mark.parametrize("structure", ["strictly_upper_triangular", "strictly_lower_triangular"])
def test_strictly_triangular_inverse_and_solve_are_singular_as_in_numpy(structure):
    a = example(structure, 5)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        np.linalg.inv(a)
    A = pc.matrix(a, structure=structure)
    with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
        pc.linalg.inv(A)
    with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
        pc.linalg.solve(A, np.ones(5))
    with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
        pc.linalg.solve(A, np.ones((5, 2)))


def test_linalg_results_carry_true_marks(rng):
    g = rng.standard_normal((6, 6))
    spd = g @ g.T + 6 * np.eye(6)
    for upper in (False, True):
        C = pc.linalg.cholesky(spd, upper=upper)
        s = "upper_triangular" if upper else "lower_triangular"
        assert C.properties["structure"] == s and holds(pc.to_numpy(C), s)
    for lower in (False, True):
        X = pc.linalg.inv_triangular(g + 6 * np.eye(6), lower=lower)  # the other triangle is ignored
        s = "lower_triangular" if lower else "upper_triangular"
        assert X.properties["structure"] == s and holds(pc.to_numpy(X), s)
    R = pc.linalg.qr(g).R
    assert R.properties["structure"] == "upper_triangular" and holds(pc.to_numpy(R), "upper_triangular")
    D = pc.linalg.inv(pc.matrix(np.diag([2.0, 4.0, 8.0]), structure="diagonal"))
    assert D.properties["structure"] == "diagonal"
    np.testing.assert_array_equal(pc.to_numpy(D), np.diag([0.5, 0.25, 0.125]))


WRITES = {
    "element": lambda M: M.__setitem__((3, 1), 5.0),
    "element_negative": lambda M: M.__setitem__((-1, 0), 5.0),
    "row_slice": lambda M: M.__setitem__((4, slice(None)), 1.0),
    "block_ndarray": lambda M: M.__setitem__((slice(2, 4), slice(0, 2)), np.ones((2, 2))),
    "fill": lambda M: M.fill(3.0),
    "iadd": lambda M: M.__iadd__(1.0),
    "pairs": lambda M: M.__setitem__(([3], [1]), 5.0),
    "rows_by_index": lambda M: M.__setitem__(np.array([1]), 7.0),
    "column_by_list": lambda M: M.__setitem__((slice(None), [0]), 7.0),
    "mask": lambda M: M.__setitem__(M == 0, 1.0),
    "row_view": lambda M: M[5].__setitem__(0, 2.0),
    "transposed_view": lambda M: M.T.__setitem__((0, 4), 2.0),
    "sub_block_view": lambda M: M[1:4, 1:4].__setitem__((2, 0), 2.0),
    "assign_pc": lambda M: M.__setitem__(slice(None), pc.matrix(np.ones((6, 6)))),
}
HARMLESS = {
    "element_in_triangle": lambda M: M.__setitem__((1, 3), 5.0),
    "zero_below": lambda M: M.__setitem__((3, 1), 0.0),
    "fill_zero": lambda M: M.fill(0.0),
    "scale": lambda M: M.__imul__(2.0),
    "sub_block_in_triangle": lambda M: M[1:4, 1:4].__setitem__((0, 2), 2.0),
    "transposed_below": lambda M: M.T.__setitem__((4, 0), 2.0),
}


@pytest.mark.parametrize("write", list(WRITES) + list(HARMLESS))
@pytest.mark.parametrize("structure", ["strictly_upper_triangular", "upper_triangular"])
def test_every_write_path_keeps_the_mark_true(write, structure):
    M = pc.matrix(example(structure))
    M.properties["structure"] = structure
    T = M.T
    V = M[1:5, 1:5]
    (WRITES.get(write) or HARMLESS[write])(M)
    values = pc.to_numpy(M)
    expected = structure if holds(values, structure) else "dense"
    if write in WRITES:
        assert expected == "dense"  # the write did break it
    elif write != "fill_zero" or structure != "strictly_upper_triangular":
        assert expected == structure
    assert M.properties["structure"] == expected
    # views made before the write see it too
    assert T.properties["structure"] == (FLIP[structure] if holds(values.T, FLIP[structure]) else "dense")
    assert V.properties["structure"] == (structure if holds(values[1:5, 1:5], structure) else "dense")
    # and linalg answers for the matrix as it is now
    if expected == "dense":
        B = pc.matrix(values + 8 * np.eye(6))
        assert B.properties["structure"] == "dense"


def test_writes_through_a_sub_block_view_are_checked_in_its_coordinates():
    M = pc.matrix(example("upper_triangular", 6), structure="upper_triangular")
    V = M[2:5, 2:5]
    V[0, 2] = 9.0  # above V's diagonal (= M[2, 4])
    assert V.properties["structure"] == "upper_triangular"
    assert M.properties["structure"] == "upper_triangular"
    V[2, 0] = 9.0  # below (= M[4, 2])
    assert V.properties["structure"] == "dense"
    assert M.properties["structure"] == "dense"


def test_matrix_factory_takes_a_checked_mark():
    U = pc.matrix(np.triu(np.ones((3, 3)), 1), structure="strictly_upper_triangular")
    assert U.properties["structure"] == "strictly_upper_triangular"
    with pytest.raises(ValueError, match=r"element \[1, 0\] below the diagonal"):
        pc.matrix(np.ones((3, 3)), structure="upper_triangular")
    with pytest.raises(ValueError, match="unknown structure"):
        pc.matrix(np.eye(2), structure="triangular")
    # no detection: without the keyword an upper-triangular import is dense
    assert pc.matrix(np.triu(np.ones((3, 3)))).properties["structure"] == "dense"
    # a pycauset source's mark comes along, and copies keep it
    assert pc.matrix(U).properties["structure"] == "strictly_upper_triangular"
    assert U.astype("bit").properties["structure"] == "strictly_upper_triangular"
    assert U.copy().properties["structure"] == "strictly_upper_triangular"


def test_pickle_and_copy_keep_new_marks():
    import copy
    import pickle
    A = pc.matrix(example("antisymmetric"), structure="antisymmetric")
    for B in (pickle.loads(pickle.dumps(A)), copy.copy(A), copy.deepcopy(A)):
        assert B.properties["structure"] == "antisymmetric"


@pytest.fixture
def tiny_budget(tmp_path, monkeypatch):
    """A 1 MiB budget (spill files under tmp_path) and a log of the progress reports."""
    import gc

    import pycauset._progress as progress_mod

    gc.collect()
    old = pc.get_memory_limit()
    pc.set_backing_dir(tmp_path)
    reports: list = []
    real = progress_mod.report

    def record(what, fraction):
        reports.append(what)
        real(what, fraction)

    monkeypatch.setattr(progress_mod, "report", record)
    pc.set_memory_limit(1 << 20)
    yield reports
    gc.collect()
    pc.set_memory_limit(old)


def test_out_of_core_routing_follows_the_c_mark(tiny_budget):
    n = 420  # 1.4 MB of float64: past the budget
    rng = np.random.default_rng(5)
    lo = np.tril(rng.random((n, n)) < 0.02, -1) * rng.standard_normal((n, n)) + np.diag(1.5 + rng.random(n))
    L = pc.matrix(lo, structure="lower_triangular")
    X = pc.linalg.inv(L)
    assert "inv_triangular" in tiny_budget  # the tiled triangular routine ran
    assert X.properties["structure"] == "lower_triangular"
    np.testing.assert_allclose(pc.to_numpy(X) @ lo, np.eye(n), atol=1e-10)
    b = rng.standard_normal((n, 3))
    tiny_budget.clear()
    x = pc.linalg.solve(L, b)
    assert "solve_triangular" in tiny_budget
    np.testing.assert_allclose(pc.to_numpy(x), np.linalg.solve(lo, b), rtol=1e-10, atol=1e-10)
    S = pc.matrix(np.tril(lo, -1), structure="strictly_lower_triangular")
    tiny_budget.clear()
    with pytest.raises(pc.linalg.LinAlgError, match="Singular matrix"):
        pc.linalg.inv(S)
    assert "inv_triangular" in tiny_budget
