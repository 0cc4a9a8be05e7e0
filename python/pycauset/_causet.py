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
from fractions import Fraction
import re
from typing import Any, Optional

import numpy as np

from . import _core, _fields, _random, continuum
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
    labels : numpy.ndarray of int64 or None
        For ``causet(relation, sort=True)``: ``labels[k]`` is the index in
        ``relation`` of element k. None when the elements keep their given labels.

    Examples
    --------
    >>> import pycauset as pc
    >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=200, seed=1)
    >>> len(cs), cs.causal_matrix.dtype
    (200, pycauset.bit)
    >>> 1.5 < cs.dimension("myrheim_meyer") < 2.5
    True
    """

    labels: Optional[np.ndarray] = None

    def __init__(self) -> None:
        raise TypeError("create a CausalSet with pycauset.sprinkle(region, ...) or pycauset.causet(relation)")

    @classmethod
    def _make(cls, causal: Matrix, coordinates: Optional[Matrix] = None, region: Optional[Region] = None,
              seed: Optional[int] = None, mode: Optional[str] = None, density: Optional[float] = None) -> "CausalSet":
        obj = object.__new__(cls)
        obj._causal = causal
        obj._links: Optional[Matrix] = None
        obj._abundances: Optional[np.ndarray] = None  # N_0..N_k for the largest kmax counted so far
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

    def __reduce__(self) -> tuple:
        """Pickle support: the matrices pickle as pycauset objects do (RAM by value, a
        loaded file by reference, spill by value up to the export cap); region, seed,
        mode, density and labels by value. Cached link matrices are recomputed."""
        state = {"format": 1, "causal": self._causal, "coordinates": self.coordinates, "region": self.region,
                 "seed": self.seed, "mode": self.mode, "density": self.density, "labels": self.labels}
        return CausalSet._from_pickle, (state,)

    @staticmethod
    def _from_pickle(state: dict) -> "CausalSet":
        import pickle

        if not isinstance(state, dict) or state.get("format") != 1:
            got = state.get("format") if isinstance(state, dict) else state
            raise pickle.UnpicklingError(f"this pickled CausalSet has format {got!r}; this version of "
                                         "pycauset reads format 1 (unpickle it with the version that wrote it)")
        cs = CausalSet._make(state["causal"], state["coordinates"], state["region"], state["seed"],
                             state["mode"], state["density"])
        if state.get("labels") is not None:
            cs.labels = state["labels"]
        return cs

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

    def interval_abundances(self, kmax: Optional[int] = None) -> np.ndarray:
        """N_0..N_kmax: how many related pairs have exactly k elements between them.

        N_0 is the number of links. With ``kmax=None`` (the default) the full
        histogram N_0..N_{N-2} is returned (every related pair is counted once,
        so it sums to ``relations``); with a given ``kmax`` pairs whose interval
        holds more than ``kmax`` elements are not counted, and the count stops
        early for them (much faster for small kmax).

        Parameters
        ----------
        kmax : int, optional
            Largest interval size counted (>= 0); None: N - 2.

        Returns
        -------
        numpy.ndarray of int64, shape (kmax + 1,) (shape (max(N - 1, 0),) for kmax=None)

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> chain = pc.causet(np.triu(np.ones((4, 4), dtype=bool), 1))
        >>> chain.interval_abundances().tolist()
        [3, 2, 1]
        >>> chain.interval_abundances(kmax=1).tolist()
        [3, 2]
        """
        if kmax is None:
            n = len(self)
            if n < 2:
                return np.zeros(0, dtype=np.int64)
            kmax = n - 2
        elif isinstance(kmax, bool) or not isinstance(kmax, numbers.Integral) or kmax < 0:
            raise ValueError(f"kmax must be a non-negative integer or None (the full histogram), got {kmax!r}")
        kmax = int(kmax)
        # N_k does not depend on the cut-off, so a count up to a larger kmax answers a smaller one.
        if self._abundances is None or len(self._abundances) <= kmax:
            self._abundances = np.asarray(_core.interval_abundances(self._causal._h, kmax), dtype=np.int64)
        return self._abundances[: kmax + 1].copy()

    def action(self, epsilon: Optional[float] = None, dim: Optional[int] = None) -> float:
        """The Benincasa-Dowker action in d = 2..6, local or smeared (non-local).

        In units where the discreteness length is the Planck length, with
        alpha_d, beta_d and the layer coefficients C_1..C_{n_d} of
        `pycauset.continuum.bd_coefficients` (Dowker and Glaser, arXiv:1305.2588;
        Glaser, arXiv:1311.1701) and N_k the interval abundances::

            S   = -(alpha_d N + beta_d sum_{i=1}^{n_d} C_i N_{i-1})
            S_e = -e**(2/d) (alpha_d N + beta_d e sum_{n>=0} f_d(n, e) N_n)

        with f_d the smearing function (`pycauset.continuum.bd_smearing`).
        d = 2 gives ``S = 2 (N - 2 N_0 + 4 N_1 - 2 N_2)`` (mean exactly 2 for
        every N in a fixed-N 2-d diamond), d = 4
        ``S = (4 / sqrt(6)) (N - N_0 + 9 N_1 - 16 N_2 + 8 N_3)``. At e = 1 the
        smeared action is the local one. For e < 1 the sum over n stops where
        a bound on all later terms, R max_{m>n} |f_d(m, e)|, falls below
        2**-60 N, far below the rounding error of the result.

        Parameters
        ----------
        epsilon : float, optional
            e in (0, 1], the ratio rho_k / rho of the non-locality density to the
            density of elements (l / l_k)**d; None (or 1): the local action.
        dim : int, optional
            Dimension 2..6 whose coefficients are used; default the region's
            (required for a set made by `causet`).

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> chain = pc.causet(np.triu(np.ones((5, 5), dtype=bool), 1))   # N=5, N_k = 4, 3, 2, 1
        >>> chain.action(dim=2)
        10.0
        >>> chain.action(epsilon=1.0, dim=2)
        10.0
        """
        if dim is None:
            if self.region is None:
                raise ValueError("this causal set has no region: pass its dimension, e.g. action(dim=4)")
            dim = self.region.dim
        k = continuum.bd_coefficients(dim)   # ValueError outside 2..6
        d = k.dim
        n = len(self)
        if epsilon is not None:
            eps = continuum._epsilon(epsilon)
            if eps < 1:
                return self._smeared_action(k, eps)
        a = self.interval_abundances(k.layers - 1)
        layer_sum = sum((c * int(a[i]) for i, c in enumerate(k.c)), Fraction(0))  # exact
        if d == 2:   # alpha = -2, beta = 4 exactly: keep the integer action exact
            return float(2 * n - 4 * layer_sum)
        return float(-(k.alpha * n + k.beta * float(layer_sum)))

    def _smeared_action(self, k: "continuum.BDCoefficients", eps: float) -> float:
        n, d = len(self), k.dim
        r = self.relations
        if n < 2 or r == 0:
            return float(-eps ** (2 / d) * k.alpha * n)
        sizes = np.arange(n - 1)
        f = continuum.bd_smearing(d, sizes, eps)
        # Bound on |f(m)| for every m >= n: sum_i |C_i| binom(m, i-1) e^(i-1) (1-e)^(m-i+1),
        # and its running maximum from the right; stop where R times it is negligible.
        bound = np.zeros(n - 1)
        binom = np.ones(n - 1)
        for j, c in enumerate(k.c):
            if j > 0:
                binom = binom * (sizes - (j - 1)) / j
            bound += abs(float(c)) * binom * eps ** j * np.power(1.0 - eps, np.maximum(sizes - j, 0.0))
        tail = np.maximum.accumulate(bound[::-1])[::-1]
        big = np.nonzero(tail * r * k.beta * eps > 2.0 ** -60 * n)[0]
        kmax = int(big[-1]) if big.size else 0
        a = self.interval_abundances(kmax)
        s = math.fsum(float(x) for x in a * f[: kmax + 1])
        return float(-eps ** (2 / d) * (k.alpha * n + k.beta * eps * s))

    def plot(self, ax: Any = None, coordinates: Optional[str] = None, *, max_elements: Optional[int] = None,
             color: Any = "C0", link_color: Any = "0.35", size: Optional[float] = None,
             linewidth: Optional[float] = None, boundary: bool = True) -> Any:
        """Draw the Hasse diagram: elements as dots, links as line segments (needs matplotlib).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.
        coordinates : {"tx", "lightcone", "layered"}, optional
            ``"tx"``: x horizontally, t vertically, equal scales (light rays at
            45 degrees). ``"lightcone"``: ``u = t + x`` horizontally,
            ``v = t - x`` vertically, so links point up and right and a diamond
            is a square. Both need a set sprinkled into 2-d spacetime.
            ``"layered"``: any causal set; an element's height is the length of
            a longest chain ending at it, elements of a layer are spread
            evenly. Default ``"tx"`` for 2-d coordinates, else ``"layered"``.
        max_elements : int, optional
            Larger sets raise ValueError before anything is computed or drawn
            (default 2000).
        color, link_color : matplotlib colours
            Of the elements and of the links.
        size, linewidth : float, optional
            Dot area (points squared) and link width; default shrinks with N.
        boundary : bool
            Outline the region (2-d diamond, box or cylinder) as a dashed line.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        ValueError
            More than ``max_elements`` elements, or ``"tx"``/``"lightcone"`` for a
            set without 2-d coordinates.
        ImportError
            matplotlib is not installed (``pip install "pycauset[plot]"``).

        Examples
        --------
        >>> import pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=60, seed=3)
        >>> ax = cs.plot(coordinates="lightcone")
        >>> len(ax.collections[0].get_segments()) == cs.links
        True
        """
        from . import _plot

        return _plot.plot_hasse(self, ax, coordinates, max_elements=max_elements, color=color,
                                link_color=link_color, size=size, linewidth=linewidth, boundary=boundary)

    def plot_abundances(self, kmax: int = 10, ax: Any = None, *, expected: Optional[bool] = None,
                        log: bool = False, color: Any = "C0") -> Any:
        """Bar chart of the interval abundances N_0..N_kmax (needs matplotlib).

        Parameters
        ----------
        kmax : int
            Largest interval size shown (see `interval_abundances`).
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.
        expected : bool, optional
            Mark the continuum value E[N_0] = (N+1) H_N - 2N next to N_0. It is
            known for sets sprinkled into a 2-d ``MinkowskiDiamond`` (exact for
            fixed N, and given N for a Poisson sprinkling). None: draw it where
            known; True: require it (ValueError elsewhere); False: never.
        log : bool
            Logarithmic vertical axis.
        color : matplotlib colour
            Of the bars.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=200, seed=3)
        >>> ax = cs.plot_abundances(kmax=5)
        >>> [int(b.get_height()) for b in ax.patches] == cs.interval_abundances(5).tolist()
        True
        """
        from . import _plot

        return _plot.plot_abundances(self, kmax, ax, expected=expected, log=log, color=color)

    def longest_chain(self) -> int:
        """The number of elements of a longest chain (0 for the empty set).

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> pc.causet(np.zeros((3, 3), dtype=bool)).longest_chain()
        1
        """
        return int(_core.longest_chain(self.link_matrix._h))

    def chains(self, k: int) -> int:
        """c_k, the number of k-element chains (totally ordered subsets of k elements).

        c_0 = 1, c_1 = N, c_2 = R (the relations), and c_k = 0 for k past the
        longest chain. Since C is transitive, a k-element chain is a path of
        k - 1 steps through C, so ``c_k = 1^T C^(k-1) 1``: computed in the core
        by k - 1 products of the bit matrix with an exact integer vector,
        O(R + N^2 / 64) each, on every thread, with progress and Ctrl-C.

        Parameters
        ----------
        k : int
            Number of elements of the chains (>= 0).

        Returns
        -------
        int
            Exact (128-bit arithmetic; OverflowError past 2**128 - 1).

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> chain = pc.causet(np.triu(np.ones((5, 5), dtype=bool), 1))
        >>> [chain.chains(k) for k in range(7)]     # binomial(5, k)
        [1, 5, 10, 10, 5, 1, 0]
        """
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError(f"k must be a non-negative integer (the number of elements of a chain), got {k!r}")
        hi, lo = _core.chain_count(self._causal._h, int(min(k, 2 ** 62)))
        return (int(hi) << 64) | int(lo)

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

    # ------------------------------------------------------------ fields (docs/fields.md)

    def retarded_propagator(self, mass: float = 0.0, *, dim: Optional[int] = None,
                            density: Optional[float] = None) -> Matrix:
        """The retarded Green function K_R of a scalar field, an N x N float64 Matrix.

        ``K_R[x, y]`` is non-zero only for y before x, so the matrix is strictly
        lower-triangular (and marked so). Massless (Johnston, arXiv:0806.3083,
        arXiv:0909.0944): d = 2, ``K_0 = C^T / 2``; d = 4,
        ``K_0 = sqrt(rho / 6) / (2 pi) L^T`` (L the link matrix). Massive:
        ``K_m = K_0 (I + a K_0)^-1`` with ``a = m**2 / rho``, which below the
        diagonal equals the inverse of ``H = -a (I + a K_0)``: one lower-triangular
        inverse computed in H's own storage (no pivoting; a recursive triangular
        inverse (TRMMs) in RAM, the out-of-core triangular inverse past the
        memory budget), then a zero diagonal. In 2-d its mean tends to
        ``J_0(m tau) / 2``.

        Parameters
        ----------
        mass : float
            m >= 0, in the units of the coordinates.
        dim : int, optional
            2 or 4; default the region's. d = 3 raises NotImplementedError (no
            settled discretisation).
        density : float, optional
            rho; default the sprinkling density (needed for d = 4 and m > 0 when
            the set was not sprinkled).

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=200, seed=1)
        >>> K = cs.retarded_propagator()
        >>> K.properties["structure"], np.array_equal(np.asarray(K), 0.5 * np.asarray(cs.causal_matrix).T)
        ('strictly_lower_triangular', True)
        """
        return _fields.retarded_propagator(self, mass, dim, density)

    def dalembertian(self, epsilon: Optional[float] = None, *, dim: Optional[int] = None,
                     density: Optional[float] = None) -> Matrix:
        """The Benincasa-Dowker d'Alembertian B, an N x N lower-triangular float64 Matrix.

        ``(B phi)(x) = r**(2/d) (alpha_d phi(x) + beta_d e sum_{y before x} f(n(y, x)) phi(y))``
        with n(y, x) the number of elements between y and x, r = e rho and the
        constants of `pycauset.continuum.bd_coefficients` (Benincasa and Dowker,
        arXiv:1001.2725; Dowker and Glaser, arXiv:1305.2588). Unsmeared
        (``epsilon`` None or 1): e = 1 and f(n) = C_{n+1} (the layer
        coefficients, 0 past the last layer); smeared: f = ``bd_smearing(d, n, e)``.
        For a smooth field ``B @ phi`` approximates ``box phi = (-d_t**2 + laplacian) phi``
        in the bulk, and ``sum(B @ 1) = -rho**(2/d) * action(epsilon)``.

        Parameters
        ----------
        epsilon : float, optional
            e in (0, 1], the ratio of the non-locality density to rho.
        dim : int, optional
            2..6; default the region's.
        density : float, optional
            rho; default the sprinkling density.

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=100, seed=2)
        >>> B = cs.dalembertian()
        >>> S = -np.asarray(B).sum() / cs.density
        >>> bool(np.isclose(S, cs.action()))
        True
        """
        return _fields.dalembertian(self, epsilon, dim, density)

    def pauli_jordan(self, mass: float = 0.0, *, dim: Optional[int] = None,
                     density: Optional[float] = None) -> Matrix:
        """The Pauli-Jordan function Delta = K_R - K_R^T, real antisymmetric (marked so).

        ``i Delta`` is Hermitian; its eigenvalues come in +- pairs
        (`pauli_jordan_spectrum`). Arguments as `retarded_propagator`.

        Examples
        --------
        >>> import pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=50, seed=3)
        >>> cs.pauli_jordan().properties["structure"]
        'antisymmetric'
        """
        return _fields.pauli_jordan(self, mass, dim, density)

    def pauli_jordan_spectrum(self, mass: float = 0.0, *, eigenvectors: bool = False, dim: Optional[int] = None,
                              density: Optional[float] = None) -> Any:
        """Eigenvalues of i Delta (ascending, exact +- pairs), from real arithmetic.

        `pycauset.linalg.eigh_antisymmetric` of `pauli_jordan`: half the memory
        and a fraction of the time of ``numpy.linalg.eigvalsh(1j * Delta)``.
        In a 2-d diamond the largest is about ``N / (4 x_1)``, x_1 = 1.16556...
        the first positive root of ``tan x = 2 x`` (docs/fields.md).

        Parameters
        ----------
        mass : float
        eigenvectors : bool
            Also return the unit eigenvectors (columns of a complex Matrix).
        dim, density
            As `retarded_propagator`.

        Returns
        -------
        Vector, or (eigenvalues, eigenvectors)

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=100, seed=4)
        >>> lam = np.asarray(cs.pauli_jordan_spectrum())
        >>> bool(np.all(lam == -lam[::-1]))
        True
        """
        return _fields.pauli_jordan_spectrum(self, mass, eigenvectors, dim, density)

    def sj_wightman(self, cutoff: Any = None, *, mass: float = 0.0, dim: Optional[int] = None,
                    density: Optional[float] = None) -> Matrix:
        """The Sorkin-Johnston Wightman function W: the positive spectral part of i Delta.

        ``W = sum_{lambda > cutoff} lambda v v^H`` over the eigenpairs of i Delta
        (Johnston, arXiv:0909.0944; Sorkin, arXiv:1107.0698): a complex128 N x N
        Hermitian, positive semidefinite Matrix. Untruncated, ``W - conj(W) = i Delta``
        and ``W conj(W) = 0``.

        Parameters
        ----------
        cutoff : None, "sorkin_yazdi" or float
            None keeps every positive eigenvalue; ``"sorkin_yazdi"`` keeps
            ``lambda > sqrt(N) / (4 pi)`` (Sorkin and Yazdi, arXiv:1611.10281,
            derived for the 2-d massless field); a number keeps ``lambda > cutoff``.
        mass, dim, density
            As `retarded_propagator`.

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=60, seed=5)
        >>> W = np.asarray(cs.sj_wightman())
        >>> bool(np.allclose(W - W.conj(), 1j * np.asarray(cs.pauli_jordan())))
        True
        """
        return _fields.sj_wightman(self, cutoff, mass, dim, density)

    def entanglement_entropy(self, region: Any, truncation: Optional[str] = "sorkin_yazdi", *,
                             mass: float = 0.0, dim: Optional[int] = None,
                             density: Optional[float] = None) -> float:
        """Entanglement entropy of the SJ state restricted to a sub-region.

        Sorkin's spacetime entropy (arXiv:1205.2953), with the double
        truncation of Sorkin and Yazdi (arXiv:1611.10281): W is the SJ
        Wightman function of the whole set with ``cutoff="sorkin_yazdi"``;
        restricted to the region (N_R elements) W_R and i Delta_R give the
        generalised eigenproblem ``W_R v = mu i Delta_R v`` on the span of the
        eigenvectors of i Delta_R with ``|sigma| > sqrt(N_R) / (4 pi)``, and
        ``S = sum mu ln|mu|``. The mu come in pairs (mu, 1 - mu); the entropy of
        the whole set is 0. With ``truncation=None`` nothing is truncated
        (only the kernel of i Delta_R is left out).

        Parameters
        ----------
        region : boolean array of shape (N,), or a pycauset.spacetime region
            The elements of the sub-region (a region selects the points it contains).
        truncation : {"sorkin_yazdi", None}
        mass, dim, density
            As `retarded_propagator`.

        Examples
        --------
        >>> import numpy as np, pycauset as pc
        >>> cs = pc.sprinkle(pc.spacetime.MinkowskiDiamond(dim=2), n=80, seed=6)
        >>> abs(cs.entanglement_entropy(np.ones(80, dtype=bool))) < 1e-8
        True
        """
        return _fields.entanglement_entropy(self, region, truncation, mass, dim, density)


def _count(m: Matrix) -> int:
    return int(count_nonzero(m))


def sprinkle(region: Region, n: Optional[int] = None, *, density: Optional[float] = None,
             seed: Optional[int] = None, client: Any = None, path: Any = None) -> CausalSet:
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
    client : dask.distributed.Client, optional
        Build the causal matrix on this Dask cluster, row blocks per task,
        into the file ``path`` (docs/dask.md); bit for bit the matrix of the
        single-process build.
    path : str or path-like, optional
        The ``.pycauset`` file a cluster build writes (with ``client``).

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
    if client is not None or path is not None:  # a Dask cluster writes C into a file
        from . import _dask

        causal, points, relations = _dask.sprinkle_on_cluster(_points, region, count, seed, client, path)
        cs = CausalSet._make(causal, matrix(points), region, seed, mode, rho)
        cs._relations = relations
        return cs
    coords = matrix(_points(region, count, seed))
    periods = list(region.spatial_periods or ())
    causal = _upper(_core.causal_matrix(coords._h, periods))
    return CausalSet._make(causal, coords, region, seed, mode, rho)


def _points(region: Region, count: int, seed: int) -> np.ndarray:
    """The ``count`` x d points of a sprinkling, sorted by time (a pure function of its arguments)."""
    u = _random.uniforms(seed, 0, count, region.uniforms_per_point)
    points = region.from_uniforms(u).reshape(count, region.dim)
    return points[np.argsort(points[:, 0], kind="stable")]


def causet(relation: Any, *, check: bool = True, sort: bool = False) -> CausalSet:
    """A causal set from a relation matrix.

    Parameters
    ----------
    relation : pycauset or NumPy matrix of bit/bool
        ``relation[i, j]`` true iff element i precedes j. Must be square and
        strictly upper-triangular (elements labelled in an order compatible
        with the relation, e.g. by time), unless ``sort=True``.
    check : bool
        Also verify that the relation is transitively closed (O(links * N / 64)
        word operations). ``check=False`` trusts it.
    sort : bool
        Relabel the elements by a topological order first: the
        lexicographically smallest one, i.e. repeatedly take the
        lowest-indexed element whose predecessors are all taken (a relation
        that is already upper-triangular keeps its labels). ``cs.labels[k]``
        is then the index in ``relation`` of element k. O(N**2) work.

    Returns
    -------
    CausalSet
        Holding its own copy of the relation (later writes to ``relation`` do
        not change it); no coordinates or region.

    Raises
    ------
    ValueError
        Not square; not strictly upper-triangular (without ``sort=True``);
        cyclic, e.g. an element preceding itself (with ``sort=True``); not
        transitive (with ``check=True``).

    Examples
    --------
    >>> import numpy as np, pycauset as pc
    >>> chain = np.triu(np.ones((4, 4), dtype=bool), 1)
    >>> cs = pc.causet(chain)
    >>> cs.relations, cs.links
    (6, 3)
    >>> r = np.zeros((3, 3), dtype=bool); r[2, 0] = r[2, 1] = r[0, 1] = True   # 2 < 0 < 1
    >>> pc.causet(r, sort=True).labels.tolist()
    [2, 0, 1]
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
    h, labels = m._h, None
    if sort:
        if not h.is_contiguous:
            h = h.copy()
        rows = _packed_rows(h)
        labels = _topological_labels(rows)
        if not np.array_equal(labels, np.arange(len(labels))):
            h = _permuted(rows, labels)  # a new array: relation[labels][:, labels]
    if m is relation and h is m._h:
        h = h.copy()  # the set must not change when the caller later writes to the matrix
    try:
        _core.check_causal_matrix(h, bool(check))  # also marks it strictly upper-triangular
    except ValueError as err:
        found = re.search(r"element (\d+) precedes an element that precedes (\d+)", str(err))
        if labels is not None and found:  # name the elements as the caller knows them
            i, k = labels[int(found.group(1))], labels[int(found.group(2))]
            raise ValueError(f"the relation is not transitive: element {i} precedes an element that precedes "
                             f"{k}, but not {k} itself; close it transitively first or pass check=False") from None
        entry = re.search(r"strictly upper-triangular: entry \((\d+), (\d+)\)", str(err))
        if entry and entry.group(1) != entry.group(2):  # a diagonal entry is a cycle: sorting cannot help
            raise ValueError(f"{err}, or pass sort=True to relabel them so") from None
        raise
    cs = CausalSet._make(_upper(h))
    if labels is not None:
        labels.flags.writeable = False
        cs.labels = labels
    return cs


