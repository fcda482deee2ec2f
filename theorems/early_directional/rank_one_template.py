"""The rank-one template of edc Theorems 3 and 4: the statement's formulas, the construction of W̄, its KKT certificates.

Network (edc eq. 9) H(x; W_1..W_L) = W_L σ(W_{L-1} ⋯ σ(W_1 x)), σ(x) = max(x, αx)^p, scalar output;
constrained NCF (eq. 10): max N(W) = yᵀH(X; W) s.t. Σ_l ‖W_l‖²_F = 1; p̂ = p^{L-1} + ⋯ + p + 1.
Template: W̄ = (a_1b_1ᵀ, …, a_{L-1}b_{L-1}ᵀ, w̄ᵀ) with ‖a_l‖ = ‖b_l‖ for l ∈ [L-1].

The formulas the theorems prescribe are the fields of :class:`RankOneForm` (a frozen dataclass): a
mutant of theorem3.py / theorem4.py is the statement with one field replaced.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from theorems.early_directional.reduced_problem import ReducedKKT
from verify.activations import Activation
from verify.clarke import stationarity
from verify.errors import InputError
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, FeedForward, homogeneity_degree
from verify.sphere import kkt_residual


@dataclass(frozen=True)
class RankOneForm:
    """The formulas of Theorems 3/4 that define (sufficiency) or constrain (necessity) W̄.

    Each is a function of the depth L, the power p and p̂ = ``phat(L, p)``.
    """

    phat: Callable[[int, int], float] = homogeneity_degree
    a_norm4: Callable[[int, int, int, float], float] = lambda L, p, l, ph: p ** (L - l) / ph  # N1: ‖a_l‖⁴
    wbar_norm_sq: Callable[[int, int, float], float] = lambda L, p, ph: 1 / ph  # N2: ‖w̄‖²
    inner_alignment: Callable[[int], float] = lambda p: p**0.25  # A1: b_l = a_{l-1}/p^{1/4}
    last_alignment: Callable[[int, int, float], float] = lambda L, p, ph: (p * ph) ** 0.25  # A2: w̄ = q a_{L-1}/(p p̂)^{1/4}
    radius_sq: Callable[[int, int, float], float] = lambda L, p, ph: math.sqrt(p ** (L - 1) / ph)  # R: ‖b_1‖²
    equal_entries: bool = True  # E (p >= 2)
    absolute_for_even_p: bool = True  # (ii), p even: |a_{l-1}| in the alignments
    nonnegative: bool = True  # (i): a_l, b_2..b_{L-1} >= 0

    def reduced_radius(self, L: int, p: int) -> float:
        return math.sqrt(self.radius_sq(L, p, self.phat(L, p)))

    def a_norm(self, L: int, p: int, l: int) -> float:
        return self.a_norm4(L, p, l, self.phat(L, p)) ** 0.25

    def uses_absolute(self, activation: Activation) -> bool:
        return activation.alpha == 1.0 and activation.p % 2 == 0 and self.absolute_for_even_p


THEOREM = RankOneForm()


@dataclass
class RankOneFactors:
    """a_1..a_{L-1} (a_l ∈ R^{k_l}), b_1..b_{L-1} (b_l ∈ R^{k_{l-1}}) and w̄ ∈ R^{k_{L-1}}."""

    a: list[torch.Tensor]
    b: list[torch.Tensor]
    wbar: torch.Tensor


def _as_vector(name: str, v, length: int) -> torch.Tensor:
    try:
        t = torch.as_tensor(np.asarray(v, dtype=np.float64) if not torch.is_tensor(v) else v).to(DTYPE)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric vector: {exc}") from None
    if tuple(t.shape) != (length,):
        raise InputError(f"{name} has shape {tuple(t.shape)}, the network needs ({length},)")
    if not torch.isfinite(t).all():
        raise InputError(f"{name} contains NaN or inf")
    return t


def rank_one_point(net: FeedForward, factors: RankOneFactors, *, rtol: float = 1e-9) -> torch.Tensor:
    """The flat parameters of W̄ = (a_1b_1ᵀ, …, a_{L-1}b_{L-1}ᵀ, w̄ᵀ) for ``net``.

    Rejects (InputError, one line) anything that is not the balanced rank-one template of edc
    Theorems 3/4: a vector-output network, the wrong number or shapes of factors, NaN/inf, a zero
    factor, or unbalanced factors (‖a_l‖ ≠ ‖b_l‖ beyond ``rtol``).
    """
    L, widths = net.depth, net.widths
    if widths[-1] != 1:
        raise InputError(f"the rank-one template needs a scalar-output network, got output width {widths[-1]}")
    if len(factors.a) != L - 1 or len(factors.b) != L - 1:
        raise InputError(f"a depth-{L} network needs {L - 1} vectors a_l and b_l, got {len(factors.a)} and {len(factors.b)}")
    a = [_as_vector(f"a_{l}", v, widths[l]) for l, v in enumerate(factors.a, start=1)]
    b = [_as_vector(f"b_{l}", v, widths[l - 1]) for l, v in enumerate(factors.b, start=1)]
    wbar = _as_vector("w̄", factors.wbar, widths[L - 1])
    for l, (al, bl) in enumerate(zip(a, b), start=1):
        na, nb = float(al.norm()), float(bl.norm())
        if na == 0 or nb == 0:
            raise InputError(f"a_{l} or b_{l} is zero: W̄_{l} = 0 makes the network output zero")
        if abs(na - nb) > rtol * max(na, nb):
            raise InputError(f"factors are not balanced: ‖a_{l}‖ = {na:.6g} but ‖b_{l}‖ = {nb:.6g} (the template needs ‖a_l‖ = ‖b_l‖)")
    return net.flatten([torch.outer(al, bl) for al, bl in zip(a, b)] + [wbar.reshape(1, -1)])


def theorem_factors(
    net: FeedForward, b1: torch.Tensor, directions: list[torch.Tensor], signs: list[float], form: RankOneForm = THEOREM
) -> RankOneFactors:
    """The factors that edc Theorem 3 (p = 1) / Theorem 4 (p >= 2) prescribe.

    b1: a KKT point of the reduced problem (on its sphere); directions: the directions of
    a_1..a_{L-1} (any non-zero vectors; Theorem 4 needs identical non-zero |entries|, (i) needs
    them >= 0); signs: q_2..q_L ∈ {±1} (q_2..q_{L-1} must be +1 when α ≠ 1). Then
        a_l = ‖a_l‖·direction_l with ‖a_l‖⁴ = p^{L-l}/p̂,
        b_l = q_l·T(a_{l-1})/p^{1/4} (2 <= l <= L-1),   w̄ = q_L·T(a_{L-1})/(p p̂)^{1/4},
    with T = |·| for α = 1 and even p, the identity otherwise.
    """
    L, act = net.depth, net.activation
    p = act.p
    if len(directions) != L - 1 or len(signs) != L - 1:
        raise InputError(f"a depth-{L} network needs {L - 1} directions and {L - 1} signs q_2..q_L, got {len(directions)} and {len(signs)}")
    if any(q not in (-1, 1) for q in signs):
        raise InputError(f"the signs q_l must be ±1, got {list(signs)}")
    if act.alpha != 1.0 and any(q != 1 for q in signs[:-1]):
        raise InputError("for α ≠ 1 the theorems fix b_l = a_{l-1}/p^{1/4}: the inner signs q_2..q_{L-1} must be +1")
    dirs = [_as_vector(f"direction of a_{l}", v, net.widths[l]) for l, v in enumerate(directions, start=1)]
    if any(float(v.norm()) == 0 for v in dirs):
        raise InputError("the directions of the a_l must be non-zero")
    a = [form.a_norm(L, p, l) * v / v.norm() for l, v in enumerate(dirs, start=1)]
    T = torch.abs if form.uses_absolute(act) else (lambda v: v)
    b = [b1.to(DTYPE)] + [q * T(a[l - 2]) / form.inner_alignment(p) for l, q in zip(range(2, L), signs[:-1])]
    wbar = signs[-1] * T(a[L - 2]) / form.last_alignment(L, p, form.phat(L, p))
    return RankOneFactors(a, b, wbar)


def draw_directions(net: FeedForward, rng: np.random.Generator, *, equal_entries: bool, nonnegative: bool) -> list[np.ndarray]:
    """Random directions for a_1..a_{L-1}: random non-empty supports (zeros allowed), entries of
    equal or random magnitude, non-negative or with random signs (at least one negative entry)."""
    out = []
    for k in net.widths[1:-1]:
        support = rng.random(k) < 0.7
        support[rng.integers(k)] = True
        magnitude = np.ones(k) if equal_entries else rng.uniform(0.2, 2.0, k)
        out.append(np.where(support, magnitude, 0.0))
    if not equal_entries and sum(int((v > 0).sum()) for v in out) == len(out):
        # every layer has a single non-zero entry: make one layer's entries unequal
        l = int(np.argmax(net.widths[1:-1]))
        out[l][:] = rng.uniform(0.2, 2.0, len(out[l]))
    if not nonnegative:
        signs = [rng.choice([-1.0, 1.0], len(v)) for v in out]
        first = np.flatnonzero(out[0])[0]
        signs[0][first] = -1.0
        out = [s * v for s, v in zip(signs, out)]
    return out


@dataclass
class Certificate:
    """KKT certificate of a unit point u of (10): N(u), λ = ⟨g, u⟩ and ‖g − λu‖/‖g‖ for the best
    (Clarke) subgradient g found, and the same residual for autograd's gradient."""

    value: float
    lam: float
    residual: float
    autograd_residual: float


