"""Gradient flow: a trusted scipy reference, a batched torch integrator, blow-up on the sphere, error floors.

The flows (:class:`Flow`), for a function F: R^k → R with autograd (or hand-written) gradient and a sign σ = ±1,

    du/dt = σ·∇F(u)        (σ = +1 ascent, σ = −1 descent; G := σF is the potential that increases),

built by :func:`gradient_flow` (your F), :func:`ncf_flow` (N(u) = zᵀH(X; u), edc eq. 4: ascent, L = p̂) and
:func:`loss_flow` (the squared loss L(W) = c‖Y − H(X; W)‖²_F of verify.pursuit, the one home of that loss: descent,
started from δ·w0, :func:`training_start`).

**Reference integrator** (:func:`integrate`): ``scipy.integrate.solve_ivp`` with method DOP853 (8th order, error
estimator of orders 5 and 3), float64, dense output, events; the tolerances rtol/atol are arguments (defaults 1e-10 and
1e-12) and are recorded in the result. Quadratures ∫ q(u(s)) ds ride along as extra state components, so they share
the step control (``quadratures``); :data:`POTENTIAL` and :class:`FieldQuadrature` integrands reuse the field's own
evaluation of (G, ∇G) instead of evaluating the gradient again.

**Blow-up by reparametrisation** (:func:`blow_up`). For an L-homogeneous G with L > 2 (Euler: ∇G(u) = ‖u‖^{L−1}∇G(s),
uᵀ∇G(u) = L·G(u), s = u/‖u‖) write u = e^ρ s. Then, with dt/dτ = ‖u‖^{−(L−2)} = e^{−(L−2)ρ},

    ds/dτ = ∇G(s) − (sᵀ∇G(s))·s  (= ∇G(s) − L·G(s)·s, the projected gradient on the sphere),
    dρ/dτ = sᵀ∇G(s)              (= L·G(s)),
    dt/dτ = e^{−(L−2)ρ}.

(From du/dt = e^{(L−1)ρ}∇G(s): ds/dt = (I − ssᵀ)(du/dt)/‖u‖ = e^{(L−2)ρ}(I − ssᵀ)∇G(s) and dρ/dt = sᵀ(du/dt)/‖u‖ =
e^{(L−2)ρ}sᵀ∇G(s); multiply by dt/dτ.) The state (s, ρ, t) stays O(1) in s, grows linearly in ρ and converges in t,
so nothing overflows and T* = lim_{τ→∞} t(τ) is finite. The integration stops once ρ − ρ0 ≥ ``rho_span`` and the
direction's KKT residual ‖(I − ssᵀ)∇G(s)‖/‖∇G(s)‖ ≤ ``kkt_tol``; the tail beyond τ_end is added in closed form,
∫_{τ_end}^∞ e^{−(L−2)ρ} dτ ≈ e^{−(L−2)ρ_end}/((L−2)·L·G(s_end)) (exact when G(s) is constant, e.g. in one dimension;
its relative size is e^{−(L−2)·rho_span}). The a-priori bound T* ≤ ‖u0‖²/(L(L−2)G(u0)) (edc Lemma 2, P4: G(s) is
non-decreasing along the flow) is :func:`blow_up_time_bound`; a horizon beyond it is refused (:class:`InputError`).

**Batched integrator** (:func:`integrate_batch`): H trajectories as one tensor program, an embedded Runge–Kutta pair
vectorised over the batch with *per-row* step-size control and status. It uses the DOP853 tableau, error norm and
step controller of scipy's DOP853 (coefficients read from ``scipy.integrate.DOP853``: nothing re-typed), so both
integrators run the same method at the same tolerance; only rows still running are evaluated. Statuses per row
(:class:`FlowStatus`): success, blow-up (‖u‖ ≥ ``blow_up_norm``), step-size underflow (h below 10 ulps of t), non-finite
state or field, step budget exhausted, sliding along a kink. Why not a library (DESIGN.md asks for a maintained one;
measured on torchode 1.0.1 with torch 2.13, two rows du/dt = u² and du/dt = −u on [0, 2]): torchode keeps per-row step
sizes, but its loop stops
the *whole batch* as soon as one row's status is not success (``continue_iterating & all(status == SUCCESS)``); with
``dt_min`` set a row that had already *finished* was reported REACHED_DT_MIN (its step clamped to 0) while the blowing-up
row was reported SUCCESS; evaluation points a stopped row never reached are returned as uninitialised memory (6.9e-310,
not NaN); there is no event/threshold to stop one row, and no 8th-order method (Dopri5/Tsit5 only: scipy's RK45, the
same Dopri5 pair, took 7–11× the steps and 4–6× the field evaluations of DOP853 at rtol 1e-12 on the 1-D blow-up and the
linear flow of tests/test_flow.py). torchdiffeq uses one step size for the whole batch. Neither meets "each trajectory its own step
size and status"; the pair here is ~150 lines and is checked against the scipy reference and closed forms
(tests/test_flow.py; benchmarks/flow.py measures time and accuracy against a scipy loop).

**Error floors** (:func:`two_tolerances`): a trajectory quantity is computed at (rtol, atol) and at (rtol, atol)/100;
the floor is |fine − coarse|. :meth:`TwoTolerances.entry` turns it into a :class:`verify.checker.Entry` through
verify.evidence.two_resolutions (a violation that shrinks with the tolerance is the statement holding; one that stays
put is a counterexample).

**ReLU-type flows** (σ = max(x, αx), p = 1, α ≠ 1): the vector field is discontinuous on the kinks {h = 0}. The
selection used is autograd's (verify/activations.py): σ′(0) = (c₋ + c₊)/2, one element of the Clarke subdifferential,
applied only where a pre-activation is exactly 0; everywhere else the classical gradient. This is a Clarke selection,
*not* the Filippov solution: where the two one-sided fields both push towards the kink, the true (Filippov) trajectory
slides along it with a convex combination of them that keeps h = 0, while an explicit integrator crosses and re-crosses
(chatters) with shrinking steps. Such a trajectory is not resolved: each result carries a :class:`KinkReport`, flagged
``sliding`` when some pre-activation stays within ``kink_tol``·(largest |pre-activation|) for ``kink_steps``
consecutive accepted steps, or changes sign ``kink_steps`` times, and the integration stops there with status SLIDING
(an explicit integrator would crawl on with ever smaller steps); a checker should then answer INCONCLUSIVE. (For p ≥ 2
σ is C¹, the field is locally Lipschitz and crossings are ordinary: DOP853's local order drops at a crossing, which the
two-tolerance floor measures.)

Bad input raises :class:`verify.errors.InputError` with one line: a non-finite or zero start, a start with G(u0) ≤ 0 for
:func:`blow_up`, tolerances ≤ 0, a horizon beyond the a-priori blow-up bound, a time beyond a detected blow-up
(:meth:`Trajectory.at`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import numpy as np
import torch
from scipy.integrate import DOP853, solve_ivp

from verify.checker import Entry
from verify.errors import InputError, check_positive, check_positive_int
from verify.evidence import two_resolutions
from verify.ncf import ncf
from verify.nets import DTYPE, FeedForward

Tensor = torch.Tensor
ValueAndGrad = Callable[[Tensor], tuple[Tensor, Tensor]]


class FlowStatus(str, Enum):
    """How an integration ended (per trajectory)."""

    SUCCESS = "success"
    BLOW_UP = "blow-up"
    STEP_UNDERFLOW = "step-size underflow"
    NON_FINITE = "non-finite"
    MAX_STEPS = "step budget exhausted"
    SLIDING = "sliding along a kink"

    def __str__(self) -> str:
        return self.value


# ------------------------------------------------------------------------------------------------
# flows
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flow:
    """du/dt = sign·∇F(u). ``value_and_grad`` maps a batch (B, k) to (F (B,), ∇F (B, k)), rows independent.

    degree: the homogeneity degree L of F when known (needed by :func:`blow_up`); kinks: maps (B, k) to the
    pre-activations (B, K) where the field is not smooth (ReLU-type nets), else None; name: for messages.
    """

    value_and_grad: ValueAndGrad
    sign: float = 1.0
    degree: float | None = None
    kinks: Callable[[Tensor], Tensor] | None = None
    name: str = "F"

    def potential(self, u: Tensor) -> tuple[Tensor, Tensor]:
        """(G(u), ∇G(u)) for G = sign·F, the function the flow increases."""
        value, grad = self.value_and_grad(u)
        return self.sign * value, self.sign * grad

    def velocity(self, u: Tensor) -> Tensor:
        """du/dt = sign·∇F(u) for a batch (B, k)."""
        return self.sign * self.value_and_grad(u)[1]


def gradient_flow(F: Callable[[Tensor], Tensor], *, ascent: bool = True, degree: float | None = None,
                  name: str = "F") -> Flow:
    """The flow du/dt = ±∇F(u) of a batched torch function F: (B, k) → (B,) (rows independent), gradient by autograd.

    ``degree``: F's homogeneity degree L, if F is positively L-homogeneous (enables :func:`blow_up`).
    """
    from verify.sphere import value_and_grad

    if not callable(F):
        raise InputError(f"F must be a callable mapping (B, k) tensors to (B,) values, got {F!r}")
    if degree is not None:
        degree = check_positive("degree", degree)
    return Flow(lambda u: value_and_grad(F, u), 1.0 if ascent else -1.0, degree, None, name)


def ncf_flow(net: FeedForward, X: Any, z: Any, *, device: Any = "cpu") -> Flow:
    """The NCF flow du/dt = ∇N(u), N(u) = zᵀH(X; u) (edc eq. 4), degree L = p̂ (verify.ncf.ncf_and_grad).

    For kinked σ the flow carries the hidden pre-activations as its kinks (sliding detection, module docstring).
    """
    from verify.errors import as_data, as_targets
    from verify.ncf import ncf_and_grad

    Xt = as_data(X, dtype=DTYPE, device=torch.device(device))
    zt = as_targets(z, Xt.shape[0], net.widths[-1], dtype=DTYPE, device=torch.device(device))
    kinks = _hidden_preactivations(net, Xt) if net.activation.kinked else None
    return Flow(lambda u: ncf_and_grad(net, u, Xt, zt), 1.0, float(net.degree), kinks, f"N (net {net})")


def loss_flow(net: FeedForward, X: Any, Y: Any, *, scale: float = 1.0, device: Any = "cpu") -> Flow:
    """Gradient descent flow dW/dt = −∇L(W) of L(W) = scale·‖Y − H(X; W)‖²_F (verify.pursuit.squared_loss).

    The gradient is verify.pursuit.loss_and_grad (the same loss, backpropagation written out, tested against
    autograd). Start it from δ·w0 with :func:`training_start`. Not homogeneous (no degree).
    """
    from verify.errors import as_data, as_targets
    from verify.pursuit import loss_and_grad

    scale = check_positive("scale", scale)
    Xt = as_data(X, dtype=DTYPE, device=torch.device(device))
    Yt = as_targets(Y, Xt.shape[0], net.widths[-1], dtype=DTYPE, device=torch.device(device), name="Y")
    kinks = _hidden_preactivations(net, Xt) if net.activation.kinked else None
    return Flow(lambda u: loss_and_grad(net, u, Xt, Yt, scale), -1.0, None, kinks, f"squared loss (net {net})")


def training_start(w0: Any, delta: float) -> Tensor:
    """The small initialisation δ·w0 (w0 finite and non-zero, δ > 0) as a float64 tensor."""
    delta = check_positive("delta", delta)
    return delta * _start(w0)


def direction_flow(flow: Flow) -> Flow:
    """A two-homogeneous flow in polar form, in the same time: the state (s, ρ), u = e^ρ·s, with

        ds/dt = ∇G(s) − (sᵀ∇G(s))·s,        dρ/dt = sᵀ∇G(s) = 2G(s)      (s is normalised inside the field),

    from du/dt = ∇G(u) = ‖u‖∇G(s) (∇G is one-homogeneous). ‖u‖ grows or decays like e^{2G t}; here nothing overflows or
    underflows and the direction's convergence is visible directly (dc2 Lemma 5.3). Start rows with (u0/‖u0‖, log‖u0‖).
    The potential reported is G(s).
    """
    if flow.degree != 2:
        raise InputError(f"direction_flow needs a two-homogeneous flow (degree 2), got degree {flow.degree!r}")

    def value_and_grad(y: Tensor) -> tuple[Tensor, Tensor]:
        s = y[..., :-1]
        s = s / s.norm(dim=-1, keepdim=True)
        value, grad = flow.potential(s)
        radial = (grad * s).sum(-1, keepdim=True)
        return value, torch.cat([grad - radial * s, radial], dim=-1)

    kinks = None
    if flow.kinks is not None:
        flow_kinks = flow.kinks

        def kinks(y: Tensor) -> Tensor:
            return flow_kinks(y[..., :-1])

    return Flow(value_and_grad, 1.0, None, kinks, f"direction and log-norm of {flow.name}")


def rescaled_training_flow(loss: Flow, ncf: Flow) -> Flow:
    """The training flow from δ·w0 at the NCF's scale, for many δ in one batch (edc eq. 7; dc2 Lemma 5.2's proof).

    A row of the state is (s, δ), δ ≥ 0 riding along as a constant component (zero velocity) so that every row of
    :func:`integrate_batch` carries its own δ. For δ > 0, s(t) = w(t/δ^{L−2})/δ where w is ``loss``'s descent flow from
    δ·w0 and L = ``ncf.degree``; by homogeneity (H(δs) = δ^L H(s), J(δs) = δ^{L−1}J(s))

        ds/dt = −∇L(δs)/δ^{L−1} = J(s)ᵀ(−ℓ′(δ^L H(s), y)),        and at δ = 0:  ds/dt = ∇N(s),

    the NCF flow of z = −ℓ′(0, y), its limit as δ → 0. Pairing ``loss`` with the NCF of its own −ℓ′(0, y) is the
    caller's part (for verify.flow.loss_flow with scale c: z = 2cY). The potential is (L(0) − L(δs))/δ^L, which tends to
    N(s). Start rows with :func:`rescaled_start`; the kinks are ``ncf``'s, of s.
    """
    L = ncf.degree
    if L is None or L < 2:
        raise InputError(f"the NCF flow must be L-homogeneous with L >= 2 (its degree), got {L!r}")
    if loss.sign != -1.0 or ncf.sign != 1.0:
        raise InputError("rescaled_training_flow needs a descent flow of the loss and the ascent flow of the NCF")

    def value_and_grad(y: Tensor) -> tuple[Tensor, Tensor]:
        s, delta = y[..., :-1], y[..., -1:]
        value, grad = ncf.value_and_grad(s)
        trained = delta[..., 0] > 0
        if bool(trained.any()):
            d = delta[trained]
            w = d * s[trained]
            loss_w, grad_w = loss.value_and_grad(w)
            loss_0 = loss.value_and_grad(torch.zeros_like(w[:1]))[0]
            value = value.clone()
            value[trained] = (loss_0 - loss_w) / d[:, 0] ** L
            grad = grad.clone()
            grad[trained] = -grad_w / d ** (L - 1)
        return value, torch.cat([grad, torch.zeros_like(delta)], dim=-1)

    kinks = None
    if ncf.kinks is not None:
        ncf_kinks = ncf.kinks

        def kinks(y: Tensor) -> Tensor:
            return ncf_kinks(y[..., :-1])

    return Flow(value_and_grad, 1.0, None, kinks, f"{loss.name} from δ·w0, rescaled to the NCF {ncf.name}")


def rescaled_start(w0: Any, deltas: Sequence[float]) -> Tensor:
    """The rows (w0, δ) of :func:`rescaled_training_flow`, one per δ ≥ 0 (w0 finite and non-zero)."""
    w = _start(w0)
    d = torch.as_tensor(np.asarray(deltas, dtype=np.float64), dtype=DTYPE)
    if d.ndim != 1 or d.numel() == 0 or not bool(torch.isfinite(d).all()) or bool((d < 0).any()):
        raise InputError(f"deltas must be a non-empty list of finite numbers >= 0, got {list(np.atleast_1d(deltas))}")
    return torch.cat([w.expand(len(d), -1), d[:, None]], dim=1)


def _hidden_preactivations(net: FeedForward, X: Tensor) -> Callable[[Tensor], Tensor]:
    def kinks(u: Tensor) -> Tensor:
        hs = net.preactivations(u, X)[:-1]
        return torch.cat([h.reshape(*h.shape[:-2], -1) for h in hs], dim=-1)

    return kinks


def blow_up_time_bound(flow: Flow, u0: Any) -> float:
    """T* ≤ ‖u0‖²/(L(L−2)G(u0)) for an L-homogeneous G = sign·F, L > 2, G(u0) > 0 (edc Lemma 2, P4); inf otherwise."""
    u = _start(u0)
    L = flow.degree
    if L is None or L <= 2:
        return math.inf
    G = float(flow.potential(u[None])[0][0])
    return float(u @ u) / (L * (L - 2) * G) if G > 0 else math.inf


# ------------------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------------------

def _start(u0: Any) -> Tensor:
    try:
        u = torch.as_tensor(np.asarray(u0, dtype=np.float64) if not torch.is_tensor(u0) else u0).to(DTYPE)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the start u0 must be a numeric vector: {exc}") from None
    if u.ndim != 1 or u.numel() == 0:
        raise InputError(f"the start u0 must be a non-empty vector, got shape {tuple(u.shape)}")
    if not torch.isfinite(u).all():
        raise InputError("the start u0 contains NaN or inf")
    if float(u.norm()) == 0:
        raise InputError("the start u0 is zero: every homogeneous flow stays at 0 (start from a non-zero point)")
    return u


def _tolerances(rtol: Any, atol: Any) -> tuple[float, float]:
    for name, v in (("rtol", rtol), ("atol", atol)):
        try:
            ok = math.isfinite(float(v)) and float(v) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InputError(f"tolerance {name} must be a finite number > 0, got {v!r}")
    if float(rtol) < 1e-15:
        raise InputError(f"rtol = {rtol!r} is below float64 resolution (use rtol >= 1e-15)")
    return float(rtol), float(atol)


def _horizon(flow: Flow, u: Tensor, t_end: Any) -> float:
    t_end = check_positive("horizon t_end", t_end)
    bound = blow_up_time_bound(flow, u)
    if t_end > bound:
        raise InputError(f"horizon t_end = {t_end:g} is beyond the blow-up time bound ‖u0‖²/(L(L−2)G(u0)) = {bound:.6g} of "
                         f"this L = {flow.degree:g} flow: the solution does not exist there (use blow_up())")
    return t_end


# ------------------------------------------------------------------------------------------------
# kinks
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KinkReport:
    """Kink behaviour along a trajectory of a ReLU-type flow (module docstring).

    sliding: some pre-activation stayed within ``kink_tol``·max|h| for ``kink_steps`` consecutive accepted steps or
    changed sign ``kink_steps`` times (the Filippov solution is not resolved: answer INCONCLUSIVE); longest_run: the
    longest such run; sign_changes: the largest number of sign changes of one pre-activation; crossings: all sign
    changes; checked: False for smooth flows (nothing to check).
    """

    sliding: bool = False
    longest_run: int = 0
    sign_changes: int = 0
    crossings: int = 0
    checked: bool = False


def _kink_report(h: Tensor, kink_tol: float, kink_steps: int) -> KinkReport:
    """From pre-activations h (steps, K) at consecutive accepted steps."""
    if h.shape[0] == 0 or h.shape[1] == 0:
        return KinkReport(checked=True)
    scale = h.abs().amax(dim=1, keepdim=True).clamp_min(torch.finfo(h.dtype).tiny)
    near = (h.abs() <= kink_tol * scale).to(torch.int64)
    run = torch.zeros_like(near[0])
    longest = torch.zeros_like(near[0])
    for row in near:  # consecutive near-kink steps per pre-activation
        run = (run + 1) * row
        longest = torch.maximum(longest, run)
    flips = ((h[1:] * h[:-1]) < 0).sum(dim=0) if h.shape[0] > 1 else torch.zeros_like(run)
    lr, sc = int(longest.max()), int(flips.max())
    return KinkReport(lr >= kink_steps or sc >= kink_steps, lr, sc, int(flips.sum()), True)


# ------------------------------------------------------------------------------------------------
# the scipy reference
# ------------------------------------------------------------------------------------------------

POTENTIAL = "potential"  # a quadrature that integrates G itself, reusing the field's own evaluation


@dataclass(frozen=True)
class FieldQuadrature:
    """A quadrature integrand of :func:`integrate` made from the field's own evaluation at no extra cost:
    ``of(G(u), du/dt)`` → (B,), for a batch G (B,) and du/dt (B, k) (e.g. ‖du/dt‖² for dN/dt = ‖∇N‖²)."""

    of: Callable[[Tensor, Tensor], Tensor]


@dataclass
class Trajectory:
    """A reference integration (:func:`integrate`).

    t: (n,) accepted step times (or ``t_eval`` when given), u: (n, k) the states there, quad: each quadrature
    ∫_0^t q(u(s)) ds at t; status, message: how it ended; t_reached: the last time reached (< t_end after a blow-up or
    a failure); events: the event times per event name; rtol, atol, method: the tolerances and method used; nfev;
    kinks: the :class:`KinkReport`; solution: scipy's dense output over [0, t_reached] (state = u then quadratures).
    """

    t: np.ndarray
    u: np.ndarray
    quad: dict[str, np.ndarray]
    status: FlowStatus
    message: str
    t_reached: float
    events: dict[str, np.ndarray]
    rtol: float
    atol: float
    method: str
    nfev: int
    kinks: KinkReport
    solution: Any = field(repr=False, default=None)

    def at(self, t: Any) -> np.ndarray:
        """Dense output u(t) (shape (k,) or (len(t), k)); a time beyond the reached one is an InputError."""
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if not np.all(np.isfinite(ts)) or ts.min() < 0 or ts.max() > self.t_reached:
            why = f" ({self.status}: {self.message})" if self.status is not FlowStatus.SUCCESS else ""
            raise InputError(f"t = {ts.max():g} is outside the integrated interval [0, {self.t_reached:.6g}]{why}")
        k = self.u.shape[1]
        out = self.solution(ts)[:k].T
        return out[0] if np.ndim(t) == 0 else out

    def quad_at(self, name: str, t: Any) -> np.ndarray:
        """Dense output of the quadrature ``name`` at t."""
        names = list(self.quad)
        if name not in names:
            raise InputError(f"unknown quadrature {name!r}: this trajectory has {names}")
        self.at(t)  # range check
        return self.solution(np.asarray(t, dtype=np.float64))[self.u.shape[1] + names.index(name)]


class _NumpyField:
    """A batched torch field as solve_ivp's fun(t, y); remembers the last t at which it was not finite."""

    def __init__(self, fun: Callable[[Tensor], Tensor]) -> None:
        self.fun = fun
        self.nonfinite_at = -math.inf

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        out = self.fun(torch.as_tensor(y, dtype=DTYPE)[None])[0].detach().cpu().numpy()
        if not np.all(np.isfinite(out)):
            self.nonfinite_at = max(self.nonfinite_at, float(t))
        return out


