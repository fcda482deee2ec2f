"""Gradient flow on a sum of decoupled 2-homogeneous functions keeps only the blocks of the dominant KKT value (np Lemma 10).

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 10 (eqs. 22–24, proof in §D.4);
../shared/spec/neuron_pursuit.md, [L10], with [Def 2.1] and §1.5 (KKT points, stable set).

Statement. Let G_1, …, G_m be 2-homogeneous (copies G_i = G_j allowed) and maximise Σ_i G_i(w_i) by gradient flow

    ẇ_i = ∇G_i(w_i),  w_i(0) = w_i0                                                     (eq. 22)

with w_i0 in the stable set S(w_i*; G_i) of a second-order positive KKT point w_i* of max_{‖w_i‖=1} G_i (eq. 23), i.e.
w_i(t)/‖w_i(t)‖ → w_i*. Then

    lim_{t→∞} ‖w_i(t)‖ / sqrt(Σ_j ‖w_j(t)‖²)  > 0  if G_i(w_i*) = max_j G_j(w_j*),
                                               = 0  if G_i(w_i*) < max_j G_j(w_j*).        (eq. 24)

The proof: ‖w_i(t)‖ = a_i(t)·e^{2t·G_i(w_i*)} with a_i(t) ∈ [κ_1, κ_2] for large t, so the share of block i decays like
e^{−2(G* − G_i(w_i*))t}, G* = max_j G_j(w_j*), and the winners' shares converge.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.clarke import certified_subgradient
from verify.nets import DTYPE, FeedForward
from verify.strategies import NCFProblem, activations, datasets, ncf_problems, seeds
from verify.symbolic import is_zero

TIE = 1e-9  # KKT values within this relative distance of the largest are the same value (copies that reach one point)
EARLY, LATE = 7.0, 14.0  # window levels: transients ≤ e^{−2ℓ}, dominated shares ≤ e^{−ℓ} (see :func:`windows`)
MAX_TIME_SCALES = 1e12  # a window later than this many time scales 1/(2G*) is not computed (undecided)
DATA_KINDS = ("gaussian", "sphere")  # i.i.d. data: no coincident, antipodal or lattice samples (simultaneous kinks)
CERTIFIED = 1e-9  # KKT residual of a certified limit direction
START_TRIES = 6  # starts drawn per neuron until its flow is resolved and reaches a certified KKT point


# ------------------------------------------------------------------------------------------------
# the exact flow of one neuron: G(u, v) = v·zᵀσ(Xu), σ(h) = max(h, αh)
# ------------------------------------------------------------------------------------------------

MAX_EVENTS = 400
ON_KINK = 1e-12  # a pre-activation within ON_KINK·‖x_i‖ of 0 (at ‖w‖ = 1) sits on its kink


@dataclass(frozen=True)
class NeuronFlow:
    """The flow of G(u, v) = v·zᵀσ(Xu) from w0 = (u0, v0), solved exactly (:func:`neuron_flow`).

    resolved: the flow reached a final activation region (no kink is crossed after t_final) and is unique there;
    reason: why not, otherwise. In the final region (slopes c, sliding samples S with their Filippov slopes) the flow is
    linear, u̇ = v·a, v̇ = aᵀu with a = Σ_i z_i c_i x_i, so with ν = ‖a‖, â = a/ν, u = u_⊥ + pâ and e± = (p ± v)/2 at
    t_final (where ‖w‖ = e^{ρ_final}·1):  p(s) ± v(s) = 2e±·e^{±νs},  ‖w‖² = e^{2ρ_final}(‖u_⊥‖² + 2e₊²e^{2νs} + 2e₋²e^{−2νs}).
    The limit direction is sign(e₊)(â, 1)/√2, a KKT point with λ = ν, i.e. G* = ν/2; ``slopes`` (one per sample) is the
    subgradient selection that certifies it. events: kinks crossed or joined; slides: slides entered.
    """

    resolved: bool
    reason: str
    t_final: float
    rho_final: float
    u_perp: np.ndarray
    e_plus: float
    e_minus: float
    nu: float
    a: np.ndarray
    slopes: np.ndarray
    sliding: tuple[int, ...]
    events: int
    slides: int

    @property
    def G_star(self) -> float:
        return self.nu / 2

    @property
    def direction(self) -> np.ndarray:
        return math.copysign(1.0, self.e_plus) * np.concatenate([self.a / self.nu, [1.0]]) / math.sqrt(2)

    @property
    def u_perp_sq(self) -> float:
        return float(self.u_perp @ self.u_perp)

    def log_norm(self, t: float) -> float:
        """ρ(t) = log‖w(t)‖ for t ≥ t_final."""
        s = t - self.t_final
        terms = [math.log(self.u_perp_sq) if self.u_perp_sq > 0 else -math.inf,
                 math.log(2 * self.e_plus**2) + 2 * self.nu * s if self.e_plus else -math.inf,
                 math.log(2 * self.e_minus**2) - 2 * self.nu * s if self.e_minus else -math.inf]
        return self.rho_final + 0.5 * _logsumexp(terms)

    @property
    def kappa(self) -> float:
        """lim_{t→∞} ρ(t) − 2G*·t."""
        return self.rho_final - self.nu * self.t_final + 0.5 * math.log(2 * self.e_plus**2)

    def transient(self, t: float) -> float:
        """ρ(t) − (2G*t + κ) ≥ 0, in closed form (no cancellation)."""
        s = t - self.t_final
        return 0.5 * math.log1p((self.u_perp_sq * math.exp(-2 * self.nu * s) + 2 * self.e_minus**2 * math.exp(-4 * self.nu * s))
                                / (2 * self.e_plus**2))

    def direction_at(self, t: float) -> np.ndarray:
        """w(t)/‖w(t)‖ for t ≥ t_final (computed in the scaled variables, no overflow)."""
        g = math.exp(-self.nu * (t - self.t_final))  # everything scaled by e^{−νs}
        w = np.concatenate([self.u_perp * g + (self.e_plus + self.e_minus * g * g) * self.a / self.nu,
                            [self.e_plus - self.e_minus * g * g]])
        return w / np.linalg.norm(w)


def _logsumexp(terms: list[float]) -> float:
    m = max(terms)
    return m if m == -math.inf else m + math.log(sum(math.exp(x - m) for x in terms))


def _mode_field(X: np.ndarray, z: np.ndarray, side: np.ndarray, slide: frozenset[int], lo: float, hi: float
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """a = Σ_i z_i c_i x_i for a mode: c_i the slope on sample i's side (±1), and for the sliding samples S the Filippov
    slopes c_S that keep x_kᵀa = 0 (k ∈ S); (a, c_S), or None when c_S is not determined."""
    c = np.where(side > 0, hi, lo)
    weights = z * c
    S = sorted(slide)
    if S:
        weights = weights.copy()
        weights[S] = 0.0
    a = X.T @ weights
    if not S:
        return a, np.zeros(0)
    XS = X[S]
    try:
        cS = np.linalg.solve((XS @ XS.T) * z[S][None, :], -(XS @ a))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cS)):
        return None
    return a + XS.T @ (z[S] * cS), cS


def _admissible(X: np.ndarray, z: np.ndarray, side: np.ndarray, slide: frozenset[int], kinks: list[int],
                choice: tuple[float, ...], v: float, lo: float, hi: float, xn: np.ndarray) -> bool:
    """A mode at a point on the kinks ``kinks`` is admissible (Filippov) when its sliding slopes lie strictly inside the
    Clarke box [lo, hi], each sliding kink is attractive (off it, on either side, with the others still sliding, the field
    points back), and every other kink of the point is left strictly on its chosen side."""
    out = _mode_field(X, z, side, slide, lo, hi)
    if out is None:
        return False
    a, cS = out
    scale = abs(v) * float(np.linalg.norm(a))
    if not scale > 0 or (len(cS) and not np.all((lo < cS) & (cS < hi))):
        return False
    for k, c in zip(kinks, choice):
        if c != 0 and not c * v * float(X[k] @ a) > 1e-12 * scale * xn[k]:
            return False
    for k in slide:
        for c in (1.0, -1.0):
            off = side.copy()
            off[k] = c
            rest = _mode_field(X, z, off, slide - {k}, lo, hi)
            if rest is None:
                return False
            ak = rest[0]
            if not -c * v * float(X[k] @ ak) > 1e-12 * abs(v) * float(np.linalg.norm(ak)) * xn[k]:
                return False
    return True


def _quadratic_roots(B: float, A: float, C: float) -> list[float]:
    """Real roots y of B·y² + A·y + C = 0 (stable form)."""
    if B == 0:
        return [-C / A] if A != 0 else []
    disc = A * A - 4 * B * C
    if disc < 0:
        return []
    q = -0.5 * (A + math.copysign(math.sqrt(disc), A if A != 0 else 1.0))
    return [q / B, C / q] if q != 0 else [0.0]


def neuron_flow(X: np.ndarray, z: np.ndarray, alpha: float, w0: np.ndarray, max_events: int = MAX_EVENTS) -> NeuronFlow:
    """The gradient flow of the single-neuron NCF G(u, v) = v·zᵀσ(Xu), σ(h) = max(h, αh) (2-homogeneous), solved exactly.

    Inside an activation region the flow is linear (see :class:`NeuronFlow`) and the pre-activations are
    h_i(s) = A_i + B_i·e^{νs} + C_i·e^{−νs}, so the next kink crossing is the smallest root y = e^{νs} > 1 of a
    quadratic. At a kink the next mode is the unique admissible one among crossing to either side or sliding along
    the kink (the Filippov solution, slope c* in the Clarke box, :func:`_admissible`); the flow stops unresolved when
    none or several are admissible, when a slide turns repulsive (v changes sign while sliding: the solution is not
    unique), on ``max_events`` events, or when as many kinks as inputs meet. The explicit integrators of verify.flow
    detect sliding but do not resolve it (FlowStatus.SLIDING); for α = 1 (no kink) this is the linear flow.
    """
    n, d = X.shape
    lo, hi = min(1.0, alpha), max(1.0, alpha)
    kinked = lo != hi
    xn = np.linalg.norm(X, axis=1)
    w = np.asarray(w0, dtype=np.float64).copy()
    rho = math.log(float(np.linalg.norm(w)))
    w /= np.linalg.norm(w)
    t = 0.0
    side = np.where(X @ w[:d] >= 0, 1.0, -1.0)
    slide: frozenset[int] = frozenset()
    events = slides = 0

    def stop(reason: str) -> NeuronFlow:
        return NeuronFlow(False, reason, t, rho, np.full(d, math.nan), math.nan, math.nan, math.nan, np.full(d, math.nan),
                          np.full(n, math.nan), (), events, slides)

    zero = set(np.nonzero(np.abs(X @ w[:d]) <= ON_KINK * xn)[0].tolist()) if kinked else set()
    crossed: set[int] = set()
    while True:
        if zero:
            kinks = sorted(zero | slide)
            if len(kinks) > 3:
                return stop(f"{len(kinks)} pre-activations on kinks at once (t = {t:.6g})")
            found = []
            for choice in itertools.product((1.0, -1.0, 0.0), repeat=len(kinks)):
                trial = side.copy()
                for k, c in zip(kinks, choice):
                    trial[k] = c if c != 0 else 1.0
                sl = frozenset(k for k, c in zip(kinks, choice) if c == 0)
                if _admissible(X, z, trial, sl, kinks, choice, float(w[d]), lo, hi, xn):
                    found.append((trial, sl, choice))
            if len(found) != 1:
                return stop(f"{len(found)} admissible modes at the kinks of samples {kinks} (t = {t:.6g})")
            side, new_slide, choice = found[0]
            slides += len(new_slide - slide)
            slide = new_slide
            crossed = {k for k, c in zip(kinks, choice) if c != 0}
        out = _mode_field(X, z, side, slide, lo, hi)
        if out is None:
            return stop("the sliding slopes are not determined")
        a, cS = out
        nu = float(np.linalg.norm(a))
        if not nu > 0:
            return stop("the field vanishes in this region (a = 0)")
        ah = a / nu
        u, v = w[:d], float(w[d])
        p = float(ah @ u)
        u_perp = u - p * ah
        ep, em = (p + v) / 2, (p - v) / 2
        best, hits = math.inf, []
        if kinked:
            b, A = X @ ah, X @ u_perp
            for i in range(n):
                if i in slide:
                    continue
                B, C = ep * b[i], em * b[i]
                # a kink just crossed has h_i(0) = 0, i.e. the root y = 1; its other root is C/B
                ys = ([C / B] if B != 0 else []) if i in crossed else _quadratic_roots(B, float(A[i]), C)
                for y in ys:
                    if y > 1 and y < best * (1 + 1e-12):
                        hits = [i] if y < best * (1 - 1e-12) else hits + [i]
                        best = min(best, y)
        if slide and ep != 0 and em / ep > 1 and math.sqrt(em / ep) < best:
            t += math.log(math.sqrt(em / ep)) / nu
            return stop(f"v changes sign while sliding along the kinks of samples {sorted(slide)}: the slide turns "
                        f"repulsive and the solution is not unique (t = {t:.6g})")
        if best == math.inf:
            c = np.where(side > 0, hi, lo)
            c[sorted(slide)] = cS
            return NeuronFlow(True, "final region reached", t, rho, u_perp, ep, em, nu, a, c,
                              tuple(sorted(slide)), events, slides)
        if events >= max_events:
            return stop(f"more than {max_events} kink events")
        y = best
        w = np.concatenate([u_perp + (ep * y + em / y) * ah, [ep * y - em / y]])
        t += math.log(y) / nu
        events += 1
        on = sorted(set(hits) | slide)
        if len(on) >= d:
            return stop(f"{len(on)} kinks meet in dimension {d} (t = {t:.6g})")
        Xo = X[on]
        try:
            u = w[:d] - Xo.T @ np.linalg.solve(Xo @ Xo.T, Xo @ w[:d])  # exactly onto the kinks (a rounding-size move)
        except np.linalg.LinAlgError:
            return stop(f"the kinks of samples {on} are not independent (t = {t:.6g})")
        w = np.concatenate([u, w[d:]])
        r = float(np.linalg.norm(w))
        rho += math.log(r)
        w /= r
        h = X @ w[:d]
        zero = (set(hits) | set(np.nonzero(np.abs(h) <= ON_KINK * xn)[0].tolist())) - slide
        for i in range(n):
            if i not in zero and i not in slide and h[i] != 0:
                side[i] = 1.0 if h[i] > 0 else -1.0


# ------------------------------------------------------------------------------------------------
# blocks: their asymptotics
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One block's flow and its limit: G_i(w_i0), the KKT value G_i* = G_i(w_i*) of its limit direction w_i*, and
    closed forms for t ≥ t_final: ρ_i(t) = log‖w_i(t)‖, κ_i = lim ρ_i(t) − 2G_i*t, transient(t) = ρ_i(t) − 2G_i*t − κ_i ≥ 0,
    the direction w_i(t)/‖w_i(t)‖. ``checked_direction``: the limit direction is evidence (family (a)), not the
    hypothesis it was certified under (family (b))."""

    label: str
    G0: float
    G_star: float
    kappa: float
    t_final: float
    log_norm: Callable[[float], float]
    transient: Callable[[float], float]
    direction_at: Callable[[float], np.ndarray]
    kkt_point: np.ndarray
    checked_direction: bool
    events: int = 0
    slides: int = 0


