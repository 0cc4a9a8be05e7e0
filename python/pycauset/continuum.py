"""Continuum predictions for causal sets sprinkled into a Minkowski causal diamond.

Exact expectations and the functions estimators invert, so a measurement can be
put next to its continuum value. Sources: Myrheim (CERN-TH-2538, 1978) and
Meyer (MIT thesis, 1988) for the ordering fraction; Bombelli, Henson and Sorkin
(arXiv:gr-qc/0605006) for the 2-d expected number of links; Dowker and Glaser
(arXiv:1305.2588) and Glaser (arXiv:1311.1701) for the Benincasa-Dowker action
in d dimensions (`bd_coefficients`, `bd_smearing`).

>>> import pycauset as pc
>>> pc.continuum.ordering_fraction(2)
0.5
>>> round(pc.continuum.myrheim_meyer_dimension(0.1), 6)
4.0
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Tuple, Union

import numpy as np

__all__ = [
    "relation_fraction",
    "ordering_fraction",
    "expected_relations",
    "expected_links_2d",
    "myrheim_meyer_dimension",
    "BDCoefficients",
    "bd_coefficients",
    "bd_smearing",
]


def _dim(dim: Any, lo: float = 2) -> float:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Real) or not math.isfinite(dim) or dim < lo:
        raise ValueError(f"dim must be a finite number >= {lo:g}, got {dim!r}")
    return float(dim)


def _count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def relation_fraction(dim: float) -> float:
    """f(d) = Gamma(d+1) Gamma(d/2) / (4 Gamma(3d/2)): E[R] = N (N-1) f(d).

    The probability that two independent uniform points of a d-dimensional
    causal diamond are related in a given order; 1/4, 4/35, 1/20 for d = 2, 3, 4.
    Defined for real d >= 1 (the Myrheim-Meyer estimator inverts it).

    >>> relation_fraction(4)
    0.05
    """
    d = _dim(dim, 1)
    if d <= 100:  # Gamma itself is exact to rounding here: 1/20 comes out as 0.05
        return math.gamma(d + 1) * math.gamma(d / 2) / (4 * math.gamma(1.5 * d))
    return math.exp(math.lgamma(d + 1) + math.lgamma(d / 2) - math.lgamma(1.5 * d)) / 4


def ordering_fraction(dim: float) -> float:
    """The expected ordering fraction R / C(N, 2) = 2 f(d) (note the factor 2).

    >>> ordering_fraction(4)
    0.1
    """
    return 2 * relation_fraction(dim)


def expected_relations(n: int, dim: float) -> float:
    """E[R] = N (N - 1) f(d) for N points sprinkled (fixed N) into a d-dim diamond.

    >>> expected_relations(100, 2)
    2475.0
    """
    n = _count(n)
    return n * (n - 1) * relation_fraction(dim)


def expected_links_2d(n: int) -> float:
    """E[N_0] = (N + 1) H_N - 2N, the expected number of links, fixed N, 2-d diamond.

    >>> expected_links_2d(2)
    0.5
    """
    n = _count(n)
    harmonic = math.fsum(1.0 / k for k in range(1, n + 1))
    return (n + 1) * harmonic - 2 * n


def myrheim_meyer_dimension(r: float) -> float:
    """The d in [1, 10] with ordering_fraction(d) = r (the Myrheim-Meyer estimator).

    2 f(d) decreases strictly from 1 at d = 1 to 2 f(10) ~ 1.8e-4 at d = 10;
    values of r outside that range are clamped to the ends (a total order gives
    1, an antichain-like set 10). Solved by bisection to full precision.

    >>> round(myrheim_meyer_dimension(0.5), 12)
    2.0
    """
    if isinstance(r, bool) or not isinstance(r, numbers.Real) or math.isnan(r) or not 0 <= r <= 1:
        raise ValueError(f"r must be an ordering fraction in [0, 1], got {r!r}")
    lo, hi = 1.0, 10.0
    if r >= ordering_fraction(lo):
        return lo
    if r <= ordering_fraction(hi):
        return hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if ordering_fraction(mid) > r:
            lo = mid
        else:
            hi = mid
    return lo if abs(ordering_fraction(lo) - r) <= abs(ordering_fraction(hi) - r) else hi


# ------------------------------------------------- the Benincasa-Dowker action in d dimensions


@dataclass(frozen=True)
class BDCoefficients:
    """The constants of the causal-set d'Alembertian and action in dimension d.

    The d'Alembertian of a field phi at element x of a causal set of density
    rho (Dowker and Glaser, arXiv:1305.2588) is::

        B phi(x) = rho**(2/d) * (alpha * phi(x) + beta * sum_i c[i-1] * sum_{y in L_i(x)} phi(y))

    where the layer L_i(x) holds the elements y before x with exactly i - 1
    elements between y and x (L_1: the links), i = 1..len(c). The action, in
    units where the discreteness length equals the Planck length, is::

        S = -(alpha * N + beta * sum_i c[i-1] * N_{i-1})

    with N_k the interval abundances (pairs with k elements between them).

    Attributes
    ----------
    dim : int
        The spacetime dimension d (2..6).
    c : tuple of fractions.Fraction
        The layer coefficients C_1..C_{n_d} (exact; C_1 = 1), n_d = d/2 + 2
        for even d and (d + 3)/2 for odd d.
    alpha, beta : float
        The constants alpha_d (< 0) and beta_d (> 0).

    Examples
    --------
    >>> import pycauset as pc
    >>> k = pc.continuum.bd_coefficients(2)
    >>> [int(x) for x in k.c], k.alpha, k.beta
    ([1, -2, 1], -2.0, 4.0)
    """

    dim: int
    c: Tuple[Fraction, ...]
    alpha: float
    beta: float

    @property
    def layers(self) -> int:
        """n_d, the number of layers (len(c))."""
        return len(self.c)


def _bd_dim(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not 2 <= dim <= 6:
        raise ValueError(f"the Benincasa-Dowker action is defined here for integer dimensions 2..6, got dim={dim!r}")
    return int(dim)


def _half_gamma_ratio(p: int, q: int) -> Fraction:
    """Gamma(p/2) / Gamma(q/2), exactly, for positive p, q of equal parity."""
    assert p > 0 and q > 0 and (p - q) % 2 == 0
    r = Fraction(1)
    for x in range(q, p, 2):   # Gamma(x/2 + 1) = (x/2) Gamma(x/2)
        r *= Fraction(x, 2)
    for x in range(p, q, 2):
        r /= Fraction(x, 2)
    return r


@lru_cache(maxsize=None)
def bd_coefficients(dim: int) -> BDCoefficients:
    """The Benincasa-Dowker constants of dimension ``dim`` (2..6).

    Glaser's closed form (arXiv:1311.1701) of the layer coefficients, with
    n_d = d/2 + 2 layers for even d and (d + 3)/2 for odd d::

        C_i = sum_{k=0}^{i-1} binom(i-1, k) (-1)**k
                  Gamma(d(k+1)/2 + 2)   / (Gamma(d/2 + 2)     Gamma(1 + dk/2))   (d even)
                  Gamma(d(k+1)/2 + 3/2) / (Gamma((d + 3)/2)   Gamma(1 + dk/2))   (d odd)

    computed exactly (every Gamma ratio is rational). The constants of
    Dowker and Glaser (arXiv:1305.2588), with
    c_d = S_{d-2} / (d (d-1) 2**(d/2 - 1)) and S_{d-2} = 2 pi**((d-1)/2) / Gamma((d-1)/2)::

        alpha_d = -2 c_d**(2/d) / Gamma((d+2)/d)                                   (d even)
        alpha_d =  - c_d**(2/d) / Gamma((d+2)/d)                                   (d odd)
        beta_d  = 2 Gamma(d/2 + 2) Gamma(d/2 + 1) / (Gamma(2/d) Gamma(d)) c_d**(2/d)  (d even)
        beta_d  = (d + 1) / (2**(d-1) Gamma(1 + 2/d)) c_d**(2/d)                    (d odd)

    d = 2 gives C = (1, -2, 1), alpha = -2, beta = 4, i.e. the action
    2 (N - 2 N_0 + 4 N_1 - 2 N_2); d = 4 gives C = (1, -9, 16, -8),
    alpha = -4/sqrt(6), beta = 4/sqrt(6).

    Parameters
    ----------
    dim : int
        2, 3, 4, 5 or 6 (ValueError otherwise).

    Returns
    -------
    BDCoefficients

    Examples
    --------
    >>> import pycauset as pc
    >>> [str(x) for x in pc.continuum.bd_coefficients(3).c]
    ['1', '-27/8', '9/4']
    >>> round(pc.continuum.bd_coefficients(4).alpha * 6 ** 0.5, 12)
    -4.0
    """
    d = _bd_dim(dim)
    layers = d // 2 + 2   # d/2 + 2 (even), (d + 3)/2 (odd)
    # ratio[k] = Gamma(d(k+1)/2 + s) / (Gamma(d/2 + s) Gamma(1 + dk/2)), s = 2 (even) or 3/2 (odd);
    # in half-integers: Gamma(p/2) with p = d(k+1) + 2s.
    two_s = 4 if d % 2 == 0 else 3
    # p - q = d + 2s - 2 is even, so Gamma(p/2) / Gamma(q/2) is a finite product of halves;
    # Gamma(d/2 + s) has an integer argument.
    ratio = [_half_gamma_ratio(d * (k + 1) + two_s, d * k + 2) / _half_gamma_ratio(d + two_s, 2)
             for k in range(layers)]
    c = tuple(sum((Fraction(math.comb(i, k) * (-1) ** k) * ratio[k] for k in range(i + 1)), Fraction(0))
              for i in range(layers))
    sphere = 2 * math.pi ** ((d - 1) / 2) / math.gamma((d - 1) / 2)
    c_d = sphere / (d * (d - 1) * 2 ** (d / 2 - 1))
    scale = c_d ** (2 / d)
    if d % 2 == 0:
        alpha = -2 * scale / math.gamma((d + 2) / d)
        beta = 2 * math.gamma(d / 2 + 2) * math.gamma(d / 2 + 1) / (math.gamma(2 / d) * math.gamma(d)) * scale
    else:
        alpha = -scale / math.gamma((d + 2) / d)
        beta = (d + 1) / (2 ** (d - 1) * math.gamma(1 + 2 / d)) * scale
    return BDCoefficients(d, c, float(alpha), float(beta))


def _epsilon(epsilon: Any) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or math.isnan(epsilon) \
            or not 0 < epsilon <= 1:
        raise ValueError(f"epsilon (discreteness over non-locality scale, rho_k / rho) must lie in (0, 1], "
                         f"got {epsilon!r}")
    return float(epsilon)


def bd_smearing(dim: int, n: Union[int, Any], epsilon: float) -> Union[float, np.ndarray]:
    """The smearing function f_d(n, epsilon) of the non-local (smeared) action.

    With C_i the layer coefficients of `bd_coefficients` (Dowker and Glaser,
    arXiv:1305.2588, section 4)::

        f_d(n, eps) = (1 - eps)**n * sum_i C_i binom(n, i-1) (eps / (1 - eps))**(i-1)
                    = sum_i C_i binom(n, i-1) eps**(i-1) (1 - eps)**(n - i + 1)

    (the second form, used here, has no division and is exact at eps = 1,
    where f_d(n, 1) = C_{n+1} for n < n_d and 0 beyond). A related pair with
    n elements between its ends contributes f_d(n, eps) to the smeared action.

    Parameters
    ----------
    dim : int
        2..6.
    n : int or array_like of int
        Interval sizes (>= 0).
    epsilon : float
        In (0, 1]: the ratio rho_k / rho of the non-locality density to the
        sprinkling density (1: no smearing).

    Returns
    -------
    float, or numpy.ndarray of float64 with the shape of ``n``

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.continuum.bd_smearing(2, [0, 1, 2, 3], 1.0).tolist()
    [1.0, -2.0, 1.0, 0.0]
    >>> round(float(pc.continuum.bd_smearing(2, 1, 0.5)), 12)   # (1/2)(1) - 2 (1)(1/2)
    -0.5
    """
    k = bd_coefficients(dim)
    eps = _epsilon(epsilon)
    scalar = isinstance(n, numbers.Integral) and not isinstance(n, bool)
    arr = np.asarray(n)
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(f"n must be non-negative integers, got {n!r}")
    nn = arr.astype(np.float64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"n must be non-negative integers, got a minimum of {arr.min()}")
    out = np.zeros(nn.shape, dtype=np.float64)
    binom = np.ones(nn.shape, dtype=np.float64)   # binom(n, j), built up factor by factor
    for j, c in enumerate(k.c):                   # term i = j + 1
        if j > 0:
            binom = binom * (nn - (j - 1)) / j    # becomes 0 for n < j, and stays 0
        weight = eps ** j * np.power(1.0 - eps, np.maximum(nn - j, 0.0))   # 0**0 = 1
        out += float(c) * binom * weight
    return float(out) if scalar else out
