"""NCF trajectories measured at grid times, for edc Lemmas 12 and 13 (lemma12.py, lemma13.py): one home for both.

Along the NCF flow du/dt = ∇N(u) (edc eq. 4, verify.flow.ncf_flow) the two lemmas decide integral identities and
monotonicity at grid times t_j. :func:`measure_path` integrates the flow once per tolerance with verify.flow.integrate
(scipy DOP853, dense output at the grid) and carries the integrals ∫_0^t ‖∇N(u)‖² ds and ∫_0^t N(u) ds as quadratures
riding along (extra state components under the same step control), at (rtol, rtol/100) and at both divided by 100
(verify.flow.two_tolerances: the floor of every quantity is its change between the two). Both quadratures are made from
the field's own evaluation of (N, ∇N) (verify.flow.POTENTIAL, FieldQuadrature): one backpropagation per stage.

:func:`smooth_ncf_problems` draws the nets both lemmas are checked on: smooth ones (locally Lipschitz ∇N, Assumption 1),
of degree L ∈ {2, 3, 4, 7}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from verify.activations import Activation
from verify.flow import POTENTIAL, FieldQuadrature, FlowStatus, integrate, ncf_flow, two_tolerances
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, FeedForward
from verify.strategies import TARGETS, NCFProblem, activations, datasets, ncf_problems

RTOL = 1e-10  # the coarse tolerance (atol = rtol/100); the fine one is 100× smaller
MAX_STEPS = 20_000  # per integration; a run that needs more ends there and the later grid times are undecided
ROWS = ("N", "norm2", "speed", "integral_N", "summands")  # the quantities of :class:`PathMeasure`, in this order
SLOPES = (0.0, 0.1, 0.5, 1.0, -0.3)  # α of σ = max(x, αx)^p for p ≥ 2
SMOOTH_TEXT = (
    "Smooth homogeneous feed-forward nets (∇N locally Lipschitz, edc Assumption 1): linear (α = 1, p = 1) of depth 2 or 3 "
    "(L = 2, 3); depth 2 with σ(x) = max(x, αx)^p, p ∈ {2, 3} (L = 3, 4: squared and cubed (leaky) ReLU and monomials); "
    "depth 3 with p = 2 (L = 7); α ∈ {0, 0.1, 0.5, 1, −0.3}; hidden widths 1–4 (1–3 at depth 3); n 4–10 samples in d 2–4 "
    "from the default data families, z Gaussian or structured, except the targets that make N ≡ 0 (alternating labels, "
    "which cancel on duplicated data, and for linear nets targets orthogonal to X's columns)"
)


def smooth_ncf_problems() -> st.SearchStrategy[NCFProblem]:
    """NCF problems on smooth homogeneous nets of degree L ∈ {2, 3, 4, 7} (:data:`SMOOTH_TEXT`)."""
    data = datasets(n=(4, 10), d=(2, 4))
    # targets that make N ≡ 0 (every start a rest point, the instance undecided) are left out: alternating labels on
    # duplicated data (for every net) or on the circle (linear nets), and, for a linear net (N(u) = W_L…W_1Xᵀz), any
    # target orthogonal to X's columns
    targets = tuple(k for k in TARGETS if k != "alternating")
    shallow = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=activations(alphas=SLOPES, ps=(2, 3)), targets=targets)
    deep = ncf_problems(data=data, depths=(3,), widths=(1, 3), activation=activations(alphas=SLOPES, ps=(2,)), targets=targets)
    linear = ncf_problems(data=data, depths=(2, 3), widths=(1, 4), activation=st.just(Activation(1.0, 1)),
                          targets=tuple(k for k in targets if k != "orthogonal"))
    return st.one_of(shallow, deep, linear)


@dataclass(frozen=True)
class PathMeasure:
    """One trajectory from u0 measured at the grid times (:func:`measure_path`).

    value (fine tolerance) and coarse: arrays (5, m), rows :data:`ROWS` — N(u(t_j)), ‖u(t_j)‖², ∫_0^{t_j}‖∇N‖², ∫_0^{t_j}N
    and Σ|z ⊙ H(X; u(t_j))| (the size of the terms N sums, its rounding scale) —, NaN at times a run did not reach;
    reached: the grid times both runs reached (the horizon ends where an integration stopped); ends: why a run
    stopped early; nfev: right-hand-side evaluations of both runs.
    """

    times: np.ndarray
    value: np.ndarray
    coarse: np.ndarray
    reached: np.ndarray
    ends: tuple[str, ...]
    nfev: int

    def row(self, name: str, fine: bool = True) -> np.ndarray:
        """The quantity ``name`` (:data:`ROWS`) at the grid times, at the fine (or the coarse) tolerance."""
        return (self.value if fine else self.coarse)[ROWS.index(name)]

    def floor(self, name: str) -> np.ndarray:
        """|fine − coarse| of the quantity ``name`` at the grid times."""
        return np.abs(self.row(name) - self.row(name, fine=False))


def measure_path(net: FeedForward, X: torch.Tensor, z: torch.Tensor, u0: torch.Tensor, times: np.ndarray, *,
                 rtol: float = RTOL, max_steps: int = MAX_STEPS) -> PathMeasure:
    """Integrate du/dt = ∇N(u) from u0 to times[-1] at (rtol, rtol/100) and at both/100 and measure :data:`ROWS` at
    ``times`` (sorted, in (0, horizon]); the horizon must lie before any blow-up (verify.flow.probe_horizon)."""
    times = np.asarray(times, dtype=np.float64)
    base = ncf_flow(net, X, z)
    ends: list[str] = []
    nfev = [0]

    def measure(rtol_: float, atol_: float) -> np.ndarray:
        # both integrands reuse the field's own evaluation of (N, ∇N) (the NCF flow's potential is N)
        quadratures = {"speed": FieldQuadrature(lambda _N, velocity: velocity.square().sum(-1)), "integral_N": POTENTIAL}
        path = integrate(base, u0, float(times[-1]), rtol=rtol_, atol=atol_, t_eval=times, quadratures=quadratures,
                         max_steps=max_steps)
        nfev[0] += path.nfev
        if path.status is not FlowStatus.SUCCESS:
            ends.append(f"{path.status}: {path.message}")
        out = np.full((len(ROWS), len(times)), math.nan)
        if len(path.t):
            U = torch.as_tensor(path.u, dtype=DTYPE)
            N, _ = ncf_and_grad(net, U, X, z)
            summands = (z.reshape(X.shape[0], -1).abs() * net(U, X).abs()).sum((-2, -1))
            out[:, :len(path.t)] = [N.numpy(), (path.u**2).sum(1), path.quad["speed"], path.quad["integral_N"], summands.numpy()]
        return out

    tt = two_tolerances(measure, rtol=rtol, atol=rtol / 100)
    reached = np.isfinite(tt.value).all(0) & np.isfinite(tt.coarse).all(0)
    return PathMeasure(times, tt.value, tt.coarse, reached, tuple(dict.fromkeys(ends)), nfev[0])
