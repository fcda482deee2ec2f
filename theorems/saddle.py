"""Homogeneity decomposition near sparse saddles (np Lemma 8, eq. 21, §3.1) and the KKT points of the H1-NCF (np Lemma 9, §3.3).

Split the weights of a feed-forward net at a set G_z of hidden neurons into w_n and w_z (blocks
N_l, A_l, B_l, C_l; :mod:`verify.saddle`). np Lemma 8: near w_z = 0 the output is
H(x; w_n, 0) + H1(x; w_n, w_z) + higher order, with H1 of eq. (21) (p+1)-homogeneous in w_z —
exactly a finite sum of homogeneous polynomials when α = 1, up to O(δ^K), K > p+1, when α ≠ 1 and
p >= 4. np §3.3: the H1-NCF separates into one (p+1)-homogeneous term per z-neuron. np Lemma 9: at a
positive KKT point of max_{‖w_z‖=1} zᵀH1 the z→z blocks vanish and every z-neuron is balanced,
p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖².
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import mpmath
import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st
from sympy.polys.rings import ring

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.clarke import polish_kkt, stationarity
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.precise import mp_output, mp_split, to_mp
from verify.saddle import SaddleExpansion, SaddlePartition
from verify.sphere import kkt_residual, sphere_ascent, sphere_newton
from verify.strategies import Dataset, datasets, seeds
from verify.symbolic import symbolic_network
from verify.tables import fmt, markdown_table

# ---------------------------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaddleProblem:
    """A network split at G_z, data X, a fixed w_n and a correlation vector z ~ N(0, I) (np Lemma 8/9 setting).

    w_n is drawn N(0, 1); rows of N_l whose pre-activations are <= 0 on every sample are negated (no n-neuron
    is dead on the whole data set) and each N_l is rescaled to unit-RMS pre-activations on X (the
    statements hold for every w_n; this keeps instances from being vacuous or over/underflowing).
    """

    net: FeedForward
    z_neurons: tuple[tuple[int, ...], ...]
    data: Dataset
    wn_seed: int
    z_seed: int

    @cached_property
    def partition(self) -> SaddlePartition:
        return SaddlePartition(self.net, self.z_neurons)

    @cached_property
    def X(self) -> torch.Tensor:
        return torch.as_tensor(self.data.X, dtype=DTYPE)

    @cached_property
    def w_n(self) -> torch.Tensor:
        n_net = self.partition.n_net
        rng = np.random.default_rng(self.wn_seed)
        Ns, g = [], self.X
        for shape in n_net.shapes:
            N = torch.as_tensor(rng.standard_normal(shape), dtype=DTYPE)
            h = g @ N.T
            N = torch.where((h <= 0).all(dim=0)[:, None], -N, N)  # no n-neuron dead on the whole data set
            rms = float(h.pow(2).mean().sqrt())
            N = N / rms if rms > 0 else N
            g = n_net.activation(g @ N.T)
            Ns.append(N)
        return n_net.flatten(Ns)

    @cached_property
    def z(self) -> torch.Tensor:
        return torch.as_tensor(np.random.default_rng(self.z_seed).standard_normal((self.data.n, self.net.widths[-1])), dtype=DTYPE)

    def __str__(self) -> str:
        return f"{self.partition}; {self.data}; w_n seed={self.wn_seed}; z seed={self.z_seed}"


def saddle_problems(
    alphas: tuple[float, ...],
    ps: tuple[int, ...],
    depths: tuple[int, ...] = (2, 3, 4),
    hidden: tuple[int, int] = (2, 4),
    outputs: tuple[int, int] = (1, 2),
    n: tuple[int, int] = (5, 12),
    d: tuple[int, int] = (2, 3),
) -> st.SearchStrategy[SaddleProblem]:
    """Nets σ = max(x,αx)^p whose every hidden layer has n- and z-neurons (a random proper subset is G_z)."""

    @st.composite
    def build(draw) -> SaddleProblem:
        ds = draw(datasets(n=n, d=d))
        widths, z_neurons = [], []
        for _ in range(draw(st.sampled_from(depths)) - 1):
            k = draw(st.integers(*hidden))
            order = draw(st.permutations(range(k)))
            widths.append(k)
            z_neurons.append(tuple(sorted(order[: draw(st.integers(1, k - 1))])))
        act = Activation(draw(st.sampled_from(alphas)), draw(st.sampled_from(ps)))
        net = FeedForward((ds.d, *widths, draw(st.integers(*outputs))), act)
        return SaddleProblem(net, tuple(z_neurons), ds, draw(seeds()), draw(seeds()))

    return build()


# ---------------------------------------------------------------------------------------------
# exact algebra (α = 1): the network, eq. (21) and the per-neuron terms in sympy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolicSaddle:
    """σ(x) = x^p network split at G_z, in sympy: blocks, g_l, v_{l+1} = ∇_s f_{L,l+2}(N_{l+1}g_l)ᵀ, H, H(w_n,0), H1.

    The blocks are cut from :func:`verify.symbolic.symbolic_network` with the index sets of a
    :class:`SaddlePartition`; H(w_n, 0) is the n-network built from the N blocks alone and H1 is
    eq. (21) built from the definitions of g_l and f_{L,k} (sympy Jacobian), so neither is read off
    the expansion it is compared with.
    """

    p: int
    partition: SaddlePartition
    weights: list[sp.Matrix]
    x: sp.Matrix
    N: dict[int, sp.Matrix]
    A: dict[int, sp.Matrix]
    B: dict[int, sp.Matrix]
    C: dict[int, sp.Matrix]
    g: list[sp.Matrix]
    v: dict[int, sp.Matrix]
    H: sp.Expr
    H0: sp.Expr
    H1: sp.Expr

    @property
    def wz(self) -> list[sp.Symbol]:
        """w_z in the layout of :class:`SaddlePartition`: A_1, B_2, A_2, B_3, …, A_{L-1}, B_L, then C_2, …, C_{L-1}."""
        blocks = [M for l in self.A for M in (self.A[l], self.B[l + 1])] + list(self.C.values())
        return [s for M in blocks for s in M]

    @property
    def wn(self) -> list[sp.Symbol]:
        return [s for M in self.N.values() for s in M]

    @property
    def symbols(self) -> list[sp.Symbol]:
        return [s for W in self.weights for s in W] + list(self.x)

    def sigma(self, M: sp.Matrix) -> sp.Matrix:
        return M.applyfunc(lambda t: t**self.p)


@functools.cache
def symbolic_saddle(widths: tuple[int, ...], z_neurons: tuple[tuple[int, ...], ...], p: int) -> SymbolicSaddle:
    """Build (and cache per process) the sympy objects of a split x^p network."""
    partition = SaddlePartition(FeedForward(widths, Activation(1.0, p)), z_neurons)
    net = symbolic_network(widths, p)
    L = len(widths) - 1
    n_rows = [tuple(range(widths[0]))] + list(partition.n_neurons) + [tuple(range(widths[-1]))]
    z_rows = [()] + list(partition.z_neurons) + [()]
    W = net.weights
    N = {l: W[l - 1].extract(list(n_rows[l]), list(n_rows[l - 1])) for l in range(1, L + 1)}
    A = {l: W[l - 1].extract(list(z_rows[l]), list(n_rows[l - 1])) for l in range(1, L)}
    B = {l: W[l - 1].extract(list(n_rows[l]), list(z_rows[l - 1])) for l in range(2, L + 1)}
    C = {l: W[l - 1].extract(list(z_rows[l]), list(z_rows[l - 1])) for l in range(2, L)}

    def sigma(M: sp.Matrix) -> sp.Matrix:
        return M.applyfunc(lambda t: t**p)

    g = [net.x]  # g_0 = x, g_l = σ(N_l g_{l-1})
    for l in range(1, L):
        g.append(sigma(N[l] * g[-1]))

    def f(k: int, s: sp.Matrix) -> sp.Matrix:  # f_{L,k}(s) = N_L σ(N_{L-1} σ(… σ(N_k σ(s))))
        a = s
        for l in range(k, L + 1):
            a = N[l] * sigma(a)
        return a

    v = {L: sp.eye(widths[-1])}
    for l in range(1, L - 1):
        s = sp.Matrix(len(n_rows[l + 1]), 1, lambda i, _: sp.Symbol(f"s{i}"))
        v[l + 1] = f(l + 2, s).jacobian(s).subs(dict(zip(s, N[l + 1] * g[l])), simultaneous=True)
    H1 = sum((v[l + 1] * B[l + 1] * sigma(A[l] * g[l - 1]))[0] for l in range(1, L))
    return SymbolicSaddle(p, partition, W, net.x, N, A, B, C, g, v, net.output[0], (N[L] * g[L - 1])[0], H1)


def _graded(poly, positions: list[int]) -> dict[int, object]:
    """The t^k coefficients of F(w_n, t·w_z), i.e. the parts of F of degree k in the w_z generators."""
    parts: dict[int, dict] = {}
    for monom, coeff in poly.terms():
        parts.setdefault(sum(monom[i] for i in positions), {})[monom] = coeff
    return {k: poly.ring.from_dict(terms) for k, terms in parts.items()}


def _lowest_degree(polys, positions: list[int]) -> float:
    """Smallest w_z-degree of any term of any of the polynomials (∞ when all are zero)."""
    return min((sum(m[i] for i in positions) for P in polys for m in P.keys()), default=math.inf)


# tiny instances for the symbolic part: one n- and one z-neuron per hidden layer, alternating
# positions (G_z is not the last neurons: np Remark 2)
LEMMA8_CASES = tuple(itertools.product((2, 3, 4), (1, 2, 3)))


def _lemma8_shape(L: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    return (2,) + (2,) * (L - 1) + (1,), tuple((0,) if l % 2 else (1,) for l in range(1, L))


@dataclass(frozen=True)
class Lemma8Expansion:
    """Exact t-expansion of H(x; w_n, t·w_z) and the gradient remainders for one (L, p) (α = 1)."""

    widths: tuple[int, ...]
    coefficients: dict[int, object]  # t^k coefficient of H(w_n, t w_z)
    H0: object
    H1: object
    grad_wz: list[tuple[object, object]]  # (∂H/∂w, ∂H1/∂w) for w in w_z
    grad_wn: list[tuple[object, object, object]]  # (∂H/∂w, ∂H(w_n,0)/∂w, ∂H1/∂w) for w in w_n
    positions: list[int]
    layout_exact: bool  # the torch partition's w_n / w_z layout is exactly the blocks N / (A, B, C)


@functools.cache
def lemma8_expansion(L: int, p: int) -> Lemma8Expansion:
    widths, z_neurons = _lemma8_shape(L)
    sym = symbolic_saddle(widths, z_neurons, p)
    R, *gens = ring(sym.symbols, sp.ZZ)
    index = {s: i for i, s in enumerate(sym.symbols)}
    positions = [index[s] for s in sym.wz]
    H, H0, H1 = R(sym.H), R(sym.H0), R(sym.H1)
    # split/join exactness: the torch partition maps parameter positions to the same symbols, in block order
    flat = torch.arange(sym.partition.net.n_params, dtype=DTYPE)
    wn_pos, wz_pos = (t.long().tolist() for t in sym.partition.split(flat))
    weight_symbols = sym.symbols[: sym.partition.net.n_params]
    layout_exact = [weight_symbols[i] for i in wz_pos] == sym.wz and [weight_symbols[i] for i in wn_pos] == sym.wn
    return Lemma8Expansion(
        widths,
        _graded(H, positions),
        H0,
        H1,
        [(H.diff(gens[i]), H1.diff(gens[i])) for i in positions],
        [(H.diff(gens[index[s]]), H0.diff(gens[index[s]]), H1.diff(gens[index[s]])) for s in sym.wn],
        positions,
        layout_exact,
    )


@functools.cache
def section31_terms() -> tuple[object, object, list[tuple[str, int, object]], tuple[object, list[int]]]:
    """np §3.1, σ = x², L = 3, corrected per digest §6 item 1: (H, H1, [(name, w_z-degree, term)], (printed cross term, w_z positions)).

    H = N̄_3(N̄_2(N̄_1x)²)² + 2N̄_3((N̄_2(N̄_1x)²) ⊙ (B_2(A_1x)²)) + B_3(A_2(N̄_1x)²)² + 2B_3((A_2(N̄_1x)²) ⊙ (C_2(A_1x)²))
        + N̄_3(B_2(A_1x)²)² + B_3(C_2(A_1x)²)².
    """
    sym = symbolic_saddle((2, 3, 3, 1), ((2,), (2,)), 2)  # the paper's convention: the last neuron of each layer
    N, A, B, C, x = sym.N, sym.A, sym.B, sym.C, sym.x
    sq, had = sym.sigma, sp.matrix_multiply_elementwise
    n2 = N[2] * sq(N[1] * x)  # N̄_2(N̄_1x)²
    b2 = B[2] * sq(A[1] * x)  # B_2(A_1x)²
    a2 = A[2] * sq(N[1] * x)  # A_2(N̄_1x)²
    c2 = C[2] * sq(A[1] * x)  # C_2(A_1x)²
    terms = [
        ("N̄_3(N̄_2(N̄_1x)²)²", 0, (N[3] * sq(n2))[0]),
        ("2N̄_3((N̄_2(N̄_1x)²) ⊙ (B_2(A_1x)²))", 3, 2 * (N[3] * had(n2, b2))[0]),
        ("B_3(A_2(N̄_1x)²)²", 3, (B[3] * sq(a2))[0]),
        ("2B_3((A_2(N̄_1x)²) ⊙ (C_2(A_1x)²))", 5, 2 * (B[3] * had(a2, c2))[0]),
        ("N̄_3(B_2(A_1x)²)²", 6, (N[3] * sq(b2))[0]),
        ("B_3(C_2(A_1x)²)²", 7, (B[3] * sq(c2))[0]),
    ]
    printed = 2 * (N[3] * had(N[2] * (N[1] * x), b2))[0]  # as printed in the paper: the inner square is missing
    R, *_ = ring(sym.symbols, sp.ZZ)
    positions = [sym.symbols.index(s) for s in sym.wz]
    return R(sym.H), R(sym.H1), [(name, deg, R(t)) for name, deg, t in terms], (R(printed), positions)


# ---------------------------------------------------------------------------------------------
# numerics of Lemma 8 case (i): remainders on a δ-grid, H − H(w_n, 0) in extended precision
# ---------------------------------------------------------------------------------------------

PART_NAMES = {"value": "(a) value", "grad_wz": "(b) ∇_{w_z}", "grad_wn": "(c) ∇_{w_n}"}  # the three remainders of np Assumption 1
MP_DIGITS = 60  # remainders down to δ^{2p+1} ≈ 1e-33 next to O(1) outputs: every difference is formed at 60 digits
DELTAS = tuple(10.0 ** (-1 - k / 4) for k in range(9))  # 1e-1 … 1e-3, quarter decades
RESOLVED = 10.0 ** (15 - MP_DIGITS)  # a remainder below this fraction of the terms it is the difference of is rounding
LIBRARY_FLOOR = 1e3 * EPS  # float64 autograd H1 against the mpmath reference: rounding level
ROUNDING_RESIDUAL = 1e-12  # a KKT residual this small needs no polishing


def _mp_h1(partition: SaddlePartition, w_n: np.ndarray, w_z: np.ndarray, X: np.ndarray) -> np.ndarray:
    """H1(X; w_n, w_z) of np eq. (21) in mpmath, shape (n, m): an independent reference for :class:`SaddleExpansion`.

    v_{l+1} = ∇_s f_{L,l+2}(N_{l+1}g_l)ᵀ by the backward recursion of np eqs. (46)/(49) (no autograd):
    v_L = I, v_l = v_{l+1} N_{l+1} diag(σ'(h_l)) with h_l = N_l g_{l-1} the n-network pre-activations.
    """
    n_net, L = partition.n_net, partition.depth
    sigma, prime = n_net.activation.mp()
    Ns = mp_split(n_net, w_n)
    gs, hs = [X], [None]
    for N in Ns[:-1]:
        hs.append(gs[-1].dot(N.T))
        gs.append(sigma(hs[-1]))
    n, m = X.shape[0], n_net.widths[-1]
    v = {L: np.array([np.eye(m, dtype=object) * mpmath.mpf(1)] * n, dtype=object)}  # (n, m, m)
    for l in range(L - 1, 1, -1):
        v[l] = np.matmul(v[l + 1], Ns[l]) * prime(hs[l])[:, None, :]
    blocks = partition.blocks(torch.arange(partition.n_wz, dtype=DTYPE))  # positions of the blocks in w_z
    out = np.zeros((n, m), dtype=object) * mpmath.mpf(0)
    for l in range(1, L):
        A, B = (w_z[blocks_l.long().numpy()] for blocks_l in (blocks.A[l], blocks.B[l + 1]))
        pushed = sigma(gs[l - 1].dot(A.T)).dot(B.T)  # B_{l+1} σ(A_l g_{l-1}(x_i)): (n, P_{l+1})
        out = out + np.matmul(v[l + 1], pushed[:, :, None])[:, :, 0]
    return out


@dataclass
class OrderFit:
    """Log-log fit of one remainder on the δ-grid: slope ± stderr over the resolved points."""

    part: str
    deltas: np.ndarray
    remainders: np.ndarray
    scales: np.ndarray
    slope: float = math.nan
    stderr: float = math.nan
    # fit | exact (rounding level at every δ) | bound (slope = a lower bound: the remainder drops below rounding
    # within a decade) | unresolved | undefined (H1 not differentiable)
    status: str = "fit"

    @property
    def resolved(self) -> np.ndarray:
        return self.remainders > RESOLVED * self.scales

    def fit(self) -> OrderFit:
        if not np.isfinite(self.remainders).all():
            self.status = "undefined"  # H1 is not differentiable there: part (b)/(c) has no meaning
            return self
        keep = self.resolved
        if not keep.any():
            self.status = "exact"
            return self
        x, y = np.log10(self.deltas[keep]), np.log10(self.remainders[keep])
        if keep.sum() < 3 or x.max() - x.min() < 1 - 1e-9:
            # too few resolved points for a fit. If the resolved ones are the largest δ and the remainder then
            # drops below rounding, its local order is at least that of the drop to the rounding level
            last = int(np.flatnonzero(keep)[-1])
            if keep[: last + 1].all() and last + 1 < len(keep):
                rounding = RESOLVED * self.scales[last + 1]
                self.slope = float(np.log10(self.remainders[last] / rounding) / np.log10(self.deltas[last] / self.deltas[last + 1]))
                self.status = "bound"
            else:
                self.status = "unresolved"
            return self
        xc = x - x.mean()
        self.slope = float((xc * y).sum() / (xc**2).sum())
        residual = y - y.mean() - self.slope * xc
        self.stderr = float(np.sqrt((residual**2).sum() / (len(x) - 2) / (xc**2).sum()))
        return self


@dataclass
class RemainderMeasurement:
    """The three fits of np Lemma 8 (a)(b)(c) and the relative defects of the library's H1 against the mpmath reference.

    library: (what was compared, at which δ; relative defect), NaN where the reference derivative does not exist.
    """

    fits: list[OrderFit]
    library: list[tuple[str, float]]

    @property
    def library_defect(self) -> float:
        """The largest finite library defect (NaN when none could be formed)."""
        return max((d for _, d in self.library if math.isfinite(d)), default=math.nan)


def directions(partition: SaddlePartition, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Unit directions (ŵ of w_z, e_z in w_z-space, e in w_n-space) drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    draws = (rng.standard_normal(partition.n_wz), rng.standard_normal(partition.n_wz), rng.standard_normal(partition.n_wn))
    return tuple(torch.as_tensor(v / np.linalg.norm(v), dtype=DTYPE) for v in draws)


def remainder_fits(
    partition: SaddlePartition, w_n: torch.Tensor, X: torch.Tensor, z: torch.Tensor, direction_seed: int, h1_coefficient: float = 1.0
) -> RemainderMeasurement:
    """Remainders of np Lemma 8 (a)(b)(c) along w_z = δ·ŵ (ŵ a random unit direction) on :data:`DELTAS`, in mpmath.

    (a) max_i |H − H(w_n,0) − H1|; (b) e_z·∇_{w_z}zᵀ(H − H1) and (c) e·∇_{w_n}zᵀ(H − H(w_n,0) − H1) along random
    unit directions e_z, e (mpmath.diff). Each with the size of the terms it is the difference of (the
    O(1) outputs included, so that rounding at 60 digits is not read as a remainder). Also the
    relative defects of :class:`SaddleExpansion` (float64, autograd) against the mpmath H1 and its two
    directional derivatives.
    """
    net = partition.net
    w_hat, e_z, e_n = directions(partition, direction_seed)
    w_n_var = w_n.detach().clone().requires_grad_(True)
    expansion = SaddleExpansion(partition, w_n_var, X)  # differentiable in w_n
    zeros = torch.zeros(partition.n_wz, dtype=DTYPE)
    rows, library = [], []
    with mpmath.workdps(MP_DIGITS):
        X_mp, z_mp, Wn, Ez, En = (to_mp(t.numpy()) for t in (X, z, w_n, e_z, e_n))
        E = to_mp(partition.join(e_n, zeros).numpy())
        E_z = to_mp(partition.join(torch.zeros_like(w_n), e_z).numpy())
        U0 = to_mp(partition.join(w_n, zeros).numpy())
        H0 = mp_output(net, U0, X_mp)
        net0_n = mpmath.diff(lambda s: (z_mp * mp_output(net, U0 + s * E, X_mp)).sum(), 0)  # e·∇_{w_n}zᵀH(w_n, 0)

        def ncf(H):
            return (z_mp * H).sum()

        for delta in DELTAS:
            w_z = delta * w_hat
            Wz, Uz = to_mp(w_z.numpy()), to_mp(partition.join(w_n, w_z).numpy())
            H, H1 = mp_output(net, Uz, X_mp), _mp_h1(partition, Wn, Wz, X_mp)
            a = (max(abs(h - h0 - h1_coefficient * h1) for h, h0, h1 in zip(H.flat, H0.flat, H1.flat)),
                 max(abs(h) + abs(h0) + abs(h1) for h, h0, h1 in zip(H.flat, H0.flat, H1.flat)))
            net_z = mpmath.diff(lambda s, Uz=Uz: ncf(mp_output(net, Uz + s * E_z, X_mp)), 0)
            h1_z = _mp_derivative(lambda s, Wz=Wz: ncf(_mp_h1(partition, Wn, Wz + s * Ez, X_mp)))
            b = (abs(net_z - h1_coefficient * h1_z), abs(net_z) + abs(h1_z))
            net_n = mpmath.diff(lambda s, Uz=Uz: ncf(mp_output(net, Uz + s * E, X_mp)), 0)
            h1_n = _mp_derivative(lambda s, Wz=Wz: ncf(_mp_h1(partition, Wn + s * En, Wz, X_mp)))
            c = (abs(net_n - net0_n - h1_coefficient * h1_n), abs(net_n) + abs(net0_n) + abs(h1_n))
            rows.append([tuple(float(v) for v in part) for part in (a, b, c)])

            # the library's H1 (float64, autograd) against the mpmath reference, at this δ
            ref = np.vectorize(float)(H1)
            lib = expansion.h1(w_z).detach().numpy()
            library.append((f"library H1 vs mpmath, δ = {fmt(delta)}", float(np.abs(lib - ref).max() / max(np.abs(ref).max(), 1e-300))))
            derivatives = (("e_z·∇_{w_z}", e_z, h1_z), ("e·∇_{w_n}", e_n, h1_n))
            if not (mpmath.isfinite(h1_z) and mpmath.isfinite(h1_n)):  # H1 not differentiable here: nothing to compare
                library += [(f"library {name}zᵀH1 vs mpmath, δ = {fmt(delta)}", math.nan) for name, _, _ in derivatives]
                continue
            w_var = w_z.clone().requires_grad_(True)
            value = expansion.ncf(z, w_var)
            g_z, g_n = torch.autograd.grad(value, (w_var, w_n_var), allow_unused=True, retain_graph=True)
            for g, (name, e, ref_d) in zip((g_z, g_n), derivatives):
                g = torch.zeros_like(e) if g is None else g
                # relative to ‖g‖ >= |g·e|: a directional derivative may cancel to far below the gradient's size
                library.append((f"library {name}zᵀH1 vs mpmath, δ = {fmt(delta)}",
                                abs(float(g @ e) - float(ref_d)) / max(float(g.norm()), abs(float(ref_d)), 1e-300)))
    deltas = np.array(DELTAS)
    fits = [OrderFit(name, deltas, np.array([r[k][0] for r in rows]), np.array([r[k][1] for r in rows])).fit()
            for k, name in enumerate(("value", "grad_wz", "grad_wn"))]
    return RemainderMeasurement(fits, library)


def _mp_derivative(f) -> mpmath.mpf:
    """f'(0) by mpmath.diff, or NaN where f is not differentiable at 0.

    A jump of f (H1 is discontinuous in w_n where σ' of the n-network jumps, p = 1 at a kink) makes the central
    difference grow like 1/h: two step sizes 2^20 apart then disagree. At a corner both give the mean slope.
    """
    d, d_fine = mpmath.diff(f, 0), mpmath.diff(f, 0, addprec=30)
    return d if abs(d - d_fine) <= mpmath.mpf(10) ** (-20) * (abs(d) + abs(d_fine)) else mpmath.nan


# ---------------------------------------------------------------------------------------------
# np.lemma8
# ---------------------------------------------------------------------------------------------


@register
class SaddleDecomposition(Checker):
    """np Lemma 8 (Assumption 1 for feed-forward nets, eq. 21) and the §3.1 square-activation expansion.

    Symbolic (α = 1, σ = x^p, p ∈ {1,2,3}, L ∈ {2,3,4}): the exact t-expansion of H(x; w_n, t·w_z).
    Numeric (α ≠ 1, p >= 4): log-log slopes of the three remainders of Assumption 1 as δ → 0.
    """

    id = "np.lemma8"
    title = "Leading homogeneous term H1 of the output near a sparse saddle"
    source = "np Lemma 8 (eq. 20, eq. 21, Assumption 1, §3.1)"
    statement = (
        "Split the weights at a set G_z of hidden neurons into w_n and w_z. (ii) α = 1, p >= 1: H(x; w_n, w_z) = "
        "H(x; w_n, 0) + Σ_i H_i(x; w_n, w_z), each H_i a polynomial homogeneous in w_z, H_1 of degree p+1 and given by "
        "eq. (21), every other H_i of degree > p+1. (i) α ≠ 1, p >= 4, w_n fixed, ‖w_z‖ = O(δ): (a) H = H(w_n,0) + H1 + "
        "O(δ^K), (b) ∇_{w_z}H = ∇_{w_z}H1 + O(δ^{K−1}), (c) ∇_{w_n}H = ∇_{w_n}H(w_n,0) + ∇_{w_n}H1 + O(δ^K), with H1 "
        "(p+1)-homogeneous in w_z and K > p+1. §3.1 (σ = x², L = 3): the six-term expansion, corrected per digest §6.1."
    )
    hypotheses_text = (
        "Numeric: σ = max(x,αx)^p with α ∈ {0, 0.5, 2, −0.3}, p ∈ {4, 5}; L ∈ {3, 4} (for L = 2, H = H(w_n,0) + H1 "
        "exactly for every σ: symbolic part and tests), hidden widths 2–3, every hidden layer split into a random "
        "non-empty proper subset G_z and the rest; scalar and 2-dimensional outputs; Gaussian / sphere / hypercube data, "
        "n 3–6, d 2–3; w_n ~ N(0,1), n-neurons dead on every sample negated, each layer rescaled to unit-RMS "
        "pre-activations; a random unit direction ŵ of w_z, w_z = δŵ, δ = 10^{-1} … 10^{-3} (quarter decades); random "
        "unit directions e_z of w_z and e of w_n; z ~ N(0, I). Symbolic: σ = x^p, p ∈ {1,2,3}, L ∈ {2,3,4}, d = 2, one n- "
        "and one z-neuron per hidden layer with G_z alternating between the first and the last neuron (np Remark 2)."
    )
    method = (
        "Symbolic (sympy polynomial rings, exact): expand H; the t^k coefficient of H(x; w_n, t·w_z) is its part of degree k "
        "in w_z. Obligations: t⁰ coefficient = the n-network built from the N blocks alone; the lowest positive degree is "
        "p+1 and its coefficient equals eq. (21) built from g_l and the sympy Jacobian of f_{L,l+2}; with K the lowest "
        "degree of the remainder H − H(w_n,0) − H1 (K > p+1), every term of ∇_{w_z}H − ∇_{w_z}H1 has w_z-degree >= K−1 and "
        "every term of ∇_{w_n}(H − H(w_n,0) − H1) degree >= K; the torch partition's w_n/w_z layout is exactly the blocks. "
        "§3.1: H equals the six corrected terms, each homogeneous of its stated degree, H1 = the two degree-3 terms, and "
        "the cross term as printed differs. Numeric (mpmath, 60 digits — in float64 the remainders would be lost against "
        "the O(1) output): at each δ, (a) = max_i |H − H(w_n,0) − H1|, (b) = |e_z·∇_{w_z}zᵀ(H − H1)|, (c) = "
        "|e·∇_{w_n}zᵀ(H − H(w_n,0) − H1)| (mpmath.diff), with H1 of eq. (21) evaluated in mpmath by the backward "
        "recursion of np eqs. (46)/(49); the library's H1 (verify.saddle, float64, autograd) and its two directional "
        "derivatives are checked against this reference at every δ (relative defect, floor 1e3·ε; one entry per quantity and δ). "
        "A remainder counts where it "
        "exceeds 1e-45 × the sum of the magnitudes it is the difference of; the slope is the least-squares log-log slope "
        "over those δ (at least 3 points spanning a decade), its error floor the slope's standard error. The violation "
        "is the slope's shortfall below the order the statement needs: K − ½ for (a) and (c), K − 1 − ½ for (b), with "
        "K = p+2 the smallest integer order above p+1 (along a ray the remainder is piecewise polynomial in δ, so its "
        "order is an integer). Each of the three remainders is an entry of its own: a remainder at rounding level at every δ, "
        "or one that drops below rounding within a decade at a local order of at least the requirement, satisfies the "
        "statement; one that cannot be resolved over a decade, a lower bound below the requirement, or an H1 that is not "
        "differentiable there measures nothing (NaN, inconclusive). The 'outside the "
        "hypotheses' section (α ≠ 1, p <= 3) is measured the same way and is not part of the verdict."
    )
    tolerance = 0.0
    floor_factor = 3.0
    max_error_floor = 0.05
    lowest_degree = staticmethod(lambda p: p + 1)
    h1_coefficient = 1
    wz_gradient_order = staticmethod(lambda K: K - 1)
    order_margin = 0.5
    mutants = [
        Mutant("lowest degree p+2", "the leading term H1 has degree p+2 in w_z", lowest_degree=staticmethod(lambda p: p + 2)),
        Mutant("coefficient 2·H1", "the t^{p+1} coefficient is 2·H1", h1_coefficient=2),
        Mutant("∇_{w_z} remainder O(δ^K)", "the w_z-gradient remainder has the order K of the value remainder",
               wz_gradient_order=staticmethod(lambda K: K)),
    ]

    def hypotheses(self):
        problems = saddle_problems(alphas=(0.0, 0.5, 2.0, -0.3), ps=(4, 5), depths=(3, 4), hidden=(2, 3), n=(3, 6))
        return st.tuples(problems, seeds())

    def required_orders(self, p: int) -> dict[str, float]:
        """Smallest fitted slopes that show the statement's orders: K > lowest degree, K − 1 for (b)."""
        K = self.lowest_degree(p) + 1  # the smallest integer order above the leading degree
        return {"value": K - self.order_margin, "grad_wz": self.wz_gradient_order(K) - self.order_margin,
                "grad_wn": K - self.order_margin}

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, direction_seed = instance
        p = problem.net.activation.p
        measured = remainder_fits(problem.partition, problem.w_n, problem.X, problem.z, direction_seed, self.h1_coefficient)
        required = self.required_orders(p)
        # the library's H1 and its two directional derivatives against the mpmath reference, at every δ: rounding level
        checked = [Entry(defect, LIBRARY_FLOOR, label=label) for label, defect in measured.library]
        checked += [self.order_entry(fit, required[fit.part]) for fit in measured.fits]
        measurements = {"depth": problem.net.depth, "p": p, "alpha": problem.net.activation.alpha,
                        "library_h1_defect": measured.library_defect}
        for fit in measured.fits:
            if fit.status == "fit":
                measurements[f"slope_{fit.part}"] = fit.slope
            elif fit.status == "bound" and fit.slope >= required[fit.part]:
                measurements[f"slope_{fit.part}_lower_bound"] = fit.slope  # a lower bound above the requirement
            measurements[f"exact_{fit.part}"] = float(fit.status == "exact")
        undecided = [f"{f.part} ({f.status})" for f in measured.fits
                     if f.status in ("unresolved", "undefined") or (f.status == "bound" and f.slope < required[f.part])]
        return Evidence(
            checked, measurements=measurements, instance=f"{problem}; direction seed={direction_seed}",
            note=f"no order measured: {', '.join(undecided)}" if undecided else "; ".join(
                f"{f.part}: {'exact' if f.status == 'exact' else ('>= ' if f.status == 'bound' else '') + f'{f.slope:.2f}'}"
                for f in measured.fits),
        )

    def order_entry(self, fit: OrderFit, required: float) -> Entry:
        """One remainder of Assumption 1 as an entry: the fitted slope's shortfall below the order the statement needs.

        A remainder at rounding level at every δ, or one whose local order is bounded below by at least the
        requirement, satisfies the statement (violation 0). A lower bound below the requirement, a remainder that
        cannot be resolved over a decade, or an H1 that is not differentiable there measures no order: NaN.
        """
        label = f"remainder slope, part {PART_NAMES[fit.part]}"
        if fit.status == "fit":
            return Entry(max(0.0, required - fit.slope), fit.stderr, label=label)
        if fit.status == "exact" or (fit.status == "bound" and fit.slope >= required):
            return Entry(0.0, 0.0, label=label)
        why = {"bound": f"lower bound {fit.slope:.2f} below {required:g}", "unresolved": "not resolved over a decade",
               "undefined": "H1 not differentiable"}.get(fit.status, fit.status)
        return Entry(math.nan, math.nan, converged=False, label=f"{label}: {why}")

    def summarise(self, records: list) -> dict[str, float]:
        out = {}
        for part in ("value", "grad_wz", "grad_wn"):
            # slope − (2p+1 for value and grad_wn, 2p for grad_wz): the orders of the proof in np §B.2
            excess = [r.measurements[f"slope_{part}"] - (2 * r.measurements["p"] + (part != "grad_wz"))
                      for r in records if f"slope_{part}" in r.measurements]
            if excess:
                out[f"slope_{part}_minus_proof_order_min"], out[f"slope_{part}_minus_proof_order_max"] = min(excess), max(excess)
        return out

    def obligations(self) -> list[Obligation]:
        out = []
        for L, p in LEMMA8_CASES:
            ex = lemma8_expansion(L, p)
            degrees = sorted(k for k, c in ex.coefficients.items() if c)
            lowest = min((k for k in degrees if k > 0), default=None)
            leading = self.lowest_degree(p)
            remainder = [c for k, c in ex.coefficients.items() if k > 0] + [-self.h1_coefficient * ex.H1]
            rem_poly = sum(remainder[1:], remainder[0])
            K = _lowest_degree([rem_poly], ex.positions)
            K_z = _lowest_degree([dH - self.h1_coefficient * dH1 for dH, dH1 in ex.grad_wz], ex.positions)
            K_n = _lowest_degree([dH - dH0 - self.h1_coefficient * dH1 for dH, dH0, dH1 in ex.grad_wn], ex.positions)
            holds = (
                ex.layout_exact
                and ex.coefficients.get(0) == ex.H0
                and lowest == leading
                and ex.coefficients.get(leading) == self.h1_coefficient * ex.H1
                and K > leading
                and K_z >= self.wz_gradient_order(K)
                and K_n >= K
            )
            out.append(Obligation(
                f"L={L}, p={p}, widths {ex.widths}, G_z {list(map(list, _lemma8_shape(L)[1]))}",
                f"H(w_n, t·w_z): t⁰ coefficient = H(w_n,0); lowest positive degree {leading} with coefficient "
                f"{self.h1_coefficient if self.h1_coefficient != 1 else ''}H1 (eq. 21); remainder degree K > {leading}; "
                f"∇_{{w_z}} remainder degree >= {self.wz_gradient_order(sp.Symbol('K'))}; ∇_{{w_n}} remainder degree >= K",
                holds,
                f"t-degrees {degrees}; K = {K}; ∇_{{w_z}} remainder degree {K_z}; ∇_{{w_n}} remainder degree {K_n}"
                + ("" if ex.layout_exact else "; partition layout differs from the blocks"),
            ))
        out.append(self._section31_obligation())
        return out

    def _section31_obligation(self) -> Obligation:
        H, H1, terms, (printed, positions) = section31_terms()
        total = sum((t for _, _, t in terms), H.ring.zero)
        homogeneous = all(t and {sum(m[i] for i in positions) for m in t.keys()} == {deg} for _, deg, t in terms)
        leading = sum((t for _, deg, t in terms if deg == self.lowest_degree(2)), H.ring.zero)
        printed_differs = printed != terms[1][2]
        holds = H == total and homogeneous and leading == self.h1_coefficient * H1 and printed_differs
        return Obligation(
            "§3.1: σ = x², L = 3, widths (2, 3, 3, 1), G_z = last neuron of each layer",
            "H = " + " + ".join(name for name, _, _ in terms) + f"; w_z-degrees {[deg for _, deg, _ in terms]}; "
            f"H1 (eq. 21) = the degree-{self.lowest_degree(2)} terms",
            holds,
            ("sum of the six terms equals H exactly; " if H == total else "the six terms do NOT sum to H; ")
            + ("each term homogeneous of its degree; " if homogeneous else "a term is not homogeneous of its stated degree; ")
            + ("the cross term as printed, 2N̄_3((N̄_2(N̄_1x)) ⊙ (B_2(A_1x)²)), is not the coefficient (paper typo, digest §6.1)"
               if printed_differs else "the printed cross term equals the corrected one"),
        )

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        lines = ["## Fitted remainder slopes (np Lemma 8 (i): α ≠ 1, p >= 4)", "",
                 "Least-squares log-log slopes of the three remainders of Assumption 1 along w_z = δŵ. The statement "
                 "needs K > p+1 (value, ∇_{w_n}) and K − 1 > p (∇_{w_z}); the proof in np §B.2 gives 2p+1, 2p, 2p+1 "
                 "(digest item 23). 'exact' = at rounding level for every δ; '>= s' = the remainder drops below rounding "
                 "within a decade, at a local order of at least s.", ""]
        rows = []
        for r in result.records:
            m, p = r.measurements, int(r.measurements["p"])
            cells = [fmt(m[f"slope_{k}"], 4) if f"slope_{k}" in m else f">= {fmt(m[f'slope_{k}_lower_bound'], 3)}"
                     if f"slope_{k}_lower_bound" in m else ("exact" if m.get(f"exact_{k}") else "–")
                     for k in ("value", "grad_wz", "grad_wn")]
            rows.append(["; ".join(r.instance.split("; ")[:2]), *cells, f"{2 * p + 1}, {2 * p}, {2 * p + 1}", r.verdict])
        lines.append(markdown_table(["network; G_z", "value (a)", "∇_{w_z} (b)", "∇_{w_n} (c)", "proof orders", "verdict"], rows))
        outside_md, figure = outside_hypotheses(figure_dir / f"{self.id}-remainders.png")
        return "\n".join(lines) + "\n\n" + outside_md, [str(figure)]


OUTSIDE_DIRECTION_SEED = 14


def _outside_problem(alpha: float, p: int, kink: bool) -> tuple[SaddleProblem, torch.Tensor]:
    """A fixed L = 3 instance, widths (2, 3, 3, 1), G_z = the last neuron of each hidden layer.

    The two n-neurons of each hidden layer are antipodal (N_l[1,:] = −N_l[0,:]), so no sample switches a whole
    n-layer off (for ReLU that would put every downstream n-pre-activation exactly at the kink). With
    ``kink``, N_2[0,:] ⟂ g_1(x_i) for the sample x_i where the layer-1 z-neuron is most active along ŵ, so that
    h_2 = N_2 g_1(x_i) = 0 there: a kink of σ in the n-network that the z-perturbation reaches.
    """
    problem = SaddleProblem(FeedForward((2, 3, 3, 1), Activation(alpha, p)), ((2,), (2,)), Dataset("gaussian", 5, 2, 11), 12, 13)
    n_net = problem.partition.n_net
    Ns = n_net.split(problem.w_n.clone())
    Ns[0][1] = -Ns[0][0]
    if kink:
        # at the sample where the layer-1 z-neuron is most active, so the perturbation of h_2 is not 0
        A_1 = problem.partition.blocks(directions(problem.partition, OUTSIDE_DIRECTION_SEED)[0]).A[1]
        i = int(n_net.activation(problem.X @ A_1.T).abs().argmax())
        g1 = n_net.activation(problem.X[i] @ Ns[0].T)
        Ns[1][0] = torch.stack([g1[1], -g1[0]])  # g1[1]·g1[0] − g1[0]·g1[1] = 0
    Ns[1][1] = -Ns[1][0]
    return problem, n_net.flatten(Ns)


def outside_hypotheses(figure_path) -> tuple[str, object]:
    """np Lemma 8 outside its hypotheses (α ≠ 1, p ∈ {1,2,3}): measured, not a verdict."""
    from verify.plots import plt

    lines = ["## Outside the hypotheses (α ≠ 1, p ∈ {1, 2, 3}): measured, not a verdict", "",
             "Lemma 8 (i) assumes p >= 4 (its proof needs σ'' to be C¹). Fixed instance: L = 3, widths (2, 3, 3, 1), G_z = "
             "the last neuron of each hidden layer, antipodal n-neurons, same δ-grid and method as above. 'generic': no "
             "n-pre-activation at a kink of σ; 'kink': h_2 = N_2 g_1(x_i) = 0 for both n-neurons at the sample where the "
             "layer-1 z-neuron is most active, where H1 uses the Clarke element σ'(0) = (1+α)/2 (p = 1; torch's choice, "
             "mirrored in the mpmath reference). min abs(h_2) is the smallest n-pre-activation of layer 2 over the samples. "
             "The statement needs value and ∇_{w_n} slopes > p+1 and a ∇_{w_z} slope > p (by ½: orders are integers).", ""]
    short, rows = [], []
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True)
    for alpha, p, kink in itertools.product((0.0, 0.5), (1, 2, 3), (False, True)):
        problem, w_n = _outside_problem(alpha, p, kink)
        n_net = problem.partition.n_net
        h2 = n_net.activation(problem.X @ n_net.split(w_n)[0].T) @ n_net.split(w_n)[1].T
        fits = remainder_fits(problem.partition, w_n, problem.X, problem.z, OUTSIDE_DIRECTION_SEED).fits
        point = "kink" if kink else "generic"
        cells = []
        for f, need in zip(fits, (p + 1, p, p + 1)):
            cells.append("exact" if f.status == "exact" else f"{fmt(f.slope, 3)} ± {fmt(f.stderr, 1)}" if f.status == "fit" else
                         f">= {fmt(f.slope, 2)}" if f.status == "bound" else "H1 not differentiable" if f.status == "undefined"
                         else f.status)
            if f.status != "exact" and not (f.status in ("fit", "bound") and f.slope > need + 0.5):
                short.append(f"α = {alpha:g}, p = {p}, {point}: {f.part} {cells[-1]} (needs > {need})")
        ok = all(f.status == "exact" or (f.status in ("fit", "bound") and f.slope > need + 0.5) for f, need in zip(fits, (p + 1, p, p + 1)))
        rows.append([fmt(alpha), p, point, fmt(float(h2.abs().min()), 1), *cells, "yes" if ok else "**no**"])
        if alpha == 0.0:
            for ax, f in zip(axes, fits):
                ax.loglog(f.deltas, np.maximum(f.remainders, 1e-300), "o-" if kink else "s--", ms=3, label=f"p={p}, {point}")
    for ax, title in zip(axes, ("(a) value", "(b) ∇_{w_z}", "(c) ∇_{w_n}")):
        ax.set_title(f"{title} remainder, α = 0")
        ax.set_xlabel("δ = ‖w_z‖")
        ax.grid(True, which="both", lw=0.3)
    axes[0].set_ylabel("remainder")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figure_path, dpi=100)
    plt.close(fig)
    lines += [markdown_table(["α", "p", "point", "min abs(h_2)", "value (a)", "∇_{w_z} (b)", "∇_{w_n} (c)", "orders of the statement?"],
                             rows),
              "", "Orders below the statement's: " + ("; ".join(short) if short else "none") + ".", "",
              "Reading: at generic points (no n-pre-activation at 0) every order is at least the statement's for p = 1, 2, 3 "
              "as well; p >= 4 is what the proof's Taylor argument needs, not what the conclusion needs at such points "
              "(slopes between integers are two orders mixing over the grid, the crossover set by how small the "
              "n-pre-activations are, min abs(h_2)). At a kink met by an n-pre-activation h with a z-perturbation "
              "c = O(δ^{p+1}), σ(h + c) is expanded through 0: for p = 1, σ has a corner there and H1, built with one Clarke "
              "element of σ'(0), misses a term of the size of c: the value remainder is of the order δ^{p+1} of H1 itself, "
              "the ∇_{w_z} remainder of order δ^p, and H1 is not even differentiable in w_n there (σ' of the n-network "
              "jumps), so (c) has no meaning; for p = 2, σ' has a corner, "
              "which only the ∇_{w_n} remainder (through σ'' of the n-network) sees, at order δ^{p+1}; for p = 3 the orders "
              "are unaffected. So Assumption 1 holds for ReLU-type σ at generic w_n and fails where an n-pre-activation "
              "sits at 0 (p = 1: all three parts; p = 2: part (c))."]
    return "\n".join(lines), figure_path


