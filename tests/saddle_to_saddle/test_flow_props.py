"""s2s.propA_1 and s2s.prop2_2 (issue 14): PASS under ci with every mutant killed; the printed Prop. 2.2 fails."""

import math

import pytest

from theorems.saddle_to_saddle.prop2_2 import Chain, EscapeExplosion, escape_time, predicted_norm
from theorems.saddle_to_saddle.propA_1 import NormDirectionDecomposition
from verify.checker import Context, Verdict
from verify.nets import Activation, FeedForward
from verify.profiles import profile
from verify.runner import run_checker
from verify.strategies import Dataset, NCFProblem


@pytest.mark.parametrize("checker", [NormDirectionDecomposition(), EscapeExplosion()], ids=lambda c: c.id)
def test_ci_pass_and_every_mutant_killed(checker):
    result = run_checker(checker, profile=profile("ci"), seed=0)
    assert result.verdict == "PASS", result.notes
    assert all(m.killed for m in result.mutants), [(m.name, m.status, m.detail) for m in result.mutants]
    if checker.id == "s2s.prop2_2":
        printed = next(m for m in result.mutants if m.name.startswith("as printed"))
        assert printed.status == "killed"
        section, _ = checker.report_section(result, None)
        assert "printed a = L·s" in section and "corrected" in section


def test_printed_prop2_2_fails_on_the_digest_chain():
    # §7.4: scalar chain, s = 1 in Def. 2.1 units; the corrected statement holds, the printed one fails
    checker = EscapeExplosion()
    printed = next(m for m in checker.mutants if m.name.startswith("as printed")).apply(checker)
    for depth in (2, 3, 4):
        instance = (Chain(depth, 1.0), 0, 1.0)
        assert checker.decide(checker.claim(instance, Context())) is Verdict.PASS
        assert printed.decide(printed.claim(instance, Context())) is Verdict.FAIL


def test_closed_forms():
    # L = 2: exp growth; L = 3: t1 from the corrected form inverts R(t)
    assert math.isclose(predicted_norm(2, 0.5, 1.0, 2.0), math.e)
    a, R0 = 0.7, 0.8
    t = escape_time(3, a, R0, 1.3, -1.0)
    assert math.isclose(predicted_norm(3, a, R0, t), 1.3, rel_tol=1e-14)
    assert predicted_norm(3, a, R0, 10.0) == math.inf


def test_propA_1_vanishing_ncf_is_undecided():
    # a linear net with z orthogonal to X's columns: N ≡ 0, the flow does not move, nothing to decide
    net = FeedForward((3, 2, 2, 1), Activation(1.0, 1))
    problem = NCFProblem(net, Dataset("gaussian", 6, 3, 1), 2, "orthogonal")
    checker = NormDirectionDecomposition()
    assert checker.decide(checker.claim((problem, 0, 1.0), Context())) is Verdict.INCONCLUSIVE