def kkt_certificate(net: FeedForward, u: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> Certificate:
    """Certify a point of the constrained NCF (10): the engine's Clarke certificate for kinked σ
    (:func:`verify.clarke.stationarity`), the autograd residual otherwise (both reported)."""
    u = u / u.norm()
    value, grad = ncf_and_grad(net, u, X, y)
    st = stationarity(net, u, X, y)
    return Certificate(float(value), st.lam, st.residual, float(kkt_residual(u, grad)))


def explicit_subgradient_residual(
    net: FeedForward, u: torch.Tensor, X: torch.Tensor, y: torch.Tensor, b1: ReducedKKT
) -> tuple[float, float]:
    """(KKT residual, λ = ⟨g, u⟩) of W̄ (unit u, built from the face-certified b_1) for one explicit
    chain-rule subgradient g.

    The subgradient of the proof of Theorem 3: every pre-activation off a kink gets the slope of
    its side (the activation's own :meth:`~verify.activations.Activation.slope`); sample i with
    x_iᵀb_1 = 0 has h_l[i,:] = 0 in every layer, and gets per-layer slopes whose product is the
    reduced slope t_i of the face certificate (t^{1/(L-1)} in each layer for t >= 0; t in layer 1
    and 1 above for t < 0, possible only when α < 0); any other kink (a dead neuron, or a zero input
    to a ReLU layer) multiplies zero and gets the slope min(1, α). With these slopes N is
    multilinear in the weights, and its autograd gradient is the chain-rule subgradient. The
    engine's search over slopes (:func:`verify.clarke.stationarity`) linearises a multilinear
    problem and can miss these products, so both certificates are computed.
    """
    lo, _ = net.activation.slopes
    L = net.depth
    on_face = torch.zeros(X.shape[0], dtype=torch.bool)
    t = torch.zeros(X.shape[0], dtype=DTYPE)
    if b1.face is not None and len(b1.face.kinks):
        on_face[torch.as_tensor(b1.face.kinks)] = True
        t[torch.as_tensor(b1.face.kinks)] = torch.as_tensor(b1.face.kink_slopes, dtype=DTYPE)
    root = t.clamp_min(0) ** (1 / (L - 1))
    face_slopes = [torch.where(t >= 0, root, t if l == 0 else torch.ones_like(t)) for l in range(L - 1)]
    Ws = net.split(u)
    hs = net.preactivations(u, X)[:-1]
    phis = [X] + [net.activation(h) for h in hs]
    slopes = []
    for l, h in enumerate(hs):
        # a kink: |h| at rounding level of the layer's scale ‖W_l‖·max_i ‖φ_{l-1}(x_i)‖
        kink = h.abs() <= 1e-12 * Ws[l].norm() * phis[l].norm(dim=-1).max()
        free = torch.where(on_face.unsqueeze(-1), face_slopes[l].unsqueeze(-1).expand_as(h), torch.full_like(h, lo))
        slopes.append(torch.where(kink, free, net.activation.slope(h)))

    def multilinear_ncf(w: torch.Tensor) -> torch.Tensor:
        a, layers = X, net.split(w)
        for W, S in zip(layers[:-1], slopes):
            a = S * (a @ W.transpose(-1, -2))
        return ((a @ layers[-1].transpose(-1, -2)).squeeze(-1) * y).sum()

    g = torch.func.grad(multilinear_ncf)(u)
    return float(kkt_residual(u, g)), float(g @ u)
