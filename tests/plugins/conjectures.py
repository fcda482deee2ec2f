"""Two conjectures written the way a user would, with the public API and the default strategies only.

* ``user.rank_one`` (false, s2s Example 1): every positive KKT point of a depth-3 ReLU NCF has
  rank-one W₁ and W₂.
* ``user.euler`` (true control): at every certified KKT point λ = p̂·N(u) (edc Lemma 11).
"""

import torch
from hypothesis import strategies as st

from verify import Activation, Checker, Evidence, Mutant, kkt_points, register
from verify.evidence import equality, rank_at_most
from verify.strategies import ncf_problems, seeds


def _points(problem, seed):
    return kkt_points(problem.net, problem.X, problem.z, restarts=8, steps=600, seed=seed)


@register
class RankOneConjecture(Checker):
    """Every positive KKT point of a depth-3 ReLU NCF has rank-one W₁ and W₂ (false: s2s Example 1)."""

    id, source = "user.rank_one", "s2s Example 1 (a user's conjecture)"
    title = "positive KKT points of depth-3 ReLU NCFs are rank one"
    statement = "rank W₁ ≤ 1 and rank W₂ ≤ 1 at every positive KKT point of max zᵀH s.t. ‖u‖ = 1, L = 3, ReLU"
    max_rank = 1
    mutants = [Mutant("rank ≤ 0", max_rank=0)]

    def hypotheses(self):
        return st.tuples(ncf_problems(depths=(3,), widths=(1, 5), activation=st.just(Activation(0.0, 1))), seeds())

    def claim(self, instance, ctx):
        problem, seed = instance
        found = _points(problem, seed)
        entries = [rank_at_most(torch.linalg.svdvals(W).tolist(), self.max_rank, 10 * p.residual + 1e-12,
                                f"KKT point {i + 1} (value {p.value:.4g}), W{l + 1}")
                   for i, p in enumerate(found.points) for l, W in enumerate(p.weights(problem.net)[:2])]
        if not entries:
            return Evidence.undecided("no certified positive KKT point", instance=str(problem))
        return Evidence(entries, instance=str(problem), note=found.summary())


@register
class EulerControl(Checker):
    """At every certified KKT point λ = p̂·N(u) (edc Lemma 11): a true control for the conjecture above."""

    id, source = "user.euler", "edc Lemma 11 (a user's control)"
    title = "λ = p̂·N at certified KKT points"
    statement = "λ = p̂·N(u) at every certified KKT point u of the constrained NCF"
    degree_offset = 0
    mutants = [Mutant("λ = (p̂+1)N", degree_offset=1)]

    def hypotheses(self):
        return st.tuples(ncf_problems(depths=(2, 3), widths=(1, 4)), seeds())

    def claim(self, instance, ctx):
        problem, seed = instance
        found = _points(problem, seed)
        entries = [equality(p.lam, (problem.net.degree + self.degree_offset) * p.value, 100 * p.residual + 1e-13,
                            f"KKT point {i + 1}") for i, p in enumerate(found.points)]
        if not entries:
            return Evidence.undecided("no certified positive KKT point", instance=str(problem))
        return Evidence(entries, instance=str(problem), note=found.summary())
