"""The reduced problem of edc Theorems 3 and 4 (eqs. 11–14): max g(u) = Σ_i y_i σ^{L-1}(x_iᵀu) on ‖u‖ = r.

σ^{L-1} is the (L−1)-fold composition of σ (not a power); r² = 1/√L for p = 1 (Theorem 3) and
(p^{L-1}/p̂)^{1/2} for p >= 2 (Theorem 4). Theorems 3/4 say that b_1 of a rank-one KKT point of
the constrained NCF is a non-zero KKT point of this problem. Here: the objective, a batched ascent
from random starts (the engine's :func:`verify.sphere.scheduled_ascent`), and each end point made
exact — for p = 1 with a kink by the face certificate of :mod:`.arrangements`, for smooth σ by the
engine's sphere Newton — so that every point handed on is certified to rounding precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorems.early_directional.arrangements import FaceKKT, face_kkt_point
from verify.activations import Activation
from verify.errors import as_data, as_targets, check_positive, check_positive_int
from verify.nets import DTYPE
from verify.sphere import kkt_residual, scheduled_ascent, sphere_newton, step_schedule


def reduced_objective(activation: Activation, depth: int, X: torch.Tensor, y: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """g(u) = Σ_i y_i σ^{L-1}(x_iᵀu) for each row of U (*B, d), by literal composition of σ."""
    h = U @ X.transpose(-1, -2)
    for _ in range(depth - 1):
        h = activation(h)
    return (h * y).sum(-1)


def composed_slopes(activation: Activation, depth: int) -> tuple[float, float]:
    """(c₋, c₊) with σ^{L-1}(t) = c₊t for t >= 0 and c₋t for t < 0 (p = 1), by literal composition."""
    t = torch.tensor([-1.0, 1.0], dtype=DTYPE)
    for _ in range(depth - 1):
        t = activation(t)
    return -float(t[0]), float(t[1])


@dataclass
class ReducedKKT:
    """A non-zero KKT point u of the reduced problem on ‖u‖ = r, with its certificate.

    residual: ‖ζ − μu‖/‖ζ‖ for the certified (sub)gradient ζ (Clarke, exact face solve, for p = 1
    with a kink; autograd otherwise); face: the face certificate (kinks x_iᵀu = 0 and their slopes).
    """

    u: torch.Tensor
    value: float
    residual: float
    face: FaceKKT | None = None

    @property
    def kinks(self) -> int:
        return 0 if self.face is None else len(self.face.kinks)


NEWTON_ITERS = 10  # Newton steps for smooth σ: quadratic convergence from an ascent end point needs a handful

# Step schedule of the reduced ascent: a normalised step 0.3 decaying geometrically to 1e-7 over 300 steps.
REDUCED_STEPS, REDUCED_STEP, REDUCED_FINAL_STEP = 300, 0.3, 1e-7


def reduced_ascent(activation: Activation, depth: int, X: torch.Tensor, y: torch.Tensor, u0: torch.Tensor, signs: torch.Tensor,
                   *, steps: int = REDUCED_STEPS) -> torch.Tensor:
    """End points on the unit sphere of the engine's scheduled ascent on s·g from the starts u0 (S, R, d), signs s (S,).

    Normalised fixed steps decaying geometrically (:func:`verify.sphere.step_schedule`): at a kink
    of g a fixed step keeps moving along the ridge where a line search would stall (edc Remark 2).
    """
    S, R, d = u0.shape
    s = signs.to(DTYPE).repeat_interleave(R).reshape(-1, 1)  # one sign per row of the flattened (S·R, d) batch

    def value_and_grad(u):
        with torch.enable_grad():
            u = u.detach().requires_grad_(True)
            v = s[:, 0] * reduced_objective(activation, depth, X, y, u)
            (g,) = torch.autograd.grad(v.sum(), u)
        return v.detach(), g

    etas = step_schedule(steps, REDUCED_STEP, final_step_size=REDUCED_FINAL_STEP)
    return scheduled_ascent(value_and_grad, u0.reshape(S * R, d), etas, normalise_gradient=True).u.reshape(S, R, d)


def exact_reduced_point(
    activation: Activation, depth: int, X: torch.Tensor, y: torch.Tensor, radius: float, u: torch.Tensor, sign: float
) -> ReducedKKT | None:
    """The exact KKT point of the reduced problem near the end point u of an ascent on sign·g.

    p = 1 with a kink: the KKT point of the face of the arrangement that u is on
    (:func:`.arrangements.face_kkt_point`, with sign·y); smooth σ: the engine's Newton on the KKT
    system (:func:`verify.sphere.sphere_newton`, on the unit sphere; g is homogeneous, so the point
    scales to radius r). None when there is no certificate or the value is zero.
    """
    if activation.kinked:
        face = face_kkt_point(X.cpu().numpy(), sign * y.cpu().numpy(), composed_slopes(activation, depth), radius, u.cpu().numpy())
        if face is None or face.value == 0:
            return None
        return ReducedKKT(torch.as_tensor(face.u, dtype=DTYPE), sign * face.value, face.residual, face)

    def g(v):
        return reduced_objective(activation, depth, X, y, v)

    w, _, _ = sphere_newton(lambda W: g(radius * W), u / u.norm(), iters=NEWTON_ITERS)
    u = radius * w
    value = float(g(u))
    return ReducedKKT(u, value, float(kkt_residual(u, torch.func.grad(g)(u)))) if value != 0 else None


def reduced_kkt_points(
    activation: Activation, depth: int, X: torch.Tensor, y: torch.Tensor, radius: float, *,
    restarts: int = 8, seed: int = 0, keep: int = 3,
) -> list[ReducedKKT]:
    """Non-zero KKT points of max g(u) s.t. ‖u‖ = radius, found from ``restarts`` random starts.

    Both g and −g are ascended (a KKT point of the constrained problem may be a maximum, a
    minimum or a saddle of g on the sphere); the ``keep`` best distinct end points of each are
    made exact by :func:`exact_reduced_point`. Distinct, sorted by value (best first).
    """
    X = as_data(X, dtype=DTYPE, device=torch.device("cpu"))  # CPU: the face certificates are numpy linear algebra
    y = as_targets(y, X.shape[0], 1, dtype=DTYPE, device=X.device, name="y")[:, 0]
    radius = check_positive("radius", radius)
    depth = check_positive_int("depth", depth, minimum=2)
    restarts = check_positive_int("restarts", restarts)
    signs = torch.tensor([1.0, -1.0], dtype=DTYPE)
    u0 = torch.randn(2, restarts, X.shape[1], generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    ends = reduced_ascent(activation, depth, X, y, u0, signs)
    values = signs.reshape(-1, 1) * reduced_objective(activation, depth, X, y, ends)
    found: list[ReducedKKT] = []
    for branch, sign in enumerate(signs.tolist()):
        distinct: list[torch.Tensor] = []
        for i in torch.argsort(values[branch], descending=True):
            if all(float((ends[branch, i] - c).norm()) > 1e-3 for c in distinct):
                distinct.append(ends[branch, i])
        found += [k for u in distinct[:keep] if (k := exact_reduced_point(activation, depth, X, y, radius, u, sign)) is not None]
    found.sort(key=lambda k: -k.value)
    unique: list[ReducedKKT] = []
    for k in found:
        if all(float((k.u - o.u).norm()) > 1e-8 * radius for o in unique):
            unique.append(k)
    return unique


def reduced_kkt_violation(activation: Activation, depth: int, X: torch.Tensor, y: torch.Tensor, b1: torch.Tensor) -> float:
    """How far b_1 is from being a KKT point of the reduced problem on its own sphere ‖u‖ = ‖b_1‖.

    Smooth σ: the KKT residual of ∇g. Kinked σ: the residual of the exact KKT point of the face of
    the arrangement through b_1 plus the distance from b_1 to that point (relative to ‖b_1‖); 1 when
    no face through b_1 carries a KKT point.
    """
    def g(u):
        return reduced_objective(activation, depth, X, y, u)

    if not activation.kinked:
        return float(kkt_residual(b1, torch.func.grad(g)(b1)))
    sign = 1.0 if float(g(b1)) >= 0 else -1.0
    radius = float(b1.norm())
    face = face_kkt_point(X.cpu().numpy(), sign * y.cpu().numpy(), composed_slopes(activation, depth), radius,
                          b1.cpu().numpy(), taus=(1e-12, 1e-10, 1e-8))
    if face is None:
        return 1.0
    return face.residual + float(np.linalg.norm(face.u - b1.cpu().numpy())) / radius
