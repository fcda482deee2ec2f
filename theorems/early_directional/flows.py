"""Experiment ``edc.flows``: NCF flows on the sphere from random starts — blow-up times, limit directions and the
certified KKT points they reach (the dichotomy of edc Lemma 2, np Lemma 1 and dc2 Lemma 5.3; np Definition 2.1).

Statements illustrated (digests ../shared/spec/early_directional_convergence.md "edc.lemma2", neuron_pursuit.md [L1]
and [Def 2.1], two_homogeneous.md LEM-5.3). For the NCF flow du/dt = ∇N(u), N(u) = zᵀH(X; u) L-homogeneous:

* edc Lemma 2 (L > 2): either (1) ‖u‖ → ∞ at a finite T* and u/‖u‖ converges to a non-negative KKT point of
  max N on the unit sphere, or (2) ‖u‖ stays finite and u/‖u‖ converges to a non-negative KKT point, or u → 0.
  (P1) N(u(t0)) > 0 for some t0 ⇒ case (1); (P4) T* ≤ ‖u0‖²/(L(L−2)N(u0)); (P6) N(u(t)) ≤ 0 for all t ⇒ ‖u‖ is
  non-increasing, and a non-zero limit norm forces N → 0 and ∇N(u*) = 0; (P7) in case (1) N(u*) > 0.
* np Lemma 1 (L ≥ 2): either φ(t, u0) → 0, or ‖φ‖ → ∞ and φ/‖φ‖ converges to a non-negative KKT point.
* dc2 Lemma 5.3 (L = 2): lim N(u(t)) ∈ {+∞, 0}; u/‖u‖ converges or u → 0; a directional limit is a non-negative
  KKT point.
* np Definition 2.1: the stable set S(u*) of a non-negative KKT point u* — the unit starts whose flow converges in
  direction to u*. Its mass under uniform starts is measured here; no paper states a number for it.

Three settings, one figure each: (circle) dc2's squared-ReLU neuron H(x; u) = relu(uᵀx)² on 2-D data, L = 2, whose
direction is an angle θ with dθ/dt = N′(θ) (θ(t) drawn over N(θ) as in dc2 Figure 3; its KKT points are enumerated
exactly); (neuron) v·relu(uᵀx)² on the same data, L = 3, on S² (drawn as a map of (angle of u, v)); (net) a two-layer
squared-ReLU net with 20 parameters, L = 3 (cos(u(t)/‖u‖, u*) against t/T*). The papers run no such experiment.

What it shows beyond the lemmas' shared case: np Lemma 1 as printed has no bounded case other than φ → 0, while edc
Lemma 2 (2) also allows a bounded flow whose direction converges. In the neuron setting a start with v > 0, 2v² > ‖u‖²
and u in the ascent basin of a negative local maximum of g(u) = Σ z_i relu(x_iᵀu)² keeps N < 0, u → 0 and v → a
non-zero constant (the balance ‖u‖² − 2v² is conserved), a set of starts of positive mass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from theorems.saddle_to_saddle.fig2 import wilson
from verify.activations import Activation
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.flow import Flow, FlowStatus, blow_up, integrate, integrate_batch, ncf_flow, sphere_field
from verify.kkt import certify_kkt, kkt_points
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, FeedForward, single_threaded
from verify.sphere import kkt_residual, value_and_grad
from verify.tables import fmt, markdown_table

SQUARED_RELU = Activation(0.0, 2)
RTOL, ATOL = 1e-10, 1e-12  # DOP853 tolerances of the blow-ups on the sphere (verify.flow.blow_up's defaults)
# flows integrated in t use a purely relative error control: a block of u that decays to 0 (a dying neuron, u → 0 on
# the circle) keeps its direction only when its error is small relative to itself. With atol = 1e-12 a bounded start
# of the neuron setting (u → 0, v → 0.85) lost its angle once ‖u‖ < 1e-12 and escaped spuriously at t ≈ 57.
T_ATOL = 1e-300
SPAN = 40.0  # an escaping row is integrated on the sphere until log‖u‖ has grown by this (‖u‖ × e^40)
CONVERGED = 1e-6  # a limit direction counts as converged when its KKT residual is at most this
MATCH = 1e-8  # a limit is the certified point u* when 1 − cos(limit, u*) ≤ MATCH (hidden neurons aligned)
ESCAPE_NORM = 2.0  # a start with N(u0) ≤ 0 is handed to the blow-up integration once ‖u‖ ≥ this (then N(u) > 0)
SETTLED = 1e-6  # a bounded row has settled: ‖u(T)‖ ≤ SETTLED·‖u0‖ (→ 0) or ‖∇N(u(T)/‖u(T)‖)‖ ≤ SETTLED·scale
BOUND_SLACK = 1e-9  # T* ≤ bound·(1 + slack); a T* above bound·(1 + 1e-6) is a violation, in between undecided


@dataclass(frozen=True)
class FlowsSettings:
    """Starts per setting, kkt_points' uniform restarts, rows re-integrated by the scipy reference, points kept per
    drawn path; data sizes (n samples in R^2 for the circle and neuron settings; the net's widths and n)."""

    circle_starts: int
    neuron_starts: int
    net_starts: int
    restarts: int
    references: int
    path_points: int
    n_plane: int = 8
    net_widths: tuple[int, ...] = (3, 5, 1)
    n_net: int = 10


SCALES = {
    "ci": FlowsSettings(circle_starts=12, neuron_starts=12, net_starts=8, restarts=8, references=1, path_points=40),
    "dev": FlowsSettings(circle_starts=150, neuron_starts=150, net_starts=80, restarts=16, references=1, path_points=120),
    "paper": FlowsSettings(circle_starts=1000, neuron_starts=1000, net_starts=400, restarts=32, references=4,
                           path_points=120),
}


@dataclass(frozen=True)
class CertifiedPoint:
    """A certified KKT point of max N on the unit sphere: u, N(u), its KKT residual, where it came from (``kkt_points``,
    ``exact`` — the circle's enumeration — or ``flow``: a limit no listed point matched, certified by certify_kkt),
    and whether it is a local maximum (None: not known)."""

    u: np.ndarray
    value: float
    residual: float
    source: str
    local_max: bool | None


@dataclass(frozen=True)
class FlowRun:
    """One start u0 (unit): what its flow did.

    kind: ``escape`` (‖u‖ → ∞), ``bounded`` (N ≤ 0 throughout and settled: u → 0 or a stationary point) or
    ``undecided``; N0 = N(u0); t_escape: 0 when N(u0) > 0, else the first time ‖u‖ ≥ ESCAPE_NORM (N(u) > 0 then);
    T_star (inf for L = 2), bound (t_escape + ‖u(t_escape)‖²/(L(L−2)N(u(t_escape)))); limit: the end direction, its
    value and KKT residual; point: the certified point it is (−1: none), cosine: 1 − cos to it (aligned); min_value:
    min of N(u/‖u‖) along the recorded path; for bounded rows end_norm, max_norm (‖u‖ over the steps), floor (the
    balance invariants' lower bound on ‖u(t)‖, 0 without one), stationarity ‖∇N(u(T)/‖u(T)‖)‖/scale, end_value
    N(u(T)); via: the integrator; path_t, path_s (directions, k ≤ 3 only), path_cos (cos to the point reached).
    """

    kind: str
    N0: float
    t_escape: float
    T_star: float
    bound: float
    limit: np.ndarray | None
    limit_value: float
    residual: float
    point: int
    cosine: float
    min_value: float
    end_norm: float
    max_norm: float
    floor: float
    stationarity: float
    end_value: float
    via: str
    path_t: np.ndarray
    path_s: np.ndarray | None
    path_cos: np.ndarray


@dataclass(frozen=True)
class SettingResult:
    """One setting: its data, certified points, runs, the scipy cross-check of the batched integration, the curve
    N(θ) (circle and neuron settings), and the decisions on the outcomes (True / False / None) with their numbers."""

    key: str
    title: str
    degree: int
    k: int
    X: np.ndarray
    z: np.ndarray
    points: tuple[CertifiedPoint, ...]
    kkt_summary: str
    exact_positive: int | None  # neuron: positive KKT points from the circle's exact enumeration
    exact_found: int | None  # ... of which kkt_points listed
    scale: float
    horizon: float
    runs: tuple[FlowRun, ...]
    reference: tuple[tuple[str, float, float], ...]  # batch vs scipy: ("blow-up", |ΔT*|/T*, 1 − cos of the limits) or
    # ("flow", |Δ log‖u(T)‖|, 1 − cos of u(T)) for a flow integrated in t
    theta: np.ndarray
    curve: np.ndarray
    flat_arcs: tuple[tuple[float, float], ...]
    decisions: dict[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowsResult:
    scale: str
    seed: int
    settings: FlowsSettings
    parts: tuple[SettingResult, ...]
    seconds: dict[str, float]


# ------------------------------------------------------------------------------------------------
# the circle: dc2's squared-ReLU neuron, exact KKT points
# ------------------------------------------------------------------------------------------------

def circle_ncf(X: torch.Tensor, z: torch.Tensor):
    """N(u) = Σ_i z_i relu(x_iᵀu)² for a batch u (B, 2) (dc2 §5, the per-neuron NCF; 2-homogeneous)."""
    return lambda U: ((U @ X.T).clamp_min(0) ** 2 * z).sum(-1)


def circle_flow(X: torch.Tensor, z: torch.Tensor) -> Flow:
    """The NCF flow du/dt = ∇N(u) of :func:`circle_ncf`, ∇N(u) = 2Σ_i z_i relu(x_iᵀu) x_i written out (autograd costs
    more than the integration here; tests/early_directional/test_flows.py checks it against autograd)."""

    def value_and_grad_(U: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = (U @ X.T).clamp_min(0)
        return (r**2 * z).sum(-1), 2 * (r * z) @ X

    return Flow(value_and_grad_, 1.0, 2.0, None, "circle NCF")


def circle_kkt_points(X: np.ndarray, z: np.ndarray) -> tuple[list[tuple[float, float, bool]], list[tuple[float, float]]]:
    """Every KKT point of max Σ_i z_i relu(x_iᵀu)² on the unit circle, exactly.

    On an arc where the active set S = {i: x_iᵀu > 0} is fixed the NCF is uᵀM_S u with M_S = Σ_{i∈S} z_i x_i x_iᵀ, so
    its critical points there are the unit eigenvectors of M_S lying in the arc (value: the eigenvalue; a local maximum
    iff it is the larger one); N is C¹, so there are no others. An arc where M_S ∝ I is critical throughout (with
    S = ∅ a flat arc of zero KKT points, where ∇N = 0). Returns ([(θ, value, local max)], [flat arcs (a, b)]).
    """
    phi = np.arctan2(X[:, 1], X[:, 0])
    breaks = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi))
    ends = np.append(breaks[1:], breaks[0] + 2 * np.pi)
    points: list[tuple[float, float, bool]] = []
    flats: list[tuple[float, float]] = []
    for a, b in zip(breaks, ends):
        if b - a <= 1e-15:
            continue
        m = (a + b) / 2
        S = X @ np.array([math.cos(m), math.sin(m)]) > 0
        M = (X[S].T * z[S]) @ X[S]
        mu, V = np.linalg.eigh(M)
        if abs(mu[1] - mu[0]) <= 1e-14 * (1 + abs(mu).max()):
            flats.append((float(a), float(b)))
            continue
        for j in (0, 1):
            for sign in (1.0, -1.0):
                th = math.atan2(sign * V[1, j], sign * V[0, j])
                off = np.mod(th - a, 2 * np.pi)
                if off <= (b - a) + 1e-12 and not any(abs(math.remainder(th - q[0], 2 * np.pi)) < 1e-9 for q in points):
                    points.append((th, float(mu[j]), j == 1))
    return points, flats


def _circle_points(X: torch.Tensor, z: torch.Tensor) -> tuple[list[CertifiedPoint], list[tuple[float, float]]]:
    """The exact enumeration, each point certified by its KKT residual (autograd gradient) at float64."""
    F = circle_ncf(X, z)
    found, flats = circle_kkt_points(X.numpy(), z.numpy())
    out = []
    for th, value, local_max in found:
        u = torch.tensor([math.cos(th), math.sin(th)], dtype=DTYPE)
        v, g = value_and_grad(F, u[None])
        res = float(kkt_residual(u, g[0]))
        if res <= 1e-12 and abs(float(v[0]) - value) <= 1e-12 * (1 + abs(value)):
            out.append(CertifiedPoint(u.numpy(), value, res, "exact", local_max))
    return sorted(out, key=lambda p: -p.value), flats


# ------------------------------------------------------------------------------------------------
# helpers shared by the settings
# ------------------------------------------------------------------------------------------------

def aligned_cosine(net: FeedForward | None, s: np.ndarray, u: np.ndarray) -> tuple[float, np.ndarray]:
    """max over permutations π of the hidden neurons of cos(s, πu) for a two-layer net (linear_sum_assignment on the
    neurons' inner products), and πu; for ``net`` None (no neurons to permute) plain cos(s, u), u."""
    s, u = s / np.linalg.norm(s), u / np.linalg.norm(u)
    if net is None or net.depth != 2 or net.widths[1] == 1:
        return float(s @ u), u
    d, m = net.widths[0], net.widths[1]
    out = net.widths[2]

    def neurons(w: np.ndarray) -> np.ndarray:
        W1, W2 = w[: m * d].reshape(m, d), w[m * d:].reshape(out, m)
        return np.concatenate([W1, W2.T], axis=1)

    A, B = neurons(s), neurons(u)
    rows, cols = linear_sum_assignment(-(A @ B.T))
    P = B[cols[np.argsort(rows)]]
    aligned = np.concatenate([P[:, :d].ravel(), P[:, d:].T.ravel()])
    return float(s @ aligned), aligned


def balance_floor(net: FeedForward, u: np.ndarray) -> float:
    """A lower bound on ‖u(t)‖ for all t from the balance invariants of a two-layer net: along the NCF flow
    ‖w_j‖² − p·a_j² is constant for every hidden neuron j (w·∇_w N_j = pN_j, a·∂_a N_j = N_j), so
    ‖(w_j, a_j)‖² ≥ c_j for c_j ≥ 0 and ≥ −c_j/p for c_j < 0. Zero for other nets (no bound used)."""
    if net.depth != 2 or net.widths[2] != 1:
        return 0.0
    d, m, p = net.widths[0], net.widths[1], net.activation.p
    W1, a = u[: m * d].reshape(m, d), u[m * d:]
    c = (W1**2).sum(1) - p * a**2
    return float(math.sqrt(np.where(c >= 0, c, -c / p).sum()))


def _thin(n: int, points: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, points)).round().astype(int))


