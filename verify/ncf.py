"""The neural correlation function (NCF) and its KKT residual.

    N_{z,H}(u) = zᵀH(X; u)               (np eq. 4, edc §1.4; <Z, H> for vector outputs)
    max N_{z,H}(u)  s.t.  ‖u‖² = Σ_l ‖W_l‖²_F = 1     (np eq. 5/7, edc eq. 10)

A unit u is a KKT point iff ∇N(u) = λu, and then λ = p̂·N(u) (edc Lemma 11, Euler).
The KKT residual ‖(I − uuᵀ)∇N(u)‖ / ‖∇N(u)‖ is verify/sphere.py's ``kkt_residual``; its Clarke
version for kinked σ is in verify/clarke.py, the constrained maximisation in verify/kkt.py.
"""

from __future__ import annotations

import torch

from verify.nets import FeedForward


def ncf(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """N_{z,H}(u) = Σ_i z_iᵀ H(x_i; u) for parameters u of shape (*B, n_params); returns (*B,).

    z has shape (n, m), or (n,) for scalar outputs.
    """
    return (_as_column(z) * net(u, X)).sum(dim=(-2, -1))


def _as_column(z: torch.Tensor) -> torch.Tensor:
    # a 1-D z would broadcast against the (n, 1) output into an (n, n) matrix
    return z.reshape(-1, 1) if z.ndim == 1 else z


def ncf_and_grad(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N(u), ∇N(u)) for a batch of parameter vectors: one forward and one backward pass written out
    (:meth:`FeedForward.output_and_pullback`; ∂N/∂H = z), detached from any autograd graph."""
    with torch.no_grad():
        H, pullback = net.output_and_pullback(u, X)
        z = _as_column(z)
        return (z * H).sum(dim=(-2, -1)), pullback(z.expand_as(H))


def gradient_scale(net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, seed: int, samples: int = 16) -> float:
    """G: the largest ‖∇N(v)‖ over the start's direction and ``samples`` random unit v (from seed), the size of N's gradient
    on the unit sphere, the scale that flow thresholds are relative to (edc.lemma2's sign phase; 0 only when N ≡ 0 on
    them)."""
    V = torch.cat([(u0 / u0.norm())[None], net.random_unit(samples, torch.Generator().manual_seed(seed + 1))])
    _, g = ncf_and_grad(net, V, X, z)
    return float(g.norm(dim=1).max())
