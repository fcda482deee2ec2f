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
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import FittedOrder, at_least, at_most, fitted_order, order_at_least
from verify.flow import FlowStatus, blow_up, integrate, loss_flow, ncf_flow, positive_ncf_start, training_start, two_tolerances
from verify.nets import DTYPE, Activation
from verify.pursuit import loss_and_grad
from verify.strategies import DEFAULT_FAMILIES, datasets, ncf_problems, seeds

LOSS_SCALE = 1.0  # L(W) = ‖Y − H(X;W)‖²_F (verify.pursuit's loss), so −ℓ′(0, y) = 2Y: the NCF's z
ETA = 1.0  # η of App. B.2 when N(w0) > 0: ‖u(t)‖ is then non-decreasing from 1 (d‖u‖²/dt = 2L·N(u) > 0), η = min(η̃, 1)
HORIZON_NORM = 4.0  # T: the time at which the NCF flow from w0 reaches ‖u(T)‖ = 4 (before its blow-up T*), far enough
# along that its direction is near the limit u* (so that the alignment bound is not vacuous), early enough that s stays near u


@dataclass(frozen=True)
class EarlyAlignmentMeasurements:
    """What edc.theorem1 measured on one instance: the NCF flow's T*, ε = 1 − cos(u(T), u*), sup‖u‖ on [0, T]; per δ
    ‖s(T) − u(T)‖ and its two-tolerance floor, sup‖s‖, ‖s(T)‖, cos(s(T), u*), ‖∇L(δw0)‖; the fitted orders."""

    degree: int
    T_star: float
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
    grad_order: float