def _match(net: FeedForward | None, limit: np.ndarray, points: list[CertifiedPoint]) -> tuple[int, float, np.ndarray]:
    """The certified point (value > 0) the limit is, by aligned cosine: (index or −1, 1 − cos, the aligned point)."""
    best, gap, aligned = -1, math.inf, limit
    for j, p in enumerate(points):
        if p.value <= 0:
            continue
        c, a = aligned_cosine(net, limit, p.u)
        if 1 - c < gap:
            best, gap, aligned = j, 1 - c, a
    return (best, gap, aligned) if gap <= MATCH else (-1, gap, limit)


# ------------------------------------------------------------------------------------------------
# batched blow-up on the sphere
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchedBlowUp:
    """:func:`batched_blow_up` per row: T* and its a-priori bound for the unit start, the end direction, log-norm growth,
    its KKT residual, whether the row finished (ρ − ρ0 ≥ SPAN − 1 and residual ≤ CONVERGED), and its recorded path
    (t, s) on the shared τ grid."""

    T_star: np.ndarray
    bound: np.ndarray
    direction: np.ndarray
    rho: np.ndarray
    residual: np.ndarray
    finished: np.ndarray
    paths: list[tuple[np.ndarray, np.ndarray]]


def batched_blow_up(flow: Flow, S: torch.Tensor, *, grid: int = 160) -> BatchedBlowUp:
    """The blow-up of an L-homogeneous flow (L > 2) from unit starts S (B, k) with G(s) > 0, all rows as one tensor
    program: verify.flow.integrate_batch on the reparametrised field of verify.flow.sphere_field (state s, ρ = log‖u‖,
    t; dt/dτ = e^{−(L−2)ρ}), wrapped as a Flow whose velocity is that field.

    integrate_batch has no per-row terminal event, which verify.flow.blow_up uses (ρ − ρ0 ≥ span and direction residual
    ≤ kkt_tol); its per-row stop is ‖state‖ ≥ blow_up_norm. So the state carries q = t·c and the constant c =
    L(L−2)G(s0) = 1/bound, where q ≤ 1 while T* ≤ bound (P4), and blow_up_norm = √(1 + SPAN² + 1 + max c²): a row
    stops once ρ ≥ SPAN (up to the norm of s, 1 to rounding). A row that stops short of ρ ≥ SPAN − 1 or with a direction
    residual above CONVERGED is marked unfinished (the caller redoes it with verify.flow.blow_up). The τ horizon is
    blow_up's default cap, 50·SPAN/(L·G(s0)). T* = t(τ_end) + e^{−(L−2)ρ_end}/((L−2)L·G(s_end)), as in blow_up.
    """
    L = float(flow.degree)
    k = S.shape[1]
    base = sphere_field(flow)
    G0 = flow.potential(S)[0]
    c0 = L * (L - 2) * G0

    def velocity(y: torch.Tensor) -> torch.Tensor:
        f = base(y[:, : k + 2])
        return torch.cat([f[:, : k + 1], f[:, k + 1:] * y[:, k + 2:], torch.zeros_like(y[:, :1])], dim=-1)

    wrapped = Flow(lambda y: (torch.zeros(y.shape[0], dtype=y.dtype), velocity(y)), 1.0, None, None, f"sphere({flow.name})")
    zeros = torch.zeros(len(S), 1, dtype=DTYPE)
    Y0 = torch.cat([S, zeros, zeros, c0[:, None]], dim=1)
    horizon = 50 * SPAN / (L * G0)
    tau = np.geomspace(1e-3 / (L * float(G0.max())), float(horizon.max()), grid)
    bt = integrate_batch(wrapped, Y0, horizon, rtol=RTOL, atol=ATOL, t_eval=tau,
                         blow_up_norm=math.sqrt(2 + SPAN**2 + float(c0.max()) ** 2), max_steps=50_000)
    end = bt.u_end
    s = end[:, :k] / end[:, :k].norm(dim=1, keepdim=True)
    rho, t = end[:, k], end[:, k + 1] / c0
    G, g = flow.potential(s)
    T_star = t + torch.exp(-(L - 2) * rho) / ((L - 2) * L * G)
    res = kkt_residual(s, g)
    finished = (rho >= SPAN - 1) & (res <= CONVERGED) & (G > 0)
    paths = []
    for i in range(len(S)):
        Ui = bt.u_eval[i]
        ok = torch.isfinite(Ui).all(1)
        si = torch.cat([S[i][None], Ui[ok, :k], end[i, :k][None]])
        ti = torch.cat([torch.zeros(1, dtype=DTYPE), Ui[ok, k + 1] / c0[i], t[i][None]])
        paths.append(((ti / T_star[i]).numpy(), (si / si.norm(dim=1, keepdim=True)).numpy()))
    return BatchedBlowUp(T_star.numpy(), (1 / c0).numpy(), s.numpy(), rho.numpy(), res.numpy(), finished.numpy(), paths)


