"""s2s Figures 2 and 6 (§4.1): projected gradient descent on Example 1's data, by width.

The paper trains depth-3 bias-free ReLU nets "of varying width with projected gradient descent to
minimize the loss on the sphere ‖θ‖² = 3" and reports that "wider networks are more likely to
converge to the faster, rank-two escape direction" (Fig. 2 right: the fraction of runs whose
objective exceeds √2 − 1, the best value for rank-one weights); Fig. 6 shows every run at every
width. Widths, run counts, step sizes, iteration counts, initialisation and the tolerance of
"exceeds" are not stated (digest §3.3): ours are labelled as assumptions in ``settings_text``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.saddle_to_saddle.circle import example1_data
from theorems.saddle_to_saddle.escape import numerical_rank, projected_gradient_descent, relu_mlp
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.nets import DTYPE, resolve_device, single_threaded
from verify.plots import plt, save_figure
from verify.tables import fmt, markdown_table

S1 = math.sqrt(2) - 1  # the best rank-one speed (s2s.example1 decides it)
S2 = 0.5  # the rank-two witness's speed (s2s.example1 decides it)


@dataclass(frozen=True)
class Fig2Settings:
    """One scale's protocol: hidden widths n1 = n2 = w, runs per width, PGD schedule η_t = lr·decay^t."""

    widths: tuple[int, ...]
    runs_per_width: int
    steps: int
    lr: float
    decay: float
    record_every: int
    success_margin: float = 1e-3  # success: final speed > √2 − 1 + margin
    rank_rtol: float = 0.1  # numerical rank at successful runs: singular values > rank_rtol·s_1


SCALES = {
    "ci": Fig2Settings((1, 2, 3, 4, 5, 6), 4, 200, 0.2, 0.98, 10),
    "dev": Fig2Settings((1, 2, 3, 4, 5, 6, 8, 16, 32), 32, 1000, 0.2, 0.995, 10),
    "paper": Fig2Settings((1, 2, 3, 4, 5, 6, 8, 16, 32, 64, 128), 200, 1000, 0.2, 0.995, 10),
}


@dataclass
class WidthRuns:
    """Every run at one width: final and best speeds, recorded speeds, singular values of W1 and W2."""

    width: int
    final_speed: np.ndarray  # (runs,)
    best_speed: np.ndarray  # (runs,) best iterate
    trajectory: np.ndarray  # (len(recorded), runs)
    success: np.ndarray  # (runs,) bool
    W1_singular: np.ndarray  # (runs, min(w, 2))
    W2_singular: np.ndarray  # (runs, w)
    successes: int
    success_fraction: float
    wilson: tuple[float, float]  # 95% Wilson interval of the success fraction
    successes_W1_rank2: int  # successful runs whose numerical rank of W1 is 2
    successes_W2_rank1: int  # successful runs whose numerical rank of W2 is 1
    best_final_speed: float