def _ended(sol: Any, f: _NumpyField, t_reached: float) -> tuple[FlowStatus, str]:
    """Status of a solve_ivp run that failed (sol.status == -1)."""
    if f.nonfinite_at >= t_reached:
        return FlowStatus.NON_FINITE, f"the vector field is not finite just after t = {t_reached:.9g} ({sol.message})"
    return FlowStatus.STEP_UNDERFLOW, sol.message


class _StepMonitor:
    """A terminal solve_ivp event that watches every accepted step: it stops the integration once ``max_steps`` steps
    were taken or (for a flow with kinks) a pre-activation slides along / chatters across a kink (module docstring).

    solve_ivp evaluates events once at each accepted step's end (and, for an active event only, inside the step while
    locating it); a call at a time beyond the last one is a new step. It returns −1 until it fires and +1 from the
    step where it fired on, so the event is located exactly at that step's end.
    """

    terminal = True
    direction = 0.0

    def __init__(self, kinks: Callable[[Tensor], Tensor] | None, k: int, max_steps: int, kink_tol: float, kink_steps: int):
        self.kinks, self.k, self.max_steps, self.kink_tol, self.kink_steps = kinks, k, max_steps, kink_tol, kink_steps
        self.t_last, self.steps, self.t_stop, self.reason = -math.inf, 0, math.inf, ""
        self.prev: Tensor | None = None
        self.run: Tensor | None = None
        self.flips: Tensor | None = None
        self.longest = 0

    def __call__(self, t: float, y: np.ndarray) -> float:
        if t > self.t_last and self.t_stop == math.inf:
            self.t_last = t
            self.steps += 1
            if self.kinks is not None and np.all(np.isfinite(y[: self.k])):
                h = self.kinks(torch.tensor(y[: self.k], dtype=DTYPE)[None])[0].clone()
                near = h.abs() <= self.kink_tol * h.abs().max().clamp_min(torch.finfo(DTYPE).tiny)
                self.run = torch.where(near, (self.run if self.run is not None else 0) + 1, 0)
                self.flips = (self.flips if self.flips is not None else 0) + ((h * self.prev < 0) if self.prev is not None else 0)
                self.prev = h
                self.longest = max(self.longest, int(self.run.max()) if self.run.numel() else 0)
                flips = int(torch.as_tensor(self.flips).max()) if torch.as_tensor(self.flips).numel() else 0
                if self.longest >= self.kink_steps or flips >= self.kink_steps:
                    self.t_stop, self.reason = t, "sliding"
            if self.steps >= self.max_steps and self.t_stop == math.inf:
                self.t_stop, self.reason = t, "steps"
        return 1.0 if t >= self.t_stop else -1.0