def quadratic_block(label: str, mu: np.ndarray, V: np.ndarray, w0: np.ndarray) -> Block:
    """G(w) = wᵀSw, S = V diag(μ) Vᵀ (top eigenvalue simple and > 0): w(t) = expm(2St)w0 = Σ_k c_k e^{2μ_k t} v_k with
    c = Vᵀw0, so ρ(t) = ½ log Σ_k c_k² e^{4μ_k t}; the KKT values of max_{‖w‖=1} wᵀSw are the eigenvalues, the
    second-order positive one is the top eigenvector v_1 (G* = μ_1), reached iff c_1 ≠ 0."""
    order = np.argsort(mu)[::-1]
    mu, V = mu[order], V[:, order]
    c = V.T @ w0
    top = math.copysign(1.0, c[0]) * V[:, 0]
    logc = np.log(np.abs(c), out=np.full_like(c, -math.inf), where=c != 0)

    def log_norm(t: float) -> float:
        return 0.5 * _logsumexp(list(2 * logc + 4 * mu * t))

    def transient(t: float) -> float:
        rest = [2 * (lc - logc[0]) - 4 * (mu[0] - m) * t for lc, m in zip(logc[1:], mu[1:])]
        return 0.5 * math.log1p(math.exp(_logsumexp(rest))) if rest else 0.0

    def direction_at(t: float) -> np.ndarray:
        e = 2 * logc + 4 * mu * t
        weights = np.sign(c) * np.exp(0.5 * (e - e.max()))
        w = V @ weights
        return w / np.linalg.norm(w)

    return Block(label, float(w0 @ (V * mu) @ (V.T @ w0)), float(mu[0]), float(logc[0]), 0.0, log_norm, transient,
                 direction_at, top, True)


