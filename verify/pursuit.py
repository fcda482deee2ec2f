"""Neuron Pursuit (np Algorithm 1) and the small-initialisation GD baseline, as scikit-learn estimators.

Neuron Pursuit (NP) grows a homogeneous feed-forward net H(x) = W_L σ(… σ(W_1 x)), σ(x) = max(x, αx)^p,
one neuron at a time (np §5, Algorithm 1; line numbers below are those of the digest's corrected listing,
``shared/spec/neuron_pursuit.md`` part 3):

  iteration 1 (lines 2–16): one neuron in every hidden layer; maximise the constrained NCF yᵀH(X; W)
      on Σ‖W_l‖²_F = 1 with R random restarts (lines 3–11) and keep the most dominant KKT point Ŵ;
      run gradient descent from δŴ (lines 12–16);
  iteration t ≥ 2 (lines 17–38): residual ȳ = y − H(X; W̄) (line 18); for every hidden layer l maximise
      ȳᵀH_{1,l}(X; b, a) on ‖a‖² + ‖b‖² = 1 with R restarts (lines 19–29); append the neuron (δâ, δb̂) of
      the most dominant KKT point to layer l* (lines 30–32); run gradient descent (lines 33–37).

Appendix practicalities (np §C.1.1, digest §3.6–3.7), each a parameter with the digest's default:
  * δ schedule: iteration 1 starts at δ = 0.25 and shrinks by 0.8 while the loss at δŴ exceeds the loss at
    the origin, at most 4 times (Lemma 12); later iterations start at δ = 0.01‖w‖₂ and shrink by 0.8 while
    the loss after appending exceeds the loss at the end of the previous iteration, at most 10 times
    (Lemma 13). When the reductions run out NP proceeds with the last δ and warns (digest §3.7 item 4).
  * loss: Algorithm 1's ‖Y − H‖²_F without ½ (line 2); ``loss_reduction="mean"`` divides it by n·m (the
    PyTorch ``MSELoss`` convention the paper's step sizes were quoted for, digest §1.3), ``"sum"`` does not.
  * gradient descent: fixed step, at most ``gd_steps`` steps (paper: 70,000 at 0.005 on the hypercube);
    line 13's "for k = 1 to ∞" is read as "until ‖∇L‖ <= gd_tol·L(0)" (a stationary point) or the cap.
  * stopping: after the iteration in which the relative training error ‖Y − H‖_F/‖Y‖_F falls below ``tol``
    (digest §3.4/§3.7 item 3), after ``max_iter`` iterations (iteration 1 included, so Algorithm 1's E is
    max_iter − 1), or — with a warning — when the most dominant NCF value is not positive: Lemmas 12/13
    need N_max > 0, and the paper reports this failure for ReLU on some tasks (§5.2.1 footnote).
  * optional weight rebalancing after every iteration (Saul 2023, Algorithm 1 with p = q = 2, used for PVR).
  * vector outputs (Remark 3): Y of shape (n, m), NCFs are matrix inner products ⟨Y, H⟩.

The constrained NCF maximisations use the engine's batched projected ascent
(:func:`verify.kkt.constrained_ncf_max`) for iteration 1 and the per-layer objective H_{1,l} of
:mod:`verify.saddle` for later iterations; ``ascent_step_size`` is the engine's initial (adaptive) step.

:func:`diagonal_neuron_pursuit` is the §D.5 variant of the algorithm for two-layer diagonal linear networks
(NP = Orthogonal Matching Pursuit there).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from verify.errors import InputError, check_positive, check_positive_int
from verify.kkt import constrained_ncf_max
from verify.nets import DTYPE, Activation, FeedForward, resolve_device, single_threaded
from verify.saddle import layer_terms
from verify.sphere import sphere_ascent

LOSS_REDUCTIONS = ("sum", "mean")
STOP_RULES = ("relative_error", "classification_error")
DTYPES = {"float64": torch.float64, "float32": torch.float32}  # float32: experiments at scale (checkers use float64)
DOMINANT_CHOICES = ("ncf", "loss")

# ---------------------------------------------------------------------------------------------------------
# loss and batched gradient descent
# ---------------------------------------------------------------------------------------------------------

SMALL_PROBLEM = 10**6  # n·d below which torch's intra-op threads cost more than they save


@contextmanager
def small_problem_threads(X: torch.Tensor) -> Iterator[None]:
    """Run torch single-threaded on the CPU while working on a small data matrix X, then restore.

    NP's hot loop is thousands of tiny matrix products; with two intra-op threads each of them pays a
    synchronisation that costs more than the product (measured: 10× slower per GD step on a busy
    2-core machine, n = 500, d = 20).
    """
    if X.device.type != "cpu" or X.numel() > SMALL_PROBLEM:
        yield
        return
    with single_threaded():
        yield


def loss_scale(reduction: str, n: int, m: int) -> float:
    """Factor c in L(W) = c‖Y − H(X; W)‖²_F: 1 for ``sum`` (Algorithm 1 line 2), 1/(n·m) for ``mean``."""
    if reduction not in LOSS_REDUCTIONS:
        raise InputError(f"loss_reduction must be one of {LOSS_REDUCTIONS}, got {reduction!r}")
    return 1.0 if reduction == "sum" else 1.0 / (n * m)


def squared_loss(net: FeedForward, u: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, scale: float) -> torch.Tensor:
    """L(W) = scale·‖Y − H(X; W)‖²_F for parameters u of shape (*B, n_params); returns (*B,)."""
    return scale * ((net(u, X) - Y) ** 2).sum(dim=(-2, -1))


def loss_and_grad(net: FeedForward, u: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(L(W), ∇L(W)) for L = scale·‖Y − H(X;W)‖²_F, batched over leading dims of u (*B, n_params).

    One forward and one backward pass written out (:meth:`FeedForward.output_and_pullback`): GD is NP's hot loop
    and this is several times faster than autograd on the small nets NP grows (benchmarks/neuron_pursuit.py).
    """
    H, pullback = net.output_and_pullback(u, X)
    residual = H - Y
    return scale * (residual**2).sum(dim=(-2, -1)), pullback((2 * scale) * residual)  # ∂L/∂H = 2·scale·(H − Y)


