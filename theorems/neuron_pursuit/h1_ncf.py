"""The constrained H1-NCF of np eq. (19), max_{‖w_z‖=1} zᵀH1(X; w_n, w_z): its certified KKT points (np Lemma 9, §3.3).

* :func:`h1_kkt_points`: batched projected ascent on the sphere of w_z, the best restarts certified as KKT
  points (:func:`certify`: as they are at rounding level, Newton on the KKT system for smooth σ, a Clarke
  completion on the dominant layer block for p = 1, α ≠ 1).
* :func:`zz_display_term`: the z→z term of the paper's informal §3.1 ReLU display (not part of eq. 21),
  which the mutant "C̄_l free" of np.lemma9 adds to H1.
* :func:`lemma9_symbolic`: the exact pieces of the §3.3 separation and of Lemma 9's Euler identities (σ = x^p).

Used by the checker ``np.lemma9`` and the experiment ``np.lemma9_sparsity``.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import sympy as sp
import torch
from sympy.polys.rings import ring

from theorems.neuron_pursuit.sparse_saddle import symbolic_saddle
from verify.clarke import polish_kkt, stationarity
from verify.nets import DTYPE
from verify.saddle import SaddleExpansion
from verify.sphere import kkt_residual, sphere_ascent, sphere_newton
from verify.sphere import value_and_grad as _batched_value_and_grad

ROUNDING_RESIDUAL = 1e-12  # a KKT residual this small needs no polishing


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
            slope = here.activation.derivative(here.inputs @ blocks.A[l].transpose(-1, -2))
            total = total + (slope * upstream * (correlations[l - 1] @ blocks.B[l + 1])).sum(dim=(-2, -1))
        return total

    return objective


@dataclass
class KKTPoint:
    """A unit w_z with a (Clarke) subgradient g of the objective: λ = ⟨g, w_z⟩, residual ‖g − λw_z‖/‖g‖.

    zeroed: norm of the weight the Clarke completion set to 0 (outside the dominant layer block); completed: the point
    is such a completion, so every block outside the dominant layer (every C_l among them) is 0 by construction.
    """

    w_z: torch.Tensor
    grad: torch.Tensor
    lam: float
    residual: float
    tau: float = 0.0
    n_kinks: int = 0
    zeroed: float = 0.0
    completed: bool = False


def certify(expansion: SaddleExpansion, z: torch.Tensor, objective, u: torch.Tensor, grad: torch.Tensor) -> KKTPoint:
    """A certified KKT point of the constrained H1-NCF at, or completed from, a unit u found by the ascent.

    A point whose autograd residual is already at rounding level is returned as it is. Otherwise, for
    smooth σ, Newton's method on the KKT system (:func:`verify.sphere.sphere_newton`). For p = 1, α ≠ 1 the
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
    _, g = value_and_grad(objective, w)
    g[start : start + size] = cert.grad
    zeroed = math.sqrt(max(0.0, 1.0 - float(theta.norm()) ** 2))
    return KKTPoint(w, g, float(g @ w), float(kkt_residual(w, g)), cert.tau, cert.n_kinks, zeroed, completed=True)


def value_and_grad(objective, u: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(objective(u), its gradient at u) for one vector u of a batched objective (the engine's, batch of one)."""
    value, grad = _batched_value_and_grad(objective, u.detach().unsqueeze(0))
    return float(value[0]), grad[0]


def h1_kkt_points(expansion: SaddleExpansion, z: torch.Tensor, objective, seed: int, *, restarts: int, steps: int,
                  top_points: int, clarke_attempts: int, accept_residual: float):
    """(certified positive KKT points of max_{‖w_z‖=1} objective among the best restarts, best first; the ascent).

    ``restarts`` starts uniform on the sphere of w_z (drawn from ``seed``), ``steps`` of :func:`verify.sphere.sphere_ascent`;
    at most ``top_points`` points with residual <= ``accept_residual`` are kept, and at most ``clarke_attempts`` Clarke
    completions are tried (they cost up to seconds each).
    """
    init = torch.randn(restarts, expansion.partition.n_wz, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)
    ascent = sphere_ascent(objective, init, steps=steps, tol=ROUNDING_RESIDUAL, best=top_points)
    kinked = expansion.partition.net.activation.kinked
    points, attempts = [], 0
    for u, value, grad in zip(ascent.u, ascent.value, ascent.grad):
        if len(points) == top_points or float(value) <= 0:
            break
        if kinked and float(kkt_residual(u, grad)) > ROUNDING_RESIDUAL:
            # the Clarke completion costs up to seconds per point: only for the best few restarts
            if attempts == clarke_attempts:
                continue
            attempts += 1
        point = certify(expansion, z, objective, u, grad)
        if point.lam > 0 and point.residual <= accept_residual:
            points.append(point)
    return points, ascent


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
