"""dc2 Lemma C.7: an NCF flow that does not vanish stays uniformly away from the origin, with a constructive (η, T).

Source: Kumar & Haupt (dc2), Lemma C.7 and its proof (three cases); digest ../shared/spec/two_homogeneous.md LEM-C.7
(with the garbled case 2 read as in T21: "N(u(t̄)) > 0 then ‖u(t)‖ ≥ ‖u(t̄)‖ for t ≥ t̄").

Statement. Let u(t) solve u̇ ∈ ∂N(u), N(u) = zᵀH(X; u) with H two-homogeneous. If lim_{t→∞} u(t) ≠ 0, there are
η > 0 and T ≥ 0 with ‖u(t)‖ ≥ η for all t ≥ T; constructively (d‖u‖²/dt = 4N, and N is non-decreasing along the flow):

    case 1, N(u(0)) > 0:                         η = ‖u(0)‖,      T = 0;
    case 2, N(u(0)) ≤ 0 < N(u(t̄)) for some t̄:   η = ‖u(t̄)‖,      T = t̄;
    case 3, N(u(t)) ≤ 0 for all t ≥ 0:          η = lim ‖u(t)‖,  T = 0   (‖u‖ is non-increasing).

If u(t) → 0 the statement makes no claim (then case 3 holds with lim ‖u‖ = 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.two_layer import two_layer_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least
from verify.flow import Flow, FlowStatus, integrate, random_start, two_tolerances
from verify.ncf import ncf
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.strategies import NCFProblem, datasets, seeds
from verify.symbolic import is_zero

POINTS = 64  # grid intervals on [0, H]: the "dense grid" every claim is decided on
RTOL = 1e-9  # coarse tolerance; the fine one is 100× smaller
MAX_STEPS = 3_000  # per smooth segment
MAX_SEGMENTS = 60  # kink crossings followed before a flow is stopped
AFTER = 4  # grid times needed after T for a bound that is not a tautology (checked at T alone it would hold by definition)
STRETCHES = (1, 4, 16)  # horizons tried, in units of the base horizon, while the case is undetermined
PRESENT = 1e-8  # an eigencomponent below PRESENT·‖u0‖ is rounding of an aimed start (its effect on H is < 1e-11)


# ------------------------------------------------------------------------------------------------
# the NCF flow of a two-layer (leaky-)ReLU net, one activation pattern at a time
# ------------------------------------------------------------------------------------------------

def pattern_flow(net: FeedForward, X: torch.Tensor, z: torch.Tensor, signs: torch.Tensor) -> Flow:
    """The NCF flow of the two-layer net (d, k, 1), σ = max(x, αx), with the activation pattern frozen at ``signs``
    (n, k) ∈ {±1}: N = Σ_k v_k g_kᵀu_k with g_k = Σ_i z_iσ′_ik x_i (σ′ = c₊ or c₋ by the sign), a linear flow that equals
    the NCF flow wherever the pattern is ``signs``."""
    lo, hi = net.activation.slopes
    slopes = torch.where(signs > 0, torch.tensor(hi, dtype=DTYPE), torch.tensor(lo, dtype=DTYPE))
    G = (z[:, None] * slopes).T @ X  # (k, d): g_k

    def value_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        W1, W2 = net.split(u)
        a = (W1 * G).sum(-1)  # g_kᵀu_k
        v = W2[..., 0, :]
        return (v * a).sum(-1), net.flatten([v[..., None] * G, a[..., None, :]])

    return Flow(value_and_grad, 1.0, 2.0, None, f"NCF of {net} in a frozen activation pattern")


def pattern_at_rest(net: FeedForward, X: torch.Tensor, z: torch.Tensor, signs: torch.Tensor) -> bool:
    """True when the frozen pattern's field vanishes identically: every g_k = Σ_i z_iσ′_ik x_i is zero up to its rounding
    (a dead ReLU neuron, or correlations that cancel). The flow then stays where it is for ever."""
    lo, hi = net.activation.slopes
    slopes = torch.where(signs > 0, torch.tensor(hi, dtype=DTYPE), torch.tensor(lo, dtype=DTYPE))
    G = (z[:, None] * slopes).T @ X
    bound = 64 * EPS * ((z.abs()[:, None] * slopes.abs()).T @ X.norm(dim=1)[:, None])[:, 0]
    return bool((G.norm(dim=1) <= bound).all())


@dataclass(frozen=True)
class KinkedPath:
    """The NCF flow of a two-layer net at the grid times (:func:`kinked_ncf_path`): ``u`` (m, P) with NaN rows after a
    stop; ``t_rest`` the time a rest point was reached (inf: never); ``crossings``; ``end`` how it ended; ``t_end`` the
    time it stopped at (inf: it reached the last grid time)."""

    u: np.ndarray
    t_rest: float
    crossings: int
    end: str
    t_end: float = math.inf


def kinked_ncf_path(net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, times: np.ndarray,
                    rtol: float, atol: float) -> KinkedPath:
    """The NCF flow of a two-layer (d, k, 1) net with σ = max(x, αx), integrated one activation pattern at a time.

    In a pattern the flow is linear and smooth (:func:`pattern_flow`), integrated by verify.flow.integrate (DOP853) up to
    a terminal event where a pre-activation has crossed its kink by δ = rtol·max|h| (so the next pattern starts strictly
    on the new side; δ shrinks with the tolerance, so the two-tolerance floor covers it). At a crossing the new pattern's
    field must carry the pre-activation on into the new side (a transversal crossing, where the Filippov solution is
    the concatenation); if it pushes back, the solution slides along the kink, which is not followed: the path stops
    (end "sliding"). A pattern whose field vanishes identically is a rest point: the path stays there for ever.
    For α = 1 there is no kink and one segment. The exact Filippov solution for transversal crossings, at the cost of a
    smooth integration per pattern (the integrator never steps across a discontinuity of the field).
    """
    k, d = net.widths[1], net.widths[0]
    Xn = X.numpy()
    out = np.full((len(times), net.n_params), math.nan)
    horizon = float(times[-1])
    u = u0.clone()
    h = X @ net.split(u)[0].T
    if bool((h == 0).any()) and net.activation.kinked:
        return KinkedPath(out, math.inf, 0, "the start is on a kink")
    signs = torch.where(h >= 0, 1.0, -1.0).to(DTYPE)
    t0, crossings = 0.0, 0
    for _ in range(MAX_SEGMENTS):
        if pattern_at_rest(net, X, z, signs):
            out[times >= t0] = u.numpy()
            return KinkedPath(out, t0, crossings, f"at rest from t = {t0:.4g}")
        flow = pattern_flow(net, X, z, signs)
        events = {}
        if net.activation.kinked:
            S = signs.numpy()
            delta = rtol * float(h.abs().max())

            def crossed(_t: float, y: np.ndarray, S=S, delta=delta) -> float:
                return float((S * (Xn @ y[: k * d].reshape(k, d).T)).min()) + delta

            crossed.terminal, crossed.direction = True, -1.0  # type: ignore[attr-defined]
            events["kink"] = crossed
        path = integrate(flow, u, horizon - t0, rtol=rtol, atol=atol, events=events, max_steps=MAX_STEPS)
        end = t0 + path.t_reached
        inside = (times >= t0) & (times <= end)
        if inside.any():
            out[inside] = path.at(np.minimum(times[inside] - t0, path.t_reached)).reshape(-1, net.n_params)
        if path.status is not FlowStatus.SUCCESS:
            return KinkedPath(out, math.inf, crossings, f"{path.status} at t = {end:.4g}", end)
        if not len(path.events.get("kink", ())) or end >= horizon:
            return KinkedPath(out, math.inf, crossings, "reached the horizon")
        u = torch.as_tensor(path.at(path.t_reached), dtype=DTYPE)
        h = X @ net.split(u)[0].T
        hit = signs * h < 0
        new = torch.where(hit, -signs, signs)
        h_dot = X @ net.split(pattern_flow(net, X, z, new).velocity(u[None])[0])[0].T
        if bool(((new * h_dot)[hit] < 0).any()):
            return KinkedPath(out, math.inf, crossings, f"sliding along a kink from t = {end:.4g}", end)
        signs, t0 = new, end
        crossings += int(hit.sum())
    return KinkedPath(out, math.inf, crossings, f"{MAX_SEGMENTS} patterns followed by t = {t0:.4g}", t0)


# ------------------------------------------------------------------------------------------------
# instances: three families of flows
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NetFlows:
    """Family "net": a two-layer (leaky-)ReLU NCF problem and one random direction, run from two starts of norm
    ``radius``: W2 signed so that N(u0) > 0, and negated (N(u0) < 0)."""

    problem: NCFProblem
    seed: int
    radius: float

    def __str__(self) -> str:
        return f"net: {self.problem}; start seed={self.seed} radius={self.radius:.4g}"


@dataclass(frozen=True)
class DeadNeurons:
    """Family "dead": a ReLU net (d, width, 1) on inputs in a cone (pairwise xᵢᵀxⱼ ≥ 0: |Gaussian| rows, rotated) with
    labels z < 0; output weights v_k = s_k‖u_k‖/ratio with s_k = +1 (``signs`` "positive") or random (``mixed``); every
    neuron alive at the start (a row u_k with all pre-activations ≤ 0 is negated). With v_k > 0 a neuron's
    pre-activations only decrease and it dies (u̇_k = 0, v̇_k = 0) unless v_k reaches 0 first."""

    n: int
    d: int
    width: int
    signs: str
    ratio: float
    seed: int
    radius: float

    def __str__(self) -> str:
        return (f"dead: ReLU (d={self.d}, {self.width}, 1), cone data n={self.n}, z < 0, {self.signs} output signs, "
                f"|v|/‖u‖ = 1/{self.ratio:.3g}, seed={self.seed}, radius={self.radius:.4g}")


@dataclass(frozen=True)
class QuadraticNCF:
    """Family "quadratic": N(u) = uᵀAu, A = Σ z_i x_i x_iᵀ (one neuron H(x; u) = (xᵀu)²) with n < d inputs, so A has a
    null space; ``data`` gaussian / orthonormal rows / axis (x_i = e_i: A diagonal, exact); ``labels`` mixed (A
    indefinite) or negative (A ⪯ 0)."""

    d: int
    n: int
    data: str
    labels: str
    seed: int
    radius: float

    def __str__(self) -> str:
        return f"quadratic: d={self.d} n={self.n} {self.data} inputs, {self.labels} labels, seed={self.seed}, radius={self.radius:.4g}"


@st.composite
def quadratic_ncfs(draw) -> QuadraticNCF:
    d = draw(st.integers(3, 5))
    return QuadraticNCF(d, draw(st.integers(2, d - 1)), draw(st.sampled_from(("gaussian", "orthonormal", "axis"))),
                        draw(st.sampled_from(("mixed", "negative"))), draw(seeds()), draw(st.floats(0.5, 3.0)))


@dataclass
class Start:
    """One flow to decide: its start, horizon, N and N's rounding bound (batched), its path at grid times for a pair of
    tolerances, and (quadratic family) the closed-form certificate: whether N ≤ 0 for ever and lim ‖u‖ (with floor)."""

    name: str
    u0: torch.Tensor
    horizon: float
    value: Callable[[torch.Tensor], torch.Tensor]
    rounding: Callable[[torch.Tensor], torch.Tensor]
    path: Callable[[np.ndarray, float, float], KinkedPath]
    forever_nonpositive: bool | None = None
    limit: tuple[float, float] | None = None


def _net_starts(net: FeedForward, X: torch.Tensor, z: torch.Tensor, directions: list[tuple[str, torch.Tensor]]) -> list[Start]:
    beta = 0.5 * max(1.0, abs(net.activation.alpha)) * float(torch.linalg.matrix_norm(X, 2))
    horizon = 2.0 / (beta * float(z.norm()))  # ‖u‖² changes by at most e⁸ (|N| ≤ β‖z‖‖u‖², digest §1.9)

    def value(U: torch.Tensor) -> torch.Tensor:
        return ncf(net, U, X, z)

    def rounding(U: torch.Tensor) -> torch.Tensor:
        W1, W2 = net.split(U)
        terms = net.activation(W1 @ X.T).abs()  # (B, k, n)
        return 64 * EPS * ((W2[..., 0, :, None].abs() * terms).sum(-2) * z.abs()).sum(-1)

    def path_of(u0: torch.Tensor) -> Callable[[np.ndarray, float, float], KinkedPath]:
        return lambda times, rtol, atol: kinked_ncf_path(net, X, z, u0, times, rtol, atol)

    return [Start(name, u0, horizon, value, rounding, path_of(u0)) for name, u0 in directions]


def net_starts(instance: NetFlows) -> list[Start]:
    problem = instance.problem
    net = problem.net
    X, z = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE).reshape(-1)
    for attempt in range(5):  # a direction with N(u0) ≠ 0 (e.g. not all ReLU neurons dead on the data)
        u = random_start(net.n_params, instance.seed + attempt, instance.radius)
        N = float(ncf(net, u, X, z))
        if N != 0:
            break
    W1, W2 = net.split(u)
    flipped = net.flatten([W1, -W2])
    if N == 0:
        return _net_starts(net, X, z, [("random start (N(u0) = 0)", u)])
    up, down = (u, flipped) if N > 0 else (flipped, u)
    return _net_starts(net, X, z, [("start with N(u0) > 0", up), ("the same with W2 negated (N(u0) < 0)", down)])


def cone_data(instance: DeadNeurons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, z, u0) of a "dead" instance."""
    rng = np.random.default_rng(instance.seed)
    Q = np.linalg.qr(rng.standard_normal((instance.d, instance.d)))[0]
    X = np.abs(rng.standard_normal((instance.n, instance.d))) @ Q  # rotations keep xᵢᵀxⱼ ≥ 0
    z = -(np.abs(rng.standard_normal(instance.n)) + 0.1)
    W1 = rng.standard_normal((instance.width, instance.d))
    W1 = np.where((X @ W1.T <= 0).all(0)[:, None], -W1, W1)  # every neuron alive at the start
    signs = np.ones(instance.width) if instance.signs == "positive" else rng.choice([1.0, -1.0], size=instance.width)
    v = signs * np.linalg.norm(W1, axis=1) / instance.ratio
    u = np.concatenate([W1.ravel(), v])
    return X, z, instance.radius * u / np.linalg.norm(u)


