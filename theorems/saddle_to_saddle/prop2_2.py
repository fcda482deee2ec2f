"""Explosion along an escape direction and the escape time (s2s Proposition 2.2 = A.2), corrected; the §2.2 scaling
remark; neuron balance conserved along the flow.

Source: Bantzis, Simon, Jacot, "Saddle-to-Saddle Dynamics in Deep ReLU Networks", Proposition 2.2 (= A.2), the remark of
§2.2 and §5's balancedness; digest ../shared/spec/saddle_to_saddle.md §2.4, §2.5, §7.4, typos T5 and T6, claim C26.

Statement (corrected). Let L0 be L-homogeneous, ρ an escape direction in Definition 2.1's units (‖ρ‖² = L,
∇L0(ρ) = −sρ, s = −L0(ρ) > 0) and θ(t0) = λρ, λ > 0. Under θ̇ = −∇L0(θ), θ(t)/‖θ(t)‖ = ρ/√L for t ≥ t0 and R = ‖θ‖
solves dR/dt = aR^{L−1} with a = L^{1−L/2}s (= L·s_unit, s_unit = −L0(ρ/√L)):

    R(t) = (R(t0)^{2−L} + (2−L)a(t − t0))^{1/(2−L)}  (L ≠ 2),   R(t) = R(t0)e^{a(t−t0)}  (L = 2);

the escape time to ‖θ‖ = r is t1(r) − t0 = (R(t0)^{2−L} − r^{2−L})/((L−2)a) (L ≠ 2), log(r/R(t0))/a (L = 2).
As printed: a = L·s (right only for the unit-sphere speed, T5) and "+" between the powers (T6) — a mutant that must fail.

Remark (§2.2, exact form derived in the digest): θ_α(t) = αθ(α^{L−2}t) solves the flow from αθ(0).
Balance (§5, C26): for every hidden neuron j of layer l, ‖W_l[j,:]‖² − p‖W_{l+1}[:,j]‖² is constant along the flow
(the rescaling identity ⟨W_l[j,:], ∇_{W_l[j,:]}⟩ = p⟨W_{l+1}[:,j], ∇_{W_{l+1}[:,j]}⟩, np Lemma 3's mechanism; p = 1 for s2s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.errors import InputError
from verify.flow import FlowStatus, blow_up, integrate, ncf_flow, probe_horizon, random_start, two_tolerances
from verify.ncf import ncf
from verify.nets import DTYPE, Activation, FeedForward
from verify.strategies import activations, datasets, ncf_problems, seeds
from verify.tables import fmt, markdown_table

RTOL = 1e-9  # the coarse tolerance; the fine one is RTOL/100 (verify.flow.two_tolerances)
POINTS = 6  # norm comparison times t_j = j·T/POINTS
LEVELS = (0.3, 0.6, 0.9)  # escape levels r = R0 + f·(R(T) − R0)
ALPHA = 0.5  # the scale of the scaling remark (< 1, so every time the claim or a mutant reads lies in [0, H])
SCALE_POINTS = 4
MAX_RESIDUAL = 1e-9  # an escape direction from the blow-up limit counts only with a KKT residual (relative) below this


@dataclass(frozen=True)
class Chain:
    """The scalar chain of the digest (§2.4): widths all 1, linear σ, X = [1], z = [s] (G = −s), so L0 = −s·Πw_ℓ and
    ρ = (1, …, 1) is an escape direction with speed s in Definition 2.1's units; L = depth."""

    depth: int
    speed: float

    @property
    def net(self) -> FeedForward:
        return FeedForward((1,) * (self.depth + 1), Activation(1.0, 1))

    @property
    def X(self) -> np.ndarray:
        return np.ones((1, 1))

    @property
    def z(self) -> np.ndarray:
        return np.full((1, 1), self.speed)

    def __str__(self) -> str:
        return f"scalar chain L={self.depth}, s={self.speed:.4g}"