def integrate(
    flow: Flow,
    u0: Any,
    t_end: float,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    t_eval: Sequence[float] | None = None,
    events: Mapping[str, Callable[[float, np.ndarray], float]] | None = None,
    quadratures: Mapping[str, Callable[[Tensor], Tensor] | str | FieldQuadrature] | None = None,
    blow_up_norm: float = 1e12,
    max_step: float = math.inf,
    max_steps: int = 100_000,
    kink_tol: float = 1e-9,
    kink_steps: int = 20,
) -> Trajectory:
    """Integrate du/dt = sign·∇F(u) from u0 on [0, t_end] with scipy's solve_ivp, DOP853, float64, dense output.

    ``events``: name → g(t, u) (u of shape (k,)); attributes ``terminal``/``direction`` on g are honoured as in
    solve_ivp. ``quadratures``: name → q, q mapping a batch (B, k) to (B,), or :data:`POTENTIAL` (G = sign·F itself), or
    a :class:`FieldQuadrature` (a function of G and du/dt); ∫_0^t q(u(s)) ds is integrated as an extra state component
    (the last two reuse the field's evaluation).
    ‖u‖ ≥ ``blow_up_norm`` stops the integration with status BLOW_UP (a terminal event); a horizon
    beyond the a-priori blow-up bound of a homogeneous flow is an InputError. More than ``max_steps`` accepted steps
    stop it with MAX_STEPS, and a trajectory found sliding along a kink (``kink_tol``, ``kink_steps``; module docstring)
    stops with SLIDING: an explicit integrator would otherwise crawl along the kink with ever smaller steps.
    """
    u = _start(u0)
    rtol, atol = _tolerances(rtol, atol)
    t_end = _horizon(flow, u, t_end)
    blow_up_norm = check_positive("blow_up_norm", blow_up_norm)
    kink_steps = check_positive_int("kink_steps", kink_steps)
    max_steps = check_positive_int("max_steps", max_steps)
    if blow_up_norm <= float(u.norm()):
        raise InputError(f"blow_up_norm = {blow_up_norm:g} is not above ‖u0‖ = {float(u.norm()):.6g}")
    k = u.numel()
    quads = dict(quadratures or {})
    for name, q in quads.items():
        if not (callable(q) or isinstance(q, FieldQuadrature) or q == POTENTIAL):
            raise InputError(f"quadrature {name!r} must be a callable of u, {POTENTIAL!r} or a FieldQuadrature, got {q!r}")
    user_events = dict(events or {})

    def integrand(q: Any, x: Tensor, value: Tensor, velocity: Tensor) -> Tensor:
        if isinstance(q, FieldQuadrature):
            return q.of(value, velocity)
        return value if isinstance(q, str) else q(x)

    def field_(y: Tensor) -> Tensor:
        x = y[..., :k]
        value, velocity = flow.potential(x)  # G = sign·F and ∇G = du/dt
        parts = [velocity] + [integrand(q, x, value, velocity)[..., None] for q in quads.values()]
        return torch.cat(parts, dim=-1)

    f = _NumpyField(field_)

    def blow(_t: float, y: np.ndarray) -> float:
        return float(np.log(np.linalg.norm(y[:k])) - np.log(blow_up_norm)) if np.all(np.isfinite(y[:k])) else 1.0

    blow.terminal, blow.direction = True, 1.0  # type: ignore[attr-defined]
    wrapped = []
    for g in user_events.values():
        def ev(t: float, y: np.ndarray, g=g) -> float:
            return float(g(t, y[:k]))

        ev.terminal = getattr(g, "terminal", False)  # type: ignore[attr-defined]
        ev.direction = getattr(g, "direction", 0.0)  # type: ignore[attr-defined]
        wrapped.append(ev)
    y0 = np.concatenate([u.numpy(), np.zeros(len(quads))])
    if not np.all(np.isfinite(f(0.0, y0))):
        raise InputError(f"the vector field of {flow.name} (or a quadrature) is not finite at the start u0")
    with np.errstate(all="ignore"):
        monitor = _StepMonitor(flow.kinks, k, max_steps, kink_tol, kink_steps)
        sol = solve_ivp(f, (0.0, t_end), y0, method="DOP853", rtol=rtol, atol=atol, dense_output=True,
                        events=[blow, monitor, *wrapped], max_step=max_step)
    ys = sol.y
    finite = np.all(np.isfinite(ys), axis=0)
    t_steps, y_steps = sol.t[finite], ys[:, finite]
    t_reached = float(t_steps[-1])
    if sol.status == 1 and len(sol.t_events[0]):
        status, message = FlowStatus.BLOW_UP, f"‖u‖ reached {blow_up_norm:g} at t = {sol.t_events[0][0]:.9g}"
    elif sol.status == 1 and len(sol.t_events[1]):
        status, message = ((FlowStatus.SLIDING, f"a pre-activation slides along a kink from t ≈ {sol.t_events[1][0]:.6g}")
                           if monitor.reason == "sliding" else
                           (FlowStatus.MAX_STEPS, f"{max_steps} steps taken by t = {sol.t_events[1][0]:.6g}"))
    elif sol.status == 1:
        status, message = FlowStatus.SUCCESS, "stopped by a terminal event"
    elif sol.status == 0 and finite.all():
        status, message = FlowStatus.SUCCESS, "reached t_end"
    elif not finite.all():
        status, message = FlowStatus.NON_FINITE, "the state became non-finite"
    else:
        status, message = _ended(sol, f, t_reached)
    if t_eval is not None:
        te = np.asarray(t_eval, dtype=np.float64)
        if te.ndim != 1 or not np.all(np.isfinite(te)) or te.min(initial=0) < 0 or te.max(initial=0) > t_end:
            raise InputError(f"t_eval must be finite times in [0, t_end = {t_end:g}]")
        te = te[te <= t_reached]
        t_out, y_out = te, sol.sol(te) if len(te) else np.zeros((len(y0), 0))
    else:
        t_out, y_out = t_steps, y_steps
    kinks = KinkReport()
    if flow.kinks is not None:
        kinks = _kink_report(flow.kinks(torch.as_tensor(y_steps[:k].T, dtype=DTYPE)), kink_tol, kink_steps)
    names = ["blow-up", "monitor", *user_events]
    return Trajectory(t_out, y_out[:k].T.copy(), {n: y_out[k + i].copy() for i, n in enumerate(quads)}, status, message,
                      t_reached, {n: np.asarray(te_) for n, te_ in zip(names, sol.t_events)}, rtol, atol, "DOP853 (scipy)",
                      int(sol.nfev), kinks, sol.sol)


