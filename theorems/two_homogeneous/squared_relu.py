"""The single-layer squared (leaky) ReLU net of dc2 §1.2 (example 2) and of its Figures 1, 3 and 4.

    H(x; {u_k}) = Σ_k p_k σ(xᵀu_k)²,    σ(s) = max(s, αs),    fixed signs p_k ∈ {−1, +1},

with parameters w = (u_1, …, u_K) ∈ R^{Kd}. H is two-homogeneous and C¹ with a locally Lipschitz gradient (σ² is C¹),
so its flows are ODEs with no kinks: dc2's smooth case, where Lemma 5.2's deviation is O(δ²). The derivative sits next
to the function: ∂H(x)/∂u_k = p_k·(σ²)′(xᵀu_k)·x. dc2's square loss is the plain sum L(w) = ½Σᵢ(H(xᵢ; w) − yᵢ)² (digest
§1.1), so −ℓ′(0, y) = y and the NCF is N(u) = yᵀH(X; u).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from verify.activations import Activation
from verify.errors import InputError
from verify.flow import Flow


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
