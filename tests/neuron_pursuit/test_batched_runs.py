"""The GPU path of np.fig7–fig9, tested on the CPU: the runs of a grid point batched in one program (GD baseline and
Neuron Pursuit in lock step), in float64 and float32."""

import numpy as np
import pytest

from theorems.neuron_pursuit.sample_complexity import PLANS, gd_cell, np_cell, np_runs_cell
from verify.errors import InputError
from verify.pursuit import NeuronPursuitRegressor, pursue_in_lockstep
from verify.sweep import run_seed


def test_batched_runs_equal_separate_programs_in_float64_and_float32():
    plan = PLANS["ci"]
    seeds = tuple(run_seed(0, "g1", 30, r) for r in range(3))
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-4)):
        batched = gd_cell("g1", 30, seeds, plan, "cpu", dtype)
        separate = [gd_cell("g1", 30, (s,), plan, "cpu", dtype) for s in seeds]
        for key in ("train_error", "test_error"):
            np.testing.assert_allclose(batched[key], [s[key][0] for s in separate], rtol=tol)
        assert batched["steps"] == [s["steps"][0] for s in separate]
    double, single = gd_cell("g1", 30, seeds, plan, "cpu", "float64"), gd_cell("g1", 30, seeds, plan, "cpu", "float32")
    np.testing.assert_allclose(single["train_error"], double["train_error"], rtol=1e-3)


def test_neuron_pursuit_runs_in_lock_step_equal_separate_fits_in_float64_and_float32():
    plan = PLANS["ci"]
    seeds = tuple(run_seed(0, "f1", 40, r) for r in range(3))
    for dtype, tol in (("float64", 1e-9), ("float32", 1e-3)):
        together = np_runs_cell("f1", 40, seeds, 0.005, plan, "cpu", dtype)["runs"]
        apart = [np_cell("f1", 40, s, 0.005, plan, "cpu", dtype) for s in seeds]
        for a, b in zip(together, apart):
            assert (a["iterations"], a["widths"], a["layers"]) == (b["iterations"], b["widths"], b["layers"])
            np.testing.assert_allclose([a["train_error"], a["test_error"]], [b["train_error"], b["test_error"]], rtol=tol)


def test_lock_step_pursuit_refuses_runs_that_cannot_share_a_program():
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = X[:, 0]
    with pytest.raises(InputError, match="must share"):
        pursue_in_lockstep([NeuronPursuitRegressor(depth=2), NeuronPursuitRegressor(depth=3)], [(X, y), (X, y)])