def neuron_block(label: str, X: np.ndarray, z: np.ndarray, alpha: float, w0: np.ndarray) -> tuple[Block | None, str]:
    """A neuron's block: its exact flow (:func:`neuron_flow`), and its limit direction certified as a positive KKT point
    by verify.clarke.certified_subgradient (the explicit admissible subgradient with the slopes the flow selects:
    residual ≤ 1e-9, λ = 2G* > 0, and G* = λ/2 of the certificate equal to ν/2 of the flow to 1e-12); (None, why) if not."""
    flow = neuron_flow(X, z, alpha, w0)
    if not flow.resolved:
        return None, flow.reason
    d = X.shape[1]
    net = FeedForward((d, 1, 1), _activation(alpha))
    star = torch.as_tensor(flow.direction, dtype=DTYPE)
    cert, _ = certified_subgradient(net, star, torch.as_tensor(X, dtype=DTYPE), torch.as_tensor(z, dtype=DTYPE),
                                    [torch.as_tensor(flow.slopes, dtype=DTYPE)[:, None]])
    if not (cert.residual <= CERTIFIED and cert.lam > 0 and abs(cert.lam / 2 - flow.G_star) <= 1e-12 * flow.G_star):
        return None, f"limit not certified (residual {cert.residual:.2g}, λ/2 = {cert.lam / 2:.6g}, ν/2 = {flow.G_star:.6g})"
    G0 = float(w0[d] * (z @ np.maximum(X @ w0[:d], alpha * (X @ w0[:d]))))
    return Block(label, G0, cert.lam / 2, flow.kappa, flow.t_final, flow.log_norm, flow.transient, flow.direction_at,
                 flow.direction, False, flow.events, flow.slides), f"{flow.events} kink events, {flow.slides} slides"


