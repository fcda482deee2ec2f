"""s2s support: Example 1's circle data, its rank-two witness and the best one-neuron speed.

Data x_j = (sin(2πj/8), cos(2πj/8)), G_j = (−1)^j, j = 1..8 (s2s §4, digest §1.6 and §7). G is
kept as printed, so the witness of eq. (2) escapes with the output weight W3 = [−1]; the printed
W3 = [1] gives L0 = +½, i.e. speed −½ (digest T4).

* exact (sympy): the data, the witness (L0 for both output signs, norms, ranks, neuron balance), and
  s1 = max_φ |Σ_j G_j σ(cos φ x_j1 + sin φ x_j2)| piecewise on the arcs of constant activation
  pattern, each piece checked against App. C.1 eq. (6);
* float64: the data, the witness as a parameter vector, a global bracket on the one-neuron speed
  from the activation-pattern enumeration (any input dimension; scipy's non-negative least squares
  per pattern) and, for 2-D data, a dense scan with its Lipschitz bracket.

The best one-neuron speed is s*(2) exactly for one output (AM–GM), which makes the certificate the
upper bound on s*(2) of s2s.prop3_2's depth comparison. Used by s2s.example1 (the statement),
s2s.prop3_2 (through speed_bounds.py) and the experiments s2s.fig2, s2s.fig5 and s2s.depth_sweep.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from scipy.optimize import nnls

from theorems.saddle_to_saddle.escape import RELU, escape_direction_check, relu_mlp
from verify.errors import InputError, as_data
from verify.nets import DTYPE, EPS

WITNESS_WIDTHS = (2, 4, 1, 1)  # the witness's architecture: d = 2, n1 = 4, n2 = 1, one output


def circle_data_exact(n: int = 8) -> tuple[sp.Matrix, sp.Matrix]:
    """x_j = (sin(2πj/n), cos(2πj/n)) and G_j = (−1)^j, j = 1..n: X (n, 2), G (n, 1), sympy-exact."""
    X = sp.Matrix([[sp.sin(2 * sp.pi * j / n), sp.cos(2 * sp.pi * j / n)] for j in range(1, n + 1)])
    G = sp.Matrix([(-1) ** j for j in range(1, n + 1)])
    return X, G


def example1_data() -> tuple[np.ndarray, np.ndarray]:
    """Example 1's data in float64, rounded from the exact values (so sin π is exactly 0)."""
    X, G = circle_data_exact(8)
    return np.array(X, dtype=float), np.array(G, dtype=float)


def witness_weights(output_sign: int) -> list[sp.Matrix]:
    """Eq. (2): W1 = ½[[1,0],[0,1],[−1,0],[0,−1]], W2 = ½[1,−1,1,−1], W3 = [output_sign]."""
    half = sp.Rational(1, 2)
    return [half * sp.Matrix([[1, 0], [0, 1], [-1, 0], [0, -1]]), half * sp.Matrix([[1, -1, 1, -1]]), sp.Matrix([[output_sign]])]


def witness_parameters(output_sign: int) -> torch.Tensor:
    """The witness as a flat float64 parameter vector of the (2, 4, 1, 1) ReLU net."""
    net = relu_mlp(WITNESS_WIDTHS)
    return net.flatten([torch.tensor(np.array(W, dtype=float), dtype=DTYPE) for W in witness_weights(output_sign)])


def relu(a: np.ndarray) -> np.ndarray:
    """σ entrywise on a float64 array, through the engine's activation (verify/activations.py)."""
    return RELU(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))).numpy()


def sym_relu(M: sp.Matrix) -> sp.Matrix:
    """σ entrywise on a sympy matrix, through the engine's activation (verify/activations.py)."""
    return M.applyfunc(RELU.sympy)


@dataclass(frozen=True)
class RankOnePiece:
    """The one-neuron objective f(φ) = Σ_j G_j σ(cos φ x_j1 + sin φ x_j2) on one pattern interval."""

    start: sp.Expr
    end: sp.Expr
    active: tuple[int, ...]  # samples j (1-based) with a positive pre-activation inside
    f: sp.Expr
    matches_eq6: bool  # f(φ) = ±eq.(6)(ξ = φ − start) identically
    max_abs: sp.Expr  # max of |f| on [start, end]


