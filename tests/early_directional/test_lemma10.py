"""edc.lemma10: PASS under ci with every mutant killed; the mutants also fail numerically (not only symbolically)."""

import pytest

from theorems.early_directional.lemma10 import NormalisedNCFGradient
from verify.activations import Activation
from verify.checker import Context, Verdict
from verify.nets import FeedForward
from verify.strategies import Dataset, NCFProblem

from ..ci_run import passes_ci_with_every_mutant_killed


def _instance(widths, act, seed=5):
    return NCFProblem(FeedForward(widths, act), Dataset("gaussian", 8, widths[0], 1), 2), seed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NormalisedNCFGradient())


@pytest.mark.parametrize("widths, act, degree", [((3, 4, 1), Activation(0.0, 2), 3), ((3, 4, 1), Activation(1.0, 1), 2),
                                                 ((3, 2, 2, 1), Activation(0.5, 3), 13)])
def test_the_statement_holds_to_rounding_and_each_mutant_fails_numerically(widths, act, degree):
    checker, instance = NormalisedNCFGradient(), _instance(widths, act)
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.degree == degree
    assert max(m.gradient_defect, m.projection_defect, m.radial_defect) < 1e-14 and m.radius_min < 1 < m.radius_max
    for mutant in NormalisedNCFGradient.mutants:
        mutated = mutant.apply(NormalisedNCFGradient())
        failed = [e.label for e in mutated.claim(instance, Context()).entries if mutated.decide_entry(e) is Verdict.FAIL]
        assert failed and not any("uᵀ∇Ñ = 0" in label for label in failed), mutant.name  # the gradient forms fail, not ∇Ñ ⟂ u
