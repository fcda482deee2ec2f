"""Exact algebra (sympy) on small polynomial networks σ(x) = x^p (α = 1).

With α = 1 the network output is a polynomial in the weights and the inputs, so identities
such as Euler's theorem or the per-neuron rescaling identity can be verified by exact
expansion: an identity holds iff the expanded difference is the zero polynomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass
class SymbolicNet:
    """H(x; W_1..W_L) with σ(x) = x^p: weight matrices of symbols, inputs x, outputs H."""

    widths: tuple[int, ...]
    p: int
    weights: list[sp.Matrix]
    x: sp.Matrix
    output: sp.Matrix  # (m, 1)

    @property
    def symbols(self) -> list[sp.Symbol]:
        return [s for W in self.weights for s in W]


def symbolic_network(widths: tuple[int, ...], p: int) -> SymbolicNet:
    weights = [
        sp.Matrix(widths[l + 1], widths[l], lambda i, j, l=l: sp.Symbol(f"w{l + 1}_{i}{j}"))
        for l in range(len(widths) - 1)
    ]
    x = sp.Matrix(widths[0], 1, lambda i, _: sp.Symbol(f"x{i}"))
    a = x
    for l, W in enumerate(weights):
        h = W * a
        a = h.applyfunc(lambda t: t**p) if l < len(weights) - 1 else h
    return SymbolicNet(tuple(widths), p, weights, x, a)


def is_zero(expr: sp.Expr) -> bool:
    """Exact test that a polynomial expression is identically zero."""
    return sp.expand(expr) == 0


def euler_defect(f: sp.Expr, variables: list[sp.Symbol], degree) -> sp.Expr:
    """Σ_v v·∂f/∂v − degree·f (zero iff f is homogeneous of that degree in ``variables``)."""
    return sum(v * sp.diff(f, v) for v in variables) - degree * f


def scaling_defect(f: sp.Expr, variables: list[sp.Symbol], degree, c: sp.Symbol) -> sp.Expr:
    """f(c·v) − c^degree f(v)."""
    return f.subs({v: c * v for v in variables}, simultaneous=True) - c**degree * f
