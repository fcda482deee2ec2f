"""Optimisation on the sphere, batched over restarts: a monotone line-search ascent (:func:`sphere_ascent`),
a fixed-schedule ascent with an optional trajectory (:func:`scheduled_ascent`), one sphere Newton, the KKT residual."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from verify.errors import InputError, check_positive, check_positive_int
from verify.nets import DTYPE


def kkt_residual(u: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """‖(I − ũũᵀ)g‖ / ‖g‖ with ũ = u/‖u‖ (0 when g = 0: then u is a zero KKT point, λ = 0)."""
    uh = u / u.norm(dim=-1, keepdim=True)
    tangential = grad - (grad * uh).sum(-1, keepdim=True) * uh
    gn = grad.norm(dim=-1)
    return torch.where(gn > 0, tangential.norm(dim=-1) / gn.clamp_min(torch.finfo(grad.dtype).tiny), torch.zeros_like(gn))


@dataclass
class SphereAscent:
    """Every restart of :func:`sphere_ascent`, sorted by objective value (best first).

    u: (R, k) unit vectors; value: objective(u); grad: its autograd gradient; kkt_residual:
    ‖(I − uuᵀ)g‖/‖g‖; steps: iterations run; start: the row of ``init`` each result came from.
    """

    u: torch.Tensor
    value: torch.Tensor
    grad: torch.Tensor
    kkt_residual: torch.Tensor
    steps: int
    start: torch.Tensor


def value_and_grad(objective: Callable[[torch.Tensor], torch.Tensor], u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(objective(u), its gradient) for a batched objective mapping (R, k) to (R,) (rows independent)."""
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
    floor: float = 0.0,
    dtype: torch.dtype = DTYPE,
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

    ``floor`` in [0, 1): at step t the step is at least step_size·floor^(t/steps), and a step at
    that floor is taken even if it lowers the objective. On a ridge of a kinked objective the
    monotone rule halves η at every crossing, so the iterates creep to a halt at a point that
    need not be stationary; a floor that decays geometrically keeps them moving along the ridge
    while their chatter across it shrinks to step_size·floor. The iteration is then no longer
    monotone, so each restart returns its best iterate (never below its start). With a floor,
    only a residual below ``tol`` counts as done for ``best``. ``dtype``: float64, or float32 for experiments.
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
    floor = float(floor)
    if not 0 <= floor < 1:
        raise InputError(f"floor must be in [0, 1), got {floor!r}")

    u = (init / norms).to(dtype)
    value, grad = value_and_grad(objective, u)
    eta = torch.full_like(value, step_size)
    tiny = torch.finfo(u.dtype).tiny
    top_u, top_value, top_grad = u, value, grad
    t = 0
    for t in range(1, steps + 1):
        least = step_size * floor ** (t / steps)  # 0 without a floor
        eta = eta.clamp_min(least)
        direction = grad / grad.norm(dim=-1, keepdim=True).clamp_min(tiny)
        cand = u + eta[:, None] * direction
        cand = cand / cand.norm(dim=-1, keepdim=True)
        cval, cgrad = value_and_grad(objective, cand)
        accept = (cval >= value - 4 * torch.finfo(u.dtype).eps * value.abs()) | (eta <= least)
        u = torch.where(accept[:, None], cand, u)
        value = torch.where(accept, cval, value)
        grad = torch.where(accept[:, None], cgrad, grad)
        eta = torch.where(accept, (eta * 1.5).clamp(max=1.0), eta * 0.5)
        if floor > 0:
            better = value > top_value
            top_u = torch.where(better[:, None], u, top_u)
            top_value = torch.where(better, value, top_value)
            top_grad = torch.where(better[:, None], grad, top_grad)
        if t % 25 == 0:
            converged = kkt_residual(u, grad) < tol
            if bool(converged.all()):
                break
            if best is not None:
                top = torch.argsort(value, descending=True)[:best]
                done = converged | (eta < 1e-12 * step_size)
                if bool((done[top] & (value[top] > 0)).all()):
                    break
    if floor > 0:
        u, value, grad = top_u, top_value, top_grad
    order = torch.argsort(value, descending=True)
    u, value, grad = u[order], value[order], grad[order]
    return SphereAscent(u, value, grad, kkt_residual(u, grad), t, order)


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
    _, g = value_and_grad(objective, w.unsqueeze(0))
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
        _, g = value_and_grad(objective, w.unsqueeze(0))
        residual = float(kkt_residual(w, g[0]))
        if residual < best[2]:
            best = (w, g[0], residual)
        if residual < 1e-15:
            break
    return best


