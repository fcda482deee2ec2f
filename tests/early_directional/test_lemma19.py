"""edc.lemma19: PASS under ci with every mutant killed; the printed exponent L − 2 (T8) fails where depth ≠ degree."""

import mpmath
import numpy as np
import torch

from theorems.early_directional.lemma19 import ProjectedAscentRescaling, homogeneous_f
from theorems.neuron_pursuit.lemma6 import HomogeneousPolynomial
from verify.checker import Context, Verdict
from verify.nets import DTYPE, Activation, FeedForward
from verify.precise import to_mp
from verify.strategies import Dataset, NCFProblem

from ..ci_run import passes_ci_with_every_mutant_killed

SQUARED_RELU_NCF = NCFProblem(FeedForward((3, 4, 1), Activation(0.0, 2)), Dataset("gaussian", 6, 3, 1), 2)  # q = 3, depth 2


def _mutant(checker, prefix):
    return next(m for m in checker.mutants if m.name.startswith(prefix)).apply(checker)


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(ProjectedAscentRescaling())


def test_printed_exponent_fails_where_depth_differs_from_degree():
    checker = ProjectedAscentRescaling()
    printed = _mutant(checker, "printed exponent")
    instance = (SQUARED_RELU_NCF, 3, 0.2)
    evidence = checker.claim(instance, Context())
    assert checker.decide(evidence) is Verdict.PASS
    assert max(evidence.measurements.worst_float64) < 1e-12 and max(evidence.measurements.worst_mp) < 1e-25
    assert printed.decide(printed.claim(instance, Context())) is Verdict.FAIL  # L − 2 = 0 ≠ q − 2 = 1
    # a deep linear net has q = depth: there the printed reading coincides with the statement (and passes)
    linear = NCFProblem(FeedForward((3, 2, 2, 1), Activation(1.0, 1)), Dataset("gaussian", 6, 3, 1), 2)
    assert printed.decide(printed.claim((linear, 3, 0.2), Context())) is Verdict.PASS


def test_exponent_q_minus_1_fails_on_a_polynomial():
    checker = ProjectedAscentRescaling()
    wrong = _mutant(checker, "exponent q − 1")
    instance = (HomogeneousPolynomial(3, 4, 7), 1, 0.2)
    assert checker.decide(checker.claim(instance, Context())) is Verdict.PASS
    assert wrong.decide(wrong.claim(instance, Context())) is Verdict.FAIL


def test_mpmath_gradients_match_float64():
    for problem in (SQUARED_RELU_NCF, HomogeneousPolynomial(3, 4, 7)):
        F = homogeneous_f(problem)
        w = torch.randn(F.k, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
        with mpmath.workdps(30):
            g_mp = np.array([float(x) for x in F.grad_mp(to_mp(w.numpy()))])
        g = F.grad64(w).numpy()
        assert np.linalg.norm(g - g_mp) <= 1e-13 * np.linalg.norm(g)


def test_vanishing_gradient_is_undecided():
    problem = NCFProblem(SQUARED_RELU_NCF.net, SQUARED_RELU_NCF.data, 0, "given", np.zeros((6, 1)))
    checker = ProjectedAscentRescaling()
    assert checker.decide(checker.claim((problem, 0, 0.1), Context())) is Verdict.INCONCLUSIVE
