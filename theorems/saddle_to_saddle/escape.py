"""s2s support: escape directions of bias-free ReLU MLPs from the saddle at θ = 0 (§2–3, Prop. 3.2).

Shared by s2s.example1, s2s.prop3_2 and the experiments s2s.fig2 and s2s.depth_sweep (moved here
from verify/escape.py: it serves this paper only).

Sign convention (s2s digest §0 and §1.4; the only one homcheck uses):

  * data X has shape (N, d), one sample per row (the paper's X is d×N); G = ∇C(0) is stored the
    same way, shape (N, m) (the paper's G is m×N). Y_θ = net(θ, X) has shape (N, m);
  * localized loss  L0(θ) = Tr[GᵀY_θ] = Σ_{j,k} G[j,k]·Y_θ[j,k]  (s2s eq. 1), positively
    L-homogeneous for a depth-L ReLU net;
  * sphere S_L = {θ : ‖θ‖² = L} (radius √L); speed(θ) = −L0(θ) for θ ∈ S_L, so a positive speed
    escapes; the optimal speed is s*(L) = max_{S_L} speed = −min_{S_L} L0 (the paper's Thm 3.1
    prints "min", digest T2);
  * escape direction (Def. 2.1): ρ ∈ S_L with ∇L0(ρ) = −sρ, s > 0, in the Clarke sense at ReLU
    kinks; Euler's identity then gives s = −L0(ρ).

NCF correspondence, which lets the engine's machinery (verify/ncf.py) do the work: with z = −G the
engine's NCF is N_z(θ) = −L0(θ). For θ = √L·u with ‖u‖ = 1, homogeneity gives
speed(θ) = L^{L/2}·N_z(u) and ∇L0(θ) = −L^{(L−1)/2}·∇N_z(u). Hence a unit KKT point ∇N_z(u) = λu
is the escape direction ρ = √L·u with speed s = L^{L/2−1}·λ, and the relative residual
‖∇L0(ρ) + sρ‖/‖∇L0(ρ)‖ is the engine's KKT residual of u; the engine's Clarke certificate
(``stationarity``) and monotone ascent (``constrained_ncf_max``) apply after rescaling by powers of L.

Functions taking data run on the device of X when X is a tensor, else on the CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from verify.activations import Activation
from verify.clarke import stationarity
from verify.errors import InputError, as_data, check_positive, check_positive_int
from verify.kkt import constrained_ncf_max
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward, resolve_device
from verify.sphere import ScheduledAscent, scheduled_ascent, step_schedule

RELU = Activation(0.0, 1)  # σ′(0) = ½ (the engine's mean slope); Clarke certificates range over [0, 1]


# ---------------------------------------------------------------------------------------------
# problems: architecture, data and G


def relu_mlp(widths: tuple[int, ...] | list[int]) -> FeedForward:
    """The bias-free ReLU MLP with widths (d, n_1, …, n_{L−1}, m) (every width >= 1, depth >= 2)."""
    return FeedForward(tuple(widths), RELU)


def _require_relu(net: FeedForward) -> None:
    if not isinstance(net, FeedForward) or net.activation != RELU:
        raise InputError(f"escape directions are defined here for bias-free ReLU MLPs, got {net}")


def _data_device(X: Any, device: str | torch.device | None) -> torch.device:
    if device is not None:
        return resolve_device(device)
    return X.device if torch.is_tensor(X) else torch.device("cpu")


def _as_gradient(G: Any, device: torch.device) -> torch.Tensor:
    """G as an (N, m) float64 tensor; a 1-D G is one output per sample."""
    try:
        one_dimensional = np.ndim(G) == 1
    except ValueError as exc:
        raise InputError(f"G must be a numeric array: {exc}") from None
    return as_data(np.reshape(G, (-1, 1)) if one_dimensional else G, dtype=DTYPE, device=device, name="G")


def as_problem(net: FeedForward, X: Any, G: Any, device: str | torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate (X, G) for ``net``: X (N, d), G (N, m) (a 1-D G is one output), finite, same N.

    ``device`` defaults to X's device (CPU for arrays).
    """
    _require_relu(net)
    dev = _data_device(X, device)
    X = as_data(X, dtype=DTYPE, device=dev)
    G = _as_gradient(G, dev)
    if G.shape[0] != X.shape[0]:
        raise InputError(f"G has {G.shape[0]} samples (rows) but X has {X.shape[0]}: both are stored one sample per row")
    if X.shape[1] != net.widths[0]:
        raise InputError(f"X has {X.shape[1]} features, the network {net.widths} expects d = {net.widths[0]}")
    if G.shape[1] != net.widths[-1]:
        raise InputError(f"G has {G.shape[1]} outputs per sample, the network {net.widths} has m = {net.widths[-1]}")
    return X, G


