"""Gradient descent near a sparse saddle (np §3.4, §4, §D.3): the set-up and measurements of np.figs1_4 and np.figs14_15.

np Figures 1–4 and 14–15 start gradient descent at (w̄_n + δn, δz), next to a saddle (w̄_n, 0) whose z-neurons (the last
ones of each hidden layer) have zero incoming and outgoing weights, and track

* the loss over the loss at the saddle and ‖w − w̄‖/‖w̄‖ (panel a);
* cos_KKT(w_z) = ∇N(w̃_z)ᵀw̃_z/‖∇N(w̃_z)‖, w̃_z = w_z/‖w_z‖, for the NCF N of the leading term in w_z (H̄1 of np eq. 21, or
  H̄2 at the zero-NCF saddles of §D.3) (panel d);
* |W_l| with the n-weights crossed out (panels b, c, e, f).

This module holds what both experiments share: :func:`track_descent` (full-batch GD of ½‖H − y‖², the engine's
:func:`verify.pursuit.gradient_descent` run in chunks, recording the weights between chunks), :func:`kkt_cosines`,
:func:`clarke_h1_cosine` (the Clarke version for ReLU: the smallest subgradient of the separated H1-NCF, np §3.3),
:func:`z_neuron_energies` (incoming and outgoing squared norms of every z-neuron, np Lemma 9), :func:`large_neurons`,
:func:`plateaus` (where the first plateau ends, where the loss has made half its drop, where it settles again) and
:func:`weight_panels` (the heat maps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from verify.clarke import stationarity
from verify.nets import DTYPE, FeedForward
from verify.pursuit import gradient_descent, loss_and_grad
from verify.saddle import SaddleExpansion, SaddlePartition, ZBlocks
from verify.sphere import value_and_grad

HALF = 0.5  # the loss ½‖H(X; w) − y‖² of np eq. (1)/(13): its descent direction is J_zᵀȳ (np eqs. 14–15)


def loss_value(net: FeedForward, w: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> float:
    return float(loss_and_grad(net, w, X, Y, HALF)[0])


def loss_gradient_norm(net: FeedForward, w: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> float:
    return float(loss_and_grad(net, w, X, Y, HALF)[1].norm())


def hessian_extremes(net: FeedForward, w: torch.Tensor, X: torch.Tensor, Y: torch.Tensor) -> tuple[float, float]:
    """(smallest, largest) eigenvalue of the Hessian of ½‖H(X; w) − y‖² at w (autograd; small nets only)."""
    H = torch.autograd.functional.hessian(lambda v: loss_and_grad(net, v, X, Y, HALF)[0], w)
    ev = torch.linalg.eigvalsh(0.5 * (H + H.T))
    return float(ev[0]), float(ev[-1])


def negate_b(partition: SaddlePartition, w_z: torch.Tensor) -> torch.Tensor:
    """w_z with every B block negated: H1 (np eq. 21) and the H̄2 of §D.3 are odd in B, so their NCF changes sign."""
    blocks = partition.blocks(w_z)
    return partition.flatten_blocks(ZBlocks(dict(blocks.A), {l: -B for l, B in blocks.B.items()}, dict(blocks.C)))


def saddle_start(partition: SaddlePartition, w_n_bar: torch.Tensor, delta: float, seed: int,
                 objective: Callable[[torch.Tensor], torch.Tensor], delta_n: float | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(w(0), n, z): w(0) = (w̄_n + δ_n·n, δz), δ_n = δ unless given, with n, z uniform on the unit spheres (from ``seed``),
    z's B blocks negated when objective(z) <= 0 so that the NCF flow from z can escape (np Lemma 1; an assumption of ours:
    the paper's z is random)."""
    gen = torch.Generator().manual_seed(seed)
    n = torch.randn(partition.n_wn, generator=gen, dtype=DTYPE)
    z = torch.randn(partition.n_wz, generator=gen, dtype=DTYPE)
    n, z = n / n.norm(), z / z.norm()
    if float(objective(z[None])[0]) <= 0:
        z = negate_b(partition, z)
    return partition.join(w_n_bar + (delta if delta_n is None else delta_n) * n, delta * z), n, z


@dataclass
class DescentTrack:
    """GD of ½‖H − y‖² from w(0): the weights every ``record_every`` iterations.

    iterations (R,), times (R,) the gradient-flow time Σ η_k of each record (GD with step η is Euler's method for the
    flow), losses (R,), params (R, n_params); finite: False if the loss overflowed (the run stopped there);
    stopped_early: the stopping rule ended the run before ``max_steps``.
    """

    record_every: int
    iterations: np.ndarray
    times: np.ndarray
    losses: np.ndarray
    params: np.ndarray
    finite: bool
    stopped_early: bool


