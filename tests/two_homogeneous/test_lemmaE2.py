"""dc2.lemmaE2: PASS under ci with every mutant killed; the digest's reference values; the rest points."""

import math

import numpy as np
import pytest

from theorems.two_homogeneous.abs_product import case, hitting_time, solution
from theorems.two_homogeneous.lemmaE2 import AbsProductStarts, NonBranchingAbsProduct
from verify.checker import Context, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NonBranchingAbsProduct())


@pytest.mark.parametrize("z,at_3", [((0.0, 1.0), (10.017875, 10.067662)), ((2.0, 0.5), (25.144261, 25.069581)),
                                    ((1.0, -1.0), (20.085537, -20.085537))])
def test_the_digest_s_reference_values_at_t_3(z, at_3):
    assert np.allclose(solution(z, 3.0), at_3, atol=1e-6)


def test_case_3_rests_where_the_digest_says():
    z = (-2.0, 1.0)
    assert case(z) == 3 and hitting_time(z) == pytest.approx(0.549306, abs=1e-6)
    assert np.allclose(solution(z, 1.0), (-math.sqrt(3), 0.0))


def test_every_case_is_decided_on_one_instance():
    checker = NonBranchingAbsProduct()
    evidence = checker.claim(AbsProductStarts(1.3, 0.4, -1.0), Context())
    assert checker.decide(evidence) is Verdict.PASS
    labels = " ".join(e.label for e in evidence.entries)
    assert all(f"case {c}:" in labels for c in (1, 2, 3, 4, 5)) and evidence.measurements.hitting_time_error < 1e-9
