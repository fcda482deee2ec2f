"""The expansion of H near a sparse saddle (np Lemma 8, eq. 21, Assumption 1, §3.1): exact and measured.

* α = 1 (σ = x^p): the exact t-expansion of H(x; w_n, t·w_z) in sympy polynomial rings
  (:func:`lemma8_expansion`) and the §3.1 six-term expansion for σ = x², L = 3 (:func:`section31_terms`).
* α ≠ 1: the three remainders of Assumption 1 along w_z = δŵ on a δ grid, formed in mpmath, and their
  log-log orders (:func:`remainder_fits`, :class:`OrderFit`), with H1 of eq. (21) evaluated in mpmath by the
  backward recursion of np eqs. (46)/(49) as an independent reference for :class:`verify.saddle.SaddleExpansion`.

Used by the checker ``np.lemma8`` and the experiment ``np.lemma8_outside``.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp
import torch
from sympy.polys.rings import ring

from theorems.neuron_pursuit.sparse_saddle import SaddleProblem, symbolic_saddle
from verify.evidence import fitted_order
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.precise import mp_output, mp_split, to_mp
from verify.saddle import SaddleExpansion, SaddlePartition
from verify.strategies import Dataset
from verify.tables import fmt

# ---------------------------------------------------------------------------------------------
# exact algebra (α = 1)
# ---------------------------------------------------------------------------------------------


def graded(poly, positions: list[int]) -> dict[int, object]:
    """The t^k coefficients of F(w_n, t·w_z), i.e. the parts of F of degree k in the w_z generators."""
    parts: dict[int, dict] = {}
    for monom, coeff in poly.terms():
        parts.setdefault(sum(monom[i] for i in positions), {})[monom] = coeff
    return {k: poly.ring.from_dict(terms) for k, terms in parts.items()}


def lowest_degree(polys, positions: list[int]) -> float:
    """Smallest w_z-degree of any term of any of the polynomials (∞ when all are zero)."""
    return min((sum(m[i] for i in positions) for P in polys for m in P.keys()), default=math.inf)


# tiny instances for the symbolic part: one n- and one z-neuron per hidden layer, alternating
# positions (G_z is not the last neurons: np Remark 2)
LEMMA8_CASES = tuple(itertools.product((2, 3, 4), (1, 2, 3)))


def lemma8_shape(L: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
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
    widths, z_neurons = lemma8_shape(L)
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
        graded(H, positions),
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
MP_DIGITS = 80  # remainders down to δ^{2p+1} ≈ 1e-44 (p = 5, δ = 1e-4) next to O(1) outputs: every difference at 80 digits
DELTAS = tuple(10.0 ** (-1 - k / 4) for k in range(13))  # 1e-1 … 1e-4, quarter decades: the last decade is the fitted one
RESOLVED = 10.0 ** (15 - MP_DIGITS)  # a remainder below this fraction of the terms it is the difference of is rounding
LIBRARY_FLOOR = 1e3 * EPS  # float64 autograd H1 against the mpmath reference: rounding level


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


FIT_DECADES = 1.0  # the order is fitted over the smallest resolved decade of δ: the statement is about δ → 0


@dataclass
class OrderFit:
    """Log-log fit of one remainder on the δ-grid: slope ± stderr over the smallest resolved decade of δ.

    The statement is about δ → 0, so the order is measured where δ is smallest: over the resolved points within
    :data:`FIT_DECADES` of the smallest resolved δ (five quarter-decade points of :data:`DELTAS`). A fit over the
    whole grid mixes in the higher-order terms that bend the log-log curve at larger δ; its slope is then not the
    asymptotic order and its standard error grows with the bend, not with the numerics.
    """

    part: str
    deltas: np.ndarray
    remainders: np.ndarray
    scales: np.ndarray
    slope: float = math.nan
    stderr: float = math.nan
    bias_ratio: float = math.nan  # |slope bias| / stderr of this window's fit for a remainder cδ^K(1 + aδ): see fit()
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
        x = np.log10(self.deltas[keep])
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
        window = x <= x.min() + FIT_DECADES + 1e-9  # the smallest resolved decade
        fit = fitted_order(self.deltas[keep][window], self.remainders[keep][window])
        self.slope, self.stderr = fit.slope, fit.stderr
        self.bias_ratio = slope_bias_ratio(x[window])
        return self


def slope_bias_ratio(x: np.ndarray) -> float:
    """For log10 δ-points x: |slope bias| / stderr of the least-squares fit of log10(cδ^K(1 + aδ)), a → 0.

    Along a ray the remainder is cδ^K(1 + a_1δ + a_2δ² + …) (piecewise polynomial in δ), so the fitted slope is
    K + (a_1/ln 10)·b + o(a_1), b the slope of the fit of 10^x, and its standard error is proportional to the same
    a_1: their ratio depends on the grid only (≈ 5.3 for five quarter-decade points). A δ^j correction gives a
    smaller ratio for j >= 2 (≈ 3.0 for j = 2), so ratio × stderr bounds the bias of the fitted slope due to the
    next-order terms: the tolerance of "fitted slope >= K".
    """
    xc = x - x.mean()
    y = 10.0 ** (x - x.max())
    b = float((xc * y).sum() / (xc**2).sum())
    residual = y - y.mean() - b * xc
    spread = float(np.sqrt((residual**2).sum() / (len(x) - 2) / (xc**2).sum()))
    return abs(b) / spread if spread > 0 else math.inf


@dataclass
class RemainderMeasurement:
    """The three fits of np Lemma 8 (a)(b)(c), the fit of the leading term H − H(w_n,0), and the relative defects of
    the library's H1 against the mpmath reference.

    library: (what was compared, at which δ; relative defect), NaN where the reference derivative does not exist.
    """

    fits: list[OrderFit]
    library: list[tuple[str, float]]
    leading: OrderFit | None = None  # max_i |H − H(w_n,0)|: the order of the leading term (p+1 where H1 ≠ 0)

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
    O(1) outputs included, so that rounding at :data:`MP_DIGITS` digits is not read as a remainder). Also the
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
            lead = (max(abs(h - h0) for h, h0 in zip(H.flat, H0.flat)), max(abs(h) + abs(h0) for h, h0 in zip(H.flat, H0.flat)))
            rows.append([tuple(float(v) for v in part) for part in (a, b, c, lead)])

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
    leading = OrderFit("leading", deltas, np.array([r[3][0] for r in rows]), np.array([r[3][1] for r in rows])).fit()
    return RemainderMeasurement(fits, library, leading)


def _mp_derivative(f) -> mpmath.mpf:
    """f'(0) by mpmath.diff, or NaN where f is not differentiable at 0.

    Two central differences with steps about 2^20 apart (``addprec=30``). Where f is smooth they agree. A jump of f
    (H1 is discontinuous in w_n where σ' of the n-network jumps: p = 1 at a kink) makes the estimate grow like 1/h,
    so the finer one is orders of magnitude larger: NaN. At a corner both give the mean slope. Where f is C¹ with a
    one-sided second derivative (σ' with a corner, p = 2, 3 at a kink) the error is O(h) and the finer estimate is
    the better one: it is returned.
    """
    d, d_fine = mpmath.diff(f, 0), mpmath.diff(f, 0, addprec=30)
    if abs(d - d_fine) <= mpmath.mpf(10) ** (-20) * (abs(d) + abs(d_fine)):
        return d
    return mpmath.nan if abs(d_fine) > 1e3 * abs(d) else d_fine


def outside_problem(alpha: float, p: int, kink: bool, seeds: tuple[int, int, int, int]) -> tuple[SaddleProblem, torch.Tensor]:
    """An L = 3 instance, widths (2, 3, 3, 1), G_z = the last neuron of each hidden layer, n = 5 Gaussian samples.

    seeds = (data, w_n, z, direction); returns the problem and its modified w_n. The two n-neurons of each hidden
    layer are antipodal (N_l[1,:] = −N_l[0,:]), so no sample switches a whole n-layer off (for ReLU that would put
    every downstream n-pre-activation exactly at the kink). With ``kink``, N_2[0,:] ⟂ g_1(x_i) for the sample x_i
    where the layer-1 z-neuron is most active along ŵ (the direction drawn from the last seed), so that
    h_2 = N_2 g_1(x_i) = 0 there: a kink of σ in the n-network that the z-perturbation reaches.
    """
    data_seed, wn_seed, z_seed, direction_seed = seeds
    problem = SaddleProblem(FeedForward((2, 3, 3, 1), Activation(alpha, p)), ((2,), (2,)), Dataset("gaussian", 5, 2, data_seed),
                            wn_seed, z_seed)
    n_net = problem.partition.n_net
    Ns = n_net.split(problem.w_n.clone())
    Ns[0][1] = -Ns[0][0]
    if kink:
        # at the sample where the layer-1 z-neuron is most active, so the perturbation of h_2 is not 0
        A_1 = problem.partition.blocks(directions(problem.partition, direction_seed)[0]).A[1]
        i = int(n_net.activation(problem.X @ A_1.T).abs().argmax())
        g1 = n_net.activation(problem.X[i] @ Ns[0].T)
        Ns[1][0] = torch.stack([g1[1], -g1[0]])  # g1[1]·g1[0] − g1[0]·g1[1] = 0
    Ns[1][1] = -Ns[1][0]
    return problem, n_net.flatten(Ns)
