"""Saddle-point split of a feed-forward net and the leading term H1 of its output near the saddle.

np §1.6 / Lemma 8: the hidden neurons are split into kept neurons ("n-neurons") and a set G_z of
small neurons ("z-neurons"); w_z holds every incoming and outgoing weight of a neuron in G_z and
w_n the rest. Per layer (layers numbered 1..L as in the paper, P_l n-neurons, Δ_l z-neurons):

    W_1 = [N_1; A_1],   W_l = [[N_l, B_l], [A_l, C_l]] (2 <= l <= L-1),   W_L = [N_L, B_L]

with N_l: P_l×P_{l-1}, A_l: Δ_l×P_{l-1} (n → z), B_l: P_l×Δ_{l-1} (z → n), C_l: Δ_l×Δ_{l-1}
(z → z). G_z may be any subset of the hidden neurons of any layer (np Remark 2); the paper's
"last Δ_l neurons" is :meth:`SaddlePartition.from_counts`.

np eq. (21): with g_0(x) = x, g_l(x) = σ(N_l g_{l-1}(x)) and
f_{L,k}(s) = N_L σ(N_{L-1} σ(… σ(N_k σ(s)))) (f_{L,L}(s) = N_L σ(s)),

    H1(x; w_n, w_z) = Σ_{l=1}^{L-2} ∇_s f_{L,l+2}(N_{l+1} g_l(x))ᵀ B_{l+1} σ(A_l g_{l-1}(x)) + B_L σ(A_{L-1} g_{L-2}(x)),

and (np §3.3) it separates over the z-neurons:

    zᵀH1(X; w_n, w_z) = Σ_l Σ_j zᵀH_{1,l}(X; B_{l+1}[:,j], A_l[j,:]),
    H_{1,l}(x; b, a) = v_{l+1}(x) b σ(aᵀ g_{l-1}(x)),   v_{l+1}(x) = ∇_s f_{L,l+2}(N_{l+1} g_l(x))ᵀ,  v_L = I_m.

:class:`LayerTerm` is H_{1,l} at fixed w_n, batched over (b, a), with vector outputs (np Remark 3):
it is also the objective of Neuron Pursuit's residual step (np Algorithm 1 line 22), where the
current network plays the role of the n-network and the candidate neuron is the only z-neuron.
Note that the layer-l part of the NCF is the NCF of a two-layer network b σ(aᵀg) on the data
g_{l-1}(X) with correlation rows q_i = v_{l+1}(x_i)ᵀ z_i (:meth:`LayerTerm.network`,
:meth:`LayerTerm.correlation`), so :func:`verify.kkt.constrained_ncf_max` and the Clarke machinery of
:mod:`verify.clarke` apply to it unchanged.

:func:`verify.sphere.sphere_ascent` maximises any batched objective on the unit sphere (projected gradient
ascent with restarts as one tensor program), e.g. max_{‖w_z‖ = 1} zᵀH1(X; w_n, w_z) (np eq. 19, Lemma 9).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from verify.errors import InputError, as_data, as_targets, check_positive_int
from verify.nets import Activation, FeedForward


@dataclass
class ZBlocks:
    """The w_z blocks keyed by the paper's layer numbers: A[l] (l = 1..L-1), B[l] (l = 2..L), C[l] (l = 2..L-1).

    Shapes (with any leading batch dimensions): A[l] (Δ_l, P_{l-1}), B[l] (P_l, Δ_{l-1}), C[l] (Δ_l, Δ_{l-1}).
    """

    A: dict[int, torch.Tensor]
    B: dict[int, torch.Tensor]
    C: dict[int, torch.Tensor]


class SaddlePartition:
    """Split of a feed-forward net's weights into w_n and w_z for a set G_z of hidden neurons (np §1.6, Remark 2).

    ``z_neurons[l-1]`` lists the indices of the z-neurons of hidden layer l (any subset, in any
    layer); every hidden layer keeps at least one n-neuron, and G_z is not empty. w_n is laid out as
    the parameter vector of :attr:`n_net` (N_1, …, N_L), so H(X; w_n, 0) = n_net(w_n, X). w_z is laid
    out as A_1, B_2, A_2, B_3, …, A_{L-1}, B_L (the z-neurons of layer l read and write the n-network
    through (A_l, B_{l+1})), then C_2, …, C_{L-1}. :meth:`split` and :meth:`join` are exact inverses
    (index gathers and scatters, no arithmetic).
    """

    def __init__(self, net: FeedForward, z_neurons: Sequence[Sequence[int]]) -> None:
        if not isinstance(net, FeedForward):
            raise InputError(f"net must be a FeedForward, got {net!r}")
        L = net.depth
        if isinstance(z_neurons, (str, bytes)) or not hasattr(z_neurons, "__len__") or len(z_neurons) != L - 1:
            raise InputError(f"z_neurons needs one index list per hidden layer ({L - 1} for depth {L}), got {z_neurons!r}")
        z_sets: list[tuple[int, ...]] = []
        for l, idx in enumerate(z_neurons, start=1):
            width = net.widths[l]
            if isinstance(idx, (str, bytes)) or not hasattr(idx, "__iter__"):
                raise InputError(f"z_neurons[{l - 1}] must be a list of neuron indices of layer {l}, got {idx!r}")
            raw = tuple(idx)
            chosen = tuple(sorted({check_positive_int(f"z-neuron index of layer {l}", i, minimum=0) for i in raw}))
            if len(chosen) != len(raw):
                raise InputError(f"z-neuron indices of layer {l} repeat: {raw}")
            if chosen and chosen[-1] >= width:
                raise InputError(f"z-neuron index {chosen[-1]} out of range for hidden layer {l} of width {width}")
            if len(chosen) == width:
                raise InputError(f"hidden layer {l} would keep no n-neuron: the n-network needs at least one per layer")
            z_sets.append(chosen)
        if not any(z_sets):
            raise InputError("G_z is empty: choose at least one z-neuron")
        self.net = net
        self.z_neurons = tuple(z_sets)
        self.n_neurons = tuple(tuple(j for j in range(net.widths[l]) if j not in z_sets[l - 1]) for l in range(1, L))
        self.n_net = FeedForward((net.widths[0], *(len(n) for n in self.n_neurons), net.widths[-1]), net.activation)

        # row/column index sets of W_l for the n- and z-parts (layer 0 = inputs, layer L = outputs)
        rows_n = [tuple(range(net.widths[0]))] + list(self.n_neurons) + [tuple(range(net.widths[-1]))]
        rows_z = [()] + list(self.z_neurons) + [()]
        offsets = net.offsets

        def positions(l: int, rows: tuple[int, ...], cols: tuple[int, ...]) -> torch.Tensor:
            """Flat positions of W_l[rows][:, cols] in the parameter vector, row-major."""
            r = torch.tensor(rows, dtype=torch.long).reshape(-1, 1)
            c = torch.tensor(cols, dtype=torch.long).reshape(1, -1)
            return (offsets[l - 1] + r * net.widths[l - 1] + c).reshape(-1)

        self._n_index = torch.cat([positions(l, rows_n[l], rows_n[l - 1]) for l in range(1, L + 1)])
        blocks: list[tuple[str, int, tuple[int, int], torch.Tensor]] = []
        for l in range(1, L):
            blocks.append(("A", l, (len(rows_z[l]), len(rows_n[l - 1])), positions(l, rows_z[l], rows_n[l - 1])))
            blocks.append(("B", l + 1, (len(rows_n[l + 1]), len(rows_z[l])), positions(l + 1, rows_n[l + 1], rows_z[l])))
        for l in range(2, L):
            blocks.append(("C", l, (len(rows_z[l]), len(rows_z[l - 1])), positions(l, rows_z[l], rows_z[l - 1])))
        self._z_blocks = [(kind, l, shape) for kind, l, shape, _ in blocks]
        self._z_index = torch.cat([pos for *_, pos in blocks])

    @classmethod
    def from_counts(cls, net: FeedForward, deltas: Sequence[int]) -> SaddlePartition:
        """np Lemma 8's convention: the last Δ_l neurons of hidden layer l form G_z."""
        if len(deltas) != net.depth - 1:
            raise InputError(f"deltas needs one count per hidden layer ({net.depth - 1}), got {tuple(deltas)!r}")
        counts = [check_positive_int(f"Δ_{l}", d, minimum=0) for l, d in enumerate(deltas, start=1)]
        return cls(net, [range(net.widths[l] - d, net.widths[l]) for l, d in enumerate(counts, start=1)])

    @property
    def depth(self) -> int:
        return self.net.depth

    @property
    def n_wn(self) -> int:
        return int(self._n_index.numel())

    @property
    def n_wz(self) -> int:
        return int(self._z_index.numel())

    @property
    def deltas(self) -> tuple[int, ...]:
        """Δ_l, the number of z-neurons of hidden layer l = 1..L-1."""
        return tuple(len(z) for z in self.z_neurons)

    def _check(self, t: torch.Tensor, size: int, name: str) -> None:
        if not torch.is_tensor(t) or t.ndim < 1 or t.shape[-1] != size:
            shape = tuple(t.shape) if torch.is_tensor(t) else type(t).__name__
            raise InputError(f"{name} must be a tensor of shape (..., {size}), got {shape}")

    def split(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Full parameters (*B, n_params) → (w_n (*B, n_wn), w_z (*B, n_wz))."""
        self._check(u, self.net.n_params, "parameter vector")
        return u[..., self._n_index.to(u.device)], u[..., self._z_index.to(u.device)]

    def join(self, w_n: torch.Tensor, w_z: torch.Tensor) -> torch.Tensor:
        """(w_n, w_z) → full parameters (*B, n_params); the inverse of :meth:`split`."""
        self._check(w_n, self.n_wn, "w_n")
        self._check(w_z, self.n_wz, "w_z")
        lead = torch.broadcast_shapes(w_n.shape[:-1], w_z.shape[:-1])
        u = w_n.new_zeros(*lead, self.net.n_params, dtype=torch.promote_types(w_n.dtype, w_z.dtype))
        u[..., self._n_index.to(u.device)] = w_n.to(u.dtype)
        u[..., self._z_index.to(u.device)] = w_z.to(u.dtype)
        return u

    def blocks(self, w_z: torch.Tensor) -> ZBlocks:
        """w_z (*B, n_wz) → its A, B, C blocks (views)."""
        self._check(w_z, self.n_wz, "w_z")
        out = ZBlocks({}, {}, {})
        at = 0
        for kind, l, (r, c) in self._z_blocks:
            getattr(out, kind)[l] = w_z[..., at : at + r * c].reshape(*w_z.shape[:-1], r, c)
            at += r * c
        return out

    def flatten_blocks(self, blocks: ZBlocks) -> torch.Tensor:
        """A, B, C blocks → w_z (*B, n_wz); the inverse of :meth:`blocks`."""
        parts = []
        for kind, l, shape in self._z_blocks:
            block = getattr(blocks, kind).get(l)
            if block is None or tuple(block.shape[-2:]) != shape:
                got = None if block is None else tuple(block.shape[-2:])
                raise InputError(f"block {kind}_{l} must have shape {shape}, got {got}")
            parts.append(block.reshape(*block.shape[:-2], -1))
        return torch.cat(parts, dim=-1)

    def __str__(self) -> str:
        return f"{self.net}; G_z = {[list(z) for z in self.z_neurons]}"


def n_activations(net: FeedForward, w: torch.Tensor, X: torch.Tensor) -> list[torch.Tensor]:
    """[g_0(X), …, g_{L-1}(X)] of np eq. (21): g_0 = X, g_l = σ(N_l g_{l-1}); each (n, k_l)."""
    Ns = net.split(w)
    if not torch.is_tensor(X) or X.ndim != 2 or X.shape[-1] != net.widths[0]:
        raise InputError(f"X must be an (n, {net.widths[0]}) tensor, got {tuple(X.shape) if torch.is_tensor(X) else X!r}")
    gs = [X]
    for N in Ns[:-1]:
        gs.append(net.activation(gs[-1] @ N.transpose(-1, -2)))
    return gs


def downstream_map(net: FeedForward, w: torch.Tensor, k: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """f_{L,k}(s) = N_L σ(N_{L-1} σ(… σ(N_k σ(s)))) of np eq. (21), for 2 <= k <= L (f_{L,L}(s) = N_L σ(s)).

    It maps a pre-activation s of layer k-1 (rows = samples) to the output.
    """
    if not 2 <= k <= net.depth:
        raise InputError(f"f_(L,k) needs 2 <= k <= L = {net.depth}, got k = {k}")
    Ns = net.split(w)[k - 1 :]

    def f(s: torch.Tensor) -> torch.Tensor:
        a = s
        for N in Ns:
            a = net.activation(a) @ N.transpose(-1, -2)
        return a

    return f


@dataclass(frozen=True)
class LayerTerm:
    """H_{1,l}(x; b, a) = v_{l+1}(x) b σ(aᵀ g_{l-1}(x)) at fixed w_n (np §3.3, Algorithm 1 line 22).

    inputs = g_{l-1}(X) (n, P_{l-1}); sensitivity = v_{l+1}(X) = ∇_s f_{L,l+2}(N_{l+1} g_l(X))ᵀ (n, m, P_{l+1}),
    the identity for l = L-1. It is (p+1)-homogeneous in (b, a): linear in b, p-homogeneous in a.
    """

    layer: int
    activation: Activation
    inputs: torch.Tensor
    sensitivity: torch.Tensor

    @property
    def in_dim(self) -> int:
        """P_{l-1}: length of a (incoming weights from the n-neurons of layer l-1, or the inputs)."""
        return self.inputs.shape[-1]

    @property
    def out_dim(self) -> int:
        """P_{l+1}: length of b (outgoing weights into the n-neurons of layer l+1, or the m outputs)."""
        return self.sensitivity.shape[-1]

    def _activation_of(self, b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        if not (torch.is_tensor(a) and torch.is_tensor(b)) or a.shape[-1:] != (self.in_dim,) or b.shape[-1:] != (self.out_dim,):
            raise InputError(
                f"H_(1,{self.layer}) takes b of shape (..., {self.out_dim}) and a of shape (..., {self.in_dim}), "
                f"got {tuple(getattr(b, 'shape', ()))} and {tuple(getattr(a, 'shape', ()))}"
            )
        return self.activation(a @ self.inputs.transpose(-1, -2))  # σ(aᵀ g_{l-1}(x_i)): (*B, n)

    def __call__(self, b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """H_{1,l}(X; b, a) of shape (*B, n, m) for b (*B, P_{l+1}) and a (*B, P_{l-1}) (batch dims broadcast)."""
        act = self._activation_of(b, a)
        vb = torch.einsum("nmk,...k->...nm", self.sensitivity, b)
        return vb * act.unsqueeze(-1)

    def correlation(self, z: torch.Tensor) -> torch.Tensor:
        """Q with rows q_i = v_{l+1}(x_i)ᵀ z_i (n, P_{l+1}): zᵀH_{1,l}(X; b, a) = Σ_i q_iᵀb σ(aᵀ g_{l-1}(x_i))."""
        n, m, _ = self.sensitivity.shape
        zc = as_targets(z, n, m, dtype=self.sensitivity.dtype, device=self.sensitivity.device)
        return torch.einsum("nm,nmk->nk", zc, self.sensitivity)

    def ncf(self, z: torch.Tensor, b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """N_{z,H_{1,l}}(b, a) = Σ_i z_iᵀH_{1,l}(x_i; b, a), shape (*B,)."""
        act = self._activation_of(b, a)
        return torch.einsum("...n,nk,...k->...", act, self.correlation(z), b)

    def network(self, width: int = 1) -> FeedForward:
        """The two-layer net (P_{l-1}, width, P_{l+1}) whose NCF on (inputs, correlation(z)) is Σ_j N_{z,H_{1,l}}(B[:,j], A[j,:]).

        Its parameter vector is (A, B) = (W_1, W_2): ``width`` z-neurons of layer l.
        """
        return FeedForward((self.in_dim, check_positive_int("width", width), self.out_dim), self.activation)


def layer_terms(net: FeedForward, w: torch.Tensor, X: torch.Tensor) -> list[LayerTerm]:
    """[H_{1,1}, …, H_{1,L-1}] for the n-network ``net`` with parameters w (np §3.3, Algorithm 1 line 22).

    ``net`` is the n-network: N_1..N_L are its weights (for Neuron Pursuit, the current network).
    v_{l+1} = ∇_s f_{L,l+2}(N_{l+1} g_l(x))ᵀ is taken by autograd of :func:`downstream_map`; at a kink of
    σ (p = 1, α ≠ 1) torch splits the gradient of max(h, αh) evenly, i.e. uses the slope (1+α)/2, one
    element of the Clarke subdifferential (np Lemma 9 allows any). When w requires grad the terms
    stay differentiable in w (for ∇_{w_n}H1).
    """
    if not isinstance(net, FeedForward):
        raise InputError(f"net must be a FeedForward, got {net!r}")
    if not torch.is_tensor(w) or tuple(w.shape) != (net.n_params,):
        raise InputError(f"w must be one parameter vector of length {net.n_params} for {net.widths}, got "
                         f"{tuple(w.shape) if torch.is_tensor(w) else type(w).__name__}")
    X = as_data(X, dtype=w.dtype, device=w.device)
    if X.shape[-1] != net.widths[0]:
        raise InputError(f"data has {X.shape[-1]} features, the network expects d = {net.widths[0]}")
    L, m = net.depth, net.widths[-1]
    gs = n_activations(net, w, X)
    Ns = net.split(w)
    keep_graph = w.requires_grad
    terms = []
    for l in range(1, L):
        if l == L - 1:
            v = torch.eye(m, dtype=w.dtype, device=w.device).expand(X.shape[0], m, m)
        else:
            f = downstream_map(net, w, l + 2)
            with torch.enable_grad():
                s = gs[l] @ Ns[l].transpose(-1, -2)  # N_{l+1} g_l(x)
                s = s if keep_graph else s.detach().requires_grad_(True)
                out = f(s)  # (n, m); samples are independent, so the gradient of a sum is per sample
                rows = [torch.autograd.grad(out[:, o].sum(), s, create_graph=keep_graph, retain_graph=True)[0] for o in range(m)]
            v = torch.stack(rows, dim=-2)
            v = v if keep_graph else v.detach()
        terms.append(LayerTerm(l, net.activation, gs[l - 1], v))
    return terms


class SaddleExpansion:
    """H1 of np eq. (21) at fixed w_n for a partition, as a function of w_z (batched).

    Precomputes g_l and v_{l+1} once (they depend on w_n only); :meth:`h1` is eq. (21) in matrix
    form, :meth:`neuron_terms` its per-neuron pieces H_{1,l}(X; B_{l+1}[:,j], A_l[j,:]) (np §3.3).
    """

    def __init__(self, partition: SaddlePartition, w_n: torch.Tensor, X: torch.Tensor) -> None:
        if not isinstance(partition, SaddlePartition):
            raise InputError(f"partition must be a SaddlePartition, got {partition!r}")
        self.partition = partition
        self.terms = layer_terms(partition.n_net, w_n, X)

    def h1(self, w_z: torch.Tensor) -> torch.Tensor:
        """H1(X; w_n, w_z) = Σ_l v_{l+1} B_{l+1} σ(A_l g_{l-1}(X)) (np eq. 21), shape (*B, n, m)."""
        blocks = self.partition.blocks(w_z)
        out = 0
        for term in self.terms:
            l = term.layer
            hidden = term.activation(term.inputs @ blocks.A[l].transpose(-1, -2))  # σ(A_l g_{l-1}(x_i)): (*B, n, Δ_l)
            pushed = hidden @ blocks.B[l + 1].transpose(-1, -2)  # B_{l+1} σ(…): (*B, n, P_{l+1})
            out = out + torch.einsum("nmk,...nk->...nm", term.sensitivity, pushed)
        return out

    def ncf(self, z: torch.Tensor, w_z: torch.Tensor) -> torch.Tensor:
        """N_{z,H1}(w_z) = Σ_i z_iᵀH1(x_i; w_n, w_z) from eq. (21), shape (*B,)."""
        H = self.h1(w_z)
        zc = as_targets(z, H.shape[-2], H.shape[-1], dtype=H.dtype, device=H.device)
        return (zc * H).sum(dim=(-2, -1))

    def ncf_objective(self, z: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """w_z ↦ N_{z,H1}(w_z) in the separated form of np §3.3, for repeated evaluation (e.g. :func:`sphere_ascent`).

        Σ_l Σ_j Σ_i q_{l,i}ᵀ B_{l+1}[:,j] σ(A_l[j,:] g_{l-1}(x_i)) with the correlations q_{l,i} = v_{l+1}(x_i)ᵀ z_i
        computed once; equal to :meth:`ncf`.
        """
        correlations = [term.correlation(z) for term in self.terms]

        def objective(w_z: torch.Tensor) -> torch.Tensor:
            blocks = self.partition.blocks(w_z)
            total = 0
            for term, Q in zip(self.terms, correlations):
                hidden = term.activation(term.inputs @ blocks.A[term.layer].transpose(-1, -2))  # (*B, n, Δ_l)
                total = total + (hidden * (Q @ blocks.B[term.layer + 1])).sum(dim=(-2, -1))
            return total

        return objective

    def neuron_terms(self, w_z: torch.Tensor) -> list[torch.Tensor]:
        """Per hidden layer l: H_{1,l}(X; B_{l+1}[:,j], A_l[j,:]) for every z-neuron j, shape (*B, Δ_l, n, m)."""
        blocks = self.partition.blocks(w_z)
        return [term(blocks.B[term.layer + 1].transpose(-1, -2), blocks.A[term.layer]) for term in self.terms]
