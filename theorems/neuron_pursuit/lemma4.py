"""np Lemma 4: after escaping the origin, gradient flow follows the limiting path p(t) and comes ε-close to its saddle p*.

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 4, quoted from Kumar & Haupt 2025b
(../shared/spec/neuron_pursuit.md, [L4], §1.3–1.5; errata 6.3: the time shifts use the homogeneity degree D, not the
depth L). Code: theorems/neuron_pursuit/escape_path.py (the shared numerics).

Statement (corrected reading). Let H be D-homogeneous, D ≥ 2, ψ(t, w) the gradient flow of ½‖H(X; w) − y‖² from w,
N(u) = yᵀH(X; u), and w0 ∈ S(w*; N) with w* a second-order positive KKT point of max_{‖u‖=1} N(u). For every T̃ and all
small δ > 0,

    (8)  ‖ψ(t + T_δ, δw0) − p(t)‖ = O(δ^β) for t ∈ [−T̃, T̃], some β > 0 and some function T_δ, where
         p(t) = lim_{δ→0} ψ(t + T_esc(δ), δw*),  T_esc(δ) = ln(1/δ)/(2N(w*)) (D = 2),  δ^{2−D}/(D(D−2)N(w*)) (D > 2);
    (9)  p* = lim_{t→∞} p(t) is a saddle (stationary) point of the loss, and for every ε > 0 there is T_ε with
         ‖ψ(T_ε + T_δ, δw0) − p*‖ ≤ ε for all small δ.

The printed version writes the depth L in T_esc; for a two-layer net with σ = x² (D = 3, L = 2) its p is the zero path
(the flow from δ'w* has not left the origin after ln(1/δ')/(2N)): shipped as the mutant "depth L in T_esc".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.neuron_pursuit.escape_path import (
    P_DELTAS,
    RHO_WINDOW,
    STATIONARY,
    EscapeDirection,
    Tracking,
    escape_direction,
    escape_start,
    escape_time,
    permuted_kkt,
    proof_shift,
    track,
)
from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import FittedOrder, at_most, fitted_order, order_at_least
from verify.nets import DTYPE, FeedForward
from verify.strategies import datasets, ncf_problems, seeds
from verify.symbolic import is_zero

BETA_MIN = 0.2  # "β > 0" is decided as: the fitted order is at least 0.2, with slack SLACK and 3 standard errors
SLACK = 0.1  # next-order terms over δ ∈ [0.002, 0.016]
RESOLVED = 10.0  # a gap enters the fit when it is above this many floors (at least 3 of the 4 δ)
P_AGREE = 1e-3  # p exists: its rows δ' agree to this × max(‖p*‖, ρ_a) over the window
RAY = math.log(2.0)  # p leaves the origin along w*: |ln(‖p(−T_a)‖/ρ_a)| ≤ ln 2
SAME_LIMIT = 0.1  # the polished p* is p's limit: within this × ε of p's last point


@dataclass(frozen=True)
class EscapeMeasurements:
    """What np.lemma4 (and np.lemma5) measured on one instance: degree D, N(w*), the proof's offset (T*(w0) or κ), the
    window (T_a, T_b = T_ε), ε; p's floor (δ' change) and ‖p(−T_a)‖; per δ the sup-gap to p, its floor, ‖ψ(T_ε + T_δ) −
    p*‖; the fitted β ± stderr; ‖∇L(p*)‖ and its scale; the cost: accepted steps per row (δ rows, then p rows) and the
    seconds of the fine batches of the δ rows (both stages) and of the p rows and of the long p run, and the first per δ;
    zero-block sups and their order (np.lemma5)."""

    degree: int
    N_star: float
    offset: float
    window: tuple[float, float]
    eps: float
    p_floor: float
    p_start_norm: float
    deltas: tuple[float, ...]
    gaps: tuple[float, ...]
    gap_floors: tuple[float, ...]
    end_distances: tuple[float, ...]
    beta: float
    beta_stderr: float
    grad_star: float
    grad_scale: float
    steps: tuple[int, ...]
    seconds: tuple[float, ...]
    seconds_per_delta: float
    zero_sups: tuple[float, ...] = ()
    zero_order: float = math.nan
    zero_stderr: float = math.nan


@dataclass(frozen=True)
class EscapeRun:
    """One instance's net, escape direction, tracked rows and p, and the KKT point p was built from."""

    net: FeedForward
    direction: EscapeDirection
    tracking: Tracking
    limit: torch.Tensor


