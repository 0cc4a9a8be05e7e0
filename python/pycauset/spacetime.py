"""Regions of flat spacetime that causal sets are sprinkled into.

Every region is a small frozen value object with an exact ``volume``, a
vectorised ``contains`` and ``precedes``, and rejection-free uniform sampling.
Points are rows ``(t, x_1, ..., x_{d-1})`` in units with c = 1.

Conventions (see docs/causets.md):

* ``x`` precedes ``y`` (causally) iff ``t_y - t_x >= |x_y - x_x|`` and
  ``t_y > t_x``: light-like pairs are related, distinct points at equal
  time never are.
* On a spatially periodic region (``MinkowskiCylinder``) the spatial distance
  is the minimum over images (per axis ``min(|dx|, L - |dx|)``).

>>> import pycauset as pc
>>> D = pc.spacetime.MinkowskiDiamond(dim=2, height=2.0)
>>> D.volume
2.0
>>> bool(D.precedes([-0.5, 0.0], [0.5, 0.3]))
True
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["Region", "MinkowskiDiamond", "MinkowskiBox", "MinkowskiCylinder", "diamond_volume_coefficient"]


def diamond_volume_coefficient(dim: int) -> float:
    """zeta_d: the volume of a causal diamond of proper height T is zeta_d * T**dim.

    zeta_d = Omega_{d-2} / (2**(d-1) d (d-1)) with Omega_{d-2} = 2 pi**((d-1)/2) / Gamma((d-1)/2)
    the area of the unit (d-2)-sphere: 1/2, pi/12, pi/24 for d = 2, 3, 4.

    >>> diamond_volume_coefficient(4) == math.pi / 24
    True
    """
    d = _check_dim(dim)
    sphere = 2.0 * math.pi ** ((d - 1) / 2) / math.gamma((d - 1) / 2)
    return sphere / (2.0 ** (d - 1) * d * (d - 1))


def _check_dim(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise ValueError(f"dim must be an integer >= 2, got {dim!r}")
    if dim < 2:
        raise ValueError(f"dim must be an integer >= 2 (one time and at least one space dimension), got {dim}")
    return int(dim)


def _check_length(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _points(points: Any, dim: int, what: str) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] != dim:
        raise ValueError(f"{what} must have shape (..., {dim}) (rows t, x_1, ..., x_{dim - 1}), got shape {p.shape}")
    return p


def _gaussians(u: np.ndarray, count: int) -> np.ndarray:
    """`count` standard normals per row from pairs of uniforms in (0, 1) (Box-Muller)."""
    pairs = (count + 1) // 2
    r = np.sqrt(-2.0 * np.log(u[:, 0:2 * pairs:2]))
    phi = 2.0 * math.pi * u[:, 1:2 * pairs:2]
    g = np.empty((u.shape[0], 2 * pairs))
    g[:, 0::2] = r * np.cos(phi)
    g[:, 1::2] = r * np.sin(phi)
    return g[:, :count]


@dataclass(frozen=True)
class Region:
    """Base of the spacetime regions: ``dim`` (total dimension, time included)."""

    dim: int

    @property
    def volume(self) -> float:  # pragma: no cover - every region overrides it
        raise NotImplementedError

    @property
    def spatial_periods(self) -> Optional[Tuple[float, ...]]:
        """Period of each spatial axis for the minimum-image distance, or None."""
        return None

    @property
    def uniforms_per_point(self) -> int:
        """How many independent uniforms in (0, 1) ``from_uniforms`` consumes per point."""
        raise NotImplementedError  # pragma: no cover

    def from_uniforms(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover
        """Points distributed uniformly in the region from rows of iid uniforms in (0, 1)."""
        raise NotImplementedError

    def contains(self, points: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def precedes(self, x: Any, y: Any) -> np.ndarray:
        """Whether x causally precedes y (broadcasting over leading axes).

        True iff ``t_y > t_x`` and ``t_y - t_x >= |spatial separation|`` (the
        minimum over images on periodic regions).

        Parameters
        ----------
        x, y : array_like, shape (..., dim)
            Points ``(t, x_1, ..., x_{dim-1})``.

        Returns
        -------
        numpy.ndarray of bool, the broadcast leading shape.

        Examples
        --------
        >>> import pycauset as pc
        >>> D = pc.spacetime.MinkowskiDiamond(dim=3)
        >>> D.precedes([[0, 0, 0], [0, 0, 0]], [[0.2, 0.1, 0.1], [0.0, 0.1, 0.0]]).tolist()
        [True, False]
        """
        a = _points(x, self.dim, "x")
        b = _points(y, self.dim, "y")
        dt = b[..., 0] - a[..., 0]
        dx = np.abs(b[..., 1:] - a[..., 1:])
        periods = self.spatial_periods
        if periods is not None:
            p = np.asarray(periods)
            dx = np.mod(dx, p)
            dx = np.minimum(dx, p - dx)
        return (dt > 0) & (dt * dt >= np.sum(dx * dx, axis=-1))


@dataclass(frozen=True)
class MinkowskiDiamond(Region):
    """The causal diamond (Alexandrov interval) of proper height ``height`` in d-dim Minkowski space.

    Tips at ``t = -height/2`` and ``t = +height/2`` on the spatial origin; volume
    ``zeta_d * height**dim`` (see `diamond_volume_coefficient`).

    Parameters
    ----------
    dim : int
        Spacetime dimension, >= 2.
    height : float
        Proper time between the tips, > 0 (default 1).

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.spacetime.MinkowskiDiamond(dim=2).volume
    0.5
    """

    dim: int = 2
    height: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", _check_dim(self.dim))
        object.__setattr__(self, "height", _check_length("height", self.height))

    @property
    def volume(self) -> float:
        return diamond_volume_coefficient(self.dim) * self.height ** self.dim

    @property
    def uniforms_per_point(self) -> int:
        if self.dim == 2:
            return 2
        return 3 + 2 * (self.dim // 2)  # half, height, radius, then (d-1) normals in pairs

    def from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """Uniform points from rows of uniforms (see `uniforms_per_point`).

        2-d: light-cone coordinates are uniform on a square. d >= 3: the diamond is
        two cones of equal volume; a point's distance h from its cone's tip has
        density proportional to h**(d-1), and given h it is uniform in the
        (d-1)-ball of radius h (radius r = h v**(1/(d-1)), direction from normals).
        """
        n, half_t = u.shape[0], self.height / 2
        out = np.empty((n, self.dim))
        if self.dim == 2:
            out[:, 0] = half_t * (u[:, 0] + u[:, 1] - 1.0)
            out[:, 1] = half_t * (u[:, 0] - u[:, 1])
            return out
        d = self.dim
        h = half_t * u[:, 1] ** (1.0 / d)
        out[:, 0] = np.where(u[:, 0] < 0.5, h - half_t, half_t - h)
        r = h * u[:, 2] ** (1.0 / (d - 1))
        g = _gaussians(u[:, 3:], d - 1)
        out[:, 1:] = g * (r / np.linalg.norm(g, axis=1))[:, None]
        return out

    def contains(self, points: Any) -> np.ndarray:
        """Whether each point lies in the closed diamond ``|x| <= height/2 - |t|``.

        >>> import pycauset as pc
        >>> pc.spacetime.MinkowskiDiamond(dim=2).contains([[0.0, 0.4], [0.3, 0.3]]).tolist()
        [True, False]
        """
        p = _points(points, self.dim, "points")
        return np.linalg.norm(p[..., 1:], axis=-1) <= self.height / 2 - np.abs(p[..., 0])


@dataclass(frozen=True)
class MinkowskiBox(Region):
    """The box ``0 <= t <= duration``, ``0 <= x_k <= size`` in d-dim Minkowski space.

    Examples
    --------
    >>> import pycauset as pc
    >>> pc.spacetime.MinkowskiBox(dim=3, duration=2.0, size=0.5).volume
    0.5
    """

    dim: int = 2
    duration: float = 1.0
    size: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", _check_dim(self.dim))
        object.__setattr__(self, "duration", _check_length("duration", self.duration))
        object.__setattr__(self, "size", _check_length("size", self.size))

    @property
    def volume(self) -> float:
        return self.duration * self.size ** (self.dim - 1)

    @property
    def uniforms_per_point(self) -> int:
        return self.dim

    def from_uniforms(self, u: np.ndarray) -> np.ndarray:
        out = u[:, : self.dim] * self.size
        out[:, 0] = u[:, 0] * self.duration
        return out

    def contains(self, points: Any) -> np.ndarray:
        p = _points(points, self.dim, "points")
        inside = (p[..., 0] >= 0) & (p[..., 0] <= self.duration)
        return inside & np.all((p[..., 1:] >= 0) & (p[..., 1:] <= self.size), axis=-1)


@dataclass(frozen=True)
class MinkowskiCylinder(Region):
    """Minkowski space periodic in every spatial direction, ``0 <= t <= duration``.

    Space is a circle (d = 2) or a flat torus of side ``circumference``; points
    have ``0 <= x_k < circumference`` and separations use the minimum image.

    Examples
    --------
    >>> import pycauset as pc
    >>> C = pc.spacetime.MinkowskiCylinder(dim=2, duration=1.0, circumference=1.0)
    >>> bool(C.precedes([0.0, 0.05], [0.2, 0.95]))   # 0.1 apart through the seam
    True
    """

    dim: int = 2
    duration: float = 1.0
    circumference: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "dim", _check_dim(self.dim))
        object.__setattr__(self, "duration", _check_length("duration", self.duration))
        object.__setattr__(self, "circumference", _check_length("circumference", self.circumference))

    @property
    def volume(self) -> float:
        return self.duration * self.circumference ** (self.dim - 1)

    @property
    def spatial_periods(self) -> Tuple[float, ...]:
        return (self.circumference,) * (self.dim - 1)

    @property
    def uniforms_per_point(self) -> int:
        return self.dim

    def from_uniforms(self, u: np.ndarray) -> np.ndarray:
        # u < 1, but u * L may round up to L: keep coordinates in [0, L).
        out = np.minimum(u[:, : self.dim] * self.circumference, np.nextafter(self.circumference, 0.0))
        out[:, 0] = u[:, 0] * self.duration
        return out

    def contains(self, points: Any) -> np.ndarray:
        p = _points(points, self.dim, "points")
        inside = (p[..., 0] >= 0) & (p[..., 0] <= self.duration)
        return inside & np.all((p[..., 1:] >= 0) & (p[..., 1:] < self.circumference), axis=-1)