@dataclass
class DescentRun:
    """Outcome of :func:`gradient_descent`.

    u: final parameters (*B, n_params); losses: (steps_run + 1, *B) loss at W(0), …, W(steps_run), on the
    CPU; converged: (*B,) whether ‖∇L‖ <= tol was reached; finite: False if the loss overflowed (the last
    finite iterate is returned); halvings: step halvings of :func:`descent_with_halving`; stopped_at: (*B,) the step at
    which each run stopped moving (the check that found it converged, else the last step).
    """

    u: torch.Tensor
    losses: torch.Tensor
    converged: torch.Tensor
    finite: bool = True
    halvings: int = 0
    stopped_at: torch.Tensor | None = None

    @property
    def steps(self) -> int:
        return self.losses.shape[0] - 1


def gradient_descent(
    net: FeedForward,
    u: torch.Tensor,
    X: torch.Tensor,
    Y: torch.Tensor,
    *,
    step_size: float | torch.Tensor,
    steps: int,
    scale: float,
    tol: float | torch.Tensor = 0.0,
    target_loss: float = 0.0,
    check_every: int = 50,
    progress=None,
) -> DescentRun:
    """Full-batch GD W(k+1) = W(k) − η∇L(W(k)) (np Algorithm 1 lines 13–15 / 34–36), batched.

    ``u`` may carry leading batch dims (*B, n_params); ``step_size`` is a float or a (*B,) tensor, so runs
    with different step sizes (or networks padded with inactive neurons, which are exact fixed points of GD)
    run as one tensor program. A run stops moving once ‖∇L‖ <= tol or L <= target_loss (checked every
    ``check_every`` steps); the loop ends when every run has stopped or after ``steps`` steps. Every loss
    value is recorded. ``progress`` (a tqdm bar) is advanced at every check.
    """
    with small_problem_threads(X):
        return _descend(net, u, X, Y, step_size, steps, scale, tol, target_loss, check_every, progress)


def _descend(net, u, X, Y, step_size, steps, scale, tol, target_loss, check_every, progress) -> DescentRun:
    batch = u.shape[:-1]
    eta = torch.as_tensor(step_size, dtype=u.dtype, device=u.device).expand(batch)
    losses = torch.empty((steps + 1, *batch), dtype=u.dtype, device=u.device)
    converged = torch.zeros(batch, dtype=torch.bool, device=u.device)
    stopped_at = torch.full(batch, -1, dtype=torch.long, device=u.device)
    rate = eta[..., None]  # η for runs still moving, 0 for converged ones
    checkpoint = (0, u)  # last checked iterate with a finite loss
    for k in range(steps + 1):
        loss, grad = loss_and_grad(net, u, X, Y, scale)
        losses[k] = loss
        if k % check_every == 0 or k == steps:
            if not bool(torch.isfinite(loss).all()):
                # overflow: hand back the last checked finite iterate, and say so
                k, u = checkpoint
                return DescentRun(u, losses[: k + 1].cpu(), converged.cpu(), finite=False,
                                  stopped_at=torch.where(stopped_at < 0, k, stopped_at).cpu())
            if progress is not None:
                progress.update(k - checkpoint[0])
            checkpoint = (k, u)
            converged |= (grad.norm(dim=-1) <= tol) | (loss <= target_loss)
            stopped_at = torch.where(converged & (stopped_at < 0), k, stopped_at)
            if bool(converged.all()):
                break
            rate = (eta * ~converged)[..., None]
        if k < steps:
            u = u - rate * grad
    return DescentRun(u, losses[: k + 1].cpu(), converged.cpu(), stopped_at=torch.where(stopped_at < 0, k, stopped_at).cpu())


def descent_with_halving(net: FeedForward, u: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, *, step_size: float, steps: int,
                         every: int, max_halvings: int, scale: float, tol: float = 0.0) -> DescentRun:
    """GD with np §C.2.2's safeguard (PVR): every ``every`` steps the loss is compared with the previous checkpoint's;
    if it increased (or overflowed), the checkpoint's weights are restored and the step halved, at most
    ``max_halvings`` times (after which a chunk is kept as it is). ``steps`` counts the kept steps; the losses of
    discarded chunks are not recorded. One unbatched run (u of shape (n_params,))."""
    kept, taken, halvings, eta, converged = [], 0, 0, step_size, torch.zeros((), dtype=torch.bool)
    while taken < steps and not bool(converged):
        chunk = gradient_descent(net, u, X, Y, step_size=eta, steps=min(every, steps - taken), scale=scale, tol=tol)
        start = float(chunk.losses[0])
        if (not chunk.finite or float(chunk.losses[-1]) > start) and halvings < max_halvings:
            eta, halvings = eta / 2, halvings + 1  # restore the checkpoint (u is unchanged) and halve the step
            continue
        kept.append(chunk.losses if not kept else chunk.losses[1:])
        taken += chunk.steps
        u, converged = chunk.u, chunk.converged
        if not chunk.finite:
            return DescentRun(u, torch.cat(kept), converged, finite=False, halvings=halvings)
    losses = torch.cat(kept) if kept else squared_loss(net, u, X, Y, scale).reshape(1).cpu()
    return DescentRun(u, losses, converged, halvings=halvings)


# ---------------------------------------------------------------------------------------------------------
# network surgery: appending a neuron, rebalancing
# ---------------------------------------------------------------------------------------------------------


def append_neuron(net: FeedForward, u: torch.Tensor, layer: int, a: torch.Tensor, b: torch.Tensor) -> tuple[FeedForward, torch.Tensor]:
    """np Algorithm 1 lines 30–32: a new last row aᵀ of W_{l*} and a new last column b of W_{l*+1}.

    a holds the incoming weights (length k_{l*−1}), b the outgoing ones (length k_{l*+1}, or m when
    l* = L−1); every other W_l is unchanged. Returns the wider net and its parameter vector.
    """
    Ws = list(net.split(u))
    Ws[layer - 1] = torch.cat([Ws[layer - 1], a.reshape(1, -1)], dim=0)
    Ws[layer] = torch.cat([Ws[layer], b.reshape(-1, 1)], dim=1)
    widths = list(net.widths)
    widths[layer] += 1
    wider = FeedForward(tuple(widths), net.activation)
    return wider, wider.flatten(Ws)


