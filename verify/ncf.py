"""Neural correlation function (NCF), its constrained maximisation, KKT and Clarke residuals.

    N_{z,H}(u) = zᵀH(X; u)               (np eq. 4, edc §1.4; <Z, H> for vector outputs)
    max N_{z,H}(u)  s.t.  ‖u‖² = Σ_l ‖W_l‖²_F = 1     (np eq. 5/7, edc eq. 10)

A unit u is a KKT point iff ∇N(u) = λu, and then λ = p̂·N(u) (edc Lemma 11, Euler).
We report the KKT residual ‖(I − uuᵀ)∇N(u)‖ / ‖∇N(u)‖.

For σ with a kink (p = 1, α ≠ 1) autograd returns one Clarke subgradient, whose residual
stays at 1e-2…1e-1 even at a true KKT point, because projected ascent chatters across the
kink. :func:`stationarity` therefore measures stationarity over the subgradient choices at
the kinks (DESIGN.md): with K = {(i, l, j): |h_l[i, j]| <= τ·‖W_l‖_F·‖φ_{l-1}(x_i)‖} it
minimises ‖g(s) − λu‖ over slopes s ∈ [min(1,α), max(1,α)]^K and λ (cvxpy), where g(s) is
the chain-rule gradient with those slopes. g is multi-affine in s, so the convex problem is
solved on its linearisation and re-linearised a few times; the residual reported is always
the exact one at the returned s. The chain-rule set contains the Clarke subdifferential
(edc Lemma 15), so this is the conservative-field notion of stationarity DESIGN.md asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import torch

from verify.errors import InputError, as_data, as_targets, check_positive, check_positive_int
from verify.nets import DTYPE, FeedForward, resolve_device


def ncf(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """N_{z,H}(u) = Σ_i z_iᵀ H(x_i; u) for parameters u of shape (*B, n_params); returns (*B,).

    z has shape (n, m), or (n,) for scalar outputs.
    """
    return (_as_column(z) * net(u, X)).sum(dim=(-2, -1))


def _as_column(z: torch.Tensor) -> torch.Tensor:
    # a 1-D z would broadcast against the (n, 1) output into an (n, n) matrix
    return z.reshape(-1, 1) if z.ndim == 1 else z


def ncf_and_grad(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N(u), ∇N(u)) for a batch of parameter vectors, in one autograd pass."""
    with torch.enable_grad():
        u = u.detach().requires_grad_(True)
        value = ncf(net, u, X, z)
        (grad,) = torch.autograd.grad(value.sum(), u)
    return value.detach(), grad


