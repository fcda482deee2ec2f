"""edc Theorem 4: rank-one KKT points of the constrained NCF for σ(x) = max(x, αx)^p, p >= 2.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small
Initializations", Theorem 4 (§5), read with the digest's corrections T4, T5, T26
(../shared/spec/early_directional_convergence.md §3.2).

Statement. For H of eq. (9) with σ(x) = max(x, αx)^p, p >= 2, p̂ = p^{L-1} + … + p + 1, the constrained
NCF (10) and W̄ = (a_1b_1ᵀ, …, a_{L-1}b_{L-1}ᵀ, w̄ᵀ) with ‖a_l‖ = ‖b_l‖:
(i) α ≠ 1, a_1..a_{L-1} and b_2..b_{L-1} entrywise >= 0: W̄ is a non-zero KKT point of (10) iff
      N1  ‖a_l‖⁴ = p^{L-l}/p̂
      N2  ‖w̄‖² = 1/p̂
      A1  b_l = a_{l-1}/p^{1/4}, 2 <= l <= L-1
      A2  w̄ = q·a_{L-1}/(p·p̂)^{1/4}, q ∈ {±1}
      E   the non-zero entries of each a_l are identical
      R   b_1 is a non-zero KKT point of max Σ_i y_i σ^{L-1}(x_iᵀu) s.t. ‖u‖² = (p^{L-1}/p̂)^{1/2} (eq. 13).
(ii) α = 1 (σ = x^p), no sign assumption: the same with a sign q_l ∈ {±1} in every alignment, |a_{l-1}|
     in place of a_{l-1} when p is even (T4), and identical absolute values of the non-zero entries (eq. 14).
The KKT multiplier is λ = p̂·N(W̄).

The claim, shared with Theorem 3, is :class:`.rank_one_claim.RankOneChecker`; the formulas are the
fields of :data:`.rank_one_template.THEOREM`, and each mutant below replaces one of them.
"""

from __future__ import annotations

from dataclasses import replace

from theorems.early_directional.rank_one_claim import RankOneChecker
from theorems.early_directional.rank_one_template import THEOREM
from verify.activations import Activation
from verify.checker import Mutant, register