def rebalance(net: FeedForward, u: torch.Tensor, *, tol: float = 1e-10, max_sweeps: int = 200) -> torch.Tensor:
    """Rescale hidden neurons, without changing H, to minimise Σ_l ‖W_l‖²_F (Saul 2023, Algorithm 1, p = q = 2).

    Neuron j of layer l with incoming norm² a = ‖W_l[j,:]‖² and outgoing norm² c = ‖W_{l+1}[:,j]‖² is
    rescaled by (s, s^{−p}) — the function-preserving symmetry of σ(x) = max(x, αx)^p (digest §1.2) — with
    the minimising s = (p·c/a)^{1/(2p+2)}, after which a = p·c (np Lemma 3's balance; equal norms for ReLU,
    the paper's use on PVR). Neurons of one layer are independent, so a sweep updates a layer at once;
    sweeps repeat until every |log s| <= tol (block-coordinate descent on a convex function of log s).
    Neurons with a vanishing incoming or outgoing vector cannot be balanced and are left alone.
    """
    p = net.activation.p
    Ws = [W.clone() for W in net.split(u)]
    for _ in range(max_sweeps):
        largest = 0.0
        for l in range(net.depth - 1):
            incoming = (Ws[l] ** 2).sum(dim=-1)
            outgoing = (Ws[l + 1] ** 2).sum(dim=-2)
            ok = (incoming > 0) & (outgoing > 0)
            s = torch.where(ok, (p * outgoing / incoming.clamp_min(1e-300)) ** (1.0 / (2 * p + 2)), torch.ones_like(incoming))
            Ws[l] = Ws[l] * s[:, None]
            Ws[l + 1] = Ws[l + 1] * s[None, :] ** (-p)
            largest = max(largest, float(s.log().abs().max()))
        if largest <= tol:
            break
    return net.flatten(Ws)


def classification_error(prediction: torch.Tensor, target: torch.Tensor) -> float | None:
    """The fraction of rows whose arg-max prediction differs from the arg-max target (np §C.2.1); None for one output."""
    if prediction.shape[-1] < 2:
        return None
    return float((prediction.argmax(dim=-1) != target.argmax(dim=-1)).double().mean())


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype of an estimator's ``dtype`` parameter ("float64" or "float32")."""
    if name not in DTYPES:
        raise InputError(f"dtype must be one of {tuple(DTYPES)}, got {name!r}")
    return DTYPES[name]