def kkt_residual(u: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """‖(I − ũũᵀ)g‖ / ‖g‖ with ũ = u/‖u‖ (0 when g = 0: then u is a zero KKT point, λ = 0)."""
    uh = u / u.norm(dim=-1, keepdim=True)
    tangential = grad - (grad * uh).sum(-1, keepdim=True) * uh
    gn = grad.norm(dim=-1)
    return torch.where(gn > 0, tangential.norm(dim=-1) / gn.clamp_min(torch.finfo(grad.dtype).tiny), torch.zeros_like(gn))


@dataclass
class Stationarity:
    """A (sub)gradient g of N at unit u, chosen to be as close to a multiple of u as possible.

    residual = ‖g − λu‖/‖g‖ with λ = ⟨g, u⟩; ``n_kinks`` pre-activations were treated as
    kinks at threshold ``tau`` (0 for smooth activations, where g = ∇N).
    """

    grad: torch.Tensor
    lam: float
    residual: float
    n_kinks: int = 0
    tau: float = 0.0
    method: str = "autograd"


def _kink_masks(net: FeedForward, u: torch.Tensor, X: torch.Tensor, tau: float) -> tuple[list, list]:
    """Pre-activations h_1..h_{L-1} and the kink masks |h_l[i,j]| <= τ·‖W_l‖_F·‖φ_{l-1}(x_i)‖."""
    Ws = net.split(u)
    hs = net.preactivations(u, X)[:-1]
    phis = [X] + [net.activation(h) for h in hs]
    # measured against the layer's scale, so that a neuron whose weights vanish has all its
    # pre-activations at the kink
    masks = [h.abs() <= tau * phis[l].norm(dim=-1, keepdim=True) * Ws[l].norm() for l, h in enumerate(hs)]
    return hs, masks


def _chain_rule_grad(net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor):
    """Pieces of ∇N for p = 1 with the activation slopes as free inputs.

    Returns (grad_of_slopes, default_slopes): grad_of_slopes(slopes) is the
    chain-rule gradient Σ_i e_i^l φ_{l-1,i}ᵀ of edc Lemma 16 with diag(σ'(h_l)) replaced by
    the given slopes (list of (n, k_l) tensors, l = 1..L-1).
    """
    Ws = net.split(u)
    hs = net.preactivations(u, X)[:-1]
    phis = [X] + [net.activation(h) for h in hs]
    lo, hi = net.activation.slopes
    zc = _as_column(z)

    def grad_of_slopes(slopes: list[torch.Tensor]) -> torch.Tensor:
        delta = zc
        grads = [None] * net.depth
        for l in range(net.depth, 0, -1):
            grads[l - 1] = delta.transpose(-1, -2) @ phis[l - 1]
            if l > 1:
                delta = (delta @ Ws[l - 1]) * slopes[l - 2]
        return net.flatten(grads)

    default = [torch.full_like(h, lo).masked_fill(h > 0, hi) for h in hs]
    return grad_of_slopes, default


def stationarity(
    net: FeedForward, u: torch.Tensor, X: torch.Tensor, z: torch.Tensor, *, tau: float = 1e-6, relinearise: int = 4
) -> Stationarity:
    """Best (Clarke/chain-rule) subgradient at unit u: see the module docstring.

    For smooth activations this is just ∇N(u) with its KKT residual.
    """
    u = u.detach()
    if not net.activation.kinked:
        _, g = ncf_and_grad(net, u, X, z)
        lam = float(g @ u)
        return Stationarity(g, lam, float(kkt_residual(u, g)), method="autograd")

    grad_of_slopes, slopes = _chain_rule_grad(net, u, X, z)
    _, masks = _kink_masks(net, u, X, tau)
    n_kinks = int(sum(int(m.sum()) for m in masks))
    if n_kinks == 0:
        g = grad_of_slopes(slopes)
        return Stationarity(g, float(g @ u), float(kkt_residual(u, g)), 0, tau, "chain rule, no kinks")

    lo, hi = net.activation.slopes

    def with_kinks(s: torch.Tensor) -> list[torch.Tensor]:
        out, at = [], 0
        for d, m in zip(slopes, masks):
            k = int(m.sum())
            d = d.clone()
            d[m] = s[at : at + k]
            out.append(d)
            at += k
        return out

    def g_of(s: torch.Tensor) -> torch.Tensor:
        return grad_of_slopes(with_kinks(s))

    s = torch.full((n_kinks,), 0.5 * (lo + hi), dtype=u.dtype, device=u.device)
    best_s, best_res = s, float(kkt_residual(u, g_of(s)))
    for _ in range(relinearise):
        g0 = g_of(s)
        J = torch.func.jacfwd(g_of)(s)  # (n_params, n_kinks); exact where g is affine in s
        scale = float(g0.norm()) or 1.0
        s_new = _closest_multiple_of_u(
            (g0 / scale).cpu().numpy(), (J / scale).cpu().numpy(), s.cpu().numpy(), u.cpu().numpy(), lo, hi
        )
        s = torch.as_tensor(s_new, dtype=u.dtype, device=u.device)
        res = float(kkt_residual(u, g_of(s)))
        if res < best_res:
            best_s, best_res = s, res
        if best_res < 1e-14:
            break
    g = g_of(best_s)
    return Stationarity(g, float(g @ u), best_res, n_kinks, tau, "Clarke (cvxpy)")


def _closest_multiple_of_u(g0, J, s0, u, lo, hi) -> np.ndarray:
    """argmin_{s ∈ [lo, hi]^K} min_λ ‖g0 + J(s − s0) − λu‖ (cvxpy), then an active-set polish.

    The polish re-solves the equality-constrained least squares on the free coordinates in
    float64 (the conic solver stops at ~1e-8), keeping it only if it stays feasible.
    """
    s = cp.Variable(len(s0))
    lam = cp.Variable()
    objective = cp.Minimize(cp.sum_squares(g0 + J @ (s - s0) - lam * u))
    problem = cp.Problem(objective, [s >= lo, s <= hi])
    try:
        problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:
        problem.solve(solver=cp.SCS, eps=1e-10)
    if s.value is None:
        return s0
    sv = np.clip(s.value, lo, hi)
    span = hi - lo
    free = (sv > lo + 1e-7 * span) & (sv < hi - 1e-7 * span)
    fixed = ~free
    # least squares in (s_free, λ): J_free s_free − λu = −(g0 + J_fixed s_fixed − J s0)
    rhs = -(g0 + J[:, fixed] @ sv[fixed] - J @ s0)
    A = np.concatenate([J[:, free], -u[:, None]], axis=1)
    sol, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    polished = sv.copy()
    polished[free] = sol[:-1]
    if np.all(polished >= lo - 1e-12) and np.all(polished <= hi + 1e-12):
        return np.clip(polished, lo, hi)
    return sv


def _certify_slopes(net, w, X, z, masks, frozen, s) -> Stationarity | None:
    """Stationarity of w for the explicit slopes (frozen off K, s on K), if they are admissible.

    Admissible: s in the Clarke box, and every pre-activation off K either keeps the side its
    frozen slope belongs to or sits at a kink of w (|h| <= 1e-9 of the layer scale).
    """
    lo, hi = net.activation.slopes
    if n := len(s):
        if float(s.min()) < lo - 1e-9 or float(s.max()) > hi + 1e-9 or n != sum(int(m.sum()) for m in masks):
            return None
    hs, at_kink = _kink_masks(net, w, X, 1e-9)
    slopes, at = [], 0
    for h, m, f, kink in zip(hs, masks, frozen, at_kink):
        wrong_side = ((h > 0) & (f != hi)) | ((h < 0) & (f != lo))
        if bool((wrong_side & ~m & ~kink).any()):
            return None
        f = f.clone()
        f[m] = s[at : at + int(m.sum())].clamp(lo, hi)
        at += int(m.sum())
        slopes.append(f)
    grad_of_slopes, _ = _chain_rule_grad(net, w, X, z)
    g = grad_of_slopes(slopes)
    return Stationarity(g, float(g @ w), float(kkt_residual(w, g)), int(sum(int(m.sum()) for m in masks)), 1e-9, "active-set polish")


@dataclass
class Polish:
    """Outcome of :func:`polish_kkt`: the polished unit point, its KKT multiplier and residual."""

    u: torch.Tensor
    lam: float
    residual: float
    ok: bool
    n_kinks: int = 0
    tau: float = 0.0
    iterations: int = 0


def polish_kkt(
    net: FeedForward,
    u: torch.Tensor,
    X: torch.Tensor,
    z: torch.Tensor,
    *,
    taus: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2),
    iters: int = 60,
) -> Polish:
    """Active-set polish of an approximate KKT point of the constrained NCF (Gauss–Newton).

    Solves  g(u, s) − λu = 0,  h_K(u) = 0,  ‖u‖² = 1  for (u, s, λ), where K is the kink set at
    threshold τ, the activation slopes off K are frozen at their current side, and s are the
    slopes on K. Accepted only if s stays in [min(1,α), max(1,α)] and no pre-activation off K
    changes sign: then u is an exact (Clarke) KKT point with the same activation pattern.
    For smooth σ, K is empty and this is Newton's method on the KKT system.
    """
    u = u.detach()
    k = net.n_params
    kinked = net.activation.kinked
    lo, hi = net.activation.slopes
    for tau in taus if kinked else (0.0,):
        hs, masks = _kink_masks(net, u, X, tau) if kinked else ([], [])
        frozen = [torch.full_like(h, lo).masked_fill(h > 0, hi) for h in hs]
        n_kinks = int(sum(int(m.sum()) for m in masks))

        def value(w: torch.Tensor, s: torch.Tensor, masks=masks, frozen=frozen) -> torch.Tensor:
            if not kinked:
                return ncf(net, w, X, z)
            a, at = X, 0
            for l, W in enumerate(net.split(w), start=1):
                h = a @ W.transpose(-1, -2)
                if l == net.depth:
                    return (_as_column(z) * h).sum()
                m = masks[l - 1]
                slope = frozen[l - 1].clone()
                slope[m] = s[at : at + int(m.sum())]
                at += int(m.sum())
                a = slope * h

        def residual_system(x: torch.Tensor, masks=masks, value=value) -> torch.Tensor:
            w, s, lam = x[:k], x[k : k + n_kinks], x[-1]
            g = torch.func.grad(value)(w, s)
            parts = [g - lam * w]
            if kinked:
                hk = [h[m] for h, m in zip(net.preactivations(w, X)[:-1], masks)]
                parts.append(torch.cat(hk))
            parts.append((w @ w - 1.0).reshape(1))
            return torch.cat(parts)

        s0 = torch.full((n_kinks,), 0.5 * (lo + hi), dtype=u.dtype, device=u.device)
        lam0 = float(torch.func.grad(value)(u, s0) @ u)
        x = torch.cat([u, s0, torch.tensor([lam0], dtype=u.dtype, device=u.device)])
        F = residual_system(x)
        it = 0
        while it < iters:
            it += 1
            J = torch.func.jacfwd(residual_system)(x)
            dx = torch.linalg.lstsq(J, -F.unsqueeze(-1), driver="gelsd" if x.device.type == "cpu" else None).solution.squeeze(-1)
            # damped: the start is already near the KKT point; a long step lands on a different
            # (often zero) KKT point of the frozen-pattern system
            t = min(1.0, 0.2 / max(float(dx[:k].norm()), 1e-300))
            for _ in range(20):
                F_new = residual_system(x + t * dx)
                if torch.isfinite(F_new).all() and float(F_new.norm()) < float(F.norm()):
                    break
                t *= 0.5
            else:
                break
            x, F = x + t * dx, F_new
            if float(F.norm()) <= 1e-14 * max(1.0, abs(float(x[-1]))):
                break
        if not torch.isfinite(x).all():
            continue
        w, s = x[:k] / x[:k].norm(), x[k : k + n_kinks]
        st = _certify_slopes(net, w, X, z, masks, frozen, s) if kinked else stationarity(net, w, X, z)
        if st is not None and st.residual < 1e-9 and st.lam >= lam0 - 1e-6 * abs(lam0):
            return Polish(w, st.lam, st.residual, True, n_kinks, tau, it)
    st = stationarity(net, u, X, z)
    return Polish(u, st.lam, st.residual, False)


