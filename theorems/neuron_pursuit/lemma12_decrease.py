"""Experiment np.lemma12_decrease: the loss along δŴ at the first NP iteration (np Lemma 12), drawn.

For three networks (ReLU L = 2, squared ReLU L = 3, x³ L = 3) the most dominant KKT point Ŵ of the constrained
NCF — the best certified point of the engine's kkt_points (uniform starts as NP's, polished and certified) — is
found and L(0) − L(δŴ) is measured on a grid of t = δ^p̂ against the proof's
identity 2tζ − t²‖H(X;Ŵ)‖²: positive below the paper's sufficient threshold ζ/‖H‖² and up to the sharp
boundary 2ζ/‖H‖² (derived), negative beyond.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from verify.experiments import Experiment, ExperimentReport, Outcome, register_experiment
from verify.kkt import kkt_points
from verify.nets import DTYPE, Activation, FeedForward
from verify.plots import plt, save_figure
from verify.pursuit import squared_loss
from verify.tables import fmt, markdown_table

NETS = ((2, Activation(0.0, 1)), (3, Activation(0.0, 2)), (3, Activation(1.0, 3)))  # (L, σ)
ASCENT = {"ci": (4, 200), "dev": (16, 600), "paper": (16, 600)}  # restarts, steps (np.lemma12's: 16 × 600)
GRID = {"ci": 50, "dev": 200, "paper": 200}


@dataclass
class DecreaseCurve:
    """One network: ζ, ‖H(X;Ŵ)‖², and on the grid s = t/(ζ/‖H‖²) the measured and predicted L(0) − L(δŴ)."""

    label: str
    degree: int
    kkt_residual: float  # certified KKT residual of Ŵ (NaN: no certified positive point; Ŵ is then the ascent's best)
    zeta: float
    h2: float
    y2: float
    s: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    identity_defect: float  # max |measured − predicted| / ‖y‖²
    min_decrease_below_paper_threshold: float  # min over s <= 1 of (L(0) − L(δŴ)) / ‖y‖²


@dataclass
class DecreaseResult:
    scale: str
    seed: int
    curves: list[DecreaseCurve]
    missing: list[str]  # networks without a certified positive KKT point, with kkt_points' summary


@register_experiment
class Lemma12Decrease(Experiment):
    name = "np.lemma12_decrease"
    title = "np Lemma 12: the decrease of the loss along δŴ at the first NP iteration"
    source = "np Lemma 12 (exponent p̂ per digest part 6 item 3)"
    settings_text = (
        "d = 4, 20 Gaussian samples, labels y ~ N(0, I), hidden widths 3, all drawn from the run's seed (assumptions of ours: "
        "the lemma has no experiment). Ŵ: the best certified KKT point (residual ≤ 1e-10) of max yᵀH s.t. Σ‖W_l‖²_F = 1 "
        "from the engine's kkt_points with uniform starts (`ci` 4 × 200 steps; `dev` and `paper` 16 × 600, as np.lemma12); "
        "a network without a certified positive point is left out and named. Loss L(W) = ‖y − H(X;W)‖² (Algorithm 1's, "
        "no ½); t = δ^p̂ on a log "
        "grid of s = t/(ζ/‖H‖²) from 10⁻³ to 2.5."
    )

    def run(self, scale: str, seed: int, device) -> DecreaseResult:
        rng = np.random.default_rng(seed)
        restarts, steps = ASCENT[scale]
        curves, missing = [], []
        for L, act in NETS:
            net = FeedForward((4,) + (3,) * (L - 1) + (1,), act)
            X, y = torch.as_tensor(rng.standard_normal((20, 4))), torch.as_tensor(rng.standard_normal((20, 1)))
            found = kkt_points(net, X, y, restarts=restarts, steps=steps, seed=int(rng.integers(2**31 - 1)), diversify=False,
                               max_points=1, tol=1e-10)
            W_hat = found.points[0].u if found.points else None
            residual = found.points[0].residual if found.points else math.nan
            if W_hat is None:
                missing.append(f"L={L}, σ={act}: {found.summary()}")
                continue
            H = net(W_hat, X)
            zeta, h2, y2 = float((y * H).sum()), float((H**2).sum()), float((y**2).sum())
            s = torch.logspace(-3, math.log10(2.5), GRID[scale], dtype=DTYPE)
            t = s * zeta / h2
            measured = y2 - squared_loss(net, t[:, None] ** (1 / net.degree) * W_hat, X, y, 1.0)
            predicted = 2 * t * zeta - t**2 * h2
            below = measured[s <= 1]
            curves.append(DecreaseCurve(f"L={L}, σ={act}", net.degree, residual, zeta, h2, y2, s.numpy(), measured.numpy(),
                                        predicted.numpy(),
                                        float((measured - predicted).abs().max()) / y2, float(below.min()) / y2))
        return DecreaseResult(scale, seed, curves, missing)

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: DecreaseResult, figure_dir: Path) -> ExperimentReport:
        figure = Path(figure_dir) / "np.lemma12_decrease.png"
        fig, ax = plt.subplots(figsize=(5.5, 4))
        for c in result.curves:
            ax.plot(c.s, c.measured, lw=2, alpha=0.6, label=f"{c.label}: measured")
            ax.plot(c.s, c.predicted, "k:", lw=1)
        ax.axvline(1, color="grey", ls="--", lw=0.8, label="paper's sufficient threshold ζ/‖H‖²")
        ax.axvline(2, color="red", ls="--", lw=0.8, label="sharp boundary 2ζ/‖H‖² (derived)")
        ax.axhline(0, color="black", lw=0.5)
        ax.set_xscale("log")
        ax.set_xlabel("δ^p̂ / (ζ/‖H(X;Ŵ)‖²)")
        ax.set_ylabel("L(0) − L(δŴ)")
        ax.set_title("np Lemma 12: decrease (dotted: 2δ^p̂ζ − δ^{2p̂}‖H‖²)")
        ax.legend(fontsize=7)
        save_figure(fig, figure, dpi=110)
        table = markdown_table(["network", "p̂", "KKT residual of Ŵ", "ζ", "‖H(X;Ŵ)‖²", "max |measured − identity| / ‖y‖²",
                                "min decrease / ‖y‖² for δ^p̂ <= ζ/‖H‖²"],
                               [[c.label, c.degree, fmt(c.kkt_residual, 2), fmt(c.zeta, 4), fmt(c.h2, 4), fmt(c.identity_defect, 2),
                                 fmt(c.min_decrease_below_paper_threshold, 3)] for c in result.curves])
        if result.missing:
            table += "\n\nLeft out (no certified positive KKT point): " + "; ".join(result.missing) + "."
        worst_identity = max(c.identity_defect for c in result.curves)
        worst_decrease = min(c.min_decrease_below_paper_threshold for c in result.curves)
        outcomes = [
            Outcome("L(δŴ) = ‖y‖² − 2δ^p̂ζ + δ^{2p̂}‖H(X;Ŵ)‖² (the proof's identity; printed with δ^L)", "exact",
                    f"max relative defect {fmt(worst_identity, 2)}", worst_identity < 1e-12, "exact: below 1e-12 (rounding)"),
            Outcome("L(δŴ) < L(0) for δ^p̂ < ζ/‖H(X;Ŵ)‖²", "decrease",
                    f"smallest decrease / ‖y‖² on the grid {fmt(worst_decrease, 3)}", worst_decrease > 0),
        ]
        return ExperimentReport(table, [figure], outcomes,
                                data={"curves": [{"network": c.label, "degree": c.degree, "kkt_residual": c.kkt_residual,
                                                  "zeta": c.zeta, "h2": c.h2,
                                                  "identity_defect": c.identity_defect,
                                                  "min_decrease_below_paper_threshold": c.min_decrease_below_paper_threshold}
                                                 for c in result.curves], "missing": result.missing})
