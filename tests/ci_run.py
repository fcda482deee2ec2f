"""One checker under the ci profile, seed 0: PASS, every obligation holding and every mutant killed."""

from verify.profiles import profile
from verify.runner import run_checker


def passes_ci_with_every_mutant_killed(checker):
    """Run ``checker`` under ci (seed 0), assert PASS, its obligations and every mutant killed; return the result."""
    result = run_checker(checker, profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", result.notes
    assert all(o.holds for o in result.obligations)
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]
    return result
