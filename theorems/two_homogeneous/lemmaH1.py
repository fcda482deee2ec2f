"""dc2 Lemma H.1: the non-zero KKT points of the one-neuron two-layer (leaky) ReLU NCF are balanced and quantised.

Source: Kumar & Haupt (dc2), Lemma H.1 with the digest's clarification of the sign; digest
../shared/spec/two_homogeneous.md LEM-H.1 (claim C18).

Statement. For problem (89), max_{v² + ‖u‖² = 1} v·yᵀσ(Xu) with σ(s) = max(s, αs): if (v*, u*) is a KKT point with
v*·yᵀσ(Xu*) ≠ 0, then |v*| = ‖u*‖ = 1/√2 and √2·u* is a KKT point of (90), max_{‖u‖ = 1} yᵀσ(Xu), with multiplier
λ = F(√2u*) (F(u) = yᵀσ(Xu) is 1-homogeneous). (The digest's remark that √2u* is a non-negative KKT point of (90) only
when v* > 0 follows from v*·F(u*) > 0 at a maximum's KKT point by construction, so it is not an entry here.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.two_layer import two_layer_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.kkt import kkt_points
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import seeds


@dataclass(frozen=True)
class QuantisedKKTMeasurements:
    """What dc2.lemmaH1 measured: how many certified KKT points with non-zero value were found (both signs), and at them
    the largest |‖u*‖ − 1/√2|, ||v*| − 1/√2| and KKT residual of √2u* for (90)."""

    points: int
    norm_defect: float
    weight_defect: float
    reduced_residual: float


@register
class OneNeuronKKT(Checker):
    """dc2 Lemma H.1: |v*| = ‖u*‖ = 1/√2 and √2u* is a KKT point of max yᵀσ(Xu) on the sphere."""

    id = "dc2.lemmaH1"
    title = "Non-zero KKT points of one leaky-ReLU neuron: |v*| = ‖u*‖ = 1/√2, √2u* KKT for the one-layer problem"
    source = "dc2 Lemma H.1 (digest LEM-H.1, C18; the sign clarified)"
    statement = (
        "If (v*, u*) is a KKT point of max_{v² + ‖u‖² = 1} v·yᵀσ(Xu), σ = max(s, αs), with non-zero value, then |v*| = "
        "‖u*‖ = 1/√2 and √2u* is a KKT point of max_{‖u‖ = 1} yᵀσ(Xu) (multiplier F(√2u*), F = yᵀσ(X·))."
    )
    hypotheses_text = (
        "One hidden neuron (net (d, 1, 1)), σ = max(x, αx) with α ∈ {0, 0.1, 0.5, −0.3, 2}; the default data and target "
        "families (n 4–30, d 2–6). KKT points of both signs: verify.kkt_points on (89) for y and for −y (a maximum for −y "
        "is a minimum for y), 8 uniform starts plus the structured ones, every certified point kept (positive_only=False)."
    )
    method = (
        "Each certified point (Clarke certificate for kinked σ, residual ≤ 1e-10) with |value| > 1e-8 is split into v* "
        "and u*; the entries are |‖u*‖ − 1/√2| and ||v*| − 1/√2| (floor: the certified residual plus 1e3·ε), the KKT "
        "residual of w = √2u* for (90) computed from the certificate's own subgradient (its u-block divided by v* is an "
        "element of ∂F(u*) = ∂F(w), F(u) = yᵀσ(Xu) being 1-homogeneous): ‖s − F(w)w‖/‖s‖ (floor 10× the point's). An "
        "instance without such a point is undecided."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-7

    norm_claimed = 1 / math.sqrt(2)  # ‖u*‖ (a mutant: the unbalanced 1/2)
    reduced_multiplier = 1.0  # λ = reduced_multiplier·F(w) in (90)'s KKT condition s = λw
    mutants = [
        Mutant("‖u*‖ = 1/2", "the KKT points have ‖u*‖ = 1/2 and |v*| = √3/2", norm_claimed=0.5),
        Mutant("multiplier 2F", "√2u* satisfies ∂F ∋ 2F(w)·w (the two-homogeneous multiplier of (89) carried over)",
               reduced_multiplier=2.0),
    ]

    def hypotheses(self):
        return st.tuples(two_layer_problems(widths=(1, 1), slopes=(0.0, 0.1, 0.5, -0.3, 2.0)), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        net: FeedForward = problem.net
        X, y = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE).reshape(-1)
        checked: list[Entry] = []
        norm_d = weight_d = residual_d = 0.0
        points = 0
        summaries = []
        for label, z in (("y", y), ("−y", -y)):
            found = kkt_points(net, X, z, restarts=8, steps=600, seed=seed, positive_only=False, tol=1e-10)
            summaries.append(f"{label}: {found.summary()}")
            for n, point in enumerate(found.points, start=1):
                if not abs(point.value) > 1e-8:
                    continue
                points += 1
                u, v = point.u[:-1], float(point.u[-1])
                sign = 1.0 if label == "y" else -1.0  # the value for y is sign·(the value found for z)
                floor = point.residual + 1e3 * EPS
                w = math.sqrt(2) * u
                F = float((y * net.activation(X @ w)).sum())
                s = sign * point.grad[:-1] / v  # ∂F(u*) from the certificate: its u-block is v·Σ z_i σ′(x_iᵀu)x_i
                residual = float((s - self.reduced_multiplier * F * w).norm() / s.norm())
                where = f"z = {label}, KKT point {n} (value {point.value:.4g}, {point.certificate})"
                norm_defect = abs(float(u.norm()) - self.norm_claimed)
                weight_defect = abs(abs(v) - math.sqrt(1 - self.norm_claimed**2))
                checked += [Entry(norm_defect, floor, True, f"{where}: ‖u*‖ = {self.norm_claimed:.6g}"),
                            Entry(weight_defect, floor, True, f"{where}: |v*| = {math.sqrt(1 - self.norm_claimed**2):.6g}"),
                            Entry(residual, 10 * floor, True, f"{where}: √2u* is a KKT point of max yᵀσ(Xu) on the sphere")]
                norm_d, weight_d, residual_d = max(norm_d, norm_defect), max(weight_d, weight_defect), max(residual_d, residual)
        if not points:
            return Evidence.undecided("no certified KKT point with non-zero value: " + "; ".join(summaries),
                                      instance=f"{problem}; seed={seed}")
        m = QuantisedKKTMeasurements(points, norm_d, weight_d, residual_d)
        return Evidence(checked, m, instance=f"{problem}; seed={seed}", note="; ".join(summaries))