@register
class EscapeTracking(Checker):
    """np Lemma 4: ψ(t + T_δ, δw0) = p(t) + O(δ^β) on a window, and ψ(T_ε + T_δ, δw0) is ε-close to the saddle p*."""

    id = "np.lemma4"
    title = "After escaping the origin the flow tracks the limiting path p(t) to O(δ^β) and comes ε-close to its saddle"
    source = "np Lemma 4 (from Kumar & Haupt 2025b; digest [L4], §1.3–1.5, errata 6.3)"
    statement = (
        "For D-homogeneous H (D ≥ 2) and w0 in the stable set of a second-order positive KKT point w* of the constrained NCF "
        "N = yᵀH: ‖ψ(t + T_δ, δw0) − p(t)‖ = O(δ^β) on [−T̃, T̃] (β > 0, T_δ a function of δ), p(t) = lim_{δ→0} ψ(t + "
        "T_esc(δ), δw*), T_esc = ln(1/δ)/(2N(w*)) (D = 2) or δ^{2−D}/(D(D−2)N(w*)) (D > 2); p* = lim p(t) is a stationary "
        "point of the loss and ‖ψ(T_ε + T_δ, δw0) − p*‖ ≤ ε for small δ."
    )
    hypotheses_text = (
        "Two-layer nets with one output, hidden width 2–3, d = 2: D = 2 the linear net; D = 3 σ = max(x, αx)², α ∈ {0, 0.5} "
        "(w0's outgoing signs make every neuron's NCF term positive, so w* keeps one neuron and the others are exactly "
        "zero); Gaussian or sphere data, n 6–10; y from the teacher or Gaussian targets; w0 from the seed "
        "(escape_path.escape_start); ε = f·‖p*‖, f ∈ [0.1, 0.3]. δ ∈ {0.016, 0.008, 0.004, 0.002}; p from δ' ∈ "
        f"{P_DELTAS}."
    )
    method = (
        "w*: D > 2 the NCF flow's limit direction (verify.flow.blow_up, rtol 1e-10, until log‖u‖ grew by 40 and the "
        "direction's KKT residual ≤ 1e-8, at most τ = 200/(D·N(w0)), with T*(w0)), D = 2 the normalised "
        "projection of w0 on the top eigenspace of the NCF's (constant) Hessian (with κ, its norm); certified a positive "
        "KKT point (verify.kkt.certify_kkt) and second order (verify.kkt.ascent_directions empty at 1e-7λ). T_δ is the "
        "proof's: T*(w0)δ^{2−D} (D > 2), T_esc(κδ) (D = 2). The rows δw0 in one batch per stage, p's rows δ'w* in another, "
        "at rtol 1e-8 and 1e-10 (escape_path.track): to the window's start −T_a = −T_esc(ρ_a), ρ_a = 0.1, then over [−T_a, T_ε] on 33 "
        "grid times. p* polished from p's long run (Newton on the support), T_ε the first time ‖p − p*‖ ≤ ε/2. An instance whose w* is not "
        "certified, or not second order, is undecided (the hypotheses). Entries: p exists (its δ' rows agree to "
        "1e-3·max(‖p*‖, ρ_a)) and leaves the origin along the ray (|ln(‖p(−T_a)‖/ρ_a)| ≤ ln 2); "
        "(8) the fitted order β of sup_window‖ψ(t + T_δ) − p(t)‖ in δ is ≥ "
        f"{BETA_MIN} (slack {SLACK} + 3 standard errors; fitted over the δ whose gap is above 10× its floor — the two-"
        "tolerance change plus p's floor —, at least 3); (9) ‖∇L(p*)‖ ≤ 1e-11·‖y‖max(1, ‖J(p*)‖) (certified stationary), "
        "p* within 0.1ε of p's last point (undecided when p's long run had not settled and the polish moved it farther), "
        "p(t) within ε/2 of p* at T_ε. ‖ψ(T_ε + T_δ, δw0) − p*‖ (reported per δ) is at most the sup-gap of (8) plus ε/2: "
        "given (8) and T_ε it is not decided again. Cost per δ (in the measurements and the note): the fine batches of the "
        "δ rows (both stages) over the number of δ, and the accepted steps of every row."
    )
    tolerance = 1e-9
    floor_factor = 1.0
    max_error_floor = 2.0  # a fitted order's floor is (slack + 3 standard errors)/claimed: 2 admits a standard error up to 0.1 at β = 0.2

    # the statement's knobs (each mutant replaces one)
    shift_kind = "proof"  # T_δ: the proof's ("proof") or none beyond the printed T_esc(δ) ("none")
    limit_kind = "limit"  # p is built from w* ("limit") or from another KKT point of the same value ("permuted")
    beta_claim = BETA_MIN  # the order claimed in (8)
    escape_degree = staticmethod(lambda net: net.degree)  # the exponent in T_esc (errata 6.3: the degree)
    mutants = [
        Mutant("no time shift", "T_δ = T_esc(δ): the flow from δw0 read at the printed escape time of δw*, with no shift "
               "for w0 ≠ w*", shift_kind="none"),
        Mutant("β = 2", "the tracking gap is O(δ²)", beta_claim=2.0),
        Mutant("another KKT point", "p built from w* with two hidden neurons swapped (a KKT point of the same value, not "
               "the stable set's)", limit_kind="permuted"),
        Mutant("depth L in T_esc", "the printed escape time with the depth L for the degree D (errata 6.3)",
               escape_degree=staticmethod(lambda net: net.depth)),
    ]

    def hypotheses(self):
        data = datasets(kinds=("gaussian", "sphere"), n=(6, 10), d=(2, 2))
        linear = ncf_problems(data=data, depths=(2,), widths=(2, 3), activation=st.just(Activation(1.0, 1)),
                              targets=("teacher", "gaussian"))
        squared = ncf_problems(data=data, depths=(2,), widths=(2, 3),
                               activation=st.builds(Activation, st.sampled_from((0.0, 0.5)), st.just(2)),
                               targets=("teacher", "gaussian"))
        return st.tuples(st.one_of(squared, linear), seeds(), st.floats(0.1, 0.3))

    # -- the run
    def _run(self, instance) -> EscapeRun | str:
        problem, seed, f = instance
        net: FeedForward = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        y = torch.as_tensor(problem.z, dtype=DTYPE).reshape(-1)
        w0 = escape_start(net, X, y, seed)
        if w0 is None:
            return "N(w0) = 0 (or a neuron's NCF term is 0): no escape direction"
        direction = escape_direction(net, X, y, w0)
        if isinstance(direction, str):
            return direction
        if not direction.certified:  # the hypotheses are not met (or not shown): the instance says nothing
            return "the NCF flow's limit w* could not be certified a positive KKT point"
        if not direction.second_order:
            return "w* is a KKT point but not second order (a tangent direction of positive curvature)"
        limit = direction.w_star
        if self.limit_kind == "permuted":
            limit = permuted_kkt(net, direction.w_star)
            if limit is None:
                return "no hidden-neuron transposition moves w*"
        D_esc = self.escape_degree(net)

        def escape(d: float) -> float:
            return escape_time(d, D_esc, direction.N_star)

        def shift(d: float) -> float:
            return escape(d) if self.shift_kind == "none" else proof_shift(direction, d)

        tracking = track(net, X, y, w0, limit, shift, escape, f)
        if isinstance(tracking, str):
            return tracking
        return EscapeRun(net, direction, tracking, limit)

    # -- claim
    def claim(self, instance, ctx: Context) -> Evidence:
        text = f"{instance[0]}; seed={instance[1]}; f={instance[2]:.3g}"
        run = self._run(instance)
        if isinstance(run, str):
            return Evidence.undecided(run, instance=text)
        checked, m = self.tracking_entries(run)
        return Evidence(checked, m, instance=text, note=self.note(run, m))

    def tracking_entries(self, run: EscapeRun) -> tuple[list[Entry], EscapeMeasurements]:
        """The entries of (8)–(9) and the hypotheses on w*, and the measurements."""
        d, tr = run.direction, run.tracking
        checked: list[Entry] = []
        p = tr.p[-1]  # the finest δ'
        p_norm = max(float(np.linalg.norm(tr.p_star)), RHO_WINDOW)
        p_change = float(np.abs(tr.p[0] - p).max())  # the change between the two δ'
        tol_change = float(np.abs(p - tr.p_coarse[-1]).max())  # between the two tolerances
        p_floor = p_change + tol_change
        checked.append(at_most(p_change / p_norm, P_AGREE, tol_change / p_norm / P_AGREE,
                               f"p exists: its rows δ' = {P_DELTAS} agree over the window", scale=P_AGREE))
        p_start = float(np.linalg.norm(p[0]))
        checked.append(at_most(abs(math.log(max(p_start, 1e-300) / RHO_WINDOW)), RAY, 0.0,
                               "p leaves the origin along w*: ‖p(−T_a)‖ = ρ_a within a factor 2", scale=RAY))

        # (8): the sup-gap over the window per δ, and its fitted order
        gaps, floors = [], []
        for i in range(len(tr.deltas)):
            g_f = float(np.linalg.norm(tr.psi[i] - p, axis=1).max())
            g_c = float(np.linalg.norm(tr.psi_coarse[i] - tr.p_coarse[-1], axis=1).max())
            gaps.append(g_f)
            floors.append(abs(g_f - g_c) + p_floor)
        resolved = [i for i in range(len(gaps)) if math.isfinite(gaps[i]) and gaps[i] > RESOLVED * floors[i]]
        fit = FittedOrder(math.nan, math.inf, 0)
        label = f"(8) sup_window ‖ψ(t + T_δ, δw0) − p(t)‖ = O(δ^β): fitted order ≥ {self.beta_claim:g}"
        if tr.finished and len(resolved) >= 3:
            fit = fitted_order([tr.deltas[i] for i in resolved], [gaps[i] for i in resolved])
            checked.append(order_at_least(fit, self.beta_claim, SLACK, label + f" ({len(resolved)} resolved δ)"))
        else:
            checked.append(Entry(math.nan, math.nan, False, label + ": fewer than 3 gaps above 10× their floors"))

        # (9): p* certified stationary and p's limit; ψ ε-close to it at T_ε + T_δ for the δ in the regime
        checked.append(at_most(tr.grad_star, STATIONARY * tr.grad_scale, 0.0, "(9) p* is a stationary point: ‖∇L(p*)‖ ≤ "
                               f"{STATIONARY:g}·‖y‖max(1, ‖J(p*)‖)", scale=STATIONARY * tr.grad_scale))
        label = "(9) p* is p's limit (the polish moved p's last point by ≤ 0.1ε)"
        near = tr.polish_distance <= SAME_LIMIT * tr.eps
        if tr.settled or near:  # a far polish of a p still moving says nothing about p's limit: undecided
            checked.append(at_most(tr.polish_distance, SAME_LIMIT * tr.eps, 0.0, label, scale=SAME_LIMIT * tr.eps))
        else:
            checked.append(Entry(math.nan, math.nan, False, label + ": p's long run did not settle (‖∇L‖ above 1e-6 of its "
                                 "scale)"))
        checked.append(Entry(0.0 if tr.reached else math.nan, 0.0 if tr.reached else math.nan, tr.reached,
                             "(9) p(t) comes within ε/2 of p* (T_ε exists)"))
        # ‖ψ(T_ε + T_δ) − p*‖ ≤ sup-gap + ‖p(T_ε) − p*‖ ≤ sup-gap + ε/2: given (8) and T_ε it adds nothing to decide
        ends = [float(np.linalg.norm(tr.psi[i, -1] - tr.p_star)) for i in range(len(tr.deltas))]
        seconds = tr.seconds
        m = EscapeMeasurements(d.degree, d.N_star, d.offset, tr.window, tr.eps, p_floor, p_start, tr.deltas, tuple(gaps),
                               tuple(floors), tuple(ends), fit.slope, fit.stderr, tr.grad_star, tr.grad_scale, tr.steps,
                               seconds, seconds[0] / len(tr.deltas))
        return checked, m

    def note(self, run: EscapeRun, m: EscapeMeasurements) -> str:
        return (f"D = {m.degree}, N(w*) = {m.N_star:.4g}, window [−{m.window[0]:.3g}, {m.window[1]:.3g}], ε = {m.eps:.3g}; "
                f"β = {m.beta:.3f} ± {m.beta_stderr:.3f}; gaps {', '.join(f'{g:.3g}' for g in m.gaps)}; "
                f"{m.seconds_per_delta:.3g} s per δ row (steps {m.steps})")

    # -- obligations
    def obligations(self) -> list[Obligation]:
        """The printed shift makes the ray's escape independent of δ: along w* the NCF flow is ρ̇ = D·N(w*)ρ^{D−1}, and
        from ρ(0) = δ, at time t + T_esc(δ), ρ = e^{2N t} (D = 2) or ρ^{2−D} = −D(D−2)N·t (D > 2): p(t) ≈ ρ(t)w* as
        t → −∞ for every δ (one-neuron nets σ = x^p, D = p + 1, depth 2)."""
        import sympy as sp

        d, N, t = sp.symbols("delta N t", positive=True)
        out = []
        for p in (1, 2, 3):
            net = FeedForward((1, 1, 1), Activation(1.0, p))
            D, De = net.degree, self.escape_degree(net)
            T = sp.log(1 / d) / (2 * N) if De == 2 else d ** (2 - De) / (De * (De - 2) * N)
            if D == 2:
                lhs, rhs = d * sp.exp(2 * N * (t + T)), sp.exp(2 * N * t)  # ρ = δe^{2Nτ}
            else:
                lhs, rhs = d ** (2 - D) - D * (D - 2) * N * (t + T), -D * (D - 2) * N * t  # ρ^{2−D} = δ^{2−D} − D(D−2)Nτ
            holds = is_zero(sp.simplify(sp.expand_log(lhs - rhs, force=True)))
            out.append(Obligation(f"p={p} (D={D})", "the ray flow from δw*, read at t + T_esc(δ), does not depend on δ", holds,
                                  "exact" if holds else f"depends on δ: {sp.simplify(lhs - rhs)}"))
        return out