@register
class RankOnePolynomial(RankOneChecker):
    """edc Theorem 4: rank-one KKT points of the constrained NCF for σ(x) = max(x, αx)^p, p ≥ 2, both directions.

    Sufficiency constructively (identical non-zero entries, b_l = a_{l−1}/p^{1/4}, w̄ = q a_{L−1}/(p p̂)^{1/4}, |a| for even p
    and α = 1), necessity empirically (N1', N2', A1', A2', E, R' at every certified rank-one non-negative KKT point found).
    Statement read with the digest's correction T4 (w̄ = q_L |a_{L−1}|/(p p̂)^{1/4} for even p).
    """

    id = "edc.theorem4"
    title = "Rank-one KKT points of the constrained NCF, polynomial (leaky) ReLU σ = max(x, αx)^p"
    source = "edc Theorem 4"
    statement = (
        "For H of eq. (9) with σ(x) = max(x, αx)^p, p ≥ 2, p̂ = p^{L−1}+…+1, and W̄ = (a_1b_1ᵀ, …, a_{L−1}b_{L−1}ᵀ, w̄ᵀ), "
        "‖a_l‖ = ‖b_l‖: (i) if α ≠ 1 and a_1..a_{L−1}, b_2..b_{L−1} ≥ 0, W̄ is a non-zero KKT point of (10) iff "
        "‖a_l‖⁴ = p^{L−l}/p̂, ‖w̄‖² = 1/p̂, b_l = a_{l−1}/p^{1/4} (2 ≤ l ≤ L−1), w̄ = q·a_{L−1}/(p·p̂)^{1/4} for some q = ±1, "
        "the non-zero entries of each a_l are identical, and b_1 is a non-zero KKT point of max Σ_i y_i σ^{L−1}(x_iᵀu) "
        "s.t. ‖u‖² = (p^{L−1}/p̂)^{1/2} (eq. 13); (ii) if α = 1 the same with signs q_l ∈ {±1} in every alignment, "
        "|a_{l−1}| in place of a_{l−1} when p is even, identical absolute values of the non-zero entries, and no sign "
        "assumption (eq. 14). The multiplier is λ = p̂·N(W̄)."
    )

    # -- hypotheses: the instances (the strategy is RankOneChecker.hypotheses with these α and p)
    alphas = (0.0, 0.1, -0.5, 2.0)
    powers = (2, 3, 4)
    hypotheses_text = (
        "Gaussian or sphere (radius √d) inputs, n 5–20, d 2–5, y ~ N(0, I); p ∈ {2,3,4}. Construction: L ∈ {2,3,4,5}, "
        "hidden widths in {1,2,3,4}, on every instance α ∈ {0, 0.1, −0.5, 2} with the drawn p, and α = 1 with p = 2 "
        "(even) and p = 3 (odd). Ascent: L ∈ {2,3}, hidden widths in {1,2,3}, the instance's (α, p) and (1, p)."
    )

    # -- method
    method = RankOneChecker.describe_method(
        freedom="identical non-zero entries, non-negative for α ≠ 1, with random signs and random q_l for α = 1",
        ascent="600 steps of the engine's batched projected ascent, each group's best end polished by Newton's method on the "
               "KKT system and certified by its autograd residual",
    )

    # -- mutants: the statement with one formula replaced
    mutants = [
        Mutant("no identical entries", "Theorem 4 without E: a_l with unequal non-zero entries",
               form=replace(THEOREM, equal_entries=False)),
        Mutant("reduced radius 1", "b_1 a KKT point of eq. (13) on ‖u‖² = 1", form=replace(THEOREM, radius_sq=lambda L, p, ph: 1.0)),
        Mutant("Theorem 3's alignment b_l = a_{l−1}", "A1' without the factor p^{−1/4}",
               form=replace(THEOREM, inner_alignment=lambda p: 1.0)),
        Mutant("p+1 in place of p̂", "every p̂ replaced by p + 1 (right only for L = 2)", form=replace(THEOREM, phat=lambda L, p: p + 1)),
        Mutant("signed a_{l−1} for even p", "(ii) for even p with a_{l−1} in place of |a_{l−1}|",
               form=replace(THEOREM, absolute_for_even_p=False)),
    ]

    # -- claim: RankOneChecker.claim, constructing W̄ for the instance's (α, p) and for α = 1 with an even and an odd p
    def sufficiency_cases(self, inst):
        return [Activation(inst.alpha, inst.p), Activation(1.0, 2), Activation(1.0, 3)]

    # -- obligations: none; the statement is decided numerically on every instance

    report_notes = (
        "Read with the digest's corrections: T4 (for even p and α = 1, w̄ = q_L·|a_{L−1}|/(p p̂)^{1/4}; the extraction prints "
        "q_l|a_{l−1}|), T5 (β_1 = w̄ᵀa_{L−1}^p) and T26 (for α > 1 the proof's scalar factors σ^l(·) should be (·)^{p^l}; "
        "harmless for the theorem itself, which this checker tests with α = 2 among its instances).",
        "E (identical non-zero entries) is specific to p ≥ 2: with unequal entries the constructed W̄ is not a KKT point "
        "(mutant 'no identical entries'), while Theorem 3 allows any non-negative entries. The mutant 'p+1 in place of p̂' "
        "coincides with the theorem for L = 2 and is refuted by deeper instances.",
        "For α = 1 and even p, signed a_{l−1} in place of |a_{l−1}| is not a KKT point (mutant), for odd p the two readings "
        "are the same theorem.",
        "A certified KKT point that is rank one but whose factors have mixed signs (column 'rank one, mixed signs' above) lies "
        "outside hypothesis (i) and is not tested against the conditions; the paper's experiments (α ∈ {0, 0.1, 1}) do not "
        "cover the other α the theorems allow.",
    )