def _activation(alpha: float):
    from verify.activations import Activation

    return Activation(alpha, 1)


# ------------------------------------------------------------------------------------------------
# instances
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuadraticBlocks:
    """Family (a): m blocks G_i(w) = wᵀS_i w built from ``seed``: ``winners`` copies of one S (top eigenvalue λ* =
    ``scale``, dimension 2–4, smallest eigenvalue ≤ 0, others ≤ 0.9λ*) with independent starts, and m − winners
    losers (top eigenvalue in [0.3, 0.9]λ*, dimension 1–3). ``discriminating``: the winners start mostly on their
    smallest eigenvector (top component cos θ, |cos θ| ∈ [0.1, 0.5], so G(w0) ≤ λ*/4) and the losers on their top
    eigenvector (G(w0) ≥ 0.3λ*), so the block with the largest G_i(w_i0) loses; otherwise random unit starts with top
    component ≥ 0.1."""

    seed: int
    m: int
    winners: int
    scale: float
    discriminating: bool

    def blocks(self) -> list[Block]:
        rng = np.random.default_rng(self.seed)
        lam = self.scale
        out = []
        k = int(rng.integers(2, 5))
        mu_w = np.concatenate([[lam], rng.uniform(-lam, 0.9 * lam, k - 2), [rng.uniform(-lam, 0.0)]])
        V_w = np.linalg.qr(rng.standard_normal((k, k)))[0]
        for i in range(self.winners):
            out.append(quadratic_block(f"block {i} (winner copy, k={k})", mu_w, V_w, self._start(rng, mu_w, V_w, True)))
        for i in range(self.winners, self.m):
            kl = int(rng.integers(1, 4))
            top = rng.uniform(0.3, 0.9) * lam
            mu = np.concatenate([[top], rng.uniform(-lam, 0.9 * top, kl - 1)])
            V = np.linalg.qr(rng.standard_normal((kl, kl)))[0]
            out.append(quadratic_block(f"block {i} (k={kl})", mu, V, self._start(rng, mu, V, False)))
        return out

    def _start(self, rng: np.random.Generator, mu: np.ndarray, V: np.ndarray, winner: bool) -> np.ndarray:
        k = len(mu)
        top, low = V[:, int(np.argmax(mu))], V[:, int(np.argmin(mu))]
        sign = rng.choice([-1.0, 1.0])
        if self.discriminating:
            if not winner:
                return sign * top
            c = rng.uniform(0.1, 0.5)
            return sign * (c * top + math.sqrt(1 - c * c) * low)
        while True:
            w = rng.standard_normal(k)
            w /= np.linalg.norm(w)
            if abs(w @ top) >= 0.1:
                return w

    def __str__(self) -> str:
        return (f"quadratic blocks: m={self.m}, {self.winners} winner cop{'ies' if self.winners > 1 else 'y'}, λ*={self.scale:.4g}, "
                f"{'discriminating' if self.discriminating else 'random'} starts, seed={self.seed}")


