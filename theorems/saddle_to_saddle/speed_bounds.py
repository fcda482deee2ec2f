"""s2s support: brackets on the optimal escape speed s*(L) for the depth comparison of Prop. 3.2.

s*(L) = −min_{‖θ‖²=L} L0(θ) (digest §1.4) is a global optimum, so a search only bounds it from
below. Each depth L of a problem gets a bracket [lower, upper]:

* lower: the speed −L0(θ) attained at the best point θ ∈ S_L of a cold-start search
  (:func:`~theorems.saddle_to_saddle.escape.estimate_optimal_speed`: random starts, projected
  gradient descent, then the engine's monotone ascent), the same budget at every depth and no
  start taken from another depth; exact up to float64 rounding;
* upper: certified. At depth 2 with one output, s*(2) is the best one-neuron speed
  max_{‖w‖<=1}|Σ_j G_jσ(wᵀx_j)| (a depth-2 net's L0 is Σ_i a_i·(one-neuron term of w_i), and
  Σ_i|a_i|‖w_i‖ <= ‖θ‖²/2 = 1 by AM–GM, with equality for one neuron), bounded by the
  activation-pattern enumeration :func:`~theorems.saddle_to_saddle.circle.one_neuron_certificate`.
  At every depth, H6 gives s*(L) <= ‖G‖_F‖X‖_op. For L >= 3 no better certificate is available
  here, so the upper bound there is H6 only.

Two depths are *ordered* by these brackets only where they separate: s*(L+1) > s*(L) is shown when
lower(L+1) > upper(L), and s*(L+1) < s*(L) when upper(L+1) < lower(L). Lower bounds compared with
lower bounds decide nothing (a cold start can miss the optimum at either depth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from theorems.saddle_to_saddle.circle import one_neuron_certificate
from theorems.saddle_to_saddle.escape import as_problem, estimate_optimal_speed, loss_rounding, relu_mlp, to_sphere
from verify.errors import InputError, check_positive_int
from verify.ncf import ncf
from verify.nets import DTYPE, EPS


@dataclass(frozen=True)
class SearchBudget:
    """The cold-start search of every depth: ``restarts`` random starts, ``steps`` of projected gradient
    descent (η_t = 0.2·0.995^t, best iterate kept), ``refine_steps`` of the engine's monotone ascent."""

    restarts: int
    steps: int
    refine_steps: int


@dataclass(frozen=True)
class SpeedBracket:
    """lower <= s*(depth) <= upper, each exact up to its (absolute) rounding bound.

    lower: the speed attained by the best cold-start point (0 when none escapes); upper: the
    smallest certified bound, named by ``upper_source`` ("pattern enumeration" or "H6");
    pattern_lower: the one-neuron speed the pattern certificate attains (depth 2, else nan).
    """

    depth: int
    lower: float
    lower_rounding: float
    upper: float
    upper_rounding: float
    upper_source: str
    pattern_lower: float = math.nan


def h6_bound(X: np.ndarray, G: np.ndarray) -> tuple[float, float]:
    """(‖G‖_F‖X‖_op, its rounding): s*(L) <= this at every depth (digest H6, AM–GM over the layers)."""
    value = float(np.linalg.norm(G) * np.linalg.norm(X, 2))
    return value, 8 * (sum(X.shape) + G.size) * EPS * value


def cold_start_speed(width: int, depth: int, X: torch.Tensor, G: torch.Tensor, budget: SearchBudget,
                     seed: int) -> tuple[float, float]:
    """(speed, rounding) of the best point of a cold-start search at ``depth``, every hidden layer ``width``.

    The speed is recomputed at the returned point, radially projected onto S_L; the rounding adds
    the loss's forward-error bound and the effect of the projection's norm error (relative L·P·ε).
    """
    net = relu_mlp((X.shape[1],) + (width,) * (depth - 1) + (G.shape[1],))
    found = estimate_optimal_speed(net, X, G, restarts=budget.restarts, steps=budget.steps,
                                   refine_steps=budget.refine_steps, seed=seed, device=X.device)
    theta = to_sphere(found.theta[:1], depth)
    speed = -float(ncf(net, theta, X, G)[0])
    rounding = float(loss_rounding(net, theta, X, G)[0]) + abs(speed) * depth * net.n_params * EPS
    return (speed if speed > 0 else 0.0), rounding


def speed_brackets(X, G, depths: tuple[int, ...], width: int, budget: SearchBudget, seed: int,
                   device: str | torch.device = "cpu") -> list[SpeedBracket]:
    """A bracket on s*(L) for each depth in ``depths`` (>= 2), one output, hidden widths all ``width``.

    Every depth is searched from its own random starts (seed ``seed + L``) with the same ``budget``.
    """
    width = check_positive_int("width", width)
    Xa, Ga = np.asarray(X, dtype=np.float64), np.asarray(G, dtype=np.float64).reshape(len(X), -1)
    if Ga.shape[1] != 1:
        raise InputError(f"the depth brackets are for one output, G has {Ga.shape[1]} per sample")
    h6, h6_rounding = h6_bound(Xa, Ga)
    Xt, Gt = as_problem(relu_mlp((Xa.shape[1], width, 1)), torch.as_tensor(Xa, dtype=DTYPE), Ga, device)
    out = []
    for L in depths:
        L = check_positive_int("depth", L, minimum=2)
        lower, lower_rounding = cold_start_speed(width, L, Xt, Gt, budget, seed + L)
        upper, upper_rounding, source, pattern_lower = h6, h6_rounding, "H6", math.nan
        if L == 2:
            cert = one_neuron_certificate(Xa, Ga[:, 0])
            pattern_lower = cert.lower
            if cert.upper < upper:
                upper, upper_rounding, source = cert.upper, cert.rounding, "pattern enumeration"
        out.append(SpeedBracket(L, lower, lower_rounding, upper, upper_rounding, source, pattern_lower))
    return out
