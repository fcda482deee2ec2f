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
    dtype: torch.dtype = DTYPE,
) -> NCFMaxResult:
    """Maximise N_{z,H}(u) on the unit sphere by projected gradient ascent with restarts.

    All ``restarts`` start points (uniform on the sphere, from ``seed``) ascend together as
    one batched tensor program (:func:`sphere_ascent`). Stops when every restart's KKT
    residual is below ``tol`` or after ``steps`` steps. For kinked σ the step has a floor
    decaying to 1e-4·step_size (see :func:`sphere_ascent`): the monotone iteration alone
    stalls on ridges of kinks, far from any KKT point, where :func:`polish_kkt` cannot start.

    ``certify`` (default: when σ has a kink) adds a Clarke certificate for every restart
    with positive value, see :func:`stationarity`. ``dtype`` float32 is for experiments (Neuron Pursuit's
    float32 path); the starts are drawn in float64 and rounded, so both precisions start from the same points.
    """
    dev = resolve_device(device)
    X = as_data(X, dtype=dtype, device=dev)
    z = as_targets(z, X.shape[0], net.widths[-1], dtype=dtype, device=dev)
    restarts = check_positive_int("restarts", restarts)
    steps = check_positive_int("steps", steps, minimum=0)
    step_size = check_positive("step_size", step_size)
    if X.shape[1] != net.widths[0]:
        raise InputError(f"data has {X.shape[1]} features, the network expects d = {net.widths[0]}")

    if init is None:
        u = net.random_unit(restarts, torch.Generator().manual_seed(seed), dev).to(dtype)
    else:
        u = init.to(device=dev, dtype=dtype).reshape(-1, net.n_params)
        u = u / u.norm(dim=-1, keepdim=True)
    floor = _KINKED_STEP_FLOOR if net.activation.kinked else 0.0
    ascent = sphere_ascent(lambda w: ncf(net, w, X, z), u, steps=steps, step_size=step_size, tol=tol, floor=floor, dtype=dtype)
    u, value = ascent.u, ascent.value
    result = NCFMaxResult(net, u, value, ascent.kkt_residual, net.degree * value, ascent.steps, ascent.start)
    if certify if certify is not None else net.activation.kinked:
        result.stationarity = [stationarity(net, ui, X, z, tau=tau) if float(v) > 0 else None for ui, v in zip(u, value)]
    else:
        result.stationarity = [None] * len(value)
    return result


@dataclass
class Certificate:
    """A certified KKT point of the constrained NCF: the polished unit u, the (sub)gradient g that certifies it,
    λ = ⟨g, u⟩, residual ‖g − λu‖/‖g‖ and tau, the kink threshold of the certificate (0 for smooth σ)."""

    u: torch.Tensor
    grad: torch.Tensor
    lam: float
    residual: float
    tau: float


def certify_kkt(net: FeedForward, u0: torch.Tensor, X: torch.Tensor, z: torch.Tensor, *, max_residual: float = 1e-9,
                positive: bool = True) -> Certificate | None:
    """Polish u0 onto a KKT point (verify.clarke.polish_kkt) and certify it; None when it is not one.

    Certified when the polish accepted it (Polish.ok) with residual ≤ ``max_residual`` (and, ``positive``,
    λ > 0), and the certificate recomputed from scratch agrees: ∇N for smooth σ; for kinked σ the
    chain-rule subgradient with the polish's slopes (in the Clarke box,
    :func:`verify.clarke.certified_subgradient`).
    """
    from verify.clarke import certified_subgradient, polish_kkt

    pol = polish_kkt(net, u0, X, z)
    if not pol.ok or not pol.residual <= max_residual or (positive and pol.lam <= 0):
        return None
    if net.activation.kinked:
        st, _ = certified_subgradient(net, pol.u, X, z, pol.slopes)
    else:
        st = stationarity(net, pol.u, X, z)
    if not st.residual <= max_residual or (positive and st.lam <= 0):
        return None
    return Certificate(pol.u, st.grad, st.lam, st.residual, st.tau)