# ------------------------------------------------------------------------------------------------
# blow-up on the sphere
# ------------------------------------------------------------------------------------------------

@dataclass
class BlowUp:
    """The reparametrised integration of an L-homogeneous flow with G(u0) > 0, L > 2 (:func:`blow_up`).

    T_star: the blow-up time estimate t(τ_end) + tail; tail: the closed-form tail added; direction: s(τ_end), the limit
    direction's estimate; kkt_residual: its KKT residual on the sphere; tau, s, rho, t: the accepted steps (s (n, k),
    ρ = log‖u‖); quad: each quadrature ∫_0^t q(u/‖u‖) dt′ at the steps; status, converged (ρ − ρ0 ≥ rho_span and
    residual ≤ kkt_tol reached before tau_max); degree L; rtol, atol; nfev; solution: dense output in τ of the state
    (s, ρ, t, quadratures).
    """

    T_star: float
    tail: float
    direction: np.ndarray
    kkt_residual: float
    tau: np.ndarray
    s: np.ndarray
    rho: np.ndarray
    t: np.ndarray
    quad: dict[str, np.ndarray]
    status: FlowStatus
    converged: bool
    message: str
    degree: float
    rtol: float
    atol: float
    nfev: int
    kinks: KinkReport
    solution: Any = field(repr=False, default=None)

    def state(self, tau: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(s, ρ, t) at τ (dense output; s normalised)."""
        y = self.solution(np.asarray(tau, dtype=np.float64))
        k = self.s.shape[1]
        s = y[:k]
        return s / np.linalg.norm(s, axis=0), y[k], y[k + 1]

    def quad_at(self, name: str, tau: Any) -> np.ndarray:
        """The quadrature ``name`` (∫_0^{t(τ)} q(u/‖u‖) dt′) at τ (dense output)."""
        names = list(self.quad)
        if name not in names:
            raise InputError(f"unknown quadrature {name!r}: this blow-up has {names}")
        return self.solution(np.asarray(tau, dtype=np.float64))[self.s.shape[1] + 2 + names.index(name)]

    def at_log_norm(self, rho: float) -> tuple[float, np.ndarray, float]:
        """(τ, s, t) where log‖u‖ = rho (ρ is increasing in τ); rho outside [ρ0, ρ_end] is an InputError."""
        from scipy.optimize import brentq

        k = self.s.shape[1]
        if not self.rho[0] <= rho <= self.rho[-1]:
            raise InputError(f"log-norm {rho:g} is outside the integrated range [{self.rho[0]:.6g}, {self.rho[-1]:.6g}]")
        i = int(np.searchsorted(self.rho, rho))
        if self.rho[i] == rho:
            tau = float(self.tau[i])
        else:
            tau = brentq(lambda x: float(self.solution(x)[k]) - rho, self.tau[i - 1], self.tau[i], xtol=1e-15, rtol=1e-15)
        s, _, t = self.state(tau)
        return tau, s, float(t)

    def tau_integral(self, q: Callable[[np.ndarray, np.ndarray], np.ndarray], tau: float, nodes: int = 8) -> float:
        """∫_τ^{τ_end} q(s(τ′), ρ(τ′)) dτ′ by Gauss–Legendre with ``nodes`` nodes on every integration step (dense output).

        q maps directions (M, k) and log-norms (M,) to (M,) values, all nodes in one call. The steps were chosen for
        the integration's tolerance and the dense output is of order 7, so this is accurate to about the tolerance
        *relative to the integral itself* — unlike a difference of two integrated state components, whose error is
        relative to the components (e.g. t(τ_end) − t(τ) loses ~log10(T*/(T* − t)) digits).
        """
        if not self.tau[0] <= tau <= self.tau[-1]:
            raise InputError(f"τ = {tau:g} is outside the integrated range [0, {self.tau[-1]:.6g}]")
        x, w = np.polynomial.legendre.leggauss(nodes)
        edges = np.concatenate([[tau], self.tau[self.tau > tau]])
        if len(edges) < 2:
            return 0.0
        a, b = edges[:-1, None], edges[1:, None]
        pts = (a + b) / 2 + (b - a) / 2 * x[None, :]
        weights = ((b - a) / 2 * w[None, :]).ravel()
        s, rho, _ = self.state(pts.ravel())
        return float(weights @ np.asarray(q(s.T, rho), dtype=np.float64))

    def remaining_time(self, tau: float) -> float:
        """T* − t(τ) = ∫_τ^{τ_end} e^{−(L−2)ρ} dτ′ + tail, computed as a quadrature (:meth:`tau_integral`), so its
        relative accuracy does not degrade as t → T*."""
        L = self.degree
        rho_tau = float(self.state(tau)[1])
        scaled = self.tau_integral(lambda _s, rho: np.exp(-(L - 2) * (rho - rho_tau)), tau)
        return scaled * math.exp(-(L - 2) * rho_tau) + self.tail

    def norm_at(self, t: float) -> float:
        """‖u(t)‖ for 0 ≤ t < t(τ_end) (physical time; InputError at or beyond it: the blow-up)."""
        from scipy.optimize import brentq

        if not 0 <= t < self.t[-1]:
            raise InputError(f"t = {t:g} is not in [0, {self.t[-1]:.9g}): the flow blows up at T* ≈ {self.T_star:.9g}")
        i = int(np.searchsorted(self.t, t))
        if self.t[i] == t:
            return float(np.exp(self.rho[i]))
        k = self.s.shape[1]
        tau = brentq(lambda x: float(self.solution(x)[k + 1]) - t, self.tau[i - 1], self.tau[i], xtol=1e-15, rtol=1e-15)
        return float(np.exp(self.state(tau)[1]))




def sphere_field(flow: Flow, quadratures: Sequence[Callable[[Tensor], Tensor] | str] = ()) -> Callable[[Tensor], Tensor]:
    """The reparametrised field in τ (module docstring) as a batched torch function of the state (s, ρ, t, Q_1, …):
    (s, ρ, t)' as above and Q_i' = q_i(s)·e^{−(L−2)ρ}, i.e. Q_i(τ) = ∫_0^{t(τ)} q_i(u(t′)/‖u(t′)‖) dt′; q_i =
    :data:`POTENTIAL` integrates G(s) = sign·F(s) with the value the field computes anyway."""
    L = flow.degree
    if L is None or L <= 2:
        raise InputError(f"blow-up reparametrisation needs an L-homogeneous flow with L > 2, got degree {L!r}")
    m = len(quadratures)
    for q in quadratures:
        if not (callable(q) or q == POTENTIAL):
            raise InputError(f"a quadrature must be a callable of the direction or {POTENTIAL!r}, got {q!r}")

    def f(y: Tensor) -> Tensor:
        s = y[..., : y.shape[-1] - 2 - m]
        rho = y[..., s.shape[-1] : s.shape[-1] + 1]
        s = s / s.norm(dim=-1, keepdim=True)
        value, g = flow.potential(s)
        radial = (g * s).sum(-1, keepdim=True)
        dt = torch.exp(-(L - 2) * rho)
        quads = [(value if isinstance(q, str) else q(s))[..., None] * dt for q in quadratures]
        return torch.cat([g - radial * s, radial, dt, *quads], dim=-1)

    return f


def blow_up(
    flow: Flow,
    u0: Any,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    rho_span: float = 40.0,
    kkt_tol: float | None = None,
    tau_max: float | None = None,
    quadratures: Mapping[str, Callable[[Tensor], Tensor] | str] | None = None,
    kink_tol: float = 1e-9,
    kink_steps: int = 20,
) -> BlowUp:
    """Integrate an L-homogeneous flow (L > 2) with G(u0) > 0 to its blow-up on the sphere (module docstring).

    Stops when ρ − ρ0 ≥ ``rho_span`` and the direction's KKT residual ≤ ``kkt_tol`` (default 10·rtol: below that the
    residual stalls at the integration error; then converged), or at τ = ``tau_max`` (default 50·rho_span/(L·G(s0));
    not converged). ``quadratures``: name → q of the direction (batched (B, k) → (B,)) or :data:`POTENTIAL` (G itself, at
    no extra cost); Q(t) = ∫_0^t q(u/‖u‖) dt′ in physical time rides along (:attr:`BlowUp.quad`,
    :meth:`BlowUp.quad_at`). G(u0) ≤ 0 is an InputError (blow-up is then not guaranteed: edc Lemma 2 P1 needs
    G(u(t0)) > 0).
    """
    u = _start(u0)
    rtol, atol = _tolerances(rtol, atol)
    rho_span = check_positive("rho_span", rho_span)
    kkt_tol = check_positive("kkt_tol", kkt_tol) if kkt_tol is not None else 10 * rtol
    kink_steps = check_positive_int("kink_steps", kink_steps)
    quads = dict(quadratures or {})
    f_t = sphere_field(flow, list(quads.values()))
    L = float(flow.degree)  # type: ignore[arg-type]
    s0 = u / u.norm()
    G0 = float(flow.potential(s0[None])[0][0])
    if not G0 > 0:
        raise InputError(f"blow_up needs G(u0) = sign·F(u0) > 0 (got {G0 * float(u.norm()) ** L:.3g}): "
                         "then the L-homogeneous flow blows up in finite time (edc Lemma 2, P1)")
    tau_max = check_positive("tau_max", tau_max) if tau_max is not None else 50 * rho_span / (L * G0)
    rho0 = math.log(float(u.norm()))
    k = u.numel()

    f = _NumpyField(f_t)

    def residual(y: np.ndarray) -> float:
        s = torch.as_tensor(y[:k], dtype=DTYPE)
        s = s / s.norm()
        _, g = flow.potential(s[None])
        g = g[0]
        gn = float(g.norm())
        return float((g - (g @ s) * s).norm()) / gn if gn > 0 else 0.0

    def done(_tau: float, y: np.ndarray) -> float:
        # crosses zero upwards once both the span and the residual are reached (the residual only once the span is)
        span = y[k] - rho0 - rho_span
        return span if span < 0 else min(span, math.log(kkt_tol) - math.log(max(residual(y), 1e-300)))

    done.terminal, done.direction = True, 1.0  # type: ignore[attr-defined]
    y0 = np.concatenate([s0.numpy(), [rho0, 0.0], np.zeros(len(quads))])
    if not np.all(np.isfinite(f(0.0, y0))):
        raise InputError(f"the vector field of {flow.name} is not finite at the start u0")
    with np.errstate(all="ignore"):
        sol = solve_ivp(f, (0.0, tau_max), y0, method="DOP853", rtol=rtol, atol=atol, dense_output=True, events=[done])
    finite = np.all(np.isfinite(sol.y), axis=0)
    ys = sol.y[:, finite]
    s = ys[:k] / np.linalg.norm(ys[:k], axis=0)
    rho, t = ys[k], ys[k + 1]
    end = ys[:, -1]
    G_end = float(flow.potential(torch.as_tensor(s[:, -1], dtype=DTYPE)[None])[0][0])
    tail = math.exp(-(L - 2) * end[k]) / ((L - 2) * L * G_end) if G_end > 0 else math.inf
    res = residual(end)
    converged = sol.status == 1 and bool(finite.all())
    if not finite.all():
        status, message = FlowStatus.NON_FINITE, "the reparametrised state became non-finite"
    elif sol.status == -1:
        status, message = _ended(sol, f, float(sol.t[-1]))
    else:
        status = FlowStatus.BLOW_UP
        message = (f"blow-up: ρ − ρ0 = {end[k] - rho0:.3g}, direction residual {res:.2g}" if converged else
                   f"not converged by τ = {tau_max:g}: ρ − ρ0 = {end[k] - rho0:.3g}, direction residual {res:.2g}")
    kinks = KinkReport()
    if flow.kinks is not None:
        kinks = _kink_report(flow.kinks(torch.as_tensor(s.T, dtype=DTYPE)), kink_tol, kink_steps)
    return BlowUp(float(end[k + 1] + tail), tail, s[:, -1].copy(), res, sol.t[finite], s.T.copy(), rho, t,
                  {n: ys[k + 2 + i].copy() for i, n in enumerate(quads)}, status, converged, message, L, rtol, atol,
                  int(sol.nfev), kinks, sol.sol)


# ------------------------------------------------------------------------------------------------
# the batched torch integrator
# ------------------------------------------------------------------------------------------------

_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0  # scipy's step controller constants


@dataclass
class BatchTrajectory:
    """H trajectories of :func:`integrate_batch`, each with its own step size and status.

    status: one :class:`FlowStatus` per row; t_reached (H,); u_end (H, k) the last accepted state; t_eval (m,) and
    u_eval (H, m, k) (NaN where a row did not reach the time); steps, rejected (H,) accepted and rejected steps;
    sliding (H,) the kink flag per row (module docstring); rtol, atol, method.
    """

    status: list[FlowStatus]
    t_reached: Tensor
    u_end: Tensor
    t_eval: Tensor
    u_eval: Tensor
    steps: Tensor
    rejected: Tensor
    sliding: Tensor
    rtol: float
    atol: float
    method: str = "DOP853 (batched torch, per-row step control)"


def _dop853_tableau(device: Any) -> dict[str, Tensor]:
    kw = dict(dtype=DTYPE, device=device)
    n = DOP853.n_stages
    return {"A": torch.as_tensor(DOP853.A[:n, :n], **kw), "B": torch.as_tensor(DOP853.B, **kw),
            "E3": torch.as_tensor(DOP853.E3, **kw),
            "E5": torch.as_tensor(DOP853.E5, **kw)}


def integrate_batch(
    flow: Flow,
    u0: Any,
    t_end: Any,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    t_eval: Sequence[float] | None = None,
    blow_up_norm: float = 1e12,
    max_steps: int = 100_000,
    kink_tol: float = 1e-9,
    kink_steps: int = 20,
    device: Any = "cpu",
) -> BatchTrajectory:
    """Integrate H flows du/dt = sign·∇F(u) from the rows of u0 (H, k) to t_end (a scalar or (H,)) at once.

    DOP853 (scipy's tableau, error norm and controller), each row with its own step size and status; a row stops on
    success (t = t_end), blow-up (‖u‖ ≥ ``blow_up_norm``), step-size underflow, a non-finite state or field,
    ``max_steps`` accepted+rejected steps, or sliding along a kink (flows with kinks; module docstring). Steps are
    shortened to land exactly on the ``t_eval`` times (shared by all
    rows). ``flow.value_and_grad`` must treat rows independently. Bad input is an InputError; a blow-up is a status
    of its row (unlike :func:`integrate`, a horizon beyond a row's a-priori blow-up bound is not refused: the row ends
    with status BLOW_UP while the others go on).
    """
    rtol, atol = _tolerances(rtol, atol)
    blow_up_norm = check_positive("blow_up_norm", blow_up_norm)
    max_steps = check_positive_int("max_steps", max_steps)
    kink_steps = check_positive_int("kink_steps", kink_steps)
    dev = torch.device(device)
    U = torch.as_tensor(np.asarray(u0, dtype=np.float64) if not torch.is_tensor(u0) else u0).to(DTYPE).to(dev)
    if U.ndim != 2 or U.shape[0] == 0 or U.shape[1] == 0:
        raise InputError(f"u0 must be a (H, k) batch of starts, got shape {tuple(U.shape)}")
    for i in range(U.shape[0]):
        try:
            _start(U[i].cpu())
        except InputError as exc:
            raise InputError(f"row {i}: {exc}") from None
    H, k = U.shape
    T = torch.as_tensor(t_end, dtype=DTYPE).to(dev).expand(H).clone()
    if not bool(torch.isfinite(T).all()) or bool((T <= 0).any()):
        raise InputError(f"horizon t_end must be finite and > 0 for every row, got {t_end!r}")
    te = torch.as_tensor(sorted(t_eval) if t_eval is not None else [], dtype=DTYPE).to(dev)
    if te.numel() and (not torch.isfinite(te).all() or float(te.min()) < 0 or float(te.max()) > float(T.max())):
        raise InputError("t_eval must be finite times in [0, max t_end]")
    tab = _dop853_tableau(dev)
    A, B, E3, E5 = tab["A"], tab["B"], tab["E3"], tab["E5"]  # gradient flows are autonomous: the nodes C are not needed
    n_st = A.shape[0]
    err_exp = -1.0 / (DOP853.error_estimator_order + 1)

    t = torch.zeros(H, dtype=DTYPE, device=dev)
    y = U.clone()
    f = flow.velocity(y)
    status = torch.zeros(H, dtype=torch.int64, device=dev)  # index into _CODES
    running = torch.ones(H, dtype=torch.bool, device=dev)
    steps = torch.zeros(H, dtype=torch.int64, device=dev)
    rejected = torch.zeros(H, dtype=torch.int64, device=dev)
    u_eval = torch.full((H, te.numel(), k), math.nan, dtype=DTYPE, device=dev)
    if te.numel():
        at0 = te == 0
        u_eval[:, at0] = y[:, None]
    # initial step (Hairer's rule, as scipy's select_initial_step), per row
    scale = atol + y.abs() * rtol
    d0, d1 = _rms(y / scale), _rms(f / scale)
    h0 = torch.where((d0 < 1e-5) | (d1 < 1e-5), torch.full_like(d0, 1e-6), 0.01 * d0 / d1.clamp_min(1e-300))
    h0 = torch.minimum(h0, T)
    f1 = flow.velocity(y + h0[:, None] * f)
    d2 = _rms((f1 - f) / scale) / h0
    h1 = torch.where((d1 <= 1e-15) & (d2 <= 1e-15), torch.maximum(torch.full_like(h0, 1e-6), h0 * 1e-3),
                     (0.01 / torch.maximum(d1, d2).clamp_min(1e-300)) ** (1.0 / (DOP853.error_estimator_order + 1)))
    h = torch.minimum(torch.minimum(100 * h0, h1), T)
    rejected_last = torch.zeros(H, dtype=torch.bool, device=dev)
    bad = ~torch.isfinite(f).all(-1)
    status[bad], running[bad] = _CODE[FlowStatus.NON_FINITE], False
    kink_prev = None
    kink_run = kink_long = kink_flips = None
    if flow.kinks is not None:
        kink_prev = flow.kinks(y).clone()  # a copy: kinks may return a view of the state
        kink_run = torch.zeros_like(kink_prev, dtype=torch.int64)
        kink_long = torch.zeros(H, dtype=torch.int64, device=dev)
        kink_flips = torch.zeros_like(kink_run)

    while bool(running.any()):
        idx = running.nonzero().squeeze(-1)
        ti, yi, fi, hi, Ti = t[idx], y[idx], f[idx], h[idx], T[idx]
        # land exactly on the next evaluation time and on t_end
        target = Ti
        if te.numel():
            nxt = torch.searchsorted(te, ti, right=True)
            has = nxt < te.numel()
            target = torch.where(has, torch.minimum(te[nxt.clamp(max=te.numel() - 1)], Ti), Ti)
        min_step = 10 * (torch.nextafter(ti, torch.full_like(ti, math.inf)) - ti)
        hi = torch.maximum(hi, min_step)
        hstep = torch.minimum(hi, target - ti)
        K = [fi]
        for s in range(1, n_st):
            dy = torch.stack(K, dim=-1) @ A[s, :s]
            K.append(flow.velocity(yi + hstep[:, None] * dy))
        Ks = torch.stack(K, dim=-1)
        y_new = yi + hstep[:, None] * (Ks @ B)
        f_new = flow.velocity(y_new)
        Ks = torch.cat([Ks, f_new[..., None]], dim=-1)
        scale = atol + torch.maximum(yi.abs(), y_new.abs()) * rtol
        e5 = ((Ks @ E5) / scale).square().sum(-1)
        e3 = ((Ks @ E3) / scale).square().sum(-1)
        denom = (e5 + 0.01 * e3).clamp_min(1e-300)
        err = torch.where((e5 == 0) & (e3 == 0), torch.zeros_like(e5), hstep.abs() * e5 / (denom * k).sqrt())
        finite = torch.isfinite(y_new).all(-1) & torch.isfinite(f_new).all(-1) & torch.isfinite(err)
        accept = (err < 1) & finite
        factor = torch.where(err == 0, torch.full_like(err, _MAX_FACTOR),
                             (_SAFETY * err.clamp_min(1e-300) ** err_exp).clamp(max=_MAX_FACTOR))
        factor = torch.where(rejected_last[idx], factor.clamp(max=1.0), factor)
        shrink = (_SAFETY * err.clamp_min(1e-300) ** err_exp).clamp(min=_MIN_FACTOR)
        shrink = torch.where(finite, shrink, torch.full_like(shrink, _MIN_FACTOR))
        h_next = torch.where(accept, hi * factor, hstep * shrink)
        t_new = torch.where(accept, ti + hstep, ti)
        y_acc = torch.where(accept[:, None], y_new, yi)
        f_acc = torch.where(accept[:, None], f_new, fi)
        t[idx], y[idx], f[idx], h[idx] = t_new, y_acc, f_acc, h_next
        rejected_last[idx] = ~accept
        steps[idx] += accept.to(torch.int64)
        rejected[idx] += (~accept).to(torch.int64)
        if te.numel():
            hit = accept[:, None] & (te[None, :] == t_new[:, None])
            if bool(hit.any()):
                r, c = hit.nonzero(as_tuple=True)
                u_eval[idx[r], c] = y_acc[r]
        if flow.kinks is not None:
            hk = flow.kinks(y_acc).clone()
            sc = hk.abs().amax(-1, keepdim=True).clamp_min(1e-300)
            near = (hk.abs() <= kink_tol * sc) & accept[:, None]
            run = torch.where(near, kink_run[idx] + 1, torch.where(accept[:, None], 0, kink_run[idx]))
            kink_run[idx] = run
            kink_long[idx] = torch.maximum(kink_long[idx], run.amax(-1))
            kink_flips[idx] += ((hk * kink_prev[idx] < 0) & accept[:, None]).to(torch.int64)
            kink_prev[idx] = torch.where(accept[:, None], hk, kink_prev[idx])
        # statuses of the rows that stop now (first reason wins)
        new = torch.zeros_like(idx)
        if flow.kinks is not None:
            slides = (kink_long[idx] >= kink_steps) | (kink_flips[idx].amax(-1) >= kink_steps)
            new = torch.where(slides, _CODE[FlowStatus.SLIDING], new)
        underflow = ~accept & (h_next < min_step)
        new = torch.where(underflow & ~finite, _CODE[FlowStatus.NON_FINITE], new)
        new = torch.where((new == 0) & accept & (y_acc.norm(dim=-1) >= blow_up_norm), _CODE[FlowStatus.BLOW_UP], new)
        new = torch.where((new == 0) & accept & (t_new >= Ti), _CODE[FlowStatus.SUCCESS] + 100, new)
        new = torch.where((new == 0) & underflow, _CODE[FlowStatus.STEP_UNDERFLOW], new)
        new = torch.where((new == 0) & (steps[idx] + rejected[idx] >= max_steps), _CODE[FlowStatus.MAX_STEPS], new)
        stop = new != 0
        status[idx] = torch.where(stop, new % 100, status[idx])
        running[idx] = ~stop

    sliding = torch.zeros(H, dtype=torch.bool, device=dev)
    if flow.kinks is not None:
        sliding = (kink_long >= kink_steps) | (kink_flips.amax(-1) >= kink_steps)
    codes = [_CODES[int(c)] for c in status.tolist()]
    return BatchTrajectory(codes, t, y, te, u_eval, steps, rejected, sliding, rtol, atol)


_CODES = [FlowStatus.SUCCESS, FlowStatus.BLOW_UP, FlowStatus.STEP_UNDERFLOW, FlowStatus.NON_FINITE, FlowStatus.MAX_STEPS,
          FlowStatus.SLIDING]
_CODE = {s: i for i, s in enumerate(_CODES)}


def _rms(x: Tensor) -> Tensor:
    return x.square().mean(-1).sqrt()


# ------------------------------------------------------------------------------------------------
# error floors from two tolerances
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TwoTolerances:
    """A quantity at (rtol, atol) (coarse) and at (rtol, atol)/factor (fine): value = fine, floor = |fine − coarse|."""

    value: np.ndarray
    coarse: np.ndarray
    floor: np.ndarray
    rtol: float
    atol: float
    factor: float

    def entry(self, claimed: float, label: str, scale: float | None = None, index: int | None = None) -> Entry:
        """The claim quantity = ``claimed`` as a :class:`verify.checker.Entry` (verify.evidence.two_resolutions)."""
        c = self.coarse if index is None else self.coarse.reshape(-1)[index]
        v = self.value if index is None else self.value.reshape(-1)[index]
        return two_resolutions(float(c), float(v), claimed, label, scale)


def two_tolerances(measure: Callable[[float, float], Any], *, rtol: float = 1e-10, atol: float = 1e-12,
                   factor: float = 100.0) -> TwoTolerances:
    """Run ``measure(rtol, atol)`` and ``measure(rtol/factor, atol/factor)``; the floor is |fine − coarse| (elementwise).

    ``measure`` returns a number or an array of numbers (e.g. a trajectory quantity at several times). A non-finite
    value gives a non-finite floor (the entry is then undecided).
    """
    rtol, atol = _tolerances(rtol, atol)
    factor = check_positive("factor", factor)
    if factor <= 1:
        raise InputError(f"factor must be > 1 (the fine run uses tolerances divided by it), got {factor!r}")
    _tolerances(rtol / factor, atol / factor)
    coarse = np.asarray(measure(rtol, atol), dtype=np.float64)
    fine = np.asarray(measure(rtol / factor, atol / factor), dtype=np.float64)
    if coarse.shape != fine.shape:
        raise InputError(f"measure returned shapes {coarse.shape} and {fine.shape} at the two tolerances")
    with np.errstate(invalid="ignore"):
        floor = np.abs(fine - coarse)
    return TwoTolerances(fine, coarse, floor, rtol, atol, factor)


# ------------------------------------------------------------------------------------------------
# starts and horizons for checkers
# ------------------------------------------------------------------------------------------------

def random_start(k: int, seed: int, radius: float) -> torch.Tensor:
    """radius·(a uniformly random unit vector of R^k from seed)."""
    u = torch.randn(k, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    return radius * u / u.norm()


def probe_horizon(flow: Flow, u0: torch.Tensor, log_change: float = 1.0, rtol: float = 1e-8) -> float:
    """A horizon T for the flow from u0 (L = flow.degree): the first time ‖u‖ has changed by the factor e^{±log_change},
    capped at 3·‖u0‖^{2−L}/‖∇G(u0/‖u0‖)‖ (the flow's own time scale) and at 0.9× the a-priori blow-up bound."""
    r0 = float(u0.norm())
    L = float(flow.degree)
    _, g0 = flow.potential((u0 / r0)[None])
    t_nat = r0 ** (2 - L) / max(float(g0.norm()), 1e-300)
    t_max = min(3 * t_nat, 0.9 * blow_up_time_bound(flow, u0))

    def changed(_t: float, u: np.ndarray) -> float:
        return abs(math.log(float(np.linalg.norm(u))) - math.log(r0)) - log_change

    changed.terminal, changed.direction = True, 1.0  # type: ignore[attr-defined]
    tr = integrate(flow, u0, t_max, rtol=rtol, atol=rtol * 1e-2 * r0, events={"changed": changed})
    if len(tr.events["changed"]):
        return float(tr.events["changed"][0])
    return t_max if tr.status is FlowStatus.SUCCESS else 0.5 * tr.t_reached


def positive_ncf_start(net: FeedForward, X: torch.Tensor, z: torch.Tensor, seed: int, radius: float = 1.0) -> torch.Tensor | None:
    """radius·(a random unit u from seed), with W_L negated if N(u) < 0 (N is linear in W_L), so that the NCF flow from it
    blows up (edc Lemma 2, P1); None when N(u) = 0 to rounding."""
    u = net.random_unit(1, torch.Generator().manual_seed(seed))[0]
    value = float(ncf(net, u, X, z))
    if value < 0:
        Ws = net.split(u)
        u = net.flatten([*Ws[:-1], -Ws[-1]])
        value = -value
    if not value > 1e-12 * float(z.abs().sum()) * max(1.0, float(X.abs().max()) ** net.degree):
        return None
    return radius * u


# ---------------------------------------------------------------------------------------------------------
# integrations computed once per process
# ---------------------------------------------------------------------------------------------------------

T = TypeVar("T")
_RUNS: OrderedDict[tuple, object] = OrderedDict()
CACHE_SIZE = 64  # integrations kept per process (each a few hundred steps of dense output)


def memo(key: tuple, compute: Callable[[], T]) -> T:
    """compute(), kept under ``key`` (least recently used dropped beyond CACHE_SIZE). A checker's mutants re-draw the
    statement's instances and change only how the claim reads the measurements, never the integration: the integrations
    of a start are computed once per process. Keys from :func:`flow_key`."""
    if key in _RUNS:
        _RUNS.move_to_end(key)
        return _RUNS[key]  # type: ignore[return-value]
    value = compute()
    _RUNS[key] = value
    while len(_RUNS) > CACHE_SIZE:
        _RUNS.popitem(last=False)
    return value


def flow_key(kind: str, net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, *args: object) -> tuple:
    """A cache key for an integration of the NCF flow of (net, X, z) from u0 (exact bytes of the arrays) with ``args``."""
    return (kind, net, X.numpy().tobytes(), z.numpy().tobytes(), torch.as_tensor(u0).numpy().tobytes(), *args)
