"""Training from a small initialisation, recorded for edc's dynamics figures (Figures 1–2 and 4–5): one home for both.

edc §4.1.2 and App. D train a three-homogeneous net by gradient descent on the square loss from w(0) = δw0, ‖w0‖ = 1,
and plot the loss over its initial value, ‖w‖, and the alignment ∇N(w̃)ᵀw̃/‖∇N(w̃)‖ of w̃ = w/‖w‖ (1 exactly at a KKT
point of max N on the sphere: edc Lemma 11; T12/T13 correct the printed captions). The loss here is L(w) = c‖H(X; w) −
y‖² with the factor c an argument: edc eq. 1 prints the sum (c = ½), whose gradient descent at the paper's step leaves
the small-initialisation regime within about a thousand iterations (or overflows); the per-sample mean c = 1/n (what
PyTorch's MSELoss computes; dc2's digest finds the same for dc2's Figure 1) puts the paper's iteration counts at the
end of the regime. Scaling the loss by c scales time by c and z = −ℓ′(0, y) = 2cy, so the NCF's KKT directions do not
depend on c. N(w) = yᵀH(X; w) is used for the alignment (a positive factor does not change it).

* :func:`descend_recorded`: the paper's gradient descent (verify.pursuit.gradient_descent, the engine's GD, run in
  chunks between checkpoints) with every quantity of the figures measured at the checkpoints;
* :func:`flow_reference`: the gradient flow of the same loss from the same start, integrated by the scipy reference in
  the rescaled time τ = tδ^{L−2} (verify.flow.rescaled_training_flow: the flow of s = w/δ, whose cost does not grow
  as δ → 0), read at the checkpoints' times; only for smooth nets (a ReLU flow is a differential inclusion);
* :func:`limit_point`: the KKT point the end direction flows to under the NCF flow (verify.flow.blow_up), with its KKT
  residual and the cosine to the trained direction;
* :func:`teacher_data`: inputs uniform on the unit sphere and a teacher's labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from verify.flow import blow_up, integrate, loss_flow, ncf_flow, rescaled_start, rescaled_training_flow
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, FeedForward
from verify.pursuit import gradient_descent, loss_and_grad
from verify.sphere import kkt_residual

LOSS_BAND = 0.05  # the loss "barely changed" while |L(w)/L(w(0)) − 1| ≤ LOSS_BAND: the small-initialisation phase
ZERO_ROW = 0.1  # a row (entry) counts as non-zero when its norm is at least this fraction of the largest (a heat map's eye)


def sphere_inputs(rng: np.random.Generator, n: int, d: int) -> torch.Tensor:
    """n inputs uniform on the unit sphere of R^d (normalised Gaussians)."""
    X = rng.standard_normal((n, d))
    return torch.as_tensor(X / np.linalg.norm(X, axis=1, keepdims=True), dtype=DTYPE)


def checkpoints(steps: int, points: int) -> np.ndarray:
    """0, ``points`` iterations log-spaced to ``steps`` and ``points`` evenly spaced (the figures' curves are read there:
    the log grid resolves the start, the even one the end of the phase)."""
    log = np.round(np.geomspace(1, steps, points)).astype(int)
    return np.unique(np.concatenate([[0], log, np.linspace(0, steps, points).round().astype(int)]))


@dataclass(frozen=True)
class TrainingCurves:
    """A GD run measured at the checkpoint ``iterations``: loss ½‖H − y‖², ‖w‖, the alignment ∇N(w̃)ᵀw̃/‖∇N(w̃)‖, the
    output size ‖H(X; w)‖/‖y‖, and the weights (m, k); the first and last rows are the start and the end; the loss
    factor c, the step, whether the loss overflowed (results hold no timings: the same seed gives the same bytes)."""

    iterations: np.ndarray
    loss: np.ndarray
    norm: np.ndarray
    alignment: np.ndarray
    output: np.ndarray
    weights: np.ndarray
    scale: float
    step: float
    overflow: bool

    def phase_end(self) -> int:
        """The last checkpoint before the loss first leaves the band |L/L(0) − 1| ≤ LOSS_BAND (the end of the
        small-initialisation phase; the last checkpoint when it never leaves)."""
        out = np.abs(self.loss / self.loss[0] - 1) > LOSS_BAND
        return int(np.argmax(out)) - 1 if out.any() else len(self.loss) - 1

    def escaped(self) -> bool:
        return bool((np.abs(self.loss / self.loss[0] - 1) > LOSS_BAND).any())


def _measures(net: FeedForward, W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, scale: float) -> tuple[np.ndarray, ...]:
    """(loss, ‖w‖, alignment, ‖H(X; w)‖/‖y‖) for a batch of weights W (m, k)."""
    loss, _ = loss_and_grad(net, W, X, y[:, None], scale)
    norms = W.norm(dim=1)
    _, g = ncf_and_grad(net, W / norms[:, None], X, y)
    alignment = (g * W).sum(1) / (g.norm(dim=1) * norms)
    return loss.numpy(), norms.numpy(), alignment.numpy(), (net(W, X)[..., 0].norm(dim=1) / y.norm()).numpy()


def descend_recorded(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w_start: torch.Tensor, *, scale: float, step: float,
                     steps: int, points: int) -> TrainingCurves:
    """Full-batch GD w ← w − step·∇L(w), L = scale·‖H − y‖², for ``steps`` iterations from w_start, measured at
    :func:`checkpoints`; a run whose loss overflows stops there (its later checkpoints repeat the last finite iterate,
    and ``overflow`` says so)."""
    its = checkpoints(steps, points)
    Y = y[:, None]
    weights = [w_start]
    w = w_start
    overflow = False
    for a, b in zip(its[:-1], its[1:]):
        run = gradient_descent(net, w, X, Y, step_size=step, steps=int(b - a), scale=scale)
        overflow |= not run.finite
        w = run.u
        weights.append(w)
    W = torch.stack(weights)
    loss, norm, alignment, output = _measures(net, W, X, y, scale)
    return TrainingCurves(its, loss, norm, alignment, output, W.numpy(), scale, step, overflow)


def refine_phase_end(net: FeedForward, X: torch.Tensor, y: torch.Tensor, curves: TrainingCurves, points: int) -> TrainingCurves:
    """The same run with the interval after :meth:`TrainingCurves.phase_end` (where the loss leaves the band) re-run
    from the checkpoint before it with ``points`` more checkpoints (GD is deterministic: the same iterates), so that
    the phase's end is read within a fine step of where it is; unchanged when the loss never leaves the band."""
    i = curves.phase_end()
    if not curves.escaped():
        return curves
    a, b = int(curves.iterations[i]), int(curves.iterations[i + 1])
    if b - a <= 1:
        return curves
    fine = descend_recorded(net, X, y, torch.as_tensor(curves.weights[i], dtype=DTYPE), scale=curves.scale, step=curves.step,
                            steps=b - a, points=points)
    inner = slice(1, -1)  # the bracket's ends are already checkpoints
    its = np.concatenate([curves.iterations[: i + 1], a + fine.iterations[inner], curves.iterations[i + 1:]])

    def merged(name: str) -> np.ndarray:
        old, new = getattr(curves, name), getattr(fine, name)
        return np.concatenate([old[: i + 1], new[inner], old[i + 1:]])

    return TrainingCurves(its, merged("loss"), merged("norm"), merged("alignment"), merged("output"), merged("weights"), curves.scale,
                          curves.step, curves.overflow or fine.overflow)