@dataclass
class KKTPoint:
    """A certified KKT point of the constrained NCF, one per function it computes on the data.

    value: N(u); lam: the multiplier λ = ⟨g, u⟩ = p̂·N(u) of the certifying (sub)gradient g (``grad``);
    residual: ‖g − λu‖/‖g‖; tau: the kink threshold of the certificate; certificate: ``smooth`` (autograd
    gradient) or ``Clarke`` (a chain-rule subgradient with slopes in the Clarke box, verify/clarke.py);
    hits: how many starts reached it; start: the kind of the first start that did; ranks, layer_norms:
    per weight matrix, the numerical rank (singular values above 1e-8 of the largest, with the floor
    ``residual``) and the squared Frobenius norm; active_neurons: per hidden layer, neurons with non-zero weights;
    escape_directions: the tangent directions of positive curvature, steepest first (smooth σ: empty iff a local
    maximum; kinked σ: those of the smooth piece autograd differentiates, used as escape starts only).
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
    grad: torch.Tensor
    tau: float
    escape_directions: list[torch.Tensor] = field(default_factory=list, repr=False)

    @property
    def local_max(self) -> bool | None:
        """Second order (smooth σ): no tangent direction of positive curvature; None for kinked σ (not computed)."""
        return None if self.certificate == "Clarke" else not self.escape_directions

    def weights(self, net: FeedForward) -> list[torch.Tensor]:
        return net.split(self.u)


@dataclass
class KKTPoints:
    """What :func:`kkt_points` found: distinct certified points (best first) and how the starts fared.

    positive: starts that reached a positive value; polished: the polish attempts (one per group of
    starts that reached the same function, see :func:`kkt_points`); certified / rejected: of those.
    """

    points: list[KKTPoint]
    starts: dict[str, int]
    positive: int
    certified: int
    rejected: int
    polished: int = 0

    def summary(self) -> str:
        reached = ", ".join(f"{p.hits}×" for p in self.points)
        saddles = sum(p.local_max is False for p in self.points)
        second = f", {saddles} of them saddles" if any(p.local_max is not None for p in self.points) else ""
        return (f"{len(self.points)} distinct certified KKT points{second} (hits {reached or 'none'}) from "
                f"{sum(self.starts.values())} starts ({', '.join(f'{k} {v}' for k, v in self.starts.items())}); "
                f"{self.positive} reached a positive value; {self.polished} polished, {self.certified} certified, "
                f"{self.rejected} not certified")


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
    diversify: bool = True,
    max_points: int | None = None,
    group: float = 1e-3,
    escapes: bool = True,
    lifts: bool = True,
) -> KKTPoints:
    """Certified, deduplicated KKT points of max zᵀH(X; u) s.t. ‖u‖ = 1.

    Starts (from ``seed``): ``restarts`` uniform ones plus, with ``diversify``, sparse, symmetric and
    data-aligned ones (see :func:`_starts`); all ascend together (:func:`constrained_ncf_max`). The ends
    with positive value (every end, ``positive_only=False``) are grouped, best value first, by the function
    they compute on the data (outputs H(X; u) within ``group``, relative): starts that reach one point
    are counted as its hits and only the best of a group is polished onto an exact KKT point and
    certified (:func:`certify_kkt`, residual below ``tol``; when it fails, the group's next end is tried
    once; a group within ``group`` of a point already certified only adds to its hits). Certified
    points whose outputs agree to ``same`` (relative) are one point: the permutations
    of hidden neurons, and the continuum of parametrisations of one function (a neuron split into
    parallel copies), are not told apart. ``max_points``: stop after that many distinct certified
    points (the best by value). ``escapes``: every certified point with a tangent direction of positive
    curvature (:func:`ascent_directions`; for kinked σ, of the smooth piece autograd differentiates, so a
    heuristic there and not a second-order certificate) seeds more starts: for the ``ESCAPE_POINTS`` best
    such saddles, u ± 0.1·v along each of their ``ESCAPE_DIRECTIONS`` steepest such directions, ascended and
    certified the same way. ``lifts``
    (σ = max(x, αx), depth ≥ 3): the certified points of every net one hidden layer shallower are lifted
    onto this net (:func:`lift`, the identity-layer lifts behind s2s Prop. 3.2) and added as starts.
    z has shape (n,) for a scalar output or (n, m) for m outputs.

    A "for all KKT points" statement checked on these is checked on the points reached: report
    how many distinct points were found and how often each was reached (:meth:`KKTPoints.summary`).
    """
    dev = resolve_device(device)
    X = as_data(X, dtype=DTYPE, device=dev)
    z = as_targets(z, X.shape[0], net.widths[-1], dtype=DTYPE, device=dev)
    restarts = check_positive_int("restarts", restarts)
    generator = torch.Generator().manual_seed(seed)
    if diversify:
        init, kinds = _starts(net, X, restarts, generator)
    else:
        init, kinds = net.random_unit(restarts, generator, dev), ["uniform"] * restarts
    if lifts:
        lifted, lifted_kinds = _lifted_starts(net, X, z, restarts=restarts, steps=steps, seed=seed, device=dev)
        init, kinds = torch.cat([init, lifted]), kinds + lifted_kinds
    collected = _Collector(net, X, z, positive_only=positive_only, tol=tol, same=same, group=group, max_points=max_points)
    collected.add(constrained_ncf_max(net, X, z, init=init, steps=steps, device=dev, certify=False), kinds)
    if escapes:
        # a saddle of the constrained problem has an ascent direction of positive curvature on the sphere:
        # ascend again from u ± ε·v along its steepest ones (the points a uniform start passes by, edc §5.3)
        escape_starts, escape_kinds = [], []
        saddles = sorted((p for p in collected.points() if p.escape_directions), key=lambda p: -p.value)
        for n, point in enumerate(saddles[:ESCAPE_POINTS], start=1):
            for v in point.escape_directions[:ESCAPE_DIRECTIONS]:
                escape_starts += [point.u + ESCAPE_STEP * v, point.u - ESCAPE_STEP * v]
                escape_kinds += [f"escape from saddle {n}"] * 2
        if escape_starts:
            kinds += escape_kinds
            collected.add(constrained_ncf_max(net, X, z, init=torch.stack(escape_starts), steps=steps, device=dev,
                                              certify=False), escape_kinds)
    return collected.result(dict(Counter(kinds)))


ESCAPE_STEP = 0.1  # how far from a saddle, along a direction of positive curvature, an escape start lies
ESCAPE_DIRECTIONS = 2  # escape starts per saddle: u ± ε·v along this many steepest directions
ESCAPE_POINTS = 4  # saddles escaped from, the best by value


def lift(shallow: FeedForward, u: torch.Tensor, layer: int) -> tuple[FeedForward, torch.Tensor]:
    """Insert an identity hidden layer into a net with σ = max(x, αx) (p = 1), keeping its function.

    The new hidden layer sits at position ``layer`` (1 ≤ layer ≤ depth of ``shallow``; layer ℓ reads the
    output of layer ℓ − 1, the input for ℓ = 1) with width 2k, k the width it reads: since
    σ(h) − σ(−h) = (1 + α)h,

        W_ℓ = [I; −I],   W_{ℓ+1} = V_ℓ [I, −I]/(1 + α)

    give W_{ℓ+1}σ(W_ℓ h) = V_ℓ h. For ReLU reading a hidden layer (h ≥ 0 already) W_ℓ = I, W_{ℓ+1} = V_ℓ
    (width k). The layers are then rescaled to equal Frobenius norms (each layer is 1-homogeneous, so the
    function is unchanged) and the point normalised: the start lies on the unit sphere with value
    N(u)·(‖lifted‖)^{−L}, positive when N(u) is. Returns the deeper net (widths as small as the lift
    needs) and the lifted unit point.
    """
    sigma = shallow.activation
    if not _liftable(sigma):
        raise InputError(f"lift needs σ = max(x, αx) with α ≠ −1, got {sigma}")
    if not 1 <= layer <= shallow.depth:
        raise InputError(f"lift: layer must be in 1..{shallow.depth}, got {layer}")
    V = shallow.split(u)
    k = shallow.widths[layer - 1]
    eye = torch.eye(k, dtype=u.dtype, device=u.device)
    if _lifted_width(sigma, layer, k) == k:
        inserted, reader = eye, V[layer - 1]
    else:
        inserted = torch.cat([eye, -eye])
        reader = V[layer - 1] @ torch.cat([eye, -eye], dim=1) / (1 + sigma.alpha)
    Ws = V[: layer - 1] + [inserted, reader] + V[layer:]
    widths = shallow.widths[:layer] + (inserted.shape[0],) + shallow.widths[layer:]
    norms = torch.stack([W.norm() for W in Ws])
    balance = norms.log().mean().exp() / norms  # product 1: the function is unchanged
    deep = FeedForward(widths, sigma)
    v = deep.flatten([W * c for W, c in zip(Ws, balance)])
    return deep, v / v.norm()


def _liftable(sigma) -> bool:
    """σ = max(x, αx) with α ≠ −1: the identity σ(h) − σ(−h) = (1 + α)h that :func:`lift` uses holds."""
    return sigma.p == 1 and sigma.alpha != -1.0


def _lifted_width(sigma, layer: int, reads: int) -> int:
    """The width of the layer :func:`lift` inserts at ``layer``, reading ``reads`` neurons: ``reads`` for ReLU reading a
    hidden layer (its input is already ≥ 0, so W = I), else 2·``reads`` ([I; −I])."""
    return reads if sigma.alpha == 0.0 and layer > 1 else 2 * reads


def _embed(small: FeedForward, u: torch.Tensor, net: FeedForward) -> torch.Tensor:
    """A point of ``small`` as a point of ``net`` (same depth, widths at least as large): extra neurons zero."""
    Ws = [torch.zeros(shape, dtype=u.dtype, device=u.device) for shape in net.shapes]
    for W, V in zip(Ws, small.split(u)):
        W[: V.shape[0], : V.shape[1]] = V
    return net.flatten(Ws)


def _lifted_starts(net: FeedForward, X: torch.Tensor, z: torch.Tensor, *, restarts: int, steps: int, seed: int,
                   device: torch.device) -> tuple[torch.Tensor, list[str]]:
    """Starts lifted from the certified KKT points of every net one hidden layer shallower (see :func:`lift`).

    The shallower net drops hidden layer ℓ of ``net`` and keeps the other widths; its points (found by
    :func:`kkt_points` from a quarter of the restarts, uniform ones, lifts included, so a depth-L net also
    sees lifted depth-(L−2) points) are lifted back by an identity layer at ℓ wherever ``net``'s width ℓ holds it.
    Empty unless σ = max(x, αx) and depth ≥ 3 (a depth-1 net is linear and has one maximum).
    """
    sigma = net.activation
    starts: list[torch.Tensor] = []
    kinds: list[str] = []
    for layer in range(1, net.depth) if _liftable(sigma) and net.depth >= 3 else ():
        if net.widths[layer] < _lifted_width(sigma, layer, net.widths[layer - 1]):
            continue
        shallow = FeedForward(net.widths[:layer] + net.widths[layer + 1:], sigma)
        found = kkt_points(shallow, X, z, restarts=max(4, restarts // 4), steps=steps, seed=seed + layer, device=device,
                           diversify=False, escapes=False, max_points=LIFTED_POINTS)
        for point in found.points:
            deep, v = lift(shallow, point.u, layer)
            starts.append(_embed(deep, v, net))
            kinds.append(f"lift of a depth-{shallow.depth} point (identity layer {layer})")
    return (torch.stack(starts) if starts else torch.empty(0, net.n_params, dtype=DTYPE, device=device)), kinds


LIFTED_POINTS = 4  # certified points of each shallower net that are lifted


class _Collector:
    """kkt_points' bookkeeping: ends grouped by function, one polish per group, certified points deduplicated."""

    def __init__(self, net: FeedForward, X: torch.Tensor, z: torch.Tensor, *, positive_only: bool, tol: float, same: float,
                 group: float, max_points: int | None) -> None:
        self.net, self.X, self.z = net, X, z
        self.positive_only, self.tol, self.same, self.group, self.max_points = positive_only, tol, same, group, max_points
        self.found: list[tuple[torch.Tensor, KKTPoint]] = []
        self.positive = self.polished = self.certified = self.rejected = 0

    def _distance(self, a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a - b).norm()) / max(float(b.norm()), 1e-300)

    def add(self, ascent: NCFMaxResult, kinds: list[str]) -> None:
        net, X, z = self.net, self.X, self.z
        groups: list[tuple[torch.Tensor, list[int]]] = []  # ends (sorted best first) grouped by the function they compute
        for i in range(len(ascent.value)):
            if self.positive_only and float(ascent.value[i]) <= 0:
                continue
            self.positive += 1
            key = net(ascent.u[i], X).flatten()
            match = next((members for k, members in groups if self._distance(key, k) <= self.group), None)
            if match is not None:
                match.append(i)
            else:
                groups.append((key, [i]))
        for key, members in groups:
            if self.max_points is not None and len(self.found) >= self.max_points:
                break
            known = next((p for k, p in self.found if self._distance(key, k) <= self.group), None)
            if known is not None:  # a later batch (escapes) back at a point already certified: no second polish
                known.hits += len(members)
                continue
            cert = None
            for i in members[:2]:
                self.polished += 1
                cert = certify_kkt(net, ascent.u[i], X, z, max_residual=self.tol, positive=self.positive_only)
                if cert is not None:
                    break
                self.rejected += 1
            if cert is None:
                continue
            self.certified += 1
            key = net(cert.u, X).flatten()
            match = next((p for k, p in self.found if self._distance(key, k) <= self.same), None)
            if match is not None:
                match.hits += len(members)
                continue
            self.found.append((key, _point(net, X, z, cert, len(members), kinds[int(ascent.start[members[0]])])))

    def points(self) -> list[KKTPoint]:
        return [p for _, p in self.found]

    def result(self, starts: dict[str, int]) -> KKTPoints:
        kept = sorted(self.points(), key=lambda p: -p.value)
        return KKTPoints(kept, starts, self.positive, self.certified, self.rejected, self.polished)


