"""edc.lemma12: PASS under ci with both mutants killed; the identity holds from starts of either sign, where the mutants
fail; a start with N ≡ 0 is undecided."""

import numpy as np
import pytest

from theorems.early_directional.lemma12 import NCFSpeedIdentity
from verify.activations import Activation
from verify.checker import Context, Verdict
from verify.nets import FeedForward
from verify.strategies import Dataset, NCFProblem

from ..ci_run import passes_ci_with_every_mutant_killed

SQUARED_RELU = Activation(0.0, 2)


def _instance(widths=(3, 4, 1), act=SQUARED_RELU, sign=1):
    return NCFProblem(FeedForward(widths, act), Dataset("gaussian", 8, widths[0], 1), 2), 3, 1.0, sign


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NCFSpeedIdentity())


@pytest.mark.parametrize("widths, act, sign", [((3, 4, 1), SQUARED_RELU, 1), ((3, 4, 1), SQUARED_RELU, -1),
                                               ((3, 3, 1), Activation(1.0, 1), -1)])
def test_the_identity_holds_from_either_sign_and_the_mutants_fail(widths, act, sign):
    checker, instance = NCFSpeedIdentity(), _instance(widths, act, sign)
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and np.sign(m.N0) == sign and m.N_end > m.N0
    assert m.identity_defect < 1e-10 and m.worst_floor < 1e-6 and m.speed_integral > 0
    for mutant in NCFSpeedIdentity.mutants:
        mutated = mutant.apply(NCFSpeedIdentity())
        assert mutated.decide(mutated.claim(instance, Context())) is Verdict.FAIL, mutant.name


def test_a_correlation_vector_of_zeros_is_undecided():
    problem, seed, radius, sign = _instance()
    zero = NCFProblem(problem.net, problem.data, 0, "given", z_array=np.zeros(8))
    evidence = NCFSpeedIdentity().claim((zero, seed, radius, sign), Context())
    assert NCFSpeedIdentity().decide(evidence) is Verdict.INCONCLUSIVE and "N(u0) = 0" in evidence.note
