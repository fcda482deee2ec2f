"""dc2 Lemma 5.4: non-branching neighbourhoods of a KKT point for one leaky-ReLU neuron.

Source: Kumar & Haupt (dc2), Lemma 5.4 with its proof in Appendix F; digest ../shared/spec/two_homogeneous.md LEM-5.4,
§3.5 and claim C19.

Statement. H(x; v, u) = vσ(xᵀu), σ(s) = max(s, αs), N(v, u) = v·zᵀσ(Xu). Let (v*, u*) be a KKT point of
max_{v² + ‖u‖² = 1} N with v*·zᵀσ(Xu*) > 0 and min_i |x_iᵀu*| > 0, and put η₁ = min_i |x_iᵀu*|, η₂ = max_i ‖x_i‖,
γ = η₁/(2η₂). Then every point of

    S = {(v, u) : sign(v*)·v > ‖u‖,  ‖u − u*‖ ≤ γ}

is non-branching for the positive NCF flow (v̇, u̇) ∈ ∂N(v, u). The proof (App. F) shows more, decided here too: from
(p, q) ∈ S the flow keeps the activation pattern of u*, sign(Xu(t)) = sign(Xu*), with min_i sign(x_iᵀu*)x_iᵀu(t) ≥
η₁ − γη₂ = η₁/2 > 0 for all t ≥ 0 (so the field is linear along the solution, which is therefore unique); v² − ‖u‖² =
p² − ‖q‖² is conserved, so v keeps the sign of v*; and with g = Σ_i z_iσ′(x_iᵀu*)x_i, r = ‖g‖, ĝ = g/r, a = ĝᵀu the flow
is (digest §3.5)

    v(t) = p cosh rt + a0 sinh rt,   a(t) = a0 cosh rt + p sinh rt,   u(t) = q + (a(t) − a0)ĝ,

converging in direction to (v*, u*).

On γ: the proof's factor 2 is slack. Every kink hyperplane {x_iᵀu = 0} lies at distance |x_iᵀu*|/‖x_i‖ ≥ η₁/η₂ from u*,
so the ball of radius η₁/η₂ meets a kink at most at a boundary point, and only when the sample of least margin also has
the largest norm. Such a tie is exact on rational unit data; there the touching point can be a genuine branching point
(a repelling kink, as at (c, 0) for u1|u2|, Lemma E.1). The mutant γ = η₁/η₂ is refuted by that exact example
(an obligation); on floating-point data it is not distinguishable from the statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least
from verify.flow import FlowStatus, integrate, ncf_flow, two_tolerances
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import Dataset, datasets, seeds
from verify.symbolic import is_zero

ALPHAS = (0.0, 0.1, 0.5, -0.3, 2.0)  # the leaky slopes drawn
TIMES = (0.25, 0.5, 0.75, 1.0)  # fractions of the horizon r·T = 2 where the integrated flow meets the closed form
DENSE = 200  # times on [0, T] where the integrated flow's activation pattern is read
RTOL = 1e-10  # coarse tolerance; the fine one is 100× smaller (verify.flow.two_tolerances)
LIMIT_SPAN = (15.0, 30.0)  # r·t at which the closed form's direction is compared with (v*, u*) (it converges as e^{−rt})
MIN_MARGIN = 1e-3  # a constructed KKT point must have min_i |x_iᵀû| ≥ MIN_MARGIN·η₂ (γ not vanishingly small)


@dataclass(frozen=True)
class NeuronInstance:
    """One leaky-ReLU neuron on ``data`` with z_i Gaussian (from ``z_seed``); the KKT point is constructed by the
    fixed-point iteration û ← ±g(û)/‖g(û)‖ from starts drawn with ``seed``, which also draws the points of S."""

    data: Dataset
    alpha: float
    z_seed: int
    seed: int

    def __str__(self) -> str:
        return f"one neuron, α = {self.alpha:g}, {self.data}, z seed {self.z_seed}, seed {self.seed}"


@dataclass(frozen=True)
class KKTPoint:
    """(v*, u*) = (sign(μ)/√2, û/√2) from a fixed point g(û) = μû (g = Σ_i z_iσ′(x_iᵀû)x_i, μ = zᵀσ(Xû) ≠ 0)."""

    u: np.ndarray
    v: float
    mu: float
    g: np.ndarray
    signs: np.ndarray  # sign(x_iᵀu*)


def construct_kkt(X: np.ndarray, z: np.ndarray, sigma: Activation, rng: np.random.Generator, restarts: int = 8,
                  iterations: int = 60) -> KKTPoint | None:
    """The digest's recipe (LEM-5.4): iterate û ← s·g(û)/‖g(û)‖ (s = ±1); once the candidate s·g(u)/‖g(u)‖ has the
    pattern of u it is an exact fixed point (g depends on u only through its pattern). The first with min_i |x_iᵀû| ≥
    MIN_MARGIN·η₂ is kept; None if there is none (the iteration cycles, or every fixed point sits too near a kink)."""
    lo, hi = sigma.slopes
    eta2 = float(np.linalg.norm(X, axis=1).max())
    for _ in range(restarts):
        start = rng.standard_normal(X.shape[1])
        for s in (1.0, -1.0):
            u = start / np.linalg.norm(start)
            for _ in range(iterations):
                h = X @ u
                g = X.T @ (z * np.where(h > 0, hi, lo))
                if not np.linalg.norm(g) > 0:
                    break
                candidate = s * g / np.linalg.norm(g)
                if np.all(h != 0) and np.array_equal(np.sign(X @ candidate), np.sign(h)):
                    if np.abs(X @ candidate).min() >= MIN_MARGIN * eta2:
                        return _point(X, z, sigma, candidate, g)
                    break
                u = candidate
    return None


def adjusted_labels(X: np.ndarray, z: np.ndarray, sigma: Activation, rng: np.random.Generator, tries: int = 20
                    ) -> tuple[KKTPoint, np.ndarray] | None:
    """When the iteration finds nothing: a random unit û with min_i |x_iᵀû| ≥ MIN_MARGIN·η₂, and z moved to the nearest
    z′ with Σ_i z′_iσ′(x_iᵀû)x_i = μû (μ = ±‖Σ_i z_iσ′(x_iᵀû)x_i‖, the KKT equation, solvable when those vectors span
    R^d), so that û is a fixed point for z′. Returns the point and z′; None if no draw works."""
    eta2 = float(np.linalg.norm(X, axis=1).max())
    lo, hi = sigma.slopes
    for _ in range(tries):
        u = rng.standard_normal(X.shape[1])
        u /= np.linalg.norm(u)
        h = X @ u
        if np.abs(h).min() < MIN_MARGIN * eta2:
            continue
        M = (X * np.where(h > 0, hi, lo)[:, None]).T  # g = M z
        if np.linalg.matrix_rank(M) < X.shape[1]:
            continue
        mu = float(rng.choice((-1.0, 1.0))) * float(np.linalg.norm(M @ z))
        moved = z + np.linalg.lstsq(M, mu * u - M @ z, rcond=None)[0]
        g = M @ moved
        candidate = math.copysign(1.0, mu) * g / np.linalg.norm(g)
        if np.array_equal(np.sign(X @ candidate), np.sign(h)) and np.abs(X @ candidate).min() >= MIN_MARGIN * eta2:
            return _point(X, moved, sigma, candidate, g), moved
    return None


def _point(X: np.ndarray, z: np.ndarray, sigma: Activation, u_hat: np.ndarray, g: np.ndarray) -> KKTPoint:
    mu = float(z @ sigma(torch.as_tensor(X @ u_hat, dtype=DTYPE)).numpy())
    return KKTPoint(u_hat / math.sqrt(2), math.copysign(1 / math.sqrt(2), mu), mu, g, np.sign(X @ u_hat))


def hyperbolic(p: float, a0: float, r: float, t: float) -> tuple[float, float]:
    """(v(t), a(t)) of v̇ = r·a, ȧ = r·v from (p, a0)."""
    return p * math.cosh(r * t) + a0 * math.sinh(r * t), a0 * math.cosh(r * t) + p * math.sinh(r * t)


def range_over_time(P: float, A: float) -> tuple[float, float]:
    """(inf, sup) over x = rt ≥ 0 of h(x) = A(cosh x − 1) + P sinh x (= a(t) − a0 with P = p, A = a0): the candidates are
    x = 0, the stationary point tanh x = −P/A when it lies in x > 0, and x → ∞ (h ~ (A + P)eˣ/2; −A when A + P = 0)."""
    values = [0.0]
    if A != 0 and 0 < -P / A < 1:
        x = math.atanh(-P / A)
        values.append(A * (math.cosh(x) - 1) + P * math.sinh(x))
    s = A + P
    values.append(math.inf if s > 0 else -math.inf if s < 0 else -A)
    return min(values), max(values)


def inf_over_time(P: float, A: float) -> float:
    """inf over x ≥ 0 of P cosh x + A sinh x (= sign(v*)v(t) with P = sign(v*)p, A = sign(v*)a0)."""
    values = [P]
    if P != 0 and 0 < -A / P < 1:
        x = math.atanh(-A / P)
        values.append(P * math.cosh(x) + A * math.sinh(x))
    s = P + A
    values.append(math.inf if s > 0 else -math.inf if s < 0 else 0.0)
    return min(values)


@dataclass(frozen=True)
class NonBranchingMeasurements:
    """What dc2.lemma5_4 measured on one instance: the KKT point (μ, its KKT residual — a hypothesis, checked, not
    evidence), η₁, η₂, γ; the sharp radius min_i |x_iᵀu*|/‖x_i‖ over η₁/η₂ (≥ 1: the ball of radius η₁/η₂ is still
    kink-free, the factor 2 of γ is slack); over the points of S: the smallest analytic margin inf_t min_i
    sign(x_iᵀu*)x_iᵀu(t) and the smallest on the integrated dense grid (both over η₁; the proof: ≥ ½), the smallest
    inf_t sign(v*)v(t) over √(p² − ‖q‖²) (≥ 1), the largest relative deviation of the integrated flow from the closed
    form and its floor, the largest drift of v² − ‖u‖², the direction's distance from (v*, u*) at rt = 30."""

    alpha: float
    mu: float
    kkt_residual: float
    eta1: float
    eta2: float
    gamma: float
    sharp_radius_ratio: float
    points: int
    margin_ratio: float
    grid_margin_ratio: float
    v_ratio: float
    flow_deviation: float
    flow_floor: float
    conserved_drift: float
    limit_distance: float