@register
class EarlyDirectionalConvergence(Checker):
    """edc Theorem 1, branch (a) (N(w0) > 0: the NCF flow blows up), with the derived rate ‖s(T) − u(T)‖ = O(δ^L)."""

    id = "edc.theorem1"
    title = "Early directional convergence from small initialisation: ‖w‖ = O(δ) and alignment with a KKT point"
    source = "edc Theorem 1 (App. B.2 constants; rate: digest C14)"
    statement = (
        "For L-homogeneous H (L > 2), w0 unit and w(t) the loss's gradient flow from δ·w0: for small δ, ‖w(t)‖ ≤ B̃_εδ on "
        "[0, T_ε/δ^{L−2}] and, when N(w0) > 0 (the NCF flow u from w0 blows up, case (a)), ‖w(T̄_ε)‖ ≥ δη/2 and "
        "cos(w(T̄_ε), u*) ≥ 1 − (1 + 3/η)ε with u* the limit direction of u (a non-negative KKT point of the constrained NCF), "
        "B̃_ε = sup‖u‖ + ε; the proof's s(t) = w(t/δ^{L−2})/δ is O(δ^L)-close to u(t) on a fixed [0, T] (derived)."
    )

    # -- hypotheses
    hypotheses_text = (
        "Two-layer nets σ(x) = max(x, αx)^p with p ∈ {2, 3}, α ∈ {0, 0.5, 1} (L = p + 1 ∈ {3, 4}, locally Lipschitz "
        "gradient), hidden width 2–5, one output; " + DEFAULT_FAMILIES + " (n 6–20, d 2–4); labels Y from the instance's "
        "target family; loss ‖Y − H‖²_F, so z = −ℓ′(0, y) = 2Y; w0 a random unit vector with its last layer's sign chosen so "
        "that N(w0) > 0 (case (a)). δ ∈ {0.05, 0.025, 0.0125}."
    )

    def hypotheses(self):
        problems = ncf_problems(data=datasets(n=(6, 20), d=(2, 4)), depths=(2,), widths=(2, 5),
                                activation=st.builds(Activation, st.sampled_from((0.0, 0.5, 1.0)), st.sampled_from((2, 3))))
        return st.tuples(problems, seeds())

    # -- method
    method = (
        "The NCF flow u from w0 is integrated on the sphere to its blow-up (verify.flow.blow_up, DOP853 rtol 1e-10): T* and "
        "u*, the limit direction (an unconverged limit is undecided). T: the time at which ‖u(T)‖ = 4 and u(T) from the same "
        "integration's dense output, ε = 1 − cos(u(T), u*), η = 1, B̃_ε = sup_{[0,T]}‖u‖ + ε = 4 + ε (‖u‖ increases: "
        "d‖u‖²/dt = 2L·N(u) > 0). For each δ the loss's gradient flow is integrated from δw0 on [0, T/δ^{L−2}] "
        "(verify.flow.integrate on verify.flow.loss_flow: the training dynamics themselves, not the rescaled ODE) at rtol "
        "1e-9 and 1e-11; s(T) = w(T/δ^{L−2})/δ, sup‖s‖ over the accepted steps, and the floor of ‖s(T) − u(T)‖ is the "
        "change between the two tolerances. Entries: (i) sup‖s‖ ≤ B̃_ε, (ii)(a) ‖s(T)‖ ≥ η/2 and cos(s(T), u*) ≥ "
        "1 − (1 + 3/η)ε, each per δ for the δ inside the theorem's regime (‖s(T) − u(T)‖ ≤ ε/10, the proof's key estimate "
        "with room; the others are counted, not decided: δ̄ is not computable); the rate: the log-log slope of "
        "‖s(T) − u(T)‖ over the three δ is at least L (slack 0.15 for the next-order term, plus 3 standard errors), "
        "undecided when a gap is within 30× its floor; ‖∇L(δw0)‖ ~ δ^{L−1}: the slope over the three δ equals L−1 "
        "within 0.05. Symbolic: the rescaling H(δs) = δ^L H(s), J(δs) = δ^{L−1}J(s) turns ds/dt into the NCF flow plus "
        "an O(δ^L) term (sympy, one-neuron net)."
    )
    tolerance = 1e-9
    floor_factor = 1.0
    max_error_floor = 0.2
    # the statement's knobs (a mutant replaces one)
    time_exponent = staticmethod(lambda L: L - 2)  # T̄ = T/δ^{time_exponent(L)}
    alignment_bound = staticmethod(lambda eps, eta: 1 - (1 + 3 / eta) * eps)
    rate_order = staticmethod(lambda L: L)
    deltas = (0.05, 0.025, 0.0125)

    # -- mutants
    mutants = [
        Mutant("time scale δ^{L−1}", "T̄_ε = T_ε/δ^{L−1}: s and u then disagree at O(1)", time_exponent=staticmethod(lambda L: L - 1)),
        Mutant("alignment 1 − ε²", "the bound 1 − (1 + 3/η)ε replaced by 1 − ε²",
               alignment_bound=staticmethod(lambda eps, eta: 1 - eps**2)),
        Mutant("rate O(δ^{L+1})", "‖s(T) − u(T)‖ = O(δ^{L+1})", rate_order=staticmethod(lambda L: L + 1)),
    ]

    # -- claim
    def claim(self, instance, ctx: Context) -> Evidence:
        problem, w0_seed = instance
        net, L = problem.net, problem.net.degree
        X, Y = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
        text = f"{problem}; w0 seed={w0_seed}"
        ncf = ncf_flow(net, X, 2 * LOSS_SCALE * Y)
        w0 = positive_ncf_start(net, X, 2 * LOSS_SCALE * Y, w0_seed)  # a random unit w0, its last layer's sign making N(w0) > 0
        if w0 is None:
            return Evidence.undecided("N(w0) = 0: not case (a)", instance=text)

        limit = blow_up(ncf, w0, rtol=1e-10, atol=1e-12)
        if not limit.converged:
            return Evidence.undecided(f"the NCF flow's limit direction did not converge ({limit.message})", instance=text)
        u_star = torch.as_tensor(limit.direction, dtype=DTYPE)
        _, direction_T, T = limit.at_log_norm(math.log(HORIZON_NORM))
        u_T = HORIZON_NORM * torch.as_tensor(direction_T, dtype=DTYPE)  # the blow-up's dense output at ‖u‖ = 4
        eps = 1 - float(u_T @ u_star / u_T.norm())
        # ‖u‖ increases along the flow (d‖u‖²/dt = 2L·N(u) and N(u(t)) ≥ N(w0) > 0 on an ascent flow), so sup_{[0,T]}‖u‖ = ‖u(T)‖
        sup_u = HORIZON_NORM
        B = sup_u + eps

        loss = loss_flow(net, X, Y, scale=LOSS_SCALE)
        rows = []
        for delta in self.deltas:
            horizon = T / delta ** self.time_exponent(L)

            def measure(rtol: float, atol: float, delta: float = delta, horizon: float = horizon) -> np.ndarray:
                # a step budget: under a wrong time scale the horizon is long and w leaves the O(δ) regime
                path = integrate(loss, training_start(w0, delta), horizon, rtol=rtol, atol=atol * delta, max_steps=20_000)
                if path.status is not FlowStatus.SUCCESS:
                    return np.full(4, np.nan)
                s_T = path.u[-1] / delta
                return np.array([np.linalg.norm(s_T - u_T.numpy()), np.linalg.norm(path.u, axis=1).max() / delta,
                                 np.linalg.norm(s_T), float(s_T @ u_star.numpy() / np.linalg.norm(s_T))])

            measured = two_tolerances(measure, rtol=1e-9, atol=1e-11)
            grad = float(loss_and_grad(net, training_start(w0, delta), X, Y, LOSS_SCALE)[1].norm())
            rows.append((delta, measured, grad))

        checked: list[Entry] = []
        gap = [float(m.value[0]) for _, m, _ in rows]
        floors = [float(m.floor[0]) for _, m, _ in rows]
        for (delta, m, _), g in zip(rows, gap):
            if not g <= eps / 10:  # outside the regime δ < δ̄ the theorem says nothing
                continue
            sup_s, norm_s, cos_s = (float(v) for v in m.value[1:])
            floor = float(np.nanmax(m.floor[1:]))
            checked += [
                at_most(sup_s, B, floor / B, f"δ={delta:g}: (i) sup‖w‖/δ ≤ B̃_ε = sup‖u‖ + ε"),
                at_least(norm_s, ETA / 2, floor, f"δ={delta:g}: (ii)(a) ‖w(T̄)‖/δ ≥ η/2"),
                at_least(cos_s, self.alignment_bound(eps, ETA), floor, f"δ={delta:g}: (ii)(a) cos(w(T̄), u*) ≥ 1 − (1+3/η)ε"),
            ]
        smallest = sorted(range(len(rows)), key=lambda i: rows[i][0])[:3]
        rate = fitted_order([rows[i][0] for i in smallest], [gap[i] for i in smallest])
        resolved = all(gap[i] > 30 * floors[i] for i in smallest)
        rate_entry = order_at_least(rate, self.rate_order(L), 0.15, "‖s(T) − u(T)‖ = O(δ^L): fitted order over the 3 δ")
        checked.append(rate_entry if resolved else Entry(rate_entry.violation, rate_entry.error_floor, False, rate_entry.label))
        grad_order = fitted_order([rows[i][0] for i in smallest], [rows[i][2] for i in smallest])
        checked.append(Entry(abs(grad_order.slope - (L - 1)) / (L - 1), 0.05 / (L - 1), math.isfinite(grad_order.slope),
                             "‖∇L(δw0)‖ ~ δ^{L−1}: fitted order over the 3 δ"))
        measurements = self._measurements(L, limit.T_star, eps, sup_u, rows, gap, floors, rate, grad_order)
        return Evidence(checked, measurements, instance=text,
                        note=f"T* = {limit.T_star:.4g}, ε = {eps:.3g}; {sum(g <= eps / 10 for g in gap)}/{len(gap)} δ in the regime")

    @staticmethod
    def _measurements(L, T_star, eps, sup_u, rows, gap, floors, rate: FittedOrder, grad_order: FittedOrder):
        return EarlyAlignmentMeasurements(
            int(L), T_star, eps, sup_u, tuple(d for d, _, _ in rows), tuple(gap), tuple(floors),
            tuple(float(m.value[1]) for _, m, _ in rows), tuple(float(m.value[2]) for _, m, _ in rows),
            tuple(float(m.value[3]) for _, m, _ in rows), tuple(g for _, _, g in rows), rate.slope, rate.stderr,
            grad_order.slope)

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
