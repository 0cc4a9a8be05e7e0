"""Causal sets: sprinkling into spacetime regions, causal and link matrices, estimators.

Conventions (docs/causets.md): elements are labelled in increasing coordinate
time, so the causal matrix ``C`` (``C[i, j] = 1`` iff element i precedes j) is
strictly upper-triangular; the relation is causal (light-like pairs are
related). The heavy work (building C, links) runs in the C++ core
(``causet/causal.hpp``); this module draws the points and holds the results.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional

import numpy as np

from . import _core, _random, continuum
from ._array import Matrix
from ._export import to_numpy
from ._factories import matrix
from ._ops import count_nonzero
from ._ops import sum as _sum
from .spacetime import Region

__all__ = ["CausalSet", "sprinkle", "causet"]


def _upper(handle: Any) -> Matrix:
    """A bit Matrix over ``handle`` (the core marks it strictly upper-triangular)."""
    return Matrix._wrap(handle)


class CausalSet:
    """A finite causal set: N elements in a time order, with their causal matrix.

    Made by `sprinkle` (points in a spacetime region) or `causet` (a given
    relation). Matrices are computed on first use and kept.

    Attributes
    ----------
    region : Region or None
        Where the points were sprinkled (None for `causet`).
    seed : int or None
        The seed that reproduces the sprinkling bit for bit.
    mode : {"n", "density"} or None
        Fixed number of points, or a Poisson number with the given density.
    density : float or None
        Points per unit volume (for a fixed-N sprinkling, N / volume).

    Examples
    --------
    >>> import pycauset as pc
    >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=200, seed=1)
    >>> len(cs), cs.causal_matrix.dtype
    (200, pycauset.bit)
    >>> 1.5 < cs.dimension("myrheim_meyer") < 2.5
    True
    """

    def __init__(self) -> None:
        raise TypeError("create a CausalSet with pycauset.sprinkle(region, ...) or pycauset.causet(relation)")

    @classmethod
    def _make(cls, causal: Matrix, coordinates: Optional[Matrix] = None, region: Optional[Region] = None,
              seed: Optional[int] = None, mode: Optional[str] = None, density: Optional[float] = None) -> "CausalSet":
        obj = object.__new__(cls)
        obj._causal = causal
        obj._links: Optional[Matrix] = None
        obj._relations: Optional[int] = None
        obj.coordinates = coordinates
        obj.region = region
        obj.seed = seed
        obj.mode = mode
        obj.density = density
        return obj

    # ------------------------------------------------------------ basic facts

    def __len__(self) -> int:
        return int(self._causal.shape[0])

    def __repr__(self) -> str:
        parts = [f"n={len(self)}"]
        if self.region is not None:
            parts.append(f"region={self.region!r}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.mode == "density":
            parts.append(f"density={self.density!r}")
        return f"pycauset.CausalSet({', '.join(parts)})"

    @property
    def causal_matrix(self) -> Matrix:
        """The N x N bit matrix C, C[i, j] = 1 iff element i precedes j (strictly upper-triangular)."""
        return self._causal

    @property
    def link_matrix(self) -> Matrix:
        """The bit matrix of links (covering relations): C[i, j] with nothing between i and j.

        Equal to ``C & ~(C @ C > 0)``; computed by OR-ing the futures of each
        element's links only, O(links * N / 64).
        """
        if self._links is None:
            self._links = _upper(_core.link_matrix(self._causal._h, False))
        return self._links

    @property
    def relations(self) -> int:
        """R, the number of related pairs (ones in C)."""
        if self._relations is None:
            self._relations = _count(self._causal)
        return self._relations

    @property
    def links(self) -> int:
        """The number of links (N_0)."""
        return _count(self.link_matrix)

    @property
    def ordering_fraction(self) -> float:
        """r = R / C(N, 2); its continuum value is ``pc.continuum.ordering_fraction(d)``."""
        n = len(self)
        if n < 2:
            raise ValueError(f"the ordering fraction needs at least 2 elements, the set has {n}")
        return self.relations / (n * (n - 1) / 2)

    def interval_abundances(self, kmax: int = 3) -> np.ndarray:
        """N_0..N_kmax: how many related pairs have exactly k elements between them.

        N_0 is the number of links. Pairs whose interval holds more than
        ``kmax`` elements are not counted (the count stops early for them).

        Parameters
        ----------
        kmax : int
            Largest interval size counted (>= 0).

        Returns
        -------
        numpy.ndarray of int64, shape (kmax + 1,)

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> pc.causet(np.triu(np.ones((4, 4), dtype=bool), 1)).interval_abundances(3).tolist()
        [3, 2, 1, 0]
        """
        if isinstance(kmax, bool) or not isinstance(kmax, numbers.Integral) or kmax < 0:
            raise ValueError(f"kmax must be a non-negative integer, got {kmax!r}")
        return np.asarray(_core.interval_abundances(self._causal._h, int(kmax)), dtype=np.int64)

    def action(self, epsilon: Optional[float] = None, dim: Optional[int] = None) -> float:
        """The Benincasa-Dowker action, in units of the discreteness length.

        d = 2: ``S = 2 (N - 2 N_0 + 4 N_1 - 2 N_2)`` (its mean is exactly 2 for
        every N in a fixed-N 2-d diamond); d = 4:
        ``S = (4 / sqrt(6)) (N - N_0 + 9 N_1 - 16 N_2 + 8 N_3)`` (Benincasa and
        Dowker, arXiv:1001.2725).

        Parameters
        ----------
        epsilon : None
            The smeared (non-local) action is not available: only None.
        dim : int, optional
            Dimension whose coefficients are used; default the region's (needed
            for a set made by `causet`).

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> pc.causet(np.triu(np.ones((5, 5), dtype=bool), 1)).action(dim=2)   # N=5, N_k = 4, 3, 2
        10.0
        """
        if epsilon is not None:
            raise NotImplementedError("the smeared action (epsilon) is not available; call action() without epsilon")
        d = dim if dim is not None else (self.region.dim if self.region is not None else None)
        if d is None:
            raise ValueError("this causal set has no region: pass dim=2 or dim=4")
        n = len(self)
        if d == 2:
            a = self.interval_abundances(2)
            return float(2 * (n - 2 * a[0] + 4 * a[1] - 2 * a[2]))
        if d == 4:
            a = self.interval_abundances(3)
            return float(4 / math.sqrt(6) * (n - a[0] + 9 * a[1] - 16 * a[2] + 8 * a[3]))
        raise NotImplementedError(f"the action is available in d = 2 and 4, not d = {d}")

    def longest_chain(self) -> int:
        """The number of elements of a longest chain (0 for the empty set).

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> pc.causet(np.zeros((3, 3), dtype=bool)).longest_chain()
        1
        """
        return int(_core.longest_chain(self.link_matrix._h))

    def dimension(self, method: str = "myrheim_meyer") -> float:
        """An estimate of the dimension of the spacetime the set approximates.

        Parameters
        ----------
        method : {"myrheim_meyer", "midpoint"}
            ``"myrheim_meyer"``: the d in [1, 10] whose continuum ordering
            fraction 2 f(d) equals the measured one (see
            `pycauset.continuum.myrheim_meyer_dimension`).
            ``"midpoint"``: ``log2(N / N_half)`` with ``N_half`` the largest
            ``min(|past(z)|, |future(z)|)`` over elements z (the midpoint
            splits a diamond into two of half the height, each holding
            ``N / 2**d`` elements). Meant for sets sprinkled into a diamond.

        Examples
        --------
        >>> import pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=4), n=2000, seed=5)
        >>> round(cs.dimension(), 1)
        4.0
        """
        if method == "myrheim_meyer":
            return continuum.myrheim_meyer_dimension(self.ordering_fraction)
        if method == "midpoint":
            # N counts each (small even when C is spilled to disk)
            future = to_numpy(_sum(self._causal, axis=1), allow_huge=True)
            past = to_numpy(_sum(self._causal, axis=0), allow_huge=True)
            half = int(np.max(np.minimum(past, future))) if len(self) else 0
            if half == 0:
                raise ValueError("the midpoint estimator needs an element with both a past and a future")
            return math.log2(len(self) / half)
        raise ValueError(f"unknown dimension estimator {method!r}; use 'myrheim_meyer' or 'midpoint'")


def _count(m: Matrix) -> int:
    return int(count_nonzero(m))


def sprinkle(region: Region, n: Optional[int] = None, *, density: Optional[float] = None,
             seed: Optional[int] = None) -> CausalSet:
    """Sprinkle points uniformly into a spacetime region and build their causal set.

    Exactly one of ``n`` (that many independent uniform points) and
    ``density`` (a Poisson number of points with mean ``density * volume``)
    must be given. The points come from a counter-based generator, so the
    same seed gives the same points and the same causal matrix bit for bit on
    every machine and thread count.

    Parameters
    ----------
    region : pycauset.spacetime.Region
        E.g. ``pc.spacetime.MinkowskiDiamond(dim=4)``.
    n : int, optional
        Number of points (>= 0).
    density : float, optional
        Expected points per unit volume (> 0).
    seed : int, optional
        In [0, 2**128); None draws one from the OS (recorded as ``cs.seed``).

    Returns
    -------
    CausalSet
        Elements sorted by time: ``coordinates`` (N x d float64), a strictly
        upper-triangular bit ``causal_matrix`` (in RAM, or a spill file past the
        memory budget).

    Examples
    --------
    >>> import pycauset as pc
    >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=100, seed=3)
    >>> cs.coordinates.shape, cs.causal_matrix.shape
    ((100, 2), (100, 100))
    """
    if not isinstance(region, Region):
        raise TypeError(f"region must be a pycauset.spacetime region, got {type(region).__name__}")
    if (n is None) == (density is None):
        raise ValueError("give exactly one of n (a fixed number of points) and density (a Poisson number)")
    seed = _random.check_seed(seed)
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        count, mode, rho = int(n), "n", int(n) / region.volume
    else:
        if isinstance(density, bool) or not isinstance(density, numbers.Real) \
                or not math.isfinite(density) or density <= 0:
            raise ValueError(f"density must be a positive finite number, got {density!r}")
        count, mode, rho = _random.poisson(seed, float(density) * region.volume), "density", float(density)
    u = _random.uniforms(seed, 0, count, region.uniforms_per_point)
    points = region.from_uniforms(u).reshape(count, region.dim)
    points = points[np.argsort(points[:, 0], kind="stable")]
    coords = matrix(points)
    periods = list(region.spatial_periods or ())
    causal = _upper(_core.causal_matrix(coords._h, periods))
    return CausalSet._make(causal, coords, region, seed, mode, rho)


def causet(relation: Any, *, check: bool = True) -> CausalSet:
    """A causal set from a relation matrix.

    Parameters
    ----------
    relation : pycauset or NumPy matrix of bit/bool
        ``relation[i, j]`` true iff element i precedes j. Must be square and
        strictly upper-triangular (elements labelled in an order compatible
        with the relation, e.g. by time).
    check : bool
        Also verify that the relation is transitively closed (O(links * N / 64)
        word operations). ``check=False`` trusts it.

    Returns
    -------
    CausalSet
        Holding its own copy of the relation (later writes to ``relation`` do
        not change it); no coordinates or region.

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> chain = np.triu(np.ones((4, 4), dtype=bool), 1)
    >>> cs = pc.causet(chain)
    >>> cs.relations, cs.links
    (6, 3)
    """
    from ._array import _ArrayBase

    if isinstance(relation, _ArrayBase):
        m = relation
    else:
        arr = np.asarray(relation)
        if arr.dtype != np.bool_:
            raise TypeError(f"relation must be a bit or bool matrix, got dtype {arr.dtype}; use relation != 0")
        m = matrix(arr)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"relation must be a square matrix, got shape {m.shape}")
    if m.dtype.name != "bit":
        raise TypeError(f"relation must be a bit or bool matrix, got dtype {m.dtype}; use relation != 0")
    # A copy: the set must not change when the caller later writes to the matrix.
    h = m._h.copy() if m is relation else m._h
    _core.check_causal_matrix(h, bool(check))  # also marks it strictly upper-triangular
    return CausalSet._make(_upper(h))
