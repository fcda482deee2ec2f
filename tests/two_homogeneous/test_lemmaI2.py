"""dc2.lemmaI2: PASS under ci with its mutant killed; the digest's reference end points u(0.1)."""

import pytest

from theorems.two_homogeneous.lemmaI2 import FastEscape, rates_on_box
from verify.checker import Context, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(FastEscape())


@pytest.mark.parametrize("delta,end,distance", [(0.0999, (1.12935, 0.27503), 0.30393), (0.05, (1.07367, 0.22969), 0.24122),
                                                (0.01, (1.02799, 0.19176), 0.19379), (1e-8, (1.01644, 0.18206), 0.18280)])
def test_the_digest_s_end_points(delta, end, distance):
    checker = FastEscape()
    evidence = checker.claim(delta, Context())
    assert checker.decide(evidence) is Verdict.PASS
    assert evidence.measurements.u_end == pytest.approx(end, abs=1e-5)
    assert evidence.measurements.distance == pytest.approx(distance, abs=1e-5)


def test_the_rate_bounds_on_the_box_are_the_proof_s():
    (r1_lo, r1_hi), (r2_lo, r2_hi) = rates_on_box(0.01)
    assert r1_lo == pytest.approx(0.58 * 0.01, rel=1e-12) and r1_hi == pytest.approx(0.7 * (1 - 0.004), rel=1e-12)
    assert r2_lo == pytest.approx(0.928, rel=1e-12) and r2_hi == pytest.approx(2.4 * (1 - 0.004), rel=1e-12)