def relative_error(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """‖prediction − target‖_F / ‖target‖_F (np §5.2.1); 0/0 is 0 and x/0 is inf."""
    num, den = float((prediction - target).norm()), float(target.norm())
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return num / den


# ---------------------------------------------------------------------------------------------------------
# the estimators
# ---------------------------------------------------------------------------------------------------------


@dataclass
class PursuitIteration:
    """One row of :attr:`NeuronPursuitRegressor.history_` (one NP iteration).

    layer: hidden layer l* that received the neuron (0 in iteration 1, which builds one neuron per layer);
    ncf_max: N_max of the most dominant KKT point (line 9 / 26); kkt_residual: its ‖(I − uuᵀ)∇N‖/‖∇N‖;
    positive_restarts: restarts (over all layers) that ended at a positive value; delta: δ used and
    delta_shrinks: how often it was multiplied by ``delta_shrink``; loss_saddle: loss before the iteration
    (iteration 1: at the origin, L(0)); loss_added: right after adding the neuron(s) (line 12 / 33);
    loss_gd: after gradient descent (line 16 / 37); gd_steps, gd_converged (‖∇L‖ <= gd_tol·L(0) reached),
    gd_loss_increases: GD steps whose loss exceeded the previous step's; gd_finite: False if GD overflowed;
    gd_halvings: step halvings (``gd_halving_every``); train_error: relative training error after the iteration;
    train_classification_error: the fraction of training samples whose arg-max output is not the arg-max of Y
    (None for one output); curve_start: index of the iteration's first
    GD loss in ``loss_curve_``.
    """

    iteration: int
    layer: int
    ncf_max: float
    kkt_residual: float
    positive_restarts: int
    delta: float
    delta_shrinks: int
    loss_saddle: float
    loss_added: float
    loss_gd: float
    gd_steps: int
    gd_converged: bool
    gd_loss_increases: int
    gd_finite: bool
    gd_halvings: int
    hidden_widths: tuple[int, ...]
    train_error: float
    train_classification_error: float | None
    curve_start: int


class _HomogeneousRegressor(RegressorMixin, BaseEstimator):
    """Shared input handling and prediction for the two estimators (weights_ holds W_1..W_L)."""

    def _validated_fit_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        try:
            X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        except ValueError as exc:
            raise InputError(" ".join(str(exc).split())) from None
        self._y_was_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        self.n_outputs_ = Y.shape[1]
        return X, Y

    def _activation(self) -> Activation:
        return Activation(self.alpha, self.p)

    def _net(self, hidden: tuple[int, ...]) -> FeedForward:
        return FeedForward((self.n_features_in_, *hidden, self.n_outputs_), self._activation())

    def predict(self, X) -> np.ndarray:
        """H(X; W_1..W_L) for the fitted weights; 1-D when the training targets were 1-D."""
        check_is_fitted(self, "weights_")
        try:
            X = validate_data(self, X, reset=False, dtype=np.float64)
        except ValueError as exc:
            raise InputError(" ".join(str(exc).split())) from None
        net = self._net(tuple(W.shape[0] for W in self.weights_[:-1]))
        u = net.flatten([torch.as_tensor(W) for W in self.weights_])
        out = net(u, torch.as_tensor(X, dtype=u.dtype)).numpy()  # in the precision it was fitted in
        return out[:, 0] if self._y_was_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class NeuronPursuitRegressor(_HomogeneousRegressor):
    """Neuron Pursuit (np Algorithm 1) as a scikit-learn regressor; see the module docstring.

    Parameters (defaults: np §C.1.1 hypercube/sphere settings, digest §3.6–3.7)
    ----------
    depth : L >= 2, number of weight matrices.
    alpha, p : activation σ(x) = max(x, αx)^p (p a positive integer).
    restarts : R, random restarts of every constrained NCF maximisation (per layer in iterations >= 2).
    ascent_steps, ascent_step_size : projected ascent iterations and initial step.
    ascent_steps_first, ascent_step_size_first : the same for iteration 1 (None: as later; PVR uses 6000 × 0.25
        in iteration 1 and 5000 × 0.5 later, np §C.2.2).
    delta_first, delta_later : δ of iteration 1, and δ/‖w‖₂ of later iterations.
    delta_shrink, max_shrinks_first, max_shrinks_later : the δ reductions (0.8; at most 4 and 10).
    gd_steps, gd_step_size, gd_tol : gradient descent after each addition: at most gd_steps steps of size
        gd_step_size, stopping early once ‖∇L‖ <= gd_tol·L(0).
    gd_halving_every, gd_max_halvings : with gd_halving_every = k, np §C.2.2's safeguard (PVR): every k steps compare
        the loss with the previous checkpoint; if it increased, restore the checkpoint and halve the step, at most
        gd_max_halvings times per iteration (:func:`descent_with_halving`).
    max_iter : NP iterations including the first (Algorithm 1's E is max_iter − 1).
    tol, stop_on : stop after the iteration whose relative training error ‖Y − H‖_F/‖Y‖_F is below tol
        ("relative_error", np §5.2.1) or whose training classification error (arg-max of the m >= 2 outputs against
        the arg-max of Y) is 0 ("classification_error", modular addition, np §C.2.1).
    loss_reduction : "mean" (‖Y − H‖²_F/(n·m), default) or "sum" (Algorithm 1's ‖Y − H‖²_F).
    rebalance : rebalance the weights after every iteration (Saul 2023; the paper uses it for PVR only).
    dominant : how iterations >= 2 pick the layer l* among the per-layer best KKT points: "ncf" (the paper,
        lines 23–27: the largest NCF value over restarts and layers) or "loss" (a deviation studied by the np.fig6
        experiment: the layer whose best point, appended with the δ schedule, gives the lowest loss).
    device : "auto", "cpu" or "cuda"; dtype : "float64" (default) or "float32" (experiments at scale, GPUs);
    random_state : seed of every random choice (the random starts are drawn in float64 and rounded, so both
    precisions start from the same points); verbose : progress bar.

    Attributes
    ----------
    weights_ : [W_1, …, W_L] (numpy); hidden_widths_ : (k_1, …, k_{L−1}); n_iter_ : iterations run (one that
    stopped at its NCF step because N_max <= 0 included);
    history_ : one dict per iteration (fields of :class:`PursuitIteration`); weights_history_ : the weights
    after every iteration; loss_curve_ : every GD loss value, iterations concatenated; stop_reason_ : why NP
    stopped; train_error_ : final relative training error.
    """

    def __init__(
        self,
        depth: int = 3,
        alpha: float = 0.0,
        p: int = 1,
        *,
        restarts: int = 10,
        ascent_steps: int = 2500,
        ascent_step_size: float = 0.2,
        delta_first: float = 0.25,
        delta_later: float = 0.01,
        delta_shrink: float = 0.8,
        max_shrinks_first: int = 4,
        max_shrinks_later: int = 10,
        gd_steps: int = 70_000,
        gd_step_size: float = 0.005,
        gd_tol: float = 1e-7,
        gd_halving_every: int | None = None,
        gd_max_halvings: int = 4,
        ascent_steps_first: int | None = None,
        ascent_step_size_first: float | None = None,
        max_iter: int = 31,
        tol: float = 1e-3,
        stop_on: str = "relative_error",
        loss_reduction: str = "mean",
        rebalance: bool = False,
        dominant: str = "ncf",
        device: str = "auto",
        dtype: str = "float64",
        random_state=None,
        verbose: bool = False,
    ) -> None:
        self.depth = depth
        self.alpha = alpha
        self.p = p
        self.restarts = restarts
        self.ascent_steps = ascent_steps
        self.ascent_step_size = ascent_step_size
        self.delta_first = delta_first
        self.delta_later = delta_later
        self.delta_shrink = delta_shrink
        self.max_shrinks_first = max_shrinks_first
        self.max_shrinks_later = max_shrinks_later
        self.gd_steps = gd_steps
        self.gd_step_size = gd_step_size
        self.gd_tol = gd_tol
        self.gd_halving_every = gd_halving_every
        self.gd_max_halvings = gd_max_halvings
        self.ascent_steps_first = ascent_steps_first
        self.ascent_step_size_first = ascent_step_size_first
        self.max_iter = max_iter
        self.tol = tol
        self.stop_on = stop_on
        self.loss_reduction = loss_reduction
        self.rebalance = rebalance
        self.dominant = dominant
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # -- parameters -------------------------------------------------------------------------------------

    def _check_params(self) -> None:
        check_positive_int("depth", self.depth, minimum=2)
        self._activation()  # non-integer p, non-finite α → InputError
        for name in ("restarts", "ascent_steps", "max_iter"):
            check_positive_int(name, getattr(self, name))
        for name in ("max_shrinks_first", "max_shrinks_later", "gd_steps"):
            check_positive_int(name, getattr(self, name), minimum=0)
        for name in ("ascent_step_size", "delta_first", "delta_later", "gd_step_size", "tol"):
            check_positive(name, getattr(self, name))
        if not 0 < check_positive("delta_shrink", self.delta_shrink) < 1:
            raise InputError(f"delta_shrink must lie in (0, 1), got {self.delta_shrink!r}")
        if not (isinstance(self.gd_tol, (int, float)) and math.isfinite(self.gd_tol) and self.gd_tol >= 0):
            raise InputError(f"gd_tol must be a finite number >= 0, got {self.gd_tol!r}")
        loss_scale(self.loss_reduction, 1, 1)
        if self.dominant not in DOMINANT_CHOICES:
            raise InputError(f"dominant must be one of {DOMINANT_CHOICES}, got {self.dominant!r}")
        if self.stop_on not in STOP_RULES:
            raise InputError(f"stop_on must be one of {STOP_RULES}, got {self.stop_on!r}")
        for name in ("gd_halving_every", "ascent_steps_first"):
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name))
        if self.ascent_step_size_first is not None:
            check_positive("ascent_step_size_first", self.ascent_step_size_first)
        check_positive_int("gd_max_halvings", self.gd_max_halvings, minimum=0)
        torch_dtype(self.dtype)

    # -- Algorithm 1 -----------------------------------------------------------------------------------

    def fit(self, X, y) -> NeuronPursuitRegressor:
        """Run Neuron Pursuit on (X, y); y of shape (n,) or (n, m) (vector outputs, np Remark 3)."""
        pursuit = self._pursuit(X, y)
        with small_problem_threads(self._X):
            _drive(pursuit, self._gradient_descent)
        return self

    def _gradient_descent(self, net: FeedForward, u: torch.Tensor) -> DescentRun:
        """Lines 13–16 / 34–37: gradient descent, read as "until ‖∇L‖ <= gd_tol·L(0)" or gd_steps steps."""
        if self.gd_halving_every is None:
            return gradient_descent(net, u, self._X, self._Y, step_size=self.gd_step_size, steps=self.gd_steps,
                                    scale=self._scale, tol=self.gd_tol * self._loss_origin)
        return descent_with_halving(net, u, self._X, self._Y, step_size=self.gd_step_size, steps=self.gd_steps,
                                    every=self.gd_halving_every, max_halvings=self.gd_max_halvings, scale=self._scale,
                                    tol=self.gd_tol * self._loss_origin)

    def _pursuit(self, X, y) -> Generator[tuple[FeedForward, torch.Tensor], DescentRun, None]:
        """Algorithm 1 as a generator: it yields (net, W(0)) where gradient descent is due and is sent the descent's
        outcome, so :meth:`fit` runs one pursuit and :func:`pursue_in_lockstep` many, their descents batched. Not a
        generator itself: the parameters and data are checked at the call, before any work."""
        self._check_params()
        X, Y = self._validated_fit_data(X, y)
        if self.stop_on == "classification_error" and Y.shape[1] < 2:
            raise InputError("stop_on='classification_error' needs targets with m >= 2 outputs (one column per class)")
        dev = resolve_device(self.device)
        self._dtype = torch_dtype(self.dtype)
        self._X = torch.as_tensor(X, dtype=self._dtype, device=dev)
        self._Y = torch.as_tensor(Y, dtype=self._dtype, device=dev)
        self._scale = loss_scale(self.loss_reduction, *Y.shape)
        self._rng = check_random_state(self.random_state)
        self._loss_origin = float(self._scale * (self._Y**2).sum())  # L(0)
        return self._iterations(dev)

    def _iterations(self, dev: torch.device) -> Generator[tuple[FeedForward, torch.Tensor], DescentRun, None]:
        loss_origin = self._loss_origin
        self.history_, self.weights_history_, curves = [], [], []
        self.stop_reason_ = f"reached max_iter = {self.max_iter} iterations"

        net = self._net((1,) * (self.depth - 1))  # line 2: one neuron in every hidden layer
        u = torch.zeros(net.n_params, dtype=self._dtype, device=dev)
        with tqdm(total=self.max_iter, disable=not self.verbose, desc="Neuron Pursuit", unit="it") as bar:
            for iteration in range(1, self.max_iter + 1):
                self.n_iter_ = iteration  # iterations run, one that stops at its NCF step included
                # lines 3–12 (iteration 1) or 18–33: the network with the new neuron(s) at scale δ
                chosen = self._first_iteration(net, loss_origin) if iteration == 1 else self._later_iteration(net, u, iteration)
                if chosen is None:
                    break
                net, u, selection = chosen
                run = yield net, u  # lines 13–16 / 34–37: gradient descent (:meth:`_gradient_descent`, or batched with other runs)
                u = rebalance(net, run.u) if self.rebalance else run.u
                curve = run.losses.numpy()
                row = PursuitIteration(
                    iteration=iteration, **selection, loss_added=float(curve[0]), loss_gd=float(curve[-1]),
                    gd_steps=run.steps, gd_converged=bool(run.converged), gd_loss_increases=int((np.diff(curve) > 0).sum()),
                    gd_finite=run.finite, hidden_widths=tuple(net.widths[1:-1]),
                    gd_halvings=run.halvings, train_error=relative_error(net(u, self._X), self._Y),
                    train_classification_error=classification_error(net(u, self._X), self._Y), curve_start=sum(map(len, curves)),
                )
                curves.append(curve)
                self.history_.append(asdict(row))
                self.weights_history_.append([W.cpu().numpy().copy() for W in net.split(u)])
                bar.update(1)
                bar.set_postfix(loss=f"{row.loss_gd:.3g}", widths=str(row.hidden_widths), layer=row.layer)
                if run.finite and row.loss_gd > row.loss_added:
                    warnings.warn(f"Neuron Pursuit iteration {iteration}: gradient descent increased the loss from "
                                  f"{row.loss_added:.6g} to {row.loss_gd:.6g} (lower gd_step_size)", ConvergenceWarning, stacklevel=2)
                if not run.finite:
                    self.stop_reason_ = f"iteration {iteration}: gradient descent overflowed (lower gd_step_size)"
                    warnings.warn(f"Neuron Pursuit stopped: {self.stop_reason_}", ConvergenceWarning, stacklevel=2)
                    break
                if self.stop_on == "relative_error" and row.train_error < self.tol:
                    self.stop_reason_ = f"relative training error {row.train_error:.3g} < tol = {self.tol:g}"
                    break
                if self.stop_on == "classification_error" and row.train_classification_error == 0:
                    self.stop_reason_ = "training classification error 0"
                    break

        self.weights_ = [W.cpu().numpy().copy() for W in net.split(u)]
        self.hidden_widths_ = tuple(net.widths[1:-1])
        self.loss_curve_ = np.concatenate(curves) if curves else np.array([loss_origin])
        self.train_error_ = relative_error(net(u, self._X), self._Y)
        del self._X, self._Y, self._scale, self._rng, self._dtype, self._loss_origin

    def _first_iteration(self, net: FeedForward, loss_origin: float):
        """Lines 3–12: dominant KKT point Ŵ of max yᵀH(X; W) s.t. Σ‖W_l‖²_F = 1, then W(0) = δŴ."""
        found = constrained_ncf_max(  # lines 3–11: R restarts as one batch, sorted best first
            net, self._X, self._Y, restarts=self.restarts,
            steps=self.ascent_steps if self.ascent_steps_first is None else self.ascent_steps_first,
            step_size=self.ascent_step_size if self.ascent_step_size_first is None else self.ascent_step_size_first,
            seed=self._seed(), device=self._X.device, certify=False, dtype=self._dtype,
        )
        n_max, w_hat, positive = float(found.value[0]), found.u[0], int((found.value > 0).sum())
        if not self._dominant_value_is_positive(1, n_max, positive):
            return None
        # line 12 with the δ schedule: shrink while L(δŴ) > L(0) (np Lemma 12)
        delta, shrinks = self._choose_delta(net, torch.zeros_like(w_hat), w_hat, self.delta_first, loss_origin,
                                            self.max_shrinks_first, iteration=1)
        return net, delta * w_hat, dict(layer=0, ncf_max=n_max, kkt_residual=float(found.kkt_residual[0]),
                                        positive_restarts=positive, delta=delta, delta_shrinks=shrinks, loss_saddle=loss_origin)

    def _later_iteration(self, net: FeedForward, u: torch.Tensor, iteration: int):
        """Lines 18–33: residual, most dominant (â, b̂, l*) over layers and restarts, append (δâ, δb̂)."""
        residual = self._Y - net(u, self._X)  # line 18: ȳ = y − H(X; W̄)
        candidates, positive = self._layer_candidates(net, u, residual)  # lines 19–29, best point per layer
        if self.dominant == "ncf":  # the paper (lines 23–27): the largest NCF value wins (strict ">", ties to the lower layer)
            candidates = [max(candidates, key=lambda c: (c[3], -c[0]))]
        elif any(c[3] > 0 for c in candidates):
            candidates = [c for c in candidates if c[3] > 0]
        n_max = max(c[3] for c in candidates)
        if not self._dominant_value_is_positive(iteration, n_max, positive):
            return None
        loss_saddle = float(self._scale * (residual**2).sum())
        options = []
        for layer, a_hat, b_hat, value, kkt in candidates:
            wider, base = append_neuron(net, u, layer, torch.zeros_like(a_hat), torch.zeros_like(b_hat))
            direction = append_neuron(net, u, layer, a_hat, b_hat)[1] - base  # (â, b̂) in the new neuron's slots
            # lines 30–33 with the δ schedule: δ = 0.01‖w‖, shrink while the loss exceeds L(W̄) (np Lemma 13)
            delta, shrinks = self._choose_delta(wider, base, direction, self.delta_later * float(u.norm()), loss_saddle,
                                                self.max_shrinks_later, iteration=iteration)
            added = base + delta * direction
            options.append((float(squared_loss(wider, added, self._X, self._Y, self._scale)), layer, value, kkt, wider, added,
                            delta, shrinks))
        # "ncf": the one candidate; "loss" (a deviation): the candidate whose addition gives the lowest loss
        _, layer, value, kkt, wider, added, delta, shrinks = min(options, key=lambda o: o[0])
        return wider, added, dict(layer=layer, ncf_max=value, kkt_residual=kkt, positive_restarts=positive,
                                  delta=delta, delta_shrinks=shrinks, loss_saddle=loss_saddle)

    def _layer_candidates(self, net: FeedForward, u: torch.Tensor, residual: torch.Tensor):
        """Lines 19–29: maximise ȳᵀH_{1,l}(X; b, a) on ‖a‖² + ‖b‖² = 1 for every hidden layer l, R restarts each.

        H_{1,l} is :class:`verify.saddle.LayerTerm` with the current network as the n-network; the R
        restarts of a layer ascend together (:func:`verify.saddle.sphere_ascent`). Returns ([(l, â, b̂, value,
        KKT residual) of every layer's best restart, lowest layer first], restarts that ended positive).
        """
        candidates, positive = [], 0
        for term in layer_terms(net, u, self._X):
            k_in = term.in_dim
            start = torch.randn(self.restarts, k_in + term.out_dim, generator=torch.Generator().manual_seed(self._seed()), dtype=DTYPE)
            found = sphere_ascent(lambda ab, term=term: term.ncf(residual, ab[:, k_in:], ab[:, :k_in]),
                                  start.to(self._X.device), steps=self.ascent_steps, step_size=self.ascent_step_size,
                                  dtype=self._dtype)
            positive += int((found.value > 0).sum())
            ab = found.u[0]
            candidates.append((term.layer, ab[:k_in], ab[k_in:], float(found.value[0]), float(found.kkt_residual[0])))
        return candidates, positive

    def _dominant_value_is_positive(self, iteration: int, n_max: float, positive: int) -> bool:
        """The clear stop when N_max <= 0: Lemmas 12/13 (descent by adding a neuron) need N_max > 0."""
        if n_max > 0:
            return True
        self.stop_reason_ = (
            f"iteration {iteration}: the most dominant NCF value N_max = {n_max:.3g} is not positive "
            f"({positive} restarts ended at a positive value), so adding a neuron cannot decrease the loss "
            "(np Lemmas 12/13 need N_max > 0; the paper reports this for ReLU on some tasks)"
        )
        warnings.warn(f"Neuron Pursuit stopped: {self.stop_reason_}", ConvergenceWarning, stacklevel=3)
        return False

    def _choose_delta(self, net, base, direction, delta, reference, max_shrinks, *, iteration) -> tuple[float, int]:
        """δ·shrink^s for the smallest s <= max_shrinks with L(base + δ·direction) <= reference (np §C.1.1).

        All candidates are evaluated as one batch. When none qualifies NP goes on with the smallest δ and
        warns (digest §3.7 item 4); the descent check then sees the increase.
        """
        deltas = delta * self.delta_shrink ** torch.arange(max_shrinks + 1, dtype=base.dtype, device=base.device)
        losses = squared_loss(net, base + deltas[:, None] * direction, self._X, self._Y, self._scale)
        ok = (losses <= reference).nonzero()
        if len(ok) == 0:
            warnings.warn(f"Neuron Pursuit iteration {iteration}: the loss still exceeds {reference:.6g} after "
                          f"{max_shrinks} reductions of δ; continuing with δ = {float(deltas[-1]):.3g}",
                          ConvergenceWarning, stacklevel=4)
            return float(deltas[-1]), max_shrinks
        return float(deltas[int(ok[0])]), int(ok[0])

    def _seed(self) -> int:
        return int(self._rng.randint(2**31 - 1))


