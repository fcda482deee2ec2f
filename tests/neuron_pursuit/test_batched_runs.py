"""The GPU path of np.fig7–fig9, tested on the CPU: the runs of a grid point batched in one GD program, in float32."""

import numpy as np

from theorems.neuron_pursuit.sample_complexity import PLANS, gd_cell, run_seed


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
