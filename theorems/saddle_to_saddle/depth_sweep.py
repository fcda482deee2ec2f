"""s2s Prop. 3.2 and the §5 plateau conjecture on Example 1's data: estimates of s*(L) against depth.

Prop. 3.2 makes the optimal escape speed s*(L) non-decreasing in L >= 2; §5 conjectures that the
optimal escape direction is exactly rank one in all but finitely many early layers, which the paper
shows equivalent to s*(L) being constant from some depth L0 on. On Example 1's data s*(2) = √2 − 1
(one neuron is optimal for depth 2) and s*(3) >= ½ (the rank-two witness); the paper doubts that
depth 3 can beat ½ (footnote 2). This experiment estimates s*(L) for consecutive depths by batched
projected gradient descent with restarts, refined by the engine's monotone ascent, each depth
warm-started from the previous depth's best direction lifted by the construction of Prop. 3.2
(digest §3.4 C and §6 item 2). The construction itself is decided by the checker s2s.prop3_2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theorems.saddle_to_saddle.circle import example1_data
from theorems.saddle_to_saddle.escape import depth_sweep
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.nets import EPS, resolve_device, single_threaded
from verify.plots import plt, save_figure
from verify.tables import fmt, markdown_table

S1, S2 = float(np.sqrt(2) - 1), 0.5
NEAR = 1e-3  # an estimate within this of ½ counts as the search having reached ½


@dataclass(frozen=True)
class SweepSettings:
    depths: tuple[int, ...]
    width: int
    restarts: int
    steps: int
    refine_steps: int
    sweeps: int  # independent sweeps, seeded from the run's seed


SCALES = {
    "ci": SweepSettings((2, 3, 4), 4, 2, 40, 20, 1),
    "dev": SweepSettings((2, 3, 4, 5, 6), 8, 16, 1000, 100, 2),
    "paper": SweepSettings((2, 3, 4, 5, 6, 7, 8), 16, 32, 2000, 300, 5),
}


@dataclass
class DepthSweepResult:
    scale: str
    seed: int
    settings: SweepSettings
    sweep_seeds: list[int]
    speeds: np.ndarray  # (sweeps, depths): the estimates of s*(L)
    lifted_speed: np.ndarray  # (sweeps, depths): speed of each warm start (nan at the first depth)
    lifted_norm_sq: np.ndarray  # (sweeps, depths): ‖θ'‖² of each warm start before rescaling
    drift: float  # relative slack of "non-decreasing": the refinement's acceptance slack plus rounding
    nondecreasing: bool  # every sweep's estimates non-decreasing within the drift
    depth3_estimate: float | None  # best estimate at L = 3 over the sweeps (None without L = 3)
    deep_min: float | None  # min / max over sweeps and depths L >= 3
    deep_max: float | None
    reaches_half: bool | None  # every estimate at L >= 3 within NEAR of ½ or above
    above_half_at_3: bool | None  # some estimate at L = 3 above ½ beyond rounding
    plateau: bool | None  # estimates at L >= 3 reached ½ (NEAR) and agree within NEAR


@register_experiment
class DepthSweep(Experiment):
    name = "s2s.depth_sweep"
    title = "Optimal escape speed against depth on Example 1's data (Prop. 3.2, §5 conjecture)"
    source = "s2s Proposition 3.2 and §5 (conjecture: rank one after finitely many layers ⇔ s*(L) plateaus)"
    settings_text = (
        "Example 1's data; hidden widths all equal to `width`; estimates of s*(L) = −min_{‖θ‖²=L} L0 for consecutive depths. "
        "Our protocol (not the paper's: it runs no such experiment): `restarts` Gaussian starts plus, from the second depth "
        "on, the previous depth's best direction lifted by Prop. 3.2's construction (k = 1); `steps` of projected gradient "
        "descent (η_t = 0.2·0.995^t, best iterate kept), then `refine_steps` of the engine's monotone ascent, which never "
        "ends below its start. Estimates are lower bounds on s*(L)."
    )

    def run(self, scale: str, seed: int, device) -> DepthSweepResult:
        s = SCALES[check_scale(scale)]
        dev = resolve_device(device)
        X, G = example1_data()
        sweep_seeds = [seed * 1_000 + i for i in range(s.sweeps)]
        with single_threaded():
            sweeps = [depth_sweep(X, G, depths=s.depths, width=s.width, restarts=s.restarts, steps=s.steps,
                                  refine_steps=s.refine_steps, seed=sw, device=dev) for sw in sweep_seeds]
        speeds = np.array([sw.speeds for sw in sweeps])
        drift = (4 * s.refine_steps + 64) * EPS
        nondecreasing = bool(np.all(np.diff(speeds, axis=1) >= -drift * np.abs(speeds[:, :-1])))
        deep = speeds[:, [i for i, L in enumerate(s.depths) if L >= 3]]
        at3 = speeds[:, s.depths.index(3)] if 3 in s.depths else None
        return DepthSweepResult(
            scale, seed, s, sweep_seeds, speeds,
            np.array([sw.lifted_speed for sw in sweeps]), np.array([sw.lifted_norm_sq for sw in sweeps]), drift, nondecreasing,
            float(at3.max()) if at3 is not None else None,
            float(deep.min()) if deep.size else None, float(deep.max()) if deep.size else None,
            bool(deep.min() >= S2 - NEAR) if deep.size else None,
            bool(at3.max() > S2 * (1 + 1e-12)) if at3 is not None else None,
            bool(deep.min() >= S2 - NEAR and deep.max() - deep.min() <= NEAR) if deep.size else None,
        )

    def report(self, result: DepthSweepResult, figure_dir: Path) -> ExperimentReport:
        s = result.settings
        deep_range = f"[{fmt(result.deep_min, 8)}, {fmt(result.deep_max, 8)}]"
        outcomes = [
            Outcome("s*(L) non-decreasing in L >= 2 (Prop. 3.2)", "non-decreasing",
                    f"every sweep non-decreasing within {fmt(result.drift)} (relative): {fmt(result.nondecreasing)}",
                    None, "not decided here: warm starts lift the previous depth's best direction and the ascent never ends "
                    "below its start, so monotonicity holds by construction (s2s.prop3_2 decides it from cold starts and "
                    "certified bounds)"),
            Outcome("s*(L) >= ½ for L >= 3 (Example 1 with Prop. 3.2)", "½ is attained at depth 3 and lifted to every depth",
                    f"estimates at L >= 3 in {deep_range}", True if result.reaches_half else None,
                    f"reproduced when every estimate is within {NEAR:g} of ½ or above; a search that stops short refutes "
                    "nothing (the witness is checked by s2s.example1)"),
            Outcome("nothing faster than ½ at depth 3 (footnote 2)", "'we doubt it'",
                    f"best estimate at L = 3: {fmt(result.depth3_estimate, 10)}",
                    None if result.above_half_at_3 is None else not result.above_half_at_3),
            Outcome("s*(L) constant from some depth on (§5 conjecture, equivalent form)", "conjectured",
                    f"estimates at L >= 3 in {deep_range}", True if result.plateau else None,
                    f"consistent when they all reach ½ (s*(3) >= ½ is known) and agree within {NEAR:g}; lower bounds "
                    "cannot prove a plateau"),
        ]
        table = markdown_table(["sweep seed", *(f"L = {L}" for L in s.depths)],
                               [[sd, *(fmt(float(v), 8) for v in row)] for sd, row in zip(result.sweep_seeds, result.speeds)])
        lifted = markdown_table(["sweep seed", *(f"L = {L}" for L in s.depths[1:])],
                                [[sd, *(f"{fmt(float(v), 8)} (‖θ'‖² {fmt(float(n), 8)})" for v, n in zip(row[1:], norms[1:]))]
                                 for sd, row, norms in zip(result.sweep_seeds, result.lifted_speed, result.lifted_norm_sq)])
        markdown = "\n".join([
            "## Protocol at this scale",
            "",
            markdown_table(["depths", "width", "restarts", "PGD steps", "refinement steps", "sweeps"],
                           [[", ".join(map(str, s.depths)), s.width, s.restarts, s.steps, s.refine_steps, s.sweeps]]),
            "",
            "## Estimated s*(L)",
            "",
            table,
            "",
            "## Warm starts: speed of the previous depth's best direction lifted by Prop. 3.2 (k = 1)",
            "",
            lifted,
        ])
        path = Path(figure_dir) / f"{self.name}.png"
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
        for row in result.speeds:
            ax.plot(s.depths, row, marker="o", color="tab:blue", alpha=0.6, lw=1)
        ax.axhline(S1, color="k", ls=":", lw=1, label="√2 − 1: best one-neuron speed = s*(2)")
        ax.axhline(S2, color="tab:red", ls="--", lw=1, label="½: Example 1's witness (s*(L) >= ½, L >= 3)")
        ax.set_xlabel("depth L")
        ax.set_ylabel("estimated s*(L)")
        ax.set_xticks(list(s.depths))
        ax.set_title(f"Example 1 data: warm-started s*(L), {len(result.speeds)} sweeps (scale {result.scale})")
        ax.legend(fontsize=7, loc="lower right")
        save_figure(fig, path, dpi=110)
        return ExperimentReport(markdown, [path], outcomes,
                                {"depths": list(s.depths), "speeds": result.speeds.tolist(), "nondecreasing": result.nondecreasing})
