"""s2s Proposition 3.2 (= A.3): the explicit deeper network, and s*(L) non-decreasing in L >= 2.

Statement (Bantzis, Simon, Jacot, Prop. 3.2 / A.3; digest §2.7, corrections T1, T9–T11). Let
θ = (W_1..W_L), L >= 2, with L0(θ) = Tr[GᵀY_θ] < 0. With a_i = ‖W_{L,·i}‖‖W_{L−1,i·}‖,
T_i = Tr[GᵀW̄_{L,·i}σ(W̄_{L−1,i·}Z^σ_{L−2})], i* = argmin T_i and γ² = Σ_i a_i, the network
θ' = (W_1..W_{L−2}, γe_1W̄_{L−1,i*·}, E_11 (k times), γW̄_{L,·i*}e_1ᵀ) of depth L+k satisfies
‖θ'‖² <= L+k (equality iff the last hidden layer is neuron-balanced; the paper writes "= L+k"),
L0(θ') = γ²T_{i*} <= L0(θ), also after rescaling θ' onto ‖θ'‖² = L+k, rank-one W'_ℓ and Z'_ℓ for
ℓ >= L, and Z'_ℓ = Z'^σ_ℓ on the inserted hidden layers L <= ℓ <= L+k−1 (the paper writes "ℓ > L",
which includes the output, where σ is not applied). Hence the optimal speed s*(L) = −min_{S_L} L0
is non-decreasing in L >= 2 (from L = 1 to 2 it can fail: T11).

Estimates of s*(L) for L = 2..6 on Example 1's data are the experiment s2s.depth_sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.saddle_to_saddle.circle import (
    WITNESS_WIDTHS,
    example1_certificate,
    example1_data,
    sym_relu,
    witness_parameters,
)
from theorems.saddle_to_saddle.escape import deepen, loss_rounding, nonlinearity, numerical_rank, relu_mlp, to_sphere
from verify.checker import Checker, Context, Evidence, Mutant, Obligation, Verdict, entries, register
from verify.ncf import ncf
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import seeds
from verify.tables import fmt

# ---------------------------------------------------------------------------------------------
# hypotheses


@dataclass(frozen=True)
class DeepeningInstance:
    """A random problem for Prop. 3.2: architecture (d, n_1..n_{L−1}, m), N samples, k, n', data seed."""

    widths: tuple[int, ...]
    n_samples: int
    k: int
    new_width: int
    data_seed: int

    def __str__(self) -> str:
        return f"widths={self.widths} N={self.n_samples} k={self.k} n'={self.new_width} data seed={self.data_seed}"


def deepening_instances() -> st.SearchStrategy[DeepeningInstance]:
    """L ∈ {2..5}, d ∈ {1..5}, m ∈ {1..3}, hidden widths and n' ∈ {1..6}, N ∈ {1..12}, k ∈ {0..4} (digest RI)."""

    @st.composite
    def build(draw) -> DeepeningInstance:
        L = draw(st.integers(2, 5))
        d, m = draw(st.integers(1, 5)), draw(st.integers(1, 3))
        hidden = tuple(draw(st.integers(1, 6)) for _ in range(L - 1))
        return DeepeningInstance((d, *hidden, m), draw(st.integers(1, 12)), draw(st.integers(0, 4)), draw(st.integers(1, 6)),
                                 draw(seeds()))

    return build()


