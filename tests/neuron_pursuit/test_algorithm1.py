"""np.algorithm1 and its runs: §D.5 on diagonal nets, the descent entries, the Fig. 6 task."""

import math
import time

import numpy as np
import pytest
from hypothesis import settings
from sklearn.exceptions import ConvergenceWarning

from theorems.neuron_pursuit.algorithm1 import NeuronPursuitAlgorithm
from theorems.neuron_pursuit.diagonal import D5_X, D5_Y
from theorems.neuron_pursuit.fig6_task import Fig6Task, checker_fig6_run
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
    assert math.isinf(blown_up[-1].violation)
    assert checker.decide(Evidence(blown_up)) is not Verdict.PASS  # a blow-up is never a PASS


def test_fig6_with_another_seed_and_permuted_coordinates_in_under_two_minutes():
    task = Fig6Task(seed=1, permuted=True)
    assert task.support != (0, 1, 2)
    run = checker_fig6_run(task, "cpu")  # the fit np.algorithm1 checks (shared with it when it ran first in this process)
    assert run.test_errors[-1] < 5e-2 and run.seconds < 120
    assert run.off_support_fraction() < 1e-2


@pytest.mark.skipif(settings.get_current_profile_name() == "ci", reason="about a minute on 2 cores: dev/thorough profiles only")
def test_fig6_permuted_with_the_estimators_default_gd_settings():
    task = Fig6Task(seed=2, permuted=True)
    t0 = time.perf_counter()
    est = NeuronPursuitRegressor(max_iter=6, random_state=2).fit(*task.train)
    seconds = time.perf_counter() - t0
    Xt, yt = task.test
    assert np.linalg.norm(est.predict(Xt) - yt) / np.linalg.norm(yt) < 5e-2 and seconds < 120
    assert math.isfinite(est.train_error_)
