"""Norm/direction decomposition of the gradient flow of an L-homogeneous objective, and the time change (s2s Prop. A.1).

Source: Bantzis, Simon, Jacot, "Saddle-to-Saddle Dynamics in Deep ReLU Networks", Proposition A.1 (the display of §2.1)
with the digest's corrections (../shared/spec/saddle_to_saddle.md §2.2 and typo T7).

Statement (gradient flow θ̇ = −∇L0(θ) of an L-homogeneous L0; here L0 = −N, N(θ) = zᵀH(X; θ) the NCF, so the flow is
θ̇ = ∇N(θ); θ̄ = θ/‖θ‖):

    ∂_t‖θ‖ = −L‖θ‖^{L−1}L0(θ̄),        ∂_tθ̄ = −‖θ‖^{L−2}(I − θ̄θ̄ᵀ)∇L0(θ̄).

With the s-time ds/dt = ‖θ(t)‖^{L−2}, θ̄(s) is the projected gradient flow of L0 on the unit sphere and

    ‖θ(s)‖ = ‖θ(0)‖·exp(−L∫_0^s L0(θ̄(u)) du),   t(s) = ‖θ(0)‖^{2−L}∫_0^s exp((L−2)L∫_0^u L0(θ̄(v)) dv) du.

The paper prints the norm without the factor L and the time change with (L−2) in place of (L−2)L (T7); both are mutants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.errors import InputError
from verify.flow import Flow, FlowStatus, blow_up_time_bound, integrate, ncf_flow, random_start, two_tolerances
from verify.nets import DTYPE, EPS
from verify.strategies import activations, datasets, ncf_problems, seeds

RTOL = 1e-9  # the coarse tolerance; the fine one is RTOL/100 (verify.flow.two_tolerances)
POINTS = 6  # comparison points s_j = j·S/POINTS, j = 1..POINTS
STOP = 0.5  # the s-time integration stops once the predicted norm has changed by the factor e^{±STOP}
S_MAX = 2.0  # … or at s = S_MAX/‖∇N(θ̄(0))‖


# z orthogonal to X's columns makes N ≡ 0 for a linear net: no flow to check
LINEAR_TARGETS = ("gaussian", "alternating", "antipodal_opposite", "teacher", "sparse")


def smooth_homogeneous_problems():
    """Small smooth homogeneous nets of degree > 2: depth 2 with σ = max(x, αx)^p, p ∈ {2, 3} (L = 3, 4); linear depth-3
    nets (α = 1, p = 1: L = 3 = depth, s2s's degree without ReLU kinks). (Depth 3 with p = 2, L = 7, is left out for
    time: its s-time spans reach 10²–10³.)"""
    data = datasets(n=(4, 10), d=(2, 4))
    alphas = (0.0, 0.1, 0.5, -0.3)
    return st.one_of(
        ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=activations(alphas=alphas, ps=(2, 3))),
        ncf_problems(data=data, depths=(3,), widths=(1, 3), activation=activations(alphas=(1.0,), ps=(1,)),
                     targets=LINEAR_TARGETS),
    )


@dataclass
class SphereTime:
    """The s-time system of Prop. A.1 solved on [0, S]: direction θ̄(s) (projected gradient flow of N on the unit sphere),
    Q1(s) = ∫_0^s N(θ̄), Q2(s) = ∫_0^s exp(−c·Q1(u)) du; ``solution`` is scipy's dense output of (θ̄, Q1, Q2)."""

    S: float
    solution: object
    status: int
    message: str
    nfev: int

    def at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = self.solution(s)
        k = y.shape[0] - 2
        d = y[:k] / np.linalg.norm(y[:k], axis=0)
        return d.T, y[k], y[k + 1]


