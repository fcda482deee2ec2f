"""np.lemma6 (issue 14): PASS under ci with every mutant killed; the exponent obligations decide the time scale."""

from theorems.neuron_pursuit.lemma6 import FlowRescaling, HomogeneousPolynomial
from verify.checker import Context, Verdict
from verify.nets import Activation, FeedForward
from verify.profiles import profile
from verify.runner import run_checker
from verify.strategies import Dataset, NCFProblem


def test_ci_pass_and_every_mutant_killed():
    result = run_checker(FlowRescaling(), profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", result.notes
    assert all(o.holds for o in result.obligations)
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]


def test_wrong_time_scale_fails_numerically_and_symbolically():
    checker = FlowRescaling()
    mutant = next(m for m in checker.mutants if m.name == "time scale δ^{q−1}").apply(checker)
    assert not all(o.holds for o in mutant.obligations())
    instance = (HomogeneousPolynomial(2, 3, 5), 1, 1.0, 0.3)  # δ ≈ 0.5: the mutant's times stay before the blow-up
    assert checker.decide(checker.claim(instance, Context())) is Verdict.PASS
    assert mutant.decide(mutant.claim(instance, Context())) is Verdict.FAIL


def test_quadratic_linear_net():
    # q = 2 (a linear two-layer net): no time rescaling at all
    problem = NCFProblem(FeedForward((3, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 6, 3, 1), 2)
    checker = FlowRescaling()
    evidence = checker.claim((problem, 0, 1.0, 1.5), Context())
    assert evidence.measurements.degree == 2 and checker.decide(evidence) is Verdict.PASS