def random_escaping_parameters(net: FeedForward, X: torch.Tensor, G: torch.Tensor, count: int, seed: int) -> torch.Tensor:
    """Up to 2·``count`` points of S_L with L0 < 0: Gaussian ones whose last hidden layer is made
    unbalanced (incoming rows scaled by e^{U(−2,2)}), then the same after neuron rebalancing.

    W_L is negated where L0 > 0 (H7). Points with L0 = 0 (every path dead: frequent for narrow deep
    nets on few samples) are discarded; the first ``count`` of 8·``count`` draws that escape are kept.
    Rebalancing uses the rescaling (W_{L−1,i·}, W_{L,·i}) → (cW_{L−1,i·}, W_{L,·i}/c),
    c = (‖W_{L,·i}‖/‖W_{L−1,i·}‖)^{1/2}, which leaves Y_θ unchanged (H4); both sets are then put
    back onto S_L.
    """
    L = net.depth
    gen = torch.Generator().manual_seed(seed)
    draws = 8 * count
    theta = torch.randn(draws, net.n_params, generator=gen, dtype=DTYPE).to(X.device)
    net.split(theta)[L - 2].mul_(torch.exp(4 * torch.rand(draws, net.widths[L - 1], 1, generator=gen, dtype=DTYPE) - 2).to(X.device))
    theta = to_sphere(theta, L)
    net.split(theta)[L - 1].mul_(torch.where(ncf(net, theta, X, G) > 0, -1.0, 1.0)[:, None, None])
    theta = theta[ncf(net, theta, X, G) < -loss_rounding(net, theta, X, G)][:count]
    balanced = theta.clone()
    Ws = net.split(balanced)
    p, q = Ws[L - 2].norm(dim=-1), Ws[L - 1].norm(dim=-2)
    c = torch.where((p > 0) & (q > 0), (q / p.clamp_min(1e-300)).sqrt(), 1.0)
    Ws[L - 2].mul_(c[..., None])
    Ws[L - 1].div_(c[..., None, :])
    return torch.cat([theta, to_sphere(balanced, L)])


# ---------------------------------------------------------------------------------------------
# method helpers


def rank_violation(M: torch.Tensor, rank: int) -> torch.Tensor:
    """How far M is from having rank ``rank``: the spectral mass beyond it, or the missing rank."""
    s = torch.linalg.svdvals(M)
    total = (s**2).sum(-1).clamp_min(torch.finfo(M.dtype).tiny)
    excess = (s[..., rank:] ** 2).sum(-1) / total
    return torch.maximum(excess, (rank - numerical_rank(M)).clamp_min(0).to(M.dtype))


@dataclass(frozen=True)
class DeepeningMeasurements:
    """What one instance measured: the θ checked and the construction's effect, and the depth anchor."""

    thetas: int
    norm_deficit_max: float  # max over θ of L+k − ‖θ'‖² (the AM–GM gap)
    loss_gain_min: float  # min over θ of (L0(θ) − L0(θ'))/|L0(θ)| (>= 0)
    loss_gain_max: float
    s2_upper: float  # Example 1's data: certified upper bound on s*(2) (nan when skipped)
    s3_lower: float  # Example 1's data: a speed attained at depth 3 (the witness), a lower bound on s*(3)


