"""The activation σ(x) = max(x, αx)^p: its value, derivative, one-sided slopes, mpmath and sympy forms.

One home for everything about σ, so that every part of homcheck uses the same value at the kink:

    σ(x)  = (c x)^p,          c = c₊ = max(1, α) for x > 0,  c = c₋ = min(1, α) for x < 0,
    σ′(x) = p c (c x)^{p−1},  and at x = 0:  σ′(0) = (c₋ + c₊)/2 for p = 1,  σ′(0) = 0 for p ≥ 2.

The mean slope at the kink is the subgradient torch's autograd returns for ``torch.maximum``
(it splits the gradient evenly at ties), so hand-written chain rules and autograd agree. It
is one element of the Clarke subdifferential [c₋, c₊]; where the choice matters, the Clarke
machinery (verify/clarke.py) optimises over the whole interval instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from verify.errors import InputError, check_positive_int


@dataclass(frozen=True)
class Activation:
    """σ(x) = max(x, αx)^p for real α and integer p >= 1 (positively p-homogeneous)."""

    alpha: float = 0.0
    p: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.alpha, (int, float)) or isinstance(self.alpha, bool) or not math.isfinite(self.alpha):
            raise InputError(f"activation slope alpha must be a finite real number, got {self.alpha!r}")
        try:
            p = check_positive_int("activation power p", self.p)
        except InputError:
            raise InputError(
                f"activation power p must be an integer >= 1 (σ = max(x, αx)^p is then p-homogeneous), got {self.p!r}"
            ) from None
        object.__setattr__(self, "alpha", float(self.alpha))
        object.__setattr__(self, "p", p)

    @property
    def slopes(self) -> tuple[float, float]:
        """(c₋, c₊) = (min(1, α), max(1, α)): σ(x) = (c₊x)^p for x >= 0 and (c₋x)^p for x < 0."""
        return (min(1.0, self.alpha), max(1.0, self.alpha))

    @property
    def kinked(self) -> bool:
        """True when σ is not differentiable at 0 (p = 1 and α ≠ 1): Clarke calculus is needed."""
        return self.p == 1 and self.alpha != 1.0

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        """σ(h), elementwise."""
        return torch.maximum(h, self.alpha * h) ** self.p

    def slope(self, h: torch.Tensor) -> torch.Tensor:
        """c(h): c₊ for h > 0, c₋ for h < 0, (c₋ + c₊)/2 at h = 0 (built in h's dtype, not through float32)."""
        lo, hi = self.slopes
        return torch.full_like(h, 0.5 * (lo + hi)).masked_fill(h > 0, hi).masked_fill(h < 0, lo)

    def value_and_derivative(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(σ(h), σ′(h)) with σ′ as in the module docstring."""
        c = self.slope(h)
        ch = c * h
        if self.p == 1:
            return ch, c
        power = ch ** (self.p - 1)
        return power * ch, self.p * c * power

    def derivative(self, h: torch.Tensor) -> torch.Tensor:
        """σ′(h) = p c (c h)^{p−1}; at 0 the mean slope for p = 1 (module docstring)."""
        return self.value_and_derivative(h)[1]

    def mp(self) -> tuple[Any, Any]:
        """(σ, σ′) as elementwise functions on numpy object arrays of mpmath numbers (same kink value)."""
        import mpmath
        import numpy as np

        lo, hi = (mpmath.mpf(c) for c in self.slopes)
        p = self.p

        def slope(h):
            return hi if h > 0 else lo if h < 0 else (lo + hi) / 2

        def sigma(h):
            return (slope(h) * h) ** p

        def prime(h):
            c = slope(h)
            return p * c * (c * h) ** (p - 1)

        return np.frompyfunc(sigma, 1, 1), np.frompyfunc(prime, 1, 1)

    def sympy(self, x: Any) -> Any:
        """σ(x) as a sympy expression: x^p for α = 1, Max(x, αx)^p otherwise (α as an exact rational)."""
        import sympy as sp

        if self.alpha == 1.0:
            return x**self.p
        return sp.Max(x, sp.nsimplify(self.alpha) * x) ** self.p

    def __str__(self) -> str:
        base = {0.0: "relu", 1.0: "x"}.get(self.alpha, f"max(x,{self.alpha:g}x)")
        return base if self.p == 1 else f"{base}^{self.p}"