def _drive(pursuit: Generator, descend) -> None:
    """Run a pursuit (:meth:`NeuronPursuitRegressor._pursuit`) to its end, answering each descent with descend(net, u)."""
    try:
        request = next(pursuit)
        while True:
            request = pursuit.send(descend(*request))
    except StopIteration:
        pass


def pursue_in_lockstep(estimators: list[NeuronPursuitRegressor], datasets: list[tuple]) -> list[NeuronPursuitRegressor]:
    """Fit Neuron Pursuit runs in lock step: every iteration's gradient descents of all runs still going as one tensor
    program (the GPU path of np.fig7–fig9), each run on its own data.

    Runs grow different architectures; the batch pads every net with zero neurons to the widest width per layer. A
    zero neuron (zero incoming and outgoing weights) has a zero gradient for σ(0) = 0, so it stays zero and the
    padded descent is the unpadded one (up to the order of floating-point sums); each run's loss curve is cut at the
    check where it stopped moving, as its own descent would be. Everything else (the NCF maximisations, δ, the
    records) is each estimator's own code. The runs must share n, d, m, depth, σ, the loss reduction, gd_steps and no
    halving safeguard; their GD step sizes and tolerances may differ. One difference: if any run's loss overflows,
    the batch stops at its last finite check for every run.
    """
    if len(estimators) != len(datasets) or not estimators:
        raise InputError("pursue_in_lockstep needs one (X, y) per estimator")
    pursuits = {i: est._pursuit(X, y) for i, (est, (X, y)) in enumerate(zip(estimators, datasets))}
    shared = {(e._X.shape, e._Y.shape, e.depth, e.alpha, e.p, e.loss_reduction, e.gd_steps, e.gd_halving_every) for e in estimators}
    if len(shared) != 1 or estimators[0].gd_halving_every is not None:
        raise InputError("pursue_in_lockstep: the runs must share n, d, m, depth, σ, loss_reduction and gd_steps, without halving")
    with small_problem_threads(estimators[0]._X):
        requests = {}
        for i, pursuit in pursuits.items():
            request = next(pursuit, None)
            if request is not None:
                requests[i] = request
        while requests:
            runs = _padded_descent([(estimators[i], *requests[i]) for i in requests])
            for i, run in zip(list(requests), runs):
                try:
                    requests[i] = pursuits[i].send(run)
                except StopIteration:
                    del requests[i]
    return estimators


