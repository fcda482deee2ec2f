"""dc2 Lemma C.6: the normalised NCF Ñ(u) = N(u)/‖u‖², its (sub)gradient and the norm of it.

Source: Kumar & Haupt (dc2), Lemma C.6; digest ../shared/spec/two_homogeneous.md LEM-C.6 and typo T4.

Statement. For u ≠ 0 and N two-homogeneous, with s ∈ ∂N(u) (s = ∇N(u) where N is differentiable):

    ∂Ñ(u) ∋ s/‖u‖² − 2N(u)u/‖u‖⁴ = (I − uuᵀ/‖u‖²) s/‖u‖²,    ∇Ñ(u)·u = 0,
    ‖s/‖u‖² − 2N(u)u/‖u‖⁴‖² = ‖s‖²/‖u‖⁴ − 4N(u)²/‖u‖⁶.

The proof prints the last identity with an extra term + 4N²/‖u‖⁸ (T4): that reading is a mutant that must fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.two_layer import two_layer_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS
from verify.strategies import seeds
from verify.symbolic import is_zero

POINTS = 6  # random points per instance


@dataclass(frozen=True)
class NormalisedNCFMeasurements:
    """What dc2.lemmaC6 measured at the instance's points (largest relative defects): autograd's ∇Ñ against the
    stated form, the projection form against it, ∇Ñ·u, the norm identity (and the printed one, side by side)."""

    gradient_defect: float
    projection_defect: float
    radial_defect: float
    norm_defect: float
    printed_norm_defect: float


@register
class NormalisedNCF(Checker):
    """dc2 Lemma C.6: ∇Ñ = (I − uuᵀ/‖u‖²)∇N/‖u‖² and ‖∇Ñ‖² = ‖∇N‖²/‖u‖⁴ − 4N²/‖u‖⁶ (corrected, T4)."""

    id = "dc2.lemmaC6"
    title = "The normalised NCF Ñ = N/‖u‖²: its gradient, orthogonal to u, and its norm (corrected expansion)"
    source = "dc2 Lemma C.6 (the norm expansion as corrected in digest T4)"
    statement = (
        "For u ≠ 0 and s = ∇N(u) (N two-homogeneous): ∇Ñ(u) = s/‖u‖² − 2N(u)u/‖u‖⁴ = (I − uuᵀ/‖u‖²)s/‖u‖², ∇Ñ(u)·u = 0, and "
        "‖∇Ñ(u)‖² = ‖s‖²/‖u‖⁴ − 4N(u)²/‖u‖⁶."
    )
    hypotheses_text = (
        "Two-layer nets H = W2σ(W1x), σ = max(x, αx), α ∈ {0, 0.1, 0.5, −0.3, 1}, hidden width 1–6, 1–2 outputs, on the "
        "default data and target families; 6 points per instance from its seed, Gaussian directions with norms "
        "e^U, U uniform on [−2, 2] (random points are off the kinks almost surely)."
    )
    method = (
        "At each point: s, N by verify.ncf.ncf_and_grad (the written-out backpropagation), ∇Ñ by autograd of N(u)/‖u‖² "
        "(an independent computation); relative defects of ∇Ñ against s/‖u‖² − 2Nu/‖u‖⁴ and of the projection form, "
        "|∇Ñ·u|/(‖∇Ñ‖‖u‖), and the norm identity relative to ‖s‖²/‖u‖⁴; floors 1e3·ε. Symbolic: the identities with "
        "N = uᵀs/2 (Euler) for generic vectors of length 3."
    )
    tolerance = 1e-10
    floor_factor = 10.0
    max_error_floor = 1e-8

    printed_extra = 0  # the coefficient of the printed extra term + 4N²/‖u‖⁸ (T4: 1)
    radial_factor = 2  # the 2 of 2N(u)u/‖u‖⁴: the derivative of ‖u‖^{−2}
    mutants = [
        Mutant("factor 1 in the radial part", "∇Ñ = s/‖u‖² − N(u)u/‖u‖⁴", radial_factor=1),
        Mutant("printed expansion (T4)", "‖∇Ñ‖² = ‖s‖²/‖u‖⁴ − 4N²/‖u‖⁶ + 4N²/‖u‖⁸, as printed in the proof", printed_extra=1),
    ]

    def hypotheses(self):
        return st.tuples(two_layer_problems(widths=(1, 6), outputs=(1, 2)), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        net = problem.net
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        gen = torch.Generator().manual_seed(seed)
        U = torch.randn(POINTS, net.n_params, generator=gen, dtype=DTYPE)
        U = U / U.norm(dim=1, keepdim=True) * torch.exp(4 * torch.rand(POINTS, 1, generator=gen, dtype=DTYPE) - 2)
        N, s = ncf_and_grad(net, U, X, z)
        with torch.enable_grad():
            V = U.clone().requires_grad_(True)
            (normalised_grad,) = torch.autograd.grad((ncf(net, V, X, z) / (V**2).sum(1)).sum(), V)
        r2 = (U**2).sum(1, keepdim=True)
        stated = s / r2 - self.radial_factor * N[:, None] * U / r2**2
        projected = (s - (U * s).sum(1, keepdim=True) * U / r2) / r2
        scale = (s.norm(dim=1, keepdim=True) / r2).clamp_min(1e-300)[:, 0]
        gradient = (normalised_grad - stated).norm(dim=1) / scale
        projection = (projected - stated).norm(dim=1) / scale
        radial = (normalised_grad * U).sum(1).abs() / (normalised_grad.norm(dim=1) * U.norm(dim=1)).clamp_min(1e-300)
        claimed = (s**2).sum(1) / r2[:, 0] ** 2 - 4 * N**2 / r2[:, 0] ** 3 + self.printed_extra * 4 * N**2 / r2[:, 0] ** 4
        printed = (s**2).sum(1) / r2[:, 0] ** 2 - 4 * N**2 / r2[:, 0] ** 3 + 4 * N**2 / r2[:, 0] ** 4
        measured = (normalised_grad**2).sum(1)
        norm = (measured - claimed).abs() / scale**2
        checked: list[Entry] = []
        for i in range(POINTS):
            where = f"point {i + 1} (‖u‖ = {float(r2[i, 0]) ** 0.5:.3g})"
            checked += [Entry(float(gradient[i]), 1e3 * EPS, True, f"{where}: ∇Ñ = s/‖u‖² − {self.radial_factor}Nu/‖u‖⁴"),
                        Entry(float(projection[i]), 1e3 * EPS, True, f"{where}: = (I − uuᵀ/‖u‖²)s/‖u‖²"),
                        Entry(float(radial[i]), 1e3 * EPS, True, f"{where}: ∇Ñ·u = 0"),
                        Entry(float(norm[i]), 1e3 * EPS, True, f"{where}: ‖∇Ñ‖² = ‖s‖²/‖u‖⁴ − 4N²/‖u‖⁶"
                              + (" + 4N²/‖u‖⁸" if self.printed_extra else ""))]
        m = NormalisedNCFMeasurements(float(gradient.max()), float(projection.max()), float(radial.max()), float(norm.max()),
                                      float(((measured - printed).abs() / scale**2).max()))
        return Evidence(checked, m, instance=f"{problem}; point seed={seed}")

    def obligations(self) -> list[Obligation]:
        """With N = uᵀs/2 (Euler, two-homogeneous) for generic u, s ∈ R³: s/r² − 2Nu/r⁴ = (I − uuᵀ/r²)s/r² and its squared
        norm is ‖s‖²/r⁴ − 4N²/r⁶ (+ the printed term when a mutant adds it)."""
        u = sp.Matrix(sp.symbols("u1:4", real=True))
        s = sp.Matrix(sp.symbols("s1:4", real=True))
        r2 = (u.T * u)[0]
        N = (u.T * s)[0] / 2
        g = s / r2 - 2 * N * u / r2**2
        projection = is_zero(sp.simplify(((s - (u.T * s)[0] * u / r2) / r2 - g).norm() ** 2 * r2**4))
        expansion = sp.simplify(((g.T * g)[0] - ((s.T * s)[0] / r2**2 - 4 * N**2 / r2**3 + self.printed_extra * 4 * N**2 / r2**4))
                                * r2**4)
        return [Obligation("projection form", "s/r² − 2Nu/r⁴ = (I − uuᵀ/r²)s/r² with N = uᵀs/2", projection,
                           "exact" if projection else "differs"),
                Obligation("norm expansion", "‖s/r² − 2Nu/r⁴‖² = ‖s‖²/r⁴ − 4N²/r⁶" + (" + 4N²/r⁸" if self.printed_extra else ""),
                           is_zero(expansion), "exact" if is_zero(expansion) else str(sp.factor(expansion)) + " (× r⁸)")]
