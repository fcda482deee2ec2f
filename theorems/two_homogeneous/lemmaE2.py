"""dc2 Lemma E.2: every start off {u2 = 0, u1 > 0} is non-branching for the ascent flow of f(u1, u2) = u1|u2|.

Source: Kumar & Haupt (dc2), Lemma E.2 and its proof's four cases (printed with two "Case 3"s); digest
../shared/spec/two_homogeneous.md LEM-E.2 and §3.3.

Statement. For z outside {u2 = 0, u1 > 0} the differential inclusion u̇ ∈ ∂f(u), u(0) = z has exactly one solution:
with s = sign z2, a = |z2|,
  (1) |z2| > |z1| and (2) 0 < |z2| ≤ |z1|, z1 > 0: u1 = z1 cosh t + a sinh t, u2 = s(a cosh t + z1 sinh t), never u2 = 0;
      the direction tends to (1, s)/√2;
  (3) 0 < |z2| < |z1|, z1 < 0: the same until t̄ = artanh(|z2|/|z1|), where u = (−√(z1² − z2²), 0), then stationary;
  (4) |z2| = |z1|, z1 < 0: u = e^{−t}z → 0, never reaching 0;
  and every point of {u2 = 0, u1 ≤ 0} is stationary (0 is the minimum-norm element of ∂f there, and no other solution
  leaves it). The invariant u1² − u2² = z1² − z2² holds along every solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.abs_product import case, f, hitting_time, solution
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.flow import FlowStatus, gradient_flow, integrate, two_tolerances
from verify.nets import DTYPE, EPS

HORIZON = 3.0  # the digest's reference time (u grows by about e³ in cases 1–2)
POINTS = 6  # comparison times on (0, HORIZON]
RTOL = 1e-10  # coarse tolerance; the fine one is 100× smaller


@dataclass(frozen=True)
class AbsProductStarts:
    """One start in each case, built from the same three numbers so that each case is reached exactly (case 4 has
    |z2| = |z1| to the last bit, case 5 z2 = 0)."""

    radius: float
    ratio: float  # |z2|/|z1| in (0, 1) for cases 2–3, |z1|/|z2| for case 1, −z1/radius for case 5
    sign: float  # the sign of z2 (of z1 in case 1)

    def z(self, case: int) -> tuple[float, float]:
        r, q, s = self.radius, self.ratio, self.sign
        return {1: (s * r * q, r), 2: (r, s * r * q), 3: (-r, s * r * q), 4: (-r, s * r), 5: (-r * q, 0.0)}[case]

    def __str__(self) -> str:
        return (f"radius {self.radius:.6g}, ratio {self.ratio:.6g}, sign {self.sign:+g}: z = "
                + ", ".join(f"({z1:.4g}, {z2:.4g})" for z1, z2 in map(self.z, CASES)))


CASES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class AbsProductMeasurements:
    """What dc2.lemmaE2 measured on one instance (its five starts): the largest relative deviation of the integrated flow from the
    closed form (and its floor), the invariant's drift, case 3's hitting time and point against t̄ and (−√(z1² − z2²), 0),
    the speed away from the kink next to the rest points (0: the kink attracts from both sides)."""

    flow_deviation: float
    flow_floor: float
    invariant_drift: float
    hitting_time_error: float
    hitting_point_error: float
    speed_away_at_rest: float


@register
class NonBranchingAbsProduct(Checker):
    """dc2 Lemma E.2: the unique solutions of u̇ ∈ ∂(u1|u2|) off the branching set, case by case."""

    id = "dc2.lemmaE2"
    title = "Non-branching starts of the ascent flow of f(u1, u2) = u1|u2|, with closed-form solutions"
    source = "dc2 Lemma E.2 (cases of its proof; digest §3.3)"
    statement = (
        "Off {u2 = 0, u1 > 0} the flow u̇ ∈ ∂f(u), f = u1|u2|, has one solution: cases 1–2 u1 = z1 cosh t + |z2| sinh t, "
        "u2 = sign z2 (|z2| cosh t + z1 sinh t) with direction → (1, sign z2)/√2; case 3 the same until t̄ = "
        "artanh(|z2|/|z1|), then stationary at (−√(z1² − z2²), 0); case 4 u = e^{−t}z; {u2 = 0, u1 ≤ 0} stationary; "
        "u1² − u2² conserved."
    )
    hypotheses_text = (
        "Every instance is one start in each case, constructed exactly (case 4 has |z2| = |z1| to the last bit, case 5 "
        "z2 = 0) from a radius in [0.2, 3], a ratio |z2|/|z1| (or |z1|/|z2|) in [0.05, 0.95] and a sign."
    )
    method = (
        "The ascent flow of f by verify.flow.gradient_flow (autograd: |·|′(0) = 0, the minimum-norm selection here) "
        "integrated with verify.flow.integrate (DOP853) on [0, 3] at rtol 1e-10 and 1e-12 (the floor is the change), "
        "compared with the closed form at 6 times (relative error, tolerance 1e-9), with the drift of u1² − u2² relative to "
        "‖u‖²; case 3 is stopped by an event at u2 = 0: its time against t̄ and its point against (−√(z1² − z2²), 0) "
        "(relative); at the rest points (case 3 after t̄, case 5) the flow's field 1e-6 above and below u2 = 0 must point "
        "back to it (the kink attracts, so the solution cannot leave it). Cases 1–2: the closed form's direction at "
        "t = 20 against (1, s)/√2 (it converges as e^{−2t}); the closed forms themselves are checked by sympy."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-7

    invariant_sign = -1.0  # u1² − u2² (a mutant: u1² + u2²)
    hitting_time_of = staticmethod(hitting_time)
    decay_rate = 1.0  # case 4: e^{−t}
    mutants = [
        Mutant("invariant u1² + u2²", "‖u‖² is conserved along the flow", invariant_sign=1.0),
        Mutant("t̄ = artanh(|z2|/|z1|)/2", "case 3 reaches u2 = 0 at half the time",
               hitting_time_of=staticmethod(lambda z: 0.5 * hitting_time(z))),
        Mutant("case 4 decays as e^{−2t}", "u = e^{−2t}z (the 2-homogeneous factor misplaced)", decay_rate=2.0),
    ]

    def hypotheses(self):
        return st.builds(AbsProductStarts, st.floats(0.2, 3.0), st.floats(0.05, 0.95), st.sampled_from((1.0, -1.0)))

    def claim(self, starts: AbsProductStarts, ctx: Context) -> Evidence:
        checked: list[Entry] = []
        parts, notes = [], []
        for c in CASES:
            entries, measured, note = self._one_case(starts.z(c), c)
            checked += entries
            parts.append(measured)
            notes += [f"case {c}: {note}"] if note else []

        def worst(i: int) -> float:
            values = [p[i] for p in parts if math.isfinite(p[i])]
            return max(values) if values else math.nan

        m = AbsProductMeasurements(*(worst(i) for i in range(6)))
        return Evidence(checked, m, instance=str(starts), note="; ".join(notes))

    def _one_case(self, z: tuple[float, float], number: int) -> tuple[list[Entry], tuple[float, ...], str]:
        """The entries of one start (its case ``number``) and its six measurements."""
        assert case(z) == number, (z, number)  # the construction lands in the case it names
        flow = gradient_flow(f, degree=2.0, name="u1|u2|")
        z0 = torch.tensor(z, dtype=DTYPE)
        times = np.linspace(HORIZON / POINTS, HORIZON, POINTS)
        stop = number == 3  # stop where u2 reaches 0: the explicit integrator cannot rest on the kink
        rest = self.hitting_time_of(z) if stop else math.inf
        before = [t for t in times if t < rest]
        exact = np.array([self._closed(z, t) for t in before]).reshape(-1, 2)
        ends: list[str] = []
        hits: dict[float, tuple[float, np.ndarray]] = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            out = np.full(len(before) + 1, math.nan)
            if number == 5:  # z itself is a rest point: ∂f(z) ∋ 0 and the field there is 0
                path_u = np.tile(np.array(z), (len(before), 1))
            else:
                events = {}
                if stop:
                    def kink(_t: float, u: np.ndarray) -> float:
                        return float(u[1])
                    kink.terminal = True  # type: ignore[attr-defined]
                    events["kink"] = kink
                path = integrate(flow, z0, HORIZON, rtol=rtol, atol=atol * max(abs(z[0]), abs(z[1])), events=events)
                if path.status is not FlowStatus.SUCCESS:
                    ends.append(f"{path.status}: {path.message}")
                    return out
                if stop:
                    if not len(path.events["kink"]):
                        ends.append("case 3: u2 did not reach 0")
                        return out
                    hits[rtol] = (float(path.events["kink"][0]), path.u[-1])
                keep = [t for t in before if t <= path.t_reached]
                path_u = path.at(np.array(keep)) if keep else np.empty((0, 2))
            n = len(path_u)
            out[:n] = np.linalg.norm(path_u - exact[:n], axis=1) / np.linalg.norm(exact[:n], axis=1)
            invariant = path_u[:, 0] ** 2 + self.invariant_sign * path_u[:, 1] ** 2
            c0 = z[0] ** 2 + self.invariant_sign * z[1] ** 2
            out[-1] = float(np.abs(invariant - c0).max() / (path_u**2).sum(1).max()) if n else 0.0
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        checked = [Entry(v, fl, math.isfinite(v) and math.isfinite(fl), f"case {number}: u(t) = closed form at t = {t:.3g}")
                   for v, fl, t in zip(tt.value[:-1], tt.floor[:-1], before)]
        checked.append(Entry(tt.value[-1], tt.floor[-1], math.isfinite(tt.value[-1]) and math.isfinite(tt.floor[-1]),
                             f"case {number}: u1² {'−' if self.invariant_sign < 0 else '+'} u2² conserved"))
        time_error = point_error = away = math.nan
        if stop:
            if len(hits) == 2:
                (t_c, u_c), (t_f, u_f) = hits[RTOL], hits[RTOL / 100]
                target = np.array([-math.sqrt(z[0] ** 2 - z[1] ** 2), 0.0])
                time_error = abs(t_f - rest) / rest
                point_error = float(np.linalg.norm(u_f - target) / np.linalg.norm(target))
                checked += [Entry(time_error, abs(t_f - t_c) / rest, True, "case 3: u2 reaches 0 at t̄ = artanh(|z2|/|z1|)"),
                            Entry(point_error, float(np.linalg.norm(u_f - u_c)) / float(np.linalg.norm(target)), True,
                                  "case 3: at u = (−√(z1² − z2²), 0)")]
            else:
                checked.append(Entry(math.nan, math.nan, False, "case 3: the kink was not reached (" + "; ".join(ends) + ")"))
        if number in (1, 2):
            far = solution(z, 20.0)
            limit = np.array([1.0, math.copysign(1.0, z[1])]) / math.sqrt(2)
            checked.append(Entry(float(np.linalg.norm(far / np.linalg.norm(far) - limit)), 1e3 * EPS, True,
                                 f"case {number}: the direction tends to (1, sign z2)/√2 (distance at t = 20)"))
        if number in (3, 5):
            at = np.array([-math.sqrt(z[0] ** 2 - z[1] ** 2), 0.0]) if number == 3 else np.array(z)
            away = self._speed_away_from_kink(flow, at)
            checked.append(Entry(away, 1e3 * EPS, True, f"case {number}: on both sides of the rest point the field points back "
                                                        "to u2 = 0 (the solution cannot leave {u2 = 0, u1 < 0})"))
        measured = (float(np.nanmax(tt.value[:-1])) if before else math.nan,
                    float(np.nanmax(tt.floor)) if np.isfinite(tt.floor).any() else math.nan,
                    float(tt.value[-1]), time_error, point_error, away)
        return checked, measured, "; ".join(dict.fromkeys(ends))

    def _closed(self, z: tuple[float, float], t: float) -> np.ndarray:
        if case(z) == 4:
            return math.exp(-self.decay_rate * t) * np.array(z)
        return solution(z, t)

    @staticmethod
    def _speed_away_from_kink(flow, at: np.ndarray) -> float:
        """The largest velocity away from u2 = 0 just above and below ``at`` (u1 < 0), relative to |u1|: ≤ 0 means the
        kink attracts from both sides (u̇2 = u1·sign u2 points back to it), so a solution on it stays there."""
        eps = 1e-6 * abs(float(at[0]))
        v = flow.velocity(torch.tensor([[at[0], eps], [at[0], -eps]], dtype=DTYPE))
        return max(0.0, float(v[0, 1]), -float(v[1, 1])) / abs(float(at[0]))

    def obligations(self) -> list[Obligation]:
        """Sympy: the case 1–3 formula solves u̇1 = |u2| = s·u2, u̇2 = u1·s while s·u2 > 0; case 4's e^{−rt}z solves
        u̇ = (|u2|, −u1) for z1 = −|z2| exactly when r = 1 (decay_rate); the invariant's derivative along the field."""
        t = sp.Symbol("t", real=True)
        z1 = sp.Symbol("z1", real=True)
        a = sp.Symbol("a", positive=True)
        u1 = z1 * sp.cosh(t) + a * sp.sinh(t)
        su2 = a * sp.cosh(t) + z1 * sp.sinh(t)  # s·u2 (> 0 before t̄)
        ode = sp.simplify(sp.diff(u1, t) - su2) == 0 and sp.simplify(sp.diff(su2, t) - u1) == 0
        r = sp.nsimplify(self.decay_rate)
        c4 = sp.exp(-r * t)
        v1, v2 = -a * c4, a * c4  # z = (−a, a): |u2| = a e^{−rt}, u̇2 = u1·sign(u2) = −a e^{−rt}
        case4 = sp.simplify(sp.diff(v1, t) - sp.Abs(v2)) == 0 and sp.simplify(sp.diff(v2, t) - v1) == 0
        x = sp.Symbol("x", real=True)
        m = sp.Symbol("m", positive=True)
        c = sp.nsimplify(self.invariant_sign)
        # along u̇ = (|u2|, u1·sign u2): d/dt(u1² + c·u2²) = 2u1|u2| + 2c·u2·u1·sign u2, on both sides of the kink
        inv_holds = all(sp.simplify(2 * x * sp.Abs(y) + 2 * c * y * x * sp.sign(y)) == 0 for y in (m, -m))
        return [
            Obligation("cases 1–3", "u1 = z1 cosh t + |z2| sinh t, s·u2 = |z2| cosh t + z1 sinh t solve the flow while s·u2 > 0",
                       ode, "exact" if ode else "not a solution"),
            Obligation("case 4", f"u = e^{{−{self.decay_rate:g}t}}z solves the flow from z1 = −|z2|", case4,
                       "exact" if case4 else "not a solution"),
            Obligation("invariant", f"d/dt(u1² {'−' if self.invariant_sign < 0 else '+'} u2²) = 0 along the flow off the kink",
                       inv_holds, "exact" if inv_holds else "2u1|u2|(1 + c) ≠ 0"),
        ]
