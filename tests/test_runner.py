"""The runner's decisions on toy checkers whose truth is known."""

import math

import pytest
from hypothesis import strategies as st

from verify.checker import Checker, CheckerDefect, Entry, Evidence, Mutant, Verdict, entries, register
from verify.errors import InputError
from verify.profiles import profile
from verify.runner import _steer_value, run_checker, run_mutants

CI = profile("ci")


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
        return Evidence.single(max(0.0, self.lower - x * x, x * x - self.upper), self.floor, self.converged, instance=f"x={x}")


def _run(checker, tmp_path=None, **kw):
    return run_checker(checker, profile=CI, database=(tmp_path / "db") if tmp_path else None, **kw)


# ---- deciding entries -------------------------------------------------------------------------

def _decide(*es):
    return Toy().decide(Evidence(list(es)))


def test_any_failing_entry_fails_the_instance_whatever_the_others_say():
    assert _decide(Entry(0.5, 0.0), Entry(math.nan, 0.0)) is Verdict.FAIL
    assert _decide(Entry(math.nan, math.nan, False), Entry(0.5, 0.0)) is Verdict.FAIL
    assert _decide(Entry(1.0, 0.0, converged=False)) is Verdict.FAIL
    assert _decide(Entry(0.0, 1e-3), Entry(1.0, 1e-12)) is Verdict.FAIL  # an undecidable entry does not hide a failure


def test_an_undecided_entry_makes_a_passing_instance_inconclusive():
    assert _decide(Entry(0.0, 0.0), Entry(0.0, error_floor=1.0)) is Verdict.INCONCLUSIVE  # floor too large to decide
    assert _decide(Entry(0.0, 0.0), Entry(math.inf, 0.0)) is Verdict.INCONCLUSIVE
    assert _decide(Entry(0.0, 0.0), Entry(0.0, 0.0, converged=False)) is Verdict.INCONCLUSIVE
    assert _decide() is Verdict.INCONCLUSIVE  # nothing was checked
    assert _decide(Entry(0.0, 0.0), Entry(5e-8, 1e-8)) is Verdict.PASS  # a violation within its own floor's bound


def test_a_negative_violation_is_a_checker_defect():
    with pytest.raises(CheckerDefect, match="negative violation"):
        _decide(Entry(-1e-3, 0.0, label="neuron 2"))


def test_entries_from_arrays_keep_every_element_and_label_it():
    es = entries([1.0, 2.0, 3.0], 0.5, label="restart")
    assert [e.label for e in es] == ["restart 0", "restart 1", "restart 2"] and all(e.error_floor == 0.5 for e in es)
    with pytest.raises(CheckerDefect):
        entries([1.0, 2.0], [0.1, 0.2, 0.3])


def test_target_is_fed_only_above_the_noise_floor():
    toy = Toy()
    assert _steer_value(toy, Evidence([Entry(1e-16, 0.0), Entry(1e-10, 1e-9)])) is None
    assert _steer_value(toy, Evidence([Entry(1e-16, 0.0), Entry(1e-6, 1e-9)])) == pytest.approx(1e-6 / toy.bound(1e-9))


# ---- whole runs -------------------------------------------------------------------------------

def test_true_statement_passes_and_false_mutants_are_killed():
    result = _run(Toy())
    assert result.verdict == Verdict.PASS
    assert len(result.records) == CI.max_examples and len({r.instance for r in result.records}) == CI.max_examples
    assert [m.status for m in result.mutants] == ["killed", "killed"]


def test_false_statement_fails_and_hypothesis_shrinks_it(tmp_path):
    result = _run(Toy.mutants[1].apply(Toy()), tmp_path)
    assert result.verdict == Verdict.FAIL
    assert result.counterexample.instance in ("x=2.0", "x=-2.0")  # Hypothesis' minimal example for x² > 1
    assert result.counterexample_instance in (2.0, -2.0)
    assert any((tmp_path / "db").rglob("*")), "the failure is saved in the example database"
    # instances evaluated while shrinking are counted apart, not mixed into the generated set
    assert result.shrink_evaluations > 0 and len(result.records) <= CI.max_examples


def test_non_convergence_is_inconclusive_never_pass():
    toy = Toy()
    toy.converged = False
    assert _run(toy).verdict == Verdict.INCONCLUSIVE


def test_duplicates_are_rejected_and_too_few_distinct_instances_are_inconclusive():
    class FewValues(Toy):
        def hypotheses(self):
            return st.sampled_from([1.0, 2.0, 3.0])

    result = _run(FewValues(), with_mutants=False)
    assert sorted(r.instance for r in result.records) == ["x=1.0", "x=2.0", "x=3.0"]
    assert result.verdict == Verdict.INCONCLUSIVE and any("needs 4" in n for n in result.notes)


def test_saved_examples_never_change_the_generated_set_and_are_replayed_only_when_asked(tmp_path):
    wrong = Toy.mutants[1].apply(Toy())
    first = _run(wrong, tmp_path, seed=0, with_mutants=False)
    _run(wrong, tmp_path, seed=1, with_mutants=False)  # saves seed 1's examples in the same database
    again = _run(wrong, tmp_path, seed=0, with_mutants=False)
    assert [r.instance for r in again.records] == [r.instance for r in first.records]
    assert again.replayed == []
    replayed = _run(wrong, tmp_path, seed=0, with_mutants=False, replay=True)
    assert [r.instance for r in replayed.replayed] == [first.counterexample.instance]  # seed 0's own example only
    assert [r.instance for r in replayed.records] == [r.instance for r in first.records]


def test_a_crashing_claim_is_recorded_with_its_instance_and_not_shrunk():
    class Raises(Toy):
        def claim(self, x, ctx):
            if abs(x) > 1e-3:
                raise ZeroDivisionError("boom")
            return super().claim(x, ctx)

    result = _run(Raises())
    assert result.verdict == Verdict.CRASHED
    assert "ZeroDivisionError: boom" in result.crash.error and "ZeroDivisionError" in result.crash.traceback
    assert abs(float(result.crash.instance)) > 1e-3


def test_mutant_that_survives_is_reported_and_one_that_cannot_be_decided_is_not_a_survivor():
    toy = Toy()
    toy.mutants = [Mutant("still true", lower=-1.0)]
    (m,) = run_mutants(toy, profile=CI)
    assert m.status == "survived" and not m.killed
    undecided = Toy()
    undecided.converged = False
    undecided.mutants = [Mutant("still true", lower=-1.0)]
    (m,) = run_mutants(undecided, profile=CI)
    assert m.status == "undecided" and not m.killed


def test_registration_refuses_a_checker_without_mutants_or_with_a_taken_id():
    class NoMutants(Toy):
        id = "toy.no_mutants"
        mutants = []

    with pytest.raises(InputError, match="declares no mutant"):
        register(NoMutants)

    class Clash(Toy):
        id = "np.lemma3"

    from verify.catalogue import catalogue

    catalogue()
    with pytest.raises(InputError, match="already registered by theorems"):
        register(Clash)
