"""β = sup_{‖w‖=1} ‖H(X; w)‖ for dc2's two-homogeneous nets in d = 2, bracketed on the circle (digest §1.9).

For both families the supremum over the sphere is attained with all the norm in one neuron (triangle inequality), so β
is a maximisation over one neuron's unit direction: for d = 2 an angle. The bracket: ``lower`` is the maximum over a grid
of GRID angles (attained, so a lower bound), ``upper`` adds the Lipschitz constant of the angle's objective times the
largest chord from a unit vector to the grid. Statements whose right side grows with β are decided with ``upper``
(the claim decided is then implied by the statement); ``lower`` is for the reverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from verify.nets import DTYPE, Activation

GRID = 200_000  # angles: the bracket's width is about π/GRID relative


@dataclass(frozen=True)
class BetaBracket:
    """lower ≤ β ≤ upper; ``w`` the best grid direction (a unit vector of R²)."""

    lower: float
    upper: float
    w: torch.Tensor


def circle_bracket(objective: Callable[[torch.Tensor], torch.Tensor], lipschitz: float) -> BetaBracket:
    """Bracket max_{‖w‖=1} objective(w) for w ∈ R² (objective batched (B, 2) → (B,), ``lipschitz`` its constant)."""
    angles = torch.arange(GRID, dtype=DTYPE) * (2 * math.pi / GRID)
    W = torch.stack([angles.cos(), angles.sin()], dim=1)
    values = objective(W)
    best = int(values.argmax())
    gap = 2 * math.sin(math.pi / (2 * GRID))  # a unit vector is within this chord of a grid point
    return BetaBracket(float(values[best]), float(values[best]) + lipschitz * gap, W[best])


def beta_bracket(X: torch.Tensor, sigma: Activation, balance: float = 0.5) -> BetaBracket:
    """Two-layer nets Σ_k v_kσ(u_kᵀx): β = ½ sup_{‖w‖=1} ‖σ(Xw)‖ (|v| = ‖w‖ = 1/√2 in one neuron; ``balance`` = ½);
    ‖σ(Xw)‖ is max(1, |α|)‖X‖₂-Lipschitz in w."""
    lipschitz = max(1.0, abs(sigma.alpha)) * float(torch.linalg.matrix_norm(X, 2))
    b = circle_bracket(lambda W: sigma(W @ X.T).norm(dim=1), lipschitz)
    return BetaBracket(balance * b.lower, balance * b.upper, b.w)


def squared_beta_bracket(X: torch.Tensor, alpha: float) -> BetaBracket:
    """Single-layer squared (leaky) ReLU Σ_k p_kσ(u_kᵀx)², any signs: β = sup_{‖w‖=1} ‖σ(Xw)²‖ (elementwise square);
    the derivative of σ(xᵢᵀw)² along the circle is at most 2max(1, α²)‖xᵢ‖², so the Lipschitz constant is
    2max(1, α²)·(Σᵢ‖xᵢ‖⁴)^{1/2}."""
    sigma = Activation(alpha, 1)
    lipschitz = 2 * max(1.0, alpha**2) * float((X.norm(dim=1) ** 4).sum().sqrt())
    return circle_bracket(lambda W: (sigma(W @ X.T) ** 2).norm(dim=1), lipschitz)