def _padded_descent(jobs: list[tuple[NeuronPursuitRegressor, FeedForward, torch.Tensor]]) -> list[DescentRun]:
    """The gradient descents of several runs as one program on nets zero-padded to the widest width per layer."""
    first = jobs[0][0]
    widths = tuple(max(net.widths[k] for _, net, _ in jobs) for k in range(len(jobs[0][1].widths)))
    wide = FeedForward(widths, jobs[0][1].activation)
    U = torch.stack([wide.flatten([torch.nn.functional.pad(W, (0, wide.shapes[k][1] - W.shape[1], 0, wide.shapes[k][0] - W.shape[0]))
                                   for k, W in enumerate(net.split(u))]) for _, net, u in jobs])
    eta = torch.tensor([est.gd_step_size for est, _, _ in jobs], dtype=U.dtype, device=U.device)
    tol = torch.tensor([est.gd_tol * est._loss_origin for est, _, _ in jobs], dtype=U.dtype, device=U.device)
    run = gradient_descent(wide, U, torch.stack([est._X for est, _, _ in jobs]), torch.stack([est._Y for est, _, _ in jobs]),
                           step_size=eta, steps=first.gd_steps, scale=first._scale, tol=tol)
    out = []
    for i, (_, net, _) in enumerate(jobs):
        Ws = [W[: net.shapes[k][0], : net.shapes[k][1]] for k, W in enumerate(wide.split(run.u[i]))]
        stop = int(run.stopped_at[i])
        out.append(DescentRun(net.flatten(Ws), run.losses[: stop + 1, i], run.converged[i], run.finite, stopped_at=run.stopped_at[i]))
    return out