def _packed_rows(h: Any) -> np.ndarray:
    """The rows of a contiguous square bit Array as a read-only (n, row bytes) uint8 view
    (little-endian bit order, rows padded to 64-bit words; pins its storage while alive)."""
    n = int(h.shape[0])
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    stride = (n + 63) // 64 * 8
    return h.raw_view(h, n * stride).reshape(n, stride)


def _topological_labels(rows: np.ndarray) -> np.ndarray:
    """The lexicographically smallest topological order of the relation whose packed rows are
    ``rows``: Kahn's algorithm taking the lowest available index each time. ValueError naming a
    cycle when there is one."""
    import heapq

    n = rows.shape[0]

    def row(i: int) -> np.ndarray:
        return np.flatnonzero(np.unpackbits(rows[i], count=n, bitorder="little"))

    indegree = np.zeros(n, dtype=np.int64)
    block = max(1, (8 << 20) // max(1, n))
    for r0 in range(0, n, block):
        indegree += np.unpackbits(rows[r0:r0 + block], axis=1, count=n, bitorder="little").sum(axis=0, dtype=np.int64)
    ready = np.flatnonzero(indegree == 0).tolist()
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        succ = row(i)
        indegree[succ] -= 1
        for j in succ[indegree[succ] == 0].tolist():
            heapq.heappush(ready, j)
    if len(order) < n:
        raise ValueError(_cycle_message(row, n, indegree))
    return np.asarray(order, dtype=np.int64)


def _permuted(rows: np.ndarray, labels: np.ndarray) -> Any:
    """A new bit Array ``relation[labels][:, labels]`` from the packed rows of the relation,
    built in blocks of rows (bounded memory; the result's storage comes from the governor)."""
    n, stride = rows.shape
    out = _core.Array.empty([n, n], _core.DType.bit, False)
    block = max(1, (16 << 20) // n)
    for r0 in range(0, n, block):
        picked = labels[r0:r0 + block]
        cols = np.unpackbits(rows[picked], axis=1, count=n, bitorder="little")[:, labels]
        packed = np.zeros((len(picked), stride), dtype=np.uint8)
        packed[:, :(n + 7) // 8] = np.packbits(cols, axis=1, bitorder="little")
        out.slice(0, r0, 1, len(picked)).assign(_core.Array.from_bytes(packed.reshape(-1), [len(picked), n],
                                                                         _core.DType.bit))
    return out


def _cycle_message(row: Any, n: int, indegree: np.ndarray) -> str:
    """Names a cycle among the elements Kahn's algorithm could not take. Each of them has a
    predecessor among them (else it would have been taken): walk from one to a predecessor,
    and on, until an element repeats."""
    left = indegree > 0
    start = int(np.flatnonzero(left)[0])
    preds = {}
    for i in np.flatnonzero(left).tolist():
        for j in row(i).tolist():
            if left[j] and j not in preds:
                preds[j] = i
    path, seen, x = [], {}, start
    while x not in seen:
        seen[x] = len(path)
        path.append(x)
        x = preds[x]
    cycle = path[seen[x]:][::-1]
    if len(cycle) == 1:
        return (f"the relation is cyclic: relation[{cycle[0]}, {cycle[0]}] is set (an element cannot precede "
                "itself); a causal set's relation is acyclic")
    shown = " -> ".join(str(k) for k in cycle[:12]) + (" -> ..." if len(cycle) > 12 else "") + f" -> {cycle[0]}"
    return f"the relation is cyclic: {shown}; a causal set's relation is acyclic, so it has no topological order"