# ------------------------------------------------------------------------------------------------
# the settings
# ------------------------------------------------------------------------------------------------

def _plane_data(rng: np.random.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n samples in R², angles uniform, radii uniform in [0.5, 1.5]; z ~ N(0, I)."""
    angles, radii = rng.uniform(0, 2 * np.pi, n), rng.uniform(0.5, 1.5, n)
    X = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    return torch.as_tensor(X, dtype=DTYPE), torch.as_tensor(rng.standard_normal(n), dtype=DTYPE)


def _circle(X: torch.Tensor, z: torch.Tensor, starts: int, s: FlowsSettings, rng: np.random.Generator) -> SettingResult:
    F = circle_ncf(X, z)
    flow = circle_flow(X, z)
    points, flats = _circle_points(X, z)
    scale = max(abs(p.value) for p in points)
    horizon = 40.0 / scale
    theta0 = rng.uniform(-np.pi, np.pi, starts)
    U0 = torch.as_tensor(np.stack([np.cos(theta0), np.sin(theta0)], axis=1), dtype=DTYPE)
    te = np.concatenate([[0.0], np.geomspace(1e-3 / scale, horizon, s.path_points - 1)])
    bt = integrate_batch(flow, U0, horizon, rtol=RTOL, atol=T_ATOL, t_eval=te, blow_up_norm=1e300)
    runs = []
    for i in range(starts):
        u_end = bt.u_end[i]
        r_end = float(u_end.norm())
        limit = (u_end / r_end).numpy()
        value, g = value_and_grad(F, torch.as_tensor(limit)[None])
        res = float(kkt_residual(torch.as_tensor(limit), g[0]))
        N_end = float(F(u_end[None])[0])
        path = bt.u_eval[i]
        norms = path.norm(dim=1)
        dirs = (path / norms[:, None]).numpy()
        values = F(path / norms[:, None]).numpy()
        N0 = float(F(U0[i][None])[0])
        point, gap, aligned = (-1, math.nan, limit)
        if N_end > 0:
            kind = "escape"
            if res <= CONVERGED:
                point, gap, aligned = _match(None, limit, points)
        elif r_end <= SETTLED or float(g[0].norm()) <= SETTLED * scale:
            kind = "bounded"
        else:
            kind = "undecided"
        runs.append(FlowRun(
            kind, N0, 0.0 if N0 > 0 else math.nan, math.inf if kind == "escape" else math.nan, math.inf, limit,
            float(value[0]), res, point, gap, float(values.min()), r_end, float(norms.max()), 0.0,
            float(g[0].norm()) / scale, N_end, "integrate_batch", te.copy(), dirs, dirs @ aligned))
    reference = []
    for i in range(min(s.references, starts)):  # the scipy reference on the same rows
        tr = integrate(flow, U0[i], horizon, rtol=RTOL, atol=T_ATOL, blow_up_norm=1e300)
        ref = tr.u[-1]
        reference.append(("flow", abs(math.log(np.linalg.norm(ref)) - math.log(runs[i].end_norm)),
                          1 - float(ref @ runs[i].limit) / float(np.linalg.norm(ref))))
    theta = np.linspace(-np.pi, np.pi, 721)
    curve = F(torch.as_tensor(np.stack([np.cos(theta), np.sin(theta)], axis=1))).numpy()
    return SettingResult("circle", "dc2's squared-ReLU neuron relu(uᵀx)² on 2-D data (L = 2, the circle)", 2, 2,
                         X.numpy(), z.numpy(), tuple(points),
                         f"{len(points)} KKT points enumerated exactly ({sum(p.local_max for p in points)} local maxima)"
                         + (f", {len(flats)} flat arcs of zero KKT points" if flats else ""),
                         None, None, scale, horizon, tuple(runs), tuple(reference), theta, curve, tuple(flats))


def _homogeneous(key: str, title: str, net: FeedForward, X: torch.Tensor, z: torch.Tensor, starts: int,
                 s: FlowsSettings, rng: np.random.Generator) -> SettingResult:
    """A net of degree L > 2: certified points (kkt_points), then every start: N(u0) > 0 straight to the batched
    blow-up; N(u0) ≤ 0 first by integrate_batch on u until ‖u‖ ≥ ESCAPE_NORM (then N > 0: the blow-up from there) or
    the horizon (bounded or undecided); scipy's verify.flow.blow_up / integrate re-integrate a few rows of each."""
    L = net.degree
    flow = ncf_flow(net, X, z)
    found = kkt_points(net, X, z, restarts=s.restarts, seed=int(rng.integers(2**31)))
    points = [CertifiedPoint(p.u.numpy(), p.value, p.residual, "kkt_points", p.local_max) for p in found.points]
    scale = max(p.value for p in points)
    horizon = 400.0 / (L * scale)
    U0 = net.random_unit(starts, torch.Generator().manual_seed(int(rng.integers(2**31))))
    N0 = ncf(net, U0, X, z)

    pre: dict[int, tuple[float, float, np.ndarray, np.ndarray]] = {}  # i → (t1, ‖u1‖, path t, path s) before the blow-up
    bounded: dict[int, FlowRun] = {}
    reference: list[tuple[str, float, float]] = []
    escaping = [i for i in range(starts) if float(N0[i]) > 0]
    negative = [i for i in range(starts) if float(N0[i]) <= 0]
    if negative:
        # all at once: a row stops at ‖u‖ = ESCAPE_NORM (N > 0 there: ‖u‖ only grows where N > 0) or at the horizon;
        # rows still moving at the horizon (N ≤ 0, not settled) get one more round, ten horizons long
        track: dict[int, tuple[list[float], list[torch.Tensor]]] = {i: ([0.0], [U0[i]]) for i in negative}
        status: dict[int, FlowStatus] = {}
        active, t0, T = list(negative), 0.0, horizon

        def settled(u: torch.Tensor) -> tuple[bool, float, torch.Tensor, torch.Tensor]:
            r = float(u.norm())
            value, g = ncf_and_grad(net, (u / r)[None], X, z)
            stationarity = float(g[0].norm()) / scale
            return r <= SETTLED or stationarity <= SETTLED, stationarity, value[0], g[0]

        for _ in range(2):
            grid = np.geomspace(1e-3 / (L * scale), T, s.path_points)
            pb = integrate_batch(flow, torch.stack([track[i][1][-1] for i in active]), T, rtol=RTOL, atol=T_ATOL,
                                 t_eval=grid, blow_up_norm=ESCAPE_NORM)
            again = []
            for b, i in enumerate(active):
                ok = torch.isfinite(pb.u_eval[b]).all(1)
                track[i][0].extend((t0 + grid[ok.numpy()]).tolist() + [t0 + float(pb.t_reached[b])])
                track[i][1].extend(list(pb.u_eval[b][ok]) + [pb.u_end[b]])
                status[i] = pb.status[b]
                done, _, value, _ = settled(pb.u_end[b])
                if status[i] is FlowStatus.SUCCESS and float(value) <= 0 and not done:
                    again.append(i)
            active, t0, T = again, horizon, 10 * horizon
            if not active:
                break
        for i in negative:
            ts, us = np.array(track[i][0]), torch.stack(track[i][1])
            norms = us.norm(dim=1)
            dirs = us / norms[:, None]
            r_end, s_end = float(norms[-1]), dirs[-1]
            done, stationarity, value, g = settled(us[-1])
            keep = _thin(len(ts), s.path_points)
            if status[i] is FlowStatus.BLOW_UP or (status[i] is FlowStatus.SUCCESS and float(value) > 0):
                pre[i] = (float(ts[-1]), r_end, ts[keep], dirs[keep].numpy())
                escaping.append(i)
                continue
            values = ncf(net, dirs, X, z).numpy()
            bounded[i] = FlowRun(
                "bounded" if done and status[i] is FlowStatus.SUCCESS else "undecided", float(N0[i]), math.nan, math.nan,
                math.nan, s_end.numpy(), float(value), float(kkt_residual(s_end, g)), -1, math.nan, float(values.min()),
                r_end, float(norms.max()), balance_floor(net, U0[i].numpy()), stationarity, float(value) * r_end**L,
                f"integrate_batch ({status[i]})", ts[keep], dirs[keep].numpy() if net.n_params <= 3 else None,
                np.full(len(keep), math.nan))
        for i in [i for i in negative if i in bounded and bounded[i].path_t[-1] <= horizon][: s.references]:
            tr = integrate(flow, U0[i], horizon, rtol=RTOL, atol=T_ATOL)  # the scipy reference on bounded rows
            ref = tr.u[-1]
            mine = bounded[i]
            reference.append(("flow", abs(math.log(np.linalg.norm(ref)) - math.log(mine.end_norm)),
                              1 - float(ref @ mine.limit) / float(np.linalg.norm(ref))))

    starts_b = torch.stack([U0[i] if i not in pre else torch.as_tensor(pre[i][3][-1]) for i in escaping]) if escaping else None
    batch = batched_blow_up(flow, starts_b, grid=s.path_points) if escaping else None
    runs: list[FlowRun | None] = [None] * starts
    for i, run in bounded.items():
        runs[i] = run
    for b, i in enumerate(escaping):
        t1, r1, pre_t, pre_s = pre.get(i, (0.0, 1.0, np.zeros(0), np.zeros((0, net.n_params))))
        time = r1 ** -(L - 2)  # the flow from r1·s1 is the unit flow from s1 with time scaled by r1^(2−L)
        T_unit, bound_unit, limit = float(batch.T_star[b]), float(batch.bound[b]), batch.direction[b]
        path_f, path_s = batch.paths[b]
        via = "integrate_batch (sphere)"
        if not batch.finished[b]:  # the reference integrator takes over
            bu = blow_up(flow, starts_b[b], rtol=RTOL, atol=ATOL)
            if bu.converged:
                T_unit, limit, via = bu.T_star, bu.direction, "blow_up (scipy)"
                keep = _thin(len(bu.t), s.path_points)
                path_f, path_s = np.append(bu.t[keep], bu.T_star) / bu.T_star, np.vstack([bu.s[keep], bu.direction])
            else:
                via = "unfinished"
        elif sum(r[0] == "blow-up" for r in reference) < s.references and i not in pre:
            bu = blow_up(flow, starts_b[b], rtol=RTOL, atol=ATOL)
            reference.append(("blow-up", abs(bu.T_star - T_unit) / bu.T_star, 1 - float(bu.direction @ limit)))
        keep = _thin(len(path_f), s.path_points)
        path_f, path_s = path_f[keep], path_s[keep]
        T_star = t1 + time * T_unit
        lim_t = torch.as_tensor(limit)
        value, g = ncf_and_grad(net, lim_t[None], X, z)
        res = float(kkt_residual(lim_t, g[0]))
        point, gap, aligned = -1, math.nan, limit
        if via != "unfinished" and res <= CONVERGED:
            point, gap, aligned = _match(net, limit, points)
            if point < 0:  # no listed point: certify the limit itself
                cert = certify_kkt(net, lim_t, X, z)
                if cert is not None and aligned_cosine(net, limit, cert.u.numpy())[0] >= 1 - MATCH:
                    points.append(CertifiedPoint(cert.u.numpy(), float(ncf(net, cert.u, X, z)), cert.residual, "flow", None))
                    point, gap, aligned = _match(net, limit, points)
        full_t = np.concatenate([pre_t, t1 + time * T_unit * path_f])
        full_s = np.vstack([pre_s, path_s]) if len(pre_s) else path_s
        values = ncf(net, torch.as_tensor(full_s), X, z).numpy()
        runs[i] = FlowRun(
            "escape" if via != "unfinished" else "undecided", float(N0[i]), t1, T_star if via != "unfinished" else math.nan,
            t1 + time * bound_unit, limit, float(value[0]), res, point, gap, float(values[len(pre_t):].min()), math.nan,
            math.nan, balance_floor(net, U0[i].numpy()), math.nan, math.nan, via, full_t,
            full_s if net.n_params <= 3 else None, full_s @ aligned)
    theta = np.linspace(-np.pi, np.pi, 721)
    curve = circle_ncf(X, z)(torch.as_tensor(np.stack([np.cos(theta), np.sin(theta)], axis=1))).numpy() if X.shape[1] == 2 \
        else np.zeros(0)
    exact_positive = exact_found = None
    if net.widths == (2, 1, 1):  # the exact list: (w, v) = (√(2/3)e(θ*), sign(g(θ*))/√3), θ* critical for g ≠ 0
        crit, _ = circle_kkt_points(X.numpy(), z.numpy())
        exact = [np.array([math.sqrt(2 / 3) * math.cos(th), math.sqrt(2 / 3) * math.sin(th), math.copysign(1 / math.sqrt(3), v)])
                 for th, v, _ in crit if abs(v) > 1e-12]
        exact_positive = len(exact)
        exact_found = sum(any(float(e @ p.u) >= 1 - MATCH for p in points if p.source == "kkt_points") for e in exact)
    return SettingResult(key, title, L, net.n_params, X.numpy(), z.numpy(), tuple(points), found.summary(), exact_positive,
                         exact_found, scale, horizon, tuple(runs), tuple(reference), theta, curve, ())


# ------------------------------------------------------------------------------------------------
# decisions (computed in run; report only formats)
# ------------------------------------------------------------------------------------------------

def _decide(part: SettingResult) -> dict[str, bool | None]:
    """Each outcome for one setting: True / False / None (undecided); left out where the setting has no row it
    speaks about (no escaping row, no start with N(u0) > 0, no bounded row, L = 2 for the T* bound)."""
    runs = part.runs
    esc = [r for r in runs if r.kind == "escape"]
    bnd = [r for r in runs if r.kind == "bounded"]
    und = [r for r in runs if r.kind == "undecided"]
    out: dict[str, bool | None] = {}
    if esc or und:  # limits of escaping rows: certified non-negative KKT points (a negative limit refutes)
        negative = any(r.residual <= CONVERGED and r.limit_value < 0 for r in esc)
        matched = all(r.point >= 0 and part.points[r.point].value > 0 for r in esc)
        out["limits"] = False if negative else (True if matched and not und else None)
    if part.degree > 2 and (esc or und):  # P4
        over = [r.T_star / r.bound - 1 for r in esc]
        out["bound"] = (False if any(o > 1e-6 for o in over) else
                        True if not und and all(o <= BOUND_SLACK for o in over) else None)
    positive = [r for r in runs if r.N0 > 0]
    if positive:  # P1: N(u0) > 0 ⇒ escape, with N(u/‖u‖) ≥ N(u0/‖u0‖) along the way (P2)
        dropped = any(r.min_value < r.N0 - 1e-9 * part.scale for r in positive)
        out["escape"] = False if dropped or any(r.kind == "bounded" for r in positive) else (
            True if all(r.kind == "escape" for r in positive) else None)
    if bnd:  # case (2): bounded rows keep ‖u‖ ≤ ‖u0‖, and have settled (u → 0 or a stationary direction)
        out["bounded"] = False if any(r.max_norm > 1 + 1e-6 for r in bnd) else (
            True if all(r.max_norm <= 1 + 1e-9 for r in bnd) else None)
        # np Lemma 1: a non-escaping flow converges to the origin; refuted by a settled non-zero end that the
        # balance floor keeps away from 0 for all t, or a start on a flat arc (∇N = 0 exactly: it never moves)
        nonzero = [r for r in bnd if r.end_norm > SETTLED and (r.floor > 1e-3 or r.stationarity == 0)]
        out["origin"] = False if nonzero else (True if all(r.end_norm <= SETTLED for r in bnd) else None)
    return out


# ------------------------------------------------------------------------------------------------
# the experiment
# ------------------------------------------------------------------------------------------------

@register_experiment
class Flows(Experiment):
    name = "edc.flows"
    title = "NCF flows on the sphere from random starts: blow-up times, limit directions, the certified KKT points reached"
    source = "edc Lemma 2 (P1, P4, P6, P7); np Lemma 1 and Definition 2.1 (stable sets); dc2 Lemma 5.3 (ours: no paper figure)"
    settings_text = (
        "**Ours throughout** (the papers run no such experiment and state no numbers for it). Starts (circle / neuron / "
        "net): ci 12 / 12 / 8, dev 150 / 150 / 80, paper 1000 / 1000 / 400 — scale `paper` only adds starts, there being "
        "no paper setting to match. Every random choice is drawn from the run's seed. Data: n = 8 samples in R² "
        "(angles uniform, radii uniform in [0.5, 1.5]), z ~ N(0, I), "
        "shared by the settings *circle* (dc2's neuron relu(uᵀx)², L = 2, u ∈ R²: θ̇ = N′(θ)) and *neuron* "
        "(v·relu(uᵀx)², L = 3, 3 parameters); *net*: a two-layer squared-ReLU net, widths (3, 5, 1), 20 parameters, L = 3, "
        "n = 10, x_i ~ N(0, I_3), z ~ N(0, I). Starts uniform on the unit sphere. Certified KKT points: the circle's are "
        "enumerated exactly (unit eigenvectors of M_S = Σ_{i∈S} z_i x_i x_iᵀ inside the arc of the active set S), each "
        "certified by its KKT residual ≤ 1e-12; the other settings use verify.kkt.kkt_points (certified, deduplicated by "
        "the function computed); a limit no listed point matches is certified on its own (verify.kkt.certify_kkt) and "
        "added. Integration: DOP853, rtol 1e-10; atol 1e-12 on the sphere, 1e-300 (purely relative) for flows in t, "
        "so a block of u that decays to 0 keeps its direction. L = 2: verify.flow.integrate_batch on u over "
        "[0, 40/max|N|] (escape: N(u(T)) > 0, which forces ‖u‖ → ∞). L = 3: starts with N(u0) > 0 go to the blow-up on "
        "the sphere (state s, ρ = log‖u‖, t in the time τ with dt/dτ = ‖u‖^{−(L−2)}) run for all rows at once by "
        "integrate_batch until ρ − ρ0 ≥ 40 (rows it leaves unfinished are redone by verify.flow.blow_up, and a few "
        "finished rows are re-integrated by it as a cross-check); starts with N(u0) ≤ 0 run in integrate_batch on u until "
        "‖u‖ = 2 (then N(u) > 0 and the blow-up continues from there, T* counted from t = 0) or t = 400/(L·max N), rows "
        "still moving then for ten times as long. A limit is a certified point u* when 1 − cos(limit, πu*) ≤ 1e-8 with π "
        "the best permutation of hidden neurons (linear assignment). A non-escaping row is *bounded* when it has settled "
        "(‖u(T)‖ ≤ 1e-6 or ‖∇N(u(T)/‖u(T)‖)‖ ≤ 1e-6·max N), else "
        "undecided. Basin masses carry 95% Wilson intervals."
    )

    def run(self, scale: str, seed: int, device) -> FlowsResult:
        import time

        s = SCALES[check_scale(scale)]
        rng = np.random.default_rng(seed)
        seconds: dict[str, float] = {}
        with single_threaded():
            X2, z2 = _plane_data(rng, s.n_plane)
            t0 = time.perf_counter()
            circle = _circle(X2, z2, s.circle_starts, s, rng)
            seconds["circle"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            neuron = _homogeneous("neuron", "a squared-ReLU neuron v·relu(uᵀx)² on the same data (L = 3, S²)",
                                  FeedForward((2, 1, 1), SQUARED_RELU), X2, z2, s.neuron_starts, s, rng)
            seconds["neuron"] = time.perf_counter() - t0
            d, n = s.net_widths[0], s.n_net
            Xn = torch.as_tensor(rng.standard_normal((n, d)), dtype=DTYPE)
            zn = torch.as_tensor(rng.standard_normal(n), dtype=DTYPE)
            t0 = time.perf_counter()
            net = FeedForward(s.net_widths, SQUARED_RELU)
            deep = _homogeneous("net", f"a two-layer squared-ReLU net, widths {s.net_widths} ({net.n_params} parameters, L = 3)",
                                net, Xn, zn, s.net_starts, s, rng)
            seconds["net"] = time.perf_counter() - t0
        parts = tuple(SettingResult(**{**vars(p), "decisions": _decide(p)}) for p in (circle, neuron, deep))
        return FlowsResult(scale, seed, s, parts, seconds)

    # -----------------------------------------------------------------------------------------
    # report: formatting only

    def report(self, result: FlowsResult, figure_dir: Path) -> ExperimentReport:
        parts = result.parts

        def combined(key: str) -> bool | None:
            got = [p.decisions[key] for p in parts if key in p.decisions]
            return False if False in got else (True if got and all(g is True for g in got) else None)

        def per(fn) -> str:
            return "; ".join(f"{p.key}: {fn(p)}" for p in parts)

        def esc(p: SettingResult) -> list[FlowRun]:
            return [r for r in p.runs if r.kind == "escape"]

        def bnd(p: SettingResult) -> list[FlowRun]:
            return [r for r in p.runs if r.kind == "bounded"]

        def nonzero(p: SettingResult) -> list[FlowRun]:
            return [r for r in bnd(p) if r.end_norm > SETTLED]

        def und(p: SettingResult) -> int:
            return sum(r.kind == "undecided" for r in p.runs)

        homog = [p for p in parts if p.degree > 2]
        outcomes = [
            Outcome("every escaping flow converges in direction to a certified non-negative KKT point (edc Lemma 2 case 1 "
                    "and P7; np Lemma 1; dc2 Lemma 5.3 (iii))", "a non-negative KKT point (N(u*) > 0 for L > 2)",
                    per(lambda p: f"{sum(r.point >= 0 for r in esc(p))}/{len(esc(p))} limits are certified points with N > 0"
                        + (f", {und(p)} runs undecided" if und(p) else "")),
                    combined("limits"), f"a limit is the point when 1 − cos ≤ {MATCH:g} (hidden neurons aligned); a limit "
                    "with N < 0 would refute it; an undecided run leaves it undecided"),
            Outcome("T* ≤ ‖u0‖²/(L(L−2)N(u0)) (edc Lemma 2 P4)", "T* at most the bound",
                    "; ".join(f"{p.key}: max T*/bound = {fmt(max((r.T_star / r.bound for r in esc(p)), default=math.nan), 6)}"
                              f" over {len(esc(p))} blow-ups" for p in homog),
                    combined("bound"), "for a start with N(u0) ≤ 0 the bound is taken from the time t1 where ‖u‖ first "
                    f"reaches {ESCAPE_NORM:g}·‖u0‖ (N(u(t1)) > 0; P4 applied there); a ratio above 1 + 1e-6 would refute it"),
            Outcome("N(u0) > 0 ⇒ the flow escapes (edc Lemma 2 P1; for L = 2 as t → ∞)", "escape",
                    per(lambda p: f"{sum(r.kind == 'escape' for r in p.runs if r.N0 > 0)}/{sum(r.N0 > 0 for r in p.runs)}"
                        f" starts with N(u0) > 0 escape; "
                        f"{sum(r.kind == 'escape' for r in p.runs if r.N0 <= 0)}/{sum(r.N0 <= 0 for r in p.runs)} with "
                        "N(u0) ≤ 0 do"), combined("escape"),
                    "escape: the blow-up integration reached ‖u‖ = e^40‖u_start‖ at a finite T* (L = 3), N(u(T)) > 0 "
                    "(L = 2); N(u/‖u‖) never dropped below N(u0) (P2)"),
            Outcome("a flow that does not escape stays bounded: ‖u‖ non-increasing, N → 0, u → 0 or its direction → a "
                    "zero KKT point (edc Lemma 2 case 2, P6; dc2 Lemma 5.3 (i))", "bounded",
                    per(lambda p: f"{len(bnd(p))} bounded, max ‖u(t)‖/‖u0‖ = "
                        f"{fmt(max(r.max_norm for r in bnd(p)), 12)}, max ‖∇N(u(T)/‖u(T)‖)‖/max N = "
                        f"{fmt(max(r.stationarity for r in bnd(p) if r.end_norm > SETTLED), 2) if nonzero(p) else '–'}"
                        if bnd(p) else "no bounded start"),
                    combined("bounded"), "decided on the settings with bounded starts; a row is bounded once settled: "
                    f"‖u(T)‖ ≤ {SETTLED:g} or ‖∇N(u(T)/‖u(T)‖)‖ ≤ {SETTLED:g}·max N"),
            Outcome("np Lemma 1: a flow that does not escape converges to the origin", "φ(t, u0) → 0",
                    per(lambda p: (f"{len(bnd(p)) - len(nonzero(p))} of {len(bnd(p))} bounded flows end at ‖u(T)‖ ≤ "
                                   f"{SETTLED:g}, {len(nonzero(p))} settle at a non-zero point"
                                   + (f" (‖u(T)‖ ∈ [{fmt(min(r.end_norm for r in nonzero(p)))}, "
                                      f"{fmt(max(r.end_norm for r in nonzero(p)))}], balance floors "
                                      f"[{fmt(min(r.floor for r in nonzero(p)))}, {fmt(max(r.floor for r in nonzero(p)))}])"
                                      if nonzero(p) else "")) if bnd(p) else "no bounded start"),
                    combined("origin"),
                    "edc Lemma 2 case 2 also allows a bounded flow whose direction converges; for the two-layer nets the "
                    "balance invariants ‖w_j‖² − p·a_j² keep ‖u(t)‖ ≥ the floor for all t, so a bounded start with a "
                    "positive floor cannot converge to 0; on the circle a start on a flat arc (∇N = 0) stays put. "
                    "Refuted by a settled bounded start whose balance floor exceeds 1e-3 (or with ∇N = 0 exactly); "
                    "reproduced when every bounded start ends at ‖u(T)‖ ≤ 1e-6"),
            Outcome("stable-set masses (np Definition 2.1) under uniform starts", "paper: no number",
                    per(lambda p: ", ".join(f"u*{j + 1} {fmt(m, 2)}" for j, m in _masses(p) if m > 0) or "none"),
                    None, "the papers state no number for this experiment; the measured masses are in the tables below"),
        ]
        md = []
        for p in parts:
            md += _section(p)
        md += ["## Integrator cross-check", "",
               markdown_table(["setting", "kind", "rows", "max |ΔT*|/T* (blow-up) or |Δ log‖u(T)‖| (flow)",
                               "max 1 − cos of the end directions"],
                              [[p.key, kind, len(sel), fmt(max(a for _, a, _ in sel)), fmt(max(c for _, _, c in sel))]
                               for p in parts for kind in ("blow-up", "flow")
                               if (sel := [r for r in p.reference if r[0] == kind])]), "",
               markdown_table(["setting", "blow-up rows redone by verify.flow.blow_up", "computing time (s)"],
                              [[p.key, sum(r.via == "blow_up (scipy)" for r in p.runs), fmt(result.seconds.get(p.key, math.nan))]
                               for p in parts]), "",
               "Rows of the batched integrations (verify.flow.integrate_batch) re-integrated from the same start by the "
               "scipy reference: verify.flow.blow_up for blow-ups (T* and the limit direction), verify.flow.integrate for "
               "flows integrated in t to the horizon (the circle, and bounded rows of the L = 3 settings). integrate_batch "
               "has no per-row terminal event, so the blow-up rows stop on the norm of a state that carries ρ = log‖u‖ "
               "(batched_blow_up in the module); rows it leaves unfinished are redone by verify.flow.blow_up.", ""]
        figures = [_figure(p, Path(figure_dir) / f"{self.name}-{p.key}.png") for p in parts]
        data = {"seconds": result.seconds, "settings": result.settings,
                "parts": {p.key: {"decisions": p.decisions, "scale": p.scale, "kkt": p.kkt_summary,
                                  "masses": {f"u*{j + 1}": m for j, m in _masses(p)},
                                  "escape": sum(r.kind == "escape" for r in p.runs),
                                  "bounded": sum(r.kind == "bounded" for r in p.runs), "undecided": und(p),
                                  "max_T_over_bound": max((r.T_star / r.bound for r in esc(p)), default=None) if p.degree > 2
                                  else None, "reference": [list(x) for x in p.reference]} for p in parts}}
        return ExperimentReport("\n".join(md), figures, outcomes, data)


def _masses(p: SettingResult) -> list[tuple[int, float]]:
    n = len(p.runs)
    return [(j, sum(r.point == j for r in p.runs) / n) for j in range(len(p.points))]


def _section(p: SettingResult) -> list[str]:
    n = len(p.runs)
    rows = []
    for j, q in enumerate(p.points):
        hits = sum(r.point == j for r in p.runs)
        lo, hi = wilson(hits, n)
        T = [r.T_star for r in p.runs if r.point == j]
        rows.append([f"u*{j + 1}", fmt(q.value, 6), fmt(q.residual), q.source, fmt(q.local_max), hits,
                     f"{fmt(hits / n, 3)} [{fmt(lo, 2)}, {fmt(hi, 2)}]",
                     fmt(float(np.median(T)), 4) if T and p.degree > 2 else "–"])
    for label, kind in (("no escape (bounded)", "bounded"), ("undecided", "undecided")):
        hits = sum(r.kind == kind for r in p.runs)
        lo, hi = wilson(hits, n)
        rows.append([label, "–", "–", "–", "–", hits, f"{fmt(hits / n, 3)} [{fmt(lo, 2)}, {fmt(hi, 2)}]", "–"])
    unmatched = sum(r.kind == "escape" and r.point < 0 for r in p.runs)
    rows.append(["escaping, matching no certified point", "–", "–", "–", "–", unmatched, fmt(unmatched / n, 3), "–"])
    out = [f"## Setting `{p.key}`: {p.title}", "",
           f"{n} starts; certified points: {p.kkt_summary}."
           + (f" The exact enumeration (critical angles of the circle NCF with N ≠ 0) has {p.exact_positive} positive KKT "
              f"points; kkt_points listed {p.exact_found} of them." if p.exact_positive is not None else ""), "",
           markdown_table(["point", "N(u*)", "KKT residual", "source", "local max", "starts reaching it",
                           "mass [95% Wilson]", "median T*"], rows), ""]
    esc = [r for r in p.runs if r.kind == "escape"]
    if p.degree > 2 and esc:
        ratio = np.array([r.T_star / r.bound for r in esc])
        late = [r for r in esc if r.N0 <= 0]
        out += [f"Blow-up times: T*/bound in [{fmt(float(ratio.min()), 4)}, {fmt(float(ratio.max()), 6)}] over {len(esc)} "
                f"escaping starts ({len(late)} of them with N(u0) ≤ 0, which escape after t = "
                f"{fmt(min((r.t_escape for r in late), default=math.nan), 3)}–{fmt(max((r.t_escape for r in late), default=math.nan), 3)})."
                , ""]
    bounded = [(i, r) for i, r in enumerate(p.runs) if r.kind == "bounded"]
    if bounded:
        out += [f"Bounded flows ({len(bounded)}; the first 12):", "", markdown_table(
            ["start", "N(u0)", "‖u(T)‖", "max ‖u(t)‖", "balance floor", "N(u(T))", "‖∇N(u(T)/‖u(T)‖)‖/max N",
             "N(u(T)/‖u(T)‖)"],
            [[i, fmt(r.N0), fmt(r.end_norm), fmt(r.max_norm, 12), fmt(r.floor), fmt(r.end_value), fmt(r.stationarity),
              fmt(r.limit_value)] for i, r in bounded[:12]]), ""]
    return out


# ------------------------------------------------------------------------------------------------
# figures
# ------------------------------------------------------------------------------------------------

def _colour(j: int):
    from verify.plots import plt

    return plt.get_cmap("tab10")(j % 10)


def _basins(ax, p: SettingResult) -> None:
    masses = _masses(p)
    labels = [f"u*{j + 1}" for j, _ in masses] + ["bounded", "undecided"]
    n = len(p.runs)
    values = [m for _, m in masses] + [sum(r.kind == "bounded" for r in p.runs) / n, sum(r.kind == "undecided" for r in p.runs) / n]
    colours = [_colour(j) for j, _ in masses] + ["0.4", "0.8"]
    ax.bar(range(len(values)), values, color=colours)
    ax.set_xticks(range(len(values)), labels, rotation=60, fontsize=7)
    ax.set_ylabel("fraction of starts")
    ax.set_title(f"basins (stable sets), {n} starts", fontsize=9)


def _bound_scatter(ax, p: SettingResult) -> None:
    esc = [r for r in p.runs if r.kind == "escape"]
    if not esc:
        ax.set_title("no blow-up")
        return
    b = np.array([r.bound for r in esc])
    T = np.array([r.T_star for r in esc])
    late = np.array([r.N0 <= 0 for r in esc])
    colours = np.array([_colour(r.point) if r.point >= 0 else (1.0, 0.0, 0.0, 1.0) for r in esc])
    ax.scatter(b[~late], T[~late], s=10, c=colours[~late], label="N(u0) > 0: bound from u0")
    ax.scatter(b[late], T[late], s=14, facecolors="none", edgecolors=colours[late],
               label="N(u0) ≤ 0: bound from the time ‖u‖ = 2")
    lo, hi = float(min(b.min(), T.min())), float(max(b.max(), T.max()))
    ax.plot([lo, hi], [lo, hi], "k:", lw=1, label="T* = bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("a-priori bound ‖u0‖²/(L(L−2)N(u0))")
    ax.set_ylabel("T*")
    ax.legend(fontsize=7)
    ax.set_title("blow-up times (P4)", fontsize=9)


def _figure(p: SettingResult, path: Path) -> Path:
    from verify.plots import plt, save_figure

    if p.key == "circle":
        fig = plt.figure(figsize=(11, 6))
        gs = fig.add_gridspec(2, 2, width_ratios=(3, 1), height_ratios=(1, 2))
        top, bottom, side = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[:, 1])
        deg = np.degrees(p.theta)
        top.plot(deg, p.curve, "k", lw=1)
        top.axhline(0, color="0.6", lw=0.5)
        for j, q in enumerate(p.points):
            th = math.degrees(math.atan2(q.u[1], q.u[0]))
            top.plot(th, q.value, "*" if q.local_max else "o", color=_colour(j), ms=9 if q.local_max else 4)
            if q.local_max and q.value > 0:
                top.annotate(f"u*{j + 1}", (th, q.value), fontsize=7, xytext=(3, 3), textcoords="offset points")
        top.set_xlim(-180, 180)
        top.set_ylabel("N(θ)")
        top.set_title("circle NCF N(θ) = Σ z_i relu(x_iᵀ(cos θ, sin θ))²; ★ local maxima", fontsize=9)
        for r in p.runs:
            th = np.degrees(np.arctan2(r.path_s[:, 1], r.path_s[:, 0]))
            jumps = np.abs(np.diff(th)) > 180
            th = np.insert(th, np.nonzero(jumps)[0] + 1, np.nan)
            t = np.insert(r.path_t, np.nonzero(jumps)[0] + 1, np.nan)
            colour = _colour(r.point) if r.point >= 0 else ("0.3" if r.kind == "bounded" else "r")
            bottom.plot(th, t, color=colour, lw=0.7, ls="-" if r.kind == "escape" else "--")
        bottom.set_xlim(-180, 180)
        bottom.set_yscale("symlog", linthresh=0.1 / p.scale)
        bottom.set_ylim(p.horizon, 0)
        bottom.set_xlabel("θ (degrees)")
        bottom.set_ylabel("t (linear below 0.1/max|N|, then log)")
        bottom.set_title("θ(t) from random starts (colour: limit; dashed grey: ‖u‖ → 0 or stays)", fontsize=9)
        _basins(side, p)
    elif p.key == "neuron":
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": (2.2, 1, 1)})
        ax = axes[0]
        th = np.linspace(-np.pi, np.pi, 361)
        sv = np.linspace(-1, 1, 201)
        g = np.interp(th, p.theta, p.curve)
        N = sv[:, None] * (1 - sv[:, None] ** 2) * g[None, :]
        lim = float(np.abs(N).max())
        mesh = ax.pcolormesh(np.degrees(th), sv, N, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
        fig.colorbar(mesh, ax=ax, label="N(s) on the sphere")
        for r in p.runs:
            S = r.path_s
            ang = np.degrees(np.arctan2(S[:, 1], S[:, 0]))
            jumps = np.abs(np.diff(ang)) > 180
            ang = np.insert(ang, np.nonzero(jumps)[0] + 1, np.nan)
            v = np.insert(S[:, 2], np.nonzero(jumps)[0] + 1, np.nan)
            colour = _colour(r.point) if r.point >= 0 else ("k" if r.kind == "bounded" else "r")
            ax.plot(ang, v, color=colour, lw=0.8, ls="-" if r.kind == "escape" else "--")
            ax.plot(ang[0], v[0], ".", color=colour, ms=3)
        for j, q in enumerate(p.points):
            a = math.degrees(math.atan2(q.u[1], q.u[0]))
            ax.plot(a, q.u[2], "*", color=_colour(j), ms=12, mec="k")
            ax.annotate(f"u*{j + 1}", (a, q.u[2]), fontsize=7, xytext=(4, 4), textcoords="offset points")
        ax.set_xlim(-180, 180)
        ax.set_ylim(-1, 1)
        ax.set_xlabel("angle of u (degrees)")
        ax.set_ylabel("v (unit sphere: v² + ‖u‖² = 1)")
        ax.set_title("directions (v, u)/‖·‖ from random starts; ★ certified KKT points; dashed: no escape", fontsize=9)
        _bound_scatter(axes[1], p)
        _basins(axes[2], p)
    else:
        fig, axes = plt.subplots(2, 2, figsize=(12, 8))
        for r in p.runs:
            if r.kind != "escape":
                continue
            colour = _colour(r.point) if r.point >= 0 else "r"
            frac = r.path_t / r.T_star
            axes[0, 0].plot(frac, r.path_cos, color=colour, lw=0.6, alpha=0.8)
            rest = np.clip(1 - frac, 1e-12, None)
            axes[0, 1].plot(rest, r.path_cos, color=colour, lw=0.6, alpha=0.8)
        axes[0, 0].set_xlabel("t/T*")
        axes[0, 0].set_ylabel("cos(u(t)/‖u(t)‖, u*) (u* the point reached)")
        axes[0, 0].set_title("alignment with the certified KKT point reached", fontsize=9)
        axes[0, 1].set_xscale("log")
        axes[0, 1].set_xlim(1.5, 1e-10)
        axes[0, 1].set_xlabel("1 − t/T* (log)")
        axes[0, 1].set_title("the same against the time left to the blow-up", fontsize=9)
        _bound_scatter(axes[1, 0], p)
        _basins(axes[1, 1], p)
    fig.suptitle(f"edc.flows — {p.title}", fontsize=10)
    return save_figure(fig, path, dpi=100)