def _point(net: FeedForward, X: torch.Tensor, z: torch.Tensor, cert: Certificate, hits: int, start: str) -> KKTPoint:
    """A certified point with its summaries and, for smooth σ, its directions of positive curvature on the sphere."""
    Ws = net.split(cert.u)
    ranks = []
    for W in Ws:
        sv = torch.linalg.svdvals(W)
        ranks.append(int((sv > max(1e-8 * float(sv[0]), 10 * cert.residual)).sum()) if float(sv[0]) > 0 else 0)
    active = tuple(int(((Ws[l].norm(dim=1) > 1e-8) | (Ws[l + 1].norm(dim=0) > 1e-8)).sum()) for l in range(net.depth - 1))
    directions = ascent_directions(net, cert.u, X, z, cert.lam)
    return KKTPoint(cert.u, float(ncf(net, cert.u, X, z)), cert.lam, cert.residual, "Clarke" if net.activation.kinked else "smooth",
                    hits, start, tuple(ranks), tuple(float(W.square().sum()) for W in Ws), active, cert.grad, cert.tau,
                    directions)


def ascent_directions(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor, lam: float,
                      relative: float = 1e-8) -> list[torch.Tensor]:
    """Unit tangent directions of positive curvature of the constrained NCF at a KKT point u (smooth σ).

    The Riemannian Hessian of N on the unit sphere at a KKT point is P(∇²N(u) − λI)P with P = I − uuᵀ; u is a
    second-order local maximum iff it is negative semi-definite on the tangent space. Its eigenvectors with
    eigenvalue above ``relative``·|λ| are returned, largest eigenvalue first (empty: u is a local maximum to
    that precision). For kinked σ autograd differentiates the smooth piece at u (σ″ = 0 off the kink).
    """
    hessian = torch.autograd.functional.hessian(lambda w: ncf(net, w, X, z), u, vectorize=True)
    P = torch.eye(len(u), dtype=u.dtype, device=u.device) - torch.outer(u, u)
    values, vectors = torch.linalg.eigh(P @ (hessian - lam * torch.eye(len(u), dtype=u.dtype, device=u.device)) @ P)
    return [vectors[:, i] for i in reversed(range(len(values))) if float(values[i]) > relative * abs(lam)]