class SmallInitGDRegressor(_HomogeneousRegressor):
    """The baseline of np §5.2.1 / §C.1: full-batch GD from small initialisation at fixed width.

    The net has ``hidden_width`` neurons in every hidden layer (paper: 50); the initial weights are one
    point uniform on the sphere of radius ``init_radius`` in the space of all parameters (digest §3.7
    item 6); GD with step ``step_size`` runs until the relative training error is below ``tol`` or for
    ``max_steps`` steps (paper: 0.001 and 3·10⁶). Loss, device, dtype, random_state and verbose as in
    :class:`NeuronPursuitRegressor`; with ``warm_start`` a second ``fit`` continues from the fitted weights.

    Attributes: weights_, hidden_widths_, n_iter_ (GD steps, all fits), history_ (one dict per fit: steps,
    loss, train_error, converged), loss_curve_, stop_reason_, train_error_.
    """

    def __init__(
        self,
        depth: int = 3,
        hidden_width: int = 50,
        alpha: float = 0.0,
        p: int = 1,
        *,
        init_radius: float = 0.01,
        step_size: float = 0.005,
        max_steps: int = 3_000_000,
        tol: float = 1e-3,
        loss_reduction: str = "mean",
        warm_start: bool = False,
        device: str = "auto",
        dtype: str = "float64",
        random_state=None,
        verbose: bool = False,
    ) -> None:
        self.depth = depth
        self.hidden_width = hidden_width
        self.alpha = alpha
        self.p = p
        self.init_radius = init_radius
        self.step_size = step_size
        self.max_steps = max_steps
        self.tol = tol
        self.loss_reduction = loss_reduction
        self.warm_start = warm_start
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y) -> SmallInitGDRegressor:
        """Run gradient descent on (X, y) from a small random initialisation (or the fitted weights)."""
        check_positive_int("depth", self.depth, minimum=2)
        check_positive_int("hidden_width", self.hidden_width)
        self._activation()
        for name in ("init_radius", "step_size", "tol"):
            check_positive(name, getattr(self, name))
        check_positive_int("max_steps", self.max_steps, minimum=0)
        torch_dtype(self.dtype)
        continuing = self.warm_start and hasattr(self, "weights_")
        X, Y = self._validated_fit_data(X, y) if not continuing else self._validated_refit_data(X, y)
        dev, dtype = resolve_device(self.device), torch_dtype(self.dtype)
        Xt = torch.as_tensor(X, dtype=dtype, device=dev)
        Yt = torch.as_tensor(Y, dtype=dtype, device=dev)
        scale = loss_scale(self.loss_reduction, *Y.shape)
        net = self._net((self.hidden_width,) * (self.depth - 1))
        if continuing:
            u = net.flatten([torch.as_tensor(W, dtype=dtype, device=dev) for W in self.weights_])
        else:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
            u = self.init_radius * net.random_unit(1, torch.Generator().manual_seed(seed), dev)[0].to(dtype)
            self.history_, self.loss_curve_, self.n_iter_ = [], np.empty(0), 0
        loss_origin = float(scale * (Yt**2).sum())
        with tqdm(total=self.max_steps, disable=not self.verbose, desc="small-init GD", unit="step") as bar:
            run = gradient_descent(net, u, Xt, Yt, step_size=self.step_size, steps=self.max_steps, scale=scale,
                                   target_loss=self.tol**2 * loss_origin, progress=bar)
        self.weights_ = [W.cpu().numpy().copy() for W in net.split(run.u)]
        self.hidden_widths_ = tuple(net.widths[1:-1])
        self.train_error_ = relative_error(net(run.u, Xt), Yt)
        self.n_iter_ += run.steps
        self.loss_curve_ = np.concatenate([self.loss_curve_, run.losses.numpy()])
        self.history_.append(dict(steps=run.steps, loss=float(run.losses[-1]), train_error=self.train_error_,
                                  converged=bool(run.converged), finite=run.finite))
        if not run.finite:
            self.stop_reason_ = "gradient descent overflowed (lower step_size)"
            warnings.warn(f"small-init GD stopped: {self.stop_reason_}", ConvergenceWarning, stacklevel=2)
        elif self.train_error_ < self.tol:
            self.stop_reason_ = f"relative training error {self.train_error_:.3g} < tol = {self.tol:g}"
        else:
            self.stop_reason_ = f"reached max_steps = {self.max_steps}"
        return self

    def _validated_refit_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Warm start: the data must match the fitted network's input and output dimensions."""
        n_outputs = self.n_outputs_
        X, Y = self._validated_fit_data(X, y)
        if X.shape[1] != self.weights_[0].shape[1] or Y.shape[1] != n_outputs:
            raise InputError(f"warm_start needs data with {self.weights_[0].shape[1]} features and {n_outputs} outputs")
        return X, Y


