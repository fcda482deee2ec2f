"""Balance of incoming and outgoing weights at positive KKT points (np Lemma 3 = edc Lemma 5).

At a positive KKT point W̄ of  max zᵀH(X; W_1..W_L)  s.t.  Σ_l ‖W_l‖²_F = 1,

    ‖W̄_l[j,:]‖² = p·‖W̄_{l+1}[:,j]‖²     for every hidden neuron j of every layer l ∈ [L-1].

Mechanism (holds at every point, np digest §1.2 and L3 "derived proof route"): the rescaling
W_l[j,:] → cW_l[j,:], W_{l+1}[:,j] → c^{-p}W_{l+1}[:,j] leaves H unchanged, so differentiating at
c = 1 gives  ⟨W_l[j,:], ∇_{W_l[j,:]}N⟩ = p·⟨W_{l+1}[:,j], ∇_{W_{l+1}[:,j]}N⟩;  with ∇N = λW̄ and
λ = p̂·N(W̄) > 0 this is the balance.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, entries, register
from verify.kkt import kkt_points
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import DEFAULT_FAMILIES, activations, ncf_problems, seeds
from verify.symbolic import is_zero, symbolic_network


@dataclass(frozen=True)
class BalanceMeasurements:
    """What np.lemma3 measured on one instance: the worst certified KKT residual of the points checked, how many, how many
    positive points the polish could not certify (not counted), the mechanism defect."""

    kkt_residual: float
    kkt_points: int
    uncertified_points: int
    mechanism_defect: float


@register
class KKTBalance(Checker):
    """np Lemma 3 (= edc Lemma 5, eq. 15): ‖W̄_l[j,:]‖² = p‖W̄_{l+1}[:,j]‖² at positive KKT points.

    Also checks the mechanism identity ⟨W_l[j,:], ∇_{W_l[j,:]}N⟩ = p⟨W_{l+1}[:,j], ∇_{W_{l+1}[:,j]}N⟩
    at arbitrary (random) points, numerically and as a sympy identity.
    """

    id = "np.lemma3"
    title = "Incoming/outgoing weight balance at positive KKT points of the constrained NCF"
    source = "np Lemma 3 (= edc Lemma 5, eq. 15)"
    statement = (
        "If W̄ is a positive KKT point of max zᵀH(X;W) s.t. Σ‖W_l‖²_F = 1, then ‖W̄_l[j,:]‖² = p·‖W̄_{l+1}[:,j]‖² "
        "for every hidden neuron j of every layer l ∈ [L−1] (Clarke sense for p = 1). Mechanism, at every W: "
        "⟨W_l[j,:], ∇_{W_l[j,:]}N⟩ = p·⟨W_{l+1}[:,j], ∇_{W_{l+1}[:,j]}N⟩."
    )
    hypotheses_text = (
        "L ∈ {2,3,4}, hidden widths 1–8, σ(x) = max(x,αx)^p with α ∈ {0, 0.1, 0.5, 1, −0.3} and p ∈ {1,2,3}; "
        "" + DEFAULT_FAMILIES + ", n 5–30, d 2–6; z Gaussian or a structured target. KKT points: "
        "verify.kkt.kkt_points — 8 uniform starts plus sparse, symmetric (±e_k rows) and data-aligned ones, one batched "
        "projected ascent of 600 steps, ends grouped by the function they compute, the best of each group polished by the "
        "active-set Gauss–Newton solve and certified (Clarke certificate for p = 1); up to 3 distinct points, best first."
    )
    method = (
        "At each certified point u with subgradient g and λ = ⟨g,u⟩ > 0, write r = g − λu. Then, exactly, "
        "λ(‖W_l[j,:]‖² − p‖W_{l+1}[:,j]‖²) = [⟨W_l[j,:],g⟩ − p⟨W_{l+1}[:,j],g⟩] − [⟨W_l[j,:],r⟩ − p⟨W_{l+1}[:,j],r⟩]. "
        "The error floor of neuron j is therefore (|⟨W_l[j,:],r⟩| + p|⟨W_{l+1}[:,j],r⟩| + (τ + 64ε)‖g‖)/λ, τ the kink "
        "threshold of the certificate: a violation below it is explained by the point being only approximately KKT. "
        "The violation is |‖W_l[j,:]‖² − p‖W_{l+1}[:,j]‖²| (weights have unit total norm). A point counts only if the polish "
        "certified it (Polish.ok) with KKT residual <= 1e-10 and λ > 0 (verify.kkt.certify_kkt); g is then the certificate: ∇N for "
        "smooth σ, the chain-rule subgradient with the certificate's slopes (Polish.slopes, in the Clarke box) for p = 1. "
        "Polished points it cannot certify are not counted (uncertified_points). The mechanism identity is "
        "measured at a random unit point as a relative defect with floor 1e3·ε; it is the proof's route, with its own "
        "factor, so the balance mutants (factor p+1, factor 1, norms) change only the claim at KKT points and only "
        "certified KKT points can kill them. Every hidden neuron is its own entry, at the random point (mechanism) and at "
        "each of the (up to 3) distinct certified KKT points; each instance's note says how many distinct points were found and "
        "how often each was reached. An instance with no certified positive KKT point is undecided for the balance "
        "(inconclusive; its mechanism entries are still decided)."
    )
    tolerance = 1e-12
    floor_factor = 2.0
    max_error_floor = 1e-7
    balance_factor = staticmethod(lambda p: p)  # the claim at KKT points
    mechanism_factor = staticmethod(lambda p: p)  # the rescaling identity at every point (the proof's route)
    norm_power = 2
    top_points = 3  # distinct certified points per instance, best by value
    restarts = 8  # uniform starts, plus the sparse, symmetric and data-aligned ones of verify.kkt.kkt_points
    certified_residual = 1e-10
    mutants = [
        Mutant("factor p+1", "‖W_l[j,:]‖² = (p+1)‖W_{l+1}[:,j]‖² at KKT points (only KKT points can kill it)",
               balance_factor=staticmethod(lambda p: p + 1)),
        Mutant("factor 1", "incoming and outgoing norms are equal at KKT points (true only for p = 1; only KKT points can kill it)",
               balance_factor=staticmethod(lambda p: 1)),
        Mutant("norms, not squares", "‖W_l[j,:]‖ = p‖W_{l+1}[:,j]‖ at KKT points (only KKT points can kill it)", norm_power=1),
        Mutant("mechanism factor p+1", "⟨W_l[j,:], ∇_{W_l[j,:]}N⟩ = (p+1)·⟨W_{l+1}[:,j], ∇_{W_{l+1}[:,j]}N⟩ at every point",
               mechanism_factor=staticmethod(lambda p: p + 1)),
    ]

    def hypotheses(self):
        return st.tuples(ncf_problems(widths=(1, 8), activation=activations()), seeds())

    def _balance_defect(self, net: FeedForward, u: torch.Tensor) -> torch.Tensor:
        """|‖W_l[j,:]‖^e − c·‖W_{l+1}[:,j]‖^e| per neuron, e = norm_power, c = balance_factor(p)."""
        c, e = self.balance_factor(net.activation.p), self.norm_power / 2
        return torch.cat([(i**e - c * o**e).abs() for i, o in neuron_norms(net, u)])

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, ascent_seed = instance
        net, p = problem.net, problem.net.activation.p
        X = torch.as_tensor(problem.X, dtype=DTYPE, device=ctx.device)
        z = torch.as_tensor(problem.z, dtype=DTYPE, device=ctx.device)

        # the mechanism, at an arbitrary point: one entry per hidden neuron
        u_any = net.random_unit(1, torch.Generator().manual_seed(ascent_seed), ctx.device)[0]
        _, g_any = ncf_and_grad(net, u_any, X, z)
        mech = torch.cat([(a - self.mechanism_factor(p) * b).abs() / ((a.abs() + p * b.abs()).clamp_min(1e-300))
                          for a, b in neuron_inner_products(net, u_any, g_any)])
        checked: list[Entry] = entries(mech, 1e3 * EPS, labels=neuron_labels(net, "mechanism at a random point"))

        # the balance, at certified positive KKT points: one entry per hidden neuron of each point
        found = kkt_points(net, X, z, restarts=self.restarts, steps=600, seed=ascent_seed, device=ctx.device,
                           tol=self.certified_residual, max_points=self.top_points)
        for n, point in enumerate(found.points, start=1):
            u, g = point.u, point.grad
            # λ·(balance defect) = [mechanism with g] − [the same with r = g − λu]: the r part is the floor
            r = g - point.lam * u
            slack = torch.cat([(a.abs() + p * b.abs()) for a, b in neuron_inner_products(net, u, r)])
            floors = (slack + (point.tau + 64 * EPS) * g.norm()) / point.lam
            checked += entries(self._balance_defect(net, u), floors,
                               labels=neuron_labels(net, f"KKT point {n} (value {point.value:.4g}, {point.hits} hits)"))
        measurements = BalanceMeasurements(max((q.residual for q in found.points), default=math.nan), len(found.points),
                                           found.rejected, float(mech.max()) if mech.numel() else 0.0)
        instance_text = f"{problem}; ascent seed={ascent_seed}"
        if not found.points:  # the mechanism was checked, the balance itself was not exercised
            why = f"no certified positive KKT point: {found.summary()}"
            checked.append(Entry(math.nan, math.nan, False, why))
            return Evidence(checked, measurements, instance=instance_text, note=why)
        return Evidence(checked, measurements, instance=instance_text, note=found.summary())

    def obligations(self) -> list[Obligation]:
        out = []
        for L, p in itertools.product((2, 3), (1, 2, 3)):
            widths = (2,) + (2,) * (L - 1) + (1,)
            net = symbolic_network(widths, p)
            N = sp.Symbol("z") * net.output[0]
            holds = True
            for l, j in itertools.product(range(L - 1), range(2)):
                incoming = list(net.weights[l].row(j))
                outgoing = list(net.weights[l + 1].col(j))
                lhs = sum(w * sp.diff(N, w) for w in incoming)
                rhs = sum(w * sp.diff(N, w) for w in outgoing)
                holds &= is_zero(lhs - self.mechanism_factor(p) * rhs)
            out.append(Obligation(
                f"L={L}, p={p}, widths {widths}",
                f"⟨W_l[j,:], ∇_{{W_l[j,:]}}N⟩ = {self.mechanism_factor(p)}·⟨W_{{l+1}}[:,j], ∇_{{W_{{l+1}}[:,j]}}N⟩ for every neuron",
                holds,
                "expanded difference is the zero polynomial" if holds else "expanded difference is non-zero",
            ))
        return out


# ------------------------------------------------------------------------------------------------
# per-neuron inner products and norms
# ------------------------------------------------------------------------------------------------

def neuron_inner_products(net: FeedForward, u: torch.Tensor, g: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per hidden layer l: (⟨W_l[j,:], G_l[j,:]⟩_j, ⟨W_{l+1}[:,j], G_{l+1}[:,j]⟩_j) for weights u and a vector g."""
    Ws, Gs = net.split(u), net.split(g)
    return [((Ws[l] * Gs[l]).sum(-1), (Ws[l + 1] * Gs[l + 1]).sum(-2)) for l in range(net.depth - 1)]


def neuron_norms(net: FeedForward, u: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per hidden layer l: (‖W_l[j,:]‖², ‖W_{l+1}[:,j]‖²) for every neuron j."""
    return neuron_inner_products(net, u, u)


def neuron_labels(net: FeedForward, prefix: str) -> list[str]:
    """``"{prefix}, layer l, neuron j"`` for every hidden neuron, in the order of :func:`neuron_inner_products` (1-based)."""
    return [f"{prefix}, layer {l}, neuron {j}" for l in range(1, net.depth) for j in range(1, net.widths[l] + 1)]
