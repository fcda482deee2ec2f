"""edc Lemma 2: the NCF flow of order L > 2 started where N > 0 blows up in finite time, at a known rate, along a KKT point.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 2 and its proof (eqs. 23, 29, 30), with the digest's derived sharpening and errata
(../shared/spec/early_directional_convergence.md, "edc.lemma2" and "Errata"). L is the homogeneity degree of N
(p̂ = 1 + p + … + p^{depth−1} for the feed-forward net), not the depth.

Statement. Let du/dt = ∇N(u), N(u) = zᵀH(X; u) L-homogeneous with L > 2, and N(u0) > 0. Then

    (P1) ‖u(t)‖ → ∞ at a finite T*;
    (P3) 1/‖u(t)‖^{L−2} = 1/‖u0‖^{L−2} − L(L−2)·∫_0^t N(u(s)/‖u(s)‖) ds   for t < T*   (eq. 30);
    (P4) T* ≤ ‖u0‖²/(L(L−2)N(u0));
    (P5, sharpened) R(t) := (T* − t)·‖u(t)‖^{L−2}·L(L−2)·N(u*) → 1 as t → T*, from above;
    (P7) u* = lim u/‖u‖ exists and is a non-negative KKT point of max N on the sphere: ∇N(u*) = λu*, λ = L·N(u*) > 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.evidence import at_least, at_most, relative
from verify.flow import POTENTIAL, BlowUp, blow_up, blow_up_time_bound, ncf_flow, positive_ncf_start, two_tolerances
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.sphere import kkt_residual
from verify.strategies import activations, datasets, ncf_problems, seeds

DECADES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)  # measurement points: ‖u‖^{L−2} = 10^j·‖u0‖^{L−2} (those the run reached)
TAIL_ROOM = 7.0  # a decade is measured only where (L−2)(ρ_end − ρ_j) ≥ 7: the closed-form tail is < 1e-3 of T* − t_j
RTOL = 1e-10  # the coarse tolerance; the fine one is RTOL/100


@dataclass(frozen=True)
class BlowUpMeasurements:
    """What edc.lemma2 measured on one instance (fine tolerance): the degree L, N(u0), T*, its a-priori bound, the
    limit's N(u*) and KKT residual, R(t) at the first and last measured decade, the bracket L(L−2)D at the last one
    and which decade it was, the largest two-tolerance floor, the integration's right-hand-side evaluations (both tolerances)."""

    degree: int
    N0: float
    T_star: float
    T_bound: float
    N_star: float
    kkt_residual: float
    rate_first: float
    rate_last: float
    bracket_last: float
    last_decade: int
    worst_floor: float
    nfev: int