# ---------------------------------------------------------------------------------------------
# np.lemma9
# ---------------------------------------------------------------------------------------------


def _activation_derivative(activation: Activation, h: torch.Tensor) -> torch.Tensor:
    """σ'(h) = p·c·(c h)^{p-1} with c = max(1,α) for h >= 0 and min(1,α) for h < 0."""
    lo, hi = (torch.tensor(c, dtype=h.dtype, device=h.device) for c in activation.slopes)  # not float32 scalars
    c = torch.where(h >= 0, hi, lo)
    return activation.p * c * (c * h) ** (activation.p - 1)


def zz_display_term(expansion: SaddleExpansion, z: torch.Tensor):
    """w_z ↦ zᵀ Σ_{l=2}^{L-1} v_{l+1} B_{l+1}(σ'(A_l g_{l-1}) ⊙ (C_l σ(A_{l-1} g_{l-2}))).

    The extra term of the paper's informal §3.1 ReLU display (digest §6.25), of degree 2p+1 in w_z and
    not part of eq. (21); only the mutant "C̄_l free" adds it to H1.
    """
    partition, terms = expansion.partition, expansion.terms
    correlations = [term.correlation(z) for term in terms]

    def objective(w_z: torch.Tensor) -> torch.Tensor:
        blocks = partition.blocks(w_z)
        total = 0
        for l in range(2, partition.depth):
            below, here = terms[l - 2], terms[l - 1]
            upstream = below.activation(below.inputs @ blocks.A[l - 1].transpose(-1, -2)) @ blocks.C[l].transpose(-1, -2)
            slope = _activation_derivative(here.activation, here.inputs @ blocks.A[l].transpose(-1, -2))
            total = total + (slope * upstream * (correlations[l - 1] @ blocks.B[l + 1])).sum(dim=(-2, -1))
        return total

    return objective


