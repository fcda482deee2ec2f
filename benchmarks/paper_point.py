"""One `paper`-scale point of each Neuron Pursuit experiment, its cost measured in parts and extrapolated.

The reports of np.fig7–fig11 extrapolate the `paper` plan's cost from their own (dev) cells. This benchmark measures
the parts at the paper's sizes instead, on the device present (`--device cuda`: GPU-hours; a CPU: core-hours), in
minutes — the budget of a lent GPU session:

* a full-batch GD step (:func:`verify.pursuit.gradient_descent`, the program every descent of the experiments runs)
  of the paper's batch on the paper's data sizes, timed over chunks of doubling length until one lasts
  ``MIN_SECONDS`` (its cost does not depend on the values, so the data are random of the right shapes): for the GD
  baseline of np.fig7–9 (width 50, 20 runs × 3 learning rates in one program) and for Neuron Pursuit at its first
  iteration's widths (one neuron per layer) and at its last (np.fig7–9: all 30 later neurons in the first layer, the
  costliest; np.fig10: 35 neurons, np.fig11: the paper's (34, 9));
* Neuron Pursuit's neuron selection (restarts × projected gradient ascent): the experiment's own cell at the paper's
  plan cut to its first iteration with one GD step.

A point then costs, with no early stop (an upper bound on the steps): GD baseline 3·10⁶ steps; NP, per step size
(np.fig7–9) or per run (np.fig10: the paper's 35 iterations, np.fig11: 42), iterations × (selection + GD steps per
iteration × a step's cost), bracketed between the first iteration's selection and widths (low) and a selection in
each of the L − 1 layers at the last widths (high). A whole figure of np.fig7–9 is its two targets (timed on the
first) at every n of the grid, a step's cost ∝ n. On a CPU ``CPU_RUNS`` of a point's 20 runs are timed and scaled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from theorems.neuron_pursuit import fig10, fig11
from theorems.neuron_pursuit.sample_complexity import GD_WIDTH, PLANS, np_runs_cell
from theorems.neuron_pursuit.sparse_targets import DIM, TARGETS
from verify.nets import Activation, FeedForward
from verify.pursuit import gradient_descent, torch_dtype
from verify.sweep import run_seed

FIGURE_TARGETS = {"np.fig7": "f1", "np.fig8": "g1", "np.fig9": "h1"}
N_POINT = max(PLANS["paper"].n_grid)  # the paper's largest n: the costliest point of a figure
CPU_RUNS = 2  # of a point's 20 runs, on a CPU
MIN_SECONDS = 2.0  # a timed chunk of GD steps lasts at least this


def seconds_per_step(widths: tuple[int, ...], activation: Activation, rows: int, n: int, device: str, dtype: str) -> float:
    """Seconds per full-batch GD step of ``rows`` nets of ``widths`` (d, …, m), each on its own (n, d) data, as one
    program: chunks of 10, 20, 40 … steps (after a warm-up chunk) until one lasts MIN_SECONDS (every step taken:
    a chunk that stops early is an error, not a fast step)."""
    net, tdtype = FeedForward(widths, activation), torch_dtype(dtype)
    gen = torch.Generator().manual_seed(0)
    # positive inputs and weights: every ReLU active, so the gradient is not 0 and GD does not stop at its first check
    X = torch.rand(rows, n, widths[0], generator=gen, dtype=tdtype).to(device)
    Y = torch.randn(rows, n, widths[-1], generator=gen, dtype=tdtype).to(device)
    u = 1e-2 * net.random_unit(rows, gen, device).abs().to(tdtype)
    scale = 1.0 / (n * widths[-1])

    def chunk(steps: int) -> float:
        t0 = time.perf_counter()
        run = gradient_descent(net, u, X, Y, step_size=1e-3, steps=steps, scale=scale)
        if device == "cuda":
            torch.cuda.synchronize()
        if run.steps < steps:
            raise RuntimeError(f"the timed descent of {widths} stopped after {run.steps} of {steps} steps")
        return time.perf_counter() - t0

    chunk(2)
    steps = 10
    while (seconds := chunk(steps)) < MIN_SECONDS:
        steps *= 2
    return seconds / steps


def seconds_of(call, device: str) -> float:
    t0 = time.perf_counter()
    call()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


@dataclass(frozen=True)
class PointCost:
    """One experiment's point: what was measured, and its hours (GD baseline; NP low and high; the whole figure)."""

    experiment: str
    measured: str
    gd_hours: float | None
    np_hours: tuple[float, float]
    figure_hours: tuple[float, float] | None  # np.fig7–9 only


