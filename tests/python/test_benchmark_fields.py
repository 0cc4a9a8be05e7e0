"""The fields benchmark's baseline computes the massive retarded propagator correctly (a
wrong baseline would make the gate's ratio meaningless): against the defining formula
K_m = K_0 (I + a K_0)^-1 with a general LU inverse, and against the chain sum."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import fields  # noqa: E402


def _causal(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u, v = rng.random(n), rng.random(n)
    order = np.argsort(u + v)  # time order, so C is strictly upper-triangular
    u, v = u[order], v[order]
    return (u[:, None] < u[None, :]) & (v[:, None] < v[None, :])


@pytest.mark.parametrize("n,a", [(1, 0.3), (60, 0.05), (200, 0.02)])
def test_numpy_propagator_matches_the_definition(n, a):
    c = _causal(n, n)
    k0 = 0.5 * c.T.astype(np.float64)
    want = k0 @ np.linalg.inv(np.eye(n) + a * k0)
    got = fields._numpy_propagator(np, c, a)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * max(1.0, np.abs(want).max()))


def test_numpy_propagator_is_the_chain_sum():
    c = _causal(80, 3)
    a = 0.01
    k0 = 0.5 * c.T.astype(np.float64)
    want, term = np.zeros_like(k0), k0.copy()
    for _ in range(80):  # K_0 is nilpotent: the series ends
        want += term
        term = -a * (k0 @ term)
    np.testing.assert_allclose(fields._numpy_propagator(np, c, a), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("text,value", [("2 GiB", 2 << 30), ("512MiB", 512 << 20), ("1.5 GB", 1_500_000_000),
                                        ("4096", 4096)])
def test_parse_bytes(text, value):
    assert fields._parse_bytes(text) == value


def test_parse_bytes_rejects_nonsense():
    with pytest.raises(SystemExit, match="cannot read"):
        fields._parse_bytes("two gigs")
