"""Adding the dominant neuron to a trained network (np Algorithm 1 lines 18–32): the numerics behind np Lemma 13.

Used by the checker ``np.lemma13`` and the experiment ``np.lemma13_outside``. Loss: Algorithm 1's
L(W) = ‖y − H(X;W)‖² (no ½), :func:`verify.pursuit.squared_loss` with scale 1. The decrease
D(δ) = L(W̄) − L(Ŵ(δ)) is formed in mpmath at :data:`MP_DIGITS` digits: the leading term 2ζδ^{p+1}
dominates only where it is tiny next to ‖ȳ‖², below float64's resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
import torch
from hypothesis import strategies as st

from verify.clarke import polish_kkt
from verify.kkt import constrained_ncf_max
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.precise import mp_output, to_mp
from verify.pursuit import append_neuron, loss_and_grad, squared_loss
from verify.saddle import layer_terms
from verify.strategies import Dataset, datasets, networks, seeds

MP_DIGITS = 50


@dataclass(frozen=True)
class TrainedNetwork:
    """A network W̄ trained by gradient descent on (X, y), the setting of np Lemma 13.

    Inputs are scaled to unit average norm so that high powers p keep the outputs O(1).
    """

    net: FeedForward
    data: Dataset
    y_seed: int
    init_seed: int
    gd_steps: int

    def tensors(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        X = torch.as_tensor(self.data.X / math.sqrt(self.data.d), dtype=DTYPE, device=device)
        y = torch.as_tensor(np.random.default_rng(self.y_seed).standard_normal((self.data.n, self.net.widths[-1])),
                            dtype=DTYPE, device=device)
        return X, y

    def __str__(self) -> str:
        return f"{self.net}; {self.data} (scaled by 1/√d); y seed={self.y_seed}; init seed={self.init_seed}; {self.gd_steps} GD steps"


def trained_networks(activation: st.SearchStrategy[Activation]) -> st.SearchStrategy[TrainedNetwork]:
    """L ∈ {2, 3}, hidden widths 1–4, inputs from any data kind (n 8–30, d 2–5), W̄ after 25 or 300 GD steps."""

    @st.composite
    def build(draw) -> TrainedNetwork:
        data = draw(datasets(n=(8, 30), d=(2, 5)))
        net = draw(networks(data.d, depths=(2, 3), widths=(1, 4), activation=activation))
        # Lemma 13 does not need W̄ stationary; a briefly trained W̄ keeps ζ away from 0 (a fully trained
        # linear net has ζ = 0 exactly: nothing is left to add)
        return TrainedNetwork(net, data, draw(seeds()), draw(seeds()), draw(st.sampled_from((25, 300))))

    return build()


def train_by_gradient_descent(net: FeedForward, X: torch.Tensor, y: torch.Tensor, u: torch.Tensor, steps: int) -> torch.Tensor:
    """Full-batch GD on ‖y − H(X;W)‖² with a backtracking step (monotone), from u."""
    eta = 0.5
    loss = squared_loss(net, u, X, y, 1.0)
    for _ in range(steps):
        _, g = loss_and_grad(net, u, X, y, 1.0)
        while eta > 1e-12:
            cand = u - eta * g
            cand_loss = squared_loss(net, cand, X, y, 1.0)
            if cand_loss < loss:
                u, loss, eta = cand, cand_loss, min(2 * eta, 1.0)
                break
            eta *= 0.5
    return u


@dataclass
class NeuronAddition:
    """The dominant neuron of np Algorithm 1 lines 18–28 and the loss along lines 30–32, on a δ grid."""

    layer: int  # l*
    zeta: float  # ȳᵀH_{1,l*}(X; b̂, â)
    deltas: torch.Tensor
    decrease: torch.Tensor  # L(W̄) − L(Ŵ(δ))
    h1_norm2: float  # ‖H_{1,l*}(X; b̂, â)‖²
    zeta_error: float  # float64 rounding bound of ζ (it is formed in float64, the decrease in mpmath)
    residual_norm2: float  # ‖ȳ‖²
    gradient_norm: float  # ‖∇L(W̄)‖: W̄ is only approximately stationary
    first_order: float  # d/dδ L(Ŵ(δ)) at δ = 0
    kkt_residual: float
    depth: int


def study_neuron_addition(problem: TrainedNetwork, seed: int, device: torch.device) -> NeuronAddition:
    """Train W̄ from a random init of norm 0.8√L, then add its dominant neuron (:func:`add_dominant_neuron`)."""
    net = problem.net
    X, y = problem.tensors(device)
    u0 = 0.8 * net.random_unit(1, torch.Generator().manual_seed(problem.init_seed), device)[0] * math.sqrt(net.depth)
    w_bar = train_by_gradient_descent(net, X, y, u0, problem.gd_steps)
    return add_dominant_neuron(net, w_bar, X, y, seed=seed)


def add_dominant_neuron(net: FeedForward, w_bar: torch.Tensor, X: torch.Tensor, y: torch.Tensor, *, seed: int,
                        n_deltas: int = 40) -> NeuronAddition:
    """Lines 18–32 of np Algorithm 1 at W̄: maximise ȳᵀH_{1,l} per layer (16 restarts, polished), append (δâ, δb̂).

    The δ grid shrinks by √2 from δ_0 = min(1, (0.01ζ/‖H_{1,l*}‖²)^{1/(p+1)}), where the δ^{2(p+1)} term of the
    expansion is at most 1% of the leading one: "small δ" depends on the instance.
    """
    y_bar = y - net(w_bar, X)
    best = None
    for term in layer_terms(net, w_bar, X):
        pair = term.network(1)  # (a, b) = (W_1, W_2) of a two-layer net: its NCF is ȳᵀH_{1,l}
        corr = term.correlation(y_bar)
        found = constrained_ncf_max(pair, term.inputs, corr, restarts=16, steps=600, seed=seed, device=X.device, certify=False)
        pol = polish_kkt(pair, found.u[0], term.inputs, corr)
        value = float(term.ncf(y_bar, pair.split(pol.u)[1][:, 0], pair.split(pol.u)[0][0]))
        if best is None or value > best[1]:
            best = (term, value, pol)
    term, zeta, pol = best
    a_hat, b_hat = term.network(1).split(pol.u)[0][0], term.network(1).split(pol.u)[1][:, 0]
    l = term.layer
    # Ŵ(δ) = base + δ·direction (lines 30–32): base is W̄ with an inactive neuron appended to layer l*, direction
    # holds (â, b̂) in the new neuron's slots and exact zeros elsewhere
    grown, base = append_neuron(net, w_bar, l, torch.zeros_like(a_hat), torch.zeros_like(b_hat))
    direction = append_neuron(net, w_bar, l, a_hat, b_hat)[1] - base

    h1 = term(b_hat, a_hat)
    h1_norm2 = float((h1**2).sum())
    p = net.activation.p
    delta0 = min(1.0, (0.01 * max(zeta, 0.0) / h1_norm2) ** (1 / (p + 1))) if h1_norm2 > 0 else 1.0
    deltas = delta0 * 2.0 ** -(0.5 * torch.arange(n_deltas, dtype=DTYPE))
    decrease = precise_decrease(net, grown, w_bar, base, direction, X, y, deltas)
    _, g = loss_and_grad(net, w_bar, X, y, 1.0)
    with torch.enable_grad():
        d0 = torch.zeros(1, dtype=DTYPE, device=X.device, requires_grad=True)
        (first,) = torch.autograd.grad(squared_loss(grown, base + d0[:, None] * direction, X, y, 1.0).sum(), d0)
    zeta_error = 64 * EPS * float(((y.abs() + net(w_bar, X).abs() + y_bar.abs()) * h1.abs()).sum())
    return NeuronAddition(l, zeta, deltas, decrease, h1_norm2, zeta_error, float((y_bar**2).sum()), float(g.norm()),
                          float(first), pol.residual, net.depth)


def precise_decrease(net: FeedForward, grown: FeedForward, w_bar: torch.Tensor, base: torch.Tensor, direction: torch.Tensor,
                     X: torch.Tensor, y: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """L(W̄) − L(base + δ·direction) for each δ, formed in mpmath at :data:`MP_DIGITS` digits (then rounded to float64).

    The leading term 2ζδ^{p+1} dominates only for δ where it is tiny next to ‖ȳ‖²; float64 cannot
    resolve it there, 50 digits can (down to ~1e-40·‖ȳ‖²). base + δ·direction is exact in mpmath (direction is
    zero outside the new neuron's slots, base zero inside them).
    """
    with mpmath.workdps(MP_DIGITS):
        Xm, ym = to_mp(X.cpu().numpy()), to_mp(y.cpu().numpy())
        B, E = to_mp(base.cpu().numpy()), to_mp(direction.cpu().numpy())
        loss_bar = ((ym - mp_output(net, to_mp(w_bar.cpu().numpy()), Xm)) ** 2).sum()
        out = [float(loss_bar - ((ym - mp_output(grown, B + mpmath.mpf(delta) * E, Xm)) ** 2).sum()) for delta in deltas.tolist()]
    return torch.tensor(out, dtype=DTYPE)


def local_orders(add: NeuronAddition, order: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(δ, D, local log-log slopes, D/δ^order) on the δ where the decrease D is resolved above rounding."""
    resolvable = add.decrease.abs() > 10.0 ** (10 - MP_DIGITS) * add.residual_norm2
    d, D = add.deltas[resolvable], add.decrease[resolvable]
    slopes = torch.log(D[:-1].abs() / D[1:].abs()) / torch.log(d[:-1] / d[1:])
    return d, D, slopes, D / d**order
