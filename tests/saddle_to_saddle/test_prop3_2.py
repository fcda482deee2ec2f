"""s2s.prop3_2: every θ and every property of the construction is an entry; consecutive depths are an
entry only where their brackets on s* separate (cold-start lower bounds, certified upper bounds)."""

import copy
import math

import pytest
import torch

import theorems.saddle_to_saddle.prop3_2
from theorems.saddle_to_saddle.prop3_2 import (
    EXAMPLE1,
    SHOWS_DEEPER_FASTER,
    SHOWS_SHALLOWER_FASTER,
    UNDECIDED,
    DeepeningInstance,
    DepthMonotonicity,
    SpeedLadder,
)
from theorems.saddle_to_saddle.speed_bounds import SpeedBracket
from verify.checker import Context, Verdict
from verify.profiles import profile
from verify.runner import run_mutants

DECREASING = "s*(L+1) < s*(L)"
CIRCLE6 = SpeedLadder("circle", "alternating", 6, 2, 3, 3, 2)  # s*(2) = 0 (antipodal points carry opposite G), s*(3) > 0.4
GAUSSIAN = SpeedLadder("gaussian", "gaussian", 8, 2, 3, 4, 1)


def _decreasing(checker: DepthMonotonicity) -> DepthMonotonicity:
    return next(m for m in DepthMonotonicity.mutants if m.name == DECREASING).apply(checker)


def _without_anchor() -> DepthMonotonicity:
    checker = copy.copy(DepthMonotonicity())
    checker.example1_anchor = False
    return checker


def test_prop3_2_checks_every_theta_and_the_depth_comparison():
    checker = copy.copy(DepthMonotonicity())
    checker.thetas_per_instance = 2
    evidence = checker.claim(DeepeningInstance((3, 2, 2, 1), 6, 2, 3, 4, (GAUSSIAN, CIRCLE6)), Context())
    labels = [e.label for e in evidence.entries]
    thetas = evidence.measurements.thetas
    assert labels[0] == "depth of θ' = L+k" and len(labels) == len(set(labels))
    # per θ: 6 norm / loss checks, rank W'_l and Z'_l for l = 3..5, Z'_l = Z'^σ_l for l = 3, 4
    assert sum(label.startswith("θ ") for label in labels) == thetas * (6 + 2 * 3 + 2)
    # Gaussian data: s*(2) = s*(3) = s*(4) to the searches, brackets overlap, no entry; the circle design separates
    assert labels[-2:] == [f"s*(3) vs s*(2) on {CIRCLE6}", f"s*(3) vs s*(2) on {EXAMPLE1}"]
    assert all(e.violation >= 0 for e in evidence.entries) and checker.decide(evidence) is Verdict.PASS
    m = evidence.measurements
    assert [p.order for p in m.pairs] == [UNDECIDED, UNDECIDED, SHOWS_DEEPER_FASTER, SHOWS_DEEPER_FASTER]
    assert (m.pairs_compared, m.pairs_certified, m.pairs_separated) == (3, 2, 1)
    gaussian2, circle, fixed = m.pairs[0].shallow, m.pairs[2], m.pairs[3]
    assert gaussian2.upper_source == "pattern enumeration" and gaussian2.lower <= gaussian2.upper + gaussian2.upper_rounding
    assert m.pairs[1].shallow.upper_source == "H6" and circle.shallow.upper < 1e-12 < 0.4 < circle.deep.lower
    assert fixed.deep.lower == 0.5 and math.sqrt(2) - 1 - 1e-12 <= fixed.shallow.upper < math.sqrt(2) - 1 + 1e-12


def test_the_decreasing_mutant_is_refuted_by_the_example1_anchor_alone():
    mutant = _decreasing(DepthMonotonicity())
    evidence = mutant.claim(DeepeningInstance((3, 2, 1), 5, 1, 2, 0), Context())
    failed = [e.label for e in evidence.entries if mutant.decide_entry(e) is Verdict.FAIL]
    assert failed == [f"s*(3) vs s*(2) on {EXAMPLE1}"]


def test_the_decreasing_mutant_is_killed_without_the_example1_anchor():
    instance = DeepeningInstance((3, 2, 1), 5, 1, 2, 0, (CIRCLE6,))
    statement, mutant = _without_anchor(), _decreasing(_without_anchor())
    held, refuted = statement.claim(instance, Context()), mutant.claim(instance, Context())
    assert not any(EXAMPLE1 in e.label for e in refuted.entries)
    assert [e.label for e in refuted.entries if mutant.decide_entry(e) is Verdict.FAIL] == [f"s*(3) vs s*(2) on {CIRCLE6}"]
    depth_entry = next(e for e in held.entries if e.label.startswith("s*(3)"))
    assert depth_entry.violation == 0 and statement.decide(held) is Verdict.PASS


def test_generated_instances_kill_the_decreasing_mutant_without_the_anchor():
    checker = _without_anchor()
    checker.mutants = [m for m in DepthMonotonicity.mutants if m.name == DECREASING]
    (result,) = run_mutants(checker, profile=profile("ci"), seed=0)
    assert result.status == "killed" and "circle/alternating" in result.detail


def test_depth_pairs_enter_only_where_their_brackets_separate():
    checker, mutant = DepthMonotonicity(), _decreasing(DepthMonotonicity())

    def bracket(depth, lower, upper):
        return SpeedBracket(depth, lower, 1e-15, upper, 1e-15, "test")

    # overlapping brackets: a measurement under the statement and under the mutant
    for c in (checker, mutant):
        pair, entry = c.compare_depths("test", bracket(2, 1.0, 1.2), bracket(3, 1.1, 1.3))
        assert pair.order == UNDECIDED and entry is None
    # upper(3) < lower(2): the statement is refuted, its mutant is not
    pair, entry = checker.compare_depths("test", bracket(2, 1.0, 1.2), bracket(3, 0.5, 0.9))
    assert pair.order == SHOWS_SHALLOWER_FASTER and checker.decide_entry(entry) is Verdict.FAIL
    assert entry.violation == pytest.approx(0.1)
    _, entry = mutant.compare_depths("test", bracket(2, 1.0, 1.2), bracket(3, 0.5, 0.9))
    assert mutant.decide_entry(entry) is Verdict.PASS and entry.violation == 0
    # lower(3) > upper(2): the statement is shown, its mutant refuted
    _, entry = checker.compare_depths("test", bracket(2, 0.4, 0.5), bracket(3, 0.6, 2.0))
    assert checker.decide_entry(entry) is Verdict.PASS and entry.violation == 0
    pair, entry = mutant.compare_depths("test", bracket(2, 0.4, 0.5), bracket(3, 0.6, 2.0))
    assert pair.order == SHOWS_DEEPER_FASTER and mutant.decide_entry(entry) is Verdict.FAIL
    # separation within rounding is not separation
    pair, _ = checker.compare_depths("test", bracket(2, 0.4, 0.5), bracket(3, 0.5 + 1e-15, 2.0))
    assert pair.order == UNDECIDED


def test_prop3_2_without_an_escaping_theta_is_undecided(monkeypatch):
    monkeypatch.setattr(theorems.saddle_to_saddle.prop3_2, "random_escaping_parameters",
                        lambda net, *args: torch.zeros(0, net.n_params))
    checker = DepthMonotonicity()
    evidence = checker.claim(DeepeningInstance((3, 2, 1), 4, 1, 2, 0), Context())
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE and "hypothesis not met" in evidence.note
