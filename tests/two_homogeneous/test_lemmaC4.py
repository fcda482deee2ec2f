"""dc2.lemmaC4: PASS under ci with both mutants killed; a sliding ReLU trajectory is undecided after the slide only."""

from theorems.two_homogeneous.lemmaC4 import NonNegativeNCFMonotone

from ..ci_run import passes_ci_with_every_mutant_killed


def test_ci_pass_and_every_mutant_killed():
    result = passes_ci_with_every_mutant_killed(NonNegativeNCFMonotone())
    sliding = [r for r in result.records if "slides along a kink" in r.note]
    assert all(r.verdict != "FAIL" for r in sliding)