def dead_starts(instance: DeadNeurons) -> list[Start]:
    X, z, u0 = (torch.as_tensor(a, dtype=DTYPE) for a in cone_data(instance))
    net = FeedForward((instance.d, instance.width, 1), Activation(0.0, 1))
    return _net_starts(net, X, z, [("the drawn start", u0)])


def quadratic_matrix(instance: QuadraticNCF) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(instance.seed)
    n, d = instance.n, instance.d
    if instance.data == "axis":
        X = np.eye(d)[:n]
    elif instance.data == "orthonormal":
        X = np.linalg.qr(rng.standard_normal((d, d)))[0][:n]
    else:
        X = rng.standard_normal((n, d))
    z = np.abs(rng.standard_normal(n)) + 0.1
    if instance.labels == "negative":
        z = -z
    else:  # at least one label of each sign: A has n₊ ≥ 1 positive and n₋ ≥ 1 negative eigenvalues (Sylvester)
        z = z * np.where(np.arange(n) == 0, 1.0, np.where(np.arange(n) == 1, -1.0, rng.choice([1.0, -1.0], size=n)))
    return (X.T * z) @ X, rng


def quadratic_starts(instance: QuadraticNCF) -> list[Start]:
    A_np, rng = quadratic_matrix(instance)
    A = torch.as_tensor(A_np, dtype=DTYPE)
    lam, Q = np.linalg.eigh(A_np)
    scale = float(np.abs(lam).max())
    zero = np.abs(lam) <= 1e-9 * scale
    pos, neg = (lam > 0) & ~zero, (lam < 0) & ~zero
    gap = float(np.abs(lam[~zero]).min())
    flow = Flow(lambda U: (((U @ A) * U).sum(-1), 2 * U @ A), 1.0, 2.0, None, "N = uᵀAu")

    def value(U: torch.Tensor) -> torch.Tensor:
        return ((U @ A) * U).sum(-1)

    def rounding(U: torch.Tensor) -> torch.Tensor:
        return 64 * EPS * ((U.abs() @ A.abs()) * U.abs()).sum(-1)

    def project(g: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return Q[:, mask] @ (Q[:, mask].T @ g)

    g = rng.standard_normal(instance.d)
    aims = [("random start", g)]
    if pos.any():
        low = project(g, ~pos)
        n_low, n_pos = float(low @ A_np @ low), float(project(g, pos) @ A_np @ project(g, pos))
        if n_low < 0:  # N(u0) = 0.91·N(low) < 0, and the positive part grows: a dip, then growth
            aims.append(("a dip: u0 = P₋₀g + κP₊g, N(u0) < 0", low + 0.3 * math.sqrt(-n_low / n_pos) * project(g, pos)))
        aims.append(("no positive eigencomponent: P₋₀g", low))
    if neg.any():
        aims.append(("negative eigencomponents only: P₋g (u → 0)", project(g, neg)))
    starts = []
    for name, a in aims:
        if not np.linalg.norm(a) > 0:
            continue
        u0 = torch.as_tensor(instance.radius * a / np.linalg.norm(a), dtype=DTYPE)
        c = Q.T @ u0.numpy()
        present = np.abs(c) > PRESENT * instance.radius
        growing = bool((present & pos).any())
        limit = float(np.linalg.norm(c[zero & present]))
        # the horizon: ‖u‖² changes by at most e⁸ at the operator's scale, or twice the time N takes to become
        # positive (closed form; not evidence: it only places the grid)
        horizon = 2.0 / scale
        if growing and float(value(u0[None])[0]) <= 0:
            crossing = _first_positive(lambda t: float(np.sum(lam * np.exp(4 * lam * t) * c**2)), float(lam[pos].max()))
            horizon = max(horizon, 2 * crossing)
        starts.append(Start(name, u0, horizon, value, rounding,
                            lambda times, rtol, atol, u0=u0: _smooth_path(flow, u0, times, rtol, atol),
                            forever_nonpositive=not growing, limit=(limit, 1e3 * EPS * scale / gap * instance.radius)))
    return starts


def _first_positive(f: Callable[[float], float], rate: float) -> float:
    """The time a non-decreasing f (N along the flow) becomes positive, by bisection on [0, t] with f(t) > 0."""
    hi = 1.0 / rate
    while f(hi) <= 0:
        hi *= 2
    lo = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) <= 0 else (lo, mid)
    return hi


