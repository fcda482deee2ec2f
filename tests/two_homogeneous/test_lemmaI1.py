"""dc2.lemmaI1: PASS under ci with its mutants killed; the digest's reference values of ‖∇g(u_δ)‖."""

import pytest

from theorems.two_homogeneous.lemmaI1 import NonSmoothSaddle
from verify.checker import Context, Verdict

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    passes_ci_with_every_mutant_killed(NonSmoothSaddle())


@pytest.mark.parametrize("delta,norm", [(1e-6, 1.999999999997), (0.05, 1.992005), (0.0999, 1.966146)])
def test_the_digest_s_gradient_norms(delta, norm):
    checker = NonSmoothSaddle()
    evidence = checker.claim(delta, Context())
    assert checker.decide(evidence) is Verdict.PASS
    assert evidence.measurements.gradient_norm == pytest.approx(norm, abs=2e-6)