@dataclass(frozen=True)
class Example1Exact:
    """Everything about Example 1 that sympy decides exactly."""

    XtG: sp.Matrix
    loss: dict[int, sp.Expr]  # L0 of the witness, by output sign
    layer_norms: tuple[sp.Expr, ...]
    ranks: tuple[int, ...]
    neuron_balance: bool
    pieces: tuple[RankOnePiece, ...]
    s1: sp.Expr  # best speed of the rank-one family on S_3

    @property
    def s2(self) -> sp.Expr:
        """The witness's speed with the output sign our convention needs."""
        return -self.loss[-1]


def eq6(xi: sp.Expr) -> sp.Expr:
    """App. C.1 eq. (6) without the absolute value: cos(ξ+π/4) − cos ξ + cos(ξ−π/4) − cos(ξ−π/2)."""
    return sp.cos(xi + sp.pi / 4) - sp.cos(xi) + sp.cos(xi - sp.pi / 4) - sp.cos(xi - sp.pi / 2)


def rank_one_pieces(X: sp.Matrix, G: sp.Matrix) -> list[RankOnePiece]:
    """Exact maximisation of |f(φ)| = |Σ_j G_j σ(w(φ)ᵀx_j)|, w(φ) = (cos φ, sin φ), for 2-D data.

    The activation pattern only changes where w(φ) ⊥ x_j; between consecutive such angles f is
    A cos φ + B sin φ, whose extrema on the interval are at its ends or at φ = atan2(B, A) + nπ.
    """
    phi = sp.Symbol("phi", real=True)
    pre = [X[j, 0] * sp.cos(phi) + X[j, 1] * sp.sin(phi) for j in range(X.rows)]
    # w(φ)ᵀx_j = 0 at φ = atan2(−x_j1, x_j2) and that plus π
    cuts = {sp.Mod(sp.atan2(-X[j, 0], X[j, 1]) + n * sp.pi, 2 * sp.pi) for j in range(X.rows) if X[j, :] != sp.zeros(1, 2)
            for n in (0, 1)}
    cuts = sorted(cuts, key=lambda c: float(c)) or [sp.Integer(0)]
    pieces = []
    for start, end in zip(cuts, cuts[1:] + [cuts[0] + 2 * sp.pi]):
        mid = (start + end) / 2  # no pre-activation vanishes inside the arc, so the sign at mid is exact
        active = tuple(j for j in range(X.rows) if bool(pre[j].subs(phi, mid) > 0))
        f = sp.Add(*[G[j] * pre[j] for j in active])
        A, B = f.subs(phi, 0), f.subs(phi, sp.pi / 2)
        candidates = [sp.Abs(f.subs(phi, start)), sp.Abs(f.subs(phi, end))]
        if A != 0 or B != 0:
            crit = sp.atan2(B, A)
            candidates += [sp.sqrt(A**2 + B**2) for n in range(-3, 4)
                           if bool(start <= crit + n * sp.pi) and bool(crit + n * sp.pi <= end)]
        e = eq6(phi - start)
        matches = any(sp.simplify(sp.expand_trig(f - sign * e)) == 0 for sign in (1, -1))
        pieces.append(RankOnePiece(start, end, tuple(j + 1 for j in active), f, matches,
                                   sp.Max(*candidates)))
    return pieces