@register
class NCFBlowUp(Checker):
    """edc Lemma 2 (P1, P3, P4, the sharpened P5, P7) on the NCF flow of smooth homogeneous nets with N(u0) > 0."""

    id = "edc.lemma2"
    title = "Finite-time blow-up of the NCF flow of order L > 2: identity (30), T* bound, rate, limit KKT point"
    source = "edc Lemma 2 (eqs. 23, 29, 30; sharpened rate derived in the digest)"
    statement = (
        "For du/dt = ∇N(u), N L-homogeneous with L > 2 and N(u0) > 0: ‖u‖ → ∞ at a finite T* ≤ ‖u0‖²/(L(L−2)N(u0)); "
        "1/‖u(t)‖^{L−2} = 1/‖u0‖^{L−2} − L(L−2)∫_0^t N(u/‖u‖) ds; (T* − t)‖u(t)‖^{L−2}L(L−2)N(u*) → 1 from above; and "
        "u* = lim u/‖u‖ is a KKT point of max N on the sphere with λ = L·N(u*) > 0."
    )
    hypotheses_text = (
        "Smooth homogeneous nets σ(x) = max(x, αx)^p: depth 2 with p ∈ {2, 3} (L = p + 1 = 3, 4) or depth 3 with p = 2 "
        "(L = 7); α ∈ {0, 0.1, 0.5, 1, −0.3}; hidden widths 1–4; n 4–10 samples in d 2–4 from the default data families; "
        "z Gaussian or structured. Start: a random unit direction (from the instance's seed) scaled to ‖u0‖ ∈ [0.5, 2], "
        "the last layer negated if N < 0 (N is linear in W_L), so N(u0) > 0; an instance with N(u0) = 0 is undecided. "
        "ReLU-type σ (p = 1) is left out: depth 3 ReLU has L = 3, but its flow slides along kinks that an explicit "
        "integrator does not resolve (verify.flow would flag it INCONCLUSIVE)."
    )
    method = (
        "The flow is integrated on the sphere (verify.flow.blow_up: direction s, ρ = log‖u‖ and t in the time τ with "
        "dt/dτ = ‖u‖^{−(L−2)}; scipy DOP853) until ρ − ρ0 ≥ 40 and the direction's KKT residual ≤ 10·rtol, at rtol 1e-10 and "
        "1e-12 (atol = rtol/100); every quantity's error floor is its change between the two (verify.flow.two_tolerances). "
        "T* = t(τ_end) + e^{−(L−2)ρ_end}/((L−2)L·N(s_end)) (relative size of the tail ≤ e^{−40}); ∫N(u/‖u‖)dt rides along as a "
        "quadrature. Decades j ∈ {1, 2, 3, 4, 6, 8, 12, 16, 24, 32}, the points where ‖u‖^{L−2} = 10^j‖u0‖^{L−2}, are measured "
        "where the run leaves room ((L−2)(ρ_end − ρ_j) ≥ 7). At each: (P3) the identity, as |lhs − rhs|·‖u0‖^{L−2}; (P5) the "
        "side R ≥ 1 and the bracket log R ≤ L(L−2)D(τ), D(τ) = ∫_τ^∞ (N(u*) − N(s)) dτ′ ≥ 0 — exact: with ρ′ = L·N(s) and N(s) "
        "non-decreasing to N(u*), ρ(τ′) − ρ(τ) = L·N(u*)(τ′ − τ) − L·∫(N(u*) − N(s)), so 1 ≤ R ≤ e^{L(L−2)D}. The limit: |R − 1| at "
        "the deepest decade where the bracket has closed to L(L−2)D ≤ 1e-9 (undecided if none has: the direction had not "
        "converged there). T* − t and D are Gauss–Legendre quadratures over the integration's steps (BlowUp.remaining_time, "
        "tau_integral), accurate relative to themselves; t(τ_end) − t(τ) would lose digits as t → T*. (P4) T* ≤ the bound; "
        "(P1) blow-up reached (‖u‖ grew by e^40 before T*); (P7) KKT residual of u* = s(τ_end), λ = ⟨∇N(u*), u*⟩ = L·N(u*) "
        "(Euler, floor 1e3·ε) and N(u*) ≥ N(u0/‖u0‖) > 0 (non-negative; P2's monotonicity). max_error_floor is 1e-6: the "
        "two-tolerance floor of R at the first decades (far from the limit, where the bracket is wide) reaches a few 1e-7."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    rate_factor = staticmethod(lambda L: L * (L - 2))  # in (P3) and in the sharpened rate
    rate_exponent = staticmethod(lambda L: L - 2)  # the power of ‖u‖ in the sharpened rate
    norm_bounded = False  # (P1): the norm is unbounded (blow-up); the mutant says it stays bounded
    mutants = [
        Mutant("exponent L−1 in the rate", "(T* − t)‖u‖^{L−1}L(L−2)N(u*) → 1 (diverges instead)",
               rate_exponent=staticmethod(lambda L: L - 1)),
        Mutant("factor L(L−1)", "L(L−1) in place of L(L−2) in identity (30) and in the rate (the limit becomes (L−1)/(L−2))",
               rate_factor=staticmethod(lambda L: L * (L - 1))),
        Mutant("‖u‖ stays bounded", "‖u(t)‖ stays bounded for all t when N(u0) > 0 (violation: the fraction of 1/‖u0‖^{L−2} "
               "used up, 1 − (‖u0‖/‖u‖)^{L−2}, which a bounded norm keeps away from 1)", norm_bounded=True),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 10), d=(2, 4))
        shallow = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3), ps=(2, 3)))
        deep = ncf_problems(data=data, depths=(3,), widths=(1, 3), activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3), ps=(2,)))
        return st.tuples(st.one_of(shallow, deep), seeds(), st.floats(0.5, 2.0))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, start_seed, radius = instance
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        L = net.degree
        u0 = positive_ncf_start(net, X, z, start_seed, radius)
        text = f"{problem}; start seed={start_seed}, ‖u0‖={radius:.4g}"
        if u0 is None:
            return Evidence.undecided("N(u0) = 0 for both signs of the last layer: the lemma's hypothesis fails", instance=text)
        flow = ncf_flow(net, X, z)
        N0 = float(ncf(net, u0, X, z))
        r0 = float(u0.norm())
        rho0 = math.log(r0)
        bound = blow_up_time_bound(flow, u0)

        runs: dict[float, BlowUp] = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            bu = blow_up(flow, u0, rtol=rtol, atol=atol, quadratures={"N": POTENTIAL})
            runs[rtol] = bu
            return _quantities(self, net, X, z, bu, L, rho0, r0)

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        fine = runs[RTOL / 100]
        checked: list[Entry] = []
        converged = fine.converged and runs[RTOL].converged
        v, fl = tt.value, tt.floor
        n = len(DECADES)
        # layout of _quantities: P3 residuals (n), R (n), bracket upper bounds (n), T*, N*, kkt residual, λ (NaN: not reached)
        p3, rate, upper = v[:n], v[n:2 * n], v[2 * n:3 * n]
        T_star, N_star, res, lam = v[3 * n:]
        reached = [j for j in range(n) if math.isfinite(v[j]) and math.isfinite(tt.coarse[j])]
        for j in reached:
            checked.append(Entry(abs(p3[j]), fl[j], converged, f"(P3) identity (30) at ‖u‖^(L−2) = 1e{DECADES[j]}·‖u0‖^(L−2)"))
        for j in reached:
            floor = fl[n + j]
            checked.append(at_least(rate[j], 1.0, floor / max(rate[j], 1.0), f"(P5) side R ≥ 1 at 1e{DECADES[j]}"))
            # compared in logs: R ≤ e^{L(L−2)D} ⇔ log R ≤ L(L−2)D; absolute where the bracket is narrow, relative to
            # L(L−2)D where it is wide (then only a large excess matters), floors in the same units
            scale = max(1.0, upper[j])
            log_floor = (floor / rate[j] + fl[2 * n + j]) / scale
            checked.append(at_most(math.log(rate[j]), upper[j], log_floor, f"(P5) bracket log R ≤ L(L−2)D at 1e{DECADES[j]}",
                                   scale=scale))
        closed = [j for j in reached if upper[j] <= 0.1 * self.tolerance]
        if closed:
            j = closed[-1]
            checked.append(Entry(abs(rate[j] - 1), fl[n + j], converged,
                                 f"(P5) limit |R − 1| at 1e{DECADES[j]} (bracket L(L−2)D = {upper[j]:.2g})"))
        else:
            checked.append(Entry(math.nan, math.nan, False, "(P5) limit: the bracket did not close at the measured decades"))
        checked.append(at_most(T_star, bound, fl[3 * n] / bound, "(P4) T* ≤ ‖u0‖²/(L(L−2)N(u0))", scale=bound))
        grew = fine.rho[-1] - rho0
        if self.norm_bounded:
            checked.append(Entry(1 - math.exp(-(L - 2) * grew), 0.0, True, "(P1, mutant) ‖u‖ stays bounded"))
        else:
            blew = converged and math.isfinite(T_star) and T_star <= bound * (1 + 1e-12)
            checked.append(Entry(0.0 if blew else math.nan, 0.0, blew, f"(P1) ‖u‖ grew by e^{grew:.3g} before t = T* = {T_star:.9g}"))
        checked.append(Entry(res, fl[3 * n + 2], converged, "(P7) KKT residual of u* = lim u/‖u‖"))
        checked.append(Entry(relative(lam, L * N_star), 1e3 * EPS, converged, "(P7) λ = ⟨∇N(u*), u*⟩ = L·N(u*)"))
        s0 = N0 / r0**L
        checked.append(at_least(N_star, s0, fl[3 * n + 1] / max(N_star, s0), "(P7) N(u*) ≥ N(u0/‖u0‖) > 0 (non-negative KKT point)"))
        last = reached[-1] if reached else 0
        m = BlowUpMeasurements(L, N0, T_star, bound, N_star, res, float(rate[0]), float(rate[last]), float(upper[last]),
                               DECADES[last], float(np.nanmax(fl)), fine.nfev + runs[RTOL].nfev)
        note = "" if converged else f"the reparametrised integration did not converge: {fine.message}"
        return Evidence(checked, m, instance=text, note=note)


