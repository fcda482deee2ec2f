"""np Lemma 1: the NCF flow either converges or escapes to infinity along a non-negative KKT point (with Definition 2.1).

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 1 and Definition 2.1, quoted there from
Kumar & Haupt 2024/2025a (../shared/spec/neuron_pursuit.md, [L1], [Def 2.1], §1.5); the dichotomy as proved there is
edc Lemma 2 (../shared/spec/early_directional_convergence.md, "edc.lemma2", case 2 and P6, and C12).

Statement. Let H be D-homogeneous in u, D ≥ 2, N(u) = zᵀH(X; u) for any z, and φ(t, u0) the solution of du/dt = ∇N(u)
from any u0. Then

    (escape)  either ‖φ(t, u0)‖ → ∞ — at a finite blow-up time for D > 2, as t → ∞ for D = 2 — and φ/‖φ‖ converges to
              a non-negative KKT point u* of max N on the unit sphere: ∇N(u*) = λu*, λ = D·N(u*) ≥ 0;
    (bounded) or φ(t, u0) stays bounded and converges: to 0, or to a point u* ≠ 0 with N(u*) = 0 and ∇N(u*) = 0 (whose
              direction is then a zero KKT point).

As printed, the bounded alternative reads "φ(t, u0) converges to the origin". That is false on an open set of starts:
for N(a, w) = a·w² (a one-neuron net with σ(x) = x², x = 1, z = 1) the flow from (a, w) = (−1, 1/2) keeps N < 0 and
converges to (−√(7/8), 0) (w² − 2a² is conserved), and for feed-forward nets every balance invariant ‖W_l[j, :]‖² −
p‖W_{l+1}[:, j]‖² is conserved, so ‖φ(t)‖ stays above a positive bound unless the start is balanced. edc Lemma 2
(the source np Lemma 1 quotes) allows the non-zero limit; this checker decides that reading and the printed one is a
mutant that must fail. Definition 2.1: the stable set S(u*) of a non-negative KKT point u* is the set of unit u0
with φ/‖φ‖ → u*; each escaping start is classified by the certified KKT point its limit is.

Proof identities decided along each trajectory ([L1]'s check): N(u/‖u‖) is non-decreasing, with
d/dt N(u/‖u‖) = (‖∇N(u)‖² − (uᵀ∇N(u))²/‖u‖²)/‖u‖^D (d‖u‖²/dt = 2D·N(u) belongs to edc.lemma12/13).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.early_directional.lemma2 import (
    ORIGIN,
    SignPhase,
    sign_phase,
    signed_ncf_start,
)
from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, relative
from verify.flow import blow_up, blow_up_time_bound, direction_flow, flow_key, integrate, memo, ncf_flow, two_tolerances
from verify.kkt import certify_kkt, kkt_points
from verify.ncf import gradient_scale, ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.sphere import kkt_residual
from verify.strategies import TARGETS, activations, datasets, ncf_problems, seeds
from verify.symbolic import euler_defect, is_zero, symbolic_network

RTOL = 1e-8  # the coarse tolerance (atol = rtol/100); the fine one is RTOL/100 (verify.flow.two_tolerances)
SPAN = 20.0  # an escaping flow is followed until log‖u‖ grew by SPAN (and the direction's KKT residual is ≤ 10·rtol)
SAME = 1e-6  # the limit is a certified KKT point of kkt_points when their outputs H(X; ·) agree to this (relative)
SLOPES = (0.0, 0.1, 0.5, 1.0, -0.3)  # α of σ = max(x, αx)^p, p ≥ 2
BRANCHES = ("escape", "bounded", "undecided")


def balance_bound(net: FeedForward, u: np.ndarray | torch.Tensor) -> float:
    """A lower bound on ‖φ(t)‖ for every t from the balance invariants of a feed-forward net with σ = max(x, αx)^p.

    N is unchanged when the incoming weights W_l[j, :] of hidden neuron j of layer l are scaled by c > 0 and its outgoing
    weights W_{l+1}[:, j] by c^{−p}; differentiating at c = 1 gives W_l[j, :]·∇_{W_l[j, :]}N = p·W_{l+1}[:, j]·∇N, so
    Q_{lj} = ‖W_l[j, :]‖² − p‖W_{l+1}[:, j]‖² is constant along the NCF flow. Q > 0 forces ‖W_l[j, :]‖² ≥ Q and Q < 0
    forces ‖W_{l+1}[:, j]‖² ≥ −Q/p; the neurons of one layer own disjoint weights, so ‖u‖² ≥ Σ_j max(Q_{lj}, −Q_{lj}/p)
    for every l. Returns the square root of the largest such sum, evaluated at u (0 for a balanced u).
    """
    Ws = net.split(torch.as_tensor(np.asarray(u), dtype=DTYPE))
    p = net.activation.p
    best = 0.0
    for l in range(net.depth - 1):
        Q = Ws[l].square().sum(1) - p * Ws[l + 1].square().sum(0)
        best = max(best, float(torch.where(Q >= 0, Q, -Q / p).sum()))
    return math.sqrt(best)


def normalised_ncf(net: FeedForward, U: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """N(u/‖u‖) = N(u)/‖u‖^D for a batch (B, k)."""
    return ncf(net, U, X, z) / U.norm(dim=-1) ** net.degree


def tangential_speed(net: FeedForward, S: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """‖(I − ssᵀ)∇N(s)‖² for unit rows s (B, k): d/dτ N(s) on the sphere ([L1]'s identity in the sphere's time)."""
    S = S / S.norm(dim=-1, keepdim=True)
    _, g = ncf_and_grad(net, S, X, z)
    return (g - (g * S).sum(-1, keepdim=True) * S).square().sum(-1)


@dataclass(frozen=True)
class Escape:
    """The escaping branch from u1 (N(u1) > 0, reached at t1): the flow followed until ‖u‖ = e^SPAN‖u1‖ on the sphere.

    converged: the span and the direction's KKT residual ≤ 10·rtol were reached; direction: s_end, the limit's estimate;
    rho_growth: log‖u_end‖ − log‖u1‖; T_star, T_bound: the blow-up time after t1 and its a-priori bound
    ‖u1‖²/(D(D−2)N(u1)) (NaN for D = 2); drop: the largest decrease of N(s) between consecutive steps, relative to G;
    identity: (N(s_end) − N(s1) − ∫‖(I − ssᵀ)∇N(s)‖² dτ)/G, τ the sphere's time (dτ = ‖u‖^{D−2}dt); nfev; message."""

    converged: bool
    direction: np.ndarray
    rho_growth: float
    T_star: float
    T_bound: float
    drop: float
    identity: float
    nfev: int
    message: str