@dataclass(frozen=True)
class NeuronBlocks:
    """Family (b): the k hidden neurons of a two-layer net H = W2σ(W1x), σ = max(x, αx), whose NCF zᵀH(X; W) = Σ_j
    v_j·zᵀσ(Xu_j) splits into k copies of one 2-homogeneous single-neuron function (np §3.3), with independent random
    starts (``start_seed``; a start whose flow is not resolved or whose limit is not certified is redrawn, up to
    START_TRIES times, so that it lies in the stable set of a certified positive KKT point), plus one 1-D block
    G(w) = g·w² started at w = 1 (on its KKT ray), g = θ·max_j G_j*: θ = ``theta`` > 1 makes it the winner; for θ < 1 it
    loses, and θ ∈ [0.3, 0.9] is mapped onto [max(0.3, max_j G_j(w_j0)/max_j G_j* + 0.05), 0.95] where that interval is
    not empty, so that the block with the largest G_i(w_i0) (the 1-D block) loses."""

    problem: NCFProblem
    start_seed: int
    theta: float

    def blocks(self) -> tuple[list[Block] | None, list[str]]:
        """The blocks (None when a neuron found no start in a stable set) and the reasons starts were redrawn."""
        X, z = self.problem.X, self.problem.z.reshape(-1)
        alpha = self.problem.net.activation.alpha
        d, k = X.shape[1], self.problem.net.widths[1]
        out: list[Block] = []
        notes = []
        rng = np.random.default_rng(self.start_seed)
        for j in range(k):
            for _ in range(START_TRIES):
                w0 = rng.standard_normal(d + 1)
                block, note = neuron_block(f"neuron {j}", X, z, alpha, w0 / np.linalg.norm(w0))
                if block is not None:
                    break
                notes.append(f"neuron {j}: start redrawn ({note})")
            if block is None:
                return None, notes
            out.append(block)
        G_max = max(b.G_star for b in out)
        theta = self.theta
        if theta < 1:
            lo = max(0.3, max(b.G0 for b in out) / G_max + 0.05)
            if lo < 0.95:
                theta = lo + (0.95 - lo) * (theta - 0.3) / 0.6
        g = theta * G_max
        out.append(quadratic_block(f"1-D block g·w² (θ={theta:.3g})", np.array([g]), np.eye(1), np.ones(1)))
        return out, notes

    def __str__(self) -> str:
        return f"{self.problem}; neuron starts seed={self.start_seed}; 1-D block θ={self.theta:.4g}"


# ------------------------------------------------------------------------------------------------
# the late windows
# ------------------------------------------------------------------------------------------------

def windows(blocks: list[Block]) -> tuple[float, float, float] | None:
    """Times t_e < t_a < t_b, chosen without the statement: t_a (t_e) is the first doubling time after every block's final
    region where each transient ρ_i − 2G_i*t − κ_i is ≤ e^{−2ℓ} and each block with G_i* below another's G_j* has
    asymptotic log-ratio 2(G_i* − G_j*)t + κ_i − κ_j ≤ −ℓ, ℓ = LATE (EARLY); t_b = 2t_a − t_e. None if later than
    MAX_TIME_SCALES time scales."""
    t0 = max(b.t_final for b in blocks)
    G_max = max(b.G_star for b in blocks)
    unit = 1 / (2 * G_max)

    def settled(t: float, level: float) -> bool:
        if any(b.transient(t) > math.exp(-2 * level) for b in blocks):
            return False
        for bi, bj in itertools.permutations(blocks, 2):
            if bi.G_star < bj.G_star * (1 - TIE) and 2 * (bi.G_star - bj.G_star) * t + bi.kappa - bj.kappa > -level:
                return False
        return True

    def first(level: float) -> float | None:
        s = unit
        while not settled(t0 + s, level):
            s *= 2
            if s > MAX_TIME_SCALES * unit:
                return None
        return t0 + s

    te, ta = first(EARLY), first(LATE)
    if te is None or ta is None:
        return None
    if ta <= te:
        ta = te + (te - t0)
    return te, ta, 2 * ta - te


def log_shares(blocks: list[Block], t: float) -> np.ndarray:
    """log(‖w_i(t)‖/sqrt(Σ_j ‖w_j(t)‖²)) for every block."""
    rho = np.array([b.log_norm(t) for b in blocks])
    return rho - 0.5 * _logsumexp(list(2 * rho))