def _quantities(checker: NCFBlowUp, net: FeedForward, X: torch.Tensor, z: torch.Tensor, bu: BlowUp, L: int, rho0: float,
                r0: float) -> np.ndarray:
    """Everything the claim decides, from one reparametrised integration (see NCFBlowUp.method)."""
    star = torch.as_tensor(bu.direction, dtype=DTYPE)
    N_star, g = ncf_and_grad(net, star[None], X, z)
    N_star, g = float(N_star[0]), g[0]
    res = float(kkt_residual(star, g))
    lam = float(g @ star)
    rho_end = float(bu.rho[-1])
    p3, rate, upper = [], [], []

    def gap(S: np.ndarray, _rho: np.ndarray) -> np.ndarray:  # N(u*) − N(s), all quadrature nodes at once
        return N_star - ncf(net, torch.as_tensor(S, dtype=DTYPE), X, z).numpy()

    for d in DECADES:
        rho = rho0 + d * math.log(10) / (L - 2)
        if (L - 2) * (rho_end - rho) < TAIL_ROOM:
            p3.append(math.nan), rate.append(math.nan), upper.append(math.nan)
            continue
        tau, _, _ = bu.at_log_norm(rho)
        Q = float(bu.quad_at("N", tau))
        lhs = math.exp(-(L - 2) * (rho - rho0))  # ‖u‖^{−(L−2)}·‖u0‖^{L−2}
        rhs = 1 - checker.rate_factor(L) * r0 ** (L - 2) * Q
        p3.append(lhs - rhs)
        rate.append(bu.remaining_time(tau) * math.exp(checker.rate_exponent(L) * rho) * checker.rate_factor(L) * N_star)
        upper.append(L * (L - 2) * max(0.0, bu.tau_integral(gap, tau)))  # L(L−2)·D(τ), D = ∫_τ^∞ (N* − N(s)) dτ′
    return np.array([*p3, *rate, *upper, bu.T_star, N_star, res, lam])