@dataclass
class KKTPoint:
    """A unit w_z with a (Clarke) subgradient g of the objective: λ = ⟨g, w_z⟩, residual ‖g − λw_z‖/‖g‖.

    zeroed: norm of the weight the Clarke completion set to 0 (outside the dominant layer block).
    """

    w_z: torch.Tensor
    grad: torch.Tensor
    lam: float
    residual: float
    tau: float = 0.0
    n_kinks: int = 0
    zeroed: float = 0.0


def certify(expansion: SaddleExpansion, z: torch.Tensor, objective, u: torch.Tensor, grad: torch.Tensor) -> KKTPoint:
    """A certified KKT point of the constrained H1-NCF at, or completed from, a unit u found by the ascent.

    A point whose autograd residual is already at rounding level is returned as it is. Otherwise, for
    smooth σ, Newton's method on the KKT system (:func:`verify.saddle.sphere_newton`). For p = 1, α ≠ 1 the
    objective is non-smooth in A_l where A_l[j,:]·g_{l-1}(x_i) = 0 (the z-neuron's own activation; the
    n-network's σ' only enters the fixed v_{l+1}), and projected ascent stalls on such kinks before the
    non-dominant blocks have decayed. The point is then completed on its dominant layer: that block
    θ_l = (A_l, B_{l+1}) is the NCF of a two-layer net (:meth:`verify.saddle.LayerTerm.network`), so it is
    polished (:func:`verify.clarke.polish_kkt`) and Clarke-certified (:func:`verify.clarke.stationarity`) there,
    and every other block is set to 0. That is again a point of the full problem (every other block's
    gradient vanishes at 0 — degree p+1 >= 2 in its own block, and H1 has no C); its stationarity is
    measured with the objective's own gradient outside the polished block, so it is a KKT point of the
    full problem only if H1 really does not depend on C.
    """
    residual = float(kkt_residual(u, grad))
    if residual <= ROUNDING_RESIDUAL:
        return KKTPoint(u, grad, float(grad @ u), residual)
    if not expansion.partition.net.activation.kinked:
        w, g, residual = sphere_newton(objective, u)
        return KKTPoint(w, g, float(g @ w), residual)
    partition, blocks, at = expansion.partition, [], 0
    for term in expansion.terms:
        size = term.in_dim * partition.deltas[term.layer - 1] + term.out_dim * partition.deltas[term.layer - 1]
        blocks.append((term, at, size))
        at += size
    term, start, size = max(blocks, key=lambda b: float(u[b[1] : b[1] + b[2]].norm()))
    net, Q = term.network(partition.deltas[term.layer - 1]), term.correlation(z)
    theta = u[start : start + size]
    polished = polish_kkt(net, theta / theta.norm(), term.inputs, Q)
    cert = stationarity(net, polished.u, term.inputs, Q, tau=1e-9)
    w = torch.zeros_like(u)
    w[start : start + size] = polished.u
    _, g = _value_grad(objective, w)
    g[start : start + size] = cert.grad
    zeroed = math.sqrt(max(0.0, 1.0 - float(theta.norm()) ** 2))
    return KKTPoint(w, g, float(g @ w), float(kkt_residual(w, g)), cert.tau, cert.n_kinks, zeroed)


