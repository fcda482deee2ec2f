"""edc Lemma 9: homogeneity identities of the NCF and of the network Jacobian.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small
Initializations", Lemma 9 (App. B), with edc §1.6: for the feed-forward net of eq. (9) the paper's
generic degree "L" is p̂ = p^{L-1} + … + p + 1, not the depth (../shared/spec/early_directional_convergence.md).

Statement. For a network positively p̂-homogeneous in its weights, N(u) = zᵀH(X; u), all u and c > 0:

    ∇N(u)ᵀu = p̂·N(u),   ∇N(cu) = c^{p̂-1}∇N(u),   J(X;u)u = p̂·H(X;u),   J(X;cu) = c^{p̂-1}J(X;u).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Evidence, Mutant, Obligation, entries, register
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, EPS, homogeneity_degree
from verify.refine import Relaxation
from verify.strategies import DEFAULT_FAMILIES, ArrayData, NCFProblem, activations, ncf_problems, seeds
from verify.symbolic import euler_defect, is_zero, scaling_defect, symbolic_network

FLOOR = 1e3 * EPS  # float64 rounding level of a relative defect


@dataclass(frozen=True)
class HomogeneityDefects:
    """The relative defect of each identity on one instance (for J(X;u)u = p̂H(X;u): the largest over samples and outputs)."""

    euler_N: float
    grad_scaling: float
    euler_J: float
    jacobian_scaling: float


def _relative(diff: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """|diff| / scale, with 0/0 read as 0 (an identically-zero side satisfies the identity)."""
    return torch.where(scale > 0, diff.abs() / scale.clamp_min(torch.finfo(DTYPE).tiny), diff.abs())


@register
class NCFHomogeneity(Checker):
    """edc Lemma 9: Euler's identity and the scaling of ∇N and J for the feed-forward net.

    Numeric for every (α, p) including ReLU (at generic points, where autograd's gradient is
    the gradient); symbolic (exact) for polynomial activations (α = 1).
    """

    id = "edc.lemma9"
    title = "Homogeneity identities of the NCF and of the Jacobian"
    source = "edc Lemma 9 (with edc §1.6: the degree is p̂ = p^{L-1}+…+1)"
    statement = (
        "For all u and c > 0: ∇N(u)ᵀu = p̂·N(u), ∇N(cu) = c^{p̂−1}∇N(u), J(X;u)u = p̂·H(X;u), "
        "J(X;cu) = c^{p̂−1}J(X;u), where N(u) = zᵀH(X;u) and p̂ = p^{L−1}+…+p+1."
    )
    # the statement's knobs (a mutant replaces one): the degree of N and the degree of its gradient
    degree = staticmethod(homogeneity_degree)
    gradient_degree = staticmethod(lambda D: D - 1)

    # -- hypotheses
    hypotheses_text = (
        "Feed-forward nets σ(x)=max(x,αx)^p, α ∈ {0, 0.1, 0.5, 1, −0.3, 2}, p ∈ {1,2,3}, L ∈ {2,3,4}, hidden widths 1–6, "
        "scalar and 2-dimensional outputs; " + DEFAULT_FAMILIES + " (n 5–30, d 2–6); z Gaussian or a structured target; "
        "a random unit u and c ∈ [0.2, 5]."
    )

    def hypotheses(self):
        problems = ncf_problems(widths=(1, 6), outputs=(1, 2), activation=activations(alphas=(0.0, 0.1, 0.5, 1.0, -0.3, 2.0)))
        return st.tuples(problems, st.floats(0.2, 5.0), seeds())

    # -- method
    method = (
        "Autograd gradients and torch.func Jacobians in float64. Each identity is measured as a relative defect: "
        "the difference divided by the sum of absolute values of the terms it is made of (for ∇N = Σ z_ik∇H_ik: "
        "‖Σ|z_ik||∇H_ik|‖), so cancellation does not inflate it; the error floor is the float64 rounding level 1e3·ε. "
        "Entries: each scalar identity, and "
        "J(X;u)u = p̂H(X;u) per sample and output. A non-finite defect is inconclusive. Symbolic part: exact expansion with sympy "
        "for σ(x)=x^p, p ∈ {1,2,3}, L ∈ {2,3}, tiny widths."
    )
    tolerance = 1e-10
    floor_factor = 10.0
    max_error_floor = 1e-9

    # -- mutants
    mutants = [
        Mutant("degree p̂+1", "the NCF is (p̂+1)-homogeneous", degree=staticmethod(lambda L, p: homogeneity_degree(L, p) + 1)),
        Mutant("degree = depth", "the paper's shorthand 'L-homogeneous' read literally (wrong for p ≥ 2)",
               degree=staticmethod(lambda L, p: L)),
        Mutant("∇N(cu) = c^{p̂}∇N(u)", "the gradient has the same degree as N", gradient_degree=staticmethod(lambda D: D)),
    ]

    # -- claim
    def claim(self, instance, ctx: Context) -> Evidence:
        problem, c, u_seed = instance
        net = problem.net
        D = self.degree(net.depth, net.activation.p)
        Dg = self.gradient_degree(D)
        X = torch.as_tensor(problem.X, dtype=DTYPE, device=ctx.device)
        z = torch.as_tensor(problem.z, dtype=DTYPE, device=ctx.device)
        u = net.random_unit(1, torch.Generator().manual_seed(u_seed), ctx.device)[0]

        value, grad = ncf_and_grad(net, u, X, z)
        _, grad_c = ncf_and_grad(net, c * u, X, z)
        jac = torch.func.jacrev(lambda w: net(w, X))(u)  # (n, m, k)
        jac_c = torch.func.jacrev(lambda w: net(w, X))(c * u)
        H = net(u, X)
        cD = torch.tensor(c, dtype=DTYPE) ** Dg

        # one entry per identity, and per sample i and output k for J(X;u)u = p̂H(X;u)
        euler_N = _relative(grad @ u - D * value, (grad * u).abs().sum() + D * (z * H).abs().sum())  # ∇N(u)ᵀu = p̂N(u)
        # ∇N = Σ_i,k z_ik ∇H_ik, so its scale is the size of those summands: ∇N itself can cancel to rounding noise
        # (symmetric data with z alternating), and a defect relative to it would be rounding divided by rounding
        summands = (z.reshape(jac.shape[:2]).abs().unsqueeze(-1) * jac.abs()).sum((0, 1)).norm()
        summands_c = (z.reshape(jac.shape[:2]).abs().unsqueeze(-1) * jac_c.abs()).sum((0, 1)).norm()
        grad_scaling = _relative((grad_c - cD * grad).norm(), summands_c + cD * summands)  # ∇N(cu) = c^{p̂-1}∇N(u)
        euler_J = _relative(jac @ u - D * H, (jac * u).abs().sum(-1) + D * H.abs())  # (n, m)
        jacobian_scaling = _relative((jac_c - cD * jac).norm(), jac_c.norm() + cD * jac.norm())  # J(X;cu) = c^{p̂-1}J(X;u)
        n, m = euler_J.shape
        checked = (
            entries(euler_N, FLOOR, labels=["∇N(u)ᵀu = p̂N(u)"])
            + entries(grad_scaling, FLOOR, labels=["∇N(cu) = c^{p̂−1}∇N(u)"])
            + entries(euler_J, FLOOR, labels=[f"J(X;u)u = p̂H(X;u), sample {i + 1}, output {k + 1}" for i in range(n) for k in range(m)])
            + entries(jacobian_scaling, FLOOR, labels=["J(X;cu) = c^{p̂−1}J(X;u)"])
        )
        return Evidence(
            checked,
            HomogeneityDefects(float(euler_N), float(grad_scaling), float(euler_J.max()), float(jacobian_scaling)),
            instance=f"{problem}; c={c:.3g}; u seed={u_seed}",
        )

    # -- adversarial refinement: the Euler defect is differentiable in the data and z
    refinement_text = ("the relative Euler defect |∇N(u)ᵀu − p̂N(u)| / (Σ|u ⊙ ∇N(u)| + p̂Σ|z ⊙ H|), ascended over X and z "
                       "(the claim then decides every identity on the refined instance).")

    def relax(self, instance, ctx: Context) -> Relaxation:
        problem, c, u_seed = instance
        net = problem.net
        D = self.degree(net.depth, net.activation.p)
        u = net.random_unit(1, torch.Generator().manual_seed(u_seed), ctx.device)[0]

        def euler_defect(parts: dict[str, torch.Tensor]) -> torch.Tensor:
            X, z = parts["X"], parts["z"]
            w = u.detach().requires_grad_(True)
            H = net(w, X)
            value = (z * H).sum()
            (grad,) = torch.autograd.grad(value, w, create_graph=True)
            return (grad @ w - D * value).abs() / ((grad * w).abs().sum() + D * (z * H).abs().sum()).clamp_min(1e-300)

        def rebuild(parts: dict) -> tuple[NCFProblem, float, int]:
            data = ArrayData(f"refined {problem.data}", parts["X"])
            return replace(problem, data=data, z_array=parts["z"]), c, u_seed

        X = torch.as_tensor(problem.X, dtype=DTYPE, device=ctx.device)
        z = torch.as_tensor(problem.z, dtype=DTYPE, device=ctx.device)
        return Relaxation({"X": X, "z": z}, euler_defect, rebuild)

    # -- obligations
    def obligations(self) -> list[Obligation]:
        c = sp.Symbol("c", positive=True)
        z = sp.Symbol("z")
        out = []
        for L, p in itertools.product((2, 3), (1, 2, 3)):
            widths = (2,) + (2,) * (L - 1) + (1,)
            net = symbolic_network(widths, p)
            D = self.degree(L, p)
            N = z * net.output[0]
            grads = [sp.diff(N, v) for v in net.symbols]
            holds = (
                is_zero(euler_defect(N, net.symbols, D))
                and is_zero(scaling_defect(N, net.symbols, D, c))
                and all(is_zero(scaling_defect(g, net.symbols, self.gradient_degree(D), c)) for g in grads)
            )
            out.append(Obligation(
                f"L={L}, p={p}, widths {widths}",
                f"Σ u·∂N/∂u = {D}·N, N(cu) = c^{D} N(u), ∇N(cu) = c^{self.gradient_degree(D)} ∇N(u)",
                holds,
                "expanded difference is the zero polynomial" if holds else "expanded difference is non-zero",
            ))
        return out