@dataclass(frozen=True)
class FlowReference:
    """The gradient flow from the same start at the checkpoints' times t = iteration·step (rescaled: τ = tδ^{L−2}):
    its weights (up to the checkpoint compared), the largest ‖w_GD − w_GF‖/‖w_GF‖ over those checkpoints, the largest
    |alignment difference|, the integration's status and right-hand-side evaluations."""

    weights: np.ndarray
    gap: float
    alignment_gap: float
    status: str
    nfev: int


def flow_reference(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w0: torch.Tensor, delta: float,
                   curves: TrainingCurves, upto: int, *, rtol: float) -> FlowReference:
    """Integrate the training flow dw/dt = −∇L(w) from δ·w0 as the rescaled flow of s = w/δ (verify.flow.
    rescaled_training_flow with verify.flow.loss_flow at the curves' factor c and the NCF of z = 2cy) to the checkpoint
    ``upto`` and compare it with the GD iterates at the checkpoints up to there (GD's step is a time step of the flow)."""
    L = net.degree
    c = curves.scale
    flow = rescaled_training_flow(loss_flow(net, X, y[:, None], scale=c), ncf_flow(net, X, 2 * c * y[:, None]))
    tau = curves.iterations[: upto + 1] * curves.step * delta ** (L - 2)
    path = integrate(flow, rescaled_start(w0, [delta])[0], float(tau[-1]), rtol=rtol, atol=rtol * 1e-2, t_eval=tau)
    reached = len(path.t)
    W = delta * torch.as_tensor(path.u[:, :-1], dtype=DTYPE)
    gd = torch.as_tensor(curves.weights[:reached], dtype=DTYPE)
    complete = reached == len(tau)
    gap = float(((gd - W).norm(dim=1) / W.norm(dim=1)).max()) if complete else math.inf
    alignment = _measures(net, W, X, y, c)[2]
    alignment_gap = float(np.abs(alignment - curves.alignment[:reached]).max()) if complete else math.inf
    return FlowReference(W.numpy(), gap, alignment_gap, str(path.status), path.nfev)