def _value_grad(objective, u: torch.Tensor) -> tuple[float, torch.Tensor]:
    with torch.enable_grad():
        w = u.detach().clone().requires_grad_(True)
        value = objective(w.unsqueeze(0))[0]
        (g,) = torch.autograd.grad(value, w, allow_unused=True)
    return float(value.detach()), torch.zeros_like(u) if g is None else g


@register
class SaddleKKTBalance(Checker):
    """np Lemma 9 with the per-neuron separation of the H1-NCF (np §3.3): C̄_l = 0 and p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖²."""

    id = "np.lemma9"
    title = "Separation of the H1-NCF over z-neurons; vanishing C and balance at its positive KKT points"
    source = "np Lemma 9 (with §3.3, separation of the NCF)"
    statement = (
        "Fix w_n and a non-zero z. (§3.3) N_{z,H1}(w_z) = Σ_{l=1}^{L−1} Σ_j N_{z,H_{1,l}}(B_{l+1}[:,j], A_l[j,:]) with "
        "H_{1,l}(x; b, a) = ∇_s f_{L,l+2}(N_{l+1}g_l(x))ᵀ b σ(aᵀg_{l−1}(x)) (H_{1,L−1} = b σ(aᵀg_{L−2}(x))), each term "
        "(p+1)-homogeneous in its own (b, a). (Lemma 9) If w̄_z is a positive KKT point of max_{‖w_z‖=1} zᵀH1(X; w_n, w_z) "
        "(Clarke sense for p = 1), then C̄_l = 0 for 2 <= l <= L−1 and p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖² for every z-neuron j "
        "of every layer l; hence p‖W̄_{l+1}[:,j]‖² = ‖W̄_l[j,:]‖² for the z-neurons."
    )
    hypotheses_text = (
        "σ = max(x,αx)^p, α ∈ {0, 0.1, 1}, p ∈ {1,2,3}; L ∈ {2,3,4}, hidden widths 2–4, every hidden layer split into a "
        "random non-empty proper subset G_z (any positions, np Remark 2) and the rest; scalar and 2-dimensional outputs "
        "(np Remark 3); Gaussian / sphere / hypercube data, n 5–12, d 2–3; w_n ~ N(0,1), n-neurons dead on every sample "
        "negated, each layer rescaled to unit-RMS pre-activations; z ~ N(0, I); 12 restarts uniform on the sphere of w_z, "
        "400 ascent steps. Symbolic: σ = x^p, p ∈ {1,2,3}, L ∈ {2,3,4}, d = 2, one n-neuron and two z-neurons per hidden "
        "layer."
    )
    method = (
        "Separation (§3.3): at 4 random w_z, eq. (21) in matrix form against the sum of the per-neuron terms, and each "
        "term at (cb, ca) against c^{p+1} times its value, as relative defects with floor 1e3·ε; ∂N/∂C of the maximised "
        "objective at a random w_z must vanish (H1 has no C). Symbolic (σ = x^p, exact): the same separation, the Euler "
        "identities ⟨a,∇_a T⟩ = p·T, ⟨b,∇_b T⟩ = T of every per-neuron term T (whence the balance at KKT points) and "
        "∂H1/∂C = 0. KKT points: batched projected gradient ascent on the sphere (verify.saddle.sphere_ascent); the "
        "best restarts with positive value are certified: as they are when the autograd residual is at rounding level, "
        "else by Newton's method on the KKT system (verify.saddle.sphere_newton) for smooth σ, or, for p = 1, α ≠ 1, "
        "where the ascent stalls on kinks of the z-neurons' own activations, by polishing the dominant layer block as "
        "the NCF of a two-layer net and certifying it in the Clarke sense (verify.clarke.polish_kkt, stationarity), the "
        "other blocks set to 0. Up to 3 points with residual below 1e-8 are kept. With g the (sub)gradient, "
        "λ = ⟨g, w̄_z⟩ and r = g − λw̄_z: λC̄_l = −r_{C_l} exactly when ∂N/∂C = 0, so ‖C̄_l‖ has floor "
        "(‖r_{C_l}‖ + 64ε‖g‖)/λ; Euler gives λ(‖Ā_l[j]‖² − p‖B̄_{l+1}[:,j]‖²) = −⟨Ā_l[j], r⟩ + p⟨B̄_{l+1}[:,j], r⟩, so the "
        "balance has floor (|⟨Ā_l[j], r⟩| + p|⟨B̄_{l+1}[:,j], r⟩| + (τ + 64ε)‖g‖)/λ (τ: the kink threshold of the Clarke "
        "certificate); the full-row/column balance adds the C̄ floors. Violations are absolute (‖w̄_z‖ = 1). Entries, each "
        "decided against its own bound: every separation and homogeneity defect and ∂N/∂C at each random w_z, and at each "
        "kept KKT point every ‖C̄_l‖ and both balances of every z-neuron; an instance without a certified positive KKT "
        "point is inconclusive (its separation entries can still fail it)."
    )
    tolerance = 1e-12
    floor_factor = 2.0
    max_error_floor = 1e-7
    balance_factor = staticmethod(lambda p: p)
    term_degree = staticmethod(lambda p: p + 1)
    h1_has_zz_term = False
    restarts = 12
    steps = 400
    top_points = 3
    clarke_attempts = 2
    accept_residual = 1e-8
    mutants = [
        Mutant("factor p+1", "p+1 in place of p: (p+1)‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖²", balance_factor=staticmethod(lambda p: p + 1)),
        Mutant("terms p-homogeneous", "each per-neuron term N_{z,H_{1,l}} is p-homogeneous", term_degree=staticmethod(lambda p: p)),
        Mutant("C̄_l free", "H1 keeps the z→z term B_{l+1}(σ'(A_l g_{l−1}) ⊙ C_l σ(A_{l−1} g_{l−2})) of the informal §3.1 ReLU "
               "display, so C_l is not forced to 0", h1_has_zz_term=True),
    ]

    def hypotheses(self):
        return st.tuples(saddle_problems(alphas=(0.0, 0.1, 1.0), ps=(1, 2, 3)), seeds())

    def objective(self, expansion: SaddleExpansion, z: torch.Tensor):
        """w_z ↦ zᵀH1(X; w_n, w_z) (the mutant "C̄_l free" adds the §3.1 z→z display term)."""
        base = expansion.ncf_objective(z)
        if not self.h1_has_zz_term:
            return base
        extra = zz_display_term(expansion, z)
        return lambda w_z: base(w_z) + extra(w_z)

    def _separation(self, expansion: SaddleExpansion, z: torch.Tensor, objective, seed: int) -> list[Entry]:
        """Relative defects of the §3.3 separation, of the homogeneity of each term, and of ∂N/∂C = 0, at random w_z."""
        partition, p = expansion.partition, expansion.partition.net.activation.p
        gen = torch.Generator().manual_seed(seed)
        w_z = torch.randn(4, partition.n_wz, generator=gen, dtype=DTYPE)
        terms = expansion.neuron_terms(w_z)  # per layer (4, Δ_l, n, m)
        total = sum((z * t).sum(dim=(-3, -2, -1)) for t in terms)
        scale = sum((z.abs() * t.abs()).sum(dim=(-3, -2, -1)) for t in terms)  # what rounding is relative to
        separation = (expansion.ncf(z, w_z) - total).abs() / scale.clamp_min(1e-300)
        floor = 1e3 * EPS
        checked = [Entry(float(v), floor, label=f"§3.3 separation, random w_z {i + 1}") for i, v in enumerate(separation)]
        c = (0.5 + 1.5 * torch.rand(4, 1, 1, generator=gen, dtype=DTYPE))
        blocks = partition.blocks(w_z)
        degree = self.term_degree(p)
        for term in expansion.terms:
            b, a = blocks.B[term.layer + 1].transpose(-1, -2), blocks.A[term.layer]  # (4, Δ_l, ·)
            scaled, base = term(c * b, c * a), c[..., None] ** degree * term(b, a)  # c: (4, 1, 1, 1)
            defect = (scaled - base).abs().amax(dim=(-3, -2, -1)) / base.abs().amax(dim=(-3, -2, -1)).clamp_min(1e-300)
            checked += [Entry(float(v), floor, label=f"H_(1,{term.layer}) is {degree}-homogeneous, random w_z {i + 1}")
                        for i, v in enumerate(defect)]
        _, g = _value_grad(objective, w_z[0])
        dN_dC = math.sqrt(sum(float(C.pow(2).sum()) for C in partition.blocks(g).C.values()))
        checked.append(Entry(dN_dC / max(float(g.norm()), 1e-300), floor, label="∂N/∂C = 0, random w_z 1"))
        return checked

    def kkt_points(self, expansion: SaddleExpansion, z: torch.Tensor, seed: int, clarke_attempts: int | None = None):
        """(certified positive KKT points of max_{‖w_z‖=1} zᵀH1 among the best restarts, best first; the ascent)."""
        objective = self.objective(expansion, z)
        init = torch.randn(self.restarts, expansion.partition.n_wz, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
        ascent = sphere_ascent(objective, init, steps=self.steps, tol=ROUNDING_RESIDUAL, best=self.top_points)
        kinked = expansion.partition.net.activation.kinked
        points, attempts = [], 0
        budget = self.clarke_attempts if clarke_attempts is None else clarke_attempts
        for u, value, grad in zip(ascent.u, ascent.value, ascent.grad):
            if len(points) == self.top_points or float(value) <= 0:
                break
            if kinked and float(kkt_residual(u, grad)) > ROUNDING_RESIDUAL:
                # the Clarke completion costs up to seconds per point: only for the best few restarts
                if attempts == budget:
                    continue
                attempts += 1
            point = certify(expansion, z, objective, u, grad)
            if point.lam > 0 and point.residual <= self.accept_residual:
                points.append(point)
        return points, ascent

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        partition, p = problem.partition, problem.net.activation.p
        expansion = SaddleExpansion(partition, problem.w_n, problem.X)
        checked = self._separation(expansion, problem.z, self.objective(expansion, problem.z), seed)
        separation_defect = max(e.violation for e in checked if e.label.startswith("§3.3"))
        points, _ = self.kkt_points(expansion, problem.z, seed)
        active = []
        for k, point in enumerate(points, start=1):
            point_entries, carrying = self._kkt_defects(partition, p, point, f"KKT point {k}")
            checked += point_entries
            active.append(carrying)
        if not points:  # the separation was checked, Lemma 9 itself was not
            checked.append(Entry(math.nan, math.nan, converged=False, label="Lemma 9: no certified positive KKT point"))
        return Evidence(
            checked,
            measurements={"kkt_points": len(points), "kkt_residual": max((q.residual for q in points), default=math.nan),
                          "separation_defect": separation_defect, "kinks_at_kkt": sum(q.n_kinks for q in points),
                          "active_z_neurons": min(active, default=math.nan), "z_neurons": sum(partition.deltas),
                          "completion_zeroed": max((q.zeroed for q in points), default=0.0)},
            instance=f"{problem}; ascent seed={seed}",
            note="" if points else "no certified positive KKT point",
        )

    def _kkt_defects(self, partition: SaddlePartition, p: int, point: KKTPoint, name: str) -> tuple[list[Entry], int]:
        """Entries of C̄_l = 0 (per layer), of the (A, B) balance and of the full-row/column balance (per z-neuron)."""
        blocks, r_blocks = partition.blocks(point.w_z), partition.blocks(point.grad - point.lam * point.w_z)
        rounding = 64 * EPS * float(point.grad.norm())
        c_floor = {l: (float(r_blocks.C[l].norm()) + rounding) / point.lam for l in blocks.C}
        checked = [Entry(float(blocks.C[l].norm()), c_floor[l], label=f"{name}: ‖C̄_{l}‖ = 0") for l in blocks.C]
        active = 0
        for l in range(1, partition.depth):
            A, B = blocks.A[l], blocks.B[l + 1]
            a_in, b_out = (A * A).sum(-1), (B * B).sum(-2)
            slack = ((A * r_blocks.A[l]).sum(-1).abs() + p * (B * r_blocks.B[l + 1]).sum(-2).abs()
                     + (point.tau + 64 * EPS) * point.grad.norm()) / point.lam
            balance = (a_in - self.balance_factor(p) * b_out).abs()
            # full rows and columns of the z-neurons: [A_l[j], C_l[j]] in, [B_{l+1}[:,j]; C_{l+1}[:,j]] out
            c_in = (blocks.C[l] ** 2).sum(-1) if l in blocks.C else torch.zeros_like(a_in)
            c_out = (blocks.C[l + 1] ** 2).sum(-2) if l + 1 in blocks.C else torch.zeros_like(b_out)
            full = (a_in + c_in - self.balance_factor(p) * (b_out + c_out)).abs()
            c_slack = c_floor.get(l, 0.0) ** 2 + p * c_floor.get(l + 1, 0.0) ** 2
            for j, neuron in enumerate(partition.z_neurons[l - 1]):
                where = f"{name}, layer {l}, z-neuron {neuron}"
                checked.append(Entry(float(balance[j]), float(slack[j]), label=f"{where}: ‖Ā_l[j]‖² = p‖B̄_(l+1)[:,j]‖²"))
                checked.append(Entry(float(full[j]), float(slack[j]) + c_slack, label=f"{where}: full row/column balance"))
            active += int(((a_in + b_out) > 1e-6).sum())
        return checked, active

    def obligations(self) -> list[Obligation]:
        out = []
        for L, p in LEMMA9_CASES:
            check = lemma9_symbolic(L, p)
            separation = check.separation_defect == 0
            euler_a = all(d == 0 for d in check.euler_a)
            euler_b = all(d == 0 for d in check.euler_b)
            balance = all(da - self.balance_factor(p) * db == 0 for da, db in zip(check.inner_a, check.inner_b))
            degree = all(da + db - self.term_degree(p) * T == 0 for da, db, T in zip(check.inner_a, check.inner_b, check.terms))
            holds = separation and euler_a and euler_b and balance and degree and check.c_free
            out.append(Obligation(
                f"L={L}, p={p}, widths {check.widths}, G_z {[list(zs) for zs in check.z_neurons]}",
                "H1 (eq. 21) = Σ_l Σ_j H_{1,l}(x; B_{l+1}[:,j], A_l[j,:]); per-neuron term T: ⟨a,∇_a T⟩ = p·T, ⟨b,∇_b T⟩ = T, "
                f"⟨a,∇_a T⟩ = {self.balance_factor(sp.Symbol('p'))}·⟨b,∇_b T⟩, T is ({self.term_degree(sp.Symbol('p'))})-homogeneous; "
                "∂H1/∂C_l = 0",
                holds,
                ", ".join(f"{name}: {'exact' if ok else 'FAILS'}" for name, ok in (
                    ("separation", separation), ("Euler in a", euler_a), ("Euler in b", euler_b),
                    ("balance mechanism", balance), ("term degree", degree), ("no C in H1", check.c_free))),
            ))
        return out

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        path = figure_dir / f"{self.id}-wz-weights.png"
        md = sparsity_figure(self, path)
        return md, [str(path)]


LEMMA9_CASES = tuple(itertools.product((2, 3, 4), (1, 2, 3)))


@dataclass(frozen=True)
class Lemma9Symbolic:
    """Exact pieces of the §3.3 separation and Lemma 9's Euler identities for one (L, p) (α = 1).

    terms, inner_a, inner_b: per hidden layer, the term T_l(b, a) = v_{l+1} b σ(aᵀg_{l-1}) in fresh symbols and
    ⟨a,∇_a T_l⟩, ⟨b,∇_b T_l⟩ (ring elements); euler_a/b: ⟨a,∇_a T⟩ − pT and ⟨b,∇_b T⟩ − T.
    """

    widths: tuple[int, ...]
    z_neurons: tuple[tuple[int, ...], ...]
    separation_defect: object
    terms: list
    inner_a: list
    inner_b: list
    euler_a: list
    euler_b: list
    c_free: bool


@functools.cache
def lemma9_symbolic(L: int, p: int) -> Lemma9Symbolic:
    # one n-neuron and two z-neurons per hidden layer, at varying positions
    widths = (2,) + (3,) * (L - 1) + (1,)
    z_neurons = tuple((0, 1) if l % 2 else (0, 2) for l in range(1, L))
    sym = symbolic_saddle(widths, z_neurons, p)
    fresh = {l: (sp.symbols(f"a{l}_0:{sym.A[l].cols}"), sp.symbols(f"b{l}_0:{sym.B[l + 1].rows}")) for l in range(1, L)}
    R, *_ = ring(sym.symbols + [s for a, b in fresh.values() for s in a + b], sp.ZZ)
    terms, inner_a, inner_b, euler_a, euler_b, per_neuron_sum = [], [], [], [], [], 0
    for l, (a, b) in fresh.items():
        T = (sym.v[l + 1] * sp.Matrix(b) * sym.sigma(sp.Matrix([a]) * sym.g[l - 1]))[0]  # H_{1,l}(x; b, a)
        for j in range(sym.A[l].rows):  # substitute the blocks of z-neuron j of layer l
            per_neuron_sum += T.xreplace({**dict(zip(a, sym.A[l].row(j))), **dict(zip(b, sym.B[l + 1].col(j)))})
        da = R(sum(s * sp.diff(T, s) for s in a))
        db = R(sum(s * sp.diff(T, s) for s in b))
        Tr = R(T)
        terms.append(Tr)
        inner_a.append(da)
        inner_b.append(db)
        euler_a.append(da - p * Tr)
        euler_b.append(db - Tr)
    c_symbols = {s for C in sym.C.values() for s in C}
    return Lemma9Symbolic(widths, z_neurons, R(sym.H1) - R(per_neuron_sum), terms, inner_a, inner_b, euler_a, euler_b,
                          not (sym.H1.free_symbols & c_symbols))


def sparsity_figure(checker: SaddleKKTBalance, path) -> str:
    """np Figures 1(f)/2(f) analogue: |w_z| at a KKT point of the H1-NCF, L = 3, widths (20, 10, 10, 1), G_z = last 9 neurons."""
    from verify.plots import plt

    lines = ["## The w_z weights at a KKT point (cf. np Figures 1–2, panels e–f)", "",
             "A smaller version of the np §3.4 set-up (there: widths (20, 10, 10, 1), last 9 neurons): L = 3, widths "
             "(10, 6, 6, 1), G_z = the last 5 neurons of each hidden layer (one n-neuron per layer, as in the paper), "
             "Gaussian data n = 20, w_n ~ N(0,1) rescaled per layer, z ~ N(0, I); the best certified positive KKT point of "
             "max_{‖w_z‖=1} zᵀH1 from the checker's restarts (np Theorem 7: w_z near the saddle converges in direction to "
             "such a point). Top: a random unit w_z (initialisation); bottom: the KKT point; n-weights are blank. Lemma 9: "
             "C̄_2 = 0, and a z-neuron's incoming row is zero iff its outgoing column is.", ""]
    rows = []
    cases = [("x²", Activation(1.0, 2)), ("ReLU", Activation(0.0, 1))]
    fig, axes = plt.subplots(2 * len(cases), 3, figsize=(12, 2.6 * 2 * len(cases)), gridspec_kw={"width_ratios": [10, 6, 6]})
    for row, (name, act) in enumerate(cases):
        problem = SaddleProblem(FeedForward((10, 6, 6, 1), act), (tuple(range(1, 6)), tuple(range(1, 6))),
                                Dataset("gaussian", 20, 10, 21), 22, 23)
        partition = problem.partition
        expansion = SaddleExpansion(partition, problem.w_n, problem.X)
        points, ascent = checker.kkt_points(expansion, problem.z, seed=24, clarke_attempts=1)
        init = torch.randn(partition.n_wz, generator=torch.Generator().manual_seed(25), dtype=DTYPE)
        shown = [("random unit w_z", init / init.norm())]
        if points:
            w_z, value, residual, label = points[0].w_z, points[0].lam / (act.p + 1), points[0].residual, "KKT point"
            if points[0].zeroed:
                label += (f" (Clarke completion: {points[0].n_kinks} kinks; weight {fmt(points[0].zeroed, 2)} outside the "
                          "dominant layer set to 0)")
        else:
            w_z, value, residual = ascent.u[0], float(ascent.value[0]), float(ascent.kkt_residual[0])
            label = "best restart, not certified"
        blocks = partition.blocks(w_z)
        carrying = [f"{l}: {j}: {fmt(float(blocks.A[l][j].pow(2).sum()))}, {fmt(act.p * float(blocks.B[l + 1][:, j].pow(2).sum()))}"
                    for l in (1, 2) for j in range(partition.deltas[l - 1])
                    if float(blocks.A[l][j].pow(2).sum() + blocks.B[l + 1][:, j].pow(2).sum()) > 1e-6]
        rows.append([name, label, fmt(float(value), 4), fmt(float(residual), 2), fmt(float(blocks.C[2].norm()), 2), "; ".join(carrying)])
        shown.append((f"{label.split(' (')[0]} (residual {fmt(float(residual), 1)})", w_z))
        for k, (label, w_z) in enumerate(shown):
            full = partition.join(torch.full((partition.n_wn,), math.nan, dtype=DTYPE), w_z)
            for l, W in enumerate(partition.net.split(full), start=1):
                ax = axes[2 * row + k, l - 1]
                # one colour scale per point, so that a weight that vanishes looks like one
                im = ax.imshow(W.abs().numpy(), cmap="viridis", vmin=0, vmax=float(w_z.abs().max()), interpolation="nearest")
                ax.set_title(f"σ = {name}, {label}: |W_{l}|", fontsize=8)
                ax.set_xticks([])
                ax.set_yticks([])
            fig.colorbar(im, ax=list(axes[2 * row + k]), fraction=0.02)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    lines.append(markdown_table(["σ", "point", "value zᵀH1", "KKT residual", "‖C̄_2‖",
                                 "z-neurons carrying weight (layer: index: ‖Ā_l[j]‖², p‖B̄_{l+1}[:,j]‖²)"], rows))
    lines += ["", "Clarke: the n-network's σ' enters H1 only through v_{l+1}, which is fixed in this problem, so any Clarke "
              "element there just selects one H1 (np Lemma 9 allows any). But for p = 1, α ≠ 1 the objective is itself "
              "non-smooth in A_l where a z-neuron's pre-activation A_l[j,:]g_{l−1}(x_i) vanishes, and KKT points do sit "
              "there (column 'kinks_at_kkt' of the instances' measurements); stationarity is then certified in the "
              "Clarke sense. The balance is unaffected by the choice: ⟨a, ξ_a⟩ = p·T for every Clarke element ξ, since "
              "σ'(s)s = pσ(s) = 0 at s = 0 for every slope in [min(1,α), max(1,α)]."]
    return "\n".join(lines)