def escape(net: FeedForward, X: torch.Tensor, z: torch.Tensor, u1: torch.Tensor, *, rtol: float, atol: float,
           scale: float) -> Escape:
    """Follow the flow from u1 (N(u1) > 0) until ‖u‖ grew by e^SPAN and the direction's KKT residual is ≤ 10·rtol:
    verify.flow.blow_up for D > 2 (the finite blow-up, in the sphere's time τ), verify.flow.direction_flow with
    verify.flow.integrate for D = 2 (growth as t → ∞; τ = t)."""
    D = net.degree
    kkt_tol = 10 * rtol
    s1 = u1 / u1.norm()
    N1 = float(normalised_ncf(net, s1[None], X, z)[0])
    if D > 2:
        flow = ncf_flow(net, X, z)
        bu = blow_up(flow, u1, rtol=rtol, atol=atol, rho_span=SPAN, kkt_tol=kkt_tol)
        values = normalised_ncf(net, torch.as_tensor(bu.s, dtype=DTYPE), X, z).numpy()
        integral = bu.tau_integral(lambda S, _rho: tangential_speed(net, torch.as_tensor(S, dtype=DTYPE), X, z).numpy(), 0.0)
        return Escape(bu.converged, bu.direction.copy(), float(bu.rho[-1] - bu.rho[0]), bu.T_star, blow_up_time_bound(flow, u1),
                      _drop(values) / scale, (values[-1] - N1 - integral) / scale, bu.nfev, bu.message)
    k = s1.numel()
    rho1 = math.log(float(u1.norm()))

    def residual(y: np.ndarray) -> float:
        s = torch.as_tensor(y[:k], dtype=DTYPE)
        return float(kkt_residual(s, ncf_and_grad(net, (s / s.norm())[None], X, z)[1][0]))

    def done(_t: float, y: np.ndarray) -> float:  # as verify.flow.blow_up: the span first, then the residual
        span = y[k] - rho1 - SPAN
        return span if span < 0 else min(span, math.log(kkt_tol) - math.log(max(residual(y), 1e-300)))

    done.terminal, done.direction = True, 1.0  # type: ignore[attr-defined]
    horizon = 50 * SPAN / (D * N1)  # ρ′ = D·N(s) ≥ D·N(s1) (N(s) non-decreasing): the span needs at most SPAN/(D·N(s1))
    tr = integrate(direction_flow(ncf_flow(net, X, z)), torch.cat([s1, torch.tensor([rho1], dtype=DTYPE)]), horizon, rtol=rtol,
                   atol=atol, events={"done": done}, quadratures={"identity": lambda Y: tangential_speed(net, Y[..., :k], X, z)},
                   max_steps=20_000)
    S = torch.as_tensor(tr.u[:, :k], dtype=DTYPE)
    values = normalised_ncf(net, S, X, z).numpy()
    direction = tr.u[-1, :k] / np.linalg.norm(tr.u[-1, :k])
    converged = len(tr.events["done"]) > 0
    return Escape(converged, direction, float(tr.u[-1, k] - rho1), math.nan, math.nan, _drop(values) / scale,
                  (values[-1] - N1 - float(tr.quad["identity"][-1])) / scale, tr.nfev, tr.message)