@dataclass(frozen=True)
class LimitPoint:
    """The NCF flow's limit direction u* from the trained end direction w̃(T) (verify.flow.blow_up): u*, its KKT
    residual and N(u*), cos(w̃(T), u*), whether the blow-up converged, its status."""

    u: np.ndarray
    residual: float
    value: float
    cosine: float
    converged: bool
    status: str


def limit_point(net: FeedForward, X: torch.Tensor, y: torch.Tensor, w_end: np.ndarray) -> LimitPoint | None:
    """Flow the end direction to its KKT point by the NCF flow's blow-up on the sphere (None when N(w̃(T)) ≤ 0)."""
    flow = ncf_flow(net, X, y[:, None])
    s = torch.as_tensor(w_end / np.linalg.norm(w_end), dtype=DTYPE)
    if not float(flow.potential(s[None])[0][0]) > 0:
        return None
    b = blow_up(flow, s)
    u = torch.as_tensor(b.direction, dtype=DTYPE)
    value, g = ncf_and_grad(net, u[None], X, y)
    return LimitPoint(b.direction, float(kkt_residual(u, g[0])), float(value[0]), float(u @ s), b.converged,
                      str(b.status))


def nonzero(norms: np.ndarray) -> int:
    """How many of ``norms`` are at least :data:`ZERO_ROW` of the largest."""
    return int((norms >= ZERO_ROW * norms.max()).sum())




# ------------------------------------------------------------------------------------------------
# what the figures claim, measured at the end of the small-initialisation phase
# ------------------------------------------------------------------------------------------------

ALIGNED = 0.95  # "approximately converge in direction": alignment at least this at the end of the phase
GROWN = 2.0  # "‖w‖ grows by a constant factor": ‖w‖/‖w(0)‖ at least this
SMALL_OUTPUT = 0.1  # "but stays small": the net's output ‖H(X; w)‖ at most this fraction of ‖y‖


@dataclass(frozen=True)
class PhaseEnd:
    """The state at the end of the small-initialisation phase (:meth:`TrainingCurves.phase_end`): its checkpoint
    index and iteration, whether the loss left the band within the horizon, L/L(0), ‖w‖/‖w(0)‖, ‖H‖/‖y‖, the alignment;
    the same at the paper's last iteration."""

    index: int
    iteration: int
    escaped: bool
    loss_ratio: float
    norm_ratio: float
    output: float
    alignment: float
    end_loss_ratio: float
    end_norm_ratio: float
    end_alignment: float