@functools.cache
def example1_exact() -> Example1Exact:
    """Example 1 in sympy: XᵀG, the witness (L0 for both output signs, norms, ranks, balance), s1.

    Cached: it is fixed, and the obligations of the statement and of every mutant read it.
    """
    X, G = circle_data_exact(8)
    loss = {}
    for sign in (1, -1):
        W1, W2, W3 = witness_weights(sign)
        Y = sym_relu(sym_relu(X * W1.T) * W2.T) * W3.T
        loss[sign] = sp.simplify((G.T * Y)[0])
    Ws = witness_weights(-1)
    norms = tuple(sp.sqrt(sum(w**2 for w in W)) for W in Ws)
    balance = all(
        sp.simplify(sum(Ws[l][i, c] ** 2 for c in range(Ws[l].cols)) - sum(Ws[l + 1][r, i] ** 2 for r in range(Ws[l + 1].rows))) == 0
        for l in range(2) for i in range(Ws[l].rows)
    )
    pieces = tuple(rank_one_pieces(X, G))
    s1 = sp.simplify(sp.Max(*[p.max_abs for p in pieces]))
    return Example1Exact(X.T * G, loss, norms, tuple(W.rank() for W in Ws), balance, pieces, s1)


# ---------------------------------------------------------------------------------------------
# the best one-neuron speed, numerically: a global certificate and a dense scan


@dataclass(frozen=True)
class PatternCertificate:
    """max_{‖w‖<=1} |Σ_j G_j σ(wᵀx_j)| ∈ [lower, upper], over ``n_patterns`` activation patterns.

    ``lower`` is attained (the objective at a unit w); ``upper`` is rigorous up to ``rounding``, a
    float64 bound on the error of its own evaluation (absolute, same units).
    """

    lower: float
    upper: float
    n_patterns: int
    rounding: float = 0.0


MAX_PATTERN_SAMPLES = 12  # all 2^N sign vectors are enumerated when the data span 3 or more dimensions


def _one_neuron_problem(X, G, *, two_dimensional: bool = False) -> tuple[np.ndarray, np.ndarray]:
    X = as_data(X, dtype=DTYPE, device=torch.device("cpu")).numpy()
    G = np.asarray(G, dtype=float).reshape(-1)
    if two_dimensional and X.shape[1] != 2:
        raise InputError(f"the angle scan is for 2-D inputs only, X has {X.shape[1]} features")
    if G.shape[0] != X.shape[0] or not np.isfinite(G).all():
        raise InputError(f"G must hold one finite scalar per sample: {G.shape[0]} values for {X.shape[0]} samples")
    return X, G


def _sign_patterns(B: np.ndarray) -> list[tuple[bool, ...]]:
    """Activation patterns whose closed cones {w : s_j b_jᵀw >= 0} cover R^r (rows b_j of B, r <= 2: the
    arcs between the angles where w ⊥ b_j; r >= 3: every sign vector)."""
    N, r = B.shape
    if r >= 3:
        if N > MAX_PATTERN_SAMPLES:
            raise InputError(f"the activation-pattern enumeration over all 2^N sign vectors supports N <= "
                             f"{MAX_PATTERN_SAMPLES} samples when the data span 3 or more dimensions, got N = {N}")
        return [tuple(bool(b) for b in bits) for bits in itertools.product((False, True), repeat=N)]
    if r == 1:
        return sorted({tuple(B[:, 0] > 0), tuple(B[:, 0] < 0)})
    nonzero = np.linalg.norm(B, axis=1) > 0
    cuts = np.sort(np.mod(np.arctan2(B[nonzero, 1], B[nonzero, 0])[:, None] + np.array([np.pi / 2, -np.pi / 2]), 2 * np.pi).ravel())
    cuts = np.unique(cuts) if len(cuts) else np.array([0.0])
    mids = cuts + np.diff(np.append(cuts, cuts[0] + 2 * np.pi)) / 2
    return sorted({tuple(B @ np.array([np.cos(a), np.sin(a)]) > 0) for a in mids})


