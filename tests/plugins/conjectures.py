"""Two conjectures written the way a user would, with the public API and the default strategies only.

* ``user.rank_one`` (false, s2s Example 1): every positive KKT point of a depth-3 ReLU NCF has
  rank-one W₁ and W₂.
* ``user.euler`` (true control): at every certified KKT point λ = p̂·N(u) (edc Lemma 11).
* ``user.alignment`` (false, found by adversarial refinement): at a random unit u, z never correlates
  with the outputs by more than 0.9, zᵀH(X;u) ≤ 0.9‖z‖‖H(X;u)‖. Gaussian z of n ≥ 20 samples rarely comes
  near (cosines ~ 1/√n); a few ascent steps on z reach z ∥ H.
"""

from dataclasses import replace

import torch
from hypothesis import strategies as st

from verify import Activation, Checker, Evidence, Mutant, kkt_points, register
from verify.evidence import at_most, equality, rank_at_most
from verify.refine import Relaxation
from verify.strategies import datasets, ncf_problems, seeds


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


@register
class AlignmentConjecture(Checker):
    """zᵀH(X;u) ≤ 0.9‖z‖‖H(X;u)‖ at a random unit u (false; Gaussian draws miss it, refinement finds it)."""

    id, source = "user.alignment", "a user's conjecture"
    title = "z correlates with a random network's outputs by at most 0.9"
    statement = "zᵀH(X;u) ≤ 0.9‖z‖‖H(X;u)‖ for a unit u drawn at random, depth-2 ReLU nets"
    cosine = 0.9
    mutants = [Mutant("cosine ≤ 0", cosine=0.0)]
    refinement_text = "cos(z, H(X;u)) − 0.9, ascended over z."

    def hypotheses(self):
        problems = ncf_problems(data=datasets(n=(20, 40), structured_weight=0.0), depths=(2,), widths=(2, 4),
                                activation=st.just(Activation(0.0, 1)), targets=("gaussian",), structured_weight=0.0)
        return st.tuples(problems, seeds())

    def _cosine(self, problem, u, z):
        H = problem.net(u, torch.as_tensor(problem.X)).reshape(-1)
        return (z.reshape(-1) @ H) / (z.norm() * H.norm()).clamp_min(1e-300)

    def _u(self, problem, seed):
        return problem.net.random_unit(1, torch.Generator().manual_seed(seed))[0]

    def claim(self, instance, ctx):
        problem, seed = instance
        cos = float(self._cosine(problem, self._u(problem, seed), torch.as_tensor(problem.z)))
        return Evidence([at_most(cos, self.cosine, 1e-14, "cos(z, H)")], instance=str(problem))

    def relax(self, instance, ctx):
        problem, seed = instance
        u = self._u(problem, seed)
        return Relaxation({"z": torch.as_tensor(problem.z)}, lambda parts: self._cosine(problem, u, parts["z"]) - self.cosine,
                          lambda parts: (replace(problem, z_array=parts["z"]), seed))
