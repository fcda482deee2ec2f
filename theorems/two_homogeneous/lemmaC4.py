"""dc2 Lemma C.4: once the NCF is non-negative along its gradient flow, it and the norm never decrease.

Source: Kumar & Haupt (dc2), Lemma C.4 with the two facts of its proof; digest ../shared/spec/two_homogeneous.md LEM-C.4.

Statement. Let u(t) solve u̇ ∈ ∂N(u), N(u) = zᵀH(X; u) with H two-homogeneous. If N(u(t0)) ≥ 0 then for all t ≥ t0

    N(u(t)) ≥ N(u(t0)) ≥ 0   and   ‖u(t)‖ ≥ ‖u(t0)‖,

by the identities (valid for every t, any sign)

    N(u(t)) − N(u(t0)) = ∫_{t0}^t ‖u̇‖² ds,        ‖u(t)‖² − ‖u(t0)‖² = 4 ∫_{t0}^t N(u(s)) ds,

the second from Euler's identity ⟨u, ∇N(u)⟩ = 2N(u).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.two_layer import two_layer_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.evidence import at_least
from verify.flow import POTENTIAL, FieldQuadrature, FlowStatus, integrate, ncf_flow, random_start, two_tolerances
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE
from verify.strategies import datasets, seeds

POINTS = 8  # grid times on (0, H]
RTOL = 1e-10  # coarse tolerance; the fine one is 100× smaller
MAX_STEPS = 2_000  # a trajectory that chatters across a kink stops here (the horizon ends there) instead of crawling on


@dataclass(frozen=True)
class MonotonicityMeasurements:
    """What dc2.lemmaC4 measured along one trajectory: N and ‖u‖² at the start and end, the first grid time with
    N ≥ 0 (NaN: never), the two identities' largest relative defects, the largest decrease of N and of ‖u‖ after t0."""

    N_start: float
    N_end: float
    norm2_start: float
    norm2_end: float
    t0: float
    speed_identity: float
    norm_identity: float
    N_decrease: float
    norm_decrease: float


