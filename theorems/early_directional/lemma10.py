"""edc Lemma 10: the gradient of the normalised NCF Ñ(u) = N(u)/‖u‖^L is ∇N projected off u, over ‖u‖^L.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 10 (App. B), digest ../shared/spec/early_directional_convergence.md "edc.lemma10", claim C3, §1.4 (Ñ). L is the
homogeneity degree of N (p̂ = 1 + p + … + p^{depth−1} for the feed-forward net of eq. 9, edc §1.6), not the depth.

Statement. Let N(u) = zᵀH(X; u) be L-homogeneous and differentiable, and Ñ(u) := N(u)/‖u‖^L (= N(u/‖u‖)) for u ≠ 0. Then

    ∇Ñ(u) = ∇N(u)/‖u‖^L − L·N(u)·u/‖u‖^{L+2} = (I − uuᵀ/‖u‖²)∇N(u)/‖u‖^L,   and   uᵀ∇Ñ(u) = 0.

(Quotient rule with ∇‖u‖^{−L} = −L·u/‖u‖^{L+2}; the two forms agree by Euler's identity uᵀ∇N(u) = L·N(u).)
dc2.lemmaC6 is the two-homogeneous case (L = 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
import torch
from hypothesis import strategies as st

from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS
from verify.sphere import value_and_grad
from verify.strategies import DEFAULT_FAMILIES, activations, datasets, ncf_problems, seeds
from verify.symbolic import is_zero

POINTS = 6  # random points per instance
FLOOR = 1e3 * EPS  # float64 rounding level of a defect relative to the summand scale
SYMBOLIC_DEGREES = (2, 3, 4, 5)  # degrees of the generic homogeneous polynomials of the obligations


@dataclass(frozen=True)
class NormalisedGradientMeasurements:
    """What edc.lemma10 measured at the instance's points (largest relative defects, units of the summand scale
    Σ|z_nm|‖∇H_nm(u)‖/‖u‖^L): autograd's ∇Ñ against the quotient-rule form and against the projection form, uᵀ∇Ñ/‖u‖;
    the degree L, the range of ‖u‖, and ‖∇Ñ‖ relative to the scale at its smallest (how much the projection cancelled)."""

    degree: int
    gradient_defect: float
    projection_defect: float
    radial_defect: float
    radius_min: float
    radius_max: float
    smallest_gradient: float


@register
class NormalisedNCFGradient(Checker):
    """edc Lemma 10: ∇Ñ = ∇N/‖u‖^L − L·N·u/‖u‖^{L+2} = (I − uuᵀ/‖u‖²)∇N/‖u‖^L, and uᵀ∇Ñ = 0."""

    id = "edc.lemma10"
    title = "The gradient of the normalised NCF Ñ = N/‖u‖^L: the projected gradient of N over ‖u‖^L, orthogonal to u"
    source = "edc Lemma 10 (digest edc.lemma10, claim C3)"
    statement = (
        "For N L-homogeneous and differentiable, Ñ(u) = N(u)/‖u‖^L and u ≠ 0: ∇Ñ(u) = ∇N(u)/‖u‖^L − L·N(u)·u/‖u‖^{L+2} "
        "= (I − uuᵀ/‖u‖²)∇N(u)/‖u‖^L, and uᵀ∇Ñ(u) = 0."
    )
    hypotheses_text = (
        "Smooth homogeneous feed-forward nets: σ(x) = max(x, αx)^p with p ∈ {2, 3}, α ∈ {0, 0.1, 0.5, 1, −0.3, 2}, depth 2 or 3 "
        "(L = p̂ ∈ {3, 4, 7, 13}), or linear (α = 1, p = 1) of depth 2–4 (L = 2, 3, 4); hidden widths 1–5, 1–2 outputs; "
        + DEFAULT_FAMILIES + " (n 4–12, d 2–4), z Gaussian or structured. 6 points per instance from its seed: Gaussian "
        "directions with norms e^U, U uniform on [−2, 2] (so ‖u‖ ≠ 1 almost surely)."
    )
    method = (
        "At each point u: ∇N(u) and N(u) by verify.ncf.ncf_and_grad (the written-out backpropagation), ∇Ñ(u) by autograd of "
        "N(u)/‖u‖^L (verify.sphere.value_and_grad on verify.ncf.ncf: an independent computation). Entries: ‖∇Ñ − (∇N/‖u‖^L − "
        "L·N·u/‖u‖^{L+2})‖, ‖∇Ñ − (I − uuᵀ/‖u‖²)∇N/‖u‖^L‖ and |uᵀ∇Ñ|/‖u‖, each relative to the summand scale "
        "Σ_nm|z_nm|‖∇H_nm(u)‖/‖u‖^L (torch.func.jacrev), which bounds both terms and is immune to cancellation in ∇N = "
        "Σ z_nm∇H_nm; floor 1e3·ε. Symbolic: for a generic homogeneous polynomial N in two variables of degree 2–5, both "
        "forms equal the derivative of N·(x² + y²)^{−L/2} and uᵀ∇Ñ = 0, exactly (sympy)."
    )
    tolerance = 1e-10
    floor_factor = 10.0
    max_error_floor = 1e-8

    # the statement's knobs; each mutant replaces one
    normaliser_power = staticmethod(lambda L: L)  # ∇N/‖u‖^{normaliser_power}, in both forms
    radial_factor = staticmethod(lambda L: L)  # the L of L·N(u)·u/‖u‖^{L+2}
    radial_power = staticmethod(lambda L: L + 2)  # the L + 2 of L·N(u)·u/‖u‖^{L+2}
    projector = True  # False: the radial part (and the projector) is dropped
    mutants = [
        Mutant("power L+1 in the radial term", "∇Ñ = ∇N/‖u‖^L − L·N·u/‖u‖^{L+1} (∇‖u‖ = u/‖u‖ forgotten)",
               radial_power=staticmethod(lambda L: L + 1)),
        Mutant("missing projector", "∇Ñ = ∇N(u)/‖u‖^L (the radial part dropped: no (I − uuᵀ/‖u‖²))", projector=False),
        Mutant("factor L−1 in the radial term", "∇Ñ = ∇N/‖u‖^L − (L−1)·N·u/‖u‖^{L+2} (the degree of ∇N in place of N's)",
               radial_factor=staticmethod(lambda L: L - 1)),
        Mutant("normaliser ‖u‖^{L+1}", "∇Ñ = (I − uuᵀ/‖u‖²)∇N/‖u‖^{L+1} (and ∇N/‖u‖^{L+1} in the quotient form)",
               normaliser_power=staticmethod(lambda L: L + 1)),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 12), d=(2, 4))
        smooth = ncf_problems(data=data, depths=(2, 3), widths=(1, 5), outputs=(1, 2),
                              activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3, 2.0), ps=(2, 3)))
        linear = ncf_problems(data=data, depths=(2, 3, 4), widths=(1, 5), outputs=(1, 2), activation=st.just(Activation(1.0, 1)))
        return st.tuples(st.one_of(smooth, linear), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        net = problem.net
        L = net.degree
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        gen = torch.Generator().manual_seed(seed)
        U = torch.randn(POINTS, net.n_params, generator=gen, dtype=DTYPE)
        U = U / U.norm(dim=1, keepdim=True) * torch.exp(4 * torch.rand(POINTS, 1, generator=gen, dtype=DTYPE) - 2)
        r = U.norm(dim=1, keepdim=True)
        N, s = ncf_and_grad(net, U, X, z)
        _, grad = value_and_grad(lambda V: ncf(net, V, X, z) / V.norm(dim=1) ** L, U)  # ∇Ñ by autograd
        # the summand scale Σ_nm |z_nm|‖∇H_nm(u)‖/‖u‖^L: bounds ‖∇N‖/‖u‖^L and (Euler) L|N|/‖u‖^{L+1}
        zc = z.reshape(X.shape[0], -1).abs()
        summands = torch.stack([(zc * torch.func.jacrev(lambda w: net(w, X))(u).norm(dim=-1)).sum() for u in U])
        scale = (summands / r[:, 0] ** L).clamp_min(torch.finfo(DTYPE).tiny)
        a, c, b = self.normaliser_power(L), self.radial_factor(L), self.radial_power(L)
        radial = c * N[:, None] * U / r**b if self.projector else torch.zeros_like(U)
        quotient = s / r**a - radial
        along = (U * s).sum(1, keepdim=True) * U / r**2 if self.projector else torch.zeros_like(U)
        projected = (s - along) / r**a
        quotient_defect = (grad - quotient).norm(dim=1) / scale
        projection_defect = (grad - projected).norm(dim=1) / scale
        radial_defect = (grad * U).sum(1).abs() / (r[:, 0] * scale)
        form = (f"∇N/‖u‖^{_power('L', a - L)} − {_factor(c - L)}·N·u/‖u‖^{_power('L', b - L)}" if self.projector
                else f"∇N/‖u‖^{_power('L', a - L)}")
        proj = (f"(I − uuᵀ/‖u‖²)∇N/‖u‖^{_power('L', a - L)}" if self.projector else f"∇N/‖u‖^{_power('L', a - L)}")
        checked: list[Entry] = []
        for i in range(POINTS):
            where = f"point {i + 1} (‖u‖ = {float(r[i, 0]):.3g})"
            checked += [Entry(float(quotient_defect[i]), FLOOR, True, f"{where}: ∇Ñ = {form}"),
                        Entry(float(projection_defect[i]), FLOOR, True, f"{where}: ∇Ñ = {proj}"),
                        Entry(float(radial_defect[i]), FLOOR, True, f"{where}: uᵀ∇Ñ = 0")]
        m = NormalisedGradientMeasurements(L, float(quotient_defect.max()), float(projection_defect.max()),
                                           float(radial_defect.max()), float(r.min()), float(r.max()),
                                           float((grad.norm(dim=1) / scale).min()))
        return Evidence(checked, m, instance=f"{problem}; point seed={seed}")

    def obligations(self) -> list[Obligation]:
        """For a generic homogeneous polynomial N(x, y) = Σ_k c_k x^k y^{L−k} of degree L ∈ {2, …, 5}: the gradient of
        N·(x² + y²)^{−L/2} equals the quotient form and the projection form (with the knobs of the statement), and
        uᵀ∇Ñ = 0; each decided by exact expansion after clearing (x² + y²)^{(L+2)/2}."""
        x, y = sp.symbols("x y", real=True)
        R = sp.Symbol("R", positive=True)  # stands for x² + y² while the powers are cleared
        out = []
        for L in SYMBOLIC_DEGREES:
            c = sp.symbols(f"c0:{L + 1}")
            N = sum(c[k] * x**k * y ** (L - k) for k in range(L + 1))
            r2 = x**2 + y**2
            u = sp.Matrix([x, y])
            s = sp.Matrix([sp.diff(N, x), sp.diff(N, y)])
            normalised = N * r2 ** sp.Rational(-L, 2)
            grad = sp.Matrix([sp.diff(normalised, x), sp.diff(normalised, y)])
            a, cf, b = self.normaliser_power(L), self.radial_factor(L), self.radial_power(L)
            if self.projector:
                quotient = s * r2 ** sp.Rational(-a, 2) - cf * N * u * r2 ** sp.Rational(-b, 2)
                projected = (s - (u.T * s)[0] * u / r2) * r2 ** sp.Rational(-a, 2)
            else:
                quotient = projected = s * r2 ** sp.Rational(-a, 2)

            def vanishes(expr: sp.Expr, L: int = L) -> bool:
                cleared = sp.expand(expr.subs(r2, R) * R ** sp.Rational(L + 2, 2))
                return is_zero(cleared.subs(R, r2))

            holds = (all(vanishes(e) for e in grad - quotient) and all(vanishes(e) for e in grad - projected)
                     and vanishes((u.T * grad)[0]))
            out.append(Obligation(
                f"degree L = {L}, two variables",
                (f"∇[N/r^{L}] = ∇N/r^{a} − {cf}·N·u/r^{b} = (I − uuᵀ/r²)∇N/r^{a}" if self.projector else f"∇[N/r^{L}] = ∇N/r^{a}")
                + ", uᵀ∇[N/r^" + f"{L}] = 0 (r² = x² + y², generic N of degree {L})",
                holds, "exact" if holds else "the cleared difference is a non-zero expression"))
        return out


def _power(symbol: str, offset: int) -> str:
    """'L', 'L+1', 'L−1' … for an exponent written relative to L."""
    return symbol if offset == 0 else f"{{{symbol}{'+' if offset > 0 else '−'}{abs(offset)}}}"


def _factor(offset: int) -> str:
    return "L" if offset == 0 else f"(L{'+' if offset > 0 else '−'}{abs(offset)})"