# ------------------------------------------------------------------------------------------------
# the checker
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DominantSelectionMeasurements:
    """What np.lemma10 measured on one instance: the family, blocks m, winners (G_i* = G*), G* = max_i G_i*, the smallest
    relative gap (G* − G_i*)/G* of a loser, the window times (t_a, t_b), the worst relative rate and limit-share defects,
    whether the block with the largest G_i(w_i0) lost (the instance tells the statement from that selection), and, for
    family (b), the kink events and slides of the exact neuron flows and the starts redrawn."""

    family: str
    blocks: int
    winners: int
    G_star: float
    min_gap: float
    t_a: float
    t_b: float
    worst_rate_defect: float
    worst_share_defect: float
    largest_start_value_lost: bool
    kink_events: int
    slides: int
    redrawn: int


@register
class DominantKKTSelection(Checker):
    """np Lemma 10: the shares of 2-homogeneous blocks tend to a positive limit iff G_i(w_i*) is the largest KKT value."""

    id = "np.lemma10"
    title = "Sum of decoupled 2-homogeneous maximisations: only the blocks of the dominant KKT value keep a positive share"
    source = "np Lemma 10 (eqs. 22–24, proof in §D.4; digest [L10], [Def 2.1], §1.5)"
    statement = (
        "For ẇ_i = ∇G_i(w_i), each G_i 2-homogeneous, w_i0 in the stable set of a second-order positive KKT point w_i* of "
        "max_{‖w_i‖=1} G_i: lim_{t→∞} ‖w_i(t)‖/sqrt(Σ_j‖w_j(t)‖²) is > 0 if G_i(w_i*) = max_j G_j(w_j*) and = 0 otherwise."
    )
    hypotheses_text = (
        "(a) Quadratic blocks G_i(w) = wᵀS_iw (QuadraticBlocks): 2–4 blocks, 1–2 copies of the winning S (λ_max = λ* ∈ "
        "[0.5, 2], dimension 2–4), losers with λ_max ∈ [0.3, 0.9]λ*, so relative gaps ≥ 10%; the KKT values are the "
        "eigenvalues and the second-order positive KKT point is the top eigenvector, whose stable set is every start "
        "with a non-zero top component (≥ 0.1 here); half the instances discriminating (the block with the largest "
        "G_i(w_i0) loses). (b) NeuronBlocks: the 2–4 neurons of a two-layer net σ = max(x, αx), α ∈ {0, 0.1, 0.5, −0.3, 1} "
        "(single-neuron NCFs v·zᵀσ(Xu), non-quadratic and non-smooth for α ≠ 1), n 4–10 i.i.d. samples in d 2–4 "
        "(Gaussian, sphere), z Gaussian, teacher or alternating; random starts, redrawn (≤ 6 times, from the "
        "seed) until the flow's limit is a certified positive KKT point (the stable-set hypothesis); plus a 1-D block g·w² "
        "on its KKT ray with g = θ·max_j G_j*, θ ∈ [0.3, 0.9] (loses; moved above every neuron's G(w0)/G* when possible) "
        "or [1.1, 2] (wins). For kinked σ the second-order property of the neurons' limits is not certified (verify.kkt "
        "does not compute it there); the limits are attracting, reached from the start."
    )
    method = (
        "Each block is solved exactly. (a) w(t) = expm(2S_it)w0 via the eigendecomposition: ρ_i(t) = log‖w_i(t)‖ = "
        "½ log Σ_k c_k²e^{4μ_kt}. (b) The single-neuron flow is linear in each activation region (u̇ = v·a, v̇ = aᵀu): it is "
        "solved in closed form region by region, kink crossings are roots of quadratics in e^{νt}, sliding along a kink is "
        "the Filippov solution (slope in the Clarke box; unresolved cases — a slide turning repulsive, several admissible "
        "modes — redraw the start); it agrees with verify.flow.integrate where that integrator does not slide "
        "(tests/neuron_pursuit/test_lemma10.py). The final region gives ρ_i(t), κ_i = lim ρ_i − 2G_i*t and the limit "
        "direction (â, 1)/√2, certified a KKT point with verify.clarke.certified_subgradient (residual ≤ 1e-9, λ = 2G_i* "
        "> 0). The rates below then follow from closed forms and are exact up to rounding; what the flows decide is which KKT "
        "value each block reaches and its coefficient κ_i, hence which blocks win and their limit shares. Windows t_e < t_a "
        "< t_b (chosen from the blocks' closed forms, not from the statement): all transients "
        "≤ e^{−28} at t_a (e^{−14} at t_e) and every lower-G* block ≤ e^{−14} (e^{−7}) relative to a higher one. Entries "
        "per block, log-share ℓ_i(t) = ρ_i − ½ log Σ_j e^{2ρ_j}: (rate) the late-window rate (ℓ_i(t_b) − ℓ_i(t_a))/(t_b − t_a) "
        "against 2(G_i* − G*) for a loser and 0 for a winner, relative to 2G*, floor = its change from the early window "
        "[t_e, t_a] + 1e-13·max|ρ|/(2G*(t_b − t_a)) (rounding); (limit share, winners) the share at t_b against the closed "
        "form e^{κ_i}/sqrt(Σ_{winners} e^{2κ_j}), floor its change from t_a; (direction, family (a) winners) 1 − "
        "⟨w_i(t_b)/‖w_i(t_b)‖, w_i*⟩. For (b) the limit direction equals the certified KKT point by the stable-set "
        "hypothesis (checked, not counted). Winners: G_i* ≥ (1 − 1e-9)G*. Symbolic obligations: the log-norm identity "
        "ρ̇ = 2G(w/‖w‖) for the closed form, the loser's rate limit 2(λ_2 − λ_1) (two 1-D blocks), the copies' limit "
        "shares, and the single-neuron closed form and KKT point."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-4

    # the statement's knobs
    rate_factor = 2.0  # a loser's log-share decays at rate rate_factor·(G* − G_i*)

    @staticmethod
    def winners(G_star: np.ndarray, G0: np.ndarray) -> set[int]:
        """The blocks whose share tends to a positive limit: those of the largest KKT value."""
        return set(np.nonzero(G_star >= G_star.max() * (1 - TIE))[0].tolist())

    mutants = [
        Mutant("largest G_i(w_i0) wins", "the block(s) with the largest starting value G_i(w_i0) keep a positive share, "
               "the others vanish (losers decay at 2(G_i* − G_W*), G_W* the predicted winner's KKT value)",
               winners=staticmethod(lambda G_star, G0: set(np.nonzero(G0 >= G0.max() - 1e-12 * abs(G0.max()))[0].tolist()))),
        Mutant("all shares stay positive", "no selection: every block keeps a positive share (rate 0 for every block)",
               winners=staticmethod(lambda G_star, G0: set(range(len(G_star))))),
        Mutant("rate e^{−(G*−G_i*)t}", "the losers' shares decay like e^{−(G* − G_i*)t} (the factor 2 of ρ̇ = 2G dropped)",
               rate_factor=1.0),
    ]

    def hypotheses(self):
        quadratic = st.builds(QuadraticBlocks, seed=seeds(), m=st.integers(2, 4), winners=st.integers(1, 2),
                              scale=st.floats(0.5, 2.0), discriminating=st.booleans()).filter(lambda q: q.winners < q.m)
        nets = ncf_problems(data=datasets(kinds=DATA_KINDS, n=(4, 10), d=(2, 4)), depths=(2,), widths=(2, 4),
                            activation=activations(alphas=(0.0, 0.1, 0.5, -0.3, 1.0), ps=(1,)),
                            targets=("gaussian", "teacher", "alternating"))
        neurons = st.builds(NeuronBlocks, problem=nets, start_seed=seeds(),
                            theta=st.one_of(st.floats(0.3, 0.9), st.floats(1.1, 2.0)))
        return st.one_of(quadratic, neurons)

    def claim(self, instance, ctx: Context) -> Evidence:
        text = str(instance)
        redrawn = 0
        if isinstance(instance, QuadraticBlocks):
            blocks, family = instance.blocks(), "quadratic"
        else:
            blocks, notes = instance.blocks()
            family = "neurons"
            if blocks is None:
                return Evidence.undecided(f"no start in the stable set of a certified positive KKT point: {'; '.join(notes[-2:])}",
                                          instance=text)
            redrawn = len(notes)
        G_star = np.array([b.G_star for b in blocks])
        G0 = np.array([b.G0 for b in blocks])
        if not G_star.min() > 0:
            return Evidence.undecided("a block's KKT value is not positive (outside the lemma)", instance=text)
        win = windows(blocks)
        if win is None:
            return Evidence.undecided(f"the selection is slower than {MAX_TIME_SCALES:g} time scales", instance=text)
        te, ta, tb = win
        G_max = float(G_star.max())
        true_winners = set(np.nonzero(G_star >= G_max * (1 - TIE))[0].tolist())
        predicted = self.winners(G_star, G0)
        G_ref = max(G_star[i] for i in predicted)
        ell = {t: log_shares(blocks, t) for t in (te, ta, tb)}
        rho_max = max(abs(b.log_norm(tb)) for b in blocks)
        rounding = 1e-13 * rho_max / (2 * G_max * (tb - ta))
        kappa = np.array([b.kappa for b in blocks])
        limit_norm = 0.5 * _logsumexp([2 * kappa[j] for j in predicted])
        checked: list[Entry] = []
        rate_defects, share_defects = [0.0], [0.0]
        for i, b in enumerate(blocks):
            early = (ell[ta][i] - ell[te][i]) / (ta - te)
            late = (ell[tb][i] - ell[ta][i]) / (tb - ta)
            claimed = 0.0 if i in predicted else self.rate_factor * (G_star[i] - G_ref)
            scale = 2 * G_max
            v = abs(late - claimed) / scale
            rate_defects.append(v)
            role = "winner" if i in predicted else "loser"
            checked.append(Entry(v, abs(late - early) / scale + rounding, True,
                                 f"{b.label} ({role}, G* = {G_star[i]:.6g}): late log-share rate {late:.6g} vs "
                                 f"{claimed:.6g}"))
            if i in predicted:
                limit = math.exp(kappa[i] - limit_norm)
                fine, coarse = math.exp(ell[tb][i]), math.exp(ell[ta][i])
                v = abs(fine - limit) / limit
                share_defects.append(v)
                checked.append(Entry(v, abs(fine - coarse) / limit + 1e-13, True,
                                     f"{b.label}: share at t_b {fine:.6g} vs limit e^κ/sqrt(Σ e^2κ) = {limit:.6g}"))
                if b.checked_direction:
                    cos = float(b.direction_at(tb) @ b.kkt_point)
                    checked.append(Entry(max(0.0, 1 - cos), 1e-15, True, f"{b.label}: limit direction = its KKT point"))
        losers = G_star[G_star < G_max * (1 - TIE)]
        m = DominantSelectionMeasurements(
            family, len(blocks), len(true_winners), G_max, float((G_max - losers.max()) / G_max) if losers.size else math.nan,
            ta, tb, max(rate_defects), max(share_defects), int(np.argmax(G0)) not in true_winners,
            sum(b.events for b in blocks), sum(b.slides for b in blocks), redrawn)
        return Evidence(checked, m, instance=text)

    def obligations(self) -> list[Obligation]:
        t = sp.symbols("t", positive=True)
        l1, l2 = sp.symbols("lambda1 lambda2", real=True)
        x = sp.symbols("x", positive=True)
        log_share2 = 2 * l2 * t - sp.log(sp.exp(4 * l1 * t) + sp.exp(4 * l2 * t)) / 2
        R = 2 * l2 - 2 * (l1 + l2 * x) / (1 + x)  # the rate as a function of x = e^{−4(λ1−λ2)t} → 0 (λ1 > λ2)
        same = sp.simplify(sp.diff(log_share2, t) - R.subs(x, sp.exp(-4 * (l1 - l2) * t))) == 0
        limit = sp.limit(R, x, 0)
        claimed = self.rate_factor * (l2 - l1)
        holds = same and is_zero(limit - claimed)
        rate = Obligation("loser's rate", f"two 1-D blocks λ_i w², λ1 > λ2: d/dt log share_2 → {claimed} as t → ∞",
                          holds, f"limit {limit}")
        return [dataclasses.replace(o) for o in _fixed_obligations()] + [rate]


@functools.cache
def _fixed_obligations() -> tuple[Obligation, ...]:
    """The obligations no mutant changes (computed once: sympy's simplify takes a second)."""
    t, x = sp.symbols("t", positive=True), sp.symbols("x", positive=True)
    out = []
    m1, m2, c1, c2 = sp.symbols("mu1 mu2 c1 c2", real=True)
    w = sp.Matrix([c1 * sp.exp(2 * m1 * t), c2 * sp.exp(2 * m2 * t)])  # expm(2St)w0, S = diag(μ1, μ2)
    flows = all(sp.simplify(sp.diff(w[k], t) - 2 * [m1, m2][k] * w[k]) == 0 for k in range(2))
    rho = sp.log(w.dot(w)) / 2
    G_dir = (m1 * w[0] ** 2 + m2 * w[1] ** 2) / w.dot(w)
    holds = flows and sp.simplify(sp.diff(rho, t) - 2 * G_dir) == 0
    out.append(Obligation("closed form and log-norm identity", "w(t) = expm(2St)w0 solves ẇ = ∇(wᵀSw) and ρ = log‖w‖ has "
                          "ρ̇ = 2G(w/‖w‖) (S = diag(μ1, μ2))", holds))
    a1, a2, a3, g = sp.symbols("a1 a2 a3 g", positive=True)
    lam = sp.symbols("lambda", real=True)
    share1 = a1 / sp.sqrt(a1**2 + a2**2 + a3**2 * x)  # copies 1, 2 at λ, block 3 at λ − g; x = e^{−4gt}
    direct = a1 * sp.exp(2 * lam * t) / sp.sqrt((a1**2 + a2**2) * sp.exp(4 * lam * t) + a3**2 * sp.exp(4 * (lam - g) * t))
    holds = sp.simplify(direct - share1.subs(x, sp.exp(-4 * g * t))) == 0 and \
        sp.simplify(sp.limit(share1, x, 0) - a1 / sp.sqrt(a1**2 + a2**2)) == 0
    out.append(Obligation("winners' limit shares", "copies at λ with top coefficients a1, a2 and a loser at λ − g: share_1 "
                          "→ a1/sqrt(a1² + a2²) > 0", holds))
    nu, ep, em = sp.symbols("nu e_p e_m", real=True)
    p_t = ep * sp.exp(nu * t) + em * sp.exp(-nu * t)
    v_t = ep * sp.exp(nu * t) - em * sp.exp(-nu * t)
    flows = sp.simplify(sp.diff(p_t, t) - nu * v_t) == 0 and sp.simplify(sp.diff(v_t, t) - nu * p_t) == 0
    A1, A2 = sp.symbols("A1 A2", real=True)
    n_a = sp.sqrt(A1**2 + A2**2)
    star = sp.Matrix([A1 / n_a, A2 / n_a, 1]) / sp.sqrt(2)
    u1, u2, v = sp.symbols("u1 u2 v", real=True)
    G = v * (A1 * u1 + A2 * u2)
    grad = sp.Matrix([sp.diff(G, s) for s in (u1, u2, v)]).subs({u1: star[0], u2: star[1], v: star[2]})
    value = G.subs({u1: star[0], u2: star[1], v: star[2]})
    kkt = all(sp.simplify(gk - 2 * value * sk) == 0 for gk, sk in zip(grad, star)) and sp.simplify(value - n_a / 2) == 0
    out.append(Obligation("single-neuron region", "in a region G = v·aᵀu: p ± v = 2e±e^{±νt} solve ṗ = νv, v̇ = νp, and "
                          "(â, 1)/√2 is a KKT point with G* = ‖a‖/2, ∇G = 2G*·w*", flows and kkt))
    return tuple(out)
