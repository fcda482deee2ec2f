"""edc Theorem 1: early directional convergence of gradient flow from small initialisation (L > 2).

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small
Initializations", Theorem 1 with the constants of App. B.2 (../shared/spec/early_directional_convergence.md,
edc.theorem1 and claim C14). L is the homogeneity degree p̂ of the network (not its depth).

Statement. Let H be L-homogeneous (L > 2) with locally Lipschitz gradient, w0 a unit vector, and w(t) the gradient
flow of the loss from w(0) = δ·w0. For ε ∈ (0, η/2) there are T_ε, B̃_ε, δ̄ such that for every δ < δ̄

    (i)  ‖w(t)‖ ≤ B̃_ε·δ for t ∈ [0, T_ε/δ^{L−2}];
    (ii) with T̄_ε = T_ε/δ^{L−2}: either (a) ‖w(T̄_ε)‖ ≥ δη/2 and u*ᵀw(T̄_ε)/‖w(T̄_ε)‖ ≥ 1 − (1 + 3/η)ε, u* a
         non-negative KKT point of max −ℓ′(0, y)ᵀH(X; u) on the unit sphere, or (b) ‖w(T̄_ε)‖ ≤ 2δε.

Proof route (App. B.2): s(t) = w(t/δ^{L−2})/δ solves ds/dt = J(s)ᵀ(−ℓ′(δ^L H(s), y)), a perturbation of order δ^L of
the NCF flow du/dt = ∇N(u), N = zᵀH with z = −ℓ′(0, y), so ‖s(t) − u(t)‖ = O(δ^L) on a fixed [0, T] (C14, derived,
not printed: the proof only needs ≤ ε); the constants are those of the u-flow (B̃_ε = sup‖u‖ + ε).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, at_most, fitted_order, order_at_least
from verify.flow import (
    FlowStatus,
    TwoTolerances,
    blow_up,
    integrate_batch,
    loss_flow,
    ncf_flow,
    positive_ncf_start,
    rescaled_start,
    rescaled_training_flow,
    training_start,
    two_tolerances,
)
from verify.nets import DTYPE, Activation, FeedForward
from verify.pursuit import loss_and_grad
from verify.strategies import DEFAULT_FAMILIES, TARGETS, datasets, ncf_problems, seeds
from verify.sweep_tables import OrderColumns, sweep_section

LOSS_SCALE = 1.0  # L(W) = ‖Y − H(X;W)‖²_F (verify.pursuit's loss), so −ℓ′(0, y) = 2Y: the NCF's z
ETA = 1.0  # η of App. B.2 when N(w0) > 0: ‖u(t)‖ is then non-decreasing from 1 (d‖u‖²/dt = 2L·N(u) > 0), η = min(η̃, 1)
EPS_B = 0.1  # case (b): T is the time at which ‖u(T)‖ = ε = EPS_B
SUP_POINTS = 40  # grid times per row for sup‖s‖
MAX_STEPS = 5_000  # per row: under a wrong time scale the horizon is long and w leaves the O(δ) regime
HORIZON_NORM = 4.0  # T: the time at which the NCF flow from w0 reaches ‖u(T)‖ = 4 (before its blow-up T*), far enough
# along that its direction is near the limit u* (so that the alignment bound is not vacuous), early enough that s stays near u


@dataclass(frozen=True)
class EarlyAlignmentMeasurements:
    """What edc.theorem1 measured on one instance: the case, the NCF flow's T* (∞ in case (b)), the horizon T, ε (case (a):
    1 − cos(u(T), u*); case (b): ‖u(T)‖), sup‖u‖ on [0, T]; per δ ‖s(T) − u(T)‖ and its two-tolerance floor, sup‖s‖,
    ‖s(T)‖, cos(s(T), u*), ‖∇L(δw0)‖; the fitted orders with their standard errors and the orders claimed (L for the
    gap, L − 1 for the gradient); the integration cost: accepted + rejected steps per δ row and of the δ = 0 row (fine
    tolerance), and the wall seconds of the batched integrations (both tolerances)."""

    degree: int
    case: str
    T_star: float
    T: float
    eps: float
    sup_u: float
    deltas: tuple[float, ...]
    gap: tuple[float, ...]
    gap_floor: tuple[float, ...]
    sup_s: tuple[float, ...]
    norm_s: tuple[float, ...]
    cos_s: tuple[float, ...]
    grad_norm: tuple[float, ...]
    rate: float
    rate_stderr: float
    rate_claimed: float
    rate_decided: bool
    grad_order: float
    grad_order_stderr: float
    grad_order_claimed: float
    grad_order_decided: bool
    steps: tuple[int, ...]
    ncf_steps: int
    integration_s: float


@dataclass(frozen=True)
class RowSweep:
    """The rows δ = 0 (the NCF flow) and each δ of :func:`sweep_rows`: ``measured`` holds per row s at its horizon then
    sup‖s‖ on the grid (NaN for a row that stopped), at the two tolerances; per row of the fine run its status and its
    accepted + rejected steps (the integration cost per δ); the wall seconds of both runs."""

    measured: TwoTolerances
    status: tuple[FlowStatus, ...]
    steps: tuple[int, ...]
    seconds: float


def sweep_rows(net: FeedForward, X: torch.Tensor, Y: torch.Tensor, w0: torch.Tensor, horizons: np.ndarray,
               deltas: tuple[float, ...], kink_steps: int = 20) -> RowSweep:
    """The loss's gradient flow from δ·w0 rescaled to the NCF's scale (verify.flow.rescaled_training_flow: s(t) =
    w(t/δ^{L−2})/δ), one row per δ after a row δ = 0 (the NCF flow of z = 2·LOSS_SCALE·Y), each run to its own horizon
    (``horizons``: the δ = 0 row's first) in one tensor program (integrate_batch, DOP853) at rtol 1e-9 and 1e-11, with
    sup‖s‖ over a SUP_POINTS-point grid of every row's horizon. ``kink_steps``: integrate_batch's sliding detection
    (kinked nets only; its default)."""
    grid = np.unique(np.concatenate([np.linspace(0.0, h, SUP_POINTS + 1) for h in horizons]))
    flow = rescaled_training_flow(loss_flow(net, X, Y, scale=LOSS_SCALE), ncf_flow(net, X, 2 * LOSS_SCALE * Y))
    rows = rescaled_start(w0, (0.0, *deltas))
    runs: dict[float, tuple[list[FlowStatus], list[int]]] = {}

    def measure(rtol: float, atol: float) -> np.ndarray:
        b = integrate_batch(flow, rows, torch.as_tensor(horizons), rtol=rtol, atol=atol, t_eval=grid, max_steps=MAX_STEPS,
                            kink_steps=kink_steps)
        runs[rtol] = (b.status, (b.steps + b.rejected).tolist())
        out = np.full((len(rows), rows.shape[1]), np.nan)  # per row: s at its horizon, then sup‖s‖ on the grid
        for i, status in enumerate(b.status):
            if status is FlowStatus.SUCCESS:
                out[i, :-1] = b.u_end[i, :-1].numpy()
                out[i, -1] = float(np.nanmax(np.linalg.norm(b.u_eval[i, :, :-1].numpy(), axis=1)))
        return out

    started = time.perf_counter()
    measured = two_tolerances(measure, rtol=1e-9, atol=1e-11)
    status, steps = runs[min(runs)]  # the fine run's
    return RowSweep(measured, tuple(status), tuple(steps), time.perf_counter() - started)


def vanishing_start(X: torch.Tensor, z: torch.Tensor, seed: int) -> torch.Tensor | None:
    """Case (b)'s start for the depth-3 width-1 linear net H = w3·w2·(w1ᵀx), N = w3w2·w1ᵀg with g = Xᵀz: the balanced
    unit start w1 = σ1ĝ/√3, w2 = σ2/√3, w3 = σ3/√3 with random signs, σ1σ2σ3 = −1. The flow stays on that ray with
    u = √3a·(σ1ĝ, σ2, σ3), ȧ = −‖g‖a² (digest: N = c·u1u2u3 from (a, a, −a)), so u(t) → 0. None when g = 0 (to
    rounding: then N ≡ 0)."""
    g = (X.T @ z).reshape(-1)
    if not float(g.norm()) > 1e-8 * float(torch.linalg.matrix_norm(X, 2) * z.norm()):  # Xᵀz = 0 up to rounding
        return None
    rng = np.random.default_rng(seed)
    s1, s2 = rng.choice((-1.0, 1.0), size=2)
    return torch.cat([s1 * g / g.norm(), torch.tensor([s2, -s1 * s2], dtype=DTYPE)]) / math.sqrt(3)


@register
class EarlyDirectionalConvergence(Checker):
    """edc Theorem 1, both branches ((a) N(w0) > 0: the NCF flow blows up; (b) it tends to 0), with the derived rate
    ‖s(T) − u(T)‖ = O(δ^L)."""

    id = "edc.theorem1"
    title = "Early directional convergence from small initialisation: ‖w‖ = O(δ) and alignment with a KKT point"
    source = "edc Theorem 1 (App. B.2 constants; rate: digest C14)"
    statement = (
        "For L-homogeneous H (L > 2), w0 unit and w(t) the loss's gradient flow from δ·w0: for small δ, ‖w(t)‖ ≤ B̃_εδ on "
        "[0, T_ε/δ^{L−2}] and, when N(w0) > 0 (the NCF flow u from w0 blows up, case (a)), ‖w(T̄_ε)‖ ≥ δη/2 and "
        "cos(w(T̄_ε), u*) ≥ 1 − (1 + 3/η)ε with u* the limit direction of u (a non-negative KKT point of the constrained NCF), "
        "B̃_ε = sup‖u‖ + ε; when the NCF flow tends to 0 (case (b)), ‖w(T̄_ε)‖ ≤ 2δε; the proof's s(t) = w(t/δ^{L−2})/δ is "
        "O(δ^L)-close to u(t) on a fixed [0, T] (derived)."
    )

    # -- hypotheses
    hypotheses_text = (
        "Two-layer nets σ(x) = max(x, αx)^p with p ∈ {2, 3}, α ∈ {0, 0.5, 1} (L = p + 1 ∈ {3, 4}, locally Lipschitz "
        "gradient), hidden width 2–5, one output; " + DEFAULT_FAMILIES + " (n 6–20, d 2–4); labels Y from the instance's "
        "target family; loss ‖Y − H‖²_F, so z = −ℓ′(0, y) = 2Y; w0 a random unit vector with its last layer's sign chosen so "
        "that N(w0) > 0 (case (a)). Case (b): the depth-3 width-1 linear net (L = 3) on the same data families, from the "
        "balanced unit start along ±Xᵀz with N(w0) < 0 (vanishing_start), where u(t) → 0 like 1/t; targets with Xᵀz = 0 "
        "(alternating, orthogonal) are left out there. "
        "δ ∈ {0.05, 0.025, 0.0125, 0.00625}."
    )

    def hypotheses(self):
        problems = ncf_problems(data=datasets(n=(6, 20), d=(2, 4)), depths=(2,), widths=(2, 5),
                                activation=st.builds(Activation, st.sampled_from((0.0, 0.5, 1.0)), st.sampled_from((2, 3))))
        chains = ncf_problems(data=datasets(n=(6, 20), d=(2, 4)), depths=(3,), widths=(1, 1),
                              activation=st.just(Activation(1.0, 1)),
                              targets=tuple(t for t in TARGETS if t not in ("alternating", "orthogonal")))  # Xᵀz ≠ 0
        return st.one_of(st.tuples(problems, seeds(), st.just("a")), st.tuples(chains, seeds(), st.just("b")))

    # -- method
    method = (
        "Case (a): the NCF flow u from w0 is integrated on the sphere to its blow-up (verify.flow.blow_up, DOP853 rtol "
        "1e-10): T* and u*, the limit direction (an unconverged limit is undecided); T: the time at which ‖u(T)‖ = 4, "
        "ε = 1 − cos(u(T), u*), η = 1, B̃_ε = sup_{[0,T]}‖u‖ + ε = 4 + ε (‖u‖ increases: d‖u‖²/dt = 2L·N(u) > 0). Case (b): "
        "T is the time at which ‖u(T)‖ = ε = 0.1 on the balanced ray (closed form), B̃_ε = ‖u0‖ + ε = 1 + ε. All δ run as "
        "rows of one tensor program with a row δ = 0, the NCF flow itself (verify.flow.rescaled_training_flow: s(t) = "
        "w(t/δ^{L−2})/δ, ds/dt = −∇L(δs)/δ^{L−1}, exactly the training flow rescaled; verify.flow.integrate_batch, DOP853 "
        "with per-row steps) at rtol 1e-9 and 1e-11; s(T) = w(T̄)/δ, sup‖s‖ over a 40-point grid of [0, T] plus the "
        "steps' ends, and every floor the change between the two tolerances. Entries: (i) sup‖s‖ ≤ B̃_ε; (ii)(a) ‖s(T)‖ ≥ "
        "η/2 and cos(s(T), u*) ≥ 1 − (1 + 3/η)ε, or (ii)(b) ‖s(T)‖ ≤ 2ε; each per δ inside the theorem's regime "
        "(‖s(T) − u(T)‖ ≤ ε/10, the proof's key estimate with room; the others are counted, not decided: δ̄ is not "
        "computable; none in the regime leaves (i)–(ii) undecided); the rate: the log-log slope of "
        "‖s(T) − u(T)‖ over the three smallest δ is at least L (slack 0.15 for the next-order term, plus 3 standard "
        "errors), undecided when a gap is within 30× its floor; ‖∇L(δw0)‖ ~ δ^{L−1}: the slope over the three smallest δ "
        "equals L−1 within 0.05. Symbolic: the rescaling H(δs) = δ^L H(s), J(δs) = δ^{L−1}J(s) turns ds/dt into the NCF "
        "flow plus an O(δ^L) term (sympy, one-neuron net)."
    )
    tolerance = 1e-9
    floor_factor = 1.0
    max_error_floor = 0.2
    # the statement's knobs (a mutant replaces one)
    time_exponent = staticmethod(lambda L: L - 2)  # T̄ = T/δ^{time_exponent(L)}
    alignment_bound = staticmethod(lambda eps, eta: 1 - (1 + 3 / eta) * eps)
    rate_order = staticmethod(lambda L: L)
    deltas = (0.05, 0.025, 0.0125, 0.00625)

    # -- mutants
    mutants = [
        Mutant("time scale δ^{L−1}", "T̄_ε = T_ε/δ^{L−1}: s and u then disagree at O(1)", time_exponent=staticmethod(lambda L: L - 1)),
        Mutant("alignment 1 − ε²", "the bound 1 − (1 + 3/η)ε replaced by 1 − ε²",
               alignment_bound=staticmethod(lambda eps, eta: 1 - eps**2)),
        Mutant("rate O(δ^{L+1})", "‖s(T) − u(T)‖ = O(δ^{L+1})", rate_order=staticmethod(lambda L: L + 1)),
    ]

    # -- claim
    def claim(self, instance, ctx: Context) -> Evidence:
        problem, w0_seed, case = instance
        net, L = problem.net, problem.net.degree
        X, Y = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        z = 2 * LOSS_SCALE * Y
        text = f"{problem}; w0 seed={w0_seed}; case ({case})"
        ncf = ncf_flow(net, X, z)
        if case == "a":
            w0 = positive_ncf_start(net, X, z, w0_seed)  # a random unit w0, its last layer's sign making N(w0) > 0
            if w0 is None:
                return Evidence.undecided("N(w0) = 0: not case (a)", instance=text)
            limit = blow_up(ncf, w0, rtol=1e-10, atol=1e-12)
            if not limit.converged:
                return Evidence.undecided(f"the NCF flow's limit direction did not converge ({limit.message})", instance=text)
            u_star = limit.direction
            T = limit.at_log_norm(math.log(HORIZON_NORM))[2]
            T_star = limit.T_star
            # ‖u‖ increases (d‖u‖²/dt = 2L·N(u), N(u(t)) ≥ N(w0) > 0), so sup_{[0,T]}‖u‖ = ‖u(T)‖ = 4
            sup_u = HORIZON_NORM
        else:
            w0 = vanishing_start(X, z, w0_seed)
            if w0 is None:
                return Evidence.undecided("Xᵀz = 0: the NCF vanishes", instance=text)
            u_star, T_star = None, math.inf
            g = float(torch.linalg.vector_norm(X.T @ z))
            # the flow stays on the balanced ray: u = √3·a·(unit pattern), ȧ = −‖Xᵀz‖a², a(0) = 1/√3; ‖u(T)‖ = ε_b
            T = (math.sqrt(3) / EPS_B - math.sqrt(3)) / g
            sup_u = 1.0  # ‖u‖ decreases (N < 0)
        exponent = self.time_exponent(L)
        deltas = np.asarray(self.deltas)
        horizons = np.concatenate([[T], T * deltas ** ((L - 2) - exponent)])  # s(t) = w(t/δ^{L−2})/δ, read at T/δ^{exponent}
        sweep = sweep_rows(net, X, Y, w0, horizons, tuple(self.deltas))
        measured, steps, seconds = sweep.measured, sweep.steps, sweep.seconds
        u_T = measured.value[0, :-1]
        eps = EPS_B if case == "b" else 1 - float(u_T @ u_star) / float(np.linalg.norm(u_T))
        B = sup_u + eps
        gap, floors, sup_s, norm_s, cos_s, grads = [], [], [], [], [], []
        checked: list[Entry] = []
        for i, delta in enumerate(self.deltas, start=1):
            s_T, s_T_coarse = measured.value[i, :-1], measured.coarse[i, :-1]
            gap.append(float(np.linalg.norm(s_T - u_T)))
            floors.append(abs(gap[-1] - float(np.linalg.norm(s_T_coarse - measured.coarse[0, :-1]))))
            sup_s.append(float(measured.value[i, -1]))
            norm_s.append(float(np.linalg.norm(s_T)))
            cos_s.append(float(s_T @ u_star) / norm_s[-1] if u_star is not None else math.nan)
            grads.append(float(loss_and_grad(net, training_start(w0, delta), X, Y, LOSS_SCALE)[1].norm()))
            if not gap[-1] <= eps / 10:  # outside the regime δ < δ̄ the theorem says nothing (NaN: a run that stopped)
                continue
            floor = float(np.nanmax(measured.floor[i]))
            checked.append(at_most(sup_s[-1], B, floor / B, f"δ={delta:g}: (i) sup‖w‖/δ ≤ B̃_ε = sup‖u‖ + ε"))
            if case == "a":
                checked += [
                    at_least(norm_s[-1], ETA / 2, floor, f"δ={delta:g}: (ii)(a) ‖w(T̄)‖/δ ≥ η/2"),
                    at_least(cos_s[-1], self.alignment_bound(eps, ETA), floor, f"δ={delta:g}: (ii)(a) cos(w(T̄), u*) ≥ 1 − (1+3/η)ε"),
                ]
            else:
                checked.append(at_most(norm_s[-1], 2 * eps, floor, f"δ={delta:g}: (ii)(b) ‖w(T̄)‖/δ ≤ 2ε", scale=eps))
        in_regime = sum(g <= eps / 10 for g in gap)
        if not in_regime:
            checked.append(Entry(math.nan, math.nan, False, f"(i)–(ii): no δ in the regime ‖s(T) − u(T)‖ ≤ ε/10 = {eps / 10:.3g}"))
        smallest = sorted(range(len(self.deltas)), key=lambda i: self.deltas[i])[:3]
        rate = fitted_order([self.deltas[i] for i in smallest], [gap[i] for i in smallest])
        resolved = all(gap[i] > 30 * floors[i] for i in smallest)
        rate_entry = order_at_least(rate, self.rate_order(L), 0.15, "‖s(T) − u(T)‖ = O(δ^L): fitted order over the 3 smallest δ")
        checked.append(rate_entry if resolved else Entry(math.nan, math.nan, False, rate_entry.label + ": a gap within 30× its floor"))
        grad_order = fitted_order([self.deltas[i] for i in smallest], [grads[i] for i in smallest])
        checked.append(Entry(abs(grad_order.slope - (L - 1)) / (L - 1), 0.05 / (L - 1), math.isfinite(grad_order.slope),
                             "‖∇L(δw0)‖ ~ δ^{L−1}: fitted order over the 3 smallest δ"))
        m = EarlyAlignmentMeasurements(int(L), case, T_star, T, eps, sup_u, tuple(self.deltas), tuple(gap), tuple(floors),
                                       tuple(sup_s), tuple(norm_s), tuple(cos_s), tuple(grads), rate.slope, rate.stderr,
                                       float(self.rate_order(L)), resolved, grad_order.slope, grad_order.stderr, float(L - 1),
                                       math.isfinite(grad_order.slope),
                                       tuple(steps[1:]), steps[0], seconds)
        return Evidence(checked, m, instance=text, note=f"T = {T:.4g}, ε = {eps:.3g}; {in_regime}/{len(gap)} δ in the regime")

    # -- report: formats the records only
    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        orders = [OrderColumns("‖s(T) − u(T)‖ (3 smallest δ)", "rate", "rate_stderr", "rate_claimed", "rate_decided"),
                  OrderColumns("‖∇L(δw0)‖ (3 smallest δ)", "grad_order", "grad_order_stderr", "grad_order_claimed",
                               "grad_order_decided", "=")]
        return sweep_section(result.records, orders), []

    # -- obligations
    def obligations(self) -> list[Obligation]:
        """ds/dt for s(t) = w(t/δ^k)/δ with dw/dt = 2J(w)ᵀ(Y − H(w)), on a one-neuron net h(w) = b·max(a·x, 0)^p
        (x > 0, a > 0 branch): equals 2J(s)ᵀY − 2δ^L J(s)ᵀH(s) exactly when k = L − 2 (the NCF flow plus O(δ^L))."""
        a, b, x, y, d = sp.symbols("a b x y delta", positive=True)
        out = []
        for p in (2, 3):
            L = p + 1
            k = self.time_exponent(L)

            def H(a_, b_):
                return b_ * (a_ * x) ** p

            # dw/dt = 2(Y − H(w))·∂H/∂w; with s = w/δ, ds/dt = δ^{−1−k}·(that at w = δs)
            drift = [2 * (y - H(a, b)) * sp.diff(H(a, b), v) for v in (a, b)]
            s_drift = [sp.simplify(d ** (-1 - k) * f.subs({a: d * a, b: d * b}, simultaneous=True)) for f in drift]
            ncf_part = [2 * y * sp.diff(H(a, b), v) for v in (a, b)]
            correction = [-2 * d**L * H(a, b) * sp.diff(H(a, b), v) for v in (a, b)]
            holds = all(sp.simplify(sd - n - c) == 0 for sd, n, c in zip(s_drift, ncf_part, correction))
            out.append(Obligation(f"p={p} (L={L})", f"ds/dt = 2J(s)ᵀY − 2δ^{L}J(s)ᵀH(s) with time scale δ^{k}", holds,
                                  "exact" if holds else "the rescaled flow is not the NCF flow plus O(δ^L)"))
        return out
