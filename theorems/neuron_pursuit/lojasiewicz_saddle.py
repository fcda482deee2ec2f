"""A sparse saddle that satisfies np Assumption 2 exactly (Lemma 20, §D.2), its Łojasiewicz measurements, and the
training flow near it at the H1-NCF's scale (np Theorem 7).

* :class:`Lemma20Saddle` is np §D.2's instance: data X (2d samples in R^d, the first d with w*ᵀx_i > 0, the last d
  with w*ᵀx_i < 0), labels y_i = (w*ᵀx_i)^p, the two-layer net H(x) = Σ_j v_j σ(u_jᵀx), σ = max(0, x)^p, with one
  n-neuron (v_1, u_1) = (c_v, c_u w*), c_v c_u^p = 1, and Δ z-neurons. (w̄_n, 0) is a saddle of ½‖H − y‖²; w̄_n is a
  local minimum of L̃(w_n) = ½‖v_1σ(Xu_1) − y‖² with Łojasiewicz exponent θ = ½ (Lemma 20), and for a two-layer net
  the split of Lemma 8 is exact: H(x; w_n, w_z) = H(x; w_n, 0) + H1(x; w_z), H1 = B_2σ(A_1x) of degree q = p + 1 (so
  Assumption 1 holds with no remainder, K = ∞).
* :func:`lojasiewicz_measurement` samples L̃ on shells of radius r around w̄_n inside Lemma 20's neighbourhood and
  returns the ratios ‖∇L̃‖/(L̃ − L̃*)^θ per shell, the regression exponent of log‖∇L̃‖ on log(L̃ − L̃*), and Lemma 20's
  constant with the digest's corrections (§6 item 15: the loss gap is ½Σ_{i≤d} r_i², σ′² = p²x^{2(p−1)}).
* :func:`saddle_flow` is the training flow from (w̄_n + δn, δz) in the variables (w_n, s = w_z/δ) and the time τ =
  δ^{q−2}t, one row per δ, with δ = 0 the H1-NCF flow ds/dτ = J_1(s)ᵀȳ (np Theorem 7's u_1): the analogue near a
  saddle of :func:`verify.flow.rescaled_training_flow`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from verify.evidence import FittedOrder, fitted_order
from verify.flow import Flow, ncf_flow
from verify.nets import DTYPE, Activation, FeedForward
from verify.saddle import SaddleExpansion, SaddlePartition

LOSS_SCALE = 0.5  # ½‖H − y‖² (np eq. 13)
SIGN_MARGIN = 0.15  # |w*ᵀx_i| ≥ this for every sample (η of Lemma 20 bounded away from 0)


@dataclass(frozen=True)
class Lemma20Saddle:
    """np §D.2's instance with Δ z-neurons (module docstring). ``spread``: the negative cluster sits at −spread·w*
    (its labels, the residual ȳ, grow like spread^p: it sets the H1-NCF's time scale against L̃'s curvature)."""

    d: int
    z_neurons: int
    p: int
    c_u: float
    spread: float
    noise: float
    seed: int

    @cached_property
    def w_star(self) -> np.ndarray:
        w = np.random.default_rng(self.seed).standard_normal(self.d)
        return w / np.linalg.norm(w)

    @cached_property
    def X(self) -> torch.Tensor:
        """Rows x_1..x_2d: x_i = w* + noise·g_i (i ≤ d), −spread·w* + noise·g_i (i > d), redrawn until the sign pattern
        of Lemma 20 holds with margin and the first d are linearly independent (ρ > 0)."""
        rng = np.random.default_rng(self.seed + 1)
        w = self.w_star
        while True:
            pos = w + self.noise * rng.standard_normal((self.d, self.d))
            neg = -self.spread * w + self.noise * rng.standard_normal((self.d, self.d))
            if (pos @ w >= SIGN_MARGIN).all() and (neg @ w <= -SIGN_MARGIN).all() and np.linalg.matrix_rank(pos) == self.d:
                return torch.as_tensor(np.vstack([pos, neg]), dtype=DTYPE)

    @cached_property
    def y(self) -> torch.Tensor:
        return torch.as_tensor((self.X.numpy() @ self.w_star) ** self.p, dtype=DTYPE)

    @property
    def q(self) -> int:
        """Degree of H1 in w_z (np Lemma 8: p + 1)."""
        return self.p + 1

    @property
    def c_v(self) -> float:
        return self.c_u ** (-self.p)

    @cached_property
    def net(self) -> FeedForward:
        return FeedForward((self.d, 1 + self.z_neurons, 1), Activation(0.0, self.p))

    @cached_property
    def partition(self) -> SaddlePartition:
        return SaddlePartition(self.net, [tuple(range(1, 1 + self.z_neurons))])

    @cached_property
    def w_bar_n(self) -> torch.Tensor:
        """w̄_n = (u_1, v_1) = (c_u w*, c_v), laid out as the n-network's parameters (N_1, N_2)."""
        u = torch.as_tensor(self.c_u * self.w_star, dtype=DTYPE)[None, :]
        return self.partition.n_net.flatten([u, torch.tensor([[self.c_v]], dtype=DTYPE)])

    @cached_property
    def y_bar(self) -> torch.Tensor:
        """ȳ = y − H(X; w̄_n, 0): 0 on the first d samples, y_i on the last d (Lemma 20)."""
        return self.y - self.partition.n_net(self.w_bar_n, self.X)[..., 0]

    @cached_property
    def expansion(self) -> SaddleExpansion:
        return SaddleExpansion(self.partition, self.w_bar_n, self.X)

    @cached_property
    def z_net(self) -> FeedForward:
        """The two-layer net of the z-neurons, whose NCF on (g_0(X) = X, correlation of ȳ) is N_{ȳ,H̄1}
        (:meth:`verify.saddle.LayerTerm.network`); its parameters (A_1, B_2) are w_z in the partition's layout."""
        (term,) = self.expansion.terms
        return term.network(self.z_neurons)

    def h1_ncf_flow(self, labels: torch.Tensor | None = None) -> Flow:
        """The flow u̇ = ∇_{w_z} rᵀH1(X; w̄_n, u), r = ȳ by default (np Theorem 7's NCF), degree q."""
        (term,) = self.expansion.terms
        r = self.y_bar if labels is None else labels
        return ncf_flow(self.z_net, term.inputs, term.correlation(r))

    # -- Lemma 20's constants
    @cached_property
    def eta(self) -> float:
        """η = min_i |w*ᵀx_i|."""
        return float(np.abs(self.X.numpy() @ self.w_star).min())

    @cached_property
    def rho(self) -> float:
        """ρ: the smallest singular value of X_dᵀX_d (the Gram matrix of the first d samples)."""
        pos = self.X.numpy()[: self.d]
        return float(np.linalg.svd(pos @ pos.T, compute_uv=False).min())

    @cached_property
    def radius(self) -> float:
        """γ: a radius inside Lemma 20's neighbourhood — |v_1 − c_v| < c_v/2 and |x_iᵀ(u_1 − c_u w*)| ≤ c_uη/2 for
        every i (so the sign pattern is kept and x_iᵀu_1 ≥ c_u w*ᵀx_i/2 on the first d samples)."""
        xmax = float(self.X.norm(dim=1).max())
        return 0.5 * min(self.c_v / 2, self.c_u * self.eta / (2 * xmax))

    @property
    def mu_squared(self) -> float:
        """Lemma 20's μ_1² for θ = ½, corrected (digest §6 item 15): ‖∇L̃‖² ≥ (c_v/2)²ρp²(c_uη/2)^{2(p−1)}·Σ_{i≤d}r_i²
        and L̃ − L̃* = ½Σ_{i≤d}r_i², so ‖∇L̃‖² ≥ μ_1²(L̃ − L̃*) with μ_1² = 2(c_v/2)²ρp²(c_uη/2)^{2(p−1)}."""
        return 2 * (self.c_v / 2) ** 2 * self.rho * self.p**2 * (self.c_u * self.eta / 2) ** (2 * (self.p - 1))

    def reduced_loss(self, w_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L̃(w_n), ∇L̃(w_n)) for a batch of w_n, L̃ = ½‖H(X; w_n, 0) − y‖²."""
        H, pullback = self.partition.n_net.output_and_pullback(w_n, self.X)
        residual = H - self.y[:, None]
        return LOSS_SCALE * residual.square().sum(dim=(-2, -1)), pullback(2 * LOSS_SCALE * residual)

    def __str__(self) -> str:
        return (f"Lemma 20 saddle: d={self.d}, Δ={self.z_neurons} z-neurons, σ=max(0,x)^{self.p}, c_u={self.c_u:.3g}, "
                f"spread={self.spread:.3g}, noise={self.noise:.3g}, seed={self.seed}")


@dataclass(frozen=True)
class LojasiewiczMeasurement:
    """L̃ sampled on shells around w̄_n: radii (fractions of γ); per shell the smallest and largest ‖∇L̃‖/gap^θ and
    ‖∇L̃‖/gap^{1−θ} (gap = L̃ − L̃*); the smallest ‖∇L̃‖²/gap over all samples; the regression exponent of log‖∇L̃‖ on
    log gap; the smallest gap relative to L̃*; ‖∇L̃(w̄_n)‖."""

    theta: float
    radii: tuple[float, ...]
    lower_ratio: tuple[float, ...]
    upper_ratio: tuple[float, ...]
    pl_ratio: float
    exponent: FittedOrder
    min_gap: float
    grad_at_saddle: float


def lojasiewicz_measurement(saddle: Lemma20Saddle, theta: float, radii: tuple[float, ...], samples: int,
                            seed: int) -> LojasiewiczMeasurement:
    """Sample ``samples`` uniformly random directions, the same on every shell ‖w_n − w̄_n‖ = r·γ (r in ``radii``), so
    that the per-shell extremes change with r only (common random numbers)."""
    k = saddle.partition.n_wn
    dirs = torch.randn(samples, k, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    dirs = dirs / dirs.norm(dim=1, keepdim=True)
    star, grad_star = saddle.reduced_loss(saddle.w_bar_n[None])
    lower, upper, gaps_all, grads_all = [], [], [], []
    for r in radii:
        w = saddle.w_bar_n + r * saddle.radius * dirs
        value, grad = saddle.reduced_loss(w)
        gap, g = (value - star).numpy(), grad.norm(dim=1).numpy()
        gaps_all.append(gap)
        grads_all.append(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower.append(float(np.min(g / np.abs(gap) ** theta)))
            upper.append(float(np.max(g / np.abs(gap) ** (1 - theta))))
    gap, g = np.concatenate(gaps_all), np.concatenate(grads_all)
    fit = fitted_order(list(gap), list(g)) if (gap > 0).all() else FittedOrder(math.nan, math.inf, len(gap))
    with np.errstate(divide="ignore", invalid="ignore"):
        pl = float(np.min(g**2 / gap))
    return LojasiewiczMeasurement(theta, tuple(radii), tuple(lower), tuple(upper), pl, fit, float(gap.min() / float(star[0])),
                                  float(grad_star.norm()))


def saddle_flow(saddle: Lemma20Saddle) -> Flow:
    """Training near the saddle at the H1-NCF's scale, rows (w_n, s, δ), s = w_z/δ, time τ = δ^{q−2}t:

        dw_n/dτ = J_n(w_n)ᵀ(y − H)/δ^{q−2},     ds/dτ = J_z(s)ᵀ(y − H),     H = H(X; w_n, 0) + δ^q H1(X; s),

    exact for a two-layer net (the split of Lemma 8 has no remainder, and J_z(δs) = δ^{q−1}J_z(s) by homogeneity). A
    row with δ = 0 keeps w_n fixed (it starts at w̄_n) and follows the H1-NCF flow ds/dτ = J_1(s)ᵀȳ (u_1 of the proof of
    Theorem 7). The velocity is written with the nets' own backpropagation (FeedForward.output_and_pullback)."""
    n_net, z_net, q = saddle.partition.n_net, saddle.z_net, saddle.q
    k_n = saddle.partition.n_wn
    X, Y = saddle.X, saddle.y[:, None]
    (term,) = saddle.expansion.terms
    inputs = term.inputs

    def value_and_grad(state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        w_n, s, delta = state[:, :k_n], state[:, k_n:-1], state[:, -1:]
        H_n, pull_n = n_net.output_and_pullback(w_n, X)
        H_z, pull_z = z_net.output_and_pullback(s, inputs)
        residual = Y - H_n - delta[:, :, None] ** q * H_z
        trained = delta > 0
        d_w = torch.where(trained, pull_n(residual) / torch.where(trained, delta, 1.0) ** (q - 2), 0.0)
        velocity = torch.cat([d_w, pull_z(residual), torch.zeros_like(delta)], dim=-1)
        return LOSS_SCALE * residual.square().sum(dim=(-2, -1)), velocity

    return Flow(value_and_grad, 1.0, None, None, f"training near the saddle ({saddle}), w_z/δ at time δ^{q - 2}t")