def one_neuron_certificate(X, G) -> PatternCertificate:
    """Global bracket on max_{‖w‖<=1} |Σ_j G_j σ(wᵀx_j)| (= s*(2) for one output, any hidden width).

    Xw depends on w only through its projection onto the row space of X, so the problem is solved
    in the coordinates B = XV_r of that space (r = numerical rank; the dropped singular values
    enter ``rounding``). On the closed cone C_D = {w : s_jb_jᵀw >= 0} of an activation pattern D
    (s_j = ±1 for j ∈ D / ∉ D) the objective is the linear c_Dᵀw, c_D = ±Σ_{j∈D} G_j b_j, and for
    every μ >= 0, c_Dᵀw <= (c_D + Σ_j μ_j s_j b_j)ᵀw <= ‖c_D + Σ_j μ_j s_j b_j‖ on C_D ∩ ball (weak
    duality). With μ from non-negative least squares this is ‖Π_{C_D}c_D‖, the cone's exact maximum
    (Moreau). Upper bound: the largest over patterns whose closed cones cover the space (in 2-D the
    arcs between the angles where w ⊥ b_j; in 3 or more dimensions every sign vector, N <= 12).
    Lower bound: the true objective at the normalised best projection (an attained value).
    """
    X, G = _one_neuron_problem(X, G)
    N = X.shape[0]
    _, sv, Vt = np.linalg.svd(X, full_matrices=False)
    r = int((sv > 1e-12 * sv[0]).sum()) if sv.size and sv[0] > 0 else 0
    dropped = float(np.sqrt((sv[r:] ** 2).sum())) if sv.size else 0.0
    if r == 0:
        return PatternCertificate(0.0, 0.0, 1, 0.0)
    B = X @ Vt[:r].T
    patterns = _sign_patterns(B)
    gamma = (N + r + 4) * EPS
    lower, upper, rounding = 0.0, 0.0, 0.0
    best = None
    for pattern in patterns:
        D = np.array(pattern, dtype=float)
        s = 2 * D - 1
        A = (s[:, None] * B).T  # columns s_j b_j: the cone is Aᵀw >= 0
        for c in (B.T @ (G * D), -(B.T @ (G * D))):
            mu, _ = nnls(A, -c)
            proj = c + A @ mu
            bound = float(np.linalg.norm(proj))
            err = gamma * float(np.abs(G * D) @ np.linalg.norm(B, axis=1) + mu @ np.linalg.norm(B, axis=1))
            upper = max(upper, bound)
            rounding = max(rounding, err)
            if bound > 0 and (best is None or bound > best[0]):
                best = (bound, proj / bound)
    if best is not None:
        w = Vt[:r].T @ best[1]  # back to R^d
        lower = float(abs(G @ relu(X @ w)))
    return PatternCertificate(lower, upper, len(patterns), rounding + float(np.linalg.norm(G)) * dropped)


def one_neuron_scan(X, G, points: int, offset: float) -> tuple[float, float]:
    """(max over a grid, resolution) of |Σ_j G_j σ(w(φ)ᵀx_j)| on φ_i = (i + offset)·2π/points.

    The objective is Lipschitz in φ with constant Σ_j |G_j|‖x_j‖, so the true maximum lies in
    [grid max, grid max + resolution] with resolution = Σ_j |G_j|‖x_j‖·π/points.
    """
    X, G = _one_neuron_problem(X, G, two_dimensional=True)
    h = 2 * np.pi / points
    phi = (np.arange(points) + offset) * h
    values = np.abs(relu(np.stack([np.cos(phi), np.sin(phi)], 1) @ X.T) @ G)
    return float(values.max()), float(np.abs(G) @ np.linalg.norm(X, axis=1) * h / 2)


def one_neuron_speed(X, G, phi: np.ndarray) -> np.ndarray:
    """Σ_j G_j σ(cos φ x_j1 + sin φ x_j2) at the angles φ (signed: the speed of W3 = [+1])."""
    X, G = _one_neuron_problem(X, G, two_dimensional=True)
    return relu(np.stack([np.cos(phi), np.sin(phi)], 1) @ X.T) @ G


@functools.cache
def example1_certificate() -> PatternCertificate:
    """The pattern certificate on Example 1's data (cached: fixed data, read by two statements)."""
    return one_neuron_certificate(*example1_data())


@functools.cache
def example1_witness_certificate(output_sign: int):
    """Def. 2.1 at the rank-two witness: the Clarke certificate of ∇L0(ρ) = −sρ (cached: fixed point)."""
    X, G = example1_data()
    return escape_direction_check(relu_mlp(WITNESS_WIDTHS), witness_parameters(output_sign), X, G)