def _smooth_path(flow: Flow, u0: torch.Tensor, times: np.ndarray, rtol: float, atol: float) -> KinkedPath:
    path = integrate(flow, u0, float(times[-1]), rtol=rtol, atol=atol, t_eval=times, max_steps=MAX_STEPS)
    out = np.full((len(times), u0.numel()), math.nan)
    out[: len(path.t)] = path.u
    if path.status is FlowStatus.SUCCESS:
        return KinkedPath(out, math.inf, 0, "reached the horizon")
    return KinkedPath(out, math.inf, 0, f"{path.status}: {path.message}", path.t_reached)


def starts_of(instance) -> list[Start]:
    if isinstance(instance, NetFlows):
        return net_starts(instance)
    if isinstance(instance, DeadNeurons):
        return dead_starts(instance)
    return quadratic_starts(instance)


# ------------------------------------------------------------------------------------------------
# the checker
# ------------------------------------------------------------------------------------------------

SKIPPED = {"→0": "u(t) → 0: the statement makes no claim (skipped)",
           "rest0": "at rest from the start: u is constant, nothing to check (skipped)"}


@dataclass(frozen=True)
class FlowRun:
    """One flow on one grid: the case ("1", "2", "3", "→0", "rest0", "?" undetermined, "fail"), t̄'s grid index (case 2),
    the last grid index reached, the grid, ‖u(t_j)‖ and their floors, a note, whether the path reached its horizon, and
    the time it came to rest and the time it stopped at (inf: never)."""

    case: str
    j_bar: int
    last: int
    times: np.ndarray
    norms: np.ndarray
    f_norm: np.ndarray
    note: str
    full: bool
    t_rest: float = math.inf
    t_end: float = math.inf