@dataclass(frozen=True)
class ExplosionMeasurements:
    """What s2s.prop2_2 measured on one instance (fine tolerance), printed and corrected side by side: kind of escape
    direction, degree L, speed s (Def. 2.1 units), its KKT residual, R0, the horizon T and R(T) measured / corrected /
    printed; the middle escape level r with t1(r) measured / corrected / printed; the worst direction drift; the scaling
    remark's and the balance's worst defects and their floors."""

    kind: str
    degree: int
    speed: float
    kkt_residual: float
    R0: float
    T: float
    R_measured: float
    R_corrected: float
    R_printed: float
    r: float
    t1_measured: float
    t1_corrected: float
    t1_printed: float
    drift: float
    scaling_defect: float
    balance_defect: float
    worst_floor: float


def predicted_norm(L: int, a: float, R0: float, t: float) -> float:
    """R(t) from dR/dt = aR^{L−1}, R(0) = R0 (inf once the closed form has blown up)."""
    if L == 2:
        return R0 * math.exp(a * t)
    base = R0 ** (2 - L) + (2 - L) * a * t
    return base ** (1 / (2 - L)) if base > 0 else math.inf


def escape_time(L: int, a: float, R0: float, r: float, sign: float) -> float:
    """t1(r) − t0 = (R0^{2−L} + sign·r^{2−L})/((L−2)a) (sign −1 corrected, +1 printed); log(r/R0)/a for L = 2."""
    if L == 2:
        return math.log(r / R0) / a
    return (R0 ** (2 - L) + sign * r ** (2 - L)) / ((L - 2) * a)


