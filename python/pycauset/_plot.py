"""Pictures of small causal sets: Hasse diagrams and interval-abundance histograms.

matplotlib is an optional dependency (``pip install "pycauset[plot]"``). It is
imported here, inside the drawing functions, and this module is itself only
imported by `CausalSet.plot` and `CausalSet.plot_abundances`, so
``import pycauset`` and all the computing never load matplotlib.

Layouts of the Hasse diagram (elements as dots, links as line segments):

* ``"tx"``: the element at ``(t, x)`` is drawn at horizontal ``x``, vertical
  ``t``, with equal scales, so light rays are at 45 degrees.
* ``"lightcone"``: horizontal ``u = t + x``, vertical ``v = t - x`` (no factor
  1/sqrt(2)); in 2-d, x precedes y iff ``u_x <= u_y`` and ``v_x <= v_y``, so every
  link points up and to the right and a diamond is a square.
* ``"layered"``: for any causal set (no coordinates needed): the vertical
  position of an element is its height, the number of elements of a longest
  chain ending at it (minimal elements are at height 1); inside a layer the
  elements are spread at unit spacing, ordered by the mean horizontal
  position of the elements they cover (one barycentre pass from the bottom,
  ties by label) to keep crossings down.

On a spatially periodic region a link whose minimum-image separation wraps
around space is drawn as two pieces: from the earlier element to the edge of
the strip, and on from the opposite edge to the later element.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from . import continuum
from ._export import to_numpy

__all__ = ["DEFAULT_MAX_ELEMENTS", "hasse_layout", "plot_hasse", "plot_abundances"]

#: The largest set `plot_hasse` draws unless ``max_elements`` says otherwise.
DEFAULT_MAX_ELEMENTS = 2000

_LAYOUTS = ("tx", "lightcone", "layered")


def _matplotlib() -> Tuple[Any, Any]:
    """(matplotlib.pyplot, matplotlib.collections), or an ImportError saying how to install them."""
    try:
        import matplotlib.collections as collections
        import matplotlib.pyplot as pyplot
    except ImportError as err:
        raise ImportError(
            "plotting needs matplotlib, which is not installed; install it with "
            "pip install \"pycauset[plot]\" (or pip install matplotlib)"
        ) from err
    return pyplot, collections


def _check_size(n: int, max_elements: Any) -> None:
    if max_elements is None:
        max_elements = DEFAULT_MAX_ELEMENTS
    if isinstance(max_elements, bool) or not isinstance(max_elements, (int, np.integer)) or max_elements < 0:
        raise ValueError(f"max_elements must be a non-negative integer, got {max_elements!r}")
    if n > max_elements:
        raise ValueError(
            f"the causal set has {n} elements, more than the {max_elements} a Hasse diagram is drawn "
            f"for (max_elements={max_elements}); pass max_elements={n} to draw it anyway (slow, and "
            f"too dense to read), or plot a smaller set"
        )


def _layered_positions(links: np.ndarray) -> np.ndarray:
    """(n, 2) positions: longest-chain height vertically, barycentre order inside a layer."""
    n = links.shape[0]
    height = np.ones(n, dtype=np.int64)
    for j in range(n):  # labels follow a linear extension: predecessors come first
        below = np.flatnonzero(links[:j, j])
        if below.size:
            height[j] = 1 + int(height[below].max())
    pos = np.zeros((n, 2), dtype=np.float64)
    pos[:, 1] = height
    for h in range(1, int(height.max(initial=0)) + 1):
        layer = np.flatnonzero(height == h)
        keys = []
        for j in layer:
            below = np.flatnonzero(links[:j, j])
            keys.append(float(pos[below, 0].mean()) if below.size else float(j))
        order = layer[np.lexsort((layer, np.asarray(keys)))]
        pos[order, 0] = np.arange(order.size) - (order.size - 1) / 2
    return pos


def hasse_layout(cs: Any, coordinates: Optional[str] = None, max_elements: Optional[int] = None
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Where the Hasse diagram of ``cs`` puts its elements and links (no matplotlib needed).

    Returns
    -------
    positions : numpy.ndarray, shape (n, 2)
        Horizontal and vertical position of each element.
    segments : numpy.ndarray, shape (m, 2, 2)
        ``[[x0, y0], [x1, y1]]`` from the earlier element towards the later.
        One per link, except that on a periodic region a link that wraps
        around space is two pieces, each ending on the strip's edge.
    pairs : numpy.ndarray of int64, shape (m, 2)
        The link (earlier, later element) each segment belongs to.
    layout : str
        The layout used (``coordinates``, or the default it resolved to).
    """
    n = len(cs)
    _check_size(n, max_elements)
    coords = cs.coordinates
    dim = None if coords is None else int(coords.shape[1])
    if coordinates is None:
        coordinates = "tx" if dim == 2 else "layered"
    if coordinates not in _LAYOUTS:
        raise ValueError(f"coordinates must be 'tx', 'lightcone' or 'layered', got {coordinates!r}")
    if coordinates != "layered" and dim != 2:
        what = "has no coordinates" if dim is None else f"is {dim}-dimensional"
        raise ValueError(
            f"coordinates={coordinates!r} draws sets sprinkled into 2-d spacetime, and this causal set "
            f"{what}; use coordinates='layered'"
        )
    links = to_numpy(cs.link_matrix)
    i, j = np.nonzero(links)
    pairs = np.column_stack([i, j]).astype(np.int64)
    if coordinates == "layered":
        pos = _layered_positions(links)
        return pos, np.stack([pos[i], pos[j]], axis=1), pairs, coordinates
    tx = to_numpy(coords)
    t, x = tx[:, 0], tx[:, 1]
    # Segments in (x, t) first: [x0, t0, x1, t1] per row.
    seg = np.column_stack([x[i], t[i], x[j], t[j]])
    region = getattr(cs, "region", None)
    periods = getattr(region, "spatial_periods", None) if region is not None else None
    if periods:
        period = float(periods[0])
        shift = np.round((x[j] - x[i]) / period)   # images away of the nearest image of j
        wrap = shift != 0
        if wrap.any():
            w = np.flatnonzero(wrap)
            xi, ti, tj = x[i[w]], t[i[w]], t[j[w]]
            xj = x[j[w]] - period * shift[w]          # nearest image of j, off the strip
            edge = np.where(xj > xi, period, 0.0)     # where the link leaves the strip
            tc = ti + (edge - xi) / (xj - xi) * (tj - ti)
            first = np.column_stack([xi, ti, edge, tc])
            second = np.column_stack([period - edge, tc, x[j[w]], tj])
            keep = np.flatnonzero(~wrap)
            seg = np.concatenate([seg[keep], first, second])
            pairs = np.concatenate([pairs[keep], pairs[w], pairs[w]])
    if coordinates == "tx":
        pos = np.column_stack([x, t])
        out = seg
    else:
        pos = np.column_stack([t + x, t - x])
        out = np.column_stack([seg[:, 1] + seg[:, 0], seg[:, 1] - seg[:, 0],
                               seg[:, 3] + seg[:, 2], seg[:, 3] - seg[:, 2]])
    return pos, out.reshape(-1, 2, 2), pairs, coordinates


