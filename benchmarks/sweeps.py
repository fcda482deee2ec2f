"""Neuron Pursuit at scale: the sweep runner's workers, batched runs, and NP against small-initialisation GD on f₁.

1. The same grid of cells (np.fig7's NP fits on f₁ at the reduced budget below) run serially and on a LocalCluster of
   2 worker processes (one thread each), each into its own sweep file: wall time of each (cluster start included) and
   their ratio. On this 2-core machine the ideal is 2×.
2. The GD baseline of 4 runs of one grid point (their own data and initial points, three learning rates each) as one
   batched tensor program (np.fig7's GPU path) against 4 programs one after another (the CPU path's cells): ratio.
3. NP at np.fig7's dev settings on one f₁ task (n = 400) against the time the small-initialisation GD baseline (dev's
   radius, learning rate 0.05) needs to reach NP's relative test error, in chunks of 1,000 steps, capped.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from benchmarks.neuron_pursuit import CAP_FACTOR, CAP_MAX_S, CAP_MIN_S, baseline_times, ratio_text
from theorems.neuron_pursuit.sample_complexity import PLANS, cells_of, gd_cell, np_cell, run_cell, task
from theorems.neuron_pursuit.sparse_targets import TARGETS
from verify.sweep import Cluster, run_seed, run_sweep

# 16 NP cells of about 3 s each (a cluster's start is a few seconds)
GRID = replace(PLANS["dev"], n_grid=(200, 400), runs=4, np_max_iter=6, np_steps_divisor=35, n_test=1000, gd_max_steps=1)
N_TASK = 400


def _sweep_seconds(cluster: Cluster) -> float:
    cells = {k: v for k, v in cells_of(("f1",), GRID, 0, "cpu", "float64", False).items() if k.startswith("np/")}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        done = run_sweep(run_cell, cells, Path(tmp) / "sweep.jsonl", cluster)
        seconds = time.perf_counter() - t0
    if not all(r["ok"] for r in done.values()):
        raise RuntimeError("a benchmark cell failed")
    return seconds


def run(device: torch.device) -> tuple[str, dict]:
    serial, workers = _sweep_seconds(Cluster(0)), _sweep_seconds(Cluster(2))
    cells = sum(1 for k in cells_of(("f1",), GRID, 0, "cpu", "float64", False) if k.startswith("np/"))

    plan = replace(PLANS["dev"], gd_max_steps=2000)
    seeds = tuple(run_seed(0, "f1", N_TASK, r) for r in range(4))
    t0 = time.perf_counter()
    gd_cell("f1", N_TASK, seeds, plan, device.type, "float64")
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in seeds:
        gd_cell("f1", N_TASK, (s,), plan, device.type, "float64")
    one_by_one = time.perf_counter() - t0

    dev = PLANS["dev"]
    target, seed = TARGETS["f1"], run_seed(0, "f1", N_TASK, 0)
    t0 = time.perf_counter()
    fit = np_cell("f1", N_TASK, seed, target.np_step_sizes[0], dev, device.type, "float64")
    np_seconds = time.perf_counter() - t0
    X, y, Xt, yt = task(target, N_TASK, dev.n_test, seed)
    cap = min(max(CAP_FACTOR * np_seconds, CAP_MIN_S), CAP_MAX_S)
    reached, spent, gd_steps, gd_best = baseline_times((X, y), (Xt, yt), (fit["test_error"],), cap, device,
                                                       init_radius=target.gd_init_radius * dev.gd_radius_factor, step_size=0.05)
    md = "\n".join([
        "## Neuron Pursuit at scale: sweep workers, batched runs, NP vs GD on f₁",
        "",
        f"Sweep runner, the same {cells} NP cells of np.fig7 (f₁, n ∈ {list(GRID.n_grid)}, {GRID.runs} runs, 2 step sizes, "
        f"{GRID.np_max_iter} iterations of {int(target.np_gd_steps / GRID.np_steps_divisor)} GD steps): serially {serial:.1f} s, "
        f"2 local Dask workers {workers:.1f} s (cluster start included): **{serial / workers:.2f}×**.",
        "",
        f"GD baseline of 4 runs of f₁ at n = {N_TASK} (3 learning rates each, {plan.gd_max_steps} steps): one batched program "
        f"{batched:.1f} s, 4 programs in turn {one_by_one:.1f} s: **{one_by_one / batched:.2f}×**.",
        "",
        f"NP at np.fig7's dev settings on one f₁ task (n = {N_TASK}, step {target.np_step_sizes[0] * dev.np_step_factor:g}): "
        f"{np_seconds:.1f} s, {fit['iterations']} iterations, widths {tuple(fit['widths'])}, relative test error "
        f"{fit['test_error']:.3g}. Small-init GD (width 50, radius {target.gd_init_radius * dev.gd_radius_factor:g}, rate 0.05; "
        f"{gd_steps} steps in {spent:.1f} s, best test error {gd_best:.3g}) to NP's test error: "
        f"{ratio_text(reached[fit['test_error']], spent, np_seconds)}.",
    ])
    data = {"sweep_serial_s": serial, "sweep_2_workers_s": workers, "sweep_ratio": serial / workers, "sweep_cells": cells,
            "gd_batched_4_runs_s": batched, "gd_4_programs_s": one_by_one, "gd_batch_ratio": one_by_one / batched,
            "np_f1_fit_s": np_seconds, "np_f1_test_error": fit["test_error"], "gd_f1_time_to_np_error_s": reached[fit["test_error"]],
            "gd_f1_time_spent_s": spent, "gd_f1_best_test_error": gd_best}
    return md, {"sweeps": data}