# ---------------------------------------------------------------------------------------------------------
# np §D.5: Neuron Pursuit on two-layer diagonal linear networks (= Orthogonal Matching Pursuit)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class DiagonalPursuit:
    """Outcome of :func:`diagonal_neuron_pursuit`.

    support: neurons (= features) in the order NP added them; coef_path: (iterations, d) the products v⊙u
    at the end of every iteration; ncf_max: the dominant per-neuron NCF value of every iteration;
    gd_steps / gd_converged: per iteration; v, u: final weights.
    """

    support: list[int]
    coef_path: np.ndarray
    ncf_max: list[float]
    gd_steps: list[int]
    gd_converged: list[bool]
    v: np.ndarray
    u: np.ndarray


def diagonal_neuron_pursuit(
    X,
    y,
    n_iter: int,
    *,
    delta: float = 0.01,
    gd_step_size: float = 0.001,
    gd_steps: int = 200_000,
    gd_tol: float = 1e-12,
    restarts: int = 4,
    ascent_steps: int = 200,
    random_state=None,
    device: str = "auto",
) -> DiagonalPursuit:
    """np §D.5: Neuron Pursuit for H(x; v, u) = xᵀ(v ⊙ u) with the loss ½‖X(v⊙u) − y‖² (§D.5's convention).

    Neuron j has incoming weight u_j and outgoing weight v_j and sees coordinate j only, so each neuron
    has its own constrained NCF max_{u²+v²=1} v·u·X[:,j]ᵀr (value |X[:,j]ᵀr|/2; digest correction 18),
    the constrained NCF of the one-neuron linear net (1, 1, 1) on the data X[:, j], maximised by
    :func:`verify.kkt.constrained_ncf_max` with R restarts as one batch.
    Every iteration (the first included: the single-neuron start of Algorithm 1 is not available in a
    diagonal net) adds the inactive neuron with the largest value at δ·(û, v̂) and runs GD on all neurons
    (inactive ones are exact fixed points at 0) for at most ``gd_steps`` steps, until ‖∇‖ <= gd_tol.
    Defaults: §D.5's δ = 0.01 and step 0.001. NP stops early, with a warning, if the dominant value is not
    positive (the residual is orthogonal to every inactive column).
    """
    dev = resolve_device(device)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=DTYPE, device=dev)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float64), dtype=DTYPE, device=dev).reshape(-1)
    if Xt.ndim != 2 or Xt.shape[0] != yt.shape[0] or not (torch.isfinite(Xt).all() and torch.isfinite(yt).all()):
        raise InputError(f"X must be a finite (n, d) array and y a finite (n,) array, got {tuple(Xt.shape)} and {tuple(yt.shape)}")
    n_iter = check_positive_int("n_iter", n_iter)
    check_positive("delta", delta)
    check_positive("gd_step_size", gd_step_size)
    rng = check_random_state(random_state)
    d = Xt.shape[1]
    neuron = FeedForward((1, 1, 1), Activation(1.0, 1))  # parameters (u_j, v_j): H = v_j·u_j·x_j
    v = torch.zeros(d, dtype=DTYPE, device=dev)
    u = torch.zeros(d, dtype=DTYPE, device=dev)
    support, path, values, steps, converged = [], [], [], [], []
    with small_problem_threads(Xt):
        for _ in range(min(n_iter, d)):
            residual = yt - Xt @ (v * u)
            best = None  # (value, j, (û, v̂)); ties go to the lower index, like OMP's argmax
            for j in (c for c in range(d) if c not in support):
                found = constrained_ncf_max(neuron, Xt[:, j : j + 1], residual, restarts=restarts, steps=ascent_steps,
                                            seed=int(rng.randint(2**31 - 1)), device=dev, certify=False)
                if best is None or float(found.value[0]) > best[0]:
                    best = (float(found.value[0]), j, found.u[0])
            n_max, j, (u_hat, v_hat) = best
            if n_max <= 0:
                warnings.warn(f"diagonal Neuron Pursuit stopped: the dominant NCF value {n_max:.3g} is not positive",
                              ConvergenceWarning, stacklevel=2)
                break
            support.append(j)
            values.append(n_max)
            u[j], v[j] = delta * u_hat, delta * v_hat
            u, v, k, done = _diagonal_descent(Xt, yt, u, v, gd_step_size, gd_steps, gd_tol)
            path.append((v * u).cpu().numpy())
            steps.append(k)
            converged.append(done)
    return DiagonalPursuit(support, np.array(path).reshape(-1, d), values, steps, converged, v.cpu().numpy(), u.cpu().numpy())


def _diagonal_descent(X, y, u, v, step_size, steps, tol, check_every: int = 50):
    """GD on ½‖X(v⊙u) − y‖²: ∇_u = (Xᵀr)⊙v, ∇_v = (Xᵀr)⊙u with r = X(v⊙u) − y; stops once ‖∇‖ <= tol."""
    k = 0
    for k in range(steps + 1):
        g = X.T @ (X @ (v * u) - y)
        grad_u, grad_v = g * v, g * u
        if k % check_every == 0 and float(torch.sqrt((grad_u**2).sum() + (grad_v**2).sum())) <= tol:
            return u, v, k, True
        if k < steps:
            u, v = u - step_size * grad_u, v - step_size * grad_v
    return u, v, k, False
