"""dc2 Lemma I.2: gradient descent escapes the non-smooth saddle of g(u) = (u1|u2| − 1)² fast.

Source: Kumar & Haupt (dc2), Lemma I.2 and its proof box; digest ../shared/spec/two_homogeneous.md LEM-I.2 (claim C23).

Statement. For δ ∈ (0, 0.1), the descent flow u̇ = −∇g(u) from u_δ = (1 + δ, δ) has ‖u(0.1) − (1, 0)‖ ≥ 0.09 although
‖u_δ − (1, 0)‖ = √2·δ. Proof: on S = [0.8, 1.2] × [δ/2, 0.35] (where u2 > 0, so the flow is the ODE
u̇1 = 2u2(1 − u1u2), u̇2 = 2u1(1 − u1u2)), δ/2 ≤ 0.58δ ≤ u̇1 ≤ 0.7 ≤ 1 and 0.9 ≤ 0.928 ≤ u̇2 ≤ 2.4; the flow stays in S
for t ≤ 0.1, so u2(0.1) ≥ u2(0) + 0.09.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.abs_product import g
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.evidence import at_least, at_most
from verify.flow import FlowStatus, gradient_flow, integrate, two_tolerances
from verify.nets import DTYPE, EPS

HORIZON = 0.1
POINTS = 21  # grid times on [0, 0.1] at which the trajectory must lie in S


@dataclass(frozen=True)
class EscapeMeasurements:
    """What dc2.lemmaI2 measured from u_δ: u(0.1), its distance from (1, 0) and the floor, how far the trajectory got
    outside S (0: inside), the interval bounds of u̇ on S."""

    delta: float
    u_end: tuple[float, float]
    distance: float
    distance_floor: float
    outside_S: float
    u1_rate: tuple[float, float]
    u2_rate: tuple[float, float]


def rates_on_box(delta: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Exact ranges of u̇1 = 2u2(1 − u1u2) and u̇2 = 2u1(1 − u1u2) on S = [0.8, 1.2] × [δ/2, 0.35] (interval arithmetic:
    every factor is positive on S and monotone in each variable)."""
    p_lo, p_hi = 0.8 * delta / 2, 1.2 * 0.35  # u1u2
    return (2 * (delta / 2) * (1 - p_hi), 2 * 0.35 * (1 - p_lo)), (2 * 0.8 * (1 - p_hi), 2 * 1.2 * (1 - p_lo))


@register
class FastEscape(Checker):
    """dc2 Lemma I.2: from (1 + δ, δ) the descent flow of (u1|u2| − 1)² is at distance ≥ 0.09 from (1, 0) at t = 0.1."""

    id = "dc2.lemmaI2"
    title = "Fast escape from the non-smooth saddle of (u1|u2| − 1)²"
    source = "dc2 Lemma I.2 (digest LEM-I.2, C23)"
    statement = (
        "For δ ∈ (0, 0.1) the descent flow of g = (u1|u2| − 1)² from (1 + δ, δ) satisfies ‖u(0.1) − (1, 0)‖ ≥ 0.09; on "
        "S = [0.8, 1.2] × [δ/2, 0.35], δ/2 ≤ u̇1 ≤ 1 and 0.9 ≤ u̇2 ≤ 2.4, and the flow stays in S for t ≤ 0.1."
    )
    hypotheses_text = "δ log-uniform on [1e-8, 0.1), rounded so that 1 + δ is a float."
    method = (
        "The descent flow (verify.flow.gradient_flow of g, ascent=False; u2 > 0 on S, so it is an ODE) integrated with "
        "verify.flow.integrate (DOP853) to t = 0.1 at rtol 1e-11 and 1e-13 (scipy's floor is 2.2e-14), atol 100× smaller "
        "(the floor is the change of the distance); the trajectory at 21 times must lie in S (violation: how far outside); "
        "the rate bounds on S from interval arithmetic on the box (exact, every factor positive and monotone)."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-8

    escape_distance = 0.09
    u2_rate_floor = 0.9  # the proof's lower bound on u̇2 over S (the exact minimum is 0.928)
    mutants = [
        Mutant("u̇2 ≥ 0.95 on S", "the proof's box gives u̇2 ≥ 0.95 (its exact minimum is 2·0.8·(1 − 1.2·0.35) = 0.928)",
               u2_rate_floor=0.95),
        Mutant("escape distance 0.2", "‖u(0.1) − (1, 0)‖ ≥ 0.2 (the distance tends to 0.1828 as δ → 0)", escape_distance=0.2),
    ]

    def hypotheses(self):
        return st.floats(-8.0, -1.0, exclude_max=True).map(lambda e: 10.0**e)

    def claim(self, delta: float, ctx: Context) -> Evidence:
        d = (1.0 + delta) - 1.0  # 1 + δ exact
        flow = gradient_flow(g, ascent=False, name="(u1|u2| − 1)²")
        u0 = torch.tensor([1 + d, d], dtype=DTYPE)
        times = np.linspace(0.0, HORIZON, POINTS)[1:]
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            path = integrate(flow, u0, HORIZON, rtol=rtol, atol=atol, t_eval=times)
            if path.status is not FlowStatus.SUCCESS:
                ends.append(f"{path.status}: {path.message}")
                return np.full(3 + 2 * len(times), math.nan)
            end = path.u[-1]
            return np.concatenate([[np.hypot(end[0] - 1, end[1]), *end], path.u[:, 0], path.u[:, 1]])

        tt = two_tolerances(measure, rtol=1e-11, atol=1e-13)
        distance, floor = float(tt.value[0]), float(tt.floor[0])
        u1s, u2s = tt.value[3:3 + len(times)], tt.value[3 + len(times):]
        outside = float(np.nanmax(np.maximum.reduce([0.8 - u1s, u1s - 1.2, d / 2 - u2s, u2s - 0.35, np.zeros_like(u1s)])))
        (r1_lo, r1_hi), (r2_lo, r2_hi) = rates_on_box(d)
        ok = math.isfinite(distance) and math.isfinite(floor)
        why = "" if ok else ": not integrated (" + "; ".join(ends) + ")"
        checked = [
            at_least(distance, self.escape_distance, floor, f"‖u(0.1) − (1, 0)‖ ≥ {self.escape_distance:g}{why}")
            if ok else Entry(math.nan, math.nan, False, f"‖u(0.1) − (1, 0)‖{why}"),
            Entry(outside, float(np.nanmax(tt.floor[3:])), ok, f"u(t) ∈ S = [0.8, 1.2] × [δ/2, 0.35] for t ≤ 0.1{why}"),
            at_least(r1_lo, d / 2, 1e3 * EPS, "u̇1 ≥ δ/2 on S"), at_most(r1_hi, 1.0, 1e3 * EPS, "u̇1 ≤ 1 on S"),
            at_least(r2_lo, self.u2_rate_floor, 1e3 * EPS, f"u̇2 ≥ {self.u2_rate_floor:g} on S"),
            at_most(r2_hi, 2.4, 1e3 * EPS, "u̇2 ≤ 2.4 on S"),
        ]
        m = EscapeMeasurements(d, (float(tt.value[1]), float(tt.value[2])), distance, floor, outside, (r1_lo, r1_hi),
                               (r2_lo, r2_hi))
        return Evidence(checked, m, instance=f"δ = {d:.6g}", note="; ".join(dict.fromkeys(ends)))
