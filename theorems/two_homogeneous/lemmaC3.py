"""dc2 Lemma C.3: the NCF flow never reaches the origin in finite time, with exponential envelopes.

Source: Kumar & Haupt (dc2), Lemma C.3 and the symmetric bound used in Appendix J; digest
../shared/spec/two_homogeneous.md LEM-C.3 (claim C10).

Statement. For u0 ≠ 0 and u̇ ∈ ∂N(u), N = zᵀH(X; u) with H two-homogeneous and β = sup_{‖w‖=1} ‖H(X; w)‖,

    ‖u0‖² exp(−4tβ‖z‖) ≤ ‖u(t)‖² ≤ ‖u0‖² exp(4tβ‖z‖)      for all t ≥ 0,

from d log‖u‖²/dt = 4N(u)/‖u‖² and |N(u)| ≤ β‖z‖‖u‖². For a two-layer net Σ_k v_kσ(u_kᵀx), β = ½ sup_{‖w‖=1} ‖σ(Xw)‖
(all the norm in one neuron with |v| = ‖w‖ = 1/√2; digest §1.9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.beta import BetaBracket, beta_bracket
from theorems.two_homogeneous.two_layer import two_layer_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.flow import FlowStatus, integrate, ncf_flow, random_start, two_tolerances
from verify.nets import DTYPE, FeedForward
from verify.strategies import datasets, seeds

POINTS = 8  # grid times on (0, H]
RTOL = 1e-10  # coarse tolerance; the fine one is 100× smaller
MAX_STEPS = 2_000  # a trajectory that chatters across a kink stops here (the horizon ends there)


@dataclass(frozen=True)
class EnvelopeMeasurements:
    """What dc2.lemmaC3 measured: β's bracket, per start (random; tight decay; tight growth) the smallest margin
    log‖u(t)‖² − log‖u0‖² + 4tβ_lo‖z‖ of the lower envelope and 4tβ_lo‖z‖ − (log‖u(t)‖² − log‖u0‖²) of the upper one,
    each relative to 4Hβ‖z‖ (negative: a violation of the bound with β_lo)."""

    beta_lower: float
    beta_upper: float
    lower_margins: tuple[float, ...]
    upper_margins: tuple[float, ...]


@register
class NCFEnvelopes(Checker):
    """dc2 Lemma C.3: ‖u0‖²e^{−4tβ‖z‖} ≤ ‖u(t)‖² ≤ ‖u0‖²e^{4tβ‖z‖} along NCF flows (the flow never reaches 0)."""

    id = "dc2.lemmaC3"
    title = "The NCF flow never reaches the origin: ‖u(t)‖² within ‖u0‖²e^(±4tβ‖z‖)"
    source = "dc2 Lemma C.3 (and the upper envelope of App. J; digest LEM-C.3, C10)"
    statement = (
        "For u̇ ∈ ∂N(u), N = zᵀH(X; u) two-homogeneous, u0 ≠ 0 and β = sup_{‖w‖=1}‖H(X; w)‖: ‖u0‖²e^{−4tβ‖z‖} ≤ ‖u(t)‖² ≤ "
        "‖u0‖²e^{4tβ‖z‖} for all t ≥ 0; in particular u(t) ≠ 0 for finite t."
    )
    hypotheses_text = (
        "Two-layer nets H = W2σ(W1x), σ = max(x, αx), α ∈ {0, 0.1, 0.5, −0.3, 1}, hidden width 1–4, one output, on the "
        "default data families in d = 2 (n 4–12; β is then a maximisation over the circle). Per instance three starts: a "
        "random unit start with the instance's z, and the two starts where the envelopes are tight at t = 0 — the "
        "β-attaining neuron w (|v| = ‖w‖ = 1/√2, split into parallel copies over the hidden width) with z = "
        "∓H(X; w)/‖H(X; w)‖, so that N(u0) = ∓β‖z‖."
    )
    method = (
        "β bracketed on the circle (200 000 angles): β_lo = the grid maximum of ½‖σ(Xw)‖, β_hi = β_lo plus the Lipschitz "
        "constant ½max(1, |α|)‖X‖₂ times the grid's largest chord to a unit vector. The NCF flow (verify.flow.ncf_flow) "
        "integrated with verify.flow.integrate over [0, H], H = 1/(β_hi‖z‖), at rtol 1e-10 and 1e-12 (the floor is the "
        "change of log‖u‖²), at most 2 000 steps; the horizon ends early where the integration stops (a slide along a "
        "kink, which it cannot follow, or the step cap; the note says where). At the grid times before it, each envelope "
        "in logs: log‖u(t)‖² − log‖u0‖² ≥ −4tβ‖z‖ (and ≤ 4tβ‖z‖), the violation computed with β_lo (the strongest form "
        "the bracket allows) relative to 4Hβ_lo‖z‖, the floor the integration's plus 4t(β_hi − β_lo)‖z‖ (what the "
        "bracket leaves open). The tight starts run along the envelope itself (their direction is the maximiser of N on "
        "the sphere, so the flow is radial), where only this floor separates a true bound from a false one."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-4  # β is known to its bracket (≈ 1e-5 relative), which enters every entry's floor

    rate = 4.0  # the envelope's exponent 4β‖z‖ (= 2·degree for a two-homogeneous N)
    balance = 0.5  # β = balance·sup‖σ(Xw)‖: |v|·‖w‖ ≤ (v² + ‖w‖²)/2 on the unit sphere
    mutants = [
        Mutant("β = ¼ sup‖σ(Xw)‖", "the envelopes with half the true β (|v|·‖w‖ ≤ (v² + ‖w‖²)/4)", balance=0.25),
        Mutant("rate 2β‖z‖", "‖u0‖²e^{−2tβ‖z‖} ≤ ‖u(t)‖² ≤ ‖u0‖²e^{2tβ‖z‖} (the degree's factor 2 dropped)", rate=2.0),
    ]

    def hypotheses(self):
        return st.tuples(two_layer_problems(data=datasets(n=(4, 12), d=(2, 2)), widths=(1, 4)), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        net = problem.net
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE).reshape(-1)
        beta = beta_bracket(X, net.activation, self.balance)
        text = f"{problem}; start seed={seed}"
        if not beta.lower > 0:
            return Evidence.undecided("β = 0: H vanishes on the sphere", instance=text)
        # the β-attaining neuron (|v| = ‖w‖ = 1/√2) split into k parallel copies: the same function and norm, and no
        # neuron left at zero (a zero neuron sits on its kink for ever, which the flow's sliding detection would flag)
        k = net.widths[1]
        tight = net.flatten([beta.w.expand(k, 2) / math.sqrt(2 * k), torch.full((1, k), 1 / math.sqrt(2 * k), dtype=DTYPE)])
        H_beta = net(tight, X).reshape(-1)
        starts = [("random start", random_start(net.n_params, seed, 1.0), z),
                  ("tight decay (N(u0) = −β‖z‖)", tight, -H_beta / H_beta.norm()),
                  ("tight growth (N(u0) = β‖z‖)", tight, H_beta / H_beta.norm())]
        checked: list[Entry] = []
        lower_margins, upper_margins, notes = [], [], []
        for name, u0, zs in starts:
            entries, low, up, note = self._envelopes(net, X, zs, u0, beta, name)
            checked += entries
            lower_margins.append(low), upper_margins.append(up)
            notes += [f"{name}: {note}"] if note else []
        return Evidence(checked, EnvelopeMeasurements(beta.lower, beta.upper, tuple(lower_margins), tuple(upper_margins)),
                        instance=text, note="; ".join(notes))

    def _envelopes(self, net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, beta: BetaBracket,
                   name: str) -> tuple[list[Entry], float, float, str]:
        flow = ncf_flow(net, X, z)
        zn = float(z.norm())
        H = 1.0 / (beta.upper * zn)
        times = np.linspace(H / POINTS, H, POINTS)
        log0 = math.log(float(u0 @ u0))
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            out = np.full(POINTS, math.nan)
            path = integrate(flow, u0, H, rtol=rtol, atol=atol, t_eval=times, max_steps=MAX_STEPS)
            if path.status is not FlowStatus.SUCCESS:  # the grid times before it ended are still decided
                ends.append(f"{path.status}: {path.message}")
            out[:len(path.t)] = np.log((path.u**2).sum(1)) - log0
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        scale = self.rate * H * beta.lower * zn
        checked, lows, ups = [], [], []
        reached = [j for j in range(POINTS) if math.isfinite(tt.value[j]) and math.isfinite(tt.floor[j])]
        if not reached:
            why = f"{name}: no grid time reached (" + "; ".join(dict.fromkeys(ends)) + ")"
            return [Entry(math.nan, math.nan, False, why)], math.nan, math.nan, "; ".join(dict.fromkeys(ends))
        # the horizon is H or where the integration stopped (a slide along a kink, the step cap), whichever is first:
        # the grid times after it are not part of this instance (the note says where it stopped)
        for j in reached:
            t = times[j]
            growth, floor = float(tt.value[j]), float(tt.floor[j])
            strong = self.rate * t * beta.lower * zn
            bracket = self.rate * t * (beta.upper - beta.lower) * zn  # what β's bracket leaves open: part of the floor
            lows.append((growth + strong) / scale), ups.append((strong - growth) / scale)
            for side, excess in (("lower", -strong - growth), ("upper", growth - strong)):
                checked.append(Entry(max(0.0, excess) / scale, (floor + bracket) / scale, True,
                                     f"{name}: {side} envelope at t = {t:.4g} (log‖u‖² changed by {growth:.6g})"))
        return checked, min(lows, default=math.nan), min(ups, default=math.nan), "; ".join(dict.fromkeys(ends))
