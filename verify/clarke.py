"""Clarke stationarity for kinked activations: a certificate and a polish onto exact KKT points.

For σ with a kink (p = 1, α ≠ 1) autograd returns one Clarke subgradient, whose residual
stays at 1e-2…1e-1 even at a true KKT point, because projected ascent chatters across the
kink. :func:`stationarity` therefore measures stationarity over the subgradient choices at
the kinks (DESIGN.md): with K = {(i, l, j): |h_l[i, j]| <= τ·‖W_l‖_F·max_i ‖φ_{l-1}(x_i)‖} it
minimises ‖g(s) − λu‖ over slopes s ∈ [min(1,α), max(1,α)]^K and λ (cvxpy), where g(s) is
the chain-rule gradient with those slopes. g is multi-affine in s, so the convex problem is
solved on its linearisation and re-linearised a few times; the residual reported is always
the exact one at the returned s. The chain-rule set contains the Clarke subdifferential
(edc Lemma 15), so this is the conservative-field notion of stationarity DESIGN.md asks for.

:func:`polish_kkt` goes further and moves an approximate KKT point onto an exact one: it
solves the KKT system with the kink slopes as unknowns, written as a complementarity problem,
by a semismooth Levenberg–Marquardt iteration, and certifies the result with one explicit
admissible subgradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import torch

from verify.ncf import _as_column, ncf, ncf_and_grad
from verify.nets import FeedForward
from verify.sphere import kkt_residual


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


def _kink_ratios(net: FeedForward, u: torch.Tensor, X: torch.Tensor) -> tuple[list, list]:
    """Pre-activations h_1..h_{L-1} and h_l / (‖W_l‖_F·max_i ‖φ_{l-1}(x_i)‖), their size relative to the layer.

    The scale is the layer's, not the neuron's or the sample's, so that a neuron whose weights
    vanish, or a sample whose activations vanish in an earlier layer, sits at the kink.
    """
    Ws = net.split(u)
    hs = net.preactivations(u, X)[:-1]
    phis = [X] + [net.activation(h) for h in hs]
    tiny = torch.finfo(u.dtype).tiny
    return hs, [h / (phis[l].norm(dim=-1).max() * Ws[l].norm()).clamp_min(tiny) for l, h in enumerate(hs)]


def _kink_masks(net: FeedForward, u: torch.Tensor, X: torch.Tensor, tau: float) -> tuple[list, list]:
    """Pre-activations h_1..h_{L-1} and the kink masks |h_l[i,j]| <= τ·‖W_l‖_F·max_i ‖φ_{l-1}(x_i)‖."""
    hs, ratios = _kink_ratios(net, u, X)
    return hs, [r.abs() <= tau for r in ratios]


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

    default = [net.activation.slope(h) for h in hs]
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
    float64 (the conic solver stops at ~1e-8), keeping it only if it stays feasible. It takes
    the minimum-norm step from s0, not the minimum-norm s: J is often rank-deficient (slopes
    that nothing depends on, copies of one neuron), and a solution far from s0 along its null
    space makes the cross terms of the multi-affine g(s) large, so re-linearising would not
    converge.
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
    # least squares in (d, λ), d = s_free − s0_free: J_free d − λu = −(g0 + J_fixed (s_fixed − s0_fixed))
    rhs = -(g0 + J[:, fixed] @ (sv[fixed] - s0[fixed]))
    A = np.concatenate([J[:, free], -u[:, None]], axis=1)
    sol, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    polished = sv.copy()
    polished[free] = s0[free] + sol[:-1]
    if np.all(polished >= lo - 1e-12) and np.all(polished <= hi + 1e-12):
        return np.clip(polished, lo, hi)
    return sv


def certified_subgradient(
    net: FeedForward, w: torch.Tensor, X: torch.Tensor, z: torch.Tensor, slopes: list[torch.Tensor]
) -> tuple[Stationarity, list[torch.Tensor]]:
    """Stationarity of unit w for one explicit admissible subgradient, and its slopes.

    At pre-activations within 1e-9 of the layer scale of a kink the given slopes are used
    (clipped to the Clarke box); everywhere else the true one-sided slope. The gradient is the
    chain-rule one with the true activations, so the residual is honest whatever produced the
    slopes.
    """
    lo, hi = net.activation.slopes
    hs, at_kink = _kink_masks(net, w, X, 1e-9)
    admissible = [torch.where(k, s.clamp(lo, hi), net.activation.slope(h)) for h, k, s in zip(hs, at_kink, slopes)]
    grad_of_slopes, _ = _chain_rule_grad(net, w, X, z)
    g = grad_of_slopes(admissible)
    n_kinks = int(sum(int(k.sum()) for k in at_kink))
    return Stationarity(g, float(g @ w), float(kkt_residual(w, g)), n_kinks, 1e-9, "semismooth polish"), admissible


def _solve_kkt(
    net: FeedForward, w0: torch.Tensor, X: torch.Tensor, z: torch.Tensor, dead: list[torch.Tensor], kappa: float, iters: int
) -> tuple[torch.Tensor, list[torch.Tensor], int]:
    """Semismooth Levenberg–Marquardt on the KKT system from unit w0, whose ``dead`` neurons stay zero.

    Unknowns: the weights w of the live neurons, one slope s per pre-activation of a live
    neuron, and λ (``dead`` is one boolean mask per hidden layer).
    Equations:

        g(w, s) − λw = 0,    s − clip(s + κ·h(w)/scale, lo, hi) = 0,    ‖w‖² = 1,

    with g the gradient of the net whose activations are s·h (the chain-rule gradient for those
    slopes) and scale the layer scale of :func:`_kink_ratios` at w0. The middle block holds iff
    s = hi where h > 0, s = lo where h < 0 and s ∈ [lo, hi] where h = 0, so a solution is an
    exact Clarke KKT point and the iteration finds the kink set itself: a pre-activation counts
    as a kink while s + κh/scale lies strictly inside (lo, hi). κ sets how small |h| must be for
    that at the start (see :func:`polish_kkt`).

    Each step fixes the saturated slopes at their bound (the linearisation does that exactly)
    and takes a Levenberg–Marquardt step, from one SVD, in (w, unsaturated s, λ); the damping
    grows until ‖F‖ decreases. Singular directions (duplicated neurons, slopes that nothing
    depends on) are cut off in the SVD. Returns (unit w, slopes per layer, iterations).
    For smooth σ there are no slopes and this is plain Levenberg–Marquardt on ∇N − λw = 0.
    """
    kinked = net.activation.kinked
    lo, hi = net.activation.slopes
    zeroed = [torch.zeros_like(W, dtype=torch.bool) for W in net.split(w0)]
    for l, d in enumerate(dead):
        zeroed[l][d, :] = True
        zeroed[l + 1][:, d] = True
    live = ~net.flatten(zeroed)
    k = int(live.sum())
    P = torch.eye(len(w0), dtype=w0.dtype, device=w0.device)[:, live]
    zc = _as_column(z)
    Ws0 = net.split(w0)
    hs0 = net.preactivations(w0, X)[:-1]
    phis0 = [X] + [net.activation(h) for h in hs0]
    tiny = torch.finfo(w0.dtype).tiny
    # pre-activations of dead neurons stay exactly 0 and nothing depends on their slope
    masks = [(~d).expand_as(h) for d, h in zip(dead, hs0)] if kinked else []
    scales = [(phis0[l].norm(dim=-1).max() * Ws0[l].norm()).clamp_min(tiny) for l in range(len(masks))]
    ns = int(sum(int(m.sum()) for m in masks))

    def slopes_of(s: torch.Tensor) -> list[torch.Tensor]:
        out, at = [], 0
        for m in masks:
            f = s.new_full(m.shape, lo)
            f[m] = s[at : at + int(m.sum())]
            at += int(m.sum())
            out.append(f)
        return out

    def ratios(wl: torch.Tensor) -> torch.Tensor:
        hs = net.preactivations(P @ wl, X)[:-1]
        return torch.cat([h[m] / sc for h, m, sc in zip(hs, masks, scales)])

    def F(x: torch.Tensor) -> torch.Tensor:
        wl, s, lam = x[:k], x[k : k + ns], x[-1]
        if not kinked:
            g = P.T @ torch.func.grad(lambda w: ncf(net, w, X, z))(P @ wl)
            return torch.cat([g - lam * wl, (wl @ wl - 1.0).reshape(1)])
        Ws, slopes = net.split(P @ wl), slopes_of(s)
        acts, hs = [X], []
        for W, slope in zip(Ws, slopes):
            hs.append(acts[-1] @ W.transpose(-1, -2))
            acts.append(slope * hs[-1])
        delta, grads = zc, [None] * net.depth
        for l in range(net.depth - 1, -1, -1):
            grads[l] = delta.transpose(-1, -2) @ acts[l]
            if l > 0:
                delta = (delta @ Ws[l]) * slopes[l - 1]
        r = torch.cat([h[m] / sc for h, m, sc in zip(hs, masks, scales)])
        g = P.T @ net.flatten(grads)
        return torch.cat([g - lam * wl, s - torch.clamp(s + kappa * r, lo, hi), (wl @ wl - 1.0).reshape(1)])

    # start with the kink slope mid-box where κ|h|/scale < (hi − lo)/2, the one-sided slope elsewhere
    r0 = ratios(w0[live]) if kinked else w0.new_zeros(0)
    s0 = torch.where(kappa * r0.abs() < 0.5 * (hi - lo), r0.new_tensor(0.5 * (lo + hi)), net.activation.slope(r0))
    x = torch.cat([w0[live], s0, w0.new_zeros(1)])
    x[-1] = F(x)[:k] @ w0[live]  # λ = ⟨g, w⟩ (Euler)
    Fx = F(x)
    history = [float(Fx.norm())]
    eye = torch.eye(len(x), dtype=x.dtype, device=x.device)
    jvps = torch.func.vmap(lambda v, at: torch.func.jvp(F, (at,), (v,))[1], in_dims=(0, None))
    nu = 1e-6  # Levenberg–Marquardt damping, relative to the largest squared singular value
    it = 0
    for it in range(1, iters + 1):
        s = x[k : k + ns]
        if kinked:
            y = s + kappa * ratios(x[:k])
            inside = (y > lo) & (y < hi)
        else:
            inside = live.new_zeros(0)
        reduced = torch.cat([live.new_ones(k), inside, live.new_ones(1)])
        saturate = torch.zeros_like(x)
        saturate[k : k + ns] = torch.where(inside, 0.0, -Fx[k : k + ns])
        JT = jvps(torch.cat([eye[reduced], saturate[None]]), x)  # rows: directional derivatives
        if not torch.isfinite(JT).all():
            break
        try:
            U, S, Vh = torch.linalg.svd(JT[:-1, reduced].T, full_matrices=False)
        except torch.linalg.LinAlgError:
            break
        b = U.T @ (Fx[reduced] + JT[-1, reduced])
        for _ in range(12):
            gain = torch.where(S > 1e-13 * S[0], S / (S**2 + nu * S[0] ** 2), 0.0)
            dx = saturate.clone()
            dx[reduced] -= Vh.T @ (gain * b)
            F_new = F(x + dx)
            if float(F_new.norm()) < history[-1]:  # False for NaN
                break
            nu = max(nu, 1e-12) * 8
        else:
            break
        nu = nu / 4 if nu > 1e-14 else 0.0
        x, Fx = x + dx, F_new
        history.append(float(Fx.norm()))
        size = max(1.0, abs(float(x[-1])))
        # converged, or at the rounding floor (no more quadratic decrease), or stalled
        if history[-1] <= 1e-14 * size or (history[-1] <= 1e-11 * size and history[-1] > 0.25 * history[-2]):
            break
        if it >= 10 and history[-1] > 0.9 * history[-11]:
            break
    w = P @ x[:k]
    return w / w.norm(), slopes_of(x[k : k + ns]), it


@dataclass
class Polish:
    """Outcome of :func:`polish_kkt`: the polished unit point, its KKT multiplier and residual.

    For an accepted kinked polish, ``slopes`` (one (n, k_l) tensor per hidden layer) are the
    activation slopes of the certificate: residual = ‖g − λu‖/‖g‖ for the chain-rule gradient
    g with these slopes, which lie in the Clarke box and differ from σ'(h) only where
    |h| <= 1e-9 of the layer scale (``n_kinks`` such pre-activations).
    """

    u: torch.Tensor
    lam: float
    residual: float
    ok: bool
    n_kinks: int = 0
    tau: float = 0.0
    iterations: int = 0
    slopes: list[torch.Tensor] = field(default_factory=list)


# A neuron whose pre-activations all stay within this fraction of the layer scale (for
# lo = 0: are never positive by more) is dying; polish_kkt zeroes it. Tried in this order.
_DEAD_TAUS = (1e-3, 1e-2)


def polish_kkt(
    net: FeedForward,
    u: torch.Tensor,
    X: torch.Tensor,
    z: torch.Tensor,
    *,
    taus: tuple[float, ...] = (1e-4, 1e-6, 1e-3, 1e-5, 1e-2),
    iters: int = 40,
) -> Polish:
    """Polish an approximate KKT point of the constrained NCF into an exact one, and certify it.

    Projected ascent leaves kinked nets with residual ~1e-2: iterates chatter across kinks and
    neurons that should vanish die only geometrically. So, for each dying-neuron threshold in
    ``_DEAD_TAUS``, neurons whose pre-activations all stay within it of the layer scale are
    set exactly to zero (a zero neuron with zero outgoing weights is a KKT point of its own
    block and leaves the rest of the KKT system unchanged; for ReLU, a neuron that is never
    active has zero gradient, so at a KKT point with λ > 0 its weights vanish), and then, for
    each τ in ``taus``, :func:`_solve_kkt` runs with κ = (hi − lo)/(2τ), i.e. starting from the
    kink set {|h| < τ·scale}, which it then revises itself; at most 3·``iters`` iterations in all.

    Accepted (ok=True) only if the certificate of :func:`_certified` has residual < 1e-9 and
    λ ≥ λ0 − 1e-6·|λ0|, λ0 = p̂·N(u): an exact Clarke KKT point that is no worse than u.
    Otherwise u is returned with its :func:`stationarity` residual. For smooth σ this is
    Levenberg–Marquardt on ∇N − λu = 0, certified by the autograd residual.
    """
    u = u.detach() / u.detach().norm()
    lam0 = net.degree * float(ncf(net, u, X, z))

    def accept(st: Stationarity) -> bool:
        return st.residual < 1e-9 and st.lam >= lam0 - 1e-6 * abs(lam0)

    if not net.activation.kinked:
        w, _, it = _solve_kkt(net, u, X, z, [torch.zeros(k, dtype=torch.bool, device=u.device) for k in net.widths[1:-1]], 0.0, iters)
        st = stationarity(net, w, X, z)
        if accept(st):
            return Polish(w, st.lam, st.residual, True, iterations=it)
    else:
        lo, hi = net.activation.slopes
        _, ratios = _kink_ratios(net, u, X)
        peaks = [(r if lo == 0 else r.abs()).amax(dim=0) for r in ratios]
        tried: list[list[torch.Tensor]] = []
        budget = 3 * iters  # over all attempts: a start that is not near a KKT point fails fast
        for tau_dead in _DEAD_TAUS:
            dead = [p <= tau_dead for p in peaks]
            if any(all(torch.equal(a, b) for a, b in zip(dead, d)) for d in tried):
                continue
            tried.append(dead)
            Ws = [W.clone() for W in net.split(u)]
            for l, d in enumerate(dead):
                Ws[l][d, :] = 0
                Ws[l + 1][:, d] = 0
            if any(not W.any() for W in Ws):  # a whole layer died: H ≡ 0, nothing to polish
                continue
            w0 = net.flatten(Ws)
            w0 = w0 / w0.norm()
            for tau in taus:
                if budget <= 0:
                    break
                w, slopes, it = _solve_kkt(net, w0, X, z, dead, 0.5 * (hi - lo) / tau, min(iters, budget))
                budget -= it
                st, admissible = certified_subgradient(net, w, X, z, slopes)
                if accept(st):
                    return Polish(w, st.lam, st.residual, True, st.n_kinks, tau, it, admissible)
    st = stationarity(net, u, X, z)
    return Polish(u, st.lam, st.residual, False)
