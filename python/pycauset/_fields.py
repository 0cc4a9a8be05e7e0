"""Fields on causal sets: retarded propagators, the Benincasa-Dowker d'Alembertian,
the Pauli-Jordan function, the Sorkin-Johnston (SJ) vacuum and entanglement entropy.

The logic behind the ``CausalSet`` methods of the same names (docs/fields.md
gives every normalisation, sign convention and source). Elements are labelled
in time order, so the causal matrix C is strictly upper-triangular and every
retarded object here (``K[x, y] != 0`` only for y before x) is lower-triangular.

Conventions: signature (-, +, ..., +), so the d'Alembertian is
``box = -d_t**2 + laplacian`` and the massive field obeys ``(box - m**2) phi = 0``
(a retarded Green function G with ``(-box + m**2) G = delta``; in 2-d
``G = theta(t) theta(tau**2) J_0(m tau) / 2``). The density rho enters through
sums over elements standing for ``rho * integral dV``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Union

import numpy as np

from . import _core, _progress, continuum, linalg
from ._array import Matrix, Vector
from ._factories import matrix as _matrix
from ._factories import vector as _vector
from ._factories import zeros as _zeros
from ._export import to_numpy as _to_numpy
from ._ops import matmul as _matmul
from .spacetime import Region

__all__ = [
    "massless_propagator",
    "retarded_propagator",
    "dalembertian",
    "pauli_jordan",
    "pauli_jordan_spectrum",
    "sj_wightman",
    "sorkin_yazdi_cutoff",
    "entanglement_entropy",
]

# Bytes of NumPy scratch per block of rows in the d'Alembertian build.
_BLOCK_BYTES = 64 << 20


# ------------------------------------------------------------------ arguments


def _dimension(cs: Any, dim: Optional[int]) -> int:
    if dim is None:
        if cs.region is None:
            raise ValueError("this causal set has no region: pass its dimension, e.g. dim=2")
        return int(cs.region.dim)
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 2:
        raise ValueError(f"dim must be an integer >= 2, got {dim!r}")
    return int(dim)


def _density(cs: Any, density: Optional[float]) -> float:
    if density is None:
        if cs.density is None:
            raise ValueError("this causal set has no density (it was not sprinkled): pass density=...")
        return float(cs.density)
    if isinstance(density, bool) or not isinstance(density, numbers.Real) or not math.isfinite(density) \
            or density <= 0:
        raise ValueError(f"density must be a positive finite number, got {density!r}")
    return float(density)


def _mass(mass: Any) -> float:
    if isinstance(mass, bool) or not isinstance(mass, numbers.Real) or not math.isfinite(mass) or mass < 0:
        raise ValueError(f"mass must be a non-negative finite number, got {mass!r}")
    return float(mass)


# ------------------------------------------------------------------ propagators


def massless_propagator(cs: Any, dim: Optional[int] = None, density: Optional[float] = None) -> Matrix:
    """K_0: ``C^T / 2`` in 2-d, ``sqrt(rho / 6) / (2 pi) L^T`` in 4-d (float64, strictly lower-triangular)."""
    k = _scaled_massless(cs, dim, density, 1.0)
    # C and L are strictly upper-triangular by construction: no pass over k to check it.
    k._h.assume_structure(_core.Structure.strictly_lower_triangular)
    return k


def _scaled_massless(cs: Any, dim: Optional[int], density: Optional[float], factor: float,
                     diagonal: float = 0.0) -> Matrix:
    """``factor * K_0 + diagonal * I`` in one pass over C (or L): no separate K_0 buffer to scale
    afterwards, and no second pass to write the diagonal."""
    d = _dimension(cs, dim)
    if d == 2:
        scale, base = 0.5, cs.causal_matrix
    elif d == 4:
        scale, base = math.sqrt(_density(cs, density) / 6.0) / (2.0 * math.pi), cs.link_matrix
    elif d == 3:
        raise NotImplementedError(
            "the retarded propagator is available in d = 2 and 4: in d = 3 the continuum Green function "
            "(theta(tau**2) / (2 pi tau)) is neither constant on the light cone nor supported on it, and no "
            "discretisation in terms of C or L has been settled"
        )
    else:
        raise NotImplementedError(
            f"the retarded propagator is available in d = 2 and 4 (C^T / 2 and sqrt(rho/6) L^T / (2 pi)), "
            f"not d = {d}"
        )
    # bit * Python float is float64 inside the lazy expression: no float64 copy of C is made.
    k = base.T * float(scale * factor)
    if diagonal != 0.0:
        # (i == j) from a column and a row of indices, broadcast inside the same pass.
        n = len(cs)
        i = _matrix(np.arange(n, dtype=np.int64).reshape(n, 1))
        k = k + (i == i.T) * diagonal
    return k.eval()


def retarded_propagator(cs: Any, mass: float = 0.0, dim: Optional[int] = None,
                        density: Optional[float] = None) -> Matrix:
    """K_R (see `CausalSet.retarded_propagator`)."""
    m = _mass(mass)
    if m == 0.0 or len(cs) == 0:
        return massless_propagator(cs, dim, density)
    a = m * m / _density(cs, density)
    # K_m = K_0 (I + a K_0)^-1 = (I - G) / a with G = (I + a K_0)^-1. For
    # H = -a (I + a K_0), H^-1 = -G / a, so K_m = H^-1 + I / a: below the
    # diagonal K_m *is* H^-1, and its diagonal is 0. So one non-unit
    # triangular inverse computed in H's own storage (recursive TRMM halving in
    # RAM, the out-of-core triangular inverse past the budget) is the whole
    # work: one N x N float64 buffer, and no pass over the result afterwards.
    h = _scaled_massless(cs, dim, density, -a * a, diagonal=-a)
    k = linalg.inv_triangular(h, lower=True, overwrite_a=True)
    del h
    k._h.diagonal().fill(0.0)
    # Zero above the diagonal (written by the inverse) and on it (just written).
    k._h.assume_structure(_core.Structure.strictly_lower_triangular)
    return k


# ------------------------------------------------------------------ d'Alembertian


def dalembertian(cs: Any, epsilon: Optional[float] = None, dim: Optional[int] = None,
                 density: Optional[float] = None) -> Matrix:
    """The Benincasa-Dowker operator B (see `CausalSet.dalembertian`)."""
    d = _dimension(cs, dim)
    k = continuum.bd_coefficients(d)  # ValueError outside 2..6
    rho = _density(cs, density)
    n = len(cs)
    eps = 1.0 if epsilon is None else continuum._epsilon(epsilon)
    scale = (eps * rho) ** (2.0 / d)
    # weight[s]: the coefficient of phi(y) for y before x with s elements between them.
    if eps == 1.0:
        weight = np.zeros(max(n, 1), dtype=np.float64)
        cs_ = [float(c) for c in k.c]
        weight[: min(len(cs_), n)] = cs_[: min(len(cs_), n)]
        weight *= scale * k.beta
    else:
        weight = scale * k.beta * eps * np.asarray(continuum.bd_smearing(d, np.arange(max(n, 1)), eps))
    b = _zeros((n, n), dtype="float64")
    if n == 0:
        b.properties["structure"] = "lower_triangular"
        return b
    c = cs.causal_matrix
    rows = max(1, min(n, _BLOCK_BYTES // (24 * n)))
    _progress.report("dalembertian", 0.0)
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        # between[y, j] = |{z : y < z < x}| for x = r0 + j (a bit product, exact).
        # Blocks are bounded by _BLOCK_BYTES: export them even when C or the
        # product lives in a spill file.
        between = _to_numpy(_matmul(c, c[:, r0:r1]), allow_huge=True)
        related = _to_numpy(c[:, r0:r1], allow_huge=True)
        block = np.where(related, weight[between], 0.0).T
        block[np.arange(r1 - r0), np.arange(r0, r1)] = scale * k.alpha
        b[r0:r1, :] = block
        _progress.report("dalembertian", r1 / n)
    b.properties["structure"] = "lower_triangular"
    return b


# ------------------------------------------------------------------ Pauli-Jordan and SJ


def pauli_jordan(cs: Any, mass: float = 0.0, dim: Optional[int] = None,
                 density: Optional[float] = None) -> Matrix:
    """Delta = K_R - K_R^T (see `CausalSet.pauli_jordan`)."""
    k = retarded_propagator(cs, mass, dim, density)
    delta = (k - k.T).eval()
    del k
    delta.properties["structure"] = "antisymmetric"
    return delta


def pauli_jordan_spectrum(cs: Any, mass: float = 0.0, eigenvectors: bool = False, dim: Optional[int] = None,
                          density: Optional[float] = None) -> Union[Vector, "linalg.AntisymmetricEighResult"]:
    """Eigenvalues (and eigenvectors) of i Delta in real arithmetic."""
    return linalg.eigh_antisymmetric(pauli_jordan(cs, mass, dim, density), eigenvectors=eigenvectors)


def sorkin_yazdi_cutoff(n: int) -> float:
    """sqrt(n) / (4 pi): the smallest eigenvalue of i Delta the Sorkin-Yazdi truncation keeps."""
    return math.sqrt(n) / (4.0 * math.pi)


def _cutoff(cutoff: Any, n: int) -> float:
    if cutoff is None:
        return 0.0
    if isinstance(cutoff, str):
        if cutoff == "sorkin_yazdi":
            return sorkin_yazdi_cutoff(n)
        raise ValueError(f"unknown cutoff {cutoff!r}: use None, 'sorkin_yazdi' or a number")
    if isinstance(cutoff, bool) or not isinstance(cutoff, numbers.Real) or not math.isfinite(cutoff) \
            or cutoff < 0:
        raise ValueError(f"cutoff must be None, 'sorkin_yazdi' or a non-negative number, got {cutoff!r}")
    return float(cutoff)


def _positive_part(w: np.ndarray, v: Matrix, cut: float) -> Matrix:
    """sum over eigenvalues w > cut of w v v^H, from the eigenpairs of i Delta (ascending w)."""
    n = v.shape[0]
    keep = np.flatnonzero(w > cut)
    if keep.size == 0:
        return _zeros((n, n), dtype="complex128")
    lo = int(keep[0])  # ascending: the kept ones are the last columns
    vp = v[:, lo:]
    scaled = (vp * _vector(w[lo:].astype(v.dtype.numpy))).eval()
    out = _matmul(scaled, vp.conj().T)
    return out


def sj_wightman(cs: Any, cutoff: Any = None, mass: float = 0.0, dim: Optional[int] = None,
                density: Optional[float] = None) -> Matrix:
    """The SJ Wightman function W (see `CausalSet.sj_wightman`)."""
    cut = _cutoff(cutoff, len(cs))
    w, v = pauli_jordan_spectrum(cs, mass, True, dim, density)
    return _positive_part(np.asarray(w), v, cut)


def _region_indices(cs: Any, region: Any) -> np.ndarray:
    n = len(cs)
    if isinstance(region, Region):
        if cs.coordinates is None:
            raise ValueError("a region needs coordinates: this causal set has none; pass a boolean mask")
        if region.dim != cs.coordinates.shape[1]:
            raise ValueError(f"the region is {region.dim}-dimensional, the causal set's points are "
                             f"{cs.coordinates.shape[1]}-dimensional")
        mask = np.asarray(region.contains(np.asarray(cs.coordinates)), dtype=bool)
    else:
        mask = np.asarray(region)
        if mask.dtype != np.bool_:
            raise TypeError(f"region must be a boolean mask of length {n} or a pycauset.spacetime region, "
                            f"got an array of dtype {mask.dtype}")
        if mask.shape != (n,):
            raise ValueError(f"the region mask must have shape ({n},), got {mask.shape}")
    return np.flatnonzero(mask)


def sj_generalised_eigenvalues(cs: Any, region: Any, truncation: Optional[str] = "sorkin_yazdi",
                               mass: float = 0.0, dim: Optional[int] = None,
                               density: Optional[float] = None) -> np.ndarray:
    """The mu of W_R v = mu i Delta_R v on the image of i Delta_R, ascending (see `entanglement_entropy`)."""
    if truncation not in (None, "sorkin_yazdi"):
        raise ValueError(f"unknown truncation {truncation!r}: use 'sorkin_yazdi' or None")
    idx = _region_indices(cs, region)
    n = len(cs)
    if idx.size == 0:
        return np.zeros(0)
    delta = pauli_jordan(cs, mass, dim, density)
    w, v = linalg.eigh_antisymmetric(delta, eigenvectors=True)
    w = np.asarray(w)
    W = _positive_part(w, v, sorkin_yazdi_cutoff(n) if truncation else 0.0)
    del v
    sub = np.ix_(idx, idx)
    W_R = np.asarray(W)[sub]
    del W
    delta_r = np.asarray(delta)[sub]
    s, u = linalg.eigh_antisymmetric(delta_r, eigenvectors=True)
    s, u = np.asarray(s), np.asarray(u)
    if truncation:
        keep = np.abs(s) > sorkin_yazdi_cutoff(idx.size)
    else:  # only the kernel of i Delta_R (numerically zero eigenvalues) is left out
        keep = np.abs(s) > np.abs(s).max(initial=0.0) * idx.size * np.finfo(np.float64).eps
    s, u = s[keep], u[:, keep]
    m = (u.conj().T @ W_R @ u) / s[:, None]  # diag(s)^-1 U^H W_R U
    mu = np.linalg.eigvals(m)
    return np.sort(mu.real)


def entanglement_entropy(cs: Any, region: Any, truncation: Optional[str] = "sorkin_yazdi",
                         mass: float = 0.0, dim: Optional[int] = None,
                         density: Optional[float] = None) -> float:
    """S = sum mu ln|mu| (see `CausalSet.entanglement_entropy`)."""
    mu = sj_generalised_eigenvalues(cs, region, truncation, mass, dim, density)
    nz = mu[mu != 0.0]
    return float(np.sum(nz * np.log(np.abs(nz))))