@register
class DepthMonotonicity(Checker):
    """s2s Proposition 3.2 (= A.3): the explicit deeper network, and s*(L) non-decreasing in L >= 2."""

    id = "s2s.prop3_2"
    title = "Depth monotonicity of the optimal escape speed via an explicit deeper network"
    source = "s2s Proposition 3.2 (= A.3)"
    statement = (
        "Let θ = (W_1..W_L), L >= 2, with L0(θ) = Tr[GᵀY_θ] < 0. With a_i = ‖W_{L,·i}‖‖W_{L−1,i·}‖, "
        "T_i = Tr[GᵀW̄_{L,·i}σ(W̄_{L−1,i·}Z^σ_{L−2})], i* = argmin T_i, γ² = Σa_i, the network θ' = (W_1..W_{L−2}, "
        "γe_1W̄_{L−1,i*·}, E_11 (k times), γW̄_{L,·i*}e_1ᵀ) of depth L+k satisfies ‖θ'‖² = L + k − Σ_i(‖W_{L−1,i·}‖ − "
        "‖W_{L,·i}‖)² <= L+k, L0(θ') = γ²T_{i*} <= L0(θ), also after rescaling θ' onto ‖θ'‖² = L+k, rank W'_ℓ = rank Z'_ℓ = 1 "
        "for ℓ >= L and Z'_ℓ = Z'^σ_ℓ for L <= ℓ <= L+k−1. Consequently the optimal speed s*(L) = −min_{‖θ‖²=L} L0 is "
        "non-decreasing in L >= 2."
    )
    hypotheses_text = (
        "Random problems (digest RI): L ∈ {2..5}, k ∈ {0..4}, d ∈ {1..5}, m ∈ {1..3}, hidden widths and new width n' ∈ {1..6}, "
        "N ∈ {1..12}, X and G i.i.d. N(0,1). Per problem up to 8 Gaussian θ on S_L with an unbalanced last hidden layer "
        "(the first of 64 draws with L0(θ) < 0 after negating W_L where needed) and their neuron-rebalanced copies (not "
        "optima). The consequence for s* is also checked on Example 1's fixed data, where s*(2) and a speed at depth 3 are "
        "known rigorously."
    )
    method = (
        "The construction (support module `escape.deepen`) runs batched over all θ of an instance. Checked for every θ, each "
        "an entry of its own with a relative violation: the norm bound, the exact norm identity (AM–GM gap), L0(θ') <= L0(θ), "
        "L0(θ') = γ²T_{i*}, L0 after rescaling onto ‖θ'‖² = L+k, the ranks (spectral mass beyond rank 1, or missing rank, "
        "singular values above 1e-10·s_1), nl(Z') = ‖σ(−Z')‖²/‖Z'‖² = 0 on the inserted hidden layers; and once, the depth. "
        "Error floors are float64 rounding bounds: for L0 a forward-error bound (Σ widths + N·m)·ε·Σ|G|∘Y_{|θ|}(|X|), for "
        "norms 4ε per summand. Since every θ ∈ S_L with L0(θ) < 0 is lifted to a point of S_{L+k} that is at least as fast, "
        "the per-θ entries are the consequence s*(L+k) >= s*(L) at the sampled θ. The consequence itself, on Example 1's "
        "data where both sides are known rigorously: s*(2) <= the activation-pattern certificate's upper bound on the best "
        "one-neuron speed (a depth-2 net's speed is at most that times Σ_i|a_i|‖w_i‖ <= ‖θ‖²/2 = 1, by AM–GM), and "
        "s*(3) >= ½, the speed of Example 1's rank-two witness; the entry compares the two (random Gaussian data cannot "
        "refute a claim of strict decrease: equal estimates at every depth were typical in our trials)."
    )
    tolerance = 1e-12
    floor_factor = 10.0
    max_error_floor = 1e-9
    # the statement, as attributes the claim reads (mutants override them)
    lifted_norm_sq = staticmethod(lambda L, k: L + k)
    lifted_rank = 1
    depth_order = staticmethod(lambda shallow, deep: deep - shallow)  # the statement: s*(L+1) − s*(L) >= 0
    mutants = [
        Mutant("s*(L+1) < s*(L)", "the optimal escape speed decreases with depth",
               depth_order=staticmethod(lambda shallow, deep: shallow - deep)),
        Mutant("‖θ'‖² = L+k+1", "the construction keeps ‖θ'‖² = L+k+1", lifted_norm_sq=staticmethod(lambda L, k: L + k + 1)),
        Mutant("rank W'_L = 2", "the inserted layers (and the new output layer) have rank 2", lifted_rank=2),
    ]
    thetas_per_instance = 8

    def hypotheses(self):
        return deepening_instances()

    def obligations(self) -> list[Obligation]:
        L, k, E = sp.symbols("L k E", positive=True)
        p = sp.symbols("p1:4", nonnegative=True)
        q = sp.symbols("q1:4", nonnegative=True)
        # ‖θ‖² = E + Σ(p_i² + q_i²) = L, and ‖θ'‖² = E + ‖γe_1W̄‖² + ‖γW̄e_1ᵀ‖² + k = E + 2Σp_iq_i + k
        lifted = (L - sum(a**2 + b**2 for a, b in zip(p, q))) + 2 * sum(a * b for a, b in zip(p, q)) + k
        gap = sp.expand(lifted + sum((a - b) ** 2 for a, b in zip(p, q)) - self.lifted_norm_sq(L, k))
        g = sp.Symbol("gamma", positive=True)
        w = sp.Matrix(sp.symbols("w1:3", positive=True))
        v = sp.Matrix([sp.symbols("v1:5", nonnegative=True)])
        e1 = sp.Matrix([1, 0, 0])
        E11 = e1 * e1.T
        inserted = [E11, g * w * e1.T, g * e1 * w.T]
        relu_free = sym_relu(E11 * e1 * v) - E11 * e1 * v
        return [
            Obligation("norm identity", "‖θ'‖² + Σ_i(‖W_{L−1,i·}‖ − ‖W_{L,·i}‖)² = L + k (3 neurons, symbolic L, k)",
                       gap == 0, f"difference {gap}"),
            Obligation("inserted ranks", f"E_11, γW̄_{{L,·i*}}e_1ᵀ and γe_1W̄_{{L−1,i*·}} have rank {self.lifted_rank}",
                       all(M.rank() == self.lifted_rank for M in inserted), f"ranks {[M.rank() for M in inserted]}"),
            Obligation("inserted layers are linear", "σ(E_11·e_1vᵀ) = E_11·e_1vᵀ for v >= 0, so Z' = Z'^σ there",
                       relu_free.is_zero_matrix, ""),
        ]

    # -----------------------------------------------------------------------------------------
    # claim

    def claim(self, instance: DeepeningInstance, ctx: Context) -> Evidence:
        net = relu_mlp(instance.widths)
        L, k = net.depth, instance.k
        rng = np.random.default_rng(instance.data_seed)
        X = torch.as_tensor(rng.standard_normal((instance.n_samples, net.widths[0])), dtype=DTYPE, device=ctx.device)
        G = torch.as_tensor(rng.standard_normal((instance.n_samples, net.widths[-1])), dtype=DTYPE, device=ctx.device)
        theta = random_escaping_parameters(net, X, G, self.thetas_per_instance, instance.data_seed)
        if len(theta) == 0:
            return Evidence.undecided("no θ with L0(θ) < 0: hypothesis not met", instance=str(instance))

        lift = deepen(net, theta, X, G, k, width=instance.new_width)
        deeper = lift.net
        loss, loss_new = ncf(net, theta, X, G), ncf(deeper, lift.theta, X, G)
        scale = loss.abs()
        loss_floor = (loss_rounding(net, theta, X, G) + loss_rounding(deeper, lift.theta, X, G)) / scale
        R = float(self.lifted_norm_sq(L, k))
        norm_sq = (lift.theta**2).sum(-1)
        Ws = net.split(theta)
        imbalance = ((Ws[L - 2].norm(dim=-1) - Ws[L - 1].norm(dim=-2)) ** 2).sum(-1)
        norm_floor = torch.full_like(norm_sq, 4 * EPS * (deeper.n_params + net.n_params))
        best_T = lift.contribution.gather(-1, lift.best_neuron[:, None]).squeeze(-1)
        rescaled = lift.theta * (R / norm_sq).sqrt()[:, None]
        loss_rescaled = ncf(deeper, rescaled, X, G)
        new_Ws = deeper.split(lift.theta)
        new_Zs = deeper.preactivations(lift.theta, X)
        tiny = torch.full_like(norm_sq, EPS)
        # per θ: name → (violations, floors), one of each per θ
        per_theta = {
            "‖θ'‖² <= L+k": ((norm_sq - R).clamp_min(0) / R, norm_floor),
            "‖θ'‖² + imbalance = L+k": ((norm_sq + imbalance - R).abs() / R, norm_floor),
            "L0(θ') <= L0(θ)": ((loss_new - loss).clamp_min(0) / scale, loss_floor),
            "L0(θ') = γ²T_i*": ((loss_new - lift.gamma**2 * best_T).abs() / scale, 2 * loss_floor),
            "L0 after rescaling <= L0(θ')": ((loss_rescaled - loss_new).clamp_min(0) / scale, 2 * loss_floor),
            "‖rescaled‖² = L+k": (((rescaled**2).sum(-1) - R).abs() / R, norm_floor),
        }
        for l in range(L, L + k + 1):  # W'_l and Z'_l, l = L..L+k (1-based)
            per_theta[f"rank W'_{l}"] = (rank_violation(new_Ws[l - 1], self.lifted_rank), tiny)
            per_theta[f"rank Z'_{l}"] = (rank_violation(new_Zs[l - 1], self.lifted_rank), tiny)
            if l < L + k:
                per_theta[f"Z'_{l} = Z'^σ_{l}"] = (nonlinearity(new_Zs[l - 1]), tiny)
        checked = entries([float(deeper.depth != L + k)], [0.0], labels=["depth of θ' = L+k"])
        for i in range(len(theta)):
            checked += entries([v[i] for v, _ in per_theta.values()], [f[i] for _, f in per_theta.values()],
                               labels=[f"θ {i + 1}: {name}" for name in per_theta])

        def measured(s2_upper: float, s3_lower: float) -> DeepeningMeasurements:
            gain = (loss - loss_new) / scale
            return DeepeningMeasurements(len(theta), float((R - norm_sq).max()), float(gain.min()), float(gain.max()),
                                         s2_upper, s3_lower)

        if failed := [e.label for e in checked if self.decide_entry(e) is Verdict.FAIL]:
            return Evidence(checked, measured(float("nan"), float("nan")), str(instance), f"fails: {', '.join(failed[:5])}")

        # the consequence on Example 1's data: s*(3) >= ½ (the witness) > s1 >= s*(2) (certificate, AM–GM)
        X1, G1 = (torch.as_tensor(a, device=ctx.device) for a in example1_data())
        witness_net, witness = relu_mlp(WITNESS_WIDTHS), witness_parameters(-1).to(ctx.device)
        s3_lower = -float(ncf(witness_net, witness, X1, G1))
        s2_upper = example1_certificate().upper
        floor = float(loss_rounding(witness_net, witness, X1, G1)) / s2_upper + 1e3 * EPS
        checked += entries([max(0.0, -self.depth_order(s2_upper, s3_lower)) / s2_upper], [floor],
                           labels=["s*(3) vs s*(2) on Example 1's data"])
        return Evidence(checked, measured(s2_upper, s3_lower), str(instance))

    # -----------------------------------------------------------------------------------------
    # report: formats the run's records only

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        m = result.measurements
        lines = [
            "## Sign convention",
            "",
            "L0(θ) = Tr[GᵀY_θ]; speed = −L0 on ‖θ‖² = L; s*(L) = −min_{‖θ‖²=L} L0 (the paper's Thm 3.1 prints min: T2).",
            "",
            "## Depth anchor on Example 1's data",
            "",
            f"s*(2) <= {fmt(m.get('s2_upper_max'), 13)} (certified one-neuron bound) and s*(3) >= "
            f"{fmt(m.get('s3_lower_min'), 16)} (the rank-two witness of Example 1). Estimates of s*(L) for more depths are "
            "the experiment `s2s.depth_sweep`.",
            "",
            "## Corrections to the paper used here",
            "",
            "- The construction gives ‖θ'‖² <= L+k, with equality iff the last hidden layer is neuron-balanced "
            "(‖W_{L−1,i·}‖ = ‖W_{L,·i}‖ for all i); the paper states equality (T10). Rescaling onto ‖θ'‖² = L+k only lowers L0.",
            "- Z'_ℓ = Z'^σ_ℓ holds on the inserted hidden layers L <= ℓ <= L+k−1; the paper writes 'ℓ > L', which includes the "
            "output layer, where σ is not applied (T10).",
            "- The proposition needs L >= 2 (it uses W_{L−1}); from L = 1 to 2 monotonicity can fail (digest T11 gives a "
            "two-sample counterexample).",
            "- Prop. A.3 writes L0(θ) = −c0 for −s0 (T1); its proof's w_L is n_{L−1} and σ(W_{L−1,i·}Z_{L−2}) means Z^σ_{L−2} (T9).",
        ]
        return "\n".join(lines), []
