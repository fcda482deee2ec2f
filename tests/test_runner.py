"""The runner's decisions on toy checkers whose truth is known."""

import math

import torch
from hypothesis import strategies as st

from verify.checker import Checker, Evidence, Mutant, Verdict, worst_case
from verify.runner import run_checker, run_mutants
from verify.strategies import profile_settings


class Toy(Checker):
    id = "toy.claim"
    title = "x² >= 0 (and a wrong variant)"
    source = "toy"
    statement = "lower <= x² <= upper for every x in [-10, 10]"
    lower, upper = 0.0, math.inf
    floor = 0.0
    converged = True
    mutants = [Mutant("x² >= 1", lower=1.0), Mutant("x² <= 1", upper=1.0)]

    def hypotheses(self):
        return st.floats(-10, 10)

    def claim(self, x, ctx):
        return Evidence(max(0.0, self.lower - x * x, x * x - self.upper), self.floor, self.converged, instance=f"x={x}")


def _run(checker, tmp_path):
    return run_checker(checker, profile=profile_settings("ci"), profile_name="ci", database=str(tmp_path / "db"))


def test_true_statement_passes_and_false_mutant_is_killed_with_shrunk_counterexample(tmp_path):
    result = _run(Toy(), tmp_path)
    assert result.verdict == Verdict.PASS
    assert len(result.records) == profile_settings("ci").max_examples
    assert [m.killed for m in result.mutants] == [True, True]


def test_false_statement_fails_and_hypothesis_shrinks_it(tmp_path):
    wrong = Toy.mutants[1].apply(Toy())
    result = _run(wrong, tmp_path)
    assert result.verdict == Verdict.FAIL
    assert result.counterexample in ("x=2.0", "x=-2.0")  # Hypothesis' minimal example for x² > 1
    assert any((tmp_path / "db").rglob("*")), "the failure is saved in the example database"


def test_non_convergence_is_inconclusive_never_pass(tmp_path):
    toy = Toy()
    toy.converged = False
    assert _run(toy, tmp_path).verdict == Verdict.INCONCLUSIVE


def test_large_error_floor_cannot_pass_but_large_violation_still_fails():
    toy = Toy()
    assert toy.decide(Evidence(0.0, error_floor=1.0)) == Verdict.INCONCLUSIVE
    assert toy.decide(Evidence(1e3, error_floor=1.0)) == Verdict.FAIL
    assert toy.decide(Evidence(math.nan, 0.0)) == Verdict.INCONCLUSIVE
    assert toy.decide(Evidence(math.inf, 0.0)) == Verdict.INCONCLUSIVE
    # a violation that scales with the floor is the statement holding at an approximate point
    assert toy.decide(Evidence(5e-8, error_floor=1e-8)) == Verdict.PASS


def test_worst_case_is_relative_to_each_entry_bound():
    toy = Toy()
    v, f = worst_case(torch.tensor([1e-3, 1e-8], dtype=torch.float64), torch.tensor([1e-3, 0.0], dtype=torch.float64), toy)
    assert (v, f) == (1e-8, 0.0)


def test_mutant_that_survives_is_reported(tmp_path):
    toy = Toy()
    toy.mutants = [Mutant("still true", lower=-1.0)]
    (m,) = run_mutants(toy, profile=profile_settings("ci"), database=None)
    assert not m.killed and "survived" in m.detail