def plot_hasse(cs: Any, ax: Any = None, coordinates: Optional[str] = None, *,
               max_elements: Optional[int] = None, color: Any = "C0", link_color: Any = "0.35",
               size: Optional[float] = None, linewidth: Optional[float] = None,
               boundary: bool = True) -> Any:
    """Draw the Hasse diagram of a small causal set; the body of `CausalSet.plot`."""
    positions, segments, _, layout = hasse_layout(cs, coordinates, max_elements)
    pyplot, collections = _matplotlib()
    if ax is None:
        _, ax = pyplot.subplots(figsize=(6, 6))
    n = positions.shape[0]
    crowd = math.sqrt(max(n, 1) / 100)
    if size is None:
        size = max(2.0, 24.0 / crowd)
    if linewidth is None:
        linewidth = max(0.3, 1.0 / crowd)
    lines = collections.LineCollection(segments, colors=link_color, linewidths=linewidth, zorder=1)
    lines.set_gid("links")
    ax.add_collection(lines)
    dots = ax.scatter(positions[:, 0], positions[:, 1], s=size, c=color, zorder=2, linewidths=0)
    dots.set_gid("elements")
    region = getattr(cs, "region", None)
    if boundary and layout != "layered" and region is not None:
        _draw_boundary(ax, region, layout)
    if layout == "tx":
        ax.set_xlabel("x")
        ax.set_ylabel("t")
        ax.set_aspect("equal", adjustable="datalim")
    elif layout == "lightcone":
        ax.set_xlabel("u = t + x")
        ax.set_ylabel("v = t - x")
        ax.set_aspect("equal", adjustable="datalim")
    else:
        ax.set_ylabel("height (longest chain ending at the element)")
        ax.set_xticks([])
        top = int(positions[:, 1].max(initial=0))
        if top <= 20:
            ax.set_yticks(range(1, top + 1))
    ax.autoscale_view()
    return ax


