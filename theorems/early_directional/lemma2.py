"""edc Lemma 2: the NCF flow of order L > 2 blows up along a KKT point once N > 0, and shrinks to rest while N ≤ 0.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 2 and its proof (eqs. 23, 29, 30), with the digest's derived sharpening and errata
(../shared/spec/early_directional_convergence.md, "edc.lemma2" and "Errata"). L is the homogeneity degree of N
(p̂ = 1 + p + … + p^{depth−1} for the feed-forward net), not the depth.

Statement. Let du/dt = ∇N(u), N(u) = zᵀH(X; u) L-homogeneous with L > 2. If N(u0) > 0, then

    (P1) ‖u(t)‖ → ∞ at a finite T*;
    (P3) 1/‖u(t)‖^{L−2} = 1/‖u0‖^{L−2} − L(L−2)·∫_0^t N(u(s)/‖u(s)‖) ds   for t < T*   (eq. 30);
    (P4) T* ≤ ‖u0‖²/(L(L−2)N(u0));
    (P5, sharpened) R(t) := (T* − t)·‖u(t)‖^{L−2}·L(L−2)·N(u*) → 1 as t → T*, from above;
    (P7) u* = lim u/‖u‖ exists and is a non-negative KKT point of max N on the sphere: ∇N(u*) = λu*, λ = L·N(u*) > 0.

If N(u(t1)) > 0 at some t1 (P1), all of this holds from u(t1) on. And

    (P6) if N(u(t)) ≤ 0 for all t, ‖u(t)‖ is non-increasing (d‖u‖²/dt = 2L·N(u)); if its limit is > 0, then
         N(u(t)) → 0 and the limit u* satisfies N(u*) = 0 and ∇N(u*) = 0 (digest C12).

P6 is decided from starts with N(u0) < 0: ‖u‖ is non-increasing on [0, t0] while N ≤ 0; a flow whose N turns positive at
t1 is case 1 from there (every claim above measured from u(t1)); one that keeps N ≤ 0 until it comes to rest is checked
for N(u*) = 0 and ∇N(u*) = 0 there. The integration of such a start (:func:`sign_phase`) is shared with np.lemma1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.evidence import at_least, at_most, relative
from verify.flow import (
    POTENTIAL,
    BlowUp,
    Flow,
    blow_up,
    blow_up_time_bound,
    flow_key,
    integrate,
    memo,
    ncf_flow,
    positive_ncf_start,
    two_tolerances,
)
from verify.ncf import gradient_scale, ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.sphere import kkt_residual
from verify.strategies import activations, datasets, ncf_problems, seeds

DECADES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)  # measurement points: ‖u‖^{L−2} = 10^j·‖u0‖^{L−2} (those the run reached)
TAIL_ROOM = 7.0  # a decade is measured only where (L−2)(ρ_end − ρ_j) ≥ 7: the closed-form tail is < 1e-3 of T* − t_j
RTOL = 1e-10  # the coarse tolerance; the fine one is RTOL/100

# a start with N(u0) < 0 (sign_phase): thresholds relative to G, the largest ‖∇N‖ on sample unit vectors (gradient_scale)
POSITIVE = 0.1  # N has turned positive once L·N(u)/‖u‖^L ≥ POSITIVE·G (then case 1 from there, P1)
REST = 1e-9  # the flow is at rest once ‖∇N(u)‖ ≤ REST·G·‖u‖^{L−1} (relative to the direction: a flow to 0 is not at rest)
ORIGIN = 1e-6  # the flow went to the origin once ‖u‖ ≤ ORIGIN·‖u0‖
GROWN = 10.0  # N turned positive and ‖u‖ ≥ GROWN·‖u0‖ (N(u*) below the POSITIVE level): case 1 from there as well
HORIZON = 1e9  # in units of the flow's own time scale ‖u0‖^{2−L}/G
PHASE_STEPS = 1500  # accepted steps at most; beyond them the start is undecided
OUTCOMES = ("positive", "rest", "origin", "open")
WINDOW_POINTS = 65  # ‖u‖ on [0, t0] (N ≤ 0) at this many uniform times and half as many geometric ones (dense output)


def signed_ncf_start(net: FeedForward, X: torch.Tensor, z: torch.Tensor, seed: int, radius: float,
                     sign: int) -> torch.Tensor | None:
    """radius·(a random unit u from seed) with the sign of N(u) chosen: verify.flow.positive_ncf_start, with the last
    layer negated once more for ``sign`` = −1 (N is linear in W_L); None when N(u) = 0 to rounding."""
    u = positive_ncf_start(net, X, z, seed, radius)
    if u is None or sign > 0:
        return u
    Ws = net.split(u)
    return net.flatten([*Ws[:-1], -Ws[-1]])


@dataclass(frozen=True)
class SignPhase:
    """The NCF flow from a start with N(u0) ≤ 0, integrated until it is decided (:func:`sign_phase`).

    outcome: ``positive`` (L·N(u)/‖u‖^L reached POSITIVE·G at t_end, or N > 0 and ‖u‖ reached GROWN·‖u0‖ first: case 1
    from there, P1), ``rest`` (‖∇N(u)‖ ≤ REST·G·‖u‖^{L−1} with N ≤ 0 throughout), ``origin`` (‖u‖ ≤ ORIGIN·‖u0‖) or
    ``open`` (none of these within the horizon or the step budget). t, norms, normalised: the accepted steps, ‖u‖ and
    N(u)/‖u‖^L there; t_zero: the first time N(u(t)) = 0 (NaN if N stayed negative); norm_rise, norm_fall: the largest
    increase and decrease of ‖u‖ between consecutive grid times of [0, t_zero] (the whole run if N stayed ≤ 0;
    WINDOW_POINTS uniform and geometric times, dense output), relative to ‖u0‖; monotone: ∫_0^{t_end} (‖∇N‖² −
    (uᵀ∇N)²/‖u‖²)/‖u‖^L dt (np [L1]'s d/dt N(u/‖u‖); NaN unless asked for); u_end, N_end, norm_end, stationarity
    (‖∇N(u_end)‖/(G‖u0‖^{L−1})), t_end; nfev, message of the integration.
    """

    outcome: str
    t: np.ndarray
    norms: np.ndarray
    normalised: np.ndarray
    t_zero: float
    norm_rise: float
    norm_fall: float
    monotone: float
    u_end: np.ndarray
    N_end: float
    norm_end: float
    stationarity: float
    t_end: float
    nfev: int
    message: str


def sign_phase(net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, *, rtol: float, atol: float,
               scale: float, max_steps: int = PHASE_STEPS, identity: bool = False, positive_level: float = POSITIVE) -> SignPhase:
    """Integrate du/dt = ∇N(u) from u0 with verify.flow.integrate (DOP853) until N turns positive, the flow comes to rest,
    it reaches the origin, or HORIZON time scales / ``max_steps`` steps pass (:class:`SignPhase`); thresholds relative
    to ``scale`` (:func:`gradient_scale`), N positive at ``positive_level``. With ``identity``, ∫(‖∇N‖² −
    (uᵀ∇N)²/‖u‖²)/‖u‖^L dt rides along as a quadrature (else SignPhase.monotone is NaN)."""
    L = net.degree
    u0 = torch.as_tensor(u0, dtype=DTYPE)
    r0 = float(u0.norm())
    last: dict[str, tuple[float, float, float]] = {}

    def state(t: float, u: np.ndarray) -> tuple[float, float, float]:  # (N, ‖∇N‖, ‖u‖), one evaluation for all events
        key = f"{t!r}{u.tobytes().hex()}"
        if key not in last:
            last.clear()
            N, g = ncf_and_grad(net, torch.as_tensor(u, dtype=DTYPE)[None], X, z)
            last[key] = (float(N[0]), float(g[0].norm()), float(np.linalg.norm(u)))
        return last[key]

    def positive(t: float, u: np.ndarray) -> float:
        N, _, r = state(t, u)
        return L * N / r**L / scale - positive_level

    def zero(t: float, u: np.ndarray) -> float:
        N, _, r = state(t, u)
        return N / r**L / scale

    def rest(t: float, u: np.ndarray) -> float:  # ‖∇N(u/‖u‖)‖/G: small at a non-zero critical point, not on the way to 0
        _, g, r = state(t, u)
        return math.log(max(g / (scale * r ** (L - 1)), 1e-300)) - math.log(REST)

    def origin(t: float, u: np.ndarray) -> float:
        return math.log(max(float(np.linalg.norm(u)) / r0, 1e-300)) - math.log(ORIGIN)

    def grown(t: float, u: np.ndarray) -> float:  # ‖u‖ ≤ ‖u0‖ while N ≤ 0 (P6), so this fires only after N turned positive
        return math.log(float(np.linalg.norm(u)) / r0) - math.log(GROWN)

    positive.terminal, positive.direction = True, 1.0  # type: ignore[attr-defined]
    zero.direction = 1.0  # type: ignore[attr-defined]
    rest.terminal, rest.direction = True, -1.0  # type: ignore[attr-defined]
    origin.terminal, origin.direction = True, -1.0  # type: ignore[attr-defined]
    grown.terminal, grown.direction = True, 1.0  # type: ignore[attr-defined]

    base = ncf_flow(net, X, z)
    shared: dict[str, object] = {}

    def value_and_grad(U: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # remembered for the quadrature at the same state
        shared["state"], shared["value"] = U, base.value_and_grad(U)
        return shared["value"]  # type: ignore[return-value]

    def monotone(U: torch.Tensor) -> torch.Tensor:
        _, g = shared["value"] if shared.get("state") is U else ncf_and_grad(net, U, X, z)  # type: ignore[misc]
        r2 = U.square().sum(-1)
        return (g.square().sum(-1) - (U * g).sum(-1) ** 2 / r2) / r2 ** (L / 2)

    horizon = HORIZON * r0 ** (2 - L) / scale
    flow = Flow(value_and_grad, 1.0, base.degree, base.kinks, base.name) if identity else base
    tr = integrate(flow, u0, horizon, rtol=rtol, atol=atol,
                   events={"positive": positive, "zero": zero, "rest": rest, "origin": origin, "grown": grown},
                   quadratures={"monotone": monotone} if identity else None, max_steps=max_steps)
    ev = {name: len(times) > 0 for name, times in tr.events.items()}
    outcome = "positive" if ev.get("grown") else next((name for name in OUTCOMES[:3] if ev.get(name)), "open")
    t_zero = float(tr.events["zero"][0]) if ev.get("zero") else math.nan
    U = torch.as_tensor(tr.u, dtype=DTYPE)
    norms = U.norm(dim=1).numpy()
    normalised = (ncf(net, U, X, z) / U.norm(dim=1) ** L).numpy()
    t_window = t_zero if math.isfinite(t_zero) else float(tr.t_reached)  # where N ≤ 0: [0, t_window]
    grid = np.unique(np.concatenate([np.linspace(0.0, t_window, WINDOW_POINTS),
                                     np.geomspace(t_window * 1e-6, t_window, WINDOW_POINTS // 2)]))
    steps = np.diff(np.linalg.norm(tr.at(grid), axis=1))  # the same grid at every tolerance: floors are comparable
    u_end = tr.u[-1].copy()
    N_end, g_end = ncf_and_grad(net, torch.as_tensor(u_end, dtype=DTYPE)[None], X, z)
    return SignPhase(outcome, tr.t.copy(), norms, normalised, t_zero,
                     max(0.0, float(steps.max(initial=0.0))) / r0, max(0.0, float(-steps.min(initial=0.0))) / r0,
                     float(tr.quad["monotone"][-1]) if identity else math.nan, u_end, float(N_end[0]), float(norms[-1]),
                     float(g_end[0].norm()) / (scale * r0 ** (L - 1)), float(tr.t_reached), tr.nfev, tr.message)


@dataclass(frozen=True)
class BlowUpMeasurements:
    """What edc.lemma2 measured on one instance (fine tolerance): the degree L, N(u0), T*, its a-priori bound, the
    limit's N(u*) and KKT residual, R(t) at the first and last measured decade, the bracket L(L−2)D at the last one
    and which decade it was, the largest two-tolerance floor, the integrations' right-hand-side evaluations (both
    tolerances). For a start with N(u0) < 0 (start_sign −1): how the phase with N ≤ 0 ended (phase: positive, rest,
    origin, open), the time t1 where N turned positive (T*, its bound and the case-1 quantities are then those of the
    blow-up from u(t1), T* and the bound in the original time), the largest rise of ‖u‖/‖u0‖ while N ≤ 0 (P6), and
    ‖u*‖/‖u0‖ at rest."""

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
    start_sign: int = 1
    phase: str = "N(u0) > 0"
    t_positive: float = 0.0
    norm_rise: float = math.nan
    rest_norm: float = math.nan


@register
class NCFBlowUp(Checker):
    """edc Lemma 2 (P1, P3, P4, the sharpened P5, P6, P7) on the NCF flow of smooth homogeneous nets, N(u0) of either sign."""

    id = "edc.lemma2"
    title = "Finite-time blow-up of the NCF flow of order L > 2: identity (30), T* bound, rate, limit KKT point; P6 while N ≤ 0"
    source = "edc Lemma 2 (eqs. 23, 29, 30; P6 and the sharpened rate derived in the digest)"
    statement = (
        "For du/dt = ∇N(u), N L-homogeneous with L > 2 and N(u0) > 0: ‖u‖ → ∞ at a finite T* ≤ ‖u0‖²/(L(L−2)N(u0)); "
        "1/‖u(t)‖^{L−2} = 1/‖u0‖^{L−2} − L(L−2)∫_0^t N(u/‖u‖) ds; (T* − t)‖u(t)‖^{L−2}L(L−2)N(u*) → 1 from above; and "
        "u* = lim u/‖u‖ is a KKT point of max N on the sphere with λ = L·N(u*) > 0 — from u(t1) on once N(u(t1)) > 0. (P6) "
        "While N(u(t)) ≤ 0, ‖u(t)‖ is non-increasing; if N ≤ 0 for all t and lim ‖u‖ > 0, then N(u(t)) → 0 and the limit u* "
        "has N(u*) = 0 and ∇N(u*) = 0."
    )
    hypotheses_text = (
        "Smooth homogeneous nets σ(x) = max(x, αx)^p: depth 2 with p ∈ {2, 3} (L = p + 1 = 3, 4) or depth 3 with p = 2 "
        "(L = 7); α ∈ {0, 0.1, 0.5, 1, −0.3}; hidden widths 1–4; n 4–10 samples in d 2–4 from the default data families; "
        "z Gaussian or structured. Start: a random unit direction (from the instance's seed) scaled to ‖u0‖ ∈ [0.5, 2], "
        "the last layer negated if N < 0 (N is linear in W_L), so N(u0) > 0 — or, on depth-2 nets when the instance's flag is "
        "set, negated the other way so that N(u0) < 0 (depth-3 flows from N(u0) < 0 linger near zero-NCF critical sets for "
        "10^4–10^7 time units, beyond the budget); an instance with N(u0) = 0 is undecided. "
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
        "two-tolerance floor of R at the first decades (far from the limit, where the bracket is wide) reaches a few 1e-7. "
        "A start with N(u0) < 0 (sign_phase) is integrated in u with verify.flow.integrate (DOP853, same tolerances) until "
        "L·N(u)/‖u‖^L ≥ 0.1·G or N > 0 with ‖u‖ ≥ 10‖u0‖ at t1 (G the largest ‖∇N‖ over the start's direction and 16 random "
        "unit vectors), or ‖∇N(u)‖ ≤ "
        "1e-9·G‖u‖^{L−1} (at rest), or ‖u‖ ≤ 1e-6‖u0‖, else undecided (10^9 time scales ‖u0‖^{2−L}/G or 1500 steps). (P6) "
        "‖u‖ at 65 uniform and 32 geometric times of [0, t0], t0 the first zero of N (dense output, the same times at both "
        "tolerances): its largest rise between consecutive times, /‖u0‖. Turned positive: every entry above from u(t1) "
        "(ρ0, N0 and the bound those of u(t1); T* reported in the original time). At rest with N ≤ 0 throughout: (P6) "
        "|N(u*)|/(G‖u0‖^L) and ‖∇N(u*)‖/(G‖u0‖^{L−1}); at the origin P6's limit clause does not apply. The integrations of "
        "a start are kept per process (memo), so the mutants' runs re-read them."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    rate_factor = staticmethod(lambda L: L * (L - 2))  # in (P3) and in the sharpened rate
    rate_exponent = staticmethod(lambda L: L - 2)  # the power of ‖u‖ in the sharpened rate
    norm_bounded = False  # (P1): the norm is unbounded (blow-up); the mutant says it stays bounded
    norm_trend = "non-increasing"  # (P6): ‖u‖ while N ≤ 0; the mutant says non-decreasing
    mutants = [
        Mutant("exponent L−1 in the rate", "(T* − t)‖u‖^{L−1}L(L−2)N(u*) → 1 (diverges instead)",
               rate_exponent=staticmethod(lambda L: L - 1)),
        Mutant("factor L(L−1)", "L(L−1) in place of L(L−2) in identity (30) and in the rate (the limit becomes (L−1)/(L−2))",
               rate_factor=staticmethod(lambda L: L * (L - 1))),
        Mutant("‖u‖ stays bounded", "‖u(t)‖ stays bounded for all t when N(u0) > 0 (violation: the fraction of 1/‖u0‖^{L−2} "
               "used up, 1 − (‖u0‖/‖u‖)^{L−2}, which a bounded norm keeps away from 1)", norm_bounded=True),
        Mutant("‖u‖ non-decreasing while N ≤ 0", "(P6) with the monotonicity reversed: ‖u(t)‖ non-decreasing while N(u(t)) ≤ 0 "
               "(violation: the largest decrease of ‖u‖ between consecutive grid times, relative to ‖u0‖)", norm_trend="non-decreasing"),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 10), d=(2, 4))
        shallow = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3), ps=(2, 3)))
        deep = ncf_problems(data=data, depths=(3,), widths=(1, 3), activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3), ps=(2,)))
        # (problem, start seed, ‖u0‖, N(u0) < 0): negative starts on depth-2 nets only (see hypotheses_text)
        return st.one_of(st.tuples(shallow, seeds(), st.floats(0.5, 2.0), st.booleans()),
                         st.tuples(deep, seeds(), st.floats(0.5, 2.0), st.just(False)))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, start_seed, radius, *flag = instance  # (problem, seed, radius[, negative]): a 3-tuple is a positive start
        negative = bool(flag[0]) if flag else False
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        L = net.degree
        u0 = signed_ncf_start(net, X, z, start_seed, radius, -1 if negative else 1)
        text = f"{problem}; start seed={start_seed}, ‖u0‖={radius:.4g}" + (", N(u0) < 0" if negative else "")
        if u0 is None:
            return Evidence.undecided("N(u0) = 0 for both signs of the last layer: the lemma's hypothesis fails", instance=text)
        if negative:
            return self._negative_start(net, X, z, u0, start_seed, text)
        flow = ncf_flow(net, X, z)
        N0 = float(ncf(net, u0, X, z))
        r0 = float(u0.norm())
        rho0 = math.log(r0)
        bound = blow_up_time_bound(flow, u0)

        runs: dict[float, BlowUp] = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            bu = memo(flow_key("blow-up", net, X, z, u0, rtol, atol),
                      lambda: blow_up(flow, u0, rtol=rtol, atol=atol, quadratures={"N": POTENTIAL}))
            runs[rtol] = bu
            return _quantities(self, net, X, z, bu, L, rho0, r0)

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        fine = runs[RTOL / 100]
        converged = fine.converged and runs[RTOL].converged
        checked, m = self._case1(tt.value, tt.floor, tt.coarse, converged, float(fine.rho[-1]), rho0, N0, r0, bound, L)
        m = replace(m, nfev=fine.nfev + runs[RTOL].nfev)
        note = "" if converged else f"the reparametrised integration did not converge: {fine.message}"
        return Evidence(checked, m, instance=text, note=note)

    def _case1(self, v: np.ndarray, fl: np.ndarray, coarse: np.ndarray, converged: bool, rho_end: float, rho0: float,
               N0: float, r0: float, bound: float, L: int, where: str = "") -> tuple[list[Entry], BlowUpMeasurements]:
        """The entries of case 1 (P1, P3, P4, P5, P7) from the blow-up integration started at u0 (``where`` = "") or at
        the first time t1 where N turned positive (``where`` names it), from the two-tolerance values of :func:`_quantities`
        (v fine, fl floors, coarse); N0, r0, ρ0 and the bound are those of the integration's start."""
        checked: list[Entry] = []
        n = len(DECADES)
        # layout of _quantities: P3 residuals (n), R (n), bracket upper bounds (n), T*, N*, kkt residual, λ (NaN: not reached)
        p3, rate, upper = v[:n], v[n:2 * n], v[2 * n:3 * n]
        T_star, N_star, res, lam = v[3 * n:3 * n + 4]
        reached = [j for j in range(n) if math.isfinite(v[j]) and math.isfinite(coarse[j])]
        for j in reached:
            checked.append(Entry(abs(p3[j]), fl[j], converged, f"(P3) identity (30) at ‖u‖^(L−2) = 1e{DECADES[j]}·‖u0‖^(L−2){where}"))
        for j in reached:
            floor = fl[n + j]
            checked.append(at_least(rate[j], 1.0, floor / max(rate[j], 1.0), f"(P5) side R ≥ 1 at 1e{DECADES[j]}{where}"))
            # compared in logs: R ≤ e^{L(L−2)D} ⇔ log R ≤ L(L−2)D; absolute where the bracket is narrow, relative to
            # L(L−2)D where it is wide (then only a large excess matters), floors in the same units
            scale = max(1.0, upper[j])
            log_floor = (floor / rate[j] + fl[2 * n + j]) / scale
            checked.append(at_most(math.log(rate[j]), upper[j], log_floor, f"(P5) bracket log R ≤ L(L−2)D at 1e{DECADES[j]}{where}",
                                   scale=scale))
        closed = [j for j in reached if upper[j] <= 0.1 * self.tolerance]
        if closed:
            j = closed[-1]
            checked.append(Entry(abs(rate[j] - 1), fl[n + j], converged,
                                 f"(P5) limit |R − 1| at 1e{DECADES[j]} (bracket L(L−2)D = {upper[j]:.2g}){where}"))
        else:
            checked.append(Entry(math.nan, math.nan, False, f"(P5) limit: the bracket did not close at the measured decades{where}"))
        checked.append(at_most(T_star, bound, fl[3 * n] / bound, f"(P4) T* ≤ ‖u0‖²/(L(L−2)N(u0)){where}", scale=bound))
        grew = rho_end - rho0
        if self.norm_bounded:
            checked.append(Entry(1 - math.exp(-(L - 2) * grew), 0.0, True, f"(P1, mutant) ‖u‖ stays bounded{where}"))
        else:
            blew = converged and math.isfinite(T_star) and T_star <= bound * (1 + 1e-12)
            checked.append(Entry(0.0 if blew else math.nan, 0.0, blew,
                                 f"(P1) ‖u‖ grew by e^{grew:.3g} before t = T* = {T_star:.9g}{where}"))
        checked.append(Entry(res, fl[3 * n + 2], converged, f"(P7) KKT residual of u* = lim u/‖u‖{where}"))
        checked.append(Entry(relative(lam, L * N_star), 1e3 * EPS, converged, f"(P7) λ = ⟨∇N(u*), u*⟩ = L·N(u*){where}"))
        s0 = N0 / r0**L
        checked.append(at_least(N_star, s0, fl[3 * n + 1] / max(N_star, s0),
                                f"(P7) N(u*) ≥ N(u0/‖u0‖) > 0 (non-negative KKT point){where}"))
        last = reached[-1] if reached else 0
        m = BlowUpMeasurements(L, N0, T_star, bound, N_star, res, float(rate[0]), float(rate[last]), float(upper[last]),
                               DECADES[last], float(np.nanmax(fl[:3 * n + 4])), 0)
        return checked, m

    def _negative_start(self, net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, seed: int,
                        text: str) -> Evidence:
        """A start with N(u0) < 0: (P6) while N ≤ 0, and then case 1 from t1 (P1) or the limit at rest (P6)."""
        L = net.degree
        flow = ncf_flow(net, X, z)
        N0 = float(ncf(net, u0, X, z))
        r0 = float(u0.norm())
        G = gradient_scale(net, X, z, u0, seed)
        n_case1 = 3 * len(DECADES) + 4
        phases: dict[float, SignPhase] = {}
        runs: dict[float, BlowUp] = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            ph = memo(flow_key("sign phase", net, X, z, u0, rtol, atol, G),
                      lambda: sign_phase(net, X, z, u0, rtol=rtol, atol=atol, scale=G))
            phases[rtol] = ph
            at_rest = [abs(ph.N_end) / (G * r0**L), ph.stationarity]
            case1 = [math.nan] * (n_case1 + 2)
            if ph.outcome == "positive":
                u1 = torch.as_tensor(ph.u_end, dtype=DTYPE)
                bu = memo(flow_key("blow-up", net, X, z, u1, rtol, atol),
                          lambda: blow_up(flow, u1, rtol=rtol, atol=atol, quadratures={"N": POTENTIAL}))
                runs[rtol] = bu
                r1 = float(u1.norm())
                case1 = [*_quantities(self, net, X, z, bu, L, math.log(r1), r1), ph.t_end, blow_up_time_bound(flow, u1)]
            return np.array([ph.norm_rise, ph.norm_fall, OUTCOMES.index(ph.outcome), *at_rest, *case1])

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        fine, coarse = phases[RTOL / 100], phases[RTOL]
        v, fl = tt.value, tt.floor
        same = fine.outcome == coarse.outcome
        # (P6) while N ≤ 0, d‖u‖²/dt = 2L·N ≤ 0: ‖u‖ is non-increasing on [0, t0], t0 the first zero of N (or the window's end)
        window = f"[0, {fine.t_zero:.6g}]" if math.isfinite(fine.t_zero) else f"[0, {fine.t_end:.6g}]"
        if self.norm_trend == "non-increasing":
            checked = [Entry(v[0], fl[0], True, f"(P6) ‖u(t)‖ non-increasing while N(u(t)) ≤ 0, on {window}")]
        else:
            checked = [Entry(v[1], fl[1], True, f"(P6, mutant) ‖u(t)‖ {self.norm_trend} while N(u(t)) ≤ 0, on {window}")]
        extra = dict(start_sign=-1, phase=fine.outcome, t_positive=math.nan, norm_rise=float(v[0]), rest_norm=math.nan)
        note = ""
        if not same:
            checked.append(Entry(math.nan, math.nan, False, f"the two tolerances end differently ({coarse.outcome}, {fine.outcome})"))
            m = BlowUpMeasurements(L, N0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 0, math.nan,
                                   fine.nfev + coarse.nfev, **extra)
        elif fine.outcome == "positive":
            # N(u(t1)) > 0: case 1 from t1 (P1), every claim of the blow-up measured from u(t1)
            bu_fine = runs[RTOL / 100]
            u1 = torch.as_tensor(fine.u_end, dtype=DTYPE)
            r1 = float(u1.norm())
            N1 = float(ncf(net, u1, X, z))
            converged = bu_fine.converged and runs[RTOL].converged
            t1, bound1 = v[3 + 2 + n_case1], v[3 + 2 + n_case1 + 1]
            case1, m = self._case1(v[5:5 + n_case1], fl[5:5 + n_case1], tt.coarse[5:5 + n_case1], converged,
                                   float(bu_fine.rho[-1]), math.log(r1), N1, r1, bound1, L, where=f" (from t1 = {t1:.6g})")
            checked += case1
            extra["t_positive"] = float(t1)
            m = replace(m, N0=N0, T_star=float(t1 + m.T_star), T_bound=float(t1 + bound1),
                        nfev=fine.nfev + coarse.nfev + bu_fine.nfev + runs[RTOL].nfev, **extra)
            note = "" if converged else f"the reparametrised integration did not converge: {bu_fine.message}"
        else:
            rest = fine.outcome == "rest" and coarse.outcome == "rest"
            extra["rest_norm"] = fine.norm_end / r0
            if fine.outcome == "origin":
                note = f"‖u‖ fell below {ORIGIN:g}·‖u0‖ with N ≤ 0 throughout (case 2, u → 0): P6's limit clause does not apply"
            else:
                # (P6) a non-zero limit with N ≤ 0 throughout: N(u(t)) → 0 and ∇N(u*) = 0, measured where the flow came to rest
                checked.append(Entry(v[3], fl[3], rest, f"(P6) N(u*) = 0 at rest (|N|/(G‖u0‖^L); ‖u*‖ = {fine.norm_end:.4g})"))
                checked.append(Entry(v[4], fl[4], rest, "(P6) ∇N(u*) = 0 at rest (‖∇N‖/(G‖u0‖^(L−1)))"))
                if not rest:
                    note = f"the flow neither turned positive nor came to rest within the budget: {fine.message}"
            m = BlowUpMeasurements(L, N0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, 0,
                                   float(np.nanmax(fl[:5])), fine.nfev + coarse.nfev, **extra)
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
