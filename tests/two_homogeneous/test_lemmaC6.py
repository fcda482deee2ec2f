"""dc2.lemmaC6: PASS under ci with its mutants killed; the printed expansion (T4) is off by O(1) at the same points."""

from hypothesis import find

from theorems.two_homogeneous.lemmaC6 import NormalisedNCF
from verify.checker import Context

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NormalisedNCF())


def test_the_printed_expansion_is_off_where_the_corrected_one_holds():
    checker = NormalisedNCF()
    instance = find(checker.hypotheses(), lambda inst: True)
    m = checker.claim(instance, Context()).measurements
    assert m.norm_defect < 1e-13 and m.gradient_defect < 1e-13 and m.printed_norm_defect > 1e-3