def _draw_boundary(ax: Any, region: Any, layout: str) -> None:
    """The outline of a 2-d diamond or box, dashed and light, behind the set."""
    name = type(region).__name__
    if name == "MinkowskiDiamond":
        h = region.height / 2
        t = np.array([-h, 0.0, h, 0.0, -h])
        x = np.array([0.0, h, 0.0, -h, 0.0])
    elif name in ("MinkowskiBox", "MinkowskiCylinder"):
        width = region.size if name == "MinkowskiBox" else region.circumference
        t = np.array([0.0, 0.0, region.duration, region.duration, 0.0])
        x = np.array([0.0, width, width, 0.0, 0.0])
    else:
        return
    if layout == "tx":
        ax.plot(x, t, ls="--", lw=0.8, color="0.7", zorder=0, gid="boundary")
    else:
        ax.plot(t + x, t - x, ls="--", lw=0.8, color="0.7", zorder=0, gid="boundary")


def _expected_links(cs: Any) -> Optional[float]:
    """E[N_0] given N for a set sprinkled into a 2-d diamond, else None (no exact value known)."""
    region = getattr(cs, "region", None)
    if region is None or type(region).__name__ != "MinkowskiDiamond" or region.dim != 2:
        return None
    return continuum.expected_links_2d(len(cs))


def plot_abundances(cs: Any, kmax: int = 10, ax: Any = None, *, expected: Optional[bool] = None,
                    log: bool = False, color: Any = "C0") -> Any:
    """Bar chart of N_0..N_kmax; the body of `CausalSet.plot_abundances`."""
    if expected not in (None, True, False):
        raise ValueError(f"expected must be None, True or False, got {expected!r}")
    mean_links = _expected_links(cs) if expected is not False else None
    if expected is True and mean_links is None:
        raise ValueError(
            "the continuum expectation is known only for N_0 of a set sprinkled into a 2-d "
            "MinkowskiDiamond; pass expected=None (draw it where known) or expected=False"
        )
    counts = cs.interval_abundances(kmax)
    pyplot, _ = _matplotlib()
    if ax is None:
        _, ax = pyplot.subplots(figsize=(6, 4))
    k = np.arange(counts.size)
    bars = ax.bar(k, counts, width=0.8, color=color, label="measured $N_k$")
    for bar in bars:
        bar.set_gid("abundance")
    if mean_links is not None:
        ax.plot([-0.46, 0.46], [mean_links, mean_links], color="C3", lw=2.5, gid="expected",
                label=f"continuum $E[N_0]$ = {mean_links:.1f}")
        ax.legend()
    ax.set_xlabel("k (elements inside the interval)")
    ax.set_ylabel("$N_k$ (related pairs)")
    ax.set_xticks(k if k.size <= 20 else k[:: int(math.ceil(k.size / 20))])
    if log:
        ax.set_yscale("log")
    return ax
