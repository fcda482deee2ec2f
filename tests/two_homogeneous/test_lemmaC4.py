"""dc2.lemmaC4: PASS under ci with both mutants killed; a sliding ReLU trajectory is undecided after the slide only."""

from theorems.two_homogeneous.lemmaC4 import NonNegativeNCFMonotone
from verify.profiles import profile
from verify.runner import run_checker


def test_ci_pass_and_every_mutant_killed():
    result = run_checker(NonNegativeNCFMonotone(), profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", result.notes
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]
    sliding = [r for r in result.records if "slides along a kink" in r.note]
    assert all(r.verdict != "FAIL" for r in sliding)
