"""The six sparse targets of np §5.2.1 / §C.1 (Figures 7–9) and their input distributions (digest §4.4).

Every target depends on the first few of d = 50 coordinates (σ = ReLU inside the definitions of f₁, f₂):

    f₁(x) = σ(σ(2x₁ + x₂) − σ(x₃ − x₄))                       a 3-layer ReLU net of hidden widths (2, 1)
    f₂(x) = b(x₁..x₄) + 5·b(x₅..x₈) + 10·b(x₉..x₁₂),  b = f₁'s block   widths (6, 3), output weights (1, 5, 10)
    g₁(x) = x₁x₂ − x₁x₂x₃x₄                                     degree-2 and degree-4 parities
    g₂(x) = x₁x₂x₃x₄                                           a degree-4 parity (higher leap exponent)
    h₁(x) = max(2x₁, x₂)
    h₂(x) = max(x₁, 2x₂) + max(x₃, 2x₄) − max(x₁ + x₃, −x₂, −x₄)

f on the sphere of radius √50 (uniform), g on the hypercube {±1}^50 (uniform), h under N(0, I₅₀). The settings of
each target — depth, the trained nets' σ, the GD baseline's initial radius and learning rates, NP's GD steps and
step sizes and its first δ — are the table of digest §4.4 (np §C.1.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DIM = 50  # every §5.2.1 target lives in R^50


def _relu(t: np.ndarray) -> np.ndarray:
    return np.maximum(t, 0.0)


def _block(x: np.ndarray, i: int) -> np.ndarray:
    """σ(σ(2x_{i+1} + x_{i+2}) − σ(x_{i+3} − x_{i+4})) (coordinates 0-based from i)."""
    return _relu(_relu(2 * x[:, i] + x[:, i + 1]) - _relu(x[:, i + 2] - x[:, i + 3]))


def f1(x: np.ndarray) -> np.ndarray:
    return _block(x, 0)


def f2(x: np.ndarray) -> np.ndarray:
    return _block(x, 0) + 5 * _block(x, 4) + 10 * _block(x, 8)


def g1(x: np.ndarray) -> np.ndarray:
    return x[:, 0] * x[:, 1] - x[:, 0] * x[:, 1] * x[:, 2] * x[:, 3]


def g2(x: np.ndarray) -> np.ndarray:
    return x[:, 0] * x[:, 1] * x[:, 2] * x[:, 3]


def h1(x: np.ndarray) -> np.ndarray:
    return np.maximum(2 * x[:, 0], x[:, 1])


def h2(x: np.ndarray) -> np.ndarray:
    return (np.maximum(x[:, 0], 2 * x[:, 1]) + np.maximum(x[:, 2], 2 * x[:, 3])
            - np.maximum.reduce([x[:, 0] + x[:, 2], -x[:, 1], -x[:, 3]]))


def sample_inputs(distribution: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n inputs in R^50: uniform on the sphere of radius √50, uniform on {±1}^50, or N(0, I)."""
    if distribution == "sphere":
        g = rng.standard_normal((n, DIM))
        return np.sqrt(DIM) * g / np.linalg.norm(g, axis=1, keepdims=True)
    if distribution == "cube":
        return rng.choice([-1.0, 1.0], size=(n, DIM))
    if distribution == "gauss":
        return rng.standard_normal((n, DIM))
    raise ValueError(f"unknown input distribution {distribution!r}")


@dataclass(frozen=True)
class SparseTarget:
    """One row of the table of digest §4.4: a target, its inputs, and the settings np §C.1 trains it with."""

    name: str
    formula: str
    function: Callable[[np.ndarray], np.ndarray]
    distribution: str
    depth: int
    alpha: float  # the trained nets' σ(x) = max(x, αx)
    gd_init_radius: float
    gd_step_sizes: tuple[float, ...]
    np_step_sizes: tuple[float, ...]
    np_gd_steps: int
    np_delta_first: float

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        X = sample_inputs(self.distribution, n, rng)
        return X, self.function(X)


TARGETS = {t.name: t for t in (
    SparseTarget("f1", "σ(σ(2x₁ + x₂) − σ(x₃ − x₄))", f1, "sphere", 3, 0.0, 0.01, (0.05, 0.01, 0.005), (0.005, 0.002),
                 70_000, 0.25),
    SparseTarget("f2", "b(x₁..x₄) + 5b(x₅..x₈) + 10b(x₉..x₁₂)", f2, "sphere", 3, 0.0, 0.01, (0.005, 0.002, 0.001),
                 (0.002, 0.001), 70_000, 0.25),
    SparseTarget("g1", "x₁x₂ − x₁x₂x₃x₄", g1, "cube", 3, 0.5, 0.01, (0.05, 0.01, 0.005), (0.005, 0.002), 70_000, 0.25),
    SparseTarget("g2", "x₁x₂x₃x₄", g2, "cube", 3, 0.5, 0.01, (0.02, 0.01, 0.005), (0.002, 0.001), 70_000, 0.25),
    SparseTarget("h1", "max(2x₁, x₂)", h1, "gauss", 4, 0.5, 0.1, (0.02, 0.01, 0.005), (0.005, 0.002), 100_000, 0.5),
    SparseTarget("h2", "max(x₁, 2x₂) + max(x₃, 2x₄) − max(x₁ + x₃, −x₂, −x₄)", h2, "gauss", 4, 0.5, 0.1,
                 (0.02, 0.01, 0.005), (0.005, 0.002), 100_000, 0.5),
)}
