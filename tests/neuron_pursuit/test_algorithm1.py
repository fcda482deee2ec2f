"""np.algorithm1 and its runs: §D.5 on diagonal nets, sign flips, the descent entries; the dominant-point choice."""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from sklearn.exceptions import ConvergenceWarning

from theorems.neuron_pursuit.algorithm1 import NeuronPursuitAlgorithm
from theorems.neuron_pursuit.diagonal import D5_X, D5_Y, SIGN_FLIP, first_sign_flip, recovery_problems, recovery_run
from verify.checker import Evidence, Verdict
from verify.pursuit import NeuronPursuitRegressor, diagonal_neuron_pursuit

SMALL_NP = dict(restarts=4, ascent_steps=50, gd_steps=500, gd_step_size=0.05, max_iter=3, random_state=0)


def _teacher_data(n=40, d=3, m=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = np.maximum(X @ rng.standard_normal((d, 2)), 0.5 * (X @ rng.standard_normal((d, 2)))) @ rng.standard_normal((2, m))
    return X, (Y[:, 0] if m == 1 else Y)


def test_diagonal_pursuit_reproduces_d5():
    run = diagonal_neuron_pursuit(D5_X, D5_Y, 2, random_state=0)
    assert run.support == [2, 0] and all(run.gd_converged)
    np.testing.assert_allclose(run.coef_path, [[0, 0, 2.0333333333333 / 1.1477777777778], [1.1875, 0, 1.875]], atol=1e-9)
    np.testing.assert_allclose(np.abs(run.v), np.abs(run.u), rtol=1e-9)  # balanced, as in Lemma 21
    np.testing.assert_allclose(run.ncf_max, [2.0333333333333 / 2, 1.1771539206 / 2], rtol=1e-9)  # |X[:,j]ᵀȳ|/2


def test_a_gd_stage_that_increases_the_loss_fails_the_descent_claim():
    X, y = _teacher_data()
    with pytest.warns(ConvergenceWarning, match="gradient descent increased the loss"):
        too_large = NeuronPursuitRegressor(depth=2, alpha=0.5, **{**SMALL_NP, "gd_step_size": 1.0, "gd_steps": 3}).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="overflowed"):
        overflowing = NeuronPursuitRegressor(depth=2, alpha=0.5, **{**SMALL_NP, "gd_step_size": 4.0, "gd_steps": 60}).fit(X, y)
    checker = NeuronPursuitAlgorithm()
    increased = checker._descent(too_large.history_, "run")
    assert len(increased) == 2 * len(too_large.history_)  # one entry per stage of every iteration
    worst = max(increased, key=lambda e: e.violation)
    assert worst.violation > 0.1 and "gradient descent" in worst.label
    assert checker.decide(Evidence(increased)) is Verdict.FAIL
    assert all(e.violation >= 0 for e in checker._descent(too_large.history_, "run") + NeuronPursuitAlgorithm().mutants[0]
               .apply(checker)._descent(too_large.history_, "run"))
    assert not overflowing.history_[-1]["gd_finite"] and "overflowed" in overflowing.stop_reason_
    blown_up = checker._descent(overflowing.history_, "run")
    assert blown_up[-1].violation == sys.float_info.max and "overflowed" in blown_up[-1].label
    assert checker.decide(Evidence(blown_up)) is Verdict.FAIL  # an overflow is a loss increase, not INCONCLUSIVE


def test_sign_flip_instance_np_differs_from_omp_and_keeps_its_signs():
    run = recovery_run(SIGN_FLIP, "cpu")
    flip = first_sign_flip(run.omp)
    assert flip == 3 and run.converged
    np.testing.assert_allclose(run.np_path[: flip - 1], run.omp[: flip - 1], atol=1e-8)  # equal before the flip
    assert np.linalg.norm(run.np_path[-1] - run.omp[-1]) > 0.1 * np.linalg.norm(run.omp[-1])  # NP ≠ OMP after it
    checker = NeuronPursuitAlgorithm()
    assert checker.decide_entry(checker._signs_kept(run)) is Verdict.PASS
    coefficients, _ = checker._diagonal(run)
    assert len(coefficients) == flip - 1 and checker.decide(Evidence(coefficients)) is Verdict.PASS
    mutant = next(m for m in checker.mutants if "sign flips" in m.name).apply(checker)
    assert mutant.decide(Evidence(mutant._diagonal(run)[0])) is Verdict.FAIL


@hsettings(max_examples=5, deadline=None)
@given(recovery_problems())
def test_recovery_problems_are_not_filtered_by_sign_flips(problem):
    assert problem.s in (1, 2, 3)  # every draw is an instance (no assume): flips are counted by the checker


def test_dominant_point_choice_is_a_parameter():
    X, y = _teacher_data()
    paper = NeuronPursuitRegressor(depth=3, alpha=0.5, **SMALL_NP).fit(X, y)
    by_loss = NeuronPursuitRegressor(depth=3, alpha=0.5, dominant="loss", **SMALL_NP).fit(X, y)
    assert paper.history_[0] == by_loss.history_[0]  # iteration 1 has no layer to choose
    for h in by_loss.history_[1:]:
        assert h["loss_added"] <= h["loss_saddle"]
    with pytest.raises(Exception, match="dominant"):
        NeuronPursuitRegressor(dominant="largest").fit(X, y)