@dataclass
class Fig2Result:
    """All runs, and the statistics the paper's outcomes are compared with (computed here, not in the report)."""

    scale: str
    seed: int
    settings: Fig2Settings
    X: np.ndarray
    G: np.ndarray
    recorded: list[int]
    runs: list[WidthRuns]
    total_successes: int
    total_runs: int
    successes_W1_rank2: int
    successes_W2_rank1: int
    width1_best_speed: float | None  # max over the width-1 runs' best iterates (None without width 1)
    width1_within_s1: bool | None  # that maximum is <= √2 − 1 (up to 1e-12 relative)
    best_speed: float  # max over every run's best iterate
    best_final_speed: float  # max over every run's final iterate
    none_beats_half: bool  # best_speed <= ½ (up to 1e-12 relative)
    increase_significant: bool  # Wilson interval of the widest width above that of the narrowest
    decrease_significant: bool


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion."""
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@register_experiment
class Figure2(Experiment):
    name = "s2s.fig2"
    title = "Figures 2 and 6: wider depth-3 nets find the rank-two escape direction more often"
    source = "s2s §4.1, Figure 2 (and Figure 6: all runs)"
    settings_text = (
        "Example 1's data (x_j = (sin(2πj/8), cos(2πj/8)), G = ((−1)^j)); depth 3, hidden widths n1 = n2 = w; "
        "speed = −L0 = −Tr[GᵀY_θ] on ‖θ‖² = 3. Assumptions of ours (the paper states none of these): initialisation "
        "i.i.d. N(0, 1) projected onto ‖θ‖² = 3; the update θ ← √3(θ − η_t∇L0)/‖θ − η_t∇L0‖ with η_t = lr·decay^t "
        "(the engine's `scheduled_ascent` of −L0, unnormalised gradient, radius √3; autograd's subgradient at kinks); a run "
        "succeeds when its final speed exceeds √2 − 1 by a margin (a decaying step settles the runs onto the kinked optima, "
        "where a constant step chatters below them, digest §3.3). Widths, runs, steps, lr, decay and margin per scale are "
        "in the table below; each width's starts come from its own generator seeded from the run's seed and the width."
    )

    def run(self, scale: str, seed: int, device) -> Fig2Result:
        s = SCALES[check_scale(scale)]
        dev = resolve_device(device)
        X, G = example1_data()
        Xt, Gt = torch.as_tensor(X, device=dev), torch.as_tensor(G, device=dev)
        out: list[WidthRuns] = []
        recorded: list[int] = []
        with single_threaded():
            for w in s.widths:
                net = relu_mlp((2, w, w, 1))
                gen = torch.Generator().manual_seed(seed * 1_000_003 + w)
                init = torch.randn(s.runs_per_width, net.n_params, generator=gen, dtype=DTYPE).to(dev)
                pgd = projected_gradient_descent(net, Xt, Gt, init, steps=s.steps, lr=s.lr, decay=s.decay,
                                                 record_every=s.record_every)
                recorded = pgd.recorded
                success = (pgd.value > S1 + s.success_margin).cpu()
                W1, W2, _ = net.split(pgd.u)
                rank1 = numerical_rank(W1, s.rank_rtol).cpu()[success]
                rank2 = numerical_rank(W2, s.rank_rtol).cpu()[success]
                k = int(success.sum())
                out.append(WidthRuns(
                    w, pgd.value.cpu().numpy(), pgd.best_value.cpu().numpy(), pgd.trajectory.cpu().numpy(),
                    success.numpy(), torch.linalg.svdvals(W1).cpu().numpy(), torch.linalg.svdvals(W2).cpu().numpy(),
                    k, k / s.runs_per_width, wilson(k, s.runs_per_width), int((rank1 == 2).sum()), int((rank2 == 1).sum()),
                    float(pgd.value.max())))
        narrow, wide = out[0], out[-1]
        width1 = next((r for r in out if r.width == 1), None)
        width1_best = float(width1.best_speed.max()) if width1 is not None else None
        best = float(max(r.best_speed.max() for r in out))
        return Fig2Result(
            scale, seed, s, X, G, recorded, out,
            total_successes=sum(r.successes for r in out), total_runs=len(out) * s.runs_per_width,
            successes_W1_rank2=sum(r.successes_W1_rank2 for r in out),
            successes_W2_rank1=sum(r.successes_W2_rank1 for r in out),
            width1_best_speed=width1_best,
            width1_within_s1=None if width1_best is None else width1_best <= S1 * (1 + 1e-12),
            best_speed=best,
            best_final_speed=max(r.best_final_speed for r in out),
            none_beats_half=best <= S2 * (1 + 1e-12),
            increase_significant=wide.wilson[0] > narrow.wilson[1],
            decrease_significant=wide.wilson[1] < narrow.wilson[0],
        )

    # -----------------------------------------------------------------------------------------
    # report: formatting only

    def report(self, result: Fig2Result, figure_dir: Path) -> ExperimentReport:
        s = result.settings
        runs = result.runs
        fractions = ", ".join(f"w={r.width}: {fmt(r.success_fraction)}" for r in runs)
        trend = True if result.increase_significant else False if result.decrease_significant else None
        found = result.total_successes > 0
        outcomes = [
            Outcome("success fraction vs width (Fig. 2 right)",
                    "wider networks are more likely to converge to the rank-two direction", fractions, trend,
                    f"decided by the 95% Wilson intervals of the narrowest (w={runs[0].width}) and widest (w={runs[-1].width}) "
                    "widths: separated upwards = reproduced, downwards = not reproduced, overlapping = undecided"),
            Outcome("projected GD finds a direction faster than √2 − 1 (§4.1)", "'In this case, it does'",
                    f"{result.total_successes} of {result.total_runs} runs; best final speed {fmt(result.best_final_speed, 6)}",
                    True if found else (None if result.scale == "ci" else False),
                    "at scale ci too few runs to expect one" if result.scale == "ci" and not found else ""),
            Outcome("successful runs are rank two (caption; eq. 2 has rank W1 = 2, rank W2 = 1)",
                    "rank-two escape directions",
                    f"{result.successes_W1_rank2} of {result.total_successes} successful runs have rank W1 = 2, "
                    f"{result.successes_W2_rank1} have rank W2 = 1 (singular values > {s.rank_rtol:g}·s_1)",
                    (result.successes_W1_rank2 == result.total_successes) if found else None,
                    "decided on W1; no successful run to inspect" if not found else "decided on W1"),
            Outcome("width-1 (rank-one) runs never exceed √2 − 1 (caption)", "√2 − 1 is the best value for rank-one weights",
                    f"best iterate over the width-1 runs: {fmt(result.width1_best_speed, 10)}",
                    result.width1_within_s1),
            Outcome("no run beats the rank-two speed ½ (footnote 2)", "'there may exist an even faster escape direction "
                    "(though we doubt it)'", f"best iterate over all runs: {fmt(result.best_speed, 10)}",
                    result.none_beats_half),
        ]
        table = markdown_table(
            ["width", "runs", "successes", "success fraction", "95% Wilson interval", "best final speed",
             "successful with rank W1 = 2", "successful with rank W2 = 1"],
            [[r.width, len(r.final_speed), r.successes, fmt(r.success_fraction), f"[{fmt(r.wilson[0])}, {fmt(r.wilson[1])}]",
              fmt(r.best_final_speed, 6), r.successes_W1_rank2, r.successes_W2_rank1] for r in runs], align="rrrrrrrr")
        markdown = "\n".join([
            "## Protocol at this scale",
            "",
            markdown_table(["widths", "runs per width", "steps", "lr", "decay", "success margin", "rank threshold"],
                           [[", ".join(map(str, s.widths)), s.runs_per_width, s.steps, fmt(s.lr), fmt(s.decay, 6),
                             fmt(s.success_margin), fmt(s.rank_rtol)]]),
            "",
            "## Runs by width",
            "",
            table,
            "",
            "Whether the witness of eq. (2) is an escape direction of speed ½ and whether √2 − 1 is the best rank-one speed "
            "are decided by the checker `s2s.example1`; this experiment only reproduces the figure.",
        ])
        figures = [self._figure2(result, Path(figure_dir) / f"{self.name}-figure2.png"),
                   self._figure6(result, Path(figure_dir) / f"{self.name}-figure6.png")]
        data = {"widths": [r.width for r in runs], "success_fraction": [r.success_fraction for r in runs],
                "successes": [r.successes for r in runs], "best_final_speed": [r.best_final_speed for r in runs],
                "best_speed": result.best_speed, "width1_best_speed": result.width1_best_speed}
        return ExperimentReport(markdown, figures, outcomes, data)

    def _figure2(self, result: Fig2Result, path: Path) -> Path:
        X, G = result.X, result.G.ravel()
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        ax = axes[0]
        ax.scatter(X[:, 0], X[:, 1], c=np.where(G > 0, "tab:red", "tab:blue"), s=50)
        ax.set_aspect("equal")
        ax.set_title("data: red G = +1, blue G = −1")
        ax = axes[1]
        for r in result.runs:
            for i in range(r.trajectory.shape[1]):
                ax.plot(result.recorded, r.trajectory[:, i], color="tab:blue" if r.success[i] else "0.6", lw=0.6, alpha=0.7)
        ax.axhline(S1, color="k", ls=":", lw=1, label="√2 − 1")
        ax.axhline(S2, color="tab:red", ls="--", lw=1, label="½")
        ax.set_ylim(-0.05, 0.55)
        ax.set_xlabel("PGD step")
        ax.set_ylabel("speed −L0 on ‖θ‖² = 3")
        ax.set_title("all runs, blue = success")
        ax.legend(fontsize=7)
        ax = axes[2]
        ws = np.array([r.width for r in result.runs])
        ax.fill_between(ws, [r.wilson[0] for r in result.runs], [r.wilson[1] for r in result.runs], color="tab:blue",
                        alpha=0.2, label="95% Wilson interval")
        ax.plot(ws, [r.success_fraction for r in result.runs], marker="o", color="tab:blue", label="success fraction")
        ax.legend(fontsize=7, loc="upper left")
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("hidden width n1 = n2")
        ax.set_ylabel("fraction of runs with speed > √2 − 1")
        ax.set_title(f"success fraction ({result.settings.runs_per_width} runs/width, scale {result.scale})")
        return save_figure(fig, path, dpi=110)

    def _figure6(self, result: Fig2Result, path: Path) -> Path:
        n = len(result.runs)
        cols = min(n, 4)
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False, sharey=True)
        for ax, r in zip(axes.ravel(), result.runs):
            for i in range(r.trajectory.shape[1]):
                ax.plot(result.recorded, r.trajectory[:, i], color="tab:blue" if r.success[i] else "0.6", lw=0.6, alpha=0.7)
            ax.axhline(S1, color="k", ls=":", lw=0.8)
            ax.axhline(S2, color="tab:red", ls="--", lw=0.8)
            ax.set_ylim(-0.05, 0.55)
            ax.set_title(f"width {r.width}: {r.successes}/{len(r.final_speed)} successes", fontsize=9)
        for ax in axes.ravel()[n:]:
            ax.axis("off")
        fig.supxlabel("PGD step")
        fig.supylabel("speed −L0 on ‖θ‖² = 3")
        return save_figure(fig, path, dpi=100)
