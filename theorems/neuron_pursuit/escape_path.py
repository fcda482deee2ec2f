"""Escape from the origin and the limiting path p(t) (np Lemmas 4 and 5, from Kumar & Haupt 2025b): the numerics shared by
np.lemma4 and np.lemma5.

Setting (digest §1.3, [L4], [L5]): H is D-homogeneous (D the degree, errata 6.3: not the depth), ψ(t, w) the gradient flow
of ½‖H(X; w) − y‖² from w, N(u) = yᵀH(X; u). A unit w0 lies in the stable set of w*, the limit direction of the NCF flow
u̇ = ∇N(u) from w0. The limiting path of the lemmas is

    p(t) = lim_{δ→0} ψ(t + T_esc(δ), δw*),   T_esc(δ) = ln(1/δ)/(2N(w*)) (D = 2),  δ^{2−D}/(D(D−2)N(w*)) (D > 2),

and the lemmas say ψ(t + T_δ, δw0) tracks p(t) to O(δ^β) on a fixed window, T_δ "some function of δ". The proof's T_δ
[DERIVED]: along the ray the NCF flow is ρ̇ = D·N(w*)ρ^{D−1}; far along, the NCF flow from w0 is that ray flow from a
shifted time, so ψ(·, δw0) is ψ(·, δ'w*) shifted:

    D > 2:  T_δ = T*(w0)·δ^{2−D}, T*(w0) the NCF flow's blow-up time from w0 (verify.flow.blow_up);
    D = 2:  T_δ = T_esc(κδ), κ = lim e^{−2N(w*)t}‖u(t)‖ (the NCF flow is linear, u(t) = e^{At}w0: w* and κ are the
            normalised projection of w0 on A's top eigenspace and its norm).

The window is t ∈ [−T_a, T_b] with T_a = T_esc(ρ_a) (p(−T_a) ≈ ρ_a·w*: the time p needs from radius ρ_a, by the same
formula) and T_b = T_ε, the first time ‖p(t) − p*‖ ≤ ε/2. p is computed from rows δ' ∈ P_DELTAS (far below the δ of the
tracked rows); its floor is the change between the two δ'. The tracked δ rows run as one tensor program per stage, and p's rows as
another (verify.flow.integrate_batch, DOP853, per-row steps and horizons): stage 1 from the start to the window's start
(each row to its own horizon), stage 2 over the shared window grid, both at two tolerances. Both stages integrate the
training flow itself with an absolute tolerance far below every row's scale, so the step control is relative: the same
steps as the flow rescaled to the NCF's scale (verify.flow.rescaled_training_flow) at a quarter of the cost per step.
p* is the polished limit of p: the finest p row followed past the window until ‖∇L‖ is small, then Newton steps on its
support (pseudo-inverse of the Hessian: the rescaling symmetries make it singular); its certificate is ‖∇L(p*)‖ there.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from verify.flow import FlowStatus, blow_up, flow_key, integrate_batch, loss_flow, memo, ncf_flow, positive_ncf_start
from verify.kkt import ascent_directions, certify_kkt
from verify.ncf import ncf
from verify.nets import DTYPE, EPS, FeedForward

LOSS_SCALE = 0.5  # ½‖H − y‖², so −ℓ′(0, y) = y is the NCF's z
RHO_WINDOW = 0.1  # the window starts where p is at radius ρ_a = 0.1 (p(−T_a) ≈ ρ_a·w*)
DELTAS = (0.016, 0.008, 0.004, 0.002)  # the tracked rows
P_DELTAS = (1e-4, 1e-5)  # p's rows (the limit δ' → 0; floor: their change)
POINTS = 32  # window grid
RTOL = 1e-8  # coarse tolerance; the fine one is RTOL/100
MAX_STEPS = 6_000  # per row and stage
CHUNK_STEPS = 3_000  # the finest p row past the window, per chunk
CHUNKS = 6
CONVERGED = 1e-6  # p is followed until ‖∇L(p)‖ ≤ this × the gradient scale, then polished
STATIONARY = 1e-11  # p* is certified stationary when ‖∇L(p*)‖ ≤ this × the gradient scale ‖y‖·max(1, ‖J(p*)‖)
NEWTON_STEPS = 30
SUPPORT = 1e-12  # the support of p's end: coordinates above this × its norm (the zero neurons are exactly 0)
RHO_SPAN = 40.0  # the blow-up is followed until log‖u‖ grew by this (and the direction's KKT residual ≤ 1e-8)
ZERO_NEURON = 1e-10  # a hidden neuron of w* is zero when its incoming and outgoing norms are below this
ABS_FLOOR = 1e-12  # atol = rtol × this: far below the smallest row's scale (δ' ≥ 1e-5), so the error control is relative


# ------------------------------------------------------------------------------------------------
# the start and its limit direction
# ------------------------------------------------------------------------------------------------

def escape_start(net: FeedForward, X: torch.Tensor, y: torch.Tensor, seed: int) -> torch.Tensor | None:
    """A random unit w0 with N(w0) > 0; for a two-layer net with p ≥ 2 every hidden neuron's own NCF term b_j·f(a_j) is made
    positive (its outgoing weight's sign), so that every neuron's NCF flow blows up and w* keeps the first (np Lemma 11):
    the others are w*'s zero neurons. None when N(w0) = 0 to rounding."""
    if net.activation.p == 1 or net.depth != 2:
        return positive_ncf_start(net, X, y, seed)
    u = net.random_unit(1, torch.Generator().manual_seed(seed))[0]
    W1, W2 = net.split(u)
    terms = (y.reshape(-1, 1) * net.activation(X @ W1.T)).sum(0) * W2[0]  # b_j·f(a_j), f(a) = Σ_i y_i σ(aᵀx_i)
    if not bool((terms.abs() > 1e-12 * float(terms.abs().max())).all()):
        return None
    return net.flatten([W1, W2 * torch.sign(terms)[None]])


@dataclass(frozen=True)
class EscapeDirection:
    """w* (the NCF flow's limit direction from w0, with its zero neurons set exactly to 0), N(w*), the proof's time offset
    (D > 2: T*(w0); D = 2: κ), the KKT certificate's residual, the largest tangent curvature of the constrained NCF at w*
    relative to λ (second order: ≤ 0) and the zero neurons (hidden indices)."""

    degree: int
    w0: torch.Tensor
    w_star: torch.Tensor
    N_star: float
    offset: float
    residual: float
    certified: bool
    second_order: bool
    zero_neurons: tuple[int, ...]


def escape_direction(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w0: torch.Tensor) -> EscapeDirection | str:
    """The limit direction of the NCF flow from w0 and the offset of the proof's T_δ (module docstring)."""
    D = net.degree
    nf = ncf_flow(net, X, y)
    if D == 2:
        # N is a quadratic form: u(t) = e^{At}w0, A = ∇²N (constant); w0's projection on A's top eigenspace leads
        A = torch.autograd.functional.hessian(lambda w: ncf(net, w, X, y), torch.zeros_like(w0))
        values, vectors = torch.linalg.eigh(A)
        top = values >= values[-1] - 1e-9 * values.abs().max()
        V = vectors[:, top]
        proj = V @ (V.T @ w0)
        kappa = float(proj.norm())
        if not kappa > 1e-6 or not float(values[-1]) > 0:
            return "w0 is (nearly) orthogonal to the top eigenspace of the NCF, or the NCF has no positive eigenvalue"
        w_star, offset = proj / kappa, kappa
    else:
        # the span of ρ = log‖u‖ is reached by τ = RHO_SPAN/(D·N(w0)) (dρ/dτ = D·N(s) ≥ D·N(w0)); five times that bounds
        # the wait for the direction's residual (a near-tie of two neurons' blow-ups converges slowly: then undecided)
        tau_max = 5 * RHO_SPAN / (D * float(ncf(net, w0 / w0.norm(), X, y)))
        run = memo(flow_key("np.lemma4 blow-up", net, X, y, w0),
                   lambda: blow_up(nf, w0, rtol=1e-10, atol=1e-12, rho_span=RHO_SPAN, kkt_tol=1e-8, tau_max=tau_max))
        if not run.converged:
            return f"the NCF flow's direction did not converge ({run.message})"
        w_star, offset = torch.as_tensor(run.direction, dtype=DTYPE), run.T_star
    zero = zero_neurons(net, w_star)
    if zero:  # the limit's zero neurons (entries ~1e-20 after the blow-up) set exactly to 0: the KKT point itself
        W1, W2 = (W.clone() for W in net.split(w_star))
        W1[list(zero)] = 0.0
        W2[:, list(zero)] = 0.0
        w_star = net.flatten([W1, W2])
        w_star = w_star / w_star.norm()
    cert = certify_kkt(net, w_star, X, y)
    N_star = float(ncf(net, w_star, X, y))
    second = cert is not None and not ascent_directions(net, w_star, X, y, cert.lam, relative=1e-7)
    return EscapeDirection(D, w0, w_star, N_star, offset, cert.residual if cert is not None else math.inf, cert is not None,
                           second, zero)


def zero_neurons(net: FeedForward, u: torch.Tensor) -> tuple[int, ...]:
    """Hidden neurons (two-layer nets) whose incoming and outgoing weights are below ZERO_NEURON."""
    if net.depth != 2:
        return ()
    W1, W2 = net.split(u)
    small = (W1.norm(dim=1) < ZERO_NEURON) & (W2.norm(dim=0) < ZERO_NEURON)
    return tuple(int(j) for j in small.nonzero().flatten())


def escape_time(delta: float, degree: float, N_star: float) -> float:
    """The printed shift of p's definition: ln(1/δ)/(2N(w*)) for degree 2, δ^{2−D}/(D(D−2)N(w*)) above."""
    if degree == 2:
        return math.log(1 / delta) / (2 * N_star)
    return delta ** (2 - degree) / (degree * (degree - 2) * N_star)


def proof_shift(direction: EscapeDirection, delta: float) -> float:
    """The proof's T_δ for the run from δw0 (module docstring)."""
    if direction.degree == 2:
        return escape_time(direction.offset * delta, 2, direction.N_star)
    return direction.offset * delta ** (2 - direction.degree)


def permuted_kkt(net: FeedForward, u: torch.Tensor) -> torch.Tensor | None:
    """The image of the KKT point u under the hidden-neuron transposition that moves it farthest (a symmetry of H, so
    another KKT point of the same value); None when every transposition moves u by less than 0.1."""
    W1, W2 = net.split(u)
    best, far = None, 0.1
    for i, j in itertools.combinations(range(W1.shape[0]), 2):
        perm = list(range(W1.shape[0]))
        perm[i], perm[j] = j, i
        v = net.flatten([W1[perm], W2[:, perm]])
        if float((v - u).norm()) > far:
            best, far = v, float((v - u).norm())
    return best


# ------------------------------------------------------------------------------------------------
# the tracked rows and p
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tracking:
    """Stage 2 of every row on the window grid (times t ∈ [−T_a, T_b] relative to the shift) at the fine tolerance
    (``psi`` (δ, grid, k), ``p`` (δ', grid, k)) and the coarse one; p* and its certificate; the costs.

    window: (T_a, T_b); eps: ε; T_eps: T_b; p_star; grad_star: ‖∇L(p*)‖; grad_scale: ‖y‖·max(1, ‖J(p*)‖);
    polish_distance: ‖p* − p(end of the long run)‖; settled: the long run's ‖∇L‖ fell to CONVERGED;
    reached: p came within ε/2 of p* (else T_b is the long run's end);
    steps: accepted steps per row (stage 1 + 2, fine; δ rows then p rows); seconds: wall time of the fine batches of the
    δ rows, of the p rows, and of the long p run; finished: every row reached its horizon at both tolerances.
    """

    deltas: tuple[float, ...]
    p_deltas: tuple[float, ...]
    grid: np.ndarray
    psi: np.ndarray
    psi_coarse: np.ndarray
    p: np.ndarray
    p_coarse: np.ndarray
    window: tuple[float, float]
    eps: float
    p_star: np.ndarray
    grad_star: float
    grad_scale: float
    polish_distance: float
    settled: bool
    reached: bool
    steps: tuple[int, ...]
    seconds: tuple[float, ...]
    finished: bool


def track(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w0: torch.Tensor, limit: torch.Tensor,
          shift: Callable[[float], float], escape: Callable[[float], float], eps_fraction: float) -> Tracking | str:
    """Run the rows δ'·``limit`` (shifted by ``escape``(δ')) to p, p* and the window [−T_a, T_ε], T_a = escape(ρ_a), then
    the rows δw0 (shifted by ``shift``(δ)) on that window; a reason string when a stage fails. The two parts are kept
    apart (verify's memo), so a variant that changes only T_δ or only p recomputes only its own rows."""
    T_a = escape(RHO_WINDOW)
    p_horizons = tuple(escape(d) - T_a for d in P_DELTAS)
    psi_horizons = tuple(shift(d) - T_a for d in DELTAS)
    if not min(p_horizons + psi_horizons) > 0:
        return f"a row's shift is before the window's start (T − T_a = {min(p_horizons + psi_horizons):.3g})"
    path = memo(flow_key("np.lemma4 limit path", net, X, y, limit, T_a, p_horizons, eps_fraction),
                lambda: _limit_path(net, X, y, limit, T_a, p_horizons, eps_fraction))
    if isinstance(path, str):
        return path
    rows = memo(flow_key("np.lemma4 tracked rows", net, X, y, w0, psi_horizons, path.grid.round(9).tobytes()),
                lambda: _rows(net, X, y, w0[None] * torch.tensor(DELTAS, dtype=DTYPE)[:, None], psi_horizons, path.grid))
    if isinstance(rows, str):
        return rows
    return Tracking(DELTAS, P_DELTAS, path.grid - T_a, rows.fine, rows.coarse, path.rows.fine, path.rows.coarse,
                    (T_a, float(path.grid[-1]) - T_a), path.eps, path.p_star, path.grad_star, path.grad_scale,
                    path.polish_distance, path.settled, path.reached, rows.steps + path.rows.steps,
                    (rows.seconds, path.rows.seconds, path.seconds), rows.finished and path.rows.finished)


@dataclass(frozen=True)
class _Rows:
    """Rows on the window grid at the fine and coarse tolerance, accepted steps per row (fine, both stages), wall time of
    both stages at the fine tolerance, and whether every row reached its horizon at both tolerances."""

    fine: np.ndarray
    coarse: np.ndarray
    steps: tuple[int, ...]
    seconds: float
    finished: bool


def _rows(net: FeedForward, X: torch.Tensor, y: torch.Tensor, starts: torch.Tensor, horizons: tuple[float, ...],
          grid: np.ndarray) -> _Rows | str:
    """Stage 1 (each row to its own horizon, the window's start) and stage 2 (the window grid) in one batch per stage."""
    loss = loss_flow(net, X, y, scale=LOSS_SCALE)
    out, steps, seconds, finished = {}, (), 0.0, True
    for rtol in (RTOL, RTOL / 100):
        t0 = time.perf_counter()
        first = integrate_batch(loss, starts, torch.tensor(horizons, dtype=DTYPE), rtol=rtol, atol=rtol * ABS_FLOOR,
                                max_steps=MAX_STEPS)
        if any(s is not FlowStatus.SUCCESS for s in first.status):
            return "stage 1 (to the window's start) did not finish for every row"
        second = integrate_batch(loss, first.u_end, float(grid[-1]), rtol=rtol, atol=rtol * ABS_FLOOR, t_eval=grid,
                                 max_steps=MAX_STEPS)
        out[rtol] = second.u_eval.numpy()
        finished &= all(s is FlowStatus.SUCCESS for s in second.status)
        steps = tuple(int(a + b) for a, b in zip(first.steps.tolist(), second.steps.tolist()))
        seconds = time.perf_counter() - t0
    return _Rows(out[RTOL / 100], out[RTOL], steps, seconds, finished)


@dataclass(frozen=True)
class _LimitPath:
    """p's rows on the window grid (grid from the window's start), ε, p* and its certificate, the long run's time."""

    rows: _Rows
    grid: np.ndarray
    eps: float
    p_star: np.ndarray
    grad_star: float
    grad_scale: float
    polish_distance: float
    settled: bool
    reached: bool
    seconds: float


def _limit_path(net: FeedForward, X: torch.Tensor, y: torch.Tensor, limit: torch.Tensor, T_a: float,
                horizons: tuple[float, ...], eps_fraction: float) -> _LimitPath | str:
    loss = loss_flow(net, X, y, scale=LOSS_SCALE)
    starts = limit[None] * torch.tensor(P_DELTAS, dtype=DTYPE)[:, None]
    first = integrate_batch(loss, starts[-1:], horizons[-1], rtol=RTOL, atol=RTOL * ABS_FLOOR, max_steps=MAX_STEPS)
    if first.status[0] is not FlowStatus.SUCCESS:
        return f"p's finest row did not reach the window's start: {first.status[0]}"
    # p*: the finest p row followed past the window's start until ‖∇L‖ is small, then polished (the coarse tolerance is
    # enough: the polish makes p* exact, and T_ε is read on a grid)
    t0 = time.perf_counter()
    u, t_long, path_t, path_u = first.u_end.clone(), 0.0, [0.0], [first.u_end[0].numpy()]
    settled = False
    chunk = 4 * T_a + 4 / N_star_of(net, X, y, limit)
    for _ in range(CHUNKS):
        grid = np.linspace(0.0, chunk, 101)[1:]
        b = integrate_batch(loss, u, chunk, rtol=RTOL, atol=RTOL * ABS_FLOOR, t_eval=grid, max_steps=CHUNK_STEPS)
        if b.status[0] is not FlowStatus.SUCCESS:
            return f"p past the window: {b.status[0]}"
        path_t += list(t_long + grid)
        path_u += list(b.u_eval[0].numpy())
        t_long += chunk
        u = b.u_end.clone()
        g = float(loss.value_and_grad(u)[1].norm())
        settled = g <= CONVERGED * gradient_scale(net, X, y, u[0])
        if settled:
            break
    p_end = u[0]
    p_star, grad_star = polish_stationary(net, X, y, p_end)
    seconds = time.perf_counter() - t0
    eps = eps_fraction * float(p_star.norm())
    dist = np.linalg.norm(np.asarray(path_u) - p_star.numpy(), axis=1)
    inside = np.nonzero(dist <= eps / 2)[0]
    reached = bool(len(inside))  # else the window runs to the long run's end and (9) is undecided
    span = float(path_t[int(inside[0])]) if reached else t_long  # T_a + T_ε
    window = np.linspace(0.0, max(span, 1e-3 * T_a), POINTS + 1)
    rows = _rows(net, X, y, starts, horizons, window)
    if isinstance(rows, str):
        return rows
    return _LimitPath(rows, window, eps, p_star.numpy(), grad_star, gradient_scale(net, X, y, p_star),
                      float((p_star - p_end).norm()), settled, reached, seconds)


def N_star_of(net: FeedForward, X: torch.Tensor, y: torch.Tensor, u: torch.Tensor) -> float:
    """N(u/‖u‖) (the time scale of the escape)."""
    return float(ncf(net, u / u.norm(), X, y))


def gradient_scale(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> float:
    """‖y‖·max(1, ‖J(w)‖₂): the size a gradient Jᵀ(H − y) of the loss can have near w."""
    J = torch.autograd.functional.jacobian(lambda v: net(v, X).reshape(-1), w)
    return float(y.norm()) * max(1.0, float(torch.linalg.matrix_norm(J, 2)))


def polish_stationary(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Newton steps on ∇L = 0 over the support of w (the zero neurons stay exactly 0: their gradient vanishes there), with
    the Hessian's pseudo-inverse (the rescaling symmetries make it singular); returns the best point and ‖∇L‖ there."""
    support = (w.abs() > SUPPORT * float(w.norm())).nonzero().flatten()

    def loss_of(v: torch.Tensor) -> torch.Tensor:
        return LOSS_SCALE * (net(v, X) - y.reshape(-1, 1)).square().sum()

    def grad(v: torch.Tensor) -> torch.Tensor:
        return torch.autograd.functional.jacobian(loss_of, v)

    best, best_g = w.clone(), float(grad(w).norm())
    v = w.clone()
    for _ in range(NEWTON_STEPS):
        g = grad(v)
        Hs = torch.autograd.functional.hessian(loss_of, v)[support][:, support]
        step = torch.linalg.pinv(Hs, rtol=1e-10, hermitian=True) @ g[support]
        v = v.clone()
        v[support] -= step
        gn = float(grad(v).norm())
        if gn < best_g:
            best, best_g = v.clone(), gn
        if gn <= 64 * EPS * max(1.0, float(v.norm())) or float(step.norm()) <= 4 * EPS * float(v.norm()):
            break
    return best, best_g
