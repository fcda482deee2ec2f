"""dc2 Lemma 5.3: the NCF flow tends to 0 or converges in direction to a non-negative KKT point.

Source: Kumar & Haupt (dc2), Lemma 5.3 and the facts of its proof (App. C.2: eqs. 32–34, Lemmas C.4, C.6); digest
../shared/spec/two_homogeneous.md LEM-5.3, §3.1 (corrected G.1: quadratic NCFs), §3.3 (f = u1|u2|), claims C8, C9.

Statement (as printed). For any solution of u̇ ∈ ∂N(u), N(u) = zᵀH(X; u) with H two-homogeneous,

    (i)   lim N(u(t)) is +∞ or 0;
    (ii)  either u(t)/‖u(t)‖ converges or u(t) → 0;
    (iii) if u* = lim u(t)/‖u(t)‖ exists, it is a non-negative KKT point of max_{‖u‖=1} N: 2N(u*)u* ∈ ∂N(u*), N(u*) ≥ 0.

Reading decided here, (iii'): if u(t) ↛ 0, the limit direction u* is a non-negative KKT point. The printed (iii) is false
when u(t) → 0: the direction may then converge to a KKT point of negative value (N = uᵀAu with A negative definite:
u* is the top eigenvector present in u0, N(u*) < 0; f = u1|u2| from z = (−a, ±a): u = e^{−t}z, f(u*) = −1/2). The proof
shows N(u*) ≥ 0 only in its cases where u ↛ 0 (Case 1, and Case 2 with lim ‖u‖ > 0). The printed reading is a mutant
that must fail.

Facts of the proof decided with it: d‖u‖²/dt = 4N(u) and dN(u)/dt = ‖u̇‖² (C8), Ñ(u(t)) = N(u(t))/‖u(t)‖² is
non-decreasing (eq. 33, C9), and (derived from eq. 33, C9) if N(u0) > 0 then N(u*) ≥ N(u0)/‖u0‖².

For a two-homogeneous N the flow splits exactly into its direction s = u/‖u‖ and its log-norm ρ = log‖u‖ (Euler:
sᵀ∇N(s) = 2N(s), ∇N 1-homogeneous):  ṡ = (I − ssᵀ)∇N(s) = ∇Ñ(s),  ρ̇ = 2Ñ(s). The direction is the gradient flow of
Ñ on the sphere (‖s‖ = 1 is invariant) and runs at the same time as u, so the limits can be read without overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.abs_product import branch, case, distance_to_subdifferential, solution
from theorems.two_homogeneous.squared_relu import SquaredReLULayer
from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, Verdict, register
from verify.clarke import stationarity
from verify.evidence import at_least
from verify.flow import POTENTIAL, FieldQuadrature, Flow, FlowStatus, direction_flow, integrate, ncf_flow, two_tolerances
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.sphere import kkt_residual
from verify.strategies import Dataset, datasets, seeds

THRESHOLD = 1e-11  # relative KKT residual (speed of the direction) at which T0 is taken: the direction has settled
SETTLED = 1e-8  # the same for integrated flows: the coarse run (rtol 1e-9) holds a settled direction only to ~rtol·rate
MAX_STEPS = 4_000  # per integration: a flow that needs more (stiff, or chattering at a kink) is undecided
RATE_SPAN = 16.0  # at T1 the limits of ‖u‖ (Ñ < 0) or N (Ñ > 0) are within e^{−16} of 0 (see _second_time)
GRID = 8  # equispaced times on (0, T2] for the monotonicity of Ñ (C9), besides T0, T1, T2
RTOL = 1e-9  # integrated direction flows: coarse tolerance, the fine one FINER× smaller (C8: 1e-10 and 1e-12)
FINER = 10.0  # (the kinks of ReLU flows make each step of a finer run costly: a crossing is many rejected steps)
C8_RTOL = 1e-10
ROUNDING = 1e3 * EPS  # the floor of a closed-form quantity (relative)
QUAD_POSITIVE = (0.5, 0.75, 1.0)  # eigenvalues of A drawn (gaps ≥ 0.25: direction convergence e^{−0.5t} or faster)
QUAD_NEGATIVE = (-0.25, -0.5, -0.75, -1.0)


# ------------------------------------------------------------------------------------------------
# instances
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuadraticCase:
    """N(u) = uᵀAu, A = Q diag(μ) Qᵀ (Q random orthogonal from ``seed``), μ: ``positives`` eigenvalues from
    QUAD_POSITIVE, one exact 0 and two from QUAD_NEGATIVE; four starts built in the eigenbasis with exact zeros."""

    positives: int
    radius: float
    seed: int

    def __str__(self) -> str:
        return f"quadratic N = uᵀAu, d = {self.positives + 3}, ‖u0‖ = {self.radius:.3g} (growth start), seed {self.seed}"


@dataclass(frozen=True)
class AbsProductCase:
    """f = u1|u2|: one start per case of Lemma E.2 from (radius, ratio, sign), and two solutions from the branching
    start (radius, 0): the one resting there for ever and the one escaping at ``escape``."""

    radius: float
    ratio: float
    sign: float
    escape: float

    def __str__(self) -> str:
        return (f"f = u1|u2|: radius {self.radius:.4g}, ratio {self.ratio:.4g}, sign {self.sign:+g}, "
                f"escape time {self.escape:.4g}")


@dataclass(frozen=True)
class CircleCase:
    """One squared-ReLU neuron N(u) = Σ z_i max(0, x_iᵀu)² on n unit inputs of R² at uniform angles, Gaussian z, a start
    at a uniform angle with norm ``radius`` (all from ``seed``)."""

    n: int
    radius: float
    seed: int

    def __str__(self) -> str:
        return f"squared ReLU on the circle: n = {self.n} unit inputs, ‖u0‖ = {self.radius:.3g}, seed {self.seed}"


@dataclass(frozen=True)
class TwoLayerCase:
    """One leaky-ReLU neuron H = vσ(xᵀu), σ = max(s, αs), α ∈ [0, 1), on ``data``, with z_i = |g_i| + 0.1 > 0 and a
    start with v0 > 0 and F(u0) = zᵀσ(Xu0) > 0 (so N = vF ascends a convex F: kinks are crossed, not slid along)."""

    data: Dataset
    alpha: float
    radius: float
    seed: int

    def __str__(self) -> str:
        return f"one leaky-ReLU neuron, α = {self.alpha:g}, {self.data}, ‖u0‖ = {self.radius:.3g}, seed {self.seed}"


# ------------------------------------------------------------------------------------------------
# a solution, observed at the times where its limits are read
# ------------------------------------------------------------------------------------------------

@dataclass
class Path:
    """A solution's direction s (m, k) (unit rows) and log-norm change ρ = log‖u(t)‖ − log‖u0‖ (m,) at the times t (m,),
    at the fine resolution and at the coarse one (integrated: rtol 1e-10 and 1e-9; closed forms: the same, with
    ``rounding`` as their floor). i0, i1, i2: the indices of T0 (the direction settled), T1 and T2 = 1.5·T1; extra:
    named indices of further times (the C8 horizon)."""

    t: np.ndarray
    s: np.ndarray
    rho: np.ndarray
    s_coarse: np.ndarray
    rho_coarse: np.ndarray
    i0: int
    i1: int
    i2: int
    rounding: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class Start:
    """One solution to decide. value: Ñ on unit rows (m, k) → (m,); kkt: the relative KKT residual of one unit
    direction (0 iff 2N(s)s ∈ ∂N(s)); scale: a bound on |Ñ| over the sphere (the unit of every N-entry);
    global_max: max of N on the sphere when the family knows it (exact, or a lower bound from a grid)."""

    name: str
    norm0: float
    s0: np.ndarray
    value: Callable[[np.ndarray], np.ndarray]
    kkt: Callable[[np.ndarray], float]
    scale: float
    global_max: float | None = None
    path: Path | None = None
    why: str = ""
    extra: list[Entry] = field(default_factory=list)


def _exp(x: float) -> float:
    """e^x, capped at e^700 (a quantity that large only has to be told from 0)."""
    return math.exp(min(x, 700.0))


def _times(T0: float, T1: float, extra: Sequence[float] = ()) -> tuple[np.ndarray, int, int, int, list[int]]:
    T2 = 1.5 * T1
    t = np.unique(np.concatenate([np.linspace(0.0, T2, GRID + 1), [T0, T1, T2], list(extra)]))
    where = [int(np.searchsorted(t, x)) for x in (T0, T1, T2, *extra)]
    return t, where[0], where[1], where[2], where[3:]


def _second_time(T0: float, value_at_T0: float, rho_at_T0: float, scale: float) -> float:
    """T1 ≥ 1.25·T0, late enough that the limit read there is resolved, extrapolating ρ = log(‖u‖/‖u0‖) from T0 at the
    rate 2Ñ(u(T0)) (only to choose the horizon): with Ñ < 0, ρ(T1) ≤ −RATE_SPAN; with Ñ > 0, N_scale/N(u) =
    e^{−2ρ}·scale/Ñ ≤ e^{−RATE_SPAN}; with Ñ = 0 (to 1e-12·scale) nothing moves: T1 = 1.25·T0."""
    if value_at_T0 > 1e-12 * scale:
        need = (RATE_SPAN + math.log(scale / value_at_T0) - 2 * rho_at_T0) / (4 * value_at_T0)
    elif value_at_T0 < -1e-12 * scale:
        need = (RATE_SPAN + rho_at_T0) / (2 * abs(value_at_T0))
    else:
        need = 0.0
    return max(1.25 * T0, T0 + need)


def closed_form_path(at: Callable[[float], tuple[np.ndarray, float]], start: Start, t_min: float, t_max: float,
                     extra: Sequence[float] = ()) -> Path | str:
    """The path of a closed-form solution: ``at(t)`` = (unit direction, log-norm change). T0 = the first t_min·2^k at
    which the KKT residual is ≤ THRESHOLD at T0, 2T0 and 4T0 (a solution may rest at a KKT point and leave it later:
    Lemma E.1's escaping branch); a string when there is none by t_max."""
    T0 = t_min
    while max(start.kkt(at(f * T0)[0]) for f in (1, 2, 4)) > THRESHOLD:
        T0 *= 2
        if 4 * T0 > t_max:
            return f"the direction did not settle by t = {t_max:.3g}"
    T1 = _second_time(T0, float(start.value(at(T0)[0][None])[0]), at(T0)[1], start.scale)
    if 1.5 * T1 > t_max:
        return f"the rate 2Ñ(u(T0)) is too small to resolve lim ‖u‖ by t = {t_max:.3g}"
    t, i0, i1, i2, more = _times(T0, T1, extra)
    s = np.stack([at(x)[0] for x in t])
    rho = np.array([at(x)[1] for x in t])
    return Path(t, s, rho, s.copy(), rho.copy(), i0, i1, i2, ROUNDING, dict(zip(("C8",), more)))


def integrated_path(flow: Flow, y0: torch.Tensor, to_direction: Callable[[np.ndarray], np.ndarray],
                    tangential: Callable[[torch.Tensor], torch.Tensor], start: Start, t_min: float, t_max: float,
                    extra: Sequence[float] = ()) -> Path | str:
    """The path of an integrated direction flow (verify.flow.direction_flow, or the angle on the circle): ``flow``'s F is
    Ñ of the direction (so ρ = 2∫F) and ``tangential`` picks the direction's velocity out of the field (its norm: the
    direction's speed). Coarse (rtol 1e-9): verify.flow.integrate (DOP853) until the speed
    falls below SETTLED·scale (a terminal event: T0), then on from there to T2 = 1.5·T1; fine (rtol 1e-10): [0, T2] in
    one run. Every quantity is read from both (its floor is their difference). A string says why there is no path."""
    scale = start.scale

    def settled(_t: float, y: np.ndarray) -> float:
        speed = float(tangential(flow.value_and_grad(torch.as_tensor(y, dtype=DTYPE)[None])[1]).norm()) / scale
        return math.log(max(speed, 1e-300)) - math.log(SETTLED)

    settled.terminal, settled.direction = True, -1.0  # type: ignore[attr-defined]
    tol = {"rtol": RTOL, "atol": RTOL / 100, "max_steps": MAX_STEPS}
    quads = {"F": POTENTIAL}
    first, at_event, y_event, rho_event = None, 0.0, y0, 0.0  # the coarse run up to the event (none: settled at t = 0)
    if settled(0.0, y0.numpy()) > 0:
        first = integrate(flow, y0, t_max, events={"settled": settled}, quadratures=quads, **tol)
        if first.status is not FlowStatus.SUCCESS:
            return f"{first.status}: {first.message}"
        if not len(first.events["settled"]):
            return f"the direction did not settle by t = {t_max:.3g}"
        at_event = float(first.events["settled"][0])
        y_event, rho_event = torch.as_tensor(first.u[-1], dtype=DTYPE), 2 * float(first.quad["F"][-1])
    T0 = max(at_event, t_min)
    T1 = _second_time(T0, float(flow.value_and_grad(y_event[None])[0][0]), rho_event, scale)
    if 1.5 * T1 > t_max:
        return f"the rate 2Ñ(u(T0)) is too small to resolve lim ‖u‖ by t = {t_max:.3g}"
    t, i0, i1, i2, more = _times(T0, T1, extra)
    early, late = t[t < at_event], t[t >= at_event] - at_event
    second = integrate(flow, y_event, float(late[-1]), t_eval=late, quadratures=quads, **tol)  # the coarse run, continued
    y_early = first.at(early).reshape(len(early), -1) if first is not None and len(early) else np.zeros((0, y0.numel()))
    rho_early = 2 * first.quad_at("F", early) if first is not None and len(early) else np.zeros(0)
    fine = integrate(flow, y0, float(t[-1]), rtol=RTOL / FINER, atol=RTOL / 100 / FINER, t_eval=t, quadratures=quads,
                     max_steps=MAX_STEPS)
    for run, needed in ((second, len(late)), (fine, len(t))):
        if run.status is not FlowStatus.SUCCESS or len(run.t) < needed:
            return f"{run.status}: {run.message}"
    y_coarse = np.concatenate([y_early, second.u])
    rho_coarse = np.concatenate([rho_early, rho_event + 2 * second.quad["F"]])
    return Path(t, to_direction(fine.u), 2 * fine.quad["F"], to_direction(y_coarse), rho_coarse, i0, i1, i2, 0.0,
                dict(zip(("C8",), more)))


# ------------------------------------------------------------------------------------------------
# C8 along the full flow u̇ = ∇N(u), integrated
# ------------------------------------------------------------------------------------------------

def c8_entries(full: Flow, u0: torch.Tensor, H: float, reference: np.ndarray, reference_floor: float, name: str,
               what: str) -> list[Entry]:
    """Along u̇ = ∇N(u) on [0, H] (verify.flow.integrate, rtol 1e-10 and 1e-12, floors the change): ‖u(H)‖² − ‖u0‖² =
    4∫N and N(u(H)) − N(u0) = ∫‖u̇‖² (relative to the larger side), and u(H) against ``reference`` (``what``, known to
    ``reference_floor``, relative)."""
    quads = {"N": POTENTIAL, "speed": FieldQuadrature(lambda _value, velocity: (velocity**2).sum(-1))}
    N0 = float(full.value_and_grad(u0[None])[0][0])
    r0 = float(u0 @ u0)

    def measure(rtol: float, atol: float) -> np.ndarray:
        path = integrate(full, u0, H, rtol=rtol, atol=atol * math.sqrt(r0), t_eval=[H], quadratures=quads)
        if path.status is not FlowStatus.SUCCESS or not len(path.t):
            return np.full(4 + u0.numel(), math.nan)
        uH = path.u[-1]
        NH = float(full.value_and_grad(torch.as_tensor(uH, dtype=DTYPE)[None])[0][0])
        return np.concatenate([[uH @ uH, NH, path.quad["N"][-1], path.quad["speed"][-1]], uH])

    tt = two_tolerances(measure, rtol=C8_RTOL, atol=C8_RTOL / 100)
    (r2, NH, intN, speed), uH = tt.value[:4], tt.value[4:]
    f = tt.floor
    ok = bool(np.all(np.isfinite(tt.value)) and np.all(np.isfinite(f)))
    scale_r = max(abs(r2 - r0), abs(4 * intN), r0)
    scale_N = max(abs(NH - N0), abs(speed), abs(N0), 1e-300)
    ref = float(np.linalg.norm(reference))
    return [Entry(abs(r2 - r0 - 4 * intN) / scale_r, (f[0] + 4 * f[2]) / scale_r, ok, f"{name}: ‖u(H)‖² − ‖u0‖² = 4∫N (C8)"),
            Entry(abs(NH - N0 - speed) / scale_N, (f[1] + f[3]) / scale_N, ok, f"{name}: N(u(H)) − N(u0) = ∫‖u̇‖² (C8)"),
            Entry(float(np.linalg.norm(uH - reference)) / ref, float(np.linalg.norm(f[4:])) / ref + reference_floor + ROUNDING, ok,
                  f"{name}: the integrated flow at H equals {what}")]


# ------------------------------------------------------------------------------------------------
# the families
# ------------------------------------------------------------------------------------------------

def _quadratic(case_: QuadraticCase) -> tuple[list[Start], dict]:
    rng = np.random.default_rng(case_.seed)
    mu = np.concatenate([np.sort(rng.choice(QUAD_POSITIVE, case_.positives, replace=False))[::-1], [0.0],
                         np.sort(rng.choice(QUAD_NEGATIVE, 2, replace=False))[::-1]])
    d = len(mu)
    Q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    A = (Q * mu) @ Q.T
    norm_A = float(np.abs(np.linalg.eigvalsh(A)).max())
    top = float(np.linalg.eigvalsh(A).max())  # the global maximum of N on the sphere (computed from A)
    pos = np.arange(case_.positives)
    zero, neg = case_.positives, np.arange(case_.positives + 1, d)
    g = rng.standard_normal(d)
    # eigen-coordinates c of the four starts; the zeros are exact, so the flow never leaves their eigenspaces
    c_growth = 0.3 * g
    c_growth[0] = 1.0
    c_negative = np.zeros(d)  # N(u0) < 0, yet the smallest positive eigenvalue is present: u → ∞
    c_negative[pos[-1]], c_negative[zero], c_negative[neg] = 0.1, g[zero], np.sign(g[neg]) + 0.5 * g[neg]
    c_stall = np.zeros(d)  # no positive eigenvalue present, 0 is: u → its projection ≠ 0, N → 0
    c_stall[zero], c_stall[neg] = 0.5 + abs(g[zero]), np.sign(g[neg]) + 0.5 * g[neg]
    c_decay = np.zeros(d)  # only negative ones: u → 0, the direction → a KKT point of negative value
    c_decay[neg] = np.sign(g[neg]) + 0.5 * g[neg]
    starts = []
    At = torch.as_tensor(A, dtype=DTYPE)

    def value(s: np.ndarray) -> np.ndarray:
        return np.einsum("mi,ij,mj->m", s, A, s) / (s**2).sum(1)

    def kkt(s: np.ndarray) -> float:  # ∇N = 2As = 2N(s)s ⟺ As = (sᵀAs)s
        return float(np.linalg.norm(A @ s - (s @ A @ s) * s)) / norm_A

    full = Flow(lambda u: (((u @ At) * u).sum(-1), 2 * u @ At), 1.0, 2.0, None, "uᵀAu")
    for name, c, radius, c8 in (("growth", c_growth, case_.radius, False), ("growth from N(u0) < 0", c_negative, 1.0, True),
                                ("stall at the eigenvalue 0", c_stall, 1.0, False), ("decay", c_decay, 1.0, False)):
        c = radius * c / np.linalg.norm(c)
        present = c != 0
        m = float(mu[present].max())  # factored out of expm(2At)u0 = Σ e^{2μ_j t}c_j q_j so that nothing overflows

        def at(t: float, c=c, m=m) -> tuple[np.ndarray, float]:
            w = np.where(c != 0, np.exp(2 * np.minimum(mu - m, 0.0) * t) * c, 0.0)
            return Q @ w / np.linalg.norm(w), 2 * m * t + math.log(np.linalg.norm(w) / np.linalg.norm(c))

        u0 = Q @ c
        st_ = Start(f"quadratic, {name}", float(np.linalg.norm(u0)), u0 / np.linalg.norm(u0), value, kkt, norm_A, top)
        H = 1.0 / norm_A
        path = closed_form_path(at, st_, 1.0 / norm_A, 1e4 / norm_A, extra=[H])
        if isinstance(path, str):
            st_.why = path
        else:
            st_.path = path
        if st_.path is not None and c8:
            sH, rH = at(H)
            st_.extra = c8_entries(full, torch.as_tensor(u0, dtype=DTYPE), H, math.exp(rH) * st_.norm0 * sH, ROUNDING,
                                   st_.name, "expm(2AH)u0")
        starts.append(st_)
    return starts, {"eigenvalues": tuple(float(x) for x in mu)}


def _abs_product(case_: AbsProductCase) -> tuple[list[Start], dict]:
    r, q, sg = case_.radius, case_.ratio, case_.sign
    zs = {"case 1, z1 > 0": (1, (r * q, sg * r)), "case 1, z1 < 0 (N(u0) < 0)": (1, (-r * q, sg * r)),
          "case 2": (2, (r, sg * r * q)), "case 3": (3, (-r, sg * r * q)), "case 4 (u → 0)": (4, (-r, sg * r)),
          "case 5 (rest)": (5, (-r * q, 0.0))}

    def value(s: np.ndarray) -> np.ndarray:
        return s[:, 0] * np.abs(s[:, 1]) / (s**2).sum(1)

    def kkt(s: np.ndarray) -> float:  # dist(2f(s)s, ∂f(s)) on the unit circle
        return distance_to_subdifferential(s, 2 * float(value(s[None])[0]) * s)

    def of(u_at: Callable[[float], np.ndarray], norm0: float) -> Callable[[float], tuple[np.ndarray, float]]:
        def at(t: float) -> tuple[np.ndarray, float]:
            u = u_at(t)
            return u / np.linalg.norm(u), math.log(np.linalg.norm(u) / norm0)
        return at

    starts = []
    solutions = [(name, z, (lambda t, z=z: solution(z, t))) for name, (number, z) in zs.items()]
    assert all(case(z) == number for number, z in zs.values())  # each start lies in the case it names
    solutions += [("branching start, resting", (r, 0.0), lambda t: np.array([r, 0.0])),
                  ("branching start, escaping", (r, 0.0), lambda t: branch(r, case_.escape, sg, t))]
    for name, z, u_at in solutions:
        norm0 = math.hypot(*z)
        st_ = Start(f"u1|u2|, {name}", norm0, np.array(z) / norm0, value, kkt, 0.5, 0.5)
        path = closed_form_path(of(u_at, norm0), st_, 0.5, 1e3)
        if isinstance(path, str):
            st_.why = path
        else:
            st_.path = path
        starts.append(st_)
    return starts, {}


def _circle(case_: CircleCase) -> tuple[list[Start], dict]:
    rng = np.random.default_rng(case_.seed)
    phi = rng.uniform(0, 2 * math.pi, case_.n)
    z = rng.standard_normal(case_.n)
    theta0 = float(rng.uniform(0, 2 * math.pi))
    X = torch.as_tensor(np.stack([np.cos(phi), np.sin(phi)], 1), dtype=DTYPE)
    zt = torch.as_tensor(z, dtype=DTYPE)
    layer = SquaredReLULayer((1,), 2)
    scale = float(np.abs(z).sum())

    phit = torch.as_tensor(phi, dtype=DTYPE)

    def angle(th: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """N(θ) = Σ z_i max(0, cos(θ − φ_i))² and N′(θ) = −2Σ z_i max(0, cos(θ − φ_i)) sin(θ − φ_i), for θ of shape (B, 1)."""
        d = th - phit
        a = d.cos().clamp_min(0.0)
        return (zt * a**2).sum(-1), -2 * (zt * a * d.sin()).sum(-1, keepdim=True)

    def value(s: np.ndarray) -> np.ndarray:
        return layer.correlation_and_grad(torch.as_tensor(s, dtype=DTYPE), X, zt)[0].numpy() / (s**2).sum(1)

    def kkt(s: np.ndarray) -> float:  # ∇N(s) − 2N(s)s = N′(θ)(−sin θ, cos θ): KKT ⟺ N′(θ) = 0
        return abs(float(angle(torch.tensor([[math.atan2(s[1], s[0])]], dtype=DTYPE))[1][0, 0])) / scale

    grid = np.linspace(0, 2 * math.pi, 20_000, endpoint=False)
    best = float(value(np.stack([np.cos(grid), np.sin(grid)], 1)).max())  # attained: a lower bound on max N
    s0 = np.array([math.cos(theta0), math.sin(theta0)])
    st_ = Start("squared ReLU on the circle", case_.radius, s0, value, kkt, scale, best)
    H = 1.0 / scale
    path = integrated_path(Flow(angle, 1.0, None, None, "N(θ)"), torch.tensor([theta0], dtype=DTYPE),
                           lambda th: np.concatenate([np.cos(th), np.sin(th)], 1), lambda v: v, st_, 1.0 / scale, 1e3 / scale,
                           extra=[H])
    if isinstance(path, str):
        st_.why = path
    else:
        st_.path = path
        j = path.extra["C8"]
        reference = case_.radius * math.exp(path.rho[j]) * path.s[j]
        coarse = case_.radius * math.exp(path.rho_coarse[j]) * path.s_coarse[j]
        reference_floor = float(np.linalg.norm(reference - coarse) / np.linalg.norm(reference))
        full = layer.ncf_flow(X, zt)
        u0 = torch.as_tensor(case_.radius * s0, dtype=DTYPE)
        st_.extra = c8_entries(full, u0, H, reference, reference_floor,
                               st_.name, "‖u0‖e^ρ(H)(cos θ(H), sin θ(H)) of the angle flow θ̇ = N′(θ), ρ̇ = 2N(θ)")
    return [st_], {"n": case_.n}


def _two_layer(case_: TwoLayerCase) -> tuple[list[Start], dict]:
    rng = np.random.default_rng(case_.seed)
    X = torch.as_tensor(case_.data.X, dtype=DTYPE)
    z = torch.as_tensor(np.abs(rng.standard_normal(case_.data.n)) + 0.1, dtype=DTYPE)
    sigma = Activation(case_.alpha, 1)
    net = FeedForward((case_.data.d, 1, 1), sigma)
    u = torch.as_tensor(rng.standard_normal(case_.data.d), dtype=DTYPE)
    if float((z * sigma(X @ u)).sum()) <= 0:  # σ(s) + σ(−s) = (1 − α)|s|: F(u) + F(−u) > 0 for z > 0
        u = -u
    w0 = torch.cat([u, torch.tensor([abs(float(rng.standard_normal())) + 0.1], dtype=DTYPE)])
    w0 = case_.radius * w0 / w0.norm()
    scale = 0.5 * max(1.0, abs(case_.alpha)) * float(torch.linalg.matrix_norm(X, 2)) * float(z.norm())  # ≥ β‖z‖

    def value(s: np.ndarray) -> np.ndarray:
        st_ = torch.as_tensor(s, dtype=DTYPE)
        return (ncf(net, st_, X, z) / (st_**2).sum(-1)).numpy()

    def kkt(s: np.ndarray) -> float:
        """‖g − ⟨g, s⟩s‖/‖g‖ for the better of two admissible subgradients g at s: the chain rule's (the gradient where
        no pre-activation is exactly 0) and verify.clarke.stationarity's best over the slopes at near-kinks (whose
        interior-point solve can stop ~1e-6 inside a slope's bound, at a limit on a kink)."""
        w = torch.as_tensor(s / np.linalg.norm(s), dtype=DTYPE)
        plain = float(kkt_residual(w, ncf_and_grad(net, w, X, z)[1]))
        return min(plain, stationarity(net, w, X, z).residual)

    s0 = (w0 / w0.norm()).numpy()
    st_ = Start("one leaky-ReLU neuron", case_.radius, s0, value, kkt, scale)
    y0 = torch.cat([w0 / w0.norm(), torch.zeros(1, dtype=DTYPE)])  # (s0, ρ0 = 0): ρ is then log‖u‖ − log‖u0‖
    path = integrated_path(direction_flow(ncf_flow(net, X, z)), y0,
                           lambda y: y[:, :-1] / np.linalg.norm(y[:, :-1], axis=1, keepdims=True), lambda v: v[..., :-1], st_,
                           1.0 / scale, 1e3 / scale)
    if isinstance(path, str):
        st_.why = path
    else:
        st_.path = path
    return [st_], {}


FAMILIES = {QuadraticCase: _quadratic, AbsProductCase: _abs_product, CircleCase: _circle, TwoLayerCase: _two_layer}


# ------------------------------------------------------------------------------------------------
# the checker
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DirectionalConvergenceMeasurements:
    """What dc2.lemma5_3 measured on one instance, over its starts: the outcome of each (growth: N → ∞; stall: N → 0,
    u ↛ 0; decay: u → 0), the largest Cauchy distance ‖s(T2) − s(T1)‖ and KKT residual at T2 among the non-vanishing
    starts, the smallest N(u*) among them, the largest N(u*) among the vanishing ones (> 0 … < 0: the printed (iii) fails
    when negative), the smallest oracle margin N(u*) − N(u0)/‖u0‖² (N(u0) > 0), the largest decrease of Ñ on the grid
    (C9) and the largest C8 defect — all relative to the family's bound on |Ñ| (Cauchy, KKT: their own units)."""

    family: str
    outcomes: str
    cauchy: float
    kkt_residual: float
    min_limit_value: float
    vanishing_limit_value: float
    oracle_margin: float
    c9_drop: float
    c8_defect: float


@register
class DirectionalConvergence(Checker):
    """dc2 Lemma 5.3 (iii read for u ↛ 0): the NCF flow → 0, or converges in direction to a non-negative KKT point."""

    id = "dc2.lemma5_3"
    title = "The NCF flow tends to 0 or converges in direction to a non-negative KKT point; lim N ∈ {0, ∞}"
    source = "dc2 Lemma 5.3 and its proof (eq. 33; C8, C9); (iii) read for u ↛ 0 (the printed (iii) fails when u → 0)"
    statement = (
        "For every solution of u̇ ∈ ∂N(u), N = zᵀH(X; u) two-homogeneous: (i) lim N(u(t)) ∈ {0, +∞}; (ii) u(t)/‖u(t)‖ "
        "converges or u(t) → 0; (iii') if u(t) ↛ 0, the limit direction u* is a non-negative KKT point of max_{‖u‖=1} N "
        "(2N(u*)u* ∈ ∂N(u*), N(u*) ≥ 0). Along the flow d‖u‖²/dt = 4N, dN/dt = ‖u̇‖², Ñ = N/‖u‖² is non-decreasing, and "
        "N(u0) > 0 implies N(u*) ≥ N(u0)/‖u0‖²."
    )
    hypotheses_text = (
        "Four families (the quadratic drawn twice as often as each other), each solution exact or integrated: quadratic "
        "NCFs N = uᵀAu (corrected G.1), A = Q diag(μ)Qᵀ with "
        "1–2 eigenvalues in {0.5, 0.75, 1}, one exact 0 and two in {−0.25, …, −1}, four starts with exact zero "
        "eigen-coordinates (growth with ‖u0‖ ∈ [2, 4]; growth from N(u0) < 0; top eigenvalue present exactly 0; only negative "
        "ones); f = u1|u2| from one start per case of Lemma E.2 (also N(u0) < 0 with u → ∞) and both solutions from the "
        "branching start (resting; escaping at T ∈ [0, 3]); one squared-ReLU neuron on 3–10 unit inputs of R² at uniform "
        "angles with Gaussian z; one leaky-ReLU neuron (α ∈ {0, 0.1, 0.5}) on the default data families (n 4–8, d 2–3) "
        "with z > 0 and v0 > 0, F(u0) > 0 (convex F: the flow crosses kinks and does not slide)."
    )
    method = (
        "Each solution is followed as its direction s = u/‖u‖ and ρ = log‖u‖ − log‖u0‖ (ṡ = ∇Ñ(s), ρ̇ = 2Ñ(s), exact for "
        "two-homogeneous N; sympy obligations): closed forms for the quadratic (expm(2At)u0 in the eigenbasis, zeros "
        "exact) and u1|u2| (digest §3.3; Lemma E.1's resting and escaping solutions), integrated otherwise "
        "(verify.flow.integrate, DOP853: θ̇ = N′(θ) on the circle, the sphere flow of Ñ with sliding detection for the "
        "ReLU neuron; coarse rtol 1e-9, fine 1e-10, every floor includes their difference). T0: the KKT residual (the "
        "direction's speed) is below 1e-11 (closed forms, at T0, 2T0 and 4T0) or 1e-8·scale (integrated); T1 ≥ 1.25·T0, "
        "late enough that ‖u‖/‖u0‖ (Ñ < 0) or N_scale/N (Ñ > 0) is e^{−16} at the rate 2Ñ(u(T0)); T2 = 1.5·T1. Each limit is two "
        "resolutions in time (violation at T2, floor its change from T1 plus the tolerance floor): (i) N_scale/N → 0 or "
        "|N|/N_scale → 0 (N_scale = ‖u0‖²·bound on |Ñ|); (ii) ‖s(T2) − s(T1)‖ → 0 (floor ‖s(T1) − s(T0)‖) or ‖u‖/‖u0‖ → 0; "
        "(iii') ‖u‖/‖u0‖ → 0, or the KKT residual → 0 and Ñ(u(T2)) ≥ 0 — the residual is ‖As − (sᵀAs)s‖/‖A‖, "
        "dist(2f(s)s, ∂f(s)), |N′(θ)|/Σ|z_i|, or the better of the chain rule's and verify.clarke.stationarity's; a "
        "disjunction passes when one alternative passes, fails when all fail. Oracle: Ñ(u(T2)) ≥ N(u0)/‖u0‖² when "
        "N(u0) > 0; C9: Ñ non-decreasing on 8 equispaced times and T0, T1, T2. C8 (quadratic: one start; circle): "
        "u̇ = ∇N(u) integrated on [0, 1/scale] at rtol 1e-10 and 1e-12 with ∫N and ∫‖∇N‖² as quadratures: both "
        "identities, and u(H) against the closed form / the angle flow."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    vanishing_exempt = True  # (iii) is claimed only when u ↛ 0 (printed: whenever the direction converges)
    limit_selection = "KKT"  # "global maximum": the limit direction maximises N on the sphere
    negative_start_vanishes = False  # claim u → 0 whenever N(u0) < 0
    oracle_normaliser = staticmethod(lambda norm0: norm0**2)  # N(u*) ≥ N(u0)/normaliser(‖u0‖)
    mutants = [
        Mutant("(iii) as printed", "whenever u/‖u‖ converges its limit is a non-negative KKT point, also when u → 0",
               vanishing_exempt=False),
        Mutant("limit = global maximiser", "a limit direction of a flow not tending to 0 is a global maximiser of N on "
               "the sphere", limit_selection="global maximum"),
        Mutant("N(u0) < 0 ⇒ u → 0", "a flow started where N < 0 tends to 0", negative_start_vanishes=True),
        Mutant("N(u*) ≥ N(u0)", "the oracle without the normalisation: N(u*) ≥ N(u0) when N(u0) > 0",
               oracle_normaliser=staticmethod(lambda norm0: 1.0)),
    ]

    def hypotheses(self):
        quadratic = st.builds(QuadraticCase, st.integers(1, 2), st.floats(2.0, 4.0), seeds())
        return st.one_of(  # the quadratic family twice: it is cheap and has all three outcomes in every instance
            quadratic, quadratic,
            st.builds(AbsProductCase, st.floats(0.3, 3.0), st.floats(0.05, 0.95), st.sampled_from((1.0, -1.0)),
                      st.floats(0.0, 3.0)),
            st.builds(CircleCase, st.integers(3, 10), st.floats(0.3, 3.0), seeds()),
            st.builds(TwoLayerCase, datasets(n=(4, 8), d=(2, 3)), st.sampled_from((0.0, 0.1, 0.5)), st.floats(0.3, 3.0),
                      seeds()),
        )

    def claim(self, instance, ctx: Context) -> Evidence:
        with torch.no_grad():
            starts, info = FAMILIES[type(instance)](instance)
        checked: list[Entry] = []
        rows = []
        for start in starts:
            if start.path is None:
                checked.append(Entry(math.nan, math.nan, False, f"{start.name}: undecided ({start.why})"))
                continue
            entries, row = self._decide(start)
            checked += entries + start.extra
            rows.append(row)
        m = self._measurements(type(instance).__name__, rows, starts)
        notes = [f"{s.name}: {s.why}" for s in starts if s.why]
        return Evidence(checked, m, instance=str(instance), note="; ".join(notes + [f"{k} {v}" for k, v in info.items()]))

    # -- one solution --------------------------------------------------------------------------------

    def _decide(self, st_: Start) -> tuple[list[Entry], dict]:
        p, sc = st_.path, st_.scale
        i0, i1, i2 = p.i0, p.i1, p.i2
        Nt, Nt_c = st_.value(p.s), st_.value(p.s_coarse)
        tol_N = np.abs(Nt - Nt_c) + p.rounding * sc  # the floor of Ñ at each time (tolerances, rounding)
        name = st_.name
        N0 = st_.norm0**2 * float(st_.value(st_.s0[None])[0])

        def resolved(coarse: float, fine: float, tol: float, label: str) -> Entry:
            """lim = 0 read at T1 (coarse) and T2 (fine): violation |fine|, floor the change plus the tolerance floor."""
            ok = math.isfinite(coarse) and math.isfinite(fine) and math.isfinite(tol)
            return Entry(abs(fine), abs(fine - coarse) + tol, ok, label)

        def q_infinite(j: int, N: np.ndarray, rho: np.ndarray) -> float:  # N_scale/N(u(t)) = sc/(e^{2ρ}Ñ)
            return _exp(math.log(sc) - 2 * rho[j] - math.log(N[j])) if N[j] > 0 else 1.0

        def q_zero(j: int, N: np.ndarray, rho: np.ndarray) -> float:  # |N(u(t))|/N_scale
            return _exp(2 * rho[j] + math.log(abs(N[j]) / sc)) if N[j] != 0 else 0.0

        def pair(q: Callable[..., float], label: str) -> Entry:
            a, b = q(i1, Nt, p.rho), q(i2, Nt, p.rho)
            tol = abs(b - q(i2, Nt_c, p.rho_coarse)) + abs(a - q(i1, Nt_c, p.rho_coarse)) + p.rounding * max(abs(a), abs(b))
            return resolved(a, b, tol, label)

        # (i) lim N ∈ {+∞, 0}
        to_infinity = pair(q_infinite, f"{name}: (i) N(u(t)) → +∞ (N_scale/N at T2)")
        to_zero = pair(q_zero, f"{name}: (i) N(u(t)) → 0 (|N|/N_scale at T2)")
        entries = [self._either([to_infinity, to_zero])]
        # (ii) the direction converges, or u → 0
        ds = [float(np.linalg.norm(p.s[i1] - p.s[i0])), float(np.linalg.norm(p.s[i2] - p.s[i1]))]
        ds_c = [float(np.linalg.norm(p.s_coarse[i1] - p.s_coarse[i0])), float(np.linalg.norm(p.s_coarse[i2] - p.s_coarse[i1]))]
        converges = resolved(ds[0], ds[1], abs(ds[0] - ds_c[0]) + abs(ds[1] - ds_c[1]) + p.rounding,
                             f"{name}: (ii) u/‖u‖ converges (‖s(T2) − s(T1)‖)")
        norms, norms_c = np.exp(np.minimum(p.rho, 700)), np.exp(np.minimum(p.rho_coarse, 700))
        vanishes = resolved(norms[i1], norms[i2], abs(norms[i2] - norms_c[i2]) + abs(norms[i1] - norms_c[i1])
                            + p.rounding * norms[i1], f"{name}: u(t) → 0 (‖u(T2)‖/‖u0‖)")
        entries.append(self._either([converges, vanishes]))
        # (iii') u ↛ 0 ⇒ the limit direction is a KKT point with N(u*) ≥ 0
        res = [st_.kkt(p.s[i1]), st_.kkt(p.s[i2])]
        res_c = [st_.kkt(p.s_coarse[i1]), st_.kkt(p.s_coarse[i2])]
        kkt = resolved(res[0], res[1], abs(res[0] - res_c[0]) + abs(res[1] - res_c[1]) + p.rounding,
                       f"{name}: the limit direction is a KKT point (residual at T2)")
        limit_floor = (abs(Nt[i2] - Nt[i1]) + tol_N[i2]) / sc
        nonneg = at_least(float(Nt[i2]), 0.0, limit_floor, f"{name}: N(u*) ≥ 0", scale=sc)
        kkt_nonneg = self._both([kkt, nonneg])
        if self.vanishing_exempt:
            entries.append(self._either([vanishes, kkt_nonneg]))
        else:  # the printed (iii): whenever the direction converges
            entries.append(self._implies(converges, kkt_nonneg))
        # the proof's oracle: N(u0) > 0 ⇒ N(u*) ≥ N(u0)/‖u0‖²
        margin = math.nan
        if N0 > 0:
            bound = N0 / self.oracle_normaliser(st_.norm0)
            entries.append(at_least(float(Nt[i2]), bound, limit_floor, f"{name}: N(u*) ≥ N(u0)/‖u0‖² (N(u0) > 0)", scale=sc))
            margin = (float(Nt[i2]) - N0 / st_.norm0**2) / sc
        # C9: Ñ(u(t)) non-decreasing on the grid
        drop = 0.0
        for j in range(1, len(p.t)):
            floor = (tol_N[j] + tol_N[j - 1]) / sc + ROUNDING
            entries.append(at_least(float(Nt[j]), float(Nt[j - 1]), floor, f"{name}: Ñ(t_{j}) ≥ Ñ(t_{j - 1}) (C9)", scale=sc))
            drop = max(drop, float(Nt[j - 1] - Nt[j]) / sc)
        # the mutants' extra claims
        if self.limit_selection == "global maximum" and st_.global_max is not None:
            best = at_least(float(Nt[i2]), st_.global_max, limit_floor, f"{name}: u* maximises N on the sphere", scale=sc)
            entries.append(self._either([vanishes, best]))
        if self.negative_start_vanishes and N0 < 0:
            entries.append(vanishes)
        verdict = self.decide_entry
        outcome = ("decay" if verdict(vanishes) is Verdict.PASS else "growth" if verdict(to_infinity) is Verdict.PASS
                   else "stall" if verdict(to_zero) is Verdict.PASS else "?")
        row = {"outcome": outcome, "cauchy": ds[1], "kkt": res[1], "value": float(Nt[i2]) / sc, "margin": margin,
               "drop": drop}
        return entries, row

    # -- combining entries -------------------------------------------------------------------------

    def _ratio(self, e: Entry) -> float:
        return e.violation / self.bound(e.error_floor) if math.isfinite(e.violation) and math.isfinite(e.error_floor) else math.inf

    def _either(self, alternatives: list[Entry]) -> Entry:
        """A disjunction: the passing alternative if one passes, else an undecided one, else the least failing."""
        by = {v: [e for e in alternatives if self.decide_entry(e) is v] for v in Verdict}
        for v in (Verdict.PASS, Verdict.INCONCLUSIVE, Verdict.FAIL):
            if by.get(v):
                e = min(by[v], key=self._ratio)
                return Entry(e.violation, e.error_floor, e.converged, " or ".join(a.label for a in alternatives)
                             + f" [decided by: {e.label.split(': ', 1)[-1]}]")
        raise AssertionError("no alternative")

    def _both(self, parts: list[Entry]) -> Entry:
        """A conjunction: a failing part if one fails, else an undecided one, else the part closest to failing."""
        for v in (Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.PASS):
            hit = [e for e in parts if self.decide_entry(e) is v]
            if hit:
                e = max(hit, key=self._ratio)
                return Entry(e.violation, e.error_floor, e.converged, " and ".join(a.label for a in parts)
                             + f" [decided by: {e.label.split(': ', 1)[-1]}]")
        raise AssertionError("no part")

    def _implies(self, premise: Entry, conclusion: Entry) -> Entry:
        verdict = self.decide_entry(premise)
        label = f"if {premise.label}, then {conclusion.label}"
        if verdict is Verdict.PASS:
            return Entry(conclusion.violation, conclusion.error_floor, conclusion.converged, label)
        if verdict is Verdict.FAIL:
            return Entry(0.0, 0.0, True, label + " [vacuous: the premise fails]")
        return Entry(math.nan, math.nan, False, label + " [the premise is undecided]")

    def _measurements(self, family: str, rows: list[dict], starts: list[Start]) -> DirectionalConvergenceMeasurements:
        def pick(key: str, outcomes: tuple[str, ...], how: Callable) -> float:
            vals = [r[key] for r in rows if r["outcome"] in outcomes and math.isfinite(r[key])]
            return float(how(vals)) if vals else math.nan

        c8 = [e.violation for s in starts for e in s.extra if math.isfinite(e.violation)]
        return DirectionalConvergenceMeasurements(
            family, ", ".join(r["outcome"] for r in rows), pick("cauchy", ("growth", "stall"), max),
            pick("kkt", ("growth", "stall"), max), pick("value", ("growth", "stall"), min), pick("value", ("decay",), max),
            pick("margin", ("growth", "stall", "decay", "?"), min), pick("drop", ("growth", "stall", "decay", "?"), max),
            max(c8) if c8 else math.nan)

    # -- obligations ---------------------------------------------------------------------------------

    def obligations(self) -> list[Obligation]:
        """Sympy, for generic u, s ∈ R³ with N = uᵀs/2 (Euler): the direction's velocity (I − uuᵀ/‖u‖²)s/‖u‖ and
        d log‖u‖/dt = 2N/‖u‖² when u̇ = s (the split used to follow the flow), and dÑ/dt = ‖(I − uuᵀ/‖u‖²)s‖²/‖u‖² ≥ 0
        (eq. 33); for the quadratic NCF, u(t) = Σ_j e^{2μ_j t}c_j q_j solves u̇ = 2Au (one eigen-coordinate suffices);
        on the circle, for N = (pu1 + qu2)² (a squared ReLU piece), the angular velocity of u̇ = ∇N(u) is N′(θ) at ‖u‖ = 1."""
        u = sp.Matrix(sp.symbols("u1:4", real=True))
        s = sp.Matrix(sp.symbols("s1:4", real=True))
        r2 = (u.T * u)[0]
        N = (u.T * s)[0] / 2
        P = sp.eye(3) - u * u.T / r2
        direction = (s / sp.sqrt(r2) - u * (u.T * s)[0] / r2 ** sp.Rational(3, 2)) - P * s / sp.sqrt(r2)
        log_norm = sp.simplify((u.T * s)[0] / r2 - 2 * N / r2)
        grad_tilde = s / r2 - 2 * N * u / r2**2  # ∇Ñ with ∇N = s (Lemma C.6)
        monotone = sp.simplify((grad_tilde.T * s)[0] - ((P * s).T * (P * s))[0] / r2)
        t, mu, c = sp.symbols("t mu c", real=True)
        coordinate = sp.exp(2 * mu * t) * c
        th, pp, qq = sp.symbols("theta p q", real=True)
        u1, u2 = sp.symbols("u1 u2", real=True)
        Nq = (pp * u1 + qq * u2) ** 2
        grad = sp.Matrix([sp.diff(Nq, u1), sp.diff(Nq, u2)]).subs({u1: sp.cos(th), u2: sp.sin(th)})
        angular = sp.simplify(-sp.sin(th) * grad[0] + sp.cos(th) * grad[1] - sp.diff(Nq.subs({u1: sp.cos(th), u2: sp.sin(th)}), th))
        out = [
            Obligation("direction", "d(u/‖u‖)/dt = (I − uuᵀ/‖u‖²)u̇/‖u‖", all(sp.simplify(x) == 0 for x in direction), "exact"),
            Obligation("log-norm", "d log‖u‖/dt = uᵀu̇/‖u‖² = 2N/‖u‖² (Euler: uᵀs = 2N)", log_norm == 0, str(log_norm)),
            Obligation("eq. 33", "dÑ/dt = ∇Ñ·u̇ = ‖(I − uuᵀ/‖u‖²)s‖²/‖u‖² ≥ 0", monotone == 0, str(monotone)),
            Obligation("quadratic", "e^{2μt}c solves ċ = 2μc (expm(2At)u0 in the eigenbasis)",
                       sp.simplify(sp.diff(coordinate, t) - 2 * mu * coordinate) == 0, "exact"),
            Obligation("circle", "(−sin θ, cos θ)·∇N(cos θ, sin θ) = dN(cos θ, sin θ)/dθ for N = (pu1 + qu2)²",
                       angular == 0, str(angular)),
        ]
        return out
