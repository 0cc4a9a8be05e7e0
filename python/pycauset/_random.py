"""Counter-based random numbers for sprinkling.

Every uniform is a pure function of (seed, stream, index): block ``b`` of a
stream is Philox-4x64-10 (NumPy's bit generator, whose raw output is fixed by
the algorithm and does not depend on the NumPy version) keyed by the seed, at
counter ``(b, 0, stream, 0)``. Any range of points can therefore be
regenerated alone, in any order, on any machine or thread count, with
identical results.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterator

import numpy as np

_MASK64 = (1 << 64) - 1
_WORDS = 4  # 64-bit words per Philox block

STREAM_POINTS = 0  # the uniforms of the sprinkled points
STREAM_COUNT = 1   # the Poisson count of a density sprinkling


def check_seed(seed: Any) -> int:
    """A seed as a non-negative int below 2**128; None draws a fresh one from the OS."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) & ((1 << 128) - 1)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer or None, got {type(seed).__name__}")
    if not 0 <= int(seed) < 1 << 128:
        raise ValueError(f"seed must lie in [0, 2**128), got {seed}")
    return int(seed)


def _raw(seed: int, stream: int, first_block: int, blocks: int) -> np.ndarray:
    key = [seed & _MASK64, seed >> 64]
    bitgen = np.random.Philox(key=key, counter=[first_block, 0, stream, 0])
    return bitgen.random_raw(blocks * _WORDS)


def _to_unit(raw: np.ndarray) -> np.ndarray:
    """Uniforms in the open interval (0, 1): (k + 1/2) / 2**52 from the top 52 bits k
    of each word (every value exact, the largest 1 - 2**-53)."""
    return ((raw >> np.uint64(12)).astype(np.float64) + 0.5) * (1.0 / (1 << 52))


def uniforms(seed: int, start: int, stop: int, per_point: int, stream: int = STREAM_POINTS) -> np.ndarray:
    """Rows ``start..stop-1`` of the (points x per_point) uniforms of a seed.

    Point i owns words ``[i * w, i * w + per_point)`` with w = per_point
    rounded up to whole Philox blocks, so any row range is generated alone.
    """
    blocks_per_point = -(-per_point // _WORDS)
    n = stop - start
    raw = _raw(seed, stream, start * blocks_per_point, n * blocks_per_point)
    return _to_unit(raw).reshape(n, blocks_per_point * _WORDS)[:, :per_point]


def _uniform_stream(seed: int, stream: int) -> Iterator[float]:
    block = 0
    while True:
        for u in _to_unit(_raw(seed, stream, block, 16)):
            yield float(u)
        block += 16


def poisson(seed: int, mean: float) -> int:
    """An exact Poisson(mean) draw from the seed's count stream.

    Multiplication of uniforms for mean < 10; Hoermann's transformed rejection
    with squeeze (PTRS, Insurance: Mathematics and Economics 12 (1993) 39-45)
    above.
    """
    u = _uniform_stream(seed, STREAM_COUNT)
    if mean < 10:
        limit, k, prod = math.exp(-mean), 0, next(u)
        while prod > limit:
            k += 1
            prod *= next(u)
        return k
    smu = math.sqrt(mean)
    b = 0.931 + 2.53 * smu
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    log_mean = math.log(mean)
    while True:
        us_raw = next(u) - 0.5
        v = next(u)
        us = 0.5 - abs(us_raw)
        k = math.floor((2 * a / us + b) * us_raw + mean + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= -mean + k * log_mean - math.lgamma(k + 1):
            return k
