"""Homogeneous feed-forward networks (np eq. 3, edc eq. 9).

    H(x; W_1..W_L) = W_L σ(W_{L-1} σ( … σ(W_1 x) … )),   σ(x) = max(x, αx)^p,

with no biases, depth L >= 2, any widths and scalar or vector output (np Remark 3).
The network is positively homogeneous of degree p̂ = p^{L-1} + … + p + 1 in all its
weights jointly (= L only when p = 1; edc §1.6) and of degree p^{L-l} in W_l alone.

Conventions:
  * data X has shape (n, d): one sample per row (the papers write the transpose);
  * parameters are one flat vector u of length ``n_params`` (the order W_1, …, W_L,
    each row-major), optionally with leading batch dimensions (*B, n_params), so that
    restarts and instances run as one tensor program;
  * outputs have shape (*B, n, m); float64 by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import torch

from verify.activations import Activation
from verify.errors import InputError, check_positive_int

DTYPE = torch.float64
EPS = torch.finfo(DTYPE).eps  # float64 rounding unit: the one EPS of homcheck


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """``auto`` → CUDA when present, else CPU; ``cuda`` without a GPU is an error."""
    if isinstance(spec, torch.device):
        return spec
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda":
        if not torch.cuda.is_available():
            raise InputError("device 'cuda' requested but no CUDA device is available (use --device cpu or auto)")
        return torch.device("cuda")
    raise InputError(f"unknown device {spec!r}: use auto, cpu or cuda")


@contextmanager
def single_threaded() -> Iterator[None]:
    """torch intra-op parallelism off inside the block (restored on exit).

    homcheck's tensors are tiny; with two intra-op threads each small product pays a
    synchronisation that costs more than the product (measured 10–40× per step on a busy
    2-core machine).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def homogeneity_degree(depth: int, p: int) -> int:
    """p̂ = p^{L-1} + … + p + 1, the degree of homogeneity of an L-layer net (edc §1.6)."""
    return sum(p**i for i in range(depth))


@dataclass(frozen=True)
class FeedForward:
    """Architecture of a bias-free feed-forward net: widths = (d, k_1, …, k_{L-1}, m)."""

    widths: tuple[int, ...]
    activation: Activation = Activation()

    def __post_init__(self) -> None:
        widths = tuple(self.widths)
        if len(widths) < 3:
            raise InputError(f"depth L = {len(widths) - 1} but a network needs depth L >= 2 (widths = (d, k_1, …, m))")
        for i, w in enumerate(widths):
            check_positive_int(f"width {i} of {widths}", w)
        object.__setattr__(self, "widths", tuple(int(w) for w in widths))
        if not isinstance(self.activation, Activation):
            raise InputError(f"activation must be an Activation, got {self.activation!r}")

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def degree(self) -> int:
        """p̂: degree of positive homogeneity in all weights jointly."""
        return homogeneity_degree(self.depth, self.activation.p)

    def layer_degree(self, layer: int) -> int:
        """p^{L-l}: degree of homogeneity in W_l alone (layers numbered 1..L)."""
        return self.activation.p ** (self.depth - layer)

    @property
    def shapes(self) -> list[tuple[int, int]]:
        return [(self.widths[i + 1], self.widths[i]) for i in range(self.depth)]

    @cached_property
    def offsets(self) -> list[int]:
        out = [0]
        for r, c in self.shapes:
            out.append(out[-1] + r * c)
        return out

    @property
    def n_params(self) -> int:
        return self.offsets[-1]

    def split(self, u: torch.Tensor) -> list[torch.Tensor]:
        """Flat parameters (*B, n_params) → [W_1, …, W_L], each (*B, k_l, k_{l-1}) (views)."""
        if u.shape[-1] != self.n_params:
            raise InputError(f"parameter vector has length {u.shape[-1]}, the network {self.widths} needs {self.n_params}")
        lead = u.shape[:-1]
        return [
            u[..., a:b].reshape(*lead, r, c)
            for (a, b), (r, c) in zip(zip(self.offsets, self.offsets[1:]), self.shapes)
        ]

    def flatten(self, weights: list[torch.Tensor]) -> torch.Tensor:
        """[W_1, …, W_L] → flat (*B, n_params); inverse of :meth:`split`."""
        if len(weights) != self.depth:
            raise InputError(f"expected {self.depth} weight matrices, got {len(weights)}")
        for l, (W, shape) in enumerate(zip(weights, self.shapes), start=1):
            if tuple(W.shape[-2:]) != shape:
                raise InputError(f"W_{l} has shape {tuple(W.shape[-2:])}, the network {self.widths} needs {shape}")
        return torch.cat([W.reshape(*W.shape[:-2], -1) for W in weights], dim=-1)

    def preactivations(self, u: torch.Tensor, X: torch.Tensor) -> list[torch.Tensor]:
        """[h_1, …, h_L] with h_1 = X W_1ᵀ, h_{l+1} = σ(h_l) W_{l+1}ᵀ; h_L is the output (*B, n, m)."""
        if X.shape[-1] != self.widths[0]:
            raise InputError(f"data has {X.shape[-1]} features, the network expects d = {self.widths[0]}")
        hs = []
        a = X
        for l, W in enumerate(self.split(u), start=1):
            h = a @ W.transpose(-1, -2)
            hs.append(h)
            if l < self.depth:
                a = self.activation(h)
        return hs

    def __call__(self, u: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """H(X; u) of shape (*B, n, m)."""
        return self.preactivations(u, X)[-1]

    def output_and_pullback(self, u: torch.Tensor, X: torch.Tensor
                            ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
        """(H(X; u), pullback): one forward pass, and pullback(δ) = ∂⟨δ, H⟩/∂u (*B, n_params) for an output
        cotangent δ of H's shape (*B, n, m), by backpropagation written out (no autograd graph):

            δ_L = δ,   ∂/∂W_l = δ_lᵀ σ(h_{l−1}),   δ_{l−1} = (δ_l W_l) ⊙ σ′(h_{l−1}),   σ(h_0) := X,

        with σ′ as :meth:`Activation.value_and_derivative` defines it (the value autograd gives, the mean slope at
        a kink for p = 1). The flows' and gradient descent's hot loops; about twice as fast as autograd on small
        nets. Tested against autograd.
        """
        if X.shape[-1] != self.widths[0]:
            raise InputError(f"data has {X.shape[-1]} features, the network expects d = {self.widths[0]}")
        Ws = self.split(u)
        acts, slopes = [X], []
        h = X
        for l, W in enumerate(Ws, start=1):
            h = acts[-1] @ W.transpose(-1, -2)
            if l < self.depth:
                a, slope = self.activation.value_and_derivative(h)
                acts.append(a)
                slopes.append(slope)

        def pullback(delta: torch.Tensor) -> torch.Tensor:
            grads = [None] * self.depth
            for l in range(self.depth, 0, -1):
                grads[l - 1] = delta.transpose(-1, -2) @ acts[l - 1]
                if l > 1:
                    delta = (delta @ Ws[l - 1]) * slopes[l - 2]
            return torch.cat([g.reshape(*g.shape[:-2], -1) for g in grads], dim=-1)

        return h, pullback

    def random_unit(self, batch: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """``batch`` parameter vectors uniform on the unit sphere Σ‖W_l‖²_F = 1."""
        u = torch.randn(batch, self.n_params, generator=generator, dtype=DTYPE).to(device)
        return u / u.norm(dim=-1, keepdim=True)

    def __str__(self) -> str:
        return f"L={self.depth} widths={self.widths} σ={self.activation}"
