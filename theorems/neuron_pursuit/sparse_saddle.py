"""Instances and symbolic networks split at a sparse saddle (np §1.6, Lemmas 8 and 9).

A feed-forward net's hidden neurons are split into n-neurons and a set G_z of z-neurons
(:class:`verify.saddle.SaddlePartition`; blocks N_l, A_l, B_l, C_l). :class:`SaddleProblem` is a random
instance (net, G_z, data, a fixed w_n, a correlation vector z) and :func:`saddle_problems` its Hypothesis
strategy; :func:`symbolic_saddle` builds the same split for σ = x^p in sympy (the blocks, g_l, v_{l+1},
H, H(w_n, 0) and H1 of np eq. 21), shared by the symbolic obligations of np.lemma8 and np.lemma9.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.nets import DTYPE, Activation, FeedForward
from verify.saddle import SaddlePartition
from verify.strategies import Dataset, datasets, seeds
from verify.symbolic import symbolic_network


@dataclass(frozen=True)
class SaddleProblem:
    """A network split at G_z, data X, a fixed w_n and a correlation vector z ~ N(0, I) (np Lemma 8/9 setting).

    w_n is drawn N(0, 1); rows of N_l whose pre-activations are <= 0 on every sample are negated (no n-neuron
    is dead on the whole data set) and each N_l is rescaled to unit-RMS pre-activations on X (the
    statements hold for every w_n; this keeps instances from being vacuous or over/underflowing).
    """

    net: FeedForward
    z_neurons: tuple[tuple[int, ...], ...]
    data: Dataset
    wn_seed: int
    z_seed: int

    @cached_property
    def partition(self) -> SaddlePartition:
        return SaddlePartition(self.net, self.z_neurons)

    @cached_property
    def X(self) -> torch.Tensor:
        return torch.as_tensor(self.data.X, dtype=DTYPE)

    @cached_property
    def w_n(self) -> torch.Tensor:
        n_net = self.partition.n_net
        rng = np.random.default_rng(self.wn_seed)
        Ns, g = [], self.X
        for shape in n_net.shapes:
            N = torch.as_tensor(rng.standard_normal(shape), dtype=DTYPE)
            h = g @ N.T
            N = torch.where((h <= 0).all(dim=0)[:, None], -N, N)  # no n-neuron dead on the whole data set
            rms = float(h.pow(2).mean().sqrt())
            N = N / rms if rms > 0 else N
            g = n_net.activation(g @ N.T)
            Ns.append(N)
        return n_net.flatten(Ns)

    @cached_property
    def z(self) -> torch.Tensor:
        return torch.as_tensor(np.random.default_rng(self.z_seed).standard_normal((self.data.n, self.net.widths[-1])), dtype=DTYPE)

    def __str__(self) -> str:
        return f"{self.partition}; {self.data}; w_n seed={self.wn_seed}; z seed={self.z_seed}"


def saddle_problems(
    alphas: tuple[float, ...],
    ps: tuple[int, ...],
    depths: tuple[int, ...] = (2, 3, 4),
    hidden: tuple[int, int] = (2, 4),
    outputs: tuple[int, int] = (1, 2),
    n: tuple[int, int] = (5, 12),
    d: tuple[int, int] = (2, 3),
) -> st.SearchStrategy[SaddleProblem]:
    """Nets σ = max(x,αx)^p whose every hidden layer has n- and z-neurons (a random proper subset is G_z)."""

    @st.composite
    def build(draw) -> SaddleProblem:
        ds = draw(datasets(n=n, d=d))
        widths, z_neurons = [], []
        for _ in range(draw(st.sampled_from(depths)) - 1):
            k = draw(st.integers(*hidden))
            order = draw(st.permutations(range(k)))
            widths.append(k)
            z_neurons.append(tuple(sorted(order[: draw(st.integers(1, k - 1))])))
        act = Activation(draw(st.sampled_from(alphas)), draw(st.sampled_from(ps)))
        net = FeedForward((ds.d, *widths, draw(st.integers(*outputs))), act)
        return SaddleProblem(net, tuple(z_neurons), ds, draw(seeds()), draw(seeds()))

    return build()


# ---------------------------------------------------------------------------------------------
# exact algebra (α = 1): the network, eq. (21) and the per-neuron terms in sympy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolicSaddle:
    """σ(x) = x^p network split at G_z, in sympy: blocks, g_l, v_{l+1} = ∇_s f_{L,l+2}(N_{l+1}g_l)ᵀ, H, H(w_n,0), H1.

    The blocks are cut from :func:`verify.symbolic.symbolic_network` with the index sets of a
    :class:`SaddlePartition`; H(w_n, 0) is the n-network built from the N blocks alone and H1 is
    eq. (21) built from the definitions of g_l and f_{L,k} (sympy Jacobian), so neither is read off
    the expansion it is compared with.
    """

    p: int
    partition: SaddlePartition
    weights: list[sp.Matrix]
    x: sp.Matrix
    N: dict[int, sp.Matrix]
    A: dict[int, sp.Matrix]
    B: dict[int, sp.Matrix]
    C: dict[int, sp.Matrix]
    g: list[sp.Matrix]
    v: dict[int, sp.Matrix]
    H: sp.Expr
    H0: sp.Expr
    H1: sp.Expr

    @property
    def wz(self) -> list[sp.Symbol]:
        """w_z in the layout of :class:`SaddlePartition`: A_1, B_2, A_2, B_3, …, A_{L-1}, B_L, then C_2, …, C_{L-1}."""
        blocks = [M for l in self.A for M in (self.A[l], self.B[l + 1])] + list(self.C.values())
        return [s for M in blocks for s in M]

    @property
    def wn(self) -> list[sp.Symbol]:
        return [s for M in self.N.values() for s in M]

    @property
    def symbols(self) -> list[sp.Symbol]:
        return [s for W in self.weights for s in W] + list(self.x)

    def sigma(self, M: sp.Matrix) -> sp.Matrix:
        """σ(x) = x^p elementwise (the activation's sympy form)."""
        return M.applyfunc(Activation(1.0, self.p).sympy)


@functools.cache
def symbolic_saddle(widths: tuple[int, ...], z_neurons: tuple[tuple[int, ...], ...], p: int) -> SymbolicSaddle:
    """Build (and cache per process) the sympy objects of a split x^p network."""
    partition = SaddlePartition(FeedForward(widths, Activation(1.0, p)), z_neurons)
    net = symbolic_network(widths, p)
    L = len(widths) - 1
    n_rows = [tuple(range(widths[0]))] + list(partition.n_neurons) + [tuple(range(widths[-1]))]
    z_rows = [()] + list(partition.z_neurons) + [()]
    W = net.weights
    N = {l: W[l - 1].extract(list(n_rows[l]), list(n_rows[l - 1])) for l in range(1, L + 1)}
    A = {l: W[l - 1].extract(list(z_rows[l]), list(n_rows[l - 1])) for l in range(1, L)}
    B = {l: W[l - 1].extract(list(n_rows[l]), list(z_rows[l - 1])) for l in range(2, L + 1)}
    C = {l: W[l - 1].extract(list(z_rows[l]), list(z_rows[l - 1])) for l in range(2, L)}

    def sigma(M: sp.Matrix) -> sp.Matrix:
        return M.applyfunc(partition.net.activation.sympy)

    g = [net.x]  # g_0 = x, g_l = σ(N_l g_{l-1})
    for l in range(1, L):
        g.append(sigma(N[l] * g[-1]))

    def f(k: int, s: sp.Matrix) -> sp.Matrix:  # f_{L,k}(s) = N_L σ(N_{L-1} σ(… σ(N_k σ(s))))
        a = s
        for l in range(k, L + 1):
            a = N[l] * sigma(a)
        return a

    v = {L: sp.eye(widths[-1])}
    for l in range(1, L - 1):
        s = sp.Matrix(len(n_rows[l + 1]), 1, lambda i, _: sp.Symbol(f"s{i}"))
        v[l + 1] = f(l + 2, s).jacobian(s).subs(dict(zip(s, N[l + 1] * g[l])), simultaneous=True)
    H1 = sum((v[l + 1] * B[l + 1] * sigma(A[l] * g[l - 1]))[0] for l in range(1, L))
    return SymbolicSaddle(p, partition, W, net.x, N, A, B, C, g, v, net.output[0], (N[L] * g[L - 1])[0], H1)
