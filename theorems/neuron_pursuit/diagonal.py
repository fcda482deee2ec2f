"""np §D.5: Neuron Pursuit on two-layer diagonal linear networks against OMP and the minimum-ℓ1 solution (digest X6, §4.7).

NP on H(x; v, u) = xᵀ(v ⊙ u) is :func:`verify.pursuit.diagonal_neuron_pursuit`; the references are scikit-learn's
OrthogonalMatchingPursuit and basis pursuit (cvxpy). :func:`recovery_run` runs all three once per process and
instance (np.algorithm1's mutants reuse it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from hypothesis import strategies as st
from sklearn.linear_model import OrthogonalMatchingPursuit

from verify.pursuit import diagonal_neuron_pursuit
from verify.strategies import seeds

#: §D.5's instance (rows = samples) and the paper's printed products: iteration 1 v₃u₃, iteration 2 v₃u₃ and v₁u₁
D5_X = np.array([[1.0, 0.0, -0.1], [0.0, 1.0, 1.0 + 0.2 / 3.0]])
D5_Y = np.array([1.0, 2.0])
D5_PAPER = ((1, 2, 1.77, 2), (2, 2, 1.876, 3), (2, 0, 1.188, 3))  # (iteration, 0-based feature, value, printed decimals)


@dataclass(frozen=True)
class SparseRecovery:
    """b = X z₀ with X ∈ R^{n×d} Gaussian (entries N(0, 1/n)) and z₀ s-sparse with entries ±U[1, 2]; or §D.5's instance."""

    n: int
    d: int
    s: int
    seed: int

    @functools.cached_property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.seed < 0:
            return D5_X, D5_Y
        rng = np.random.default_rng(self.seed)
        X = rng.standard_normal((self.n, self.d)) / math.sqrt(self.n)
        z = np.zeros(self.d)
        support = rng.choice(self.d, size=self.s, replace=False)
        z[support] = rng.choice([-1.0, 1.0], size=self.s) * rng.uniform(1.0, 2.0, size=self.s)
        return X, X @ z

    def __str__(self) -> str:
        return "§D.5 instance" if self.seed < 0 else f"sparse recovery n={self.n} d={self.d} s={self.s} seed={self.seed}"


D5 = SparseRecovery(2, 3, 2, -1)
#: a fixed instance whose OMP path flips a sign (step 3 changes the sign of the coefficient selected at step 2): random
#: instances of :func:`recovery_problems` almost never flip (none of 960 drawn at n 10–24), so np.algorithm1 checks
#: this one with every instance; NP's coefficient of that atom stops at 0 there and NP ≠ OMP
SIGN_FLIP = SparseRecovery(3, 6, 3, 31)
#: §D.5's δ; GD until ‖∇‖ <= 1e-11 with §D.5's step 0.001 on its instance and 0.02 (stable for ‖X‖₂ <= 3) on the random ones
DIAGONAL_SETTINGS = dict(delta=0.01, gd_tol=1e-11, restarts=4, ascent_steps=200)


def omp_path(X: np.ndarray, y: np.ndarray, k: int, *, normalise_columns: bool = False) -> np.ndarray:
    """Coefficients of scikit-learn's OrthogonalMatchingPursuit after 1..k atoms, shape (k, d).

    ``normalise_columns`` runs it on unit-norm columns and maps the coefficients back (OMP's textbook
    variant; a mutant claims NP equals it).
    """
    norms = np.linalg.norm(X, axis=0) if normalise_columns else np.ones(X.shape[1])
    path = []
    for t in range(1, k + 1):
        omp = OrthogonalMatchingPursuit(n_nonzero_coefs=t, fit_intercept=False).fit(X / norms, y)
        path.append(omp.coef_ / norms)
    return np.array(path)


def min_l1(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Basis pursuit: argmin ‖z‖₁ s.t. Xz = y (cvxpy)."""
    z = cp.Variable(X.shape[1])
    cp.Problem(cp.Minimize(cp.norm1(z)), [X @ z == y]).solve(solver=cp.CLARABEL)
    return np.asarray(z.value)


def support_order(path: np.ndarray) -> list[int]:
    """Atoms in the order they enter a coefficient path (k, d)."""
    order: list[int] = []
    for coef in path:
        order += [int(j) for j in np.flatnonzero(np.abs(coef) > 0) if j not in order]
    return order


@dataclass
class RecoveryRun:
    """NP on a diagonal net vs OMP and basis pursuit on one instance.

    floors[t]: bound on ‖z_NP(t) − z_LS(S_t)‖ from GD's accuracy, ‖X_Sᵀr‖/λ_min(X_SᵀX_S) (S_t = NP's support
    after iteration t, z_LS the least-squares fit on it); correlations[t]: X[:,j_t]ᵀȳ at the start of iteration t.
    """

    problem: SparseRecovery
    np_path: np.ndarray
    np_support: list[int]
    ncf_max: list[float]
    correlations: list[float]
    floors: list[float]
    converged: bool
    omp: np.ndarray
    omp_normalised: np.ndarray
    basis_pursuit: np.ndarray


@functools.lru_cache(maxsize=64)
def recovery_run(problem: SparseRecovery, device: str) -> RecoveryRun:
    X, y = problem.arrays
    step = 0.001 if problem.seed < 0 else 0.02
    run = diagonal_neuron_pursuit(X, y, problem.s, gd_step_size=step, gd_steps=400_000, random_state=abs(problem.seed),
                                  device=device, **DIAGONAL_SETTINGS)
    floors, correlations = [], []
    previous = np.zeros(X.shape[1])
    for t, coef in enumerate(run.coef_path, start=1):
        correlations.append(float(X[:, run.support[t - 1]] @ (y - X @ previous)))
        S = run.support[:t]
        XS = X[:, S]
        gap = np.linalg.norm(XS.T @ (X @ coef - y)) / np.linalg.eigvalsh(XS.T @ XS).min()
        floors.append(float(gap))
        previous = coef
    return RecoveryRun(problem, run.coef_path, run.support, run.ncf_max, correlations, floors, all(run.gd_converged),
                       omp_path(X, y, problem.s), omp_path(X, y, problem.s, normalise_columns=True), min_l1(X, y))


@st.composite
def recovery_problems(draw) -> SparseRecovery:
    n = draw(st.integers(10, 24))
    # every drawn instance is kept: those whose OMP path flips the sign of a selected coefficient are where NP ≠ OMP
    # (a GD step multiplies v_j² − u_j² by 1 − η²g_j², so NP's balanced start stays balanced, v_j = ±u_j (Lemma 21),
    # and v_ju_j keeps its sign); np.algorithm1 compares them up to the flip and counts them
    return SparseRecovery(n, draw(st.integers(n, 2 * n)), draw(st.integers(1, 3)), draw(seeds()))


def first_sign_flip(path: np.ndarray) -> int | None:
    """The first step t (1-based) at which a coefficient path (k, d) changes the sign of a coefficient selected
    before it (path[t−1]·path[t−2] < 0 somewhere), or None when it never does."""
    flips = np.flatnonzero((path[1:] * path[:-1] < 0).any(axis=1))
    return int(flips[0]) + 2 if len(flips) else None