def track_descent(net: FeedForward, X: torch.Tensor, Y: torch.Tensor, w0: torch.Tensor, *,
                  step: Callable[[np.ndarray], float], max_steps: int, record_every: int,
                  stop: Callable[[np.ndarray, np.ndarray, torch.Tensor], bool] | None = None) -> DescentTrack:
    """Full-batch GD w ← w − η∇L(w), L = ½‖H(X; w) − y‖² (verify.pursuit.gradient_descent in chunks of
    ``record_every`` steps), recording the weights between chunks. ``step(losses)`` gives η for the next chunk from the
    recorded losses; ``stop(iterations, losses, w)`` is asked after each chunk."""
    its, times, losses, params = [0], [0.0], [loss_value(net, w0, X, Y)], [w0.numpy().copy()]
    w, finite, stopped = w0, True, False
    while its[-1] < max_steps:
        eta = step(np.asarray(losses))
        run = gradient_descent(net, w, X, Y, step_size=eta, steps=record_every, scale=HALF, check_every=record_every)
        if not run.finite:
            finite = False
            break
        w = run.u
        its.append(its[-1] + record_every)
        times.append(times[-1] + record_every * eta)
        losses.append(float(run.losses[-1]))
        params.append(w.numpy().copy())
        if stop is not None and stop(np.asarray(its), np.asarray(losses), w):
            stopped = True
            break
    return DescentTrack(record_every, np.asarray(its), np.asarray(times), np.asarray(losses), np.asarray(params), finite,
                        stopped)


def kkt_cosines(objective: Callable[[torch.Tensor], torch.Tensor], W_z: torch.Tensor) -> np.ndarray:
    """cos_KKT(w_z) = ∇N(w̃)ᵀw̃/‖∇N(w̃)‖ at w̃ = w_z/‖w_z‖ for each row of W_z (np Figures 1(d), 14(d)); autograd's gradient."""
    U = W_z / W_z.norm(dim=-1, keepdim=True)
    _, g = value_and_grad(objective, U)
    return ((g * U).sum(-1) / g.norm(dim=-1)).numpy()


def clarke_h1_cosine(expansion: SaddleExpansion, ybar: torch.Tensor, w_z: torch.Tensor, tau: float) -> float:
    """The Clarke version of cos_KKT for the H1-NCF of a ReLU-type net: the cosine of the smallest Clarke subgradient.

    The H1-NCF separates over layer blocks θ_l = (A_l, B_{l+1}) (np §3.3), each the NCF of a two-layer net
    (:meth:`verify.saddle.LayerTerm.network`), and H1 has no C; so its Clarke subdifferential is the product of the
    blocks' (and 0 on C). Every element g has gᵀw̃ = 2N(w̃) (Euler, σ'(s)s = σ(s) for every slope at s = 0), so the
    largest cosine is the smallest ‖g‖, found block by block by :func:`verify.clarke.stationarity` (the slopes of
    pre-activations within ``tau`` of a kink free in [0, 1]; it minimises ‖g_l − λθ̂_l‖, which for a fixed gᵀθ̂ is ‖g_l‖).
    """
    u = w_z / w_z.norm()
    grads, at = [], 0
    partition = expansion.partition
    for term in expansion.terms:
        width = partition.deltas[term.layer - 1]
        size = width * (term.in_dim + term.out_dim)
        theta = u[at: at + size]
        r = float(theta.norm())
        if r == 0:
            grads.append(torch.zeros_like(theta))
        else:
            st = stationarity(term.network(width), theta / r, term.inputs, term.correlation(ybar), tau=tau)
            grads.append(r * st.grad)  # the gradient is 1-homogeneous (degree p + 1 = 2)
        at += size
    g = torch.cat([*grads, torch.zeros(partition.n_wz - at, dtype=DTYPE)])
    return float(g @ u / g.norm())


@dataclass(frozen=True)
class NeuronEnergies:
    """Per hidden layer l, per z-neuron j: ‖W_l[j,:]‖² (incoming) and p·‖W_{l+1}[:,j]‖² (outgoing), np Lemma 9's balance."""

    incoming: tuple[np.ndarray, ...]
    outgoing: tuple[np.ndarray, ...]

    @property
    def total(self) -> tuple[np.ndarray, ...]:
        return tuple(a + b for a, b in zip(self.incoming, self.outgoing))