@dataclass
class ScheduledAscent:
    """What :func:`scheduled_ascent` returns: last and best iterates, their values, and the recorded values.

    u, value: the last iterate of every run and its objective; best_u, best_value: the best
    iterate seen; trajectory: (len(recorded), R) objective values at the recorded steps.
    """

    u: torch.Tensor
    value: torch.Tensor
    best_u: torch.Tensor
    best_value: torch.Tensor
    trajectory: torch.Tensor
    recorded: list[int]


def step_schedule(steps: int, step_size: float, *, final_step_size: float | None = None, hold: int = 0,
                  decay: float | None = None) -> list[float]:
    """Step sizes η_0 … η_{steps−1}: ``step_size`` for ``hold`` steps, then decaying geometrically,
    either to ``final_step_size`` at the last step or by the factor ``decay`` per step."""
    steps = check_positive_int("steps", steps, minimum=0)
    step_size = check_positive("step_size", step_size)
    if decay is None:
        end = check_positive("final_step_size", final_step_size if final_step_size is not None else step_size)
        decay = (end / step_size) ** (1 / max(steps - hold - 1, 1))
    return [step_size * decay ** max(t - hold, 0) for t in range(steps)]


def scheduled_ascent(
    value_and_grad: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    init: torch.Tensor,
    etas: list[float],
    *,
    normalise_gradient: bool = True,
    radius: float = 1.0,
    record_every: int = 0,
) -> ScheduledAscent:
    """Projected ascent with a fixed step schedule, all rows of ``init`` at once.

    u ← r (u + η_t d)/‖u + η_t d‖ on the sphere of radius r, with d = g/‖g‖ (``normalise_gradient``)
    or d = g, g the gradient ``value_and_grad`` returns (to descend a loss, pass its negation).
    A fixed step, unlike :func:`sphere_ascent`'s monotone line search: at a concave kink (a ridge)
    a line search shrinks its step to zero and stalls at a non-stationary point, while a fixed
    step chatters around the ridge and keeps moving along it (edc Remark 2, footnote 3); a
    decaying schedule then brings the chattering down. Values are recorded every ``record_every``
    steps (and at the last) when it is positive; the best iterate of each run is kept.
    """
    tiny = torch.finfo(init.dtype).tiny

    def project(v: torch.Tensor) -> torch.Tensor:
        return radius * v / v.norm(dim=-1, keepdim=True).clamp_min(tiny)

    u = project(init)
    trajectory, recorded = [], []
    best_u, best_value = u, None
    for t in range(len(etas) + 1):
        value, grad = value_and_grad(u)
        if best_value is None:
            best_value = value
        better = value > best_value
        best_u, best_value = torch.where(better[:, None], u, best_u), torch.where(better, value, best_value)
        if record_every and (t % record_every == 0 or t == len(etas)):
            trajectory.append(value)
            recorded.append(t)
        if t == len(etas):
            break
        direction = grad / grad.norm(dim=-1, keepdim=True).clamp_min(tiny) if normalise_gradient else grad
        u = project(u + etas[t] * direction)
    stacked = torch.stack(trajectory) if trajectory else value.new_zeros((0, value.shape[0]))
    return ScheduledAscent(u, value, best_u, best_value, stacked, recorded)