def sample_complexity_point(experiment: str, device: str, dtype: str) -> PointCost:
    paper, target = PLANS["paper"], TARGETS[FIGURE_TARGETS[experiment]]
    runs = paper.runs if device == "cuda" else CPU_RUNS
    activation, hidden = Activation(target.alpha, 1), target.depth - 1
    gd_step = seconds_per_step((DIM, *(GD_WIDTH,) * hidden, 1), activation, runs * len(target.gd_step_sizes), N_POINT, device, dtype)
    np_step = [seconds_per_step((DIM, *w, 1), activation, runs, N_POINT, device, dtype)
               for w in ((1,) * hidden, (paper.np_max_iter, *(1,) * (hidden - 1)))]
    seeds = tuple(run_seed(0, target.name, N_POINT, r) for r in range(runs))
    first = replace(paper, np_max_iter=1, np_steps_divisor=target.np_gd_steps, n_test=1000)
    selection = [seconds_of(lambda step=step: np_runs_cell(target.name, N_POINT, seeds, step, first, device, dtype), device)
                 for step in target.np_step_sizes]
    scale = paper.runs / runs
    gd_hours = scale * paper.gd_max_steps * gd_step / 3600
    np_hours = tuple(scale * sum(paper.np_max_iter * (layers * sel + target.np_gd_steps * step) for sel in selection) / 3600
                     for layers, step in ((1, np_step[0]), (hidden, np_step[1])))
    figure = tuple(2 * (gd_hours + h) * sum(paper.n_grid) / N_POINT for h in np_hours)
    measured = (f"{target.name}, n = {N_POINT:,}, {runs} of {paper.runs} runs; s/step: GD baseline {gd_step:.3g}, NP "
                f"{np_step[0]:.3g} (first widths) … {np_step[1]:.3g} (last); NP selection of the first iteration "
                + ", ".join(f"{s:.1f}" for s in selection) + " s (per step size)")
    return PointCost(experiment, measured, gd_hours, np_hours, figure)


def single_run_point(experiment: str, device: str, dtype: str) -> PointCost:
    module = {"np.fig10": fig10, "np.fig11": fig11}[experiment]
    paper, iterations = module.PLANS["paper"], module.PAPER_ITERATIONS
    if experiment == "np.fig10":
        inputs, outputs, n, activation = 2 * paper.modulus + 1, paper.modulus, paper.n_train, Activation(1.0, 2)
        widths, layers = ((1,), (iterations,)), 1
    else:
        inputs, outputs, n, activation = fig11.BITS + 1 + fig11.LENGTH, 1, paper.n, Activation(0.0, 1)
        widths, layers = ((1, 1), fig11.PAPER_WIDTHS), 2
    step = [seconds_per_step((inputs, *w, outputs), activation, 1, n, device, dtype) for w in widths]
    cut = replace(paper, max_iter=1, gd_steps=1, **({"halving_every": 1} if experiment == "np.fig11" else {}))
    selection = seconds_of(lambda: module.fit_run(cut, run_seed(experiment, 0, 0), device, dtype), device)
    hours = tuple(iterations * (k * selection + paper.gd_steps * s) / 3600 for k, s in ((1, step[0]), (layers, step[1])))
    measured = (f"one run, n = {n:,}; s/step: NP {step[0]:.3g} (width {widths[0]}) … {step[1]:.3g} ({widths[1]}); selection "
                f"of the first iteration {selection:.1f} s; × the paper's {iterations} iterations of {paper.gd_steps:,} steps")
    return PointCost(experiment, measured, None, hours, None)


def run(device: torch.device, dtype: str = "float32") -> tuple[str, dict]:
    points = [sample_complexity_point(e, device.type, dtype) for e in FIGURE_TARGETS]
    points += [single_run_point(e, device.type, dtype) for e in ("np.fig10", "np.fig11")]
    unit = "GPU-hours" if device.type == "cuda" else "core-hours"

    def hours(pair: tuple[float, float] | None) -> str:
        return "–" if pair is None else f"{pair[0]:,.1f} … {pair[1]:,.1f}"

    lines = ["## One `paper`-scale point per Neuron Pursuit experiment, measured in parts and extrapolated", "",
             f"Device `{device}`, {dtype}. No early stop; NP bracketed between its first iteration's selection and widths "
             "and a selection per layer at its last widths (module docstring). "
             + ("" if device.type == "cuda" else f"On this CPU {CPU_RUNS} of a point's 20 runs are timed and scaled."), "",
             f"| experiment | measured | GD baseline ({unit}) | NP ({unit}) | whole figure ({unit}) |", "|---|---|---:|---:|---:|"]
    lines += [f"| {p.experiment} | {p.measured} | {'–' if p.gd_hours is None else f'{p.gd_hours:,.1f}'} | {hours(p.np_hours)} | "
              f"{hours(p.figure_hours)} |" for p in points]
    data = {p.experiment: {"gd_hours": p.gd_hours, "np_hours": list(p.np_hours),
                           "figure_hours": None if p.figure_hours is None else list(p.figure_hours), "unit": unit} for p in points}
    return "\n".join(lines), {"paper_point": data}