@register
class NonNegativeNCFMonotone(Checker):
    """dc2 Lemma C.4 (with its two integral identities) along NCF flows of two-homogeneous nets."""

    id = "dc2.lemmaC4"
    title = "Along the NCF flow, N and ‖u‖ never decrease once N ≥ 0"
    source = "dc2 Lemma C.4 (digest LEM-C.4)"
    statement = (
        "For u̇ ∈ ∂N(u), N = zᵀH(X; u) two-homogeneous: N(u(t)) − N(u(t0)) = ∫‖u̇‖² and ‖u(t)‖² − ‖u(t0)‖² = 4∫N (every t); "
        "hence if N(u(t0)) ≥ 0 then N(u(t)) ≥ N(u(t0)) and ‖u(t)‖ ≥ ‖u(t0)‖ for all t ≥ t0."
    )
    hypotheses_text = (
        "Two-layer nets H = W2σ(W1x), σ = max(x, αx) with α ∈ {0, 0.1, 0.5, −0.3, 1} (two-homogeneous; kinked for α ≠ 1), "
        "hidden width 1–5, one output; the default data families (n 4–12, d 2–3) and targets; a start of norm 1 from the "
        "instance's seed, either sign of N(u0)."
    )
    method = (
        "The NCF flow (verify.flow.ncf_flow: the chain-rule selection, autograd's slope at a kink) integrated with "
        "verify.flow.integrate (DOP853) over [0, H], H = 1/(β‖z‖) with β ≤ ½max(1, |α|)‖X‖₂ (so ‖u‖² changes by at most "
        "e⁴), at most 2 000 steps, with ∫‖∇N‖² and ∫N as quadratures, at rtol 1e-10 and 1e-12 (the floor of every "
        "quantity is the change). At 8 grid times: both identities (relative to the larger side), and, from the first grid "
        "time t0 with N ≥ 0, N(t_j) ≥ N(t_{j−1}) and ‖u(t_j)‖ ≥ ‖u(t_{j−1})‖ (relative). A trajectory found sliding along a "
        "kink (the selection there is not the flow's) or stopped by the step cap ends the horizon there; the grid times "
        "before it are decided and the note says where it stopped."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    euler_factor = 4.0  # d‖u‖²/dt = 2⟨u, ∇N⟩ = 4N for a two-homogeneous N
    speed_power = 2  # dN/dt = ‖u̇‖^speed_power
    mutants = [
        Mutant("d‖u‖²/dt = 2N", "‖u(t)‖² − ‖u(t0)‖² = 2∫N (Euler's factor for degree 1)", euler_factor=2.0),
        Mutant("dN/dt = ‖u̇‖", "N(u(t)) − N(u(t0)) = ∫‖u̇‖ (the chain rule along arcs without the square)", speed_power=1),
    ]

    def hypotheses(self):
        return st.tuples(two_layer_problems(data=datasets(n=(4, 12), d=(2, 3))), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        net = problem.net
        X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        flow = ncf_flow(net, X, z)
        u0 = random_start(net.n_params, seed, 1.0)
        text = f"{problem}; start seed={seed}"
        if not float(ncf_and_grad(net, u0[None], X, z)[1].norm()) > 1e-12:
            return Evidence.undecided("the start is a rest point of the flow", instance=text)
        # |N(u)| ≤ β‖z‖‖u‖² with β ≤ ½max(1, |α|)‖X‖₂ (digest §1.9), so over H = 1/(β‖z‖) the norm changes by at most e²
        beta = 0.5 * max(1.0, abs(net.activation.alpha)) * float(torch.linalg.matrix_norm(X, 2))
        H = 1.0 / (beta * float(z.norm()))
        times = np.linspace(H / POINTS, H, POINTS)
        power = self.speed_power
        # both integrands reuse the field's own evaluation of (N, ∇N) (the NCF flow's potential is N)
        quadratures = {"speed": FieldQuadrature(lambda _N, velocity: velocity.norm(dim=-1) ** power), "N": POTENTIAL}
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            out = np.full((4, POINTS), math.nan)  # N, ‖u‖², ∫‖u̇‖^power, ∫N at the grid times
            path = integrate(flow, u0, H, rtol=rtol, atol=atol, t_eval=times, quadratures=quadratures, max_steps=MAX_STEPS)
            if path.status is not FlowStatus.SUCCESS:  # the grid times before it ended are still decided
                ends.append(f"{path.status}: {path.message}")
            if not len(path.t):
                return out
            values = ncf_and_grad(net, torch.as_tensor(path.u, dtype=DTYPE), X, z)[0].numpy()
            out[:, :len(path.t)] = [values, (path.u**2).sum(1), path.quad["speed"], path.quad["N"]]
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        (N_t, norm2, speed, integral), floors = tt.value, tt.floor
        N0, r0 = float(ncf_and_grad(net, u0[None], X, z)[0][0]), float(u0 @ u0)
        checked: list[Entry] = []
        speed_defects, norm_defects = [], []
        reached = [j for j in range(POINTS) if all(math.isfinite(v) for v in (N_t[j], norm2[j], speed[j], integral[j]))]
        if not reached:
            why = "no grid time reached (" + "; ".join(dict.fromkeys(ends)) + ")"
            return Evidence([Entry(math.nan, math.nan, False, why)], instance=text, note=why)
        # the horizon is H or where the integration stopped (a slide along a kink, the step cap), whichever is first
        N_t, norm2, speed, integral, floors = N_t[reached], norm2[reached], speed[reached], integral[reached], floors[:, reached]
        times = times[reached]
        for j, t in enumerate(times):
            scale_N = max(abs(N_t[j] - N0), abs(speed[j]), abs(N0), 1e-300)
            scale_r = max(abs(norm2[j] - r0), abs(self.euler_factor * integral[j]), r0)
            a = abs(N_t[j] - N0 - speed[j]) / scale_N
            b = abs(norm2[j] - r0 - self.euler_factor * integral[j]) / scale_r
            speed_defects.append(a), norm_defects.append(b)
            checked += [Entry(a, (floors[0, j] + floors[2, j]) / scale_N, True, f"N(u(t)) − N(u0) = ∫‖u̇‖^{power} at t = {t:.4g}"),
                        Entry(b, (floors[1, j] + self.euler_factor * floors[3, j]) / scale_r, True,
                              f"‖u(t)‖² − ‖u0‖² = {self.euler_factor:g}∫N at t = {t:.4g}")]
        grid_N, grid_r = [N0, *N_t], [r0, *norm2]
        grid_fN, grid_fr = [0.0, *floors[0]], [0.0, *floors[1]]
        start = next((j for j, v in enumerate(grid_N) if math.isfinite(v) and v >= 0), None)
        N_drop = r_drop = 0.0
        if start is None:
            note = "N < 0 on the whole grid: the monotonicity's hypothesis never holds here (the identities are decided)"
        else:
            note = ""
            for j in range(start + 1, len(grid_N)):
                scale = max(abs(grid_N[j]), abs(grid_N[j - 1]), 1e-300)
                checked += [at_least(grid_N[j], grid_N[j - 1], (grid_fN[j] + grid_fN[j - 1]) / scale,
                                     f"N(t_{j}) ≥ N(t_{j - 1}) (N ≥ 0 from t_{start})", scale=scale),
                            at_least(grid_r[j], grid_r[j - 1], (grid_fr[j] + grid_fr[j - 1]) / grid_r[j - 1],
                                     f"‖u(t_{j})‖² ≥ ‖u(t_{j - 1})‖²", scale=grid_r[j - 1])]
                N_drop = max(N_drop, (grid_N[j - 1] - grid_N[j]) / scale)
                r_drop = max(r_drop, (grid_r[j - 1] - grid_r[j]) / grid_r[j - 1])
        m = MonotonicityMeasurements(N0, float(N_t[-1]), r0, float(norm2[-1]),
                                     float([0.0, *times][start]) if start is not None else math.nan,
                                     float(np.nanmax(speed_defects)) if np.isfinite(speed_defects).any() else math.nan,
                                     float(np.nanmax(norm_defects)) if np.isfinite(norm_defects).any() else math.nan,
                                     N_drop, r_drop)
        return Evidence(checked, m, instance=text, note="; ".join([note, *dict.fromkeys(ends)]).strip("; "))