def _drop(values: np.ndarray) -> float:
    """The largest decrease between consecutive values (0 for a non-decreasing sequence)."""
    return max(0.0, float(-np.diff(values).min(initial=0.0)))


@dataclass(frozen=True)
class Classification:
    """Definition 2.1 for one escaping start: the certified KKT point ū its limit u* polishes onto (verify.kkt.certify_kkt;
    distance ‖u* − ū‖, NaN when not certified), the certified points kkt_points found (their count and the best value),
    and ū's rank among them by value (0: the best one found; −1: ū is not among them)."""

    distance: float
    value: float
    points: int
    best: float
    rank: int


def classify(net: FeedForward, X: torch.Tensor, z: torch.Tensor, direction: np.ndarray, seed: int) -> Classification:
    """Polish and certify the limit direction and place it among kkt_points' certified points (outputs within SAME)."""
    u = torch.as_tensor(direction, dtype=DTYPE)
    cert = certify_kkt(net, u, X, z, max_residual=1e-9)
    found = kkt_points(net, X, z, restarts=4, steps=400, seed=seed, tol=1e-9, diversify=False, escapes=False, lifts=False)
    values = [p.value for p in found.points]
    if cert is None:
        return Classification(math.nan, math.nan, len(values), max(values, default=math.nan), -1)
    key = net(cert.u, X).flatten()
    rank = next((i for i, p in enumerate(found.points)
                 if float((net(p.u, X).flatten() - key).norm()) <= SAME * max(float(key.norm()), 1e-300)), -1)
    value = float(ncf(net, cert.u, X, z))
    return Classification(float((u - cert.u).norm()), value, len(values), max([*values, value]), rank)


@dataclass(frozen=True)
class Lemma1Measurements:
    """What np.lemma1 measured on one instance (fine tolerance): the degree D, the sign of N(u0) and N(u0), the branch
    (escape, bounded, undecided) and how the phase with N ≤ 0 ended (phase: positive, rest, origin, open; "N(u0) > 0"
    when there was none), t1 (when N turned positive), the escape's growth log(‖u_end‖/‖u1‖), T* and its bound (D > 2,
    original time), the limit's N(u*), KKT residual and distance to its certified KKT point, the certified points found,
    the limit's rank among them by value and the best value found; for a bounded flow ‖u_end‖/‖u0‖, the stationarity
    ‖∇N(u_end)‖/(G‖u0‖^{D−1}) and the balance bound (balance_bound) over ‖u0‖; the largest two-tolerance floor and the
    right-hand-side evaluations of all integrations."""

    degree: int
    start_sign: int
    N0: float
    branch: str
    phase: str
    t_positive: float
    growth: float
    T_star: float
    T_bound: float
    N_star: float
    kkt_residual: float
    certified_distance: float
    kkt_points: int
    kkt_rank: int
    best_value: float
    rest_norm: float
    stationarity: float
    balance_bound: float
    worst_floor: float
    nfev: int


def _witness_bounded() -> tuple[sp.Expr, sp.Expr, sp.Symbol, sp.Expr]:
    """The flow of N(a, w) = a·w² from (a, w) = (−1, 1/2): a(t) = −c·coth(2ct + φ), w(t)² = 2a(t)² − 7/4 with c = √(7/8),
    coth φ = 1/c (w² − 2a² is conserved); returns a(t), w(t)², t and c."""
    t = sp.Symbol("t", nonnegative=True)
    c = sp.sqrt(sp.Rational(7, 8))
    a = -c * sp.coth(2 * c * t + sp.acoth(1 / c))
    return a, 2 * a**2 - sp.Rational(7, 4), t, c


def _witness_escape() -> tuple[sp.Expr, sp.Expr, sp.Symbol]:
    """The flow of N(a, w) = a·w (D = 2) from (a, w) = (1, −1/2), where N(u0) = −1/2 < 0: a = (e^t + 3e^{−t})/4,
    w = (e^t − 3e^{−t})/4."""
    t = sp.Symbol("t", nonnegative=True)
    return (sp.exp(t) + 3 * sp.exp(-t)) / 4, (sp.exp(t) - 3 * sp.exp(-t)) / 4, t