@register
class NonBranchingNeuron(Checker):
    """dc2 Lemma 5.4: from S the one-neuron NCF flow keeps the pattern of u*, so it is linear and unique (γ = η₁/(2η₂))."""

    id = "dc2.lemma5_4"
    title = "Non-branching neighbourhoods of a KKT point of one leaky-ReLU neuron (γ = η₁/(2η₂)), with the closed-form flow"
    source = "dc2 Lemma 5.4 and its proof, App. F (digest LEM-5.4, §3.5, C19)"
    statement = (
        "For H = vσ(xᵀu), σ = max(s, αs), a KKT point (v*, u*) of max_{v²+‖u‖²=1} v·zᵀσ(Xu) with v*·zᵀσ(Xu*) > 0 and η₁ = "
        "min_i|x_iᵀu*| > 0, every (p, q) with sign(v*)p > ‖q‖, ‖q − u*‖ ≤ γ = η₁/(2η₂) (η₂ = max_i‖x_i‖) is non-branching: "
        "along its flow sign(Xu(t)) = sign(Xu*) with min_i sign(x_iᵀu*)x_iᵀu(t) ≥ η₁ − γη₂ > 0 for all t ≥ 0 (the field is "
        "linear along it), v² − ‖u‖² = p² − ‖q‖² (v keeps the sign of v*), and the flow is v = p cosh rt + a0 sinh rt, "
        "a = a0 cosh rt + p sinh rt, u = q + (a − a0)ĝ (g = Σz_iσ′(x_iᵀu*)x_i, r = ‖g‖), converging in direction to (v*, u*)."
    )
    hypotheses_text = (
        "One neuron (net (d, 1, 1)), σ = max(s, αs) with α ∈ {0, 0.1, 0.5, −0.3, 2}; the default data families (n 4–10, "
        "d 2–4), Gaussian z. The KKT point: the digest's fixed-point iteration û ← ±g(û)/‖g(û)‖ from 8 random starts, "
        "kept once the pattern repeats (an exact fixed point) with min_i|x_iᵀû| ≥ 1e-3·η₂; where it finds none (it cycles, "
        "about 1 instance in 11), z is moved to the nearest z′ for which a random û with that margin solves the KKT "
        "equation Σz′_iσ′(x_iᵀû)x_i = μû; (v*, u*) = (sign μ/√2, û/√2). "
        "Its hypotheses (KKT residual ≤ 1e-12, v*·zᵀσ(Xu*) > 0, η₁ > 0) are checked; an instance without such a point "
        "is undecided. Points of S: for every sample i the boundary point q = u* − γ·sign(x_iᵀu*)x_i/‖x_i‖ (the one "
        "nearest to its kink), the boundary point against ĝ, a random boundary point and a random interior one, with "
        "sign(v*)p just above ‖q‖ (factor 1 + 1e-6 or 1 + 1e-3) or well above; candidate points with v of the other sign "
        "are drawn too and kept only if they lie in S (they do not, unless a mutant drops the condition on v)."
    )
    method = (
        "Analytic, at every point: with the closed form, min_i sign(x_iᵀu*)x_iᵀu(t) = m_i + κ_i(a(t) − a0) (m_i at q, "
        "κ_i = sign(x_iᵀu*)x_iᵀĝ), and the exact range of a(t) − a0 = a0(cosh rt − 1) + p sinh rt over t ≥ 0 (endpoints, "
        "the stationary point, the limit): its infimum over t ≥ 0 against η₁ − γη₂ (relative to η₁; reaching 0 — a kink — "
        "counts as 0); inf_t sign(v*)v(t) (same way) against √(p² − ‖q‖²). Integrated, at two points (nearest to the "
        "least-margin sample's kink, and against ĝ): the NCF flow (verify.flow.ncf_flow, "
        "verify.flow.integrate, DOP853, rtol 1e-10 and 1e-12, floors the change) to r·T = 2, against the closed form at "
        "T/4 … T (relative, tolerance 1e-9), the drift of v² − ‖u‖² (relative to max‖(v, u)‖²) and the least margin on "
        "200 grid times (against η₁ − γη₂). Direction: the closed form's distance from (v*, u*) at rt = 30 (floor: the "
        "change from rt = 15). Symbolic: the closed form and the conservation law, the sign of a(t) − a0 under S's "
        "condition on v, and an exact rational example on which γ = η₁/η₂ reaches a repelling kink (a branching point)."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-7

    # the statement's knobs; each mutant replaces one
    gamma_factor = 0.5  # γ = gamma_factor·η₁/η₂
    v_condition = True  # S requires sign(v*)·v > ‖u‖
    conserved_sign = -1.0  # v² + conserved_sign·‖u‖² is conserved
    mutants = [
        Mutant("γ = η₁/η₂", "the neighbourhood twice as large, γ = η₁/η₂ (the proof's margin η₁ − γη₂ then vanishes)",
               gamma_factor=1.0),
        Mutant("S without sign(v*)v > ‖u‖", "every (v, u) with ‖u − u*‖ ≤ γ, whatever v: v may then change sign and the "
               "flow reach a kink", v_condition=False),
        Mutant("v² + ‖u‖² conserved", "the flow conserves v² + ‖u‖² instead of v² − ‖u‖²", conserved_sign=1.0),
    ]

    def hypotheses(self):
        return st.builds(NeuronInstance, datasets(n=(4, 10), d=(2, 4)), st.sampled_from(ALPHAS), seeds(), seeds())

    # -- the claim -----------------------------------------------------------------------------------

    def claim(self, inst: NeuronInstance, ctx: Context) -> Evidence:
        X = inst.data.X
        z = np.random.default_rng(inst.z_seed).standard_normal(inst.data.n)
        sigma = Activation(inst.alpha, 1)
        rng = np.random.default_rng(inst.seed)
        star = construct_kkt(X, z, sigma, rng)
        adjusted = ""
        if star is None:
            found = adjusted_labels(X, z, sigma, rng)
            if found is None:
                return Evidence.undecided("no KKT point with min_i|x_iᵀû| ≥ 1e-3·η₂ (fixed-point iteration, adjusted z)",
                                          instance=str(inst))
            star, z = found
            adjusted = "z adjusted to make a random û a KKT point (the fixed-point iteration found none)"
        net = FeedForward((inst.data.d, 1, 1), sigma)
        Xt, zt = torch.as_tensor(X, dtype=DTYPE), torch.as_tensor(z, dtype=DTYPE)
        w_star = torch.as_tensor(np.concatenate([star.u, [star.v]]), dtype=DTYPE)
        N_star, grad = ncf_and_grad(net, w_star, Xt, zt)
        residual = float((grad - 2 * N_star * w_star).norm() / grad.norm())
        eta1 = float(np.abs(X @ star.u).min())
        eta2 = float(np.linalg.norm(X, axis=1).max())
        if not (residual <= 1e-12 and float(N_star) > 0 and eta1 > 0):  # N(w*) = v*·zᵀσ(Xu*)
            return Evidence.undecided(f"the constructed point is not a KKT point meeting the hypotheses (residual "
                                      f"{residual:.3g}, v*·F(u*) = {float(N_star):.3g}, η₁ = {eta1:.3g})", instance=str(inst))
        gamma = self.gamma_factor * eta1 / eta2
        r = float(np.linalg.norm(star.g))
        g_hat = star.g / r
        kappa = star.signs * (X @ g_hat)  # margins move by κ_i·(a(t) − a0)
        bound = eta1 - gamma * eta2  # the proof's margin: η₁/2

        points = self._points(X, star, g_hat, gamma, rng)
        checked: list[Entry] = []
        margins, v_ratios = [], []
        for name, p, q in points:
            m = star.signs * (X @ q)
            a0 = float(g_hat @ q)
            lo, hi = range_over_time(p, a0)
            inf_margin = float(min(mi + k * (lo if k > 0 else hi) for mi, k in zip(m, kappa)))
            seen = max(inf_margin, 0.0) if math.isfinite(inf_margin) else 0.0  # a kink reached: the pattern ends there
            margins.append(seen / eta1)
            checked.append(at_least(seen, bound, 1e2 * EPS * eta2 * (1 + float(np.linalg.norm(q))) / eta1,
                                    f"{name}: inf_t min_i sign(x_iᵀu*)x_iᵀu(t) ≥ η₁ − γη₂ (pattern frozen)", scale=eta1))
            sv = math.copysign(1.0, star.v)
            inf_v = inf_over_time(sv * p, sv * a0)
            floor_v = math.sqrt(max(p * p - float(q @ q), 0.0))
            size = math.hypot(p, float(np.linalg.norm(q)))
            v_ratios.append(inf_v / floor_v if floor_v > 0 else math.nan)
            checked.append(at_least(max(inf_v, -size), floor_v, 1e2 * EPS, f"{name}: inf_t sign(v*)v(t) ≥ √(p² − ‖q‖²) "
                                    "(v keeps the sign of v*)", scale=size))
        integrated = [pt for pt in points if "other sign" not in pt[0] and ("least margin" in pt[0] or pt[0] == "against ĝ")]
        flow_entries, (grid_margin, deviation, floor, drift, ends) = self._integrated(net, Xt, zt, star, g_hat, r, bound,
                                                                                       eta1, integrated)
        checked += flow_entries
        limit_entry, limit_distance = self._limit(star, g_hat, r, points)
        checked.append(limit_entry)
        sharp = float((np.abs(X @ star.u) / np.linalg.norm(X, axis=1)).min()) / (eta1 / eta2)
        finite = [x for x in v_ratios if math.isfinite(x)]
        m = NonBranchingMeasurements(inst.alpha, star.mu, residual, eta1, eta2, gamma, sharp, len(points), min(margins),
                                     grid_margin, min(finite) if finite else math.nan, deviation, floor, drift, limit_distance)
        return Evidence(checked, m, instance=str(inst), note="; ".join(x for x in (adjusted, ends) if x))

    def _points(self, X: np.ndarray, star: KKTPoint, g_hat: np.ndarray, gamma: float, rng: np.random.Generator
                ) -> list[tuple[str, float, np.ndarray]]:
        """Points (name, p, q) of S (as this checker's knobs define it): candidates, kept if they lie in S."""
        sv = math.copysign(1.0, star.v)
        least = int(np.argmin(np.abs(X @ star.u)))
        b = rng.standard_normal(len(star.u))
        c = rng.standard_normal(len(star.u))
        qs = [(f"nearest to sample {i}'s kink" + (" (least margin)" if i == least else ""),
               star.u - gamma * star.signs[i] * X[i] / np.linalg.norm(X[i])) for i in range(len(X))]
        qs.sort(key=lambda nq: "least" not in nq[0])  # the least-margin one first
        qs += [("against ĝ", star.u - gamma * sv * g_hat), ("boundary, random", star.u + gamma * b / np.linalg.norm(b)),
               ("interior, random", star.u + gamma * float(rng.uniform()) * c / np.linalg.norm(c))]
        out = []
        for name, q in qs:
            nq = float(np.linalg.norm(q))
            factor = 1 + 1e-6 if "least" in name else 1 + 1e-3 if "boundary" in name or "against" in name else 2.0
            candidates = [(name, sv * nq * factor, q)]
            if name.startswith(("nearest", "against")) and ("least" in name or "against" in name):
                candidates += [(f"{name}, v of the other sign", -sv * 2 * nq, q),
                               (f"{name}, v of the other sign and |v| < ‖u‖", -sv * 0.5 * nq, q)]
            out += [cand for cand in candidates if self._in_S(cand[1], cand[2], star, gamma)]
        return out

    def _in_S(self, p: float, q: np.ndarray, star: KKTPoint, gamma: float) -> bool:
        near = float(np.linalg.norm(q - star.u)) <= gamma * (1 + 1e-12)
        return near and (not self.v_condition or math.copysign(1.0, star.v) * p > float(np.linalg.norm(q)))

    def _closed_form(self, p: float, q: np.ndarray, g_hat: np.ndarray, r: float, t: float) -> np.ndarray:
        a0 = float(g_hat @ q)
        v, a = hyperbolic(p, a0, r, t)
        return np.concatenate([q + (a - a0) * g_hat, [v]])

    def _integrated(self, net: FeedForward, X: torch.Tensor, z: torch.Tensor, star: KKTPoint, g_hat: np.ndarray, r: float,
                    bound: float, eta1: float, points: list) -> tuple[list[Entry], tuple]:
        """The NCF flow from each point, integrated, against the closed form; conservation; the pattern on a dense grid."""
        flow = ncf_flow(net, X, z)
        T = 2.0 / r
        times = [f * T for f in TIMES]
        dense = np.linspace(0.0, T, DENSE)
        grid = np.unique(np.concatenate([dense, times]))
        at_times = np.searchsorted(grid, times)
        checked: list[Entry] = []
        deviation = floor = drift = 0.0
        grid_margin = math.inf
        ends: list[str] = []
        signs = star.signs
        for name, p, q in points:
            w0 = torch.as_tensor(np.concatenate([q, [p]]), dtype=DTYPE)
            exact = np.stack([self._closed_form(p, q, g_hat, r, t) for t in times])
            c0 = p * p + self.conserved_sign * float(q @ q)

            def measure(rtol: float, atol: float, w0=w0, exact=exact, c0=c0) -> np.ndarray:
                out = np.full(len(times) + 2, math.nan)
                path = integrate(flow, w0, T, rtol=rtol, atol=atol * float(w0.norm()), t_eval=grid)
                if path.status is not FlowStatus.SUCCESS or len(path.t) < len(grid):
                    ends.append(f"{name}: {path.status}: {path.message}")
                    return out
                W = path.u
                out[:len(times)] = np.linalg.norm(W[at_times] - exact, axis=1) / np.linalg.norm(exact, axis=1)
                cons = W[:, -1] ** 2 + self.conserved_sign * (W[:, :-1] ** 2).sum(1)
                out[-2] = float(np.abs(cons - c0).max() / (W**2).sum(1).max())
                out[-1] = float((signs * (W[:, :-1] @ X.numpy().T)).min())
                return out

            tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
            ok = bool(np.all(np.isfinite(tt.value)) and np.all(np.isfinite(tt.floor)))
            for j, t in enumerate(times):
                checked.append(Entry(float(tt.value[j]), float(tt.floor[j]), ok, f"{name}: integrated flow = closed form at "
                                                                                  f"t = {t:.4g}"))
            checked.append(Entry(float(tt.value[-2]), float(tt.floor[-2]), ok,
                                 f"{name}: v² {'−' if self.conserved_sign < 0 else '+'} ‖u‖² conserved (integrated)"))
            checked.append(at_least(float(tt.value[-1]), bound, float(tt.floor[-1]) / eta1 + 1e2 * EPS,
                                    f"{name}: min over {DENSE} grid times of min_i sign(x_iᵀu*)x_iᵀu(t) ≥ η₁ − γη₂", scale=eta1))
            if ok:
                deviation = max(deviation, float(np.max(tt.value[:len(times)])))
                floor = max(floor, float(np.max(tt.floor[:len(times)])))
                drift = max(drift, float(tt.value[-2]))
                grid_margin = min(grid_margin, float(tt.value[-1]) / eta1)
        return checked, (grid_margin, deviation, floor, drift, "; ".join(dict.fromkeys(ends)))

    def _limit(self, star: KKTPoint, g_hat: np.ndarray, r: float, points: list) -> tuple[Entry, float]:
        """The closed form's direction at rt = 30 against (v*, u*) (floor: its change from rt = 15), worst over the points."""
        target = np.concatenate([star.u, [star.v]])
        worst = (0.0, 0.0)
        for _name, p, q in points:
            dist = []
            for span in LIMIT_SPAN:
                w = self._closed_form(p, q, g_hat, r, span / r)
                dist.append(float(np.linalg.norm(w / np.linalg.norm(w) - target)))
            worst = max(worst, (dist[1], abs(dist[1] - dist[0])))
        return Entry(worst[0], worst[1] + 1e2 * EPS, True, "the flow from every point converges in direction to (v*, u*) "
                                                            "(distance at rt = 30)"), worst[0]

    # -- obligations ---------------------------------------------------------------------------------

    def obligations(self) -> list[Obligation]:
        """Sympy: (1) the hyperbolic closed form solves v̇ = r·a, ȧ = r·v (u̇ = vg then follows from u = q + (a − a0)ĝ);
        (2) v² + c‖u‖² is conserved along it exactly when c = −1 (‖u‖² = ‖q‖² − a0² + a²); (3) under S's condition
        sign(v*)p > ‖q‖ ≥ |a0|, sign(v*)(a(t) − a0) = (A + P)(cosh x − 1) + P(1 − e^{−x}) ≥ 0 (P = sign(v*)p, A =
        sign(v*)a0, x = rt), so no margin ever decreases; (4) on an exact example (three rational unit inputs of R², ReLU,
        z = (3, 2, 1)) the closed u-ball of S lies inside the activation cone of u* and contains no branching point."""
        t, r, p, a0 = sp.symbols("t r p a0", real=True)
        v = p * sp.cosh(r * t) + a0 * sp.sinh(r * t)
        a = a0 * sp.cosh(r * t) + p * sp.sinh(r * t)
        ode = is_zero((sp.diff(v, t) - r * a).rewrite(sp.exp)) and is_zero((sp.diff(a, t) - r * v).rewrite(sp.exp))
        q2 = sp.Symbol("q2", nonnegative=True)  # ‖q‖²
        c = sp.nsimplify(self.conserved_sign)
        conserved = is_zero(sp.diff(v**2 + c * (q2 - a0**2 + a**2), t).rewrite(sp.exp))
        out = [Obligation("closed form", "v = p cosh rt + a0 sinh rt, a = a0 cosh rt + p sinh rt solve v̇ = ra, ȧ = rv", ode,
                          "exact" if ode else "not a solution"),
               Obligation("conservation", f"v² {'−' if c < 0 else '+'} ‖u‖² is constant along the closed form", conserved,
                          "exact" if conserved else "its derivative is 2r·a·v·(1 + c) ≠ 0"),
               self._monotone_margins(), *self._exact_example()]
        return out

    def _monotone_margins(self) -> Obligation:
        x = sp.Symbol("x", positive=True)
        P, A = sp.symbols("P A", real=True)
        h = A * (sp.cosh(x) - 1) + P * sp.sinh(x)
        identity = is_zero((h - ((A + P) * (sp.cosh(x) - 1) + P * (1 - sp.exp(-x)))).rewrite(sp.exp))
        if self.v_condition:
            # P > ‖q‖ ≥ |A|: A + P > 0 and P > 0; cosh x − 1 = 2sinh²(x/2), 1 − e^{−x} = 2e^{−x/2}sinh(x/2)
            S_, P_ = sp.symbols("S P", positive=True)
            form = S_ * 2 * sp.sinh(x / 2) ** 2 + P_ * 2 * sp.exp(-x / 2) * sp.sinh(x / 2)
            holds = identity and bool(form.is_positive)
            detail = "(A + P)(cosh x − 1) + P(1 − e^{−x}) with A + P > 0, P > 0: positive" if holds else "not shown"
        else:  # no condition on p: P = −1, A = 1/2 (v of the other sign), x = 1
            value = h.subs({P: -1, A: sp.Rational(1, 2), x: 1})
            holds = identity and bool(value >= 0)
            detail = f"P = −1, A = 1/2, x = 1: a(t) − a0 has the sign of −v*: {sp.N(value, 6)}"
        return Obligation("margins never decrease", "sign(v*)(a(t) − a0) ≥ 0 for t ≥ 0 on S", holds, detail)

    def _exact_example(self) -> list[Obligation]:
        """Example E: x = (7/25, 24/25), (4/5, −3/5), (0, 1), z = (3, 2, 1), ReLU. All three are active at u* ∝ g = 3x₁ +
        2x₂ + x₃ = (61/25, 67/25), a fixed point (μ = ‖g‖ > 0, v* = 1/√2); ‖x_i‖ = 1, so the least-margin sample x₂ has the
        largest norm and its kink lies at distance exactly η₁/η₂ from u*. At the nearest kink point q (x₂ᵀq = 0) the field
        on the inactive side, g′ = g − 2x₂, has x₂ᵀg′ = −207/125 < 0: a repelling kink, from which (v, q), v > ‖q‖, has two
        solutions (one into each side). S contains that point when γ ≥ η₁/η₂."""
        X = [sp.Matrix([sp.Rational(7, 25), sp.Rational(24, 25)]), sp.Matrix([sp.Rational(4, 5), sp.Rational(-3, 5)]),
             sp.Matrix([0, 1])]
        z = [3, 2, 1]
        g = sum((zi * x for zi, x in zip(z, X)), sp.zeros(2, 1))  # every sample active, σ′ = 1
        u_star = g / (sp.sqrt(2) * g.norm())
        fixed = all((x.T * g)[0] > 0 for x in X)  # the pattern of u* is the one g was computed with
        margins = [sp.Abs((x.T * u_star)[0]) for x in X]
        eta1, eta2 = sp.Min(*margins), sp.Max(*[x.norm() for x in X])
        gamma = sp.nsimplify(self.gamma_factor) * eta1 / eta2
        distances = [m / x.norm() for m, x in zip(margins, X)]
        inside = all(sp.simplify(d - gamma).is_positive for d in distances)
        branching = []
        for j, (d, x) in enumerate(zip(distances, X)):
            if sp.simplify(d - gamma).is_positive:
                continue
            s = sp.sign((x.T * u_star)[0])
            q = u_star - d * s * x / x.norm()
            others_off = all(sp.simplify((y.T * q)[0]).is_nonzero for i, y in enumerate(X) if i != j)
            g_other = g - s * z[j] * x  # ReLU: the slope of sample j switches between 1 and 0
            repelling = sp.simplify(s * (x.T * g_other)[0]).is_negative and sp.simplify(s * (x.T * g)[0]).is_positive
            if others_off and repelling:
                branching.append(f"sample {j + 1}: q = ({sp.nsimplify(q[0])}, {sp.nsimplify(q[1])}) on its kink, "
                                 f"normal field {sp.simplify(s * (x.T * g)[0])} on the active side and "
                                 f"{sp.simplify(s * (x.T * g_other)[0])} on the other (with v > 0)")
        return [
            Obligation("example E: u* is a KKT point", "g(u*) = ‖g‖√2u* with the pattern of u* (all active)", fixed,
                       f"g = {list(g)}"),
            Obligation("example E: S inside the cone of u*", f"min_i |x_iᵀu*|/‖x_i‖ > γ = {self.gamma_factor:g}·η₁/η₂",
                       inside, f"distances {[sp.N(d, 6) for d in distances]}, γ = {sp.N(gamma, 6)}"),
            Obligation("example E: no branching point in S", "no point of S lies on a repelling kink", not branching,
                       "; ".join(branching) or "no kink meets the ball"),
        ]
