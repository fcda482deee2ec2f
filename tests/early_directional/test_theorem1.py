"""edc.theorem1: PASS under ci with every mutant killed; the rate is decided on resolved gaps."""

from theorems.early_directional.theorem1 import EarlyDirectionalConvergence
from verify.profiles import profile
from verify.runner import run_checker


def test_passes_and_kills_its_mutants():
    result = run_checker(EarlyDirectionalConvergence(), profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", (result.notes, [(r.verdict, r.entry, r.note, r.instance) for r in result.records])
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]
    assert all(o.holds for o in result.obligations)
    rates = [r.measurements["rate"] for r in result.records if r.verdict == "PASS"]
    degrees = [r.measurements["degree"] for r in result.records if r.verdict == "PASS"]
    assert all(abs(rate - L) < 0.3 for rate, L in zip(rates, degrees))  # the derived order δ^L (digest C14: 3.00)


def test_case_b_the_vanishing_ncf_flow_leaves_small_weights():
    from hypothesis import find

    from verify.checker import Context, Verdict

    checker = EarlyDirectionalConvergence()
    instance = find(checker.hypotheses(), lambda inst: inst[2] == "b")
    evidence = checker.claim(instance, Context())
    m = evidence.measurements
    assert checker.decide(evidence) is Verdict.PASS and m.case == "b"
    assert all(n <= 2 * m.eps for n in m.norm_s) and abs(m.rate - 3) < 0.05  # ‖w(T̄)‖ ≤ 2δε, gap O(δ³)