def solve_sphere_time(flow: Flow, direction0: torch.Tensor, c: float, S_max: float, stop: float, rtol: float,
                      atol: float) -> SphereTime:
    """Integrate dθ̄/ds = (I − θ̄θ̄ᵀ)∇G(θ̄), dQ1/ds = G(θ̄), dQ2/ds = exp(−c·Q1) (G = flow.potential) on [0, S_max] with
    scipy DOP853 (dense output), stopping once L·|Q1| ≥ ``stop`` (L = flow.degree: the norm changed by e^stop).

    verify.flow.blow_up integrates the same sphere field but carries ρ = log‖θ‖ and t rather than the proposition's
    quadratures, and needs G(θ0) > 0; this is the small piece the checker needs beyond it.
    """
    k = direction0.numel()
    L = float(flow.degree)

    def f(_s: float, y: np.ndarray) -> np.ndarray:
        d = torch.as_tensor(y[:k], dtype=DTYPE)
        d = d / d.norm()
        value, g = flow.potential(d[None])
        value, g = float(value[0]), g[0]
        out = np.empty(k + 2)
        out[:k] = (g - (g @ d) * d).numpy()
        out[k] = value
        out[k + 1] = math.exp(-c * y[k])
        return out

    def changed(_s: float, y: np.ndarray) -> float:
        return L * abs(y[k]) - stop

    changed.terminal, changed.direction = True, 1.0  # type: ignore[attr-defined]
    y0 = np.concatenate([(direction0 / direction0.norm()).numpy(), [0.0, 0.0]])
    with np.errstate(all="ignore"):
        sol = solve_ivp(f, (0.0, S_max), y0, method="DOP853", rtol=rtol, atol=atol, dense_output=True, events=[changed])
    return SphereTime(float(sol.t[-1]), sol.sol, int(sol.status), str(sol.message), int(sol.nfev))


@dataclass(frozen=True)
class DecompositionMeasurements:
    """What s2s.propA_1 measured on one instance: degree L, ‖θ(0)‖, the s-span S, the norm ratio ‖θ(S)‖/‖θ(0)‖ and the
    time t(S) the statement predicts, the worst norm and direction differences between the two integrations and their
    worst two-tolerance floor (fine tolerance), the worst field-identity defect, right-hand-side evaluations."""

    degree: int
    radius: float
    s_span: float
    norm_ratio: float
    t_end: float
    worst_norm_difference: float
    worst_direction_difference: float
    worst_floor: float
    worst_identity: float
    nfev: int