def phase_end(curves: TrainingCurves) -> PhaseEnd:
    i = curves.phase_end()
    return PhaseEnd(i, int(curves.iterations[i]), curves.escaped(), float(curves.loss[i] / curves.loss[0]),
                    float(curves.norm[i] / curves.norm[0]), float(curves.output[i]), float(curves.alignment[i]),
                    float(curves.loss[-1] / curves.loss[0]), float(curves.norm[-1] / curves.norm[0]), float(curves.alignment[-1]))


def dynamics_outcomes(p: PhaseEnd, steps: int, decide: bool) -> list:
    """The outcomes Figures 1a/1b (4a/4b) state, decided at the end of the phase: the loss barely changed while the
    direction converged, and ‖w‖ grew by a constant factor but stayed small. Undecided when the run never left the
    band and is not yet aligned (the paper's horizon is too short for this draw), or at scale ci."""
    from verify.experiments import Outcome
    from verify.tables import fmt

    where = (f"loss within {LOSS_BAND:.0%} of L(0) up to iteration {p.iteration} of {steps}"
             + ("" if p.escaped else " (the horizon; it never left the band)"))
    aligned = p.alignment >= ALIGNED
    verdict = (aligned if (p.escaped or aligned) else None) if decide else None
    grown = p.norm_ratio >= GROWN and p.output <= SMALL_OUTPUT
    return [
        Outcome("the loss barely changes while the weights converge in direction: ∇N(w̃)ᵀw̃/‖∇N(w̃)‖ → 1", "≈ 1 with L ≈ L(0)",
                f"{where}; alignment there {fmt(p.alignment, 4)}", verdict,
                f"reproduced when the alignment reaches {ALIGNED} before the loss leaves the band; at the paper's last "
                f"iteration L/L(0) = {fmt(p.end_loss_ratio, 3)}, alignment {fmt(p.end_alignment, 4)}"),
        Outcome("‖w‖ grows by a constant factor but stays small", "grows, small",
                f"‖w‖/‖w(0)‖ = {fmt(p.norm_ratio, 3)}, ‖H(X; w)‖/‖y‖ = {fmt(p.output, 2)} at iteration {p.iteration}",
                (grown if (p.escaped or grown) else None) if decide else None,
                f"grows: ratio ≥ {GROWN:g}; small: the output at most {SMALL_OUTPUT:g}‖y‖"),
    ]


def draw_curves(ax_loss, ax_align, curves: TrainingCurves, p: PhaseEnd, label: str) -> None:
    """Panels (a) L/L(0) and ‖w‖ and (b) the alignment against the iteration, the phase's end marked."""
    its = np.maximum(curves.iterations, 1)
    ax_loss.plot(its, curves.loss / curves.loss[0], "C0", label="L/L(0)")
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_ylabel("L/L(0)", color="C0")
    twin = ax_loss.twinx()
    twin.plot(its, curves.norm, "C1", label="‖w‖")
    twin.set_yscale("log")
    twin.set_ylabel("‖w‖", color="C1")
    ax_align.plot(its, curves.alignment, "C2")
    ax_align.axhline(1, color="0.6", lw=0.5)
    ax_align.set_xscale("log")
    ax_align.set_xlabel("iteration")
    ax_align.set_ylabel("∇N(w̃)ᵀw̃/‖∇N(w̃)‖")
    for ax in (ax_loss, ax_align):
        ax.axvline(max(p.iteration, 1), color="k", ls=":", lw=1)
    ax_loss.set_title(f"(a) {label}: loss and ‖w‖ (dotted: end of the phase)", fontsize=9)
    ax_align.set_title("(b) alignment with the NCF gradient", fontsize=9)


def draw_weights(path, mats: list[tuple[str, np.ndarray]], title: str):
    """Heat maps of |weights| normalised by their largest entry, one per (name, matrix)."""
    from verify.plots import plt, save_figure

    fig, axes = plt.subplots(1, len(mats), figsize=(3.2 * len(mats), 3.4), squeeze=False)
    for ax, (name, W) in zip(axes[0], mats):
        A = np.abs(np.atleast_2d(W))
        im = ax.imshow(A / A.max(), cmap="viridis", aspect="auto", vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, dpi=100)