@dataclass
class NCFMaxResult:
    """Every restart of :func:`constrained_ncf_max`, sorted by NCF value (best first).

    u: (R, n_params) unit vectors; value: N(u); kkt_residual: autograd residual;
    lam = p̂·N(u) (edc Lemma 11); stationarity: per-restart certificate (Clarke for kinked σ,
    computed for restarts with positive value when requested, else None).
    """

    net: FeedForward
    u: torch.Tensor
    value: torch.Tensor
    kkt_residual: torch.Tensor
    lam: torch.Tensor
    steps: int
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


@dataclass
class SphereAscent:
    """Every restart of :func:`sphere_ascent`, sorted by objective value (best first).

    u: (R, k) unit vectors; value: objective(u); grad: its autograd gradient; kkt_residual:
    ‖(I − uuᵀ)g‖/‖g‖; steps: iterations run.
    """

    u: torch.Tensor
    value: torch.Tensor
    grad: torch.Tensor
    kkt_residual: torch.Tensor
    steps: int


def _value_and_grad(objective: Callable[[torch.Tensor], torch.Tensor], u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.enable_grad():
        u = u.detach().requires_grad_(True)
        value = objective(u)
        if not torch.is_tensor(value) or tuple(value.shape) != tuple(u.shape[:1]):
            shape = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
            raise InputError(f"the objective must map (R, k) to (R,) values, got shape {shape} for input {tuple(u.shape)}")
        (grad,) = torch.autograd.grad(value.sum(), u, allow_unused=True)
    return value.detach(), torch.zeros_like(u) if grad is None else grad


def sphere_ascent(
    objective: Callable[[torch.Tensor], torch.Tensor],
    init: torch.Tensor,
    *,
    steps: int = 2000,
    step_size: float = 0.1,
    tol: float = 1e-12,
    best: int | None = None,
) -> SphereAscent:
    """Maximise a batched objective on the unit sphere by projected gradient ascent, all restarts at once.

    ``objective`` maps (R, k) to (R,) and must treat rows independently (then the gradient of the
    sum is the per-row gradient). ``init`` (R, k) holds the start points (normalised here). Each step
    is u ← (u + η g/‖g‖)/‖·‖ with a per-restart step η that grows by 1.5 (at most 1) on an accepted,
    non-decreasing step and halves on a rejected one, so the iteration is monotone and settles onto
    kinks instead of chattering across them (the iteration of :func:`constrained_ncf_max`).
    Stops early when every restart has KKT residual below ``tol``; with ``best`` (when only the best
    KKT points are wanted), once the ``best`` restarts of largest positive value are done: residual below
    ``tol``, or step shrunk below 1e-12·step_size (settled on a kink, where an autograd gradient is one
    subgradient only and its residual does not vanish).
    """
    if not callable(objective):
        raise InputError(f"objective must be callable, got {objective!r}")
    if not torch.is_tensor(init) or init.ndim != 2 or init.shape[0] == 0 or init.shape[1] == 0:
        raise InputError(f"init must be a (restarts, k) tensor, got {tuple(init.shape) if torch.is_tensor(init) else init!r}")
    norms = init.norm(dim=-1, keepdim=True)
    if not torch.isfinite(init).all() or bool((norms == 0).any()):
        raise InputError("init rows must be finite and non-zero")
    steps = check_positive_int("steps", steps, minimum=0)
    step_size = check_positive("step_size", step_size)
    tol = float(tol)
    if not tol >= 0:
        raise InputError(f"tol must be >= 0, got {tol!r}")
    if best is not None:
        best = check_positive_int("best", best)

    u = (init / norms).to(DTYPE)
    value, grad = _value_and_grad(objective, u)
    eta = torch.full_like(value, step_size)
    tiny = torch.finfo(u.dtype).tiny
    t = 0
    for t in range(1, steps + 1):
        direction = grad / grad.norm(dim=-1, keepdim=True).clamp_min(tiny)
        cand = u + eta[:, None] * direction
        cand = cand / cand.norm(dim=-1, keepdim=True)
        cval, cgrad = _value_and_grad(objective, cand)
        accept = cval >= value - 4 * torch.finfo(u.dtype).eps * value.abs()
        u = torch.where(accept[:, None], cand, u)
        value = torch.where(accept, cval, value)
        grad = torch.where(accept[:, None], cgrad, grad)
        eta = torch.where(accept, (eta * 1.5).clamp(max=1.0), eta * 0.5)
        if t % 25 == 0:
            converged = kkt_residual(u, grad) < tol
            if bool(converged.all()):
                break
            if best is not None:
                top = torch.argsort(value, descending=True)[:best]
                done = converged | (eta < 1e-12 * step_size)
                if bool((done[top] & (value[top] > 0)).all()):
                    break
    order = torch.argsort(value, descending=True)
    u, value, grad = u[order], value[order], grad[order]
    return SphereAscent(u, value, grad, kkt_residual(u, grad), t)


def sphere_newton(
    objective: Callable[[torch.Tensor], torch.Tensor], u: torch.Tensor, *, iters: int = 10
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Newton's method on the KKT system ∇N(u) = λu, ‖u‖² = 1 of a smooth objective, from a nearby unit u.

    ``objective`` is batched as in :func:`sphere_ascent`. Each step solves
    [[∇²N − λI, −u], [uᵀ, 0]]·(du, dλ) = −(∇N − λu, (‖u‖² − 1)/2) by least squares (minimum-norm where KKT
    points form a continuum, e.g. copies of one neuron). Returns (u, ∇N(u), residual) of the iterate with
    the smallest KKT residual, the start included (so it never returns a worse point). Use it to finish
    :func:`sphere_ascent` where the ascent converges slowly (near-ties between blocks).
    """
    if not callable(objective):
        raise InputError(f"objective must be callable, got {objective!r}")
    if not torch.is_tensor(u) or u.ndim != 1 or not torch.isfinite(u).all() or float(u.norm()) == 0:
        raise InputError(f"u must be one finite non-zero vector, got {tuple(u.shape) if torch.is_tensor(u) else u!r}")
    iters = check_positive_int("iters", iters, minimum=0)

    def scalar(w: torch.Tensor) -> torch.Tensor:
        return objective(w.unsqueeze(0))[0]

    w = (u / u.norm()).detach().to(DTYPE)
    _, g = _value_and_grad(objective, w.unsqueeze(0))
    best = (w, g[0], float(kkt_residual(w, g[0])))
    lam = float(g[0] @ w)
    for _ in range(iters):
        grad = torch.func.grad(scalar)(w)
        hess = torch.func.hessian(scalar)(w)
        k = w.numel()
        J = torch.zeros(k + 1, k + 1, dtype=w.dtype, device=w.device)
        J[:k, :k] = hess - lam * torch.eye(k, dtype=w.dtype, device=w.device)
        J[:k, k] = -w
        J[k, :k] = w
        F = torch.cat([grad - lam * w, ((w @ w - 1) / 2).reshape(1)])
        step = torch.linalg.lstsq(J, -F.unsqueeze(-1)).solution.squeeze(-1)
        if not torch.isfinite(step).all():
            break
        w, lam = w + step[:k], lam + float(step[k])
        w = w / w.norm()
        _, g = _value_and_grad(objective, w.unsqueeze(0))
        residual = float(kkt_residual(w, g[0]))
        if residual < best[2]:
            best = (w, g[0], residual)
        if residual < 1e-15:
            break
    return best


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
    residual is below ``tol`` or after ``steps`` steps.

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
    ascent = sphere_ascent(lambda w: ncf(net, w, X, z), u, steps=steps, step_size=step_size, tol=tol)
    u, value = ascent.u, ascent.value
    result = NCFMaxResult(net, u, value, ascent.kkt_residual, net.degree * value, ascent.steps)
    if certify if certify is not None else net.activation.kinked:
        result.stationarity = [stationarity(net, ui, X, z, tau=tau) if float(v) > 0 else None for ui, v in zip(u, value)]
    else:
        result.stationarity = [None] * len(value)
    return result