@register
class NormDirectionDecomposition(Checker):
    """s2s Prop. A.1: the flow's norm and direction ODEs, and the s-time closed forms, against a direct integration."""

    id = "s2s.propA_1"
    title = "Norm/direction decomposition of the gradient flow of an L-homogeneous L0 and its time reparametrisation"
    source = "s2s Proposition A.1 (display of §2.1), corrected as in the digest (§2.2, T7)"
    statement = (
        "For θ̇ = −∇L0(θ), L0 L-homogeneous, θ̄ = θ/‖θ‖: ∂_t‖θ‖ = −L‖θ‖^{L−1}L0(θ̄) and ∂_tθ̄ = −‖θ‖^{L−2}(I − θ̄θ̄ᵀ)∇L0(θ̄). "
        "With ds/dt = ‖θ‖^{L−2}, θ̄(s) is the projected gradient flow of L0 on the unit sphere, ‖θ(s)‖ = "
        "‖θ(0)‖exp(−L∫_0^s L0(θ̄)) and t(s) = ‖θ(0)‖^{2−L}∫_0^s exp((L−2)L∫_0^u L0(θ̄)) du."
    )
    hypotheses_text = (
        "L0 = −N, N(θ) = zᵀH(X; θ) (so the flow is the NCF ascent θ̇ = ∇N, verify.flow.ncf_flow), L = p̂ the homogeneity "
        "degree: depth 2 with σ = max(x, αx)^p, p ∈ {2, 3} (L = 3, 4), widths 1–4; linear depth-3 nets (L = 3), widths 1–3 "
        "(z never orthogonal to X's columns: N ≡ 0 there); α ∈ {0, 0.1, 0.5, −0.3}; n 4–10 samples in d 2–4 from the default "
        "data families; z "
        "Gaussian or structured. Start θ(0): a random unit vector (instance seed) scaled to ‖θ(0)‖ ∈ [0.5, 2]; any sign of "
        "N(θ(0)) (the norm may grow or shrink). Smooth σ only: ReLU flows slide along kinks (verify.flow)."
    )
    method = (
        "(1) The s-time system — θ̄ on the unit sphere with dθ̄/ds = (I − θ̄θ̄ᵀ)∇N(θ̄) and the quadratures Q1 = ∫N(θ̄) ds, "
        "Q2 = ∫exp(−(L−2)L·Q1) ds — is integrated (scipy DOP853, dense output) until the norm it predicts, ‖θ(0)‖e^{L·Q1}, "
        "has changed by a factor e^{±1/2} (or s = 2/‖∇N(θ̄(0))‖). At s_j = jS/6 the statement predicts ‖θ‖ = ‖θ(0)‖e^{L·Q1(s_j)} "
        "and θ/‖θ‖ = θ̄(s_j) at the physical time t_j = ‖θ(0)‖^{2−L}Q2(s_j). (2) The flow θ̇ = ∇N(θ) is integrated directly "
        "from θ(0) (verify.flow.integrate, DOP853) to those times; entries: the relative norm difference and the direction "
        "distance ‖θ(t_j)/‖θ(t_j)‖ − θ̄(s_j)‖ at every j. Both integrations run at rtol 1e-9 and 1e-11 "
        "(verify.flow.two_tolerances): value at the fine tolerance, floor its change. A predicted time at or beyond the "
        "flow's a-priori blow-up bound ‖θ(0)‖²/(L(L−2)N(θ(0))) (edc Lemma 2, P4; only a wrong time change predicts one) is a "
        "failing entry; an integration that stops early leaves its entries undecided. (3) The two ODEs as identities of the "
        "field at the direct trajectory's points θ(t_j): θ̄ᵀ∇N(θ) = L‖θ‖^{L−1}N(θ̄) (relative to ‖∇N(θ)‖) and "
        "(I − θ̄θ̄ᵀ)∇N(θ)/‖θ‖ = ‖θ‖^{L−2}(I − θ̄θ̄ᵀ)∇N(θ̄) (relative to ‖∇N(θ)‖/‖θ‖), floor 1e3·ε (autograd, exact in exact "
        "arithmetic by Euler's identity and ∇N(θ) = ‖θ‖^{L−1}∇N(θ̄))."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs: ‖θ(s)‖ = ‖θ0‖exp(norm_factor·∫N), ds/dt = ‖θ‖^{time_exponent},
    # t(s) = ‖θ0‖^{−time_exponent}∫exp(−time_factor·∫N)
    norm_factor = staticmethod(lambda L: L)
    time_exponent = staticmethod(lambda L: L - 2)
    time_factor = staticmethod(lambda L: (L - 2) * L)
    mutants = [
        Mutant("norm without the factor L (as printed)", "‖θ(s)‖ = ‖θ(0)‖exp(−∫L0(θ̄)) and ∂_t‖θ‖ = −‖θ‖^{L−1}L0(θ̄) "
               "(the paper's display, T7)", norm_factor=staticmethod(lambda L: 1)),
        Mutant("time change with (L−2), not (L−2)L (as printed)", "t(s) = ‖θ(0)‖^{2−L}∫exp((L−2)∫L0(θ̄)) (the paper's "
               "display, T7)", time_factor=staticmethod(lambda L: L - 2)),
        Mutant("s-time speed ‖θ‖^{L−1}", "ds/dt = ‖θ‖^{L−1} (a wrong exponent in the time change and in ∂_tθ̄)",
               time_exponent=staticmethod(lambda L: L - 1), time_factor=staticmethod(lambda L: (L - 1) * L)),
    ]

    def hypotheses(self):
        return st.tuples(smooth_homogeneous_problems(), seeds(), st.floats(0.5, 2.0))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, start_seed, radius = instance
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        L = net.degree
        flow = ncf_flow(net, X, z)
        theta0 = random_start(net.n_params, start_seed, radius)
        text = f"{problem}; start seed={start_seed}, ‖θ(0)‖={radius:.4g} (L = {L})"
        _, g0 = flow.potential((theta0 / radius)[None])
        gnorm = float(g0.norm())
        if not gnorm > 1e-10 * float(z.abs().sum()) * max(1.0, float(X.abs().max())) ** L:
            return Evidence.undecided(f"‖∇N(θ̄(0))‖ = {gnorm:.2g}: N vanishes near the start (e.g. Xᵀz = 0 for a linear net), "
                                      "the flow does not move", instance=text)
        kf, e, c = self.norm_factor(L), self.time_exponent(L), self.time_factor(L)
        bound = blow_up_time_bound(flow, theta0)
        runs: dict[float, dict] = {}
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            sph = solve_sphere_time(flow, theta0, c, S_MAX / gnorm, STOP, rtol, atol)
            out = np.full(2 * POINTS, math.nan)
            run = {"sphere": sph, "nfev": sph.nfev, "times": None, "u": None, "beyond": np.zeros(POINTS, bool)}
            runs[rtol] = run
            if sph.status < 0:
                ends.append(f"s-time system: {sph.message}")
                return out
            s = np.arange(1, POINTS + 1) * sph.S / POINTS
            d, Q1, Q2 = sph.at(s)
            norms = radius * np.exp(kf * Q1)
            times = radius ** (-e) * Q2
            run.update(times=times, norms=norms, Q1=Q1, beyond=times >= bound)
            ok = ~run["beyond"]
            if not ok.any():
                return out
            try:
                tr = integrate(flow, theta0, float(times[ok].max()), rtol=rtol, atol=atol * radius, t_eval=times[ok])
            except InputError as exc:
                ends.append(f"direct flow: {exc}")
                return out
            run["nfev"] += tr.nfev
            if tr.status is not FlowStatus.SUCCESS:
                ends.append(f"direct flow: {tr.status} ({tr.message})")
            idx = np.nonzero(ok)[0][: len(tr.t)]
            u = tr.u
            run["u"], run["idx"] = u, idx
            r = np.linalg.norm(u, axis=1)
            out[idx] = (r - norms[idx]) / norms[idx]
            out[POINTS + idx] = np.linalg.norm(u / r[:, None] - d[idx], axis=1)
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        fine = runs[RTOL / 100]
        checked: list[Entry] = []
        if fine["times"] is not None:
            for j in np.nonzero(fine["beyond"])[0]:
                tj = float(fine["times"][j])
                checked.append(Entry((tj - bound) / tj, 0.0, True, f"predicted t(s_{j + 1}) = {tj:.6g} lies beyond the "
                                     f"a-priori blow-up bound {bound:.6g} while the predicted norm is finite"))
        labels = [f"‖θ(t(s_{j}))‖ = ‖θ(0)‖e^(L∫N)" for j in range(1, POINTS + 1)]
        labels += [f"θ(t(s_{j}))/‖θ‖ = θ̄(s_{j}) (projected flow on the sphere)" for j in range(1, POINTS + 1)]
        for i, label in enumerate(labels):
            j = i % POINTS
            if fine["times"] is not None and fine["beyond"][j]:
                continue
            v, f = float(tt.value[i]), float(tt.floor[i])
            if math.isfinite(v) and math.isfinite(f):
                checked.append(Entry(abs(v), f, True, label))
            else:
                checked.append(Entry(math.nan, math.nan, False, label + ": not reached (" + "; ".join(ends) + ")"))
        # (3) the two ODEs as identities of the field, at the direct trajectory's points
        identity = 0.0
        if fine.get("u") is not None and len(fine["u"]):
            th = torch.as_tensor(fine["u"], dtype=DTYPE)
            r = th.norm(dim=1, keepdim=True)
            bar = th / r
            _, g = flow.potential(th)
            Nb, gb = flow.potential(bar)
            radial = (bar * g).sum(-1)
            norm_defect = (radial - kf * r[:, 0] ** (L - 1) * Nb).abs() / g.norm(dim=1)
            tang = (g - radial[:, None] * bar) / r
            tang_bar = r ** e * (gb - (gb * bar).sum(-1, keepdim=True) * bar)
            dir_defect = (tang - tang_bar).norm(dim=1) / (g.norm(dim=1) / r[:, 0])
            for j, (a, b) in enumerate(zip(norm_defect.tolist(), dir_defect.tolist(), strict=True)):
                jj = int(fine["idx"][j]) + 1
                checked.append(Entry(a, 1e3 * EPS, True, f"∂_t‖θ‖ = L‖θ‖^(L−1)N(θ̄) at θ(t(s_{jj}))"))
                checked.append(Entry(b, 1e3 * EPS, True, f"∂_tθ̄ = ‖θ‖^(L−2)(I − θ̄θ̄ᵀ)∇N(θ̄) at θ(t(s_{jj}))"))
                identity = max(identity, a, b)
        floors = tt.floor[np.isfinite(tt.floor)]
        sph = fine["sphere"]
        ratio = float(fine["norms"][-1] / radius) if fine["times"] is not None else math.nan
        t_end = float(fine["times"][-1]) if fine["times"] is not None else math.nan
        m = DecompositionMeasurements(
            L, radius, sph.S, ratio, t_end,
            float(np.nanmax(np.abs(tt.value[:POINTS]))) if np.isfinite(tt.value[:POINTS]).any() else math.nan,
            float(np.nanmax(tt.value[POINTS:])) if np.isfinite(tt.value[POINTS:]).any() else math.nan,
            float(floors.max()) if floors.size else math.nan, identity, sum(r_["nfev"] for r_ in runs.values()))
        return Evidence(checked, m, instance=text, note="; ".join(dict.fromkeys(ends)))
