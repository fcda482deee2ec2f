"""dc2 Lemma I.1: a non-smooth saddle with large subgradients nearby, g(u) = (u1|u2| − 1)².

Source: Kumar & Haupt (dc2), Lemma I.1 (and the orientation of Assumption 3's condition, typo T5); digest
../shared/spec/two_homogeneous.md LEM-I.1 and §3.4.

Statement. At ũ = (1, 0), 0 ∈ ∂g(ũ) = {0} × [−2, 2]. For δ ∈ (0, 0.1) and u_δ = (1 + δ, δ), g is differentiable with

    ∇g(u_δ) = (−2δ(1 − δ(1 + δ)), −2(1 + δ)(1 − δ(1 + δ))),   ‖∇g(u_δ)‖ ≥ 2(1 + δ)(1 − δ(1 + δ)) ≥ 1.78,

and ⟨u_δ − ũ, ∇g(u_δ)⟩/‖u_δ − ũ‖² = −(1 − δ − δ²)(1 + 2δ)/δ → −∞ (the corrected condition (15) fails at ũ for every κ).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.abs_product import g
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, relative
from verify.nets import DTYPE, EPS
from verify.sphere import value_and_grad


@dataclass(frozen=True)
class SaddleGradientMeasurements:
    """What dc2.lemmaI1 measured at u_δ: ‖∇g‖, its claimed lower bound, the gradient's relative defect against the
    closed form, the ratio of (15) against its closed form."""

    delta: float
    gradient_norm: float
    lower_bound: float
    gradient_defect: float
    ratio: float


@register
class NonSmoothSaddle(Checker):
    """dc2 Lemma I.1: 0 ∈ ∂g(1, 0), yet ‖∇g(1 + δ, δ)‖ ≥ 1.78 for δ ∈ (0, 0.1)."""

    id = "dc2.lemmaI1"
    title = "A non-smooth saddle of (u1|u2| − 1)² with gradients of norm ≥ 1.78 arbitrarily close"
    source = "dc2 Lemma I.1 (digest LEM-I.1, §3.4; T5)"
    statement = (
        "0 ∈ ∂g(1, 0) = {0} × [−2, 2] for g = (u1|u2| − 1)²; for δ ∈ (0, 0.1), ∇g(1 + δ, δ) = (−2δ(1 − δ(1+δ)), "
        "−2(1+δ)(1 − δ(1+δ))), ‖∇g‖ ≥ 2(1+δ)(1 − δ(1+δ)) ≥ 1.78, and ⟨u_δ − (1, 0), ∇g⟩/‖u_δ − (1, 0)‖² = "
        "−(1 − δ − δ²)(1 + 2δ)/δ."
    )
    hypotheses_text = "δ log-uniform on [1e-8, 0.1) (the statement's open interval, its small end included)."
    method = (
        "δ is rounded so that 1 + δ is a float (u_δ is then exact). ∇g(u_δ) by autograd (g is smooth at u_δ: u2 = δ > 0) "
        "against the closed form (relative, floor 1e3·ε); ‖∇g‖ at least the stated bound and the bound at least 1.78 (both "
        "with floor 1e3·ε); the ratio of (15) against its closed form. The Clarke subdifferential at (1, 0) is a sympy "
        "obligation (the partial derivatives on both sides of u2 = 0)."
    )
    tolerance = 1e-12
    floor_factor = 10.0
    max_error_floor = 1e-9

    floor_value = 1.78  # the uniform lower bound on (0, 0.1)
    ratio_sign = -1.0  # the ratio of (15) tends to −∞ (printed orientation, T5: +)
    mutants = [
        Mutant("(15) as printed (T5)", "⟨u_δ − ũ, ∇g⟩/‖u_δ − ũ‖² = +(1 − δ − δ²)(1 + 2δ)/δ (the printed orientation)",
               ratio_sign=1.0),
        Mutant("‖∇g(u_δ)‖ ≥ 2", "the gradient near the saddle has norm at least 2 (its value at the saddle's edge)",
               floor_value=2.0),
    ]

    def hypotheses(self):
        return st.floats(-8.0, -1.0, exclude_max=True).map(lambda e: 10.0**e)

    def claim(self, delta: float, ctx: Context) -> Evidence:
        d = (1.0 + delta) - 1.0  # δ rounded so that 1 + δ is exact: u_δ is then exactly (1 + δ, δ) in floating point
        u = torch.tensor([[1 + d, d]], dtype=DTYPE)
        _, grad = value_and_grad(g, u)
        grad = grad[0]
        shrink = 1 - d * (1 + d)
        closed = torch.tensor([-2 * d * shrink, -2 * (1 + d) * shrink], dtype=DTYPE)
        defect = float((grad - closed).norm() / closed.norm())
        bound = 2 * (1 + d) * shrink
        step = u[0] - torch.tensor([1.0, 0.0], dtype=DTYPE)
        ratio = float(step @ grad / (step @ step))
        ratio_closed = self.ratio_sign * (1 - d - d * d) * (1 + 2 * d) / d
        norm = float(grad.norm())
        checked = [
            Entry(defect, 1e3 * EPS, True, "∇g(u_δ) = (−2δ(1 − δ(1+δ)), −2(1+δ)(1 − δ(1+δ)))"),
            at_least(norm, bound, 1e3 * EPS, "‖∇g(u_δ)‖ ≥ 2(1+δ)(1 − δ(1+δ))"),
            at_least(bound, self.floor_value, 1e3 * EPS, f"2(1+δ)(1 − δ(1+δ)) ≥ {self.floor_value:g}"),
            Entry(relative(ratio, ratio_closed), 1e3 * EPS, True, "⟨u_δ − ũ, ∇g⟩/‖u_δ − ũ‖² = −(1 − δ − δ²)(1 + 2δ)/δ"),
        ]
        return Evidence(checked, SaddleGradientMeasurements(d, norm, bound, defect, ratio), instance=f"δ = {d:.6g}")

    def obligations(self) -> list[Obligation]:
        """The partials of g at (1, u2) as u2 → 0 from either side: ∂g/∂u1 → 0 and ∂g/∂u2 → ∓2, so ∂g(1, 0) = {0} × [−2, 2]
        (the convex hull of the limiting gradients) contains 0."""
        u1, t = sp.symbols("u1 t", real=True)
        m = sp.Symbol("m", positive=True)
        limits = []
        for side in (m, -m):
            expr = (u1 * sp.Abs(t) - 1) ** 2
            grad = [sp.diff(expr, u1), sp.diff(expr, t)]
            limits.append([sp.limit(gi.subs(t, side).subs(u1, 1), m, 0, "+") for gi in grad])
        holds = limits == [[0, -2], [0, 2]]
        return [Obligation("∂g(1, 0)", "the limiting gradients at (1, 0) are (0, −2) and (0, 2): 0 ∈ ∂g(1, 0) = {0} × [−2, 2]",
                           holds, str(limits))]
