"""dc2.lemmaE1: PASS under ci with every mutant killed; a wrong branch fails numerically as well as symbolically."""

from theorems.two_homogeneous.lemmaE1 import TAU, BranchingAbsProduct, BranchingInstance
from verify.checker import Context, Mutant, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(BranchingAbsProduct())


def test_a_wrong_branch_violates_the_inclusion_on_the_grid():
    instance = BranchingInstance(1.0, 1.0, 0.5, -1.0, 0.5)
    checker = BranchingAbsProduct()
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS and abs(evidence.measurements.horizon_distance - 0.765367) < 1e-6
    wrong = Mutant("u2 = s·c·(t − T)", second=TAU).apply(checker)
    evidence = wrong.claim(instance, Context())
    assert wrong.decide(evidence) is Verdict.FAIL and evidence.measurements.inclusion_defect > 0.1
