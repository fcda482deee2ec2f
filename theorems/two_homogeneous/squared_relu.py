"""The single-layer squared (leaky) ReLU net of dc2 §1.2 (example 2) and of its Figures 1, 3 and 4.

    H(x; {u_k}) = Σ_k p_k σ(xᵀu_k)²,    σ(s) = max(s, αs),    fixed signs p_k ∈ {−1, +1},

with parameters w = (u_1, …, u_K) ∈ R^{Kd}. H is two-homogeneous and C¹ with a locally Lipschitz gradient (σ² is C¹),
so its flows are ODEs with no kinks: dc2's smooth case, where Lemma 5.2's deviation is O(δ²). The derivative sits next
to the function: ∂H(x)/∂u_k = p_k·(σ²)′(xᵀu_k)·x. dc2's square loss is the plain sum L(w) = ½Σᵢ(H(xᵢ; w) − yᵢ)² (digest
§1.1), so −ℓ′(0, y) = y and the NCF is N(u) = yᵀH(X; u).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from theorems.two_homogeneous.beta import squared_beta_bracket
from verify.activations import Activation
from verify.errors import InputError
from verify.flow import Flow
from verify.nets import DTYPE
from verify.strategies import TARGETS

LABELS = ("gaussian", "teacher", "alternating", "fig1", "aligned")  # the label kinds of :func:`labels` ("opposed" aside)


@dataclass(frozen=True)
class SquaredReLULayer:
    """H(x; {u_k}) = Σ_k p_k max(xᵀu_k, αxᵀu_k)² with ``signs`` p_k ∈ {±1} and inputs in R^``d``."""

    signs: tuple[int, ...]
    d: int
    alpha: float = 0.0

    def __post_init__(self) -> None:
        if not self.signs or any(p not in (-1, 1) for p in self.signs):
            raise InputError(f"signs must be a non-empty tuple of ±1, got {self.signs!r}")

    @property
    def n_params(self) -> int:
        return len(self.signs) * self.d

    def outputs_and_pullback(self, w: Tensor, X: Tensor) -> tuple[Tensor, Tensor]:
        """(H(X; w) of shape (B, n), ∂H/∂w of shape (B, n, k)) for a batch w (B, k) and X (n, d)."""
        U = w.reshape(*w.shape[:-1], len(self.signs), self.d)  # (B, K, d)
        p = torch.as_tensor(self.signs, dtype=w.dtype)
        value, slope = Activation(self.alpha, 2).value_and_derivative(U @ X.T)  # σ(s)² and (σ²)′(s), (B, K, n)
        H = (p[:, None] * value).sum(-2)
        J = (p[:, None, None] * slope[..., None] * X[None, :, :]).transpose(-3, -2)  # (B, n, K, d)
        return H, J.reshape(*J.shape[:-2], -1)

    def correlation_and_grad(self, w: Tensor, X: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        """(cᵀH(X; w), ∇_w cᵀH(X; w)) for c (n,): the NCF when c = z."""
        H, J = self.outputs_and_pullback(w, X)
        return H @ c, (c[:, None] * J).sum(-2)

    def ncf_flow(self, X: Tensor, z: Tensor) -> Flow:
        """du/dt = ∇N(u), N(u) = zᵀH(X; u) (dc2 eq. 10; two-homogeneous, no kinks)."""
        return Flow(lambda u: self.correlation_and_grad(u, X, z), 1.0, 2.0, None, f"N ({self})")

    def loss_flow(self, X: Tensor, y: Tensor) -> Flow:
        """dw/dt = −∇L(w), L(w) = ½‖H(X; w) − y‖² (dc2 eq. 2 with the square loss, summed over samples)."""

        def value_and_grad(w: Tensor) -> tuple[Tensor, Tensor]:
            H, J = self.outputs_and_pullback(w, X)
            r = H - y
            return 0.5 * (r**2).sum(-1), (r[..., None] * J).sum(-2)

        return Flow(value_and_grad, -1.0, None, None, f"½‖H − y‖² ({self})")

    def __str__(self) -> str:
        sigma = "ReLU" if self.alpha == 0 else f"max(s, {self.alpha:g}s)"
        plus = sum(p > 0 for p in self.signs)
        return f"Σ_k p_kσ(xᵀu_k)², σ = {sigma}, {len(self.signs)} neurons ({plus} with p = +1), d = {self.d}"


def labels(kind: str, X: np.ndarray, net: SquaredReLULayer, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The labels y of ``kind`` and, for "aligned", the start that makes the envelope tight (else None).

    "fig1": dc2 Figure 1's teacher 5σ(x₁)² + 4σ(−x₁)², σ = ReLU. "opposed": y = −p₁|g|, g Gaussian, so every neuron
    with p_k = p₁ has N_k ≤ 0 (with equal signs and α ≠ 0 the NCF flow tends to 0). "aligned": all of w0 in one neuron k with p_k = +1 (or
    −1, then y flips), along the β-attaining direction u_β, and y = κβ·p_k·σ(Xu_β)²/‖σ(Xu_β)²‖ with κ ∈ [2, 5] from the
    seed: at δ → 0, d log‖w‖²/dt = 4N(w0) = 4κβ² against the envelope's 4ββ̃ = 4β²(1 + κ) (κ/(1 + κ) of it).
    """
    rng = np.random.default_rng(seed)
    if kind == "fig1":
        return 5 * np.maximum(X[:, 0], 0) ** 2 + 4 * np.maximum(-X[:, 0], 0) ** 2, None
    if kind == "opposed":
        return -net.signs[0] * np.abs(rng.standard_normal(X.shape[0])), None
    if kind != "aligned":
        return TARGETS[kind](X, 1, rng)[:, 0], None
    Xt = torch.as_tensor(X, dtype=DTYPE)
    bracket = squared_beta_bracket(Xt, net.alpha)
    h = (torch.maximum(Xt @ bracket.w, net.alpha * (Xt @ bracket.w)) ** 2).numpy()
    k = int(rng.integers(len(net.signs)))
    kappa = float(rng.uniform(2.0, 5.0))
    w0 = np.zeros(net.n_params)
    w0[k * net.d:(k + 1) * net.d] = bracket.w.numpy()
    return kappa * bracket.lower * net.signs[k] * h / np.linalg.norm(h), w0