def z_neuron_energies(partition: SaddlePartition, w: torch.Tensor) -> NeuronEnergies:
    """Incoming and p-weighted outgoing squared norms of the z-neurons (full rows of W_l and columns of W_{l+1})."""
    Ws = partition.net.split(w)
    p = partition.net.activation.p
    ins, outs = [], []
    for l, z in enumerate(partition.z_neurons, start=1):
        idx = list(z)
        ins.append(Ws[l - 1][idx, :].pow(2).sum(-1).numpy())
        outs.append(p * Ws[l][:, idx].pow(2).sum(0).numpy())
    return NeuronEnergies(tuple(ins), tuple(outs))


def large_neurons(values: tuple[np.ndarray, ...], fraction: float) -> tuple[tuple[int, int], ...]:
    """(layer, index within G_z of that layer) of the z-neurons whose value is at least ``fraction`` of the largest."""
    top = max(float(v.max()) for v in values if v.size)
    return tuple((l, j) for l, v in enumerate(values, start=1) for j in range(v.size) if top > 0 and v[j] >= fraction * top)


@dataclass(frozen=True)
class Plateaus:
    """Indices into a track's records: first_end, the last record of the first plateau (loss within ``first_flat`` of the
    saddle's); half, the first record where the loss has made half its drop to the final loss; second, the first
    record after ``half`` from which the loss changes by at most ``flat``·(loss at the saddle) over the following
    ``window`` records, half as many as the first plateau's (None when there is none within the run)."""

    first_end: int | None
    half: int | None
    second: int | None
    window: int


def plateaus(losses: np.ndarray, loss_saddle: float, flat: float, first_flat: float | None = None) -> Plateaus:
    ratio = losses / loss_saddle
    below = np.nonzero(ratio < 1 - (flat if first_flat is None else first_flat))[0]
    if below.size == 0:
        return Plateaus(None, None, None, 0)
    first_end = int(below[0]) - 1
    final = float(ratio[-1])
    halfway = np.nonzero(ratio <= 0.5 * (1 + final))[0]
    half = int(halfway[0]) if halfway.size else None
    window = max(1, (first_end + 1) // 2)  # half as long as the first plateau
    second = None
    if half is not None:
        for k in range(half, len(ratio) - window):
            if abs(ratio[k + window] - ratio[k]) <= flat:
                second = k
                break
    return Plateaus(first_end if first_end >= 0 else None, half, second, window)


def abs_weights(partition: SaddlePartition, w: np.ndarray) -> list[np.ndarray]:
    """|W_l| per layer of a parameter vector."""
    return [np.abs(W.numpy()) for W in partition.net.split(torch.as_tensor(w, dtype=DTYPE))]


def n_mask(partition: SaddlePartition) -> list[np.ndarray]:
    """Per layer, True at the entries of W_l that belong to w_n (the entries the paper crosses out)."""
    marks = partition.join(torch.ones(partition.n_wn, dtype=DTYPE), torch.zeros(partition.n_wz, dtype=DTYPE))
    return [W.numpy() > 0 for W in partition.net.split(marks)]


def weight_panels(axes, partition: SaddlePartition, w: np.ndarray, title: str, *, z_only: bool) -> None:
    """|W_l| as heat maps, one axis per layer; with ``z_only`` the w_n entries are blank and crossed out (np Fig. 1(e–f))."""
    mask = n_mask(partition)
    Ws = abs_weights(partition, w)
    shown = [np.where(m, np.nan, W) if z_only else W for W, m in zip(Ws, mask)]
    top = max(float(np.nanmax(W)) for W in shown if np.isfinite(W).any())
    for l, (ax, W, m) in enumerate(zip(axes, shown, mask), start=1):
        ax.imshow(W, cmap="viridis", vmin=0, vmax=top, interpolation="nearest", aspect="auto")
        if z_only:
            rows, cols = np.nonzero(m)
            ax.scatter(cols, rows, marker="x", s=12, c="red", linewidths=0.8)
        ax.set_title(f"{title}: |W_{l}|", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])


def relative_distance(params: np.ndarray, w_bar: torch.Tensor) -> np.ndarray:
    """‖w − w̄‖/‖w̄‖ per record."""
    wb = w_bar.numpy()
    return np.linalg.norm(params - wb, axis=-1) / np.linalg.norm(wb)
