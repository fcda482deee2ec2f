"""edc Lemma 13: once the NCF is positive along its gradient flow, it and the norm never decrease.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 13 (App. B) and the identity of its proof, digest ../shared/spec/early_directional_convergence.md "edc.lemma13",
claims C5 and C6. L is the homogeneity degree of N (p̂ = 1 + p + … + p^{depth−1} for the net of eq. 9, edc §1.6), not
the depth.

Statement. Let u(t) solve the NCF flow du/dt = ∇N(u) (eq. 4), N(u) = zᵀH(X; u) L-homogeneous with ∇N locally
Lipschitz. If N(u(t0)) > 0 then, for all t ≥ t0 in the existence interval,

    N(u(t)) ≥ N(u(t0)) > 0   and   ‖u(t)‖ ≥ ‖u(t0)‖,

the second from the proof's identity (Euler: uᵀ∇N(u) = L·N(u)), valid for every t,

    d‖u‖²/dt = 2uᵀu̇ = 2L·N(u),   i.e.   ‖u(t)‖² − ‖u(0)‖² = 2L ∫_0^t N(u(s)) ds.

dc2.lemmaC4 is the two-homogeneous case (L = 2, factor 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.early_directional.ncf_trajectories import SMOOTH_TEXT, measure_path, smooth_ncf_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.evidence import at_least, at_most
from verify.flow import Flow, FlowStatus, integrate, ncf_flow, positive_ncf_start, probe_horizon
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import seeds

GRID = 32  # grid times after the crossing: t_c + j·h/GRID, j = 1..GRID
BEFORE = 3  # grid times before the crossing (crossing starts): j·t_c/(BEFORE + 1), j = 1..BEFORE (identity only)
GROWTH = 2.0  # the horizon ends where ‖u‖^L has changed by e^{±GROWTH} after the crossing (verify.flow.probe_horizon)
CROSSING_RTOL = 1e-10  # the integration that finds the crossing time t_c (where N(u(t)) = 0, increasing)
CROSSING_CAP = 20.0  # the crossing is looked for up to CROSSING_CAP·‖u0‖^{2−L}/‖∇N(u0/‖u0‖)‖ (the flow's own time scale)
ROUNDING = 1e3 * EPS  # relative rounding of one evaluation of N, in units of its summands Σ|z ⊙ H|


@dataclass(frozen=True)
class PositiveMonotonicityMeasurements:
    """What edc.lemma13 measured along one trajectory (fine tolerance): the start's kind (``positive``: N(u0) > 0;
    ``crossing``: N(u0) < 0 and N crosses 0 at t_c, NaN for positive starts), the degree L, N(u0), t0 (the first grid
    time with N > 0) with N and ‖u‖² there, at the horizon, the largest relative defect of the norm identity, the
    largest relative decrease of N and of ‖u‖² after t0 (0: none), the largest decrease of ‖u‖² before t0 (crossing
    starts: the norm shrinks while N < 0), right-hand-side evaluations."""

    kind: str
    degree: int
    N0: float
    t_cross: float
    t0: float
    N_t0: float
    norm2_t0: float
    N_end: float
    norm2_end: float
    norm_identity: float
    N_decrease: float
    norm_decrease: float
    norm_decrease_before: float
    nfev: int


@register
class PositiveNCFMonotone(Checker):
    """edc Lemma 13 (with the identity ‖u‖² − ‖u0‖² = 2L∫N) along NCF flows of smooth homogeneous nets."""

    id = "edc.lemma13"
    title = "Along the NCF flow, N and ‖u‖ never decrease once N > 0 (and d‖u‖²/dt = 2L·N)"
    source = "edc Lemma 13 and its proof's identity (digest edc.lemma13, claims C5, C6)"
    statement = (
        "For du/dt = ∇N(u), N = zᵀH(X; u) L-homogeneous with ∇N locally Lipschitz: ‖u(t)‖² − ‖u(0)‖² = 2L∫_0^t N(u) ds for "
        "every t; and if N(u(t0)) > 0 then N(u(t)) ≥ N(u(t0)) > 0 and ‖u(t)‖ ≥ ‖u(t0)‖ for all t ≥ t0."
    )
    hypotheses_text = (
        SMOOTH_TEXT + ". Two kinds of start (from the instance's seed, ‖u0‖ ∈ [0.5, 2]): 'positive', a random unit direction "
        "with its last layer negated if N < 0 (verify.flow.positive_ncf_start), so N(u0) > 0 and t0 = 0; 'crossing', the same "
        "direction with its last layer W_L replaced by −κW_L, κ ∈ [0.1, 0.6] (so N(u0) = −κ·N(that direction) < 0), "
        "renormalised, for which the integration looks for the time t_c where N becomes positive (undecided if it does not "
        "within 20 of the flow's time scales ‖u0‖^{2−L}/‖∇N(u0/‖u0‖)‖). An instance where N = 0 for both signs of the last "
        "layer is undecided."
    )
    method = (
        "Crossing starts: t_c from an integration at rtol 1e-10 with a terminal event N(u(t)) = 0 (increasing). Horizon "
        "T = t_c + h, h = verify.flow.probe_horizon from u(t_c) (the first time ‖u‖^L changed by e^{±2}: before any "
        "blow-up); positive starts: t_c = 0. The flow (verify.flow.ncf_flow) is integrated on [0, T] by "
        "verify.flow.integrate (DOP853) with ∫N riding along as a quadrature (ncf_trajectories.measure_path), at rtol "
        "1e-10 and 1e-12 (atol = rtol/100); every quantity's floor is its change between the two. Grid: t_c + jh/32, "
        "j = 1..32, and (crossing starts) 3 times before t_c. Identity at every grid time: |‖u(t)‖² − ‖u0‖² − 2L∫_0^tN| "
        "relative to max(‖u(t)‖², ‖u0‖²), floor from both terms' floors. Monotonicity: t0 = 0 (positive starts) or the "
        "first grid time after t_c where N exceeds its floor (crossing starts); every later grid time with N > 0 is a t0 "
        "of the lemma as well, so the entries are the consecutive pairs from t0 on: N(t_j) ≥ N(t_{j−1}) (relative to the "
        "larger |N|, floor: both two-tolerance floors plus 1e3·ε·Σ|z ⊙ H| rounding) and ‖u(t_j)‖² ≥ ‖u(t_{j−1})‖² "
        "(relative); a decrease beyond the floor fails. Nothing before t0 is an entry of the monotonicity."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    euler_factor = staticmethod(lambda L: 2 * L)  # d‖u‖²/dt = 2uᵀ∇N(u) = 2L·N(u)
    norm_direction = 1  # +1: ‖u‖ non-decreasing once N > 0; −1: non-increasing (mutant)
    from_start = False  # True: the monotonicity claimed from t = 0 whatever the sign of N(u0) (the hypothesis dropped)
    mutants = [
        Mutant("‖u‖ non-increasing once N > 0", "‖u(t)‖ ≤ ‖u(t0)‖ for t ≥ t0 (the norm shrinks, as it does while N < 0)",
               norm_direction=-1),
        Mutant("d‖u‖²/dt = L·N", "‖u(t)‖² − ‖u0‖² = L∫N (the 2 of d‖u‖²/dt = 2uᵀu̇ dropped)", euler_factor=staticmethod(lambda L: L)),
        Mutant("d‖u‖²/dt = 2(L−1)·N", "‖u(t)‖² − ‖u0‖² = 2(L−1)∫N (the degree of ∇N in Euler's identity)",
               euler_factor=staticmethod(lambda L: 2 * (L - 1))),
        Mutant("monotone from t = 0", "N and ‖u‖ non-decreasing on the whole trajectory, whatever the sign of N(u0) "
               "(the hypothesis N(u(t0)) > 0 dropped)", from_start=True),
    ]

    def hypotheses(self):
        return st.tuples(smooth_ncf_problems(), seeds(), st.floats(0.5, 2.0), st.sampled_from(("positive", "crossing")),
                         st.floats(0.1, 0.6))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed, radius, kind, kappa = instance
        net = problem.net
        L = net.degree
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        text = f"{problem}; {kind} start, seed={seed}, ‖u0‖={radius:.4g}" + (f", κ={kappa:.3g}" if kind == "crossing" else "")
        u0 = positive_ncf_start(net, X, z, seed, radius)
        if u0 is None:
            return Evidence.undecided("N = 0 for both signs of the last layer: no start with N > 0 or N < 0 here", instance=text)
        flow = ncf_flow(net, X, z)
        t_cross, u_cross = 0.0, u0
        if kind == "crossing":
            Ws = net.split(u0)
            u0 = net.flatten([*Ws[:-1], -kappa * Ws[-1]])
            u0 = radius * u0 / u0.norm()
            found = _crossing(flow, net, X, z, u0)
            if found is None:
                return Evidence.undecided("N(u(t)) did not become positive within the search window: the hypothesis "
                                          "N(u(t0)) > 0 never holds on this trajectory", instance=text)
            t_cross, u_cross = found
        h = probe_horizon(flow, u_cross, log_change=GROWTH / L)
        if not (math.isfinite(h) and h > 0):
            return Evidence.undecided(f"no horizon before blow-up could be found (h = {h!r})", instance=text)
        before = [t_cross * j / (BEFORE + 1) for j in range(1, BEFORE + 1)] if t_cross > 0 else []
        times = np.array([*before, *(t_cross + h * j / GRID for j in range(1, GRID + 1))])
        path = measure_path(net, X, z, u0, times)
        N0 = float(ncf(net, u0, X, z))
        r0 = float(u0 @ u0)
        A0 = float((z.reshape(X.shape[0], -1).abs() * net(u0, X).abs()).sum())
        reached = np.flatnonzero(path.reached)
        if not len(reached):
            why = "no grid time reached (" + "; ".join(path.ends) + ")"
            return Evidence([Entry(math.nan, math.nan, False, why)], instance=text, note=why)
        n = int(reached[-1]) + 1  # the grid times before the horizon's end (the run may have stopped early)
        ts = np.array([0.0, *times[:n]])
        N_t = np.array([N0, *path.row("N")[:n]])
        r2 = np.array([r0, *path.row("norm2")[:n]])
        fN = np.array([0.0, *path.floor("N")[:n]]) + ROUNDING * np.array([A0, *path.row("summands")[:n]])
        fr = np.array([0.0, *path.floor("norm2")[:n]])
        integral, f_integral = path.row("integral_N")[:n], path.floor("integral_N")[:n]
        c = self.euler_factor(L)

        checked: list[Entry] = []
        identity = []
        for j in range(n):
            scale = max(r2[j + 1], r0)
            identity.append(abs(r2[j + 1] - r0 - c * integral[j]) / scale)
            checked.append(Entry(identity[-1], (fr[j + 1] + c * f_integral[j]) / scale, True,
                                 f"‖u(t)‖² − ‖u0‖² = {_factor_text(c, L)}∫N at t = {ts[j + 1]:.4g}"))
        # t0: 0 for a positive start; else the first grid time after the crossing where N is resolved above 0
        if self.from_start:
            start = 0
        elif kind == "positive":
            start = 0
        else:
            start = next((j for j in range(len(before) + 1, n + 1) if N_t[j] > fN[j]), None)
        N_drop = r_drop = 0.0
        if start is None:
            checked.append(Entry(math.nan, math.nan, False, "no grid time after the crossing with N resolved above 0: the "
                                                            "monotonicity is not exercised"))
        else:
            for j in range(start + 1, n + 1):
                sN = max(abs(N_t[j]), abs(N_t[j - 1]), 1e-300)
                checked.append(at_least(N_t[j], N_t[j - 1], (fN[j] + fN[j - 1]) / sN,
                                        f"N(t_{j}) ≥ N(t_{j - 1}) (t0 = {ts[start]:.4g})", scale=sN))
                sr = r2[j - 1]
                label = f"‖u(t_{j})‖² {'≥' if self.norm_direction > 0 else '≤'} ‖u(t_{j - 1})‖² (t0 = {ts[start]:.4g})"
                decide = at_least if self.norm_direction > 0 else at_most
                checked.append(decide(r2[j], r2[j - 1], (fr[j] + fr[j - 1]) / sr, label, scale=sr))
                N_drop = max(N_drop, (N_t[j - 1] - N_t[j]) / sN)
                r_drop = max(r_drop, (r2[j - 1] - r2[j]) / sr)
        first = start if start is not None else n
        drop_before = max([0.0, *((r2[j - 1] - r2[j]) / r2[j - 1] for j in range(1, first + 1))])
        m = PositiveMonotonicityMeasurements(
            kind, L, N0, t_cross if kind == "crossing" else math.nan, float(ts[first]) if start is not None else math.nan,
            float(N_t[first]) if start is not None else math.nan, float(r2[first]) if start is not None else math.nan,
            float(N_t[n]), float(r2[n]), float(max(identity)), float(N_drop), float(r_drop), float(drop_before), path.nfev)
        return Evidence(checked, m, instance=text, note="; ".join(path.ends))


def _crossing(flow: Flow, net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor) -> tuple[float, torch.Tensor] | None:
    """(t_c, u(t_c)) for the first time N(u(t)) crosses 0 upwards along the flow from u0 (N(u0) < 0), looked for up to
    CROSSING_CAP of the flow's time scales; None if it does not happen there."""
    r0 = float(u0.norm())
    _, g = ncf_and_grad(net, (u0 / r0)[None], X, z)
    cap = CROSSING_CAP * r0 ** (2 - flow.degree) / max(float(g.norm()), 1e-300)

    def positive(_t: float, u: np.ndarray) -> float:
        return float(ncf(net, torch.as_tensor(u, dtype=DTYPE), X, z))

    positive.terminal, positive.direction = True, 1.0  # type: ignore[attr-defined]
    path = integrate(flow, u0, cap, rtol=CROSSING_RTOL, atol=CROSSING_RTOL * 1e-2 * r0, events={"N = 0": positive})
    hits = path.events["N = 0"]
    if path.status is not FlowStatus.SUCCESS or not len(hits):
        return None
    t_c = float(hits[0])
    return t_c, torch.as_tensor(path.at(t_c), dtype=DTYPE)


def _factor_text(c: float, L: int) -> str:
    return {2 * L: "2L", L: "L", 2 * (L - 1): "2(L−1)"}.get(c, f"{c:g}") if L != 2 else f"{c:g}"