@register
class EscapeExplosion(Checker):
    """s2s Prop. 2.2 (corrected) on exact and certified escape directions; the scaling remark; conserved neuron balance."""

    id = "s2s.prop2_2"
    title = "Explosion along an escape direction, the escape time, the scaling of the initialisation, conserved balance"
    source = "s2s Proposition 2.2 (= A.2), corrected (digest §2.4, T5, T6); the §2.2 remark (digest §2.5); C26"
    statement = (
        "If θ(t0) = λρ, ρ an escape direction (‖ρ‖² = L, ∇L0(ρ) = −sρ), then θ/‖θ‖ = ρ/√L and R = ‖θ‖ solves dR/dt = aR^{L−1}, "
        "a = L^{1−L/2}s: R(t) = (R(t0)^{2−L} + (2−L)a(t − t0))^{1/(2−L)} (L = 2: R(t0)e^{a(t−t0)}), and ‖θ‖ = r at "
        "t1 = t0 + (R(t0)^{2−L} − r^{2−L})/((L−2)a) (L = 2: log(r/R(t0))/a). Also θ_α(t) = αθ(α^{L−2}t) solves the flow from "
        "αθ(0), and ‖W_l[j,:]‖² − p‖W_{l+1}[:,j]‖² is constant along the flow for every hidden neuron."
    )
    hypotheses_text = (
        "L0 = −N, N(θ) = zᵀH(X; θ), L the homogeneity degree (= depth for s2s's ReLU nets and for the linear chain). "
        "Escape directions: (a) the scalar chain (widths 1, linear σ, X = [1], z = [s]): ρ = (1, …, 1), exact, L ∈ {2, …, 5}, "
        "s ∈ [0.25, 4]; (b) smooth nets — depth 2, σ = max(x, αx)^p, p ∈ {2, 3} (L = 3, 4), widths 1–3, n 4–8 samples in "
        "d 2–3, α ∈ {0, 0.1, 0.5, −0.3} — with ρ/√L the limit direction of the NCF flow from a random start with N > 0 "
        "(verify.flow.blow_up; edc Lemma 2, P7: a KKT point with λ = L·N > 0, i.e. an escape direction), counted only with "
        "relative KKT residual ≤ 1e-9. R0 = ‖θ(t0)‖ ∈ [0.3, 2], t0 = 0 (the flow is autonomous). The scaling remark and the "
        "balance use a random start of the same net (the balance mutant can be refuted only on the p ≥ 2 nets)."
    )
    method = (
        "Explosion: θ̇ = ∇N(θ) from R0·ρ/√L is integrated (verify.flow.integrate, DOP853) to T = half the corrected blow-up "
        "time R0^{2−L}/(2(L−2)a) (L ≥ 3) or T = 1/a (L = 2); entries at t_j = jT/6: |R_measured − R_claimed|/max (the "
        "claimed value infinite — a printed formula already blown up — is violation 1) and the direction drift "
        "‖θ/‖θ‖ − ρ/√L‖; at the levels r = R0 + f(R(T) − R0), f ∈ {0.3, 0.6, 0.9}: the escape time (an event of the "
        "integration) against the claimed t1(r), relative. Every value at rtol 1e-9 and 1e-11 (verify.flow.two_tolerances), "
        "floor = the change. For a computed escape direction with tangential residual r_K = ‖(I − ρ̄ρ̄ᵀ)∇N(ρ̄)‖ the drift "
        "floor adds the first-order Grönwall bound r_K(e^{μS} − 1)/μ, μ = ‖∇²N(ρ̄)‖₂ + L·N(ρ̄), S = log(R(T)/R0)/(L·N(ρ̄)) "
        "the s-time span, and the norm and time floors add the same (conservative: the effect is second order). "
        "Scaling remark: θ from a random θ0 on [0, H] (H: ‖θ‖ changes by a factor e, or the flow's time scale) and θ_α from "
        "αθ0, α = 1/2, at t_j = (j/4)H/α^{L−2}: ‖θ_α(t_j) − αθ(α^{L−2}t_j)‖/‖θ_α(t_j)‖. Balance: per hidden neuron "
        "max_t |c_j(t) − c_j(0)|/max_t ‖θ(t)‖² over θ's evaluation times, c_j = ‖W_l[j,:]‖² − p‖W_{l+1}[:,j]‖². Both at the "
        "two tolerances. An integration that stops early leaves its entries undecided."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs
    rate = staticmethod(lambda L, s: L ** (1 - L / 2) * s)  # a in dR/dt = aR^{L−1}, s in Def. 2.1 units
    escape_sign = -1.0  # t1 = (R0^{2−L} + sign·r^{2−L})/((L−2)a)
    scale_exponent = staticmethod(lambda L: L - 2)  # θ_α(t) = αθ(α^{e}t)
    balance_factor = staticmethod(lambda p: p)  # c_j = ‖W_l[j,:]‖² − f(p)‖W_{l+1}[:,j]‖²
    mutants = [
        Mutant("as printed (rate L·s, '+' in t1)", "Prop. 2.2 as printed: a = L·s with s in Def. 2.1 units, and t1 = t0 + "
               "(R0^{2−L} + r^{2−L})/((L−2)Ls) (T5, T6)", rate=staticmethod(lambda L, s: L * s), escape_sign=1.0),
        Mutant("printed rate L·s only", "a = L·s (correct only for the unit-sphere speed, T5), '−' in t1",
               rate=staticmethod(lambda L, s: L * s)),
        Mutant("printed '+' in t1 only", "t1 = t0 + (R0^{2−L} + r^{2−L})/((L−2)a) with the corrected a (T6)", escape_sign=1.0),
        Mutant("scaling exponent L−1", "θ_α(t) = αθ(α^{L−1}t)", scale_exponent=staticmethod(lambda L: L - 1)),
        Mutant("balance factor 1", "‖W_l[j,:]‖² − ‖W_{l+1}[:,j]‖² is conserved (true for p = 1 only)",
               balance_factor=staticmethod(lambda p: 1)),
    ]

    def hypotheses(self):
        chains = st.builds(Chain, depth=st.integers(2, 5), speed=st.floats(0.25, 4.0))
        data = datasets(n=(4, 8), d=(2, 3))
        smooth = ncf_problems(data=data, depths=(2,), widths=(1, 3), activation=activations(alphas=(0.0, 0.1, 0.5, -0.3), ps=(2, 3)))
        return st.tuples(st.one_of(chains, smooth), seeds(), st.floats(0.3, 2.0))

    # -----------------------------------------------------------------------------------------

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed, R0 = instance
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        L = net.degree
        flow = ncf_flow(net, X, z)
        text = f"{problem}; seed={seed}, R0={R0:.4g} (L = {L})"
        kind, bar = self._escape_direction(problem, flow, seed)
        if bar is None:
            return Evidence.undecided(kind, instance=text)
        N_bar = float(ncf(net, bar, X, z))
        s = L ** (L / 2) * N_bar  # Def. 2.1 units: N(√L·ρ̄) = L^{L/2}N(ρ̄)
        _, g = flow.potential(bar[None])
        tangential = float((g[0] - (g[0] @ bar) * bar).norm())
        a_true = L * N_bar
        T = R0 ** (2 - L) / (2 * (L - 2) * a_true) if L > 2 else 1.0 / a_true
        R_T = predicted_norm(L, a_true, R0, T)
        levels = [R0 + f * (R_T - R0) for f in LEVELS]
        times = np.arange(1, POINTS + 1) * T / POINTS
        T = float(times[-1])
        hess = torch.autograd.functional.hessian(lambda u: ncf(net, u, X, z), bar)
        mu = float(torch.linalg.matrix_norm(hess, ord=2)) + L * N_bar
        S = math.log(R_T / R0) / (L * N_bar)
        drift_floor = tangential * math.expm1(mu * S) / mu if tangential > 0 else 0.0
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            events = {}
            for i, r in enumerate(levels):
                def hit(_t: float, u: np.ndarray, r=r) -> float:
                    return float(np.linalg.norm(u)) - r
                hit.direction = 1.0  # type: ignore[attr-defined]
                events[f"r{i}"] = hit
            out = np.full(2 * POINTS + len(levels), math.nan)
            tr = integrate(flow, R0 * bar, T, rtol=rtol, atol=atol * R0, t_eval=times, events=events)
            if tr.status is not FlowStatus.SUCCESS:
                ends.append(f"explosion: {tr.status} ({tr.message})")
            n = len(tr.t)
            norms = np.linalg.norm(tr.u, axis=1)
            out[:n] = norms
            out[POINTS:POINTS + n] = np.linalg.norm(tr.u / norms[:, None] - bar.numpy(), axis=1)
            for i in range(len(levels)):
                hits = tr.events[f"r{i}"]
                if len(hits):
                    out[2 * POINTS + i] = hits[0]
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        checked: list[Entry] = []
        a = self.rate(L, s)
        v, fl = tt.value, tt.floor
        R_claimed = [predicted_norm(L, a, R0, float(t)) for t in times]
        for j in range(POINTS):
            label = f"‖θ(t_{j + 1})‖ = R(t_{j + 1}) with a = {a:.6g}, t_{j + 1} = {times[j]:.4g}"
            checked.append(self._compare(v[j], fl[j], R_claimed[j], drift_floor, label, ends))
        for j in range(POINTS):
            label = f"θ(t_{j + 1})/‖θ‖ = ρ/√L (direction drift)"
            ok = math.isfinite(v[POINTS + j]) and math.isfinite(fl[POINTS + j])
            checked.append(Entry(v[POINTS + j] if ok else math.nan, fl[POINTS + j] + drift_floor if ok else math.nan, ok,
                                 label if ok else label + ": not reached (" + "; ".join(ends) + ")"))
        t1_claimed = [escape_time(L, a, R0, r, self.escape_sign) for r in levels]
        for i, r in enumerate(levels):
            label = f"t1(r = {r:.6g}) = escape time with a = {a:.6g}, sign {self.escape_sign:+g}"
            rate_floor = drift_floor * abs(v[2 * POINTS + i]) if math.isfinite(v[2 * POINTS + i]) else 0.0
            checked.append(self._compare(v[2 * POINTS + i], fl[2 * POINTS + i], t1_claimed[i], rate_floor, label, ends))

        # the scaling remark and the balance, from a random start of the same net
        scale_entries, scale_defect, balance_defect, scale_floor = self._scaling_and_balance(net, flow, seed, R0)
        checked += scale_entries

        mid = len(levels) // 2
        a_corr, a_print = L ** (1 - L / 2) * s, L * s
        finite_floors = [f for f in (*fl, scale_floor) if math.isfinite(f)]
        m = ExplosionMeasurements(
            kind, L, s, tangential, R0, T, float(v[POINTS - 1]), predicted_norm(L, a_corr, R0, T),
            predicted_norm(L, a_print, R0, T), levels[mid], float(v[2 * POINTS + mid]), escape_time(L, a_corr, R0, levels[mid], -1.0),
            escape_time(L, a_print, R0, levels[mid], 1.0), float(np.nanmax(v[POINTS:2 * POINTS])), scale_defect, balance_defect,
            max(finite_floors) if finite_floors else math.nan)
        return Evidence(checked, m, instance=text, note="; ".join(dict.fromkeys(ends)))

    @staticmethod
    def _compare(value: float, floor: float, claimed: float, extra_floor: float, label: str, ends: list[str]) -> Entry:
        if not (math.isfinite(value) and math.isfinite(floor)):
            return Entry(math.nan, math.nan, False, label + ": not reached (" + "; ".join(ends) + ")")
        if not math.isfinite(claimed):
            return Entry(1.0, floor, True, label + " (the claimed closed form has already blown up; the flow has not)")
        scale = max(abs(value), abs(claimed))
        return Entry(abs(value - claimed) / scale, (floor + extra_floor * abs(value)) / scale, True, label)

    def _escape_direction(self, problem, flow, seed: int) -> tuple[str, torch.Tensor | None]:
        """(kind, ρ̄ = ρ/√L) — exact for the chain; the blow-up limit of the NCF flow for a smooth net (None: undecided)."""
        net = problem.net
        if isinstance(problem, Chain):
            return "exact (chain)", torch.ones(net.n_params, dtype=DTYPE) / math.sqrt(net.n_params)
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        u = random_start(net.n_params, seed, 1.0)
        if float(ncf(net, u, X, z)) < 0:  # N is linear in the last layer
            Ws = net.split(u)
            u = net.flatten([*Ws[:-1], -Ws[-1]])
        if not float(ncf(net, u, X, z)) > 1e-10 * float(z.abs().sum()) * max(1.0, float(X.abs().max())) ** net.degree:
            return "N(θ0) = 0 for both signs of the last layer: no blow-up start for an escape direction", None
        try:
            bu = blow_up(flow, u, rtol=1e-10, atol=1e-12, rho_span=20.0, kkt_tol=MAX_RESIDUAL / 10)
        except InputError as exc:
            return f"no escape direction: {exc}", None
        if not bu.converged or bu.kkt_residual > MAX_RESIDUAL:
            return f"the blow-up limit did not converge to an escape direction ({bu.message})", None
        if bu.kinks.sliding:
            return "the flow slid along a kink", None
        return "blow-up limit (KKT residual ≤ 1e-9)", torch.as_tensor(bu.direction, dtype=DTYPE)

    def _scaling_and_balance(self, net: FeedForward, flow, seed: int, R0: float) -> tuple[list[Entry], float, float, float]:
        L, p = net.degree, net.activation.p
        theta0 = random_start(net.n_params, seed + 1, R0)
        _, g0 = flow.potential(theta0[None])
        if not float(g0.norm()) > 1e-12:
            return [Entry(math.nan, math.nan, False, "scaling remark: the random start is a rest point")], math.nan, math.nan, math.nan
        H = probe_horizon(flow, theta0)
        e = self.scale_exponent(L)
        t_alpha = np.arange(1, SCALE_POINTS + 1) * H / SCALE_POINTS / ALPHA ** (L - 2)
        t_base = ALPHA**e * t_alpha  # where the claim reads θ
        grid = np.linspace(0.0, H, 9)
        hidden = sum(net.widths[1:-1])
        ends: list[str] = []

        def balance(u: np.ndarray) -> np.ndarray:
            Ws = net.split(torch.as_tensor(u, dtype=DTYPE))
            f = self.balance_factor(p)
            return torch.cat([(Ws[l] ** 2).sum(-1) - f * (Ws[l + 1] ** 2).sum(-2) for l in range(net.depth - 1)], -1).numpy()

        def measure(rtol: float, atol: float) -> np.ndarray:
            out = np.full(SCALE_POINTS + hidden, math.nan)
            if t_base.max() > H * (1 + 1e-12):
                ends.append("the claimed times lie beyond the integrated horizon")
                return out
            base = integrate(flow, theta0, H, rtol=rtol, atol=atol * R0)
            scaled = integrate(flow, ALPHA * theta0, float(t_alpha[-1]), rtol=rtol, atol=atol * R0 * ALPHA, t_eval=t_alpha)
            if base.status is not FlowStatus.SUCCESS or scaled.status is not FlowStatus.SUCCESS:
                ends.append(f"scaling remark: {base.status} / {scaled.status}")
                return out
            ref = ALPHA * base.at(np.minimum(t_base, base.t_reached))
            out[:SCALE_POINTS] = np.linalg.norm(scaled.u - ref, axis=1) / np.linalg.norm(scaled.u, axis=1)
            us = base.at(grid)
            c = np.stack([balance(u) for u in us])
            out[SCALE_POINTS:] = np.abs(c - c[0]).max(0) / float((us**2).sum(1).max())
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        checked = []
        for j in range(SCALE_POINTS):
            label = f"θ_α(t) = αθ(α^{e:g}t), α = {ALPHA}, t = {t_alpha[j]:.4g}"
            ok = math.isfinite(tt.value[j]) and math.isfinite(tt.floor[j])
            checked.append(Entry(tt.value[j] if ok else math.nan, tt.floor[j] if ok else math.nan, ok,
                                 label if ok else label + ": " + "; ".join(ends)))
        for j in range(hidden):
            label = f"balance ‖W_l[j,:]‖² − {self.balance_factor(p)}·‖W_(l+1)[:,j]‖² conserved, hidden neuron {j + 1}"
            i = SCALE_POINTS + j
            ok = math.isfinite(tt.value[i]) and math.isfinite(tt.floor[i])
            checked.append(Entry(tt.value[i] if ok else math.nan, tt.floor[i] if ok else math.nan, ok,
                                 label if ok else label + ": " + "; ".join(ends)))
        sd = float(np.nanmax(tt.value[:SCALE_POINTS])) if np.isfinite(tt.value[:SCALE_POINTS]).any() else math.nan
        bd = float(np.nanmax(tt.value[SCALE_POINTS:])) if hidden and np.isfinite(tt.value[SCALE_POINTS:]).any() else math.nan
        fls = tt.floor[np.isfinite(tt.floor)]
        return checked, sd, bd, float(fls.max()) if fls.size else math.nan

    # -----------------------------------------------------------------------------------------
    # report: formats only numbers computed in the run (the records' measurements)

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        rows = []
        for rec in result.records:
            m = rec.measurements
            if not isinstance(m, dict) or "R_printed" not in m:
                continue
            rows.append([m["kind"], fmt(m["degree"]), fmt(m["speed"], 6), fmt(m["R0"], 4), fmt(m["T"], 4),
                         fmt(m["R_measured"], 10), fmt(m["R_corrected"], 10), fmt(m["R_printed"], 10),
                         fmt(m["r"], 6), fmt(m["t1_measured"], 10), fmt(m["t1_corrected"], 10), fmt(m["t1_printed"], 10)])
        if not rows:
            return "", []
        header = ["escape direction", "L", "s (Def. 2.1)", "R0", "T", "‖θ(T)‖ measured", "corrected a = L^(1−L/2)s",
                  "printed a = L·s", "r", "t1(r) measured", "corrected ('−')", "printed ('+', a = L·s)"]
        killed = {mm.name: mm.status for mm in result.mutants}
        lines = [
            "## Printed and corrected, side by side",
            "",
            "Each row is one generated instance (fine tolerance). 'printed' evaluates Proposition 2.2 as printed — rate L·s "
            "with s in Definition 2.1's units and '+' between the powers in the escape time; 'corrected' uses a = L^(1−L/2)s "
            "and '−' (digest T5, T6). inf: the printed closed form has already blown up at T while the flow has not.",
            "",
            markdown_table(header, rows),
            "",
            f"Mutant '{self.mutants[0].name}': {killed.get(self.mutants[0].name, 'not run')}.",
            "",
        ]
        return "\n".join(lines), []
