"""Piecewise-linear reduced problems: exact KKT points and a global certificate (edc eqs. 11–12).

Support module of edc Theorem 3 (theorem3.py, through reduced_problem.py) and of the experiment
``edc.arrangement_hits``; it serves this paper only, so it lives in the paper's folder.

For σ(x) = max(x, αx) (p = 1) the reduced objective of edc Theorem 3 is

    g(u) = Σ_i y_i φ(x_iᵀu),   φ = σ^{L-1},   φ(t) = c₊t for t >= 0 and c₋t for t < 0,

maximised on the sphere ‖u‖₂ = R (edc: ‖u‖² = 1/√L). φ is piecewise linear with one kink, so
on each cell of the hyperplane arrangement {x_iᵀu = 0} (an "activation pattern" s ∈ {±1}^n)
g is the linear function c_sᵀu with c_s = Σ_i y_i c_{s_i} x_i. Two consequences are used here:

* every KKT point lies on a face of the arrangement: with K the hyperplanes through it and P the
  orthogonal projector onto {u: x_iᵀu = 0, i ∈ K}, it is u = R·Pc/‖Pc‖ for c summed over i ∉ K,
  and the slopes t_i at the kinks solve c + Σ_K y_i t_i x_i = μu with t_i ∈ [min c±, max c±].
  :func:`face_kkt_point` computes this point and its multipliers exactly (linear algebra), so
  a point found by gradient ascent is certified to rounding precision. When the x_i, i ∈ K,
  are linearly independent (generic data), the chain-rule set used here equals the Clarke
  subdifferential (Clarke 1983, Thm 2.3.10 with a surjective linear map), so this is a Clarke
  KKT certificate;
* the global maximum is max_s max{c_sᵀu : s_i x_iᵀu >= 0, ‖u‖ <= R}, one convex problem per
  pattern (the ball relaxation is exact when the maximum is positive, since c_sᵀu is linear).
  :func:`relu_reduced_global_max` enumerates the patterns, bounds every pattern's maximum
  from above by a dual certificate (for any λ >= 0, c_sᵀu <= (c_s + Σ λ_i s_i x_i)ᵀu <=
  R‖c_s + Σ λ_i s_i x_i‖ on the cell; the best λ is a non-negative least-squares solve) and
  solves the convex problem of every pattern that the bound cannot exclude with cvxpy. Since
  relu∘relu = relu, one certificate covers eq. (11) for every depth of a ReLU net.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import comb

import cvxpy as cp
import numpy as np
from scipy.optimize import nnls

from verify.errors import InputError, check_positive

MAX_PATTERNS = 200_000


def _validate(X, y, slopes) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise InputError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise InputError("X or y contains NaN or inf")
    c_minus, c_plus = (float(s) for s in slopes)
    if not (np.isfinite(c_minus) and np.isfinite(c_plus)):
        raise InputError(f"slopes must be finite, got {slopes!r}")
    return X, y, (c_minus, c_plus)


def reduced_values(X, y, slopes: tuple[float, float], U: np.ndarray) -> np.ndarray:
    """g(u) = Σ_i y_i φ(x_iᵀu) for each row u of U (shape (B, d) → (B,))."""
    c_minus, c_plus = slopes
    t = np.atleast_2d(U) @ np.asarray(X).T
    return np.where(t >= 0, c_plus * t, c_minus * t) @ np.asarray(y)


@dataclass
class FaceKKT:
    """An exact KKT point u of max g(u) s.t. ‖u‖ = R: ζ = c + Σ_K y_i t_i x_i = μu with ζ ∈ ∂g(u).

    kinks: indices i with x_iᵀu = 0; kink_slopes: the t_i (in the Clarke interval of φ at 0);
    residual: ‖ζ − μu‖/‖ζ‖ of the exact multipliers (rounding level); tau: the threshold at
    which the kinks were identified in the approximate point.
    """

    u: np.ndarray
    value: float
    multiplier: float
    kinks: np.ndarray
    kink_slopes: np.ndarray
    residual: float
    tau: float


def face_kkt_point(
    X, y, slopes: tuple[float, float], radius: float, u_approx, *, taus: tuple[float, ...] = (1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2)
) -> FaceKKT | None:
    """The exact KKT point on the face of the arrangement that ``u_approx`` is closest to, or None.

    For each threshold τ: K = {i : |x_iᵀû| <= τ‖x_i‖}, u = R·Pc/‖Pc‖ as in the module docstring.
    Accepted if u keeps the signs of û off K (so it lies on that face) and the kink slopes that
    make ζ parallel to u lie in the Clarke interval; the first τ that succeeds is returned.
    """
    X, y, (c_minus, c_plus) = _validate(X, y, slopes)
    radius = check_positive("radius", radius)
    u_approx = np.asarray(u_approx, dtype=np.float64)
    if u_approx.shape != (X.shape[1],) or not np.isfinite(u_approx).all() or not np.linalg.norm(u_approx) > 0:
        raise InputError(f"u_approx must be a finite non-zero vector of length {X.shape[1]}, got shape {u_approx.shape}")
    lo, hi = min(c_minus, c_plus), max(c_minus, c_plus)
    xnorm = np.linalg.norm(X, axis=1)
    t_hat = X @ (u_approx / np.linalg.norm(u_approx))
    for tau in taus:
        kink = np.abs(t_hat) <= tau * xnorm
        XK = X[kink]
        if len(XK) and np.linalg.matrix_rank(XK) < len(XK):
            continue  # dependent kink normals: not a face of a generic arrangement
        side = np.where(t_hat >= 0, c_plus, c_minus)
        c = ((y * side)[~kink]) @ X[~kink]
        # P c, P the projector onto the orthogonal complement of the kink normals
        Pc = c - XK.T @ np.linalg.lstsq(XK.T, c, rcond=None)[0] if len(XK) else c
        if not np.linalg.norm(Pc) > 1e-14 * max(np.linalg.norm(c), 1e-300):
            continue
        u = radius * Pc / np.linalg.norm(Pc)
        t = X @ u
        if np.any(np.sign(t[~kink]) != np.sign(t_hat[~kink])) or np.any(np.abs(t[~kink]) <= 1e-12 * xnorm[~kink] * radius):
            continue
        # slopes at the kinks and μ: c + X_Kᵀ(y_K ∘ t_K) = μu, in the least-squares sense
        A = np.concatenate([XK.T * y[kink], -u[:, None]], axis=1)
        sol = np.linalg.lstsq(A, -c, rcond=None)[0]
        t_K, mu = sol[:-1], sol[-1]
        # a kink with y_i = 0 contributes nothing: any slope in the interval will do
        t_K = np.where(y[kink] == 0, lo, t_K)
        if np.any(t_K < lo - 1e-9 * (hi - lo + 1)) or np.any(t_K > hi + 1e-9 * (hi - lo + 1)):
            continue
        t_K = np.clip(t_K, lo, hi)
        zeta = c + XK.T @ (y[kink] * t_K)
        residual = float(np.linalg.norm(zeta - mu * u) / max(np.linalg.norm(zeta), 1e-300))
        value = float(reduced_values(X, y, (c_minus, c_plus), u[None])[0])
        return FaceKKT(u, value, float(mu), np.flatnonzero(kink), t_K, residual, tau)
    return None


def activation_patterns(X) -> np.ndarray:
    """Sign vectors s ∈ {±1}^n of every full-dimensional cell of the arrangement {x_iᵀu = 0}.

    Data must be in general position. For n >= d every cell is a pointed cone, so it has an
    extreme ray: the line through d−1 of the hyperplanes; around such a ray all 2^{d−1} sign
    choices on those hyperplanes occur. Enumerating the rays therefore lists every cell; the count
    is checked against 2·Σ_{k<d} C(n−1, k) (Cover 1965 / Zaslavsky). For n < d every sign vector
    is a cell.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    expected = 2 * sum(comb(n - 1, k) for k in range(d)) if n >= d else 2**n
    if expected > MAX_PATTERNS:
        raise InputError(f"the arrangement of n={n} hyperplanes in d={d} has {expected} cells; enumeration supports at most {MAX_PATTERNS}")
    if n < d:
        if np.linalg.matrix_rank(X) < n:
            raise InputError("data are not in general position: the inputs are linearly dependent")
        return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=np.int8)
    choices = np.array(list(itertools.product((-1, 1), repeat=d - 1)), dtype=np.int8).reshape(2 ** (d - 1), d - 1)
    xnorm = np.linalg.norm(X, axis=1)
    found = []
    for K in itertools.combinations(range(n), d - 1):
        K = list(K)
        if d > 1:
            _, s, Vt = np.linalg.svd(X[K])
            if s[-1] <= 1e-10 * s[0]:
                raise InputError(f"data are not in general position: inputs {K} are linearly dependent")
            v = Vt[-1]
        else:
            v = np.ones(1)
        t = X @ v
        off = np.ones(n, dtype=bool)
        off[K] = False
        if np.any(np.abs(t[off]) <= 1e-10 * xnorm[off]):
            raise InputError(f"data are not in general position: more than {d - 1} hyperplanes share a line")
        for sign in (1, -1):
            block = np.repeat(np.sign(sign * t).astype(np.int8)[None], len(choices), axis=0)
            block[:, K] = choices
            found.append(block)
    patterns = np.unique(np.concatenate(found), axis=0)
    if len(patterns) != expected:
        raise InputError(f"found {len(patterns)} cells, expected {expected}: data are not in general position")
    return patterns


