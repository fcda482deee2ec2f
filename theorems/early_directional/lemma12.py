"""edc Lemma 12: along the NCF gradient flow the NCF grows at the squared speed, dN(u(t))/dt = ‖∇N(u(t))‖² = ‖u̇(t)‖².

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 12 (App. B), digest ../shared/spec/early_directional_convergence.md "edc.lemma12" and claim C5. L is the
homogeneity degree of N (p̂ = 1 + p + … + p^{depth−1} for the net of eq. 9, edc §1.6), not the depth.

Statement. Let u(t) solve the NCF flow du/dt = ∇N(u), u(0) = u0 (eq. 4), N(u) = zᵀH(X; u) with ∇N locally Lipschitz.
Then, while u(t) exists,

    dN(u(t))/dt = ‖∇N(u(t))‖² = ‖u̇(t)‖²,   equivalently   N(u(t)) − N(u0) = ∫_0^t ‖∇N(u(s))‖² ds   for every t.

(Chain rule: dN/dt = ∇N(u)ᵀu̇ = ‖∇N(u)‖², with u̇ = ∇N(u).)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.early_directional.ncf_trajectories import SMOOTH_TEXT, measure_path, smooth_ncf_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.flow import ncf_flow, positive_ncf_start, probe_horizon
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, EPS
from verify.strategies import seeds

POINTS = 8  # grid times t_j = j·T/POINTS, j = 1..POINTS
GROWTH = 2.0  # the horizon ends where ‖u‖^L has changed by e^{±GROWTH} (N's scale; near a blow-up the floors grow with it)
ROUNDING = 1e3 * EPS  # relative rounding of one evaluation of N, in units of its summands Σ|z ⊙ H|


@dataclass(frozen=True)
class SpeedIdentityMeasurements:
    """What edc.lemma12 measured along one trajectory (fine tolerance): the degree L, N(u0), N at the horizon T, T,
    ‖u(T)‖/‖u0‖, ∫_0^T‖∇N‖², the largest relative defect of the identity over the grid and the largest floor (both in
    the entries' units), right-hand-side evaluations (both tolerances)."""

    degree: int
    N0: float
    N_end: float
    horizon: float
    norm_ratio: float
    speed_integral: float
    identity_defect: float
    worst_floor: float
    nfev: int


@register
class NCFSpeedIdentity(Checker):
    """edc Lemma 12: N(u(t)) − N(u0) = ∫_0^t ‖∇N(u)‖² along du/dt = ∇N(u), decided at grid times with quadratures."""

    id = "edc.lemma12"
    title = "Along the NCF flow, dN(u(t))/dt = ‖∇N(u(t))‖² = ‖u̇(t)‖²"
    source = "edc Lemma 12 (digest edc.lemma12, claim C5)"
    statement = (
        "For du/dt = ∇N(u) (eq. 4), N = zᵀH(X; u) with ∇N locally Lipschitz: dN(u(t))/dt = ‖∇N(u(t))‖² = ‖u̇(t)‖², i.e. "
        "N(u(t)) − N(u0) = ∫_0^t ‖∇N(u(s))‖² ds for every t in the existence interval."
    )
    hypotheses_text = (
        SMOOTH_TEXT + ". Start: a random unit direction from the instance's seed, its last layer negated if needed to give "
        "N(u0) the instance's sign (either sign; N is linear in W_L), scaled to ‖u0‖ ∈ [0.5, 2]; an instance where N(u0) = 0 "
        "for both signs, or u0 is a rest point, is undecided."
    )
    method = (
        "Horizon T = verify.flow.probe_horizon (the first time ‖u‖^L changed by e^{±2}, at most 3·‖u0‖^{2−L}/‖∇N(u0/‖u0‖)‖ and "
        "0.9× the a-priori blow-up bound ‖u0‖²/(L(L−2)N(u0)): before any blow-up). The flow (verify.flow.ncf_flow) is "
        "integrated on [0, T] by verify.flow.integrate (DOP853) with ∫‖∇N(u)‖² and ∫N riding along as quadratures "
        "(ncf_trajectories.measure_path), at rtol 1e-10 and 1e-12 (atol = rtol/100); every quantity's floor is its change "
        "between the two. At t_j = jT/8, j = 1..8: |N(u(t_j)) − N(u0) − ∫_0^{t_j}‖∇N‖²| relative to the larger of the two "
        "sides, floor = the two-tolerance floors of N(u(t_j)) and of the integral plus 1e3·ε·Σ|z ⊙ H| at t_j and at 0 "
        "(rounding of N), in the same units. ‖∇N(u)‖ = ‖u̇‖ is the flow equation itself (eq. 4), which the integrator "
        "solves: it is not counted as separate evidence."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knob: dN/dt integrated, from (∫‖∇N‖², ∫N, L); a mutant replaces it
    rate = staticmethod(lambda speed, integral_N, L: speed)
    rate_text = "∫‖∇N‖²"
    mutants = [
        Mutant("dN/dt = ‖∇N‖²/2", "N(u(t)) − N(u0) = ½∫‖∇N‖² (the ½ of d‖u‖²/dt = 2uᵀu̇ carried over)",
               rate=staticmethod(lambda speed, integral_N, L: speed / 2), rate_text="½∫‖∇N‖²"),
        Mutant("dN/dt = L·N", "N(u(t)) − N(u0) = L∫N (Euler's uᵀ∇N = L·N mistaken for ∇Nᵀu̇; cf. d‖u‖²/dt = 2L·N)",
               rate=staticmethod(lambda speed, integral_N, L: L * integral_N), rate_text="L∫N"),
    ]

    def hypotheses(self):
        return st.tuples(smooth_ncf_problems(), seeds(), st.floats(0.5, 2.0), st.sampled_from((1, -1)))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed, radius, sign = instance
        net = problem.net
        L = net.degree
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        text = f"{problem}; start seed={seed}, ‖u0‖={radius:.4g}, sign of N(u0): {'+' if sign > 0 else '−'}"
        u0 = positive_ncf_start(net, X, z, seed, radius)
        if u0 is None:
            return Evidence.undecided("N(u0) = 0 for both signs of the last layer: no start of either sign here", instance=text)
        if sign < 0:  # N is linear in W_L
            Ws = net.split(u0)
            u0 = net.flatten([*Ws[:-1], -Ws[-1]])
        value, grad = ncf_and_grad(net, u0[None], X, z)
        N0 = float(value[0])
        if not float(grad.norm()) > 0:
            return Evidence.undecided("u0 is a rest point of the flow (∇N(u0) = 0)", instance=text)
        T = probe_horizon(ncf_flow(net, X, z), u0, log_change=GROWTH / L)
        if not (math.isfinite(T) and T > 0):
            return Evidence.undecided(f"no horizon before blow-up could be found (T = {T!r})", instance=text)
        times = np.linspace(T / POINTS, T, POINTS)
        path = measure_path(net, X, z, u0, times)
        A0 = float((z.reshape(X.shape[0], -1).abs() * net(u0, X).abs()).sum())
        checked: list[Entry] = []
        defects, floors = [], []
        N_t, S_t, I_t, A_t, r2_t = (path.row(k) for k in ("N", "speed", "integral_N", "summands", "norm2"))
        rhs = self.rate(S_t, I_t, L)
        rhs_floor = np.abs(rhs - self.rate(path.row("speed", False), path.row("integral_N", False), L))
        for j in np.flatnonzero(path.reached):
            dN = N_t[j] - N0
            scale = max(abs(dN), abs(rhs[j]), 1e-300)
            floor = (path.floor("N")[j] + rhs_floor[j] + ROUNDING * (A_t[j] + A0)) / scale
            defects.append(abs(dN - rhs[j]) / scale), floors.append(floor)
            checked.append(Entry(defects[-1], floor, True, f"N(u(t)) − N(u0) = {self.rate_text} at t = {times[j]:.4g} "
                                                              f"({j + 1}/{POINTS} of the horizon)"))
        if not checked:
            why = "no grid time reached (" + "; ".join(path.ends) + ")"
            return Evidence([Entry(math.nan, math.nan, False, why)], instance=text, note=why)
        last = int(np.flatnonzero(path.reached)[-1])
        m = SpeedIdentityMeasurements(L, N0, float(N_t[last]), float(times[last]), math.sqrt(float(r2_t[last])) / radius,
                                      float(S_t[last]), float(max(defects)), float(max(floors)), path.nfev)
        note = "; ".join(path.ends)
        return Evidence(checked, m, instance=text, note=note)