@register
class NCFFlowDichotomy(Checker):
    """np Lemma 1 with Definition 2.1: each NCF flow escapes along a non-negative KKT point or converges, decided per start."""

    id = "np.lemma1"
    title = "NCF flow dichotomy: escape to infinity along a non-negative KKT point, or convergence (stable sets, Def. 2.1)"
    source = "np Lemma 1 and Definition 2.1 (quoting edc Lemma 2; bounded branch as edc Lemma 2 case 2 / P6)"
    statement = (
        "For N(u) = zᵀH(X; u), H D-homogeneous with D ≥ 2, any z and any u0, the flow du/dt = ∇N(u) either escapes — "
        "‖φ(t, u0)‖ → ∞ (at a finite time for D > 2, as t → ∞ for D = 2) and φ/‖φ‖ converges to a non-negative KKT point "
        "u* of max N on the unit sphere (∇N(u*) = λu*, λ = D·N(u*) ≥ 0) — or stays bounded and converges, to 0 or to a "
        "point u* ≠ 0 with N(u*) = 0 and ∇N(u*) = 0 (the printed 'converges to the origin' fails there: a mutant). Along "
        "the flow N(u/‖u‖) is non-decreasing, d/dt N(u/‖u‖) = (‖∇N‖² − (uᵀ∇N)²/‖u‖²)/‖u‖^D. Definition 2.1: an escaping "
        "start lies in the stable set of the certified KKT point its limit is."
    )
    hypotheses_text = (
        "Smooth homogeneous feed-forward nets: depth 2 with σ(x) = max(x, αx)^p, p ∈ {2, 3} (D = 3, 4), hidden width 1–4; "
        "two-layer linear nets (α = 1, p = 1: D = 2), width 1–4; depth 3 with p = 2 (D = 7), widths 1–3; α ∈ {0, 0.1, 0.5, 1, "
        "−0.3}; n 4–10 samples in d 2–4 from the default data families; z Gaussian or structured, except targets that make "
        "N ≡ 0 (alternating labels; for linear nets, z orthogonal to X's columns). Start: a random unit direction (instance "
        "seed) scaled to ‖u0‖ ∈ [0.5, 2], its last layer signed so that N(u0) has the instance's sign (N is linear in W_L); "
        "both signs on depth-2 and linear nets, N(u0) > 0 on depth 3 (measured: depth-3 flows from N(u0) < 0 linger near "
        "zero-NCF critical sets for 10^4–10^7 time units, beyond the budget). N(u0) = 0 leaves the instance undecided."
    )
    method = (
        "Every integration runs at rtol 1e-8 and 1e-10 (atol rtol/100; verify.flow.two_tolerances): values are the fine "
        "run's, error floors their change. Phase with N ≤ 0 (N(u0) < 0): verify.flow.integrate (DOP853) until D·N(u)/‖u‖^D ≥ "
        "0.1·G or N > 0 with ‖u‖ ≥ 10‖u0‖ (N turned positive: escape branch from that time t1), ‖∇N(u)‖ ≤ "
        "1e-9·G‖u‖^{D−1} (at rest) or ‖u‖ ≤ 1e-6‖u0‖ "
        "(bounded branch), else undecided (10^9 time scales ‖u0‖^{2−D}/G or 1500 steps); G is the largest ‖∇N‖ over the "
        "start's direction and 16 random unit vectors (theorems.early_directional.lemma2.sign_phase). Escape from u1 (u0 "
        "when N(u0) > 0): D > 2 verify.flow.blow_up on the sphere, D = 2 the polar flow (direction, log-norm) with "
        "verify.flow.integrate, until log‖u‖ grew by 20 and the direction's KKT residual ≤ 10·rtol. Escape entries: the "
        "growth reached (at the finite T* for D > 2; for D = 2 log‖u‖ then keeps growing at rate ≥ 2N(u1/‖u1‖) > 0), the KKT "
        "residual of u* = the last direction, u*'s distance to the KKT point verify.kkt.certify_kkt polishes it onto, "
        "N(u*) ≥ N(u1/‖u1‖) > 0, λ = ⟨∇N(u*), u*⟩ = D·N(u*). Bounded entries (at rest): ‖u‖ never rose (grid of dense "
        "output), ‖∇N‖/(G‖u0‖^{D−1}) and |N|/(G‖u0‖^D) at the rest point. A flow that falls below 1e-6‖u0‖ is undecided: "
        "going to 0 needs every balance invariant to vanish (a null set of starts), and near 0 the direction still moves "
        "as the norm shrinks, so the threshold does not decide the limit (on balanced one-neuron starts the two tolerances "
        "disagreed: one escaped later). Both branches: the largest drop of "
        "N(u/‖u‖) between consecutive steps (/G), and [L1]'s identity integrated: N(u/‖u‖) at the end minus at the start "
        "against the quadrature of (‖∇N‖² − (uᵀ∇N)²/‖u‖²)/‖u‖^D (phase with N ≤ 0) and of ‖(I − ssᵀ)∇N(s)‖² in the "
        "sphere's time (escape), /G. Definition 2.1 (measurements, fine run): the certified point's rank by value among "
        "the certified points of verify.kkt.kkt_points (4 uniform restarts). The printed bounded branch is decided against the "
        "balance invariants: ‖φ(t)‖ ≥ balance_bound(u) for all t (its drift along the run is its floor). Symbolic "
        "obligations: [L1]'s identity and Euler (λ = D·N) on a polynomial net; the closed-form flows of a·w² from (−1, 1/2) "
        "(bounded, limit (−√(7/8), 0), a critical point with N = 0) and of a·w from (1, −1/2) (N(u0) < 0, escapes along the "
        "KKT point (1, 1)/√2)."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    multiplier = staticmethod(lambda D: D)  # λ = multiplier(D)·N(u*) at the limit
    limit_is_global_max = False  # the mutant: the limit direction is the global maximiser of N on the sphere
    negative_start_vanishes = False  # the mutant: N(u0) < 0 ⇒ φ → 0
    bounded_limit_is_origin = False  # the printed reading: a bounded flow converges to the origin
    mutants = [
        Mutant("limit is the global maximiser", "φ/‖φ‖ converges to the global maximiser of N on the sphere (violation: the "
               "best certified KKT value above N(u*), relative)", limit_is_global_max=True),
        Mutant("N(u0) < 0 ⇒ φ → 0", "a start with N(u0) < 0 flows to the origin (violation 1 − ‖u0‖/‖u_end‖ on a start "
               "that escaped)", negative_start_vanishes=True),
        Mutant("λ = (D−1)·N(u*)", "the limit's multiplier is (D−1)·N(u*) (Euler's degree off by one)",
               multiplier=staticmethod(lambda D: D - 1)),
        Mutant("as printed: bounded ⇒ φ → 0", "np Lemma 1 as printed: a flow that does not escape converges to the origin "
               "(violation: the balance bound on ‖φ(t)‖ for all t, over ‖u0‖, on a flow at rest)", bounded_limit_is_origin=True),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 10), d=(2, 4))
        targets = tuple(k for k in TARGETS if k != "alternating")  # alternating labels cancel on duplicated data: N ≡ 0
        shallow = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=activations(alphas=SLOPES, ps=(2, 3)), targets=targets)
        deep = ncf_problems(data=data, depths=(3,), widths=(1, 3), activation=activations(alphas=SLOPES, ps=(2,)), targets=targets)
        linear = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=st.just(Activation(1.0, 1)),
                              targets=tuple(k for k in targets if k != "orthogonal"))
        signs, radii = st.sampled_from((-1, 1)), st.floats(0.5, 2.0)  # N(u0) < 0 first: the smallest draws exercise both branches
        return st.one_of(st.tuples(shallow, seeds(), signs, radii), st.tuples(linear, seeds(), signs, radii),
                         st.tuples(deep, seeds(), st.just(1), radii))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed, sign, radius = instance
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        D = net.degree
        text = f"{problem}; start seed={seed}, N(u0) {'>' if sign > 0 else '<'} 0, ‖u0‖={radius:.4g}"
        u0 = signed_ncf_start(net, X, z, seed, radius, sign)
        if u0 is None:
            return Evidence.undecided("N(u0) = 0 for both signs of the last layer", instance=text)
        G = gradient_scale(net, X, z, u0, seed)
        N0, r0 = float(ncf(net, u0, X, z)), float(u0.norm())
        phases: dict[float, SignPhase | None] = {}
        escapes: dict[float, Escape | None] = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            ph = None if N0 > 0 else memo(flow_key("sign phase, identity", net, X, z, u0, rtol, atol, G),
                                          lambda: sign_phase(net, X, z, u0, rtol=rtol, atol=atol, scale=G, identity=True))
            phases[rtol] = ph
            u1 = u0 if ph is None else torch.as_tensor(ph.u_end, dtype=DTYPE)
            esc = None
            if ph is None or ph.outcome == "positive":
                esc = memo(flow_key("escape", net, X, z, u1, rtol, atol, G), lambda: escape(net, X, z, u1, rtol=rtol, atol=atol, scale=G))
            escapes[rtol] = esc
            branch = "escape" if esc is not None else "bounded" if ph.outcome in ("rest", "origin") else "undecided"
            a = [BRANCHES.index(branch)]
            # phase with N ≤ 0: the drop of N(u/‖u‖), [L1]'s identity, ‖u‖'s rise, the end point
            if ph is None:
                a += [0.0, 0.0, 0.0, math.nan, math.nan, math.nan, math.nan]
            else:
                a += [_drop(ph.normalised) / G, (ph.normalised[-1] - ph.normalised[0] - ph.monotone) / G, ph.norm_rise,
                      ph.stationarity, abs(ph.N_end) / (G * r0**D), ph.norm_end / r0, balance_bound(net, ph.u_end) / r0]
            if esc is None:
                a += [math.nan] * 8
            else:
                s = torch.as_tensor(esc.direction, dtype=DTYPE)
                N_star, g = ncf_and_grad(net, s[None], X, z)
                a += [esc.rho_growth, esc.T_star, esc.T_bound, float(kkt_residual(s, g[0])), float(N_star[0]), float(g[0] @ s),
                      esc.drop, esc.identity]
            return np.array(a, dtype=np.float64)

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        v, fl, coarse = tt.value, tt.floor, tt.coarse
        fine_rtol = RTOL / 100
        ph, esc = phases[fine_rtol], escapes[fine_rtol]
        branch = BRANCHES[int(v[0])]
        t1 = 0.0 if ph is None else ph.t_end
        nfev = sum(p.nfev for p in phases.values() if p is not None) + sum(e.nfev for e in escapes.values() if e is not None)
        checked: list[Entry] = []
        if int(coarse[0]) != int(v[0]):
            checked.append(Entry(math.nan, math.nan, False, f"the two tolerances end in different branches "
                                                            f"({BRANCHES[int(coarse[0])]}, {branch})"))
        # the proof's monotonicity, on every trajectory: N(u/‖u‖) non-decreasing, and [L1]'s identity integrated
        drops = [(v[1], fl[1])] + ([(v[14], fl[14])] if esc is not None else [])
        checked.append(Entry(max(d for d, _ in drops), max(f for _, f in drops), True,
                             "(proof) N(u/‖u‖) non-decreasing along the flow (largest drop between steps, /G)"))
        if ph is not None:
            checked.append(Entry(abs(v[2]), fl[2], True, f"(proof) [L1] identity on [0, {t1:.6g}]: ΔN(u/‖u‖) = ∫(‖∇N‖² − "
                                                          "(uᵀ∇N)²/‖u‖²)/‖u‖^D dt (/G)"))
        cls = None
        if branch == "escape":
            checked.append(Entry(abs(v[15]), fl[15], True, "(proof) [L1] identity after t1, in the sphere's time: ΔN(s) = "
                                                             "∫‖(I − ssᵀ)∇N(s)‖² dτ (/G)"))
            checked += self._escape_entries(net, X, z, v, fl, esc, ph, escapes[RTOL], N0, r0, t1)
            cls = memo(flow_key("classify", net, X, z, torch.as_tensor(esc.direction), seed),
                       lambda: classify(net, X, z, esc.direction, seed))
            checked += self._classification_entries(cls, v, fl, escapes[RTOL], esc)
        elif branch == "bounded":
            checked += self._bounded_entries(v, fl, ph, phases[RTOL], balance_bound(net, u0) / r0)
        else:
            checked.append(Entry(math.nan, math.nan, False, "(dichotomy) the flow neither turned positive nor came to rest "
                                                            f"within the budget: {ph.message}"))
        m = Lemma1Measurements(
            D, 1 if N0 > 0 else -1, N0, branch, "N(u0) > 0" if ph is None else ph.outcome, t1 if branch == "escape" else math.nan,
            float(v[8]),
            float(t1 + v[9]), float(t1 + v[10]), float(v[12]), float(v[11]), cls.distance if cls else math.nan,
            cls.points if cls else 0, cls.rank if cls else -1, cls.best if cls else math.nan, *(
                (float(v[6]), float(v[4]), float(v[7])) if branch == "bounded" else (math.nan,) * 3),
            max((e.error_floor for e in checked if math.isfinite(e.error_floor)), default=math.nan), nfev)
        note = "" if branch != "escape" or esc.converged else f"the escape did not converge: {esc.message}"
        return Evidence(checked, m, instance=text, note=note)

    def _escape_entries(self, net: FeedForward, X: torch.Tensor, z: torch.Tensor, v: np.ndarray, fl: np.ndarray, esc: Escape,
                        ph: SignPhase | None, esc_coarse: Escape | None, N0: float, r0: float, t1: float) -> list[Entry]:
        """The escape branch: ‖φ‖ → ∞, u* a KKT point with λ = D·N(u*) ≥ N(u1/‖u1‖) > 0."""
        D = net.degree
        converged = esc.converged and esc_coarse is not None and esc_coarse.converged
        growth, T_star, T_bound, res, N_star, lam = v[8:14]
        u1 = torch.as_tensor(ph.u_end, dtype=DTYPE) if ph is not None else None
        N1 = float(normalised_ncf(net, u1[None], X, z)[0]) if u1 is not None else N0 / r0**D
        r1 = float(u1.norm()) if u1 is not None else r0
        out: list[Entry] = []
        if D > 2:
            blew = converged and growth >= SPAN - 1e-9 and math.isfinite(T_star) and T_star <= T_bound * (1 + 1e-12)
            reached = f"‖u‖ grew by e^{growth:.3g} before the finite blow-up time T* = {t1 + T_star:.9g}"
        else:
            blew = converged and growth >= SPAN - 1e-9 and N1 > 0  # N(s(t)) ≥ N(s1) (the monotonicity entry): ρ′ ≥ 2N(s1)
            reached = f"log‖u‖ grew by {growth:.3g} and grows at rate ≥ 2N(u1/‖u1‖) = {2 * N1:.3g} > 0 as t → ∞"
        out.append(Entry(0.0 if blew else math.nan, 0.0, blew, f"(escape) ‖φ‖ → ∞: {reached}"))
        if self.negative_start_vanishes and N0 < 0:
            out.append(Entry(1 - math.exp(math.log(r0 / r1) - growth), 0.0, True, "(mutant) N(u0) < 0 ⇒ φ → 0 (1 − ‖u0‖/‖u_end‖)"))
        out.append(Entry(res, fl[11], converged, "(KKT) residual of u* = lim φ/‖φ‖"))
        out.append(Entry(relative(lam, self.multiplier(D) * N_star), 1e3 * EPS, converged, "(KKT) λ = ⟨∇N(u*), u*⟩ = D·N(u*)"))
        out.append(at_least(N_star, N1, fl[12] / max(N_star, N1), "(KKT) N(u*) ≥ N(u1/‖u1‖) > 0 (a non-negative KKT point)"))
        return out

    def _classification_entries(self, cls: Classification, v: np.ndarray, fl: np.ndarray, esc_coarse: Escape | None,
                                esc: Escape) -> list[Entry]:
        """Definition 2.1: u* is (to its floor) the certified KKT point it polishes onto; the global-maximiser mutant."""
        moved = float(np.linalg.norm(esc.direction - esc_coarse.direction)) if esc_coarse is not None else math.nan
        out = []
        if math.isfinite(cls.distance):
            out.append(Entry(cls.distance, moved, True, f"(Def. 2.1) u* is a certified KKT point: distance to it (rank {cls.rank} "
                                                        f"by value of {cls.points} found)"))
        else:
            out.append(Entry(math.nan, math.nan, False, "(Def. 2.1) u* did not polish onto a certified KKT point"))
        if self.limit_is_global_max:
            N_star = v[12]
            out.append(at_least(N_star, cls.best, (fl[12] + 1e-9 * abs(cls.best)) / max(cls.best, N_star),
                                "(mutant) u* is the global maximiser (best certified value found)"))
        return out

    def _bounded_entries(self, v: np.ndarray, fl: np.ndarray, ph: SignPhase, ph_coarse: SignPhase, balance0: float) -> list[Entry]:
        """The bounded branch: ‖φ‖ never rose, and the flow came to rest at a critical point with N = 0 (or at 0); the
        printed reading (φ → 0) against the balance bound, whose drift from the start is its floor."""
        out = [Entry(v[3], fl[3], True, "(bounded) ‖φ(t)‖ never rises (largest rise on a grid, /‖u0‖)")]
        if ph.outcome == "origin":  # near 0 the direction still moves (as slowly as the norm): a later escape is not excluded
            return out + [Entry(math.nan, math.nan, False, f"(bounded) ‖φ‖ fell below {ORIGIN:g}·‖u0‖ with N ≤ 0: its limit (0, "
                                                           "or an escape after the window) is not decided")]
        settled = ph.outcome == "rest" and ph_coarse.outcome == "rest"
        where = f"u* with ‖u*‖ = {v[6]:.4g}·‖u0‖"
        out += [Entry(v[4], fl[4], settled, f"(bounded) the flow comes to rest at {where}: ‖∇N‖/(G‖u0‖^(D−1))"),
                Entry(v[5], fl[5], settled, f"(bounded) N = 0 at the limit {where}: |N|/(G‖u0‖^D)")]
        if self.bounded_limit_is_origin:
            out.append(Entry(v[7], fl[7] + abs(v[7] - balance0), settled,
                             "(mutant, as printed) φ → 0: but ‖φ(t)‖ ≥ balance bound for all t (/‖u0‖)"))
        return out

    def obligations(self) -> list[Obligation]:
        net, N, D, identity = _symbolic_net()
        out = [Obligation("[L1] identity", "d/dt N(u/‖u‖) = (‖∇N‖² − (uᵀ∇N)²/‖u‖²)/‖u‖^D along du/dt = ∇N, for the net "
                          "(2, 1, 1) with σ(x) = x² (D = 3) on a symbolic input", identity),
               Obligation("Euler at a KKT point", "⟨∇N(u), u⟩ = multiplier(D)·N(u) for every u of the same net, so λ = "
                          "⟨∇N(u*), u*⟩ = D·N(u*) at a KKT point", is_zero(euler_defect(N, net.symbols, self.multiplier(D))))]
        # bounded witness: N(a, w) = a·w² from (−1, 1/2); with q = e^{−2(2ct + φ)} ∈ (0, 1), dq/dt = −4c·q
        c, q = sp.sqrt(sp.Rational(7, 8)), sp.Symbol("q", positive=True)
        a = -c * (1 + q) / (1 - q)
        w2 = 2 * a**2 - sp.Rational(7, 4)
        q0 = (1 - c) / (1 + c)
        solves = (sp.cancel(sp.diff(a, q) * (-4 * c * q) - w2) == 0 and sp.cancel(sp.diff(w2, q) * (-4 * c * q) - 4 * a * w2) == 0
                  and sp.radsimp(a.subs(q, q0) + 1) == 0 and sp.expand(sp.radsimp(w2.subs(q, q0) - sp.Rational(1, 4))) == 0)
        a_lim, w2_lim = a.subs(q, 0), w2.subs(q, 0)  # t → ∞ is q → 0
        if self.bounded_limit_is_origin:
            limit_ok, limit_text = sp.expand(a_lim**2 + w2_lim) == 0, "converges to the origin (as printed)"
        else:
            limit_ok = bool(w2_lim == 0 and sp.expand(a_lim * w2_lim) == 0 and a_lim != 0)
            limit_text = "converges to (a*, 0), a* = −√(7/8) ≠ 0: N = a*·0 = 0 and ∇N = (w², 2aw) = 0 there"
        out.append(Obligation("bounded witness", "the flow of N(a, w) = a·w² from (−1, 1/2) is a(t) = −c·coth(2ct + φ), w² = "
                              f"2a² − 7/4 (c = √(7/8), coth φ = 1/c), keeps N < 0 and {limit_text}", bool(solves and limit_ok)))
        # escape witness: N(a, w) = a·w (D = 2) from (1, −1/2), N(u0) = −1/2; with T = e^t → ∞
        T = sp.Symbol("T", positive=True)
        A, W = (T + 3 / T) / 4, (T - 3 / T) / 4
        solves = sp.cancel(sp.diff(A, T) * T - W) == 0 and sp.cancel(sp.diff(W, T) * T - A) == 0 and A.subs(T, 1) == 1
        direction = sp.limit(A / W, T, sp.oo)  # → 1: the direction (1, 1)/√2, where ∇N = (w, a) = λ·u with λ = 1 = 2·N(u*)
        norm = sp.limit(A**2 + W**2, T, sp.oo)
        if self.negative_start_vanishes:
            limit_ok, limit_text = norm == 0, "‖u‖ → 0 (N(u0) < 0 ⇒ φ → 0)"
        else:
            limit_ok, limit_text = norm == sp.oo and direction == 1, "‖u‖ → ∞ along (1, 1)/√2, a KKT point with λ = 1 = D·N(u*)"
        out.append(Obligation("escape witness", "the flow of N(a, w) = a·w from (1, −1/2) (N(u0) = −1/2 < 0) is a = (e^t + "
                              f"3e^{{−t}})/4, w = (e^t − 3e^{{−t}})/4: {limit_text}", bool(solves and W.subs(T, 1) == sp.Rational(-1, 2)
                                                                                         and limit_ok)))
        return out


@functools.cache
def _symbolic_net() -> tuple[object, sp.Expr, int, bool]:
    """The symbolic net (2, 1, 1) with σ(x) = x² (D = 3), its NCF for z = 1 on one symbolic input, and whether [L1]'s
    identity ∇(N/‖u‖^D)·∇N = (‖∇N‖² − (uᵀ∇N)²/‖u‖²)/‖u‖^D holds exactly (cached: it needs a few hundred ms)."""
    net = symbolic_network((2, 1, 1), 2)
    N, W, D = net.output[0], net.symbols, 3
    S, s = sum(w**2 for w in W), sp.Symbol("S", positive=True)
    g = [sp.diff(N, w) for w in W]
    lhs = sum(sp.diff(N * S ** sp.Rational(-D, 2), w) * gi for w, gi in zip(W, g)).subs(S, s)
    radial = sum(w * gi for w, gi in zip(W, g))
    identity = is_zero(sp.expand(lhs * s ** sp.Rational(D + 2, 2)).subs(s, S) - (S * sum(gi**2 for gi in g) - radial**2))
    return net, N, D, identity