def _as_parameters(net: FeedForward, theta: Any, device: torch.device) -> torch.Tensor:
    theta = torch.as_tensor(theta, dtype=DTYPE, device=device)
    if theta.ndim == 0 or theta.shape[-1] != net.n_params:
        raise InputError(f"θ must have shape (*B, {net.n_params}) for the network {net.widths}, got {tuple(theta.shape)}")
    if not torch.isfinite(theta).all():
        raise InputError("θ contains NaN or inf")
    if bool((theta.norm(dim=-1) == 0).any()):
        raise InputError("θ = 0 has no direction (the saddle itself)")
    return theta


def to_sphere(theta: torch.Tensor, depth: int) -> torch.Tensor:
    """Radial projection onto S_L: √L·θ/‖θ‖ (batched over leading dimensions)."""
    return math.sqrt(depth) * theta / theta.norm(dim=-1, keepdim=True)


# ---------------------------------------------------------------------------------------------
# localized loss, speed, escape-direction check


def localized_loss(net: FeedForward, theta: Any, X: Any, G: Any) -> torch.Tensor:
    """L0(θ) = Tr[GᵀY_θ] for parameters θ of shape (*B, n_params); returns (*B,)."""
    X, G = as_problem(net, X, G)
    return ncf(net, _as_parameters(net, theta, X.device), X, G)


def escape_speed(net: FeedForward, theta: Any, X: Any, G: Any) -> torch.Tensor:
    """speed = −L0 at the radial projection of θ onto S_L (= −L0(θ) when ‖θ‖² = L); (*B,)."""
    X, G = as_problem(net, X, G)
    return -ncf(net, to_sphere(_as_parameters(net, theta, X.device), net.depth), X, G)


@dataclass
class EscapeCertificate:
    """Def. 2.1 checked at ρ = √L·θ/‖θ‖: the subgradient g ∈ ∂L0(ρ) closest to a multiple of ρ.

    speed = −L0(ρ); clarke_speed = s with g ≈ −sρ (s = L^{L/2−1}λ, λ the engine's multiplier);
    residual = ‖g + sρ‖/‖g‖ over the Clarke/chain-rule subgradients at the ``n_kinks``
    pre-activations within ``tau`` of a kink.
    """

    speed: float
    clarke_speed: float
    residual: float
    n_kinks: int
    tau: float
    method: str


def escape_direction_check(net: FeedForward, theta: Any, X: Any, G: Any, *, tau: float = 1e-9) -> EscapeCertificate:
    """Is the direction of θ an escape direction, ∇L0(ρ) = −sρ with s > 0 (Clarke-aware)?

    It is when the returned residual vanishes (to the numerics) and clarke_speed > 0. Uses the
    engine's :func:`~verify.clarke.stationarity` on the unit NCF with z = −G (module docstring).
    """
    X, G = as_problem(net, X, G)
    theta = _as_parameters(net, theta, X.device)
    if theta.ndim != 1:
        raise InputError(f"escape_direction_check takes one parameter vector, got shape {tuple(theta.shape)}")
    tau = check_positive("tau", tau)
    L = net.depth
    u = theta / theta.norm()
    cert = stationarity(net, u, X, -G, tau=tau)
    speed = -float(ncf(net, math.sqrt(L) * u, X, G))
    return EscapeCertificate(speed, L ** (L / 2 - 1) * cert.lam, cert.residual, cert.n_kinks, cert.tau, cert.method)


# ---------------------------------------------------------------------------------------------
# plain projected gradient descent (the paper's Figure 2 protocol)