@dataclass(frozen=True)
class UniformBoundMeasurements:
    """What dc2.lemmaC7 measured on one instance, per flow: the case that occurred (1, 2, 3; "→0" when u → 0, where the
    statement makes no claim; "rest0" at rest from the start; "?" undetermined), η, T and the smallest ‖u(t)‖ on the
    grid for t ≥ T (of the (η, T) choice with the smallest margin), the smallest relative margin (min‖u‖ − η)/η over
    the flows with a claim, and how many flows were skipped (u → 0, or at rest from the start)."""

    family: str
    cases: tuple[str, ...]
    etas: tuple[float, ...]
    Ts: tuple[float, ...]
    min_norms: tuple[float, ...]
    worst_margin: float
    skipped: int


@register
class UniformNormLowerBound(Checker):
    """dc2 Lemma C.7: the constructive η, T of each case bound ‖u(t)‖ from below along NCF flows."""

    id = "dc2.lemmaC7"
    title = "A non-vanishing NCF flow stays away from 0: ‖u(t)‖ ≥ η for t ≥ T, with the proof's (η, T) in each case"
    source = "dc2 Lemma C.7 and its proof's three cases (digest LEM-C.7, T21)"
    statement = (
        "For u̇ ∈ ∂N(u), N two-homogeneous, with lim u(t) ≠ 0: ‖u(t)‖ ≥ η for all t ≥ T, where (case 1) N(u(0)) > 0: "
        "η = ‖u(0)‖, T = 0; (case 2) N(u(0)) ≤ 0 < N(u(t̄)): η = ‖u(t̄)‖, T = t̄; (case 3) N(u(t)) ≤ 0 for all t: "
        "η = lim‖u(t)‖ > 0, T = 0, ‖u‖ non-increasing. No claim when u(t) → 0."
    )
    hypotheses_text = (
        "Three families, each instance several flows. net: two-layer nets (d, k, 1), σ = max(x, αx), α ∈ {0, 0.1, 0.5, "
        "−0.3, 1}, k 1–4, on the default data families (n 4–12, d 2–3) and targets, one random direction of norm "
        "0.5–3 run with W2 signed so that N(u0) > 0 and negated (N(u0) < 0). dead: ReLU nets (d 2–3, k 1–3) on n 1–6 "
        "inputs in a cone (|Gaussian| rows, randomly rotated: xᵢᵀxⱼ ≥ 0) with labels z < 0, every neuron alive at the "
        "start, output weights |v_k| = ‖u_k‖/ratio (ratio 0.3–1.4), all positive or of random signs — neurons that die "
        "(all pre-activations ≤ 0, u̇ = 0) at a non-zero point. quadratic: N = uᵀAu, A = Σ z_i x_i x_iᵀ with n < d (a "
        "null space), d 3–5, Gaussian, orthonormal or axis inputs, labels of both signs or all negative (A ⪯ 0); starts: "
        "random, a dip (N(u0) < 0 with a positive eigencomponent), no positive component (→ the projection on the null "
        "space), negative components only (u → 0)."
    )
    method = (
        "Each flow on a grid of 65 times on [0, H] (net, dead: H = 2/(β‖z‖), β ≤ ½max(1, |α|)‖X‖₂; quadratic: 2/‖A‖₂, or twice the time N"
        " takes to turn positive; a flow whose case is still undetermined at H is run again on 4H, then 16H, one at rest from t_r < H/4 "
        "on [0, 2t_r], one stopped by a slide at t_s with fewer than 4 grid times after T on [0, t_s]), at rtol 1e-9 and 1e-11 (the floor"
        " of ‖u(t_j)‖ and N(u(t_j)) is the change). Nets are integrated one activation pattern at a time (kinked_ncf_path: a smooth "
        "linear flow per pattern, DOP853, a terminal event once a pre-activation has crossed its kink, a check that the crossing is "
        "transversal — a flow that would slide along a kink stops there and only the grid before it is decided — and a rest point where "
        "the pattern's field vanishes identically, e.g. when every neuron is dead); quadratic NCFs with verify.flow.integrate. The case "
        "is decided from the trajectory: 1 if N(u0) exceeds its rounding bound (64ε·Σ|terms|), 2 if N(u(t_j)) > 10·(floor + rounding "
        "bound) at a grid time (t̄ = the first such time, and the grid time half-way from it to the end if 4 grid times follow that), 3 "
        "if N stays below that on the grid and the flow is certified to stay ≤ 0 for ever with a non-zero limit: a rest point reached at "
        "both tolerances (η = its norm) or, for N = uᵀAu, no eigencomponent of u0 with λ > 0 (η = ‖P₀u0‖, the projection on the null "
        "space: u(t) = Qe^{2Λt}Qᵀu0). u → 0 (P₀u0 = 0) is skipped — no claim, no entry — and so is a flow at rest from the start (u "
        "constant: nothing to check); any other flow is undecided (also one stopped by a slide before its case is known). Entries: "
        "min_{t_j ≥ T}‖u(t_j)‖ ≥ η (relative to η, floor the two-tolerance changes), and in case 3 ‖u(t_j)‖ ≤ ‖u(t_{j−1})‖; at least 4 "
        "grid times after T, else undecided (a bound checked at T alone holds by definition)."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    eta_from_start = False  # mutant: η = ‖u(0)‖ in every case
    T_always_zero = False  # mutant: T = 0 in every case
    eta_power = 1  # mutant: η = ‖·‖² (the extraction's subscript 2 read as a square)
    mutants = [
        Mutant("η = ‖u(0)‖ always", "‖u(t)‖ ≥ ‖u(0)‖ from T on in every case (false where the norm first decreases: "
               "case 3, and case 2 before N turns positive)", eta_from_start=True),
        Mutant("T = 0 always", "‖u(t)‖ ≥ ‖u(t̄)‖ for all t ≥ 0 in case 2 (the dip before t̄ is below it)", T_always_zero=True),
        Mutant("η = ‖·‖²", "the constructive η's with the norm squared, e.g. η = ‖u(0)‖² in case 1 ('/bardblu/bardbl2' "
               "read as a square)", eta_power=2),
    ]

    def hypotheses(self):
        nets = st.builds(NetFlows, two_layer_problems(data=datasets(n=(4, 12), d=(2, 3)), widths=(1, 4)), seeds(),
                         st.floats(0.5, 3.0))
        dead = st.builds(DeadNeurons, st.integers(1, 6), st.integers(2, 3), st.integers(1, 3),
                         st.sampled_from(("positive", "mixed")), st.floats(0.3, 1.4), seeds(), st.floats(0.5, 3.0))
        return st.one_of(quadratic_ncfs(), dead, nets)

    def claim(self, instance, ctx: Context) -> Evidence:
        family = str(instance).split(":")[0]
        checked: list[Entry] = []
        cases, etas, Ts, mins, margins, notes = [], [], [], [], [], []
        for start in starts_of(instance):
            entries, case, eta, T, low, note = self._one_flow(start)
            checked += entries
            cases.append(case), etas.append(eta), Ts.append(T), mins.append(low)
            if math.isfinite(eta) and math.isfinite(low) and eta > 0:
                margins.append((low - eta) / eta)
            notes += [f"{start.name}: {note}"] if note else []
        m = UniformBoundMeasurements(family, tuple(cases), tuple(etas), tuple(Ts), tuple(mins),
                                     min(margins, default=math.nan), sum(c in SKIPPED for c in cases))
        if not checked:
            return Evidence.undecided("no flow with a claim: u(t) → 0 or at rest from the start on every start",
                                      instance=str(instance), measurements=m)
        return Evidence(checked, m, instance=str(instance), note="; ".join(notes))

    def _one_flow(self, start: Start) -> tuple[list[Entry], str, float, float, float, str]:
        """The entries of one flow, its case, η, T, min ‖u‖ after T, and a note. A flow whose case is still undetermined
        at the end of its horizon (N ≤ 0, no rest point yet) is run again on 4× and 16× the horizon."""
        for stretch in STRETCHES:
            times = np.linspace(0.0, stretch * start.horizon, POINTS + 1)
            run = self._classify(start, times)
            if run.case != "?" or not run.full:
                break
        if run.case == "3" and run.t_rest < times[-1] / 4:  # the grid again on [0, 2t_rest]: dense where ‖u‖ moves
            run = self._classify(start, np.linspace(0.0, 2 * run.t_rest, POINTS + 1))
        if run.case in ("1", "2", "3") and run.last - run.j_bar < AFTER and 0 < run.t_end < math.inf:
            # stopped (a slide) too soon after T for this grid: the grid again on [0, where it stopped]
            run = self._classify(start, np.linspace(0.0, run.t_end, POINTS + 1))
        if run.case in ("fail", "?"):
            label = f"{start.name}: " + ("case undetermined: " if run.case == "?" else "") + run.note
            return [Entry(math.nan, math.nan, False, label)], "?", math.nan, math.nan, math.nan, run.note
        if run.case in SKIPPED:
            return [], run.case, math.nan, math.nan, math.nan, SKIPPED[run.case]
        r0 = float(start.u0.norm())
        norms, f_norm, last, case = run.norms, run.f_norm, run.last, run.case

        # the constructive (η, T) of the case that occurred (or of a mutant's reading): case 2 with two t̄'s
        choices = [run.j_bar]
        middle = run.j_bar + (last - run.j_bar) // 2
        if case == "2" and middle > run.j_bar and last - middle >= AFTER:
            choices.append(middle)
        entries: list[Entry] = []
        margins: list[tuple[float, float, float]] = []  # (margin, η, min‖u‖) per choice
        for j in choices:
            if case == "1":
                eta, f_eta, j_T = r0, 0.0, 0
            elif case == "2":
                eta, f_eta, j_T = float(norms[j]), float(f_norm[j]), j
            elif start.limit is not None:  # N = uᵀAu: lim‖u(t)‖ = ‖P₀u0‖ from the spectrum
                eta, f_eta, j_T = start.limit[0], start.limit[1], 0
            else:  # the rest point reached: u is constant from there on
                eta, f_eta, j_T = float(norms[last]), float(f_norm[last]), 0
            if self.eta_from_start:
                eta, f_eta = r0, 0.0
            if self.T_always_zero:
                j_T = 0
            f_eta = self.eta_power * eta ** (self.eta_power - 1) * f_eta
            eta = eta**self.eta_power
            if last - j_T < AFTER:
                why = f"only {last - j_T} grid times reached after T" + (f" ({run.note})" if run.note else "")
                entries.append(Entry(math.nan, math.nan, False, f"{start.name}: case {case}: {why}"))
                continue
            after = np.arange(j_T, last + 1)
            k = int(after[np.argmin(norms[after])])
            low = float(norms[k])
            margins.append(((low - eta) / eta, eta, low))
            what = {"1": "‖u(0)‖", "2": f"‖u(t̄)‖, t̄ = {run.times[j]:.4g}", "3": "lim‖u(t)‖"}[case]
            entries.append(at_least(low, eta, (f_eta + float(f_norm[k])) / eta, scale=eta,
                                    label=f"{start.name}: case {case}: ‖u(t)‖ ≥ η = {what} = {eta:.6g} for t ≥ T = "
                                          f"{run.times[j_T]:.4g} (min {low:.6g} at t = {run.times[k]:.4g})"))
        if case == "3":
            rises = norms[1: last + 1] - norms[:last]
            j = int(np.argmax(rises)) + 1
            entries.append(Entry(max(0.0, float(rises[j - 1])) / r0, float(f_norm[j] + f_norm[j - 1]) / r0, True,
                                 f"{start.name}: case 3: ‖u‖ non-increasing (largest rise at t = {run.times[j]:.4g})"))
        T_value = float(run.times[0 if self.T_always_zero else choices[0]]) if case == "2" else 0.0
        _, eta, low = min(margins, default=(math.nan, math.nan, math.nan))
        return entries, case, eta, T_value, low, run.note

    def _classify(self, start: Start, times: np.ndarray) -> FlowRun:
        """One flow on one grid at two tolerances, and the case that occurred (module docstring; "fail" when it could
        not be integrated, "rest0" when it is at rest from the start)."""
        m = len(times)
        r0 = float(start.u0.norm())
        rests: list[float] = []
        ends: list[str] = []
        stops: list[float] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            path = start.path(times, rtol, atol * r0)
            rests.append(path.t_rest)
            ends.append(path.end)
            stops.append(path.t_end)
            U = torch.as_tensor(path.u, dtype=DTYPE)
            ok = torch.isfinite(U).all(-1)
            values = torch.full((2, m), math.nan, dtype=DTYPE)
            if bool(ok.any()):
                values[0, ok], values[1, ok] = start.value(U[ok]), start.rounding(U[ok])
            return np.concatenate([U.norm(dim=-1).numpy(), values[0].numpy(), values[1].numpy()])

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        norms, N, rounding = tt.value[:m], tt.value[m:2 * m], tt.value[2 * m:]
        f_norm, f_N = tt.floor[:m] + 16 * EPS * norms, tt.floor[m:2 * m] + rounding
        reached = np.isfinite(norms) & np.isfinite(N) & np.isfinite(f_norm) & np.isfinite(f_N)
        last = int(np.nonzero(reached)[0].max()) if reached.any() else -1
        full = all(e == "reached the horizon" for e in ends)
        note = "; ".join(e for e in dict.fromkeys(ends) if e != "reached the horizon")

        def outcome(case: str, j_bar: int = 0, why: str = "") -> FlowRun:
            text = why + (f" ({note})" if why and note else note)
            return FlowRun(case, j_bar, last, times, norms, f_norm, text, full, max(rests, default=math.inf),
                           min(stops, default=math.inf))

        if last < 0 or not reached[: last + 1].all():
            return outcome("fail", why="the flow was not integrated")
        positive = N[: last + 1] > 10 * f_N[: last + 1]
        if N[0] > rounding[0] or positive.any():
            if start.forever_nonpositive:  # the closed form says N ≤ 0 for ever: the numerics are not to be trusted
                return outcome("fail", why="N > 0 on the grid against the spectrum's certificate")
            return outcome("1") if N[0] > rounding[0] else outcome("2", int(np.argmax(positive)))
        if start.forever_nonpositive is not None:  # N = uᵀAu: the spectrum certifies N ≤ 0 for ever, the limit P₀u0
            if not start.forever_nonpositive or last < m - 1:
                return outcome("?", why="N ≤ 0 on the reached grid but a positive eigencomponent is present")
            return outcome("3" if start.limit[0] > PRESENT * r0 else "→0")
        if len(rests) == 2 and all(math.isfinite(t) for t in rests):  # a rest point (both tolerances): u constant after
            return outcome("rest0" if max(rests) == 0 else "3")
        return outcome("?", why="N ≤ 0 on the reached grid and no certificate that it stays so with a non-zero limit")

    def obligations(self) -> list[Obligation]:
        """Sympy: d‖u‖²/dt = 4N along the flow of a two-homogeneous N, on the frozen-pattern NCF v·gᵀu of one neuron
        (Euler's identity), and for N = λ₁u₁² + λ₂u₂² along its closed-form flow u_i = e^{2λ_i t}c_i; hence the sign of
        N is the sign of the norm's change (cases 1 and 3)."""
        t, v = sp.symbols("t v", real=True)
        g = sp.symbols("g1:4", real=True)
        u = sp.symbols("u1:4", real=True)
        N = v * sum(a * b for a, b in zip(g, u))
        grad = [sp.diff(N, x) for x in (*u, v)]
        euler = sum(x * dx for x, dx in zip((*u, v), grad))
        l1, l2, c1, c2 = sp.symbols("lambda1 lambda2 c1 c2", real=True)
        w1, w2 = sp.exp(2 * l1 * t) * c1, sp.exp(2 * l2 * t) * c2
        quad = sp.diff(w1**2 + w2**2, t) - 4 * (l1 * w1**2 + l2 * w2**2)
        flow = sp.diff(w1, t) - 2 * l1 * w1
        return [Obligation("Euler", "⟨w, ∇N(w)⟩ = 2N(w) for N = v·gᵀu (so d‖w‖²/dt = 4N)", is_zero(euler - 2 * N),
                           str(sp.simplify(euler - 2 * N))),
                Obligation("quadratic flow", "u = e^{2Λt}c solves u̇ = 2Λu and d‖u‖²/dt = 4uᵀΛu",
                           is_zero(quad) and is_zero(flow), str(sp.simplify(quad)))]
