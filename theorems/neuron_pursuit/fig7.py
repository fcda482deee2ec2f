"""Experiment np.fig7: sample complexity of Neuron Pursuit against small-initialisation GD on f₁ and f₂ (np Figure 7).

f₁(x) = σ(σ(2x₁ + x₂) − σ(x₃ − x₄)) and f₂ (three such blocks weighted 1, 5, 10) on the sphere of radius √50 in R^50,
three-layer ReLU nets (digest §4.4). The paper's outcomes: NP fits the training data for every n; its test error
falls with n to ≈ 0; its iteration count rises, peaks just before the test-error transition, then drops; GD needs
more samples than NP on f₁; f₂ needs many more samples than f₁, and there NP and GD need similar sample sizes.
The sweep and its reporting rules: :mod:`theorems.neuron_pursuit.sample_complexity`.
"""

from __future__ import annotations

from pathlib import Path

from theorems.neuron_pursuit.sample_complexity import (
    LEARNED,
    PAPER_ASSUMPTIONS,
    FigureResult,
    SampleComplexityFigure,
    comparison,
    needs_more,
    outcome,
)
from verify.experiments import ExperimentReport, SweepExperiment, register_experiment
from verify.tables import fmt


def np_shape(result: FigureResult, target: str) -> tuple[str, bool | None]:
    """NP's iteration count rises, peaks just before the test-error transition (at or below n*), then drops."""
    curve = result.curve(target).np_curve
    its = [p.iterations_mean for p in curve]
    ours = "iterations by n: " + ", ".join(f"{p.n}: {fmt(p.iterations_mean)}" for p in curve)
    if len(its) < 3:
        return ours, None
    peak = max(range(len(its)), key=lambda i: its[i])
    needed = result.needed(target, "np")
    rises_and_drops = 0 < peak < len(its) - 1 and its[peak] > its[0] and its[peak] > its[-1]
    return ours + f" (peak at n = {curve[peak].n}, NP learns from n = {fmt(needed)})", (
        rises_and_drops and needed is not None and curve[peak].n <= needed)


@register_experiment
class Fig7(SampleComplexityFigure, SweepExperiment):
    name = "np.fig7"
    title = "Sample complexity of Neuron Pursuit vs small-initialisation GD on f₁ and f₂"
    source = "np §5.2.1, Figure 7; §C.1 (digest §4.4)"
    targets = ("f1", "f2")
    settings_text = (
        "Each target's settings are the table of digest §4.4: inputs uniform on the sphere of radius √50 in R^50, three-layer "
        "ReLU nets; GD baseline width 50, initial radius 0.01, learning rates {0.05, 0.01, 0.005} (f₁) / {0.005, 0.002, 0.001} "
        "(f₂), stop at relative training error < 0.001 or 3·10⁶ steps, the rate of lowest test error reported; NP: R = 10, "
        "PGA 0.2 × 2500, first δ 0.25, GD 70,000 steps of {0.005, 0.002} (f₁) / {0.002, 0.001} (f₂) per iteration, at most 31 "
        "iterations, §C.1.1's reporting rule over the two step sizes; every point the mean over 20 runs, 10⁵ test samples. "
        f"{PAPER_ASSUMPTIONS} 'Samples needed' (ours): the smallest n from which the mean test error stays below {LEARNED:g}.")

    def report(self, result: FigureResult, figure_dir: Path) -> ExperimentReport:
        f1 = result.curve("f1").np_curve
        fit_all = all(p.fitted == len(p.runs) for p in f1)
        falls = bool(f1) and f1[-1].test_mean < LEARNED and f1[-1].test_mean < f1[0].test_mean
        gd_more, gd_more_decided = comparison(result, "f1", "gd_more")
        shape, shape_decided = np_shape(result, "f1")
        f2_similar, f2_decided = comparison(result, "f2", "similar")
        a1, a2 = result.needed("f1", "np"), result.needed("f2", "np")
        outcomes = [
            outcome(result, "f₁: NP reaches near-zero training error for every n", "yes (Fig. 7 top)",
                    "runs that fit (< 0.001) by n: " + ", ".join(f"{p.n}: {p.fitted}/{len(p.runs)}" for p in f1), fit_all),
            outcome(result, "f₁: NP's test error falls with n and becomes ≈ 0 for large n", "yes",
                    "mean test error by n: " + ", ".join(f"{p.n}: {fmt(p.test_mean)}" for p in f1), falls,
                    f"≈ 0 read as < {LEARNED:g} at the largest n"),
            outcome(result, "f₁: NP's iteration count rises, peaks just before the transition, then drops", "yes", shape,
                    shape_decided),
            outcome(result, "f₁: GD needs more samples than NP for a small test error", "yes", gd_more, gd_more_decided),
            outcome(result, "f₂ needs many more samples than f₁ (NP)", "yes", f"NP samples needed: f₁ {fmt(a1)}, f₂ {fmt(a2)}",
                    needs_more(a2, a1)),
            outcome(result, "f₂: NP and GD need similar sample sizes", "yes", f2_similar, f2_decided,
                    "similar = both within the grid, within one doubling"),
        ]
        return self.figure_report(result, figure_dir, outcomes)
