"""Constrained NCF maximisation with restarts: the KKT points the checkers and Neuron Pursuit start from.

    max N_{z,H}(u) = zᵀH(X; u)  s.t.  ‖u‖ = 1     (np eq. 5/7, edc eq. 10)

by batched projected gradient ascent (verify/sphere.py), with optional Clarke certificates
(verify/clarke.py) of the restarts with positive value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import torch

from verify.clarke import Stationarity, stationarity
from verify.errors import InputError, as_data, as_targets, check_positive, check_positive_int
from verify.ncf import ncf
from verify.nets import DTYPE, FeedForward, resolve_device
from verify.sphere import sphere_ascent


@dataclass
class NCFMaxResult:
    """Every restart of :func:`constrained_ncf_max`, sorted by NCF value (best first).

    u: (R, n_params) unit vectors; value: N(u); kkt_residual: autograd residual;
    lam = p̂·N(u) (edc Lemma 11); steps: iterations run; start: the start point each came from;
    stationarity: per-restart certificate (Clarke for kinked σ, computed for restarts with
    positive value when requested, else None).
    """

    net: FeedForward
    u: torch.Tensor
    value: torch.Tensor
    kkt_residual: torch.Tensor
    lam: torch.Tensor
    steps: int
    start: torch.Tensor
    stationarity: list[Stationarity | None] = field(default_factory=list)

    @property
    def residual(self) -> torch.Tensor:
        """Best available stationarity residual per restart (Clarke where computed)."""
        r = self.kkt_residual.clone()
        for i, st in enumerate(self.stationarity):
            if st is not None:
                r[i] = min(float(r[i]), st.residual)
        return r

    def weights(self, i: int = 0) -> list[torch.Tensor]:
        return self.net.split(self.u[i])


_KINKED_STEP_FLOOR = 1e-4


def constrained_ncf_max(
    net: FeedForward,
    X,
    z,
    *,
    restarts: int = 64,
    steps: int = 4000,
    step_size: float = 0.1,
    tol: float = 1e-12,
    seed: int = 0,
    device: str | torch.device = "auto",
    init: torch.Tensor | None = None,
    certify: bool | None = None,
    tau: float = 1e-6,
) -> NCFMaxResult:
    """Maximise N_{z,H}(u) on the unit sphere by projected gradient ascent with restarts.

    All ``restarts`` start points (uniform on the sphere, from ``seed``) ascend together as
    one batched tensor program (:func:`sphere_ascent`). Stops when every restart's KKT
    residual is below ``tol`` or after ``steps`` steps. For kinked σ the step has a floor
    decaying to 1e-4·step_size (see :func:`sphere_ascent`): the monotone iteration alone
    stalls on ridges of kinks, far from any KKT point, where :func:`polish_kkt` cannot start.

    ``certify`` (default: when σ has a kink) adds a Clarke certificate for every restart
    with positive value, see :func:`stationarity`.
    """
    dev = resolve_device(device)
    X = as_data(X, dtype=DTYPE, device=dev)
    z = as_targets(z, X.shape[0], net.widths[-1], dtype=DTYPE, device=dev)
    restarts = check_positive_int("restarts", restarts)
    steps = check_positive_int("steps", steps, minimum=0)
    step_size = check_positive("step_size", step_size)
    if X.shape[1] != net.widths[0]:
        raise InputError(f"data has {X.shape[1]} features, the network expects d = {net.widths[0]}")

    if init is None:
        u = net.random_unit(restarts, torch.Generator().manual_seed(seed), dev)
    else:
        u = init.to(device=dev, dtype=DTYPE).reshape(-1, net.n_params)
        u = u / u.norm(dim=-1, keepdim=True)
    floor = _KINKED_STEP_FLOOR if net.activation.kinked else 0.0
    ascent = sphere_ascent(lambda w: ncf(net, w, X, z), u, steps=steps, step_size=step_size, tol=tol, floor=floor)
    u, value = ascent.u, ascent.value
    result = NCFMaxResult(net, u, value, ascent.kkt_residual, net.degree * value, ascent.steps, ascent.start)
    if certify if certify is not None else net.activation.kinked:
        result.stationarity = [stationarity(net, ui, X, z, tau=tau) if float(v) > 0 else None for ui, v in zip(u, value)]
    else:
        result.stationarity = [None] * len(value)
    return result


@dataclass
class KKTPoint:
    """A certified KKT point of the constrained NCF, one per function it computes on the data.

    value: N(u); lam: the multiplier λ = ⟨g, u⟩ = p̂·N(u) of the certifying (sub)gradient g;
    residual: ‖g − λu‖/‖g‖; certificate: ``smooth`` (autograd gradient) or ``Clarke`` (a chain-rule
    subgradient with slopes in the Clarke box, verify/clarke.py); hits: how many starts reached it;
    start: the kind of the first start that did; ranks, layer_norms: per weight matrix, the
    numerical rank (singular values above 1e-8 of the largest, with the floor ``residual``) and
    the squared Frobenius norm; active_neurons: per hidden layer, neurons with non-zero weights.
    """

    u: torch.Tensor
    value: float
    lam: float
    residual: float
    certificate: str
    hits: int
    start: str
    ranks: tuple[int, ...]
    layer_norms: tuple[float, ...]
    active_neurons: tuple[int, ...]

    def weights(self, net: FeedForward) -> list[torch.Tensor]:
        return net.split(self.u)


@dataclass
class KKTPoints:
    """What :func:`kkt_points` found: distinct certified points (best first) and how the starts fared."""

    points: list[KKTPoint]
    starts: dict[str, int]
    positive: int
    certified: int
    rejected: int

    def summary(self) -> str:
        reached = ", ".join(f"{p.hits}×" for p in self.points)
        return (f"{len(self.points)} distinct certified KKT points (hits {reached or 'none'}) from "
                f"{sum(self.starts.values())} starts ({', '.join(f'{k} {v}' for k, v in self.starts.items())}); "
                f"{self.positive} reached a positive value, {self.certified} certified, {self.rejected} not certified")


def _starts(net: FeedForward, X: torch.Tensor, restarts: int, generator: torch.Generator) -> tuple[torch.Tensor, list[str]]:
    """Diversified start points. Uniform ones on the sphere are biased towards dominant rank-one
    points (edc §5.3), so three structured families are added:

    * sparse: only j neurons per hidden layer switched on (j = 1…4): low-rank and few-neuron points;
    * symmetric: first-layer rows ±e_k, the coordinate axes with both signs, and a second layer
      with one weight per axis on both signs (functions of |x_k|; e.g. the four neurons σ(±x₁),
      σ(±x₂) feeding σ(|x₁| − |x₂|) at s2s Example 1's rank-two point), deeper layers random;
    * data-aligned: first-layer rows ±x_i/‖x_i‖ for random samples i, deeper layers random.
    """
    dev = X.device
    uniform = net.random_unit(restarts, generator, dev)
    kinds = ["uniform"] * restarts
    extra: list[torch.Tensor] = []
    per_family = max(1, restarts // 4)
    k1, d = net.widths[1], net.widths[0]
    axes = torch.cat([torch.eye(d, dtype=DTYPE), -torch.eye(d, dtype=DTYPE)]).to(dev)  # +e_1..+e_d, -e_1..-e_d
    axes = axes.reshape(2, d, d).transpose(0, 1).reshape(2 * d, d)  # +e_1, -e_1, +e_2, -e_2, …
    directions = X / X.norm(dim=1, keepdim=True).clamp_min(torch.finfo(DTYPE).tiny)

    def add(Ws: list[torch.Tensor], kind: str) -> None:
        v = net.flatten(Ws)
        extra.append(v / v.norm())
        kinds.append(kind)

    for j in range(1, min(max(net.widths[1:-1]), 4) + 1):
        for _ in range(per_family):
            Ws = net.split(net.random_unit(1, generator, dev)[0])
            for l in range(net.depth - 1):
                off = torch.randperm(Ws[l].shape[0], generator=generator)[min(j, Ws[l].shape[0]):].to(dev)
                Ws[l][off] = 0
                Ws[l + 1][:, off] = 0
            add(Ws, f"{j} neuron{'s' if j > 1 else ''} per layer")
    for _ in range(2 * per_family):  # twice as many: a quarter of them reach Example 1's rank-two point
        Ws = net.split(net.random_unit(1, generator, dev)[0])
        rows = torch.arange(k1) % len(axes)
        Ws[0] = axes[rows] * (1 + 0.01 * torch.randn(k1, 1, generator=generator, dtype=DTYPE).to(dev))
        if net.depth > 2:  # next layer even in each coordinate: the same weight on σ(e_kᵀx) and σ(−e_kᵀx), i.e. on |x_k|
            Ws[1] = torch.randn(Ws[1].shape[0], d, generator=generator, dtype=DTYPE).to(dev)[:, rows // 2]
        add(Ws, "symmetric (±e_k rows)")
    for _ in range(per_family):
        Ws = net.split(net.random_unit(1, generator, dev)[0])
        rows = torch.randint(len(directions), (k1,), generator=generator).to(dev)
        signs = torch.where(torch.rand(k1, 1, generator=generator, dtype=DTYPE).to(dev) < 0.5, -1.0, 1.0)
        Ws[0] = signs * directions[rows]
        add(Ws, "data-aligned (±x_i rows)")
    return torch.cat([uniform, torch.stack(extra)]), kinds


def kkt_points(
    net: FeedForward,
    X,
    z,
    *,
    restarts: int = 32,
    steps: int = 1500,
    seed: int = 0,
    device: str | torch.device = "cpu",
    positive_only: bool = True,
    tol: float = 1e-9,
    same: float = 1e-6,
) -> KKTPoints:
    """Certified, deduplicated KKT points of max zᵀH(X; u) s.t. ‖u‖ = 1.

    Starts (from ``seed``): ``restarts`` uniform ones plus sparse ones (see :func:`_starts`); all
    ascend together (:func:`constrained_ncf_max`); every restart with positive value (or every
    restart, ``positive_only=False``) is polished onto an exact KKT point and certified
    (:func:`verify.clarke.polish_kkt`: smooth gradient, or an explicit Clarke subgradient for
    kinked σ) with residual below ``tol``. Certified points whose outputs H(X; u) on the data agree to
    ``same`` (relative) are one point: the permutations of hidden neurons, and the continuum of
    parametrisations of one function (a neuron split into parallel copies), are not told apart.
    z has shape (n,) for a scalar output or (n, m) for m outputs.

    A "for all KKT points" statement checked on these is checked on the points reached: report
    how many distinct points were found and how often each was reached (:meth:`KKTPoints.summary`).
    """
    from verify.clarke import polish_kkt

    dev = resolve_device(device)
    X = as_data(X, dtype=DTYPE, device=dev)
    z = as_targets(z, X.shape[0], net.widths[-1], dtype=DTYPE, device=dev)
    init, kinds = _starts(net, X, check_positive_int("restarts", restarts), torch.Generator().manual_seed(seed))
    found = constrained_ncf_max(net, X, z, init=init, steps=steps, device=dev, certify=False)
    points: list[tuple[torch.Tensor, KKTPoint]] = []
    positive = certified = rejected = 0
    for i in range(len(found.value)):
        if positive_only and float(found.value[i]) <= 0:
            continue
        positive += 1
        pol = polish_kkt(net, found.u[i], X, z)
        if not pol.ok or pol.residual > tol or (positive_only and pol.lam <= 0):
            rejected += 1
            continue
        certified += 1
        key = net(pol.u, X).flatten()
        match = next((p for k, p in points if float((k - key).norm()) <= same * max(float(key.norm()), 1e-300)), None)
        if match is not None:
            match.hits += 1
            continue
        Ws = net.split(pol.u)
        ranks = []
        for W in Ws:
            s = torch.linalg.svdvals(W)
            ranks.append(int((s > max(1e-8 * float(s[0]), 10 * pol.residual)).sum()) if float(s[0]) > 0 else 0)
        active = tuple(int(((Ws[l].norm(dim=1) > 1e-8) | (Ws[l + 1].norm(dim=0) > 1e-8)).sum()) for l in range(net.depth - 1))
        points.append((key, KKTPoint(pol.u, float(ncf(net, pol.u, X, z)), pol.lam, pol.residual,
                                     "Clarke" if net.activation.kinked else "smooth", 1, kinds[int(found.start[i])], tuple(ranks),
                                     tuple(float(W.square().sum()) for W in Ws), active)))
    kept = sorted((p for _, p in points), key=lambda p: -p.value)
    return KKTPoints(kept, dict(Counter(kinds)), positive, certified, rejected)

