"""np.lemma2: PASS under ci with every mutant killed; a start in the stable set of a non-global KKT point aligns with that
point, not with the global maximiser; the vanishing branch leaves ‖ψ‖ ≤ 2εδ; Xᵀy = 0 is undecided, not a pass."""

from tests.ci_run import passes_ci_with_every_mutant_killed
from theorems.neuron_pursuit.lemma2 import EarlyDirectionalConvergenceNP
from verify.checker import Context, Verdict
from verify.nets import Activation, FeedForward
from verify.strategies import Dataset, NCFProblem


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(EarlyDirectionalConvergenceNP())


def test_non_global_limit_refutes_the_global_maximiser_reading():
    problem = NCFProblem(FeedForward((2, 3, 1), Activation(0.0, 2)), Dataset("gaussian", 8, 2, 0), 0, "teacher")
    instance = (problem, 0, 0.05, "non-global")
    checker = EarlyDirectionalConvergenceNP()
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.limit_is_global is False and m.N_limit < m.N_global
    mutant = next(mu for mu in checker.mutants if mu.name == "aligned with the global maximiser").apply(checker)
    assert mutant.decide(mutant.claim(instance, Context())) is Verdict.FAIL


def test_vanishing_branch_and_a_vanishing_ncf_is_undecided():
    checker = EarlyDirectionalConvergenceNP()
    chain = FeedForward((2, 1, 1, 1), Activation(1.0, 1))
    good = (NCFProblem(chain, Dataset("gaussian", 8, 2, 3), 4, "gaussian"), 5, 0.1, "vanish")
    evidence = checker.claim(good, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.branch == "vanish"
    assert all(n <= 2 * m.eps for n, g in zip(m.norm_s, m.gap) if g <= 0.1 * m.eps)
    orthogonal = (NCFProblem(chain, Dataset("gaussian", 8, 2, 3), 4, "orthogonal"), 5, 0.1, "vanish")
    assert checker.decide(checker.claim(orthogonal, Context())) is Verdict.INCONCLUSIVE