def projected_gradient_descent(
    net: FeedForward,
    X: Any,
    G: Any,
    init: torch.Tensor,
    *,
    steps: int = 1000,
    lr: float = 0.2,
    decay: float = 0.995,
    record_every: int = 10,
) -> ScheduledAscent:
    """θ ← √L(θ − η_t∇L0(θ))/‖θ − η_t∇L0(θ)‖ with η_t = lr·decay^t, all runs in one batch.

    This is the experiment of s2s §4.1 (Fig. 2): plain projected gradient descent of L0 on S_L,
    whose basins of attraction are the point of the experiment. It is the engine's fixed-schedule
    projected ascent (:func:`verify.sphere.scheduled_ascent`, unnormalised gradient, radius √L) of
    the speed −L0, so the returned ``value``, ``best_value`` and ``trajectory`` are speeds, recorded
    every ``record_every`` steps and at the last; ``u`` and ``best_u`` are points of S_L, in the
    order of ``init``. The gradient is autograd's (a Clarke subgradient at kinks). Zero-padded
    neurons have zero gradient, so runs of different widths can share one tensor exactly.
    """
    X, G = as_problem(net, X, G)
    init = _as_parameters(net, init, X.device).reshape(-1, net.n_params)
    etas = step_schedule(check_positive_int("steps", steps, minimum=0), check_positive("lr", lr),
                         decay=check_positive("decay", decay))
    record_every = check_positive_int("record_every", record_every)

    def speed_and_gradient(theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        value, grad = ncf_and_grad(net, theta, X, G)
        return -value, -grad

    return scheduled_ascent(speed_and_gradient, init, etas, normalise_gradient=False, radius=math.sqrt(net.depth),
                            record_every=record_every)


# ---------------------------------------------------------------------------------------------
# optimal speed: batched projected gradient descent with restarts, refined by the engine's ascent


@dataclass
class SpeedEstimate:
    """Restarts of the optimal-speed search, best first: θ on S_L (R, n_params) and their speeds."""

    net: FeedForward
    theta: torch.Tensor
    speeds: torch.Tensor

    @property
    def speed(self) -> float:
        """The estimate of s*(L): the best speed found (a lower bound on s*)."""
        return float(self.speeds[0])


def estimate_optimal_speed(
    net: FeedForward,
    X: Any,
    G: Any,
    *,
    restarts: int = 16,
    steps: int = 600,
    lr: float = 0.2,
    decay: float = 0.995,
    refine_steps: int = 200,
    seed: int = 0,
    init: torch.Tensor | None = None,
    device: str | torch.device | None = None,
) -> SpeedEstimate:
    """s*(L) = max_{S_L} −L0, estimated from ``restarts`` random starts (plus warm starts ``init``).

    Two stages, each one batched tensor program over all starts:
      1. :func:`projected_gradient_descent` with a decaying step, keeping each run's best iterate;
         it crosses the ReLU kinks freely, so it explores;
      2. the engine's monotone ascent (``constrained_ncf_max`` with z = −G, on the unit sphere,
         rescaled by L^{L/2}) from those iterates: it never goes below its start, so the estimate
         is at least the best speed of every start, warm starts included.
    The engine's ascent alone stalls on kinks (Example 1's data, L = 3, width 8, 32 random starts,
    1000 steps: best 0.377, where ½ is attainable; this pipeline: 0.4996), hence stage 1.
    """
    X, G = as_problem(net, X, G, device)
    starts = net.random_unit(check_positive_int("restarts", restarts), torch.Generator().manual_seed(seed), X.device)
    if init is not None:
        starts = torch.cat([_as_parameters(net, init, X.device).reshape(-1, net.n_params), starts])
    explored = projected_gradient_descent(net, X, G, starts, steps=steps, lr=lr, decay=decay, record_every=max(steps, 1))
    refined = constrained_ncf_max(net, X, -G, steps=check_positive_int("refine_steps", refine_steps, minimum=0),
                                  device=X.device, init=explored.best_u, certify=False)
    L = net.depth
    return SpeedEstimate(net, math.sqrt(L) * refined.u, L ** (L / 2) * refined.value)


# ---------------------------------------------------------------------------------------------
# Prop. 3.2 / A.3: the explicit deeper network


@dataclass
class Deepened:
    """θ' of depth L+k built from θ by Prop. A.3 (digest §2.7), batched over θ's leading dimensions.

    neuron_weight a_i = ‖W_{L,·i}‖‖W_{L−1,i·}‖; contribution T_i = Tr[Gᵀ W̄_{L,·i} σ(W̄_{L−1,i·}A)]
    (+inf where a_i = 0); best_neuron i* = argmin T_i (first on ties); gamma γ = (Σ_i a_i)^{1/2}.
    """

    net: FeedForward
    theta: torch.Tensor
    neuron_weight: torch.Tensor
    contribution: torch.Tensor
    best_neuron: torch.Tensor
    gamma: torch.Tensor


def deepen(net: FeedForward, theta: Any, X: Any, G: Any, k: int, *, width: int | None = None) -> Deepened:
    """Prop. 3.2 (= A.3): a depth-(L+k) network θ' with ‖θ'‖² <= ‖θ‖² + k and L0(θ') <= L0(θ).

    With A = Z^σ_{L−2} (= X when L = 2) the input of layer L−1 and n' = ``width`` (default n_{L−1}):
      W'_ℓ = W_ℓ (ℓ <= L−2),   W'_{L−1} = γ e_1 W̄_{L−1,i*·},   W'_ℓ = E_11 (ℓ = L..L+k−1),
      W'_{L+k} = γ W̄_{L,·i*} e_1ᵀ,
    so that Y_θ' = γ² W̄_{L,·i*} σ(W̄_{L−1,i*·}A) and L0(θ') = γ²T_{i*} = Σ_i a_i T_{i*} <= Σ_i a_i T_i = L0(θ).
    k = 0 is the "make W_L rank one" step. Needs some a_i > 0 (else L0(θ) = 0 and there is nothing to do).
    """
    X, G = as_problem(net, X, G)
    theta = _as_parameters(net, theta, X.device)
    k = check_positive_int("k (number of added layers)", k, minimum=0)
    n_new = check_positive_int("width of the added layers", width if width is not None else net.widths[-2])
    L, m = net.depth, net.widths[-1]
    Ws = net.split(theta)
    A = X if L == 2 else RELU(net.preactivations(theta, X)[L - 3])  # Z^σ_{L−2}, (*B, N, n_{L−2})
    W_in, W_out = Ws[L - 2], Ws[L - 1]  # (*B, n, n_{L−2}) and (*B, m, n)
    in_norm, out_norm = W_in.norm(dim=-1), W_out.norm(dim=-2)
    a = in_norm * out_norm
    if bool((a.sum(-1) == 0).any()):
        raise InputError("θ has no neuron in layer L−1 with nonzero incoming and outgoing weights: L0(θ) = 0")
    active = a > 0
    unit_in = W_in / torch.where(active, in_norm, 1.0).unsqueeze(-1)
    unit_out = W_out / torch.where(active, out_norm, 1.0).unsqueeze(-2)
    # T_i = Σ_j σ(W̄_{L−1,i·}·a_j) (G_j·W̄_{L,·i}), a_j the j-th row of A
    T = (RELU(A @ unit_in.transpose(-1, -2)) * (G @ unit_out)).sum(-2)
    T = torch.where(active, T, torch.inf)
    i_star = torch.argmin(T, dim=-1)  # torch returns the first index among ties
    gamma = a.sum(-1).sqrt()

    lead = theta.shape[:-1]
    best_in = torch.gather(unit_in, -2, i_star[..., None, None].expand(*lead, 1, unit_in.shape[-1])).squeeze(-2)
    best_out = torch.gather(unit_out, -1, i_star[..., None, None].expand(*lead, m, 1)).squeeze(-1)
    first_hidden = torch.zeros(*lead, n_new, net.widths[L - 2], dtype=DTYPE, device=X.device)
    first_hidden[..., 0, :] = gamma[..., None] * best_in
    e11 = torch.zeros(*lead, n_new, n_new, dtype=DTYPE, device=X.device)
    e11[..., 0, 0] = 1.0
    last = torch.zeros(*lead, m, n_new, dtype=DTYPE, device=X.device)
    last[..., :, 0] = gamma[..., None] * best_out
    deeper = relu_mlp(net.widths[: L - 1] + (n_new,) * (k + 1) + (m,))
    theta_new = deeper.flatten(Ws[: L - 2] + [first_hidden] + [e11] * k + [last])
    return Deepened(deeper, theta_new, a, T, i_star, gamma)


@dataclass
class DepthSweep:
    """s*(L) estimates for consecutive depths, each warm-started from the construction.

    estimates[i] is the search at depth depths[i]; lifted_speed[i] is the speed of the warm start
    (the previous depth's best direction lifted by :func:`deepen` with k = 1 and rescaled onto
    S_L), NaN at the first depth; lifted_norm_sq[i] is ‖θ'‖² before that rescaling.
    """

    depths: list[int]
    estimates: list[SpeedEstimate]
    lifted_speed: list[float]
    lifted_norm_sq: list[float]

    @property
    def speeds(self) -> list[float]:
        return [e.speed for e in self.estimates]


def depth_sweep(
    X: Any,
    G: Any,
    *,
    depths: tuple[int, ...] = (2, 3, 4, 5, 6),
    width: int = 4,
    restarts: int = 16,
    steps: int = 600,
    refine_steps: int = 200,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> DepthSweep:
    """Estimated s*(L) for consecutive depths on fixed data, hidden widths all ``width``.

    Depth L+1 starts from ``restarts`` random points plus the best depth-L direction lifted by
    Prop. 3.2 with k = 1; :func:`estimate_optimal_speed` never ends below a start's speed, which
    for the lifted start is at least the depth-L estimate: the estimates inherit s*(L+1) >= s*(L).
    """
    width = check_positive_int("width", width)
    depths = [check_positive_int("depth", L, minimum=2) for L in depths]
    if any(b != a + 1 for a, b in zip(depths, depths[1:])):
        raise InputError(f"depths must be consecutive, got {depths}")
    dev = _data_device(X, device)
    X, G = as_data(X, dtype=DTYPE, device=dev), _as_gradient(G, dev)
    estimates: list[SpeedEstimate] = []
    lifted_speed, lifted_norm_sq = [], []
    for L in depths:
        net = relu_mlp((X.shape[1],) + (width,) * (L - 1) + (G.shape[1],))
        Xt, Gt = as_problem(net, X, G, dev)
        warm = None
        if estimates:
            prev = estimates[-1]
            warm = deepen(prev.net, prev.theta[0], Xt, Gt, 1, width=width).theta
            lifted_norm_sq.append(float(warm.norm() ** 2))
            lifted_speed.append(float(-ncf(net, to_sphere(warm, L), Xt, Gt)))
        else:
            lifted_norm_sq.append(math.nan)
            lifted_speed.append(math.nan)
        estimates.append(estimate_optimal_speed(net, Xt, Gt, restarts=restarts, steps=steps, refine_steps=refine_steps,
                                                seed=seed + L, init=warm, device=dev))
    return DepthSweep(depths, estimates, lifted_speed, lifted_norm_sq)


# ---------------------------------------------------------------------------------------------
# spectral measures (digest §0)


def spectral_tail(M: torch.Tensor) -> torch.Tensor:
    """tail(M) = Σ_{i>=2} s_i² / Σ_i s_i² = 1 − ‖M‖²_op/‖M‖²_F ∈ [0, 1] (0 for M = 0), batched."""
    s = torch.linalg.svdvals(M)
    total = (s**2).sum(-1)
    return torch.where(total > 0, (s[..., 1:] ** 2).sum(-1) / total.clamp_min(torch.finfo(M.dtype).tiny), 0.0)


def numerical_rank(M: torch.Tensor, rtol: float = 1e-10) -> torch.Tensor:
    """Number of singular values above rtol·s_1 (0 for M = 0), batched."""
    s = torch.linalg.svdvals(M)
    return (s > rtol * s[..., :1]).sum(-1)


def nonlinearity(Z: torch.Tensor) -> torch.Tensor:
    """nl(Z) = ‖σ(Z) − Z‖²_F/‖Z‖²_F = ‖σ(−Z)‖²_F/‖Z‖²_F (0 iff Z = Z^σ; 0 for Z = 0), batched."""
    total = (Z**2).sum((-2, -1))
    return torch.where(total > 0, (RELU(-Z) ** 2).sum((-2, -1)) / total.clamp_min(torch.finfo(Z.dtype).tiny), 0.0)


def loss_rounding(net: FeedForward, theta: torch.Tensor, X: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """A float64 rounding bound for L0(θ): γ·Σ|G|∘Y_{|θ|}(|X|), γ = (Σ widths + N·m)·ε.

    σ is 1-Lipschitz and monotone, so the forward pass with |W_ℓ| and |X| bounds every partial
    sum's magnitude; γ counts the additions on the longest path.
    """
    magnitude = net(theta.abs(), X.abs())
    return (sum(net.widths) + G.numel()) * EPS * (G.abs() * magnitude).sum((-2, -1))
