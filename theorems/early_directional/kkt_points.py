"""KKT points of the constrained NCF (edc eq. 10) found by ascent, the rank-one measures κ and ρ (edc §5.3), and
the necessary conditions of Theorems 3/4 measured at such a point.

Shared by theorem3.py / theorem4.py (necessity) and the experiments ``edc.tables1_2`` and ``edc.fig3``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from theorems.early_directional.rank_one_template import THEOREM, RankOneForm
from theorems.early_directional.reduced_problem import reduced_kkt_violation
from verify.clarke import polish_kkt
from verify.kkt import constrained_ncf_max
from verify.ncf import ncf_and_grad
from verify.nets import EPS, FeedForward
from verify.sphere import kkt_residual, scheduled_ascent, step_schedule


def kappa(mats: list[torch.Tensor]) -> float:
    """κ(Z_1..Z_m) = max_i (1 − ‖Z_i‖₂/‖Z_i‖_F): 0 iff every Z_i has rank one (edc §5.3)."""
    return max(float(1 - torch.linalg.matrix_norm(Z, 2) / torch.linalg.matrix_norm(Z)) for Z in mats)


def rho(mats: list[torch.Tensor]) -> float:
    """ρ(Z_1..Z_m) = max_i ‖max(0, −Z_i)‖_F/‖Z_i‖_F: 0 iff every Z_i is entrywise >= 0 (edc §5.3)."""
    return max(float((-Z).clamp_min(0).norm() / Z.norm()) for Z in mats)


@dataclass
class BalancedFactors:
    """W_l ≈ a_l b_lᵀ from the top singular triplet, ‖a_l‖ = ‖b_l‖ = √σ₁, signed so that Σ a_l >= 0;
    rank_error = ‖W_l − a_lb_lᵀ‖_F/‖W_l‖_F (0 iff rank one)."""

    a: torch.Tensor
    b: torch.Tensor
    rank_error: float


def balanced_factors(W: torch.Tensor) -> BalancedFactors:
    U, S, Vh = torch.linalg.svd(W)
    a, b = S[0].sqrt() * U[:, 0], S[0].sqrt() * Vh[0]
    if float(a.sum()) < 0:  # (a, b) → (−a, −b) leaves abᵀ unchanged; the paper leaves the sign open (spec §4.3)
        a, b = -a, -b
    return BalancedFactors(a, b, float(S[1:].norm() / S.norm()))


def table_measures(net: FeedForward, u: torch.Tensor) -> tuple[float, float]:
    """(κ(W̄_1..W̄_{L-1}), ρ(a_1, a_2b_2ᵀ, …, a_{L-1}b_{L-1}ᵀ)): the quantities of edc Tables 1 and 2."""
    hidden = net.split(u)[:-1]
    factors = [balanced_factors(W) for W in hidden]
    return kappa(hidden), rho([factors[0].a.reshape(-1, 1)] + [torch.outer(f.a, f.b) for f in factors[1:]])


def ncf_ascent(
    net: FeedForward, X: torch.Tensor, y: torch.Tensor, u0: torch.Tensor, *, steps: int, final_step_size: float,
    step_size: float = 0.1, hold: int = 0,
) -> torch.Tensor:
    """Projected normalised-gradient ascent on the NCF N(u) = yᵀH(X; u) on the unit sphere, batched over the rows of u0.

    The engine's :func:`verify.sphere.scheduled_ascent` with :func:`verify.sphere.step_schedule`: the step
    ``step_size`` for ``hold`` steps, then decaying geometrically to ``final_step_size`` at the last step
    (a fixed step moves along the ridges of a kinked NCF, edc Remark 2; the decay brings the chattering
    down). X, y may carry a batch dimension (B, n, d), (B, n, 1). Returns the last iterates.
    """
    etas = step_schedule(steps, step_size, final_step_size=final_step_size, hold=hold)
    return scheduled_ascent(lambda u: ncf_and_grad(net, u, X, y), u0, etas, normalise_gradient=True).u


@dataclass
class FoundKKT:
    """A positive-valued point of (10) returned by an ascent, after polishing; ``residual`` is the
    residual of its certificate, ``certified`` whether it is a KKT point to rounding precision,
    ``restart`` the index of the random start it was reached from."""

    u: torch.Tensor
    value: float
    residual: float
    certified: bool
    restart: int = -1


CERTIFIED = 1e-10  # a point whose certified KKT residual is below this is treated as a KKT point


def find_kkt_points(net: FeedForward, X: torch.Tensor, y: torch.Tensor, *, restarts: int, seed: int, keep: int = 3) -> list[FoundKKT]:
    """Positive KKT points of (10) from ``restarts`` random starts (the ``keep`` best distinct ones).

    Smooth σ: the engine's batched maximiser :func:`verify.kkt.constrained_ncf_max`, which
    usually converges to rounding level (autograd residuals); an end point above ``CERTIFIED`` is
    polished by the engine's :func:`verify.clarke.polish_kkt` (Newton). Kinked σ (p = 1, α ≠ 1): the
    engine's monotone line search stalls on ridges, so the ascent is :func:`ncf_ascent` with a
    decaying fixed step (edc Remark 2), and every end point is polished by polish_kkt (active set).
    A point is certified when its residual (exact slopes for kinked σ) is at most ``CERTIFIED``.
    """
    if not net.activation.kinked:
        res = constrained_ncf_max(net, X, y, restarts=restarts, steps=3000, tol=1e-14, seed=seed, certify=False)
        ends, values, residuals = res.u, res.value, res.kkt_residual
    else:
        u0 = net.random_unit(restarts, torch.Generator().manual_seed(seed), X.device)
        ends = ncf_ascent(net, X, y, u0, steps=1500, final_step_size=1e-6)
        values, grads = ncf_and_grad(net, ends, X, y)
        residuals = kkt_residual(ends, grads)
    distinct: list[int] = []
    for i in torch.argsort(values, descending=True).tolist():
        if float(values[i]) > 0 and all(float((ends[i] - ends[j]).norm()) > 1e-4 for j in distinct):
            distinct.append(i)
    found = []
    for i in distinct[:keep]:
        if float(residuals[i]) <= CERTIFIED and not net.activation.kinked:
            found.append(FoundKKT(ends[i], float(values[i]), float(residuals[i]), True, i))
            continue
        pol = polish_kkt(net, ends[i], X, y, taus=(1e-4, 1e-3), iters=20)
        found.append(FoundKKT(pol.u, pol.lam / net.degree, pol.residual, pol.ok and pol.residual <= CERTIFIED, i))
    return found


@dataclass
class NecessityCheck:
    """The necessary conditions of Theorem 3/4 at one certified KKT point W̄.

    kappa, rho: the Table 1/2 measures; rank_one: rank error at most ``APPLIES``;
    rank_one_nonnegative: the theorem applies (rank one and, for α ≠ 1, ρ at most ``APPLIES``);
    violations: condition → normalised violation (empty when the theorem does not apply); floor:
    what the point's numerics allow, the sum of its certified KKT residual, its rank-one error and
    (α ≠ 1) its negative part ρ, plus 100ε.
    """

    kappa: float
    rho: float
    rank_one: bool
    rank_one_nonnegative: bool
    violations: dict[str, float] = field(default_factory=dict)
    floor: float = 0.0


APPLIES = 1e-6  # rank error ‖W_l − a_lb_lᵀ‖_F/‖W_l‖_F and ρ below this: numerically rank one and non-negative


def necessary_conditions(
    net: FeedForward, point: FoundKKT, X: torch.Tensor, y: torch.Tensor, form: RankOneForm = THEOREM
) -> NecessityCheck:
    """Classify a certified KKT point and, if it is rank one with non-negative factors, measure
    every necessary condition N1, N2, A1, A2, E (p >= 2) and R of the theorem (theorem3.py, theorem4.py).

    Conditions are relative errors: N1 |‖a_l‖⁴ − p^{L-l}/p̂|/(p^{L-l}/p̂), N2 likewise, A1/A2
    ‖b_l − q_l T(a_{l-1})/p^{1/4}‖/‖b_l‖ and ‖w̄ − q T(a_{L-1})/(p p̂)^{1/4}‖/‖w̄‖ with q_l ∈ {±1} the
    best sign (fixed to +1 in A1 when α ≠ 1), E (max − min)/max of |a_l| over entries above
    1e3·floor·‖a_l‖, and R: |‖b_1‖² − r²|/r² and the KKT violation of b_1 for the reduced problem
    (:func:`.reduced_problem.reduced_kkt_violation`).
    """
    act, L = net.activation, net.depth
    p, ph = act.p, form.phat(net.depth, act.p)
    Ws = net.split(point.u)
    factors = [balanced_factors(W) for W in Ws[:-1]]
    a, b, wbar = [f.a for f in factors], [f.b for f in factors], Ws[-1][0]
    k, r = table_measures(net, point.u)
    rank_error = max(f.rank_error for f in factors)
    negative = r if act.alpha != 1.0 else 0.0
    rank_one = rank_error <= APPLIES
    applies = rank_one and negative <= APPLIES
    floor = point.residual + rank_error + negative + 100 * EPS
    check = NecessityCheck(k, r, rank_one, applies, floor=floor)
    if not applies:
        return check
    v = check.violations
    for l in range(1, L):
        target = form.a_norm4(L, p, l, ph)
        v[f"N1 ‖a_{l}‖⁴"] = abs(float(a[l - 1].norm()) ** 4 - target) / target
    target = form.wbar_norm_sq(L, p, ph)
    v["N2 ‖w̄‖²"] = abs(float(wbar.norm()) ** 2 - target) / target
    T = torch.abs if form.uses_absolute(act) else (lambda t: t)

    def aligned(vec: torch.Tensor, to: torch.Tensor, signed: bool) -> float:
        q = 1.0 if not signed or float(vec @ to) >= 0 else -1.0
        return float((vec - q * to).norm() / vec.norm())

    for l in range(2, L):
        v[f"A1 b_{l}"] = aligned(b[l - 1], T(a[l - 2]) / form.inner_alignment(p), signed=act.alpha == 1.0)
    v["A2 w̄"] = aligned(wbar, T(a[L - 2]) / form.last_alignment(L, p, ph), signed=True)
    if p >= 2 and form.equal_entries:
        for l, al in enumerate(a, start=1):
            mags = al.abs()[al.abs() > 1e3 * floor * al.norm()]
            v[f"E a_{l}"] = float((mags.max() - mags.min()) / mags.max())
    radius_sq = form.radius_sq(L, p, ph)
    v["R ‖b_1‖²"] = abs(float(b[0].norm()) ** 2 - radius_sq) / radius_sq
    v["R b_1 KKT"] = reduced_kkt_violation(act, L, X, y, b[0])
    return check
