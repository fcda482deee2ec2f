"""dc2.lemmaE1: PASS under ci with every mutant killed; a wrong branch fails numerically as well as symbolically."""

from theorems.two_homogeneous.lemmaE1 import TAU, BranchingAbsProduct, BranchingInstance
from verify.checker import Context, Mutant, Verdict
from verify.profiles import profile
from verify.runner import run_checker


def test_ci_pass_and_every_mutant_killed():
    result = run_checker(BranchingAbsProduct(), profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", result.notes
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]


def test_a_wrong_branch_violates_the_inclusion_on_the_grid():
    instance = BranchingInstance(1.0, 1.0, 0.5, -1.0, 0.5)
    checker = BranchingAbsProduct()
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS and abs(evidence.measurements.horizon_distance - 0.765367) < 1e-6
    wrong = Mutant("u2 = s·c·(t − T)", second=TAU).apply(checker)
    evidence = wrong.claim(instance, Context())
    assert wrong.decide(evidence) is Verdict.FAIL and evidence.measurements.inclusion_defect > 0.1