@dataclass
class GlobalMax:
    """Certified global maximum of g on the sphere ‖u‖ = R (see :func:`relu_reduced_global_max`).

    value: g(u) at the maximiser u (a lower bound, evaluated exactly); upper_bound: the largest
    dual bound over all patterns (an upper bound); n_patterns cells, n_cvxpy of them solved with
    cvxpy (those whose dual bound came within ``gap`` of the best primal value); cvxpy_value: the
    best cvxpy optimum (agrees with ``value`` to the solver's accuracy).
    """

    value: float
    u: np.ndarray
    upper_bound: float
    n_patterns: int
    n_cvxpy: int
    cvxpy_value: float

    @property
    def gap(self) -> float:
        return self.upper_bound - self.value


def relu_reduced_global_max(X, y, radius: float = 1.0, slopes: tuple[float, float] = (0.0, 1.0), *, gap: float = 1e-7) -> GlobalMax:
    """Global maximum of Σ_i y_i φ(x_iᵀu) on ‖u‖ = radius, φ(t) = c₊t (t >= 0), c₋t (t < 0).

    ``slopes`` = (c₋, c₊); ReLU (any depth) is (0, 1). Every pattern's problem
    max c_sᵀu s.t. s_i x_iᵀu >= 0, ‖u‖ <= R is bounded by its dual (non-negative least squares,
    exact at the optimum); the patterns whose bound is within ``gap``·(1 + |best|) of the best
    primal value are solved with cvxpy (Clarabel). Requires data in general position, and a
    positive maximum (otherwise the ball relaxation is not exact and an InputError says so).
    """
    X, y, slopes = _validate(X, y, slopes)
    radius = check_positive("radius", radius)
    c_minus, c_plus = slopes
    patterns = activation_patterns(X)
    C = np.where(patterns > 0, c_plus, c_minus) * y  # (P, n): y_i c_{s_i}
    cs = C @ X  # (P, d)
    bounds = np.empty(len(patterns))
    primal = np.empty_like(cs)
    for k, (s, c) in enumerate(zip(patterns, cs)):
        A = (s[:, None] * X).T  # columns s_i x_i
        lam, _ = nnls(A, -c)
        proj = c + A @ lam  # Π_cell(c) (Moreau), an upper-bound certificate for any λ >= 0
        bounds[k] = radius * np.linalg.norm(proj)
        primal[k] = radius * proj / max(np.linalg.norm(proj), 1e-300)
    values = reduced_values(X, y, slopes, primal)
    k_best = int(np.argmax(values))
    value, maximiser = float(values[k_best]), primal[k_best]
    if not value > 0:
        raise InputError("the reduced objective has no positive value on the sphere: the ball relaxation does not certify it")
    candidates = np.flatnonzero(bounds >= value - gap * (1 + abs(value)))
    u = cp.Variable(X.shape[1])
    A_param, c_param = cp.Parameter(X.shape), cp.Parameter(X.shape[1])
    problem = cp.Problem(cp.Maximize(c_param @ u), [A_param @ u >= 0, cp.norm(u) <= radius])
    cvx_best = -np.inf
    for k in candidates:
        A_param.value, c_param.value = patterns[k][:, None] * X, cs[k]
        problem.solve(solver=cp.CLARABEL)
        cvx_best = max(cvx_best, float(problem.value))
        if u.value is not None:
            # the cvxpy maximiser, pushed onto the sphere, is another primal candidate
            cand = radius * u.value / max(np.linalg.norm(u.value), 1e-300)
            v = float(reduced_values(X, y, slopes, cand[None])[0])
            if v > value:
                value, maximiser = v, cand
    return GlobalMax(value, maximiser, float(bounds.max()), len(patterns), len(candidates), cvx_best)
