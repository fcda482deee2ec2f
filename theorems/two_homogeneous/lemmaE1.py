"""dc2 Lemma E.1: the ascent flow of f(u1, u2) = u1|u2| branches at (c, 0), c > 0.

Source: Kumar & Haupt (dc2), Lemma E.1; digest ../shared/spec/two_homogeneous.md LEM-E.1 and §3.3.

Statement. For every escape time T ≥ 0 and sign s = ±1,

    u_T(t) = (c, 0) for t ∈ [0, T],   u_T(t) = c(cosh(t − T), s·sinh(t − T)) for t ≥ T

solves u̇ ∈ ∂f(u) = {(|u2|, u1·g) : g ∈ ∂|u2|}, u(0) = (c, 0): the start is branching (solutions with different T or s
differ). Every u_T converges in direction to (1, s)/√2, yet for a horizon T_h ≤ T the direction at T_h is still (1, 0),
at distance √(2 − √2) ≈ 0.765367 from that limit (the digest states c = 1; 2-homogeneity gives every c > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.abs_product import distance_to_subdifferential, f
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.flow import gradient_flow, integrate
from verify.nets import DTYPE, EPS

GRID = 41  # times on [0, T + 3] at which the inclusion is checked
LIMIT_TIME = 20.0  # τ = t − T at which the direction is compared with (1, s)/√2 (it converges as e^{−2τ})
TAU = sp.Symbol("tau", nonnegative=True)


@dataclass(frozen=True)
class BranchingInstance:
    """The start (c, 0), two escape times T < T2, the sign s of the escape and a horizon T_h ≤ T."""

    c: float
    escape_time: float
    later_by: float
    sign: float
    horizon_fraction: float

    @property
    def later(self) -> float:
        return self.escape_time + self.later_by

    def __str__(self) -> str:
        return (f"c = {self.c:.6g}, T = {self.escape_time:.6g}, T2 = {self.later:.6g}, s = {self.sign:+g}, "
                f"T_h = {self.horizon_fraction:.3g}·T")


@dataclass(frozen=True)
class BranchingMeasurements:
    """What dc2.lemmaE1 measured: the largest distance of u̇ from ∂f(u) on the grid (relative to c), the distance of the
    two solutions at T2, the direction's distance from (1, s)/√2 at T + 20 and at the horizon T_h (reported; its value
    √(2 − √2) is an obligation)."""

    inclusion_defect: float
    branch_gap: float
    limit_distance: float
    horizon_distance: float


@register
class BranchingAbsProduct(Checker):
    """dc2 Lemma E.1: a one-parameter family of solutions from (c, 0), escaping at any time T."""

    id = "dc2.lemmaE1"
    title = "Branching of the ascent flow of f(u1, u2) = u1|u2| at (c, 0)"
    source = "dc2 Lemma E.1 (digest LEM-E.1, §3.3)"
    statement = (
        "For every T ≥ 0 and s = ±1, u_T = (c, 0) on [0, T] and c(cosh(t − T), s·sinh(t − T)) after solves u̇ ∈ ∂(u1|u2|) "
        "from (c, 0), c > 0: the start branches; u_T/‖u_T‖ → (1, s)/√2, but at a horizon T_h ≤ T the direction is (1, 0), "
        "at distance √(2 − √2) ≈ 0.765367 from the limit."
    )
    hypotheses_text = "c ∈ [0.1, 5], T ∈ [0, 3], T2 − T ∈ [0.05, 2], s = ±1, T_h ∈ [0, 1]·T."
    method = (
        "The family's derivative is sympy's derivative of the stated formula (so a wrong formula has a wrong derivative); at "
        "41 times on [0, T + 3] (T itself included, with both one-sided derivatives) the distance of u̇ from ∂f(u) — the "
        "first component must be |u2|, the second u1·g with g = sign u2, or any g ∈ [−1, 1] on u2 = 0 — relative to c, "
        "floor 1e3·ε. Branching: the distance of u_T and u_T2 at T2 must exceed 1e-8·c (a claim of existence, decided on "
        "exact formulas). Limits: the direction at T + 20 against (1, s)/√2 (its distance is e^{−40}-small); before T the "
        "member rests at (c, 0) (decided by the inclusion on the grid), so its direction at T_h is (1, 0), whose distance "
        "to the limit, √(2 − √2), is a sympy obligation (the measured distance is reported). And the integrator "
        "(verify.flow, autograd's minimum-norm selection) started at (c, 0) stays there: it follows the T = ∞ member."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-7

    first = sp.cosh(TAU)  # u1/c after the escape, as a function of τ = t − T
    second = sp.sinh(TAU)  # s·u2/c after the escape
    unique = False  # a mutant claims (c, 0) has only one solution
    mutants = [
        Mutant("u1 = c·e^{t−T}", "the escaping branch is c(e^{t−T}, s·sinh(t − T))", first=sp.exp(TAU)),
        Mutant("u2 = s·c·(t − T)", "the escaping branch grows linearly in u2", second=TAU),
        Mutant("non-branching", "(c, 0) has one solution: escapes at different times coincide", unique=True),
    ]

    def hypotheses(self):
        return st.builds(BranchingInstance, st.floats(0.1, 5.0), st.floats(0.0, 3.0), st.floats(0.05, 2.0),
                         st.sampled_from((1.0, -1.0)), st.floats(0.0, 1.0))

    def _branch(self, inst: BranchingInstance, escape: float):
        """(u(t), u̇(t) from the left, u̇(t) from the right) of the member escaping at ``escape``."""
        u1, u2 = sp.lambdify(TAU, self.first), sp.lambdify(TAU, self.second)
        d1, d2 = sp.lambdify(TAU, sp.diff(self.first, TAU)), sp.lambdify(TAU, sp.diff(self.second, TAU))
        c, s = inst.c, inst.sign

        def at(t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            if t < escape:
                return np.array([c, 0.0]), np.zeros(2), np.zeros(2)
            tau = t - escape
            u = c * np.array([float(u1(tau)), s * float(u2(tau))])
            right = c * np.array([float(d1(tau)), s * float(d2(tau))])
            return u, (np.zeros(2) if t == escape else right), right

        return at

    def claim(self, inst: BranchingInstance, ctx: Context) -> Evidence:
        c, s, T = inst.c, inst.sign, inst.escape_time
        member = self._branch(inst, T)
        checked: list[Entry] = []
        inclusion = 0.0
        for t in sorted({*np.linspace(0.0, T + 3.0, GRID), T}):
            u, left, right = member(float(t))
            for side, v in (("left", left), ("right", right)):
                defect = distance_to_subdifferential(u, v) / c
                inclusion = max(inclusion, defect)
                checked.append(Entry(defect, 1e3 * EPS * max(1.0, float(np.abs(u).max()) / c), True,
                                     f"u̇ ∈ ∂f(u) at t = {t:.4g} ({side} derivative)"))
        gap = float(np.linalg.norm(member(inst.later)[0] - self._branch(inst, inst.later)(inst.later)[0])) / c
        if self.unique:
            checked.append(Entry(gap, 1e3 * EPS, True, "(mutant) the members escaping at T and T2 coincide at T2"))
        else:
            checked.append(Entry(0.0 if gap > 1e-8 else 1.0, 0.0, True,
                                 f"the members escaping at T and T2 differ at T2 (distance {gap:.3g}·c): (c, 0) branches"))
        limit = np.array([1.0, s]) / math.sqrt(2)
        end = member(T + LIMIT_TIME)[0]
        limit_distance = float(np.linalg.norm(end / np.linalg.norm(end) - limit))
        checked.append(Entry(limit_distance, 1e3 * EPS, True, f"u_T/‖u_T‖ → (1, s)/√2 (distance at T + {LIMIT_TIME:g})"))
        early = member(inst.horizon_fraction * T)[0]
        direction = early / np.linalg.norm(early)
        horizon_distance = float(np.linalg.norm(direction - limit))
        path = integrate(gradient_flow(f, degree=2.0), torch.tensor([c, 0.0], dtype=DTYPE), 3.0)
        rest = float(np.abs(path.u - np.array([c, 0.0])).max()) / c
        checked.append(Entry(rest, 1e3 * EPS, True, "the integrator (minimum-norm selection) from (c, 0) stays there: T = ∞"))
        m = BranchingMeasurements(inclusion, gap, limit_distance, horizon_distance)
        return Evidence(checked, m, instance=str(inst))

    def obligations(self) -> list[Obligation]:
        """Sympy, for τ = t − T > 0 where second(τ) > 0 (so u2 ≠ 0 and ∂f is the gradient): c·(first, s·second) solves
        u̇1 = |u2| = c·second and u̇2 = u1·sign(u2) = s·c·first, i.e. first′ = second and second′ = first, for either s; and
        the branch leaves (c, 0) continuously (first(0) = 1, second(0) = 0)."""
        solves = sp.simplify(sp.diff(self.first, TAU) - self.second) == 0 and sp.simplify(sp.diff(self.second, TAU) - self.first) == 0
        joins = self.first.subs(TAU, 0) == 1 and self.second.subs(TAU, 0) == 0
        distance = sp.sqrt((1 - 1 / sp.sqrt(2)) ** 2 + (1 / sp.sqrt(2)) ** 2)
        far = sp.simplify(distance - sp.sqrt(2 - sp.sqrt(2))) == 0
        return [Obligation("the horizon's distance", "‖(1, 0) − (1, ±1)/√2‖ = √(2 − √2) ≈ 0.765367", far,
                           "exact" if far else "differs"),
                Obligation("the escaping branch", "first′ = second, second′ = first (u̇ = ∇f off the kink)", solves,
                           "exact" if solves else "not a solution"),
                Obligation("continuity", "the branch starts at (c, 0): first(0) = 1, second(0) = 0", bool(joins),
                           "exact" if joins else "a jump at T")]
