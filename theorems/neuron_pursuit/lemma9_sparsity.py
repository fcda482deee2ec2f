"""Experiment np.lemma9_sparsity: the w_z weights at a KKT point of the H1-NCF (np Lemma 9; cf. Figures 1–2, panels e–f).

np Theorem 7: near a sparse saddle, w_z converges in direction to a KKT point of max_{‖w_z‖=1} zᵀH1(X; w_n, w_z).
np Lemma 9: at a positive KKT point C̄_l = 0 and every z-neuron is balanced, p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖², so a
z-neuron's incoming row vanishes iff its outgoing column does — the sparsity pattern of Figures 1(f) and 2(f).
This experiment computes such a KKT point (the checker np.lemma9's ascent and certification) on np §3.4's set-up
(smaller at scales ci and dev) for σ = x² and ReLU and draws |W_l| at a random start and at the point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.neuron_pursuit.lemma9 import SaddleKKTBalance
from theorems.neuron_pursuit.sparse_saddle import SaddleProblem
from verify.experiments import Experiment, ExperimentReport, Outcome, register_experiment
from verify.nets import DTYPE, Activation, FeedForward
from verify.plots import plt, save_figure
from verify.saddle import SaddleExpansion
from verify.strategies import Dataset
from verify.tables import fmt, markdown_table

#: (widths, z-neurons per hidden layer (the last ones), samples) per scale; paper = np §3.4 (widths (20, 10, 10, 1),
#: last 9 neurons; its n is not stated: ours)
SETUPS = {"ci": ((6, 4, 4, 1), 3, 12), "dev": ((10, 6, 6, 1), 5, 20), "paper": ((20, 10, 10, 1), 9, 40)}
CASES = (("x²", Activation(1.0, 2)), ("ReLU", Activation(0.0, 1)))
HOLDS = 1e-6  # a defect below this counts as zero (the points are KKT to a residual <= 1e-8)


@dataclass
class SparsityCase:
    """One σ: the point found (certified KKT point, or the best restart when none was certified) and its blocks.

    weights_start / weights_point: |W_l| per layer at a random unit w_z and at the point, NaN on the n-weights;
    carrying: (layer, z-neuron, ‖Ā_l[j]‖², p‖B̄_{l+1}[:,j]‖²) of every z-neuron carrying weight (> 1e-6);
    balance_defect: max over z-neurons of |‖Ā_l[j]‖² − p‖B̄_{l+1}[:,j]‖²|; c_norm: ‖C̄_2‖.
    """

    name: str
    certified: bool
    value: float
    residual: float
    n_kinks: int
    zeroed: float
    c_norm: float
    balance_defect: float
    carrying: list[tuple[int, int, float, float]]
    z_neurons: int
    weights_start: list[np.ndarray]
    weights_point: list[np.ndarray]


@dataclass
class SparsityResult:
    scale: str
    setup: tuple
    seeds: tuple[int, ...]  # data, w_n, z, ascent, start
    cases: list[SparsityCase]


@register_experiment
class Lemma9Sparsity(Experiment):
    name = "np.lemma9_sparsity"
    title = "np Lemma 9: the w_z weights at a KKT point of the H1-NCF (cf. np Figures 1–2, panels e–f)"
    source = "np Lemma 9, §3.4 (Figures 1–2 (e–f))"
    settings_text = (
        "L = 3; G_z = the last Δ neurons of each hidden layer (one or more n-neurons per layer, as in the paper); Gaussian "
        "data; w_n ~ N(0,1) rescaled per layer to unit-RMS pre-activations, z ~ N(0, I) (np §3.4 does not say how its saddle "
        "and data were made: assumptions of ours); all drawn from the run's seed. The KKT point: the checker np.lemma9's "
        "projected ascent on the sphere of w_z (12 restarts, 400 steps) and certification (Newton for x², one Clarke "
        "completion for ReLU), residual <= 1e-8. Scales: `ci` widths (6, 4, 4, 1), Δ = 3, n = 12; `dev` widths "
        "(10, 6, 6, 1), Δ = 5, n = 20; `paper` np §3.4's widths (20, 10, 10, 1), Δ = 9, with n = 40 (ours)."
    )

    def run(self, scale: str, seed: int, device) -> SparsityResult:
        widths, delta, n = SETUPS[scale]
        seeds = tuple(int(s) for s in np.random.default_rng(seed).integers(2**31 - 1, size=5))
        z_neurons = tuple(tuple(range(k - delta, k)) for k in widths[1:-1])
        checker = SaddleKKTBalance()
        cases = []
        for name, act in CASES:
            problem = SaddleProblem(FeedForward(widths, act), z_neurons, Dataset("gaussian", n, widths[0], seeds[0]), seeds[1], seeds[2])
            partition = problem.partition
            expansion = SaddleExpansion(partition, problem.w_n, problem.X)
            points, ascent = checker.kkt_points(expansion, problem.z, seed=seeds[3], clarke_attempts=1)
            start = torch.randn(partition.n_wz, generator=torch.Generator().manual_seed(seeds[4]), dtype=DTYPE)
            start = start / start.norm()
            if points:
                point = points[0]
                w_z, value, residual = point.w_z, point.lam / (act.p + 1), point.residual
                n_kinks, zeroed = point.n_kinks, point.zeroed
            else:
                w_z, value, residual, n_kinks, zeroed = ascent.u[0], float(ascent.value[0]), float(ascent.kkt_residual[0]), 0, 0.0
            blocks = partition.blocks(w_z)
            carrying, defect = [], 0.0
            for l in range(1, partition.depth):
                a2, b2 = blocks.A[l].pow(2).sum(-1), act.p * blocks.B[l + 1].pow(2).sum(-2)
                defect = max(defect, float((a2 - b2).abs().max()))
                carrying += [(l, j, float(a2[j]), float(b2[j])) for j in range(len(a2)) if float(a2[j] + b2[j]) > 1e-6]
            cases.append(SparsityCase(name, bool(points), float(value), float(residual), n_kinks, zeroed,
                                      float(blocks.C[2].norm()), defect, carrying, sum(partition.deltas),
                                      _weights(partition, start), _weights(partition, w_z)))
        return SparsityResult(scale, (widths, delta, n), seeds, cases)

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: SparsityResult, figure_dir: Path) -> ExperimentReport:
        widths, delta, n = result.setup
        figure = Path(figure_dir) / "np.lemma9_sparsity-wz-weights.png"
        _figure(result, figure)
        rows = [[c.name, "KKT point" if c.certified else "best restart, not certified", fmt(c.value, 4), fmt(c.residual, 2),
                 c.n_kinks, fmt(c.zeroed, 2), fmt(c.c_norm, 2), fmt(c.balance_defect, 2), f"{len(c.carrying)} of {c.z_neurons}",
                 "; ".join(f"{l}: {j}: {fmt(a)}, {fmt(b)}" for l, j, a, b in c.carrying)] for c in result.cases]
        lines = [
            f"Widths {widths}, G_z = the last {delta} neurons of each hidden layer, n = {n}; seeds (data, w_n, z, ascent, start) "
            f"{result.seeds}. Top row of each σ: a random unit w_z (an initialisation); bottom: the point found. n-weights are "
            "blank; each point has its own colour scale, so that a weight that vanishes looks like one.", "",
            markdown_table(["σ", "point", "value zᵀH1", "KKT residual", "kinks (Clarke)", "weight zeroed by the completion", "‖C̄_2‖",
                            "max |‖Ā_l[j]‖² − p‖B̄_{l+1}[:,j]‖²|", "z-neurons carrying weight",
                            "which (layer: index: ‖Ā_l[j]‖², p‖B̄_{l+1}[:,j]‖²)"], rows),
            "", "Clarke: the n-network's σ' enters H1 only through v_{l+1}, which is fixed in this problem, so any Clarke element "
            "there just selects one H1 (np Lemma 9 allows any). For p = 1, α ≠ 1 the objective is itself non-smooth in A_l where "
            "a z-neuron's pre-activation A_l[j,:]g_{l−1}(x_i) vanishes, and KKT points can sit there (column 'kinks'); "
            "stationarity is then certified in the Clarke sense. The balance does not depend on the choice: ⟨a, ξ_a⟩ = p·T for "
            "every Clarke element ξ, since σ'(s)s = pσ(s) = 0 at s = 0 for every slope in [min(1,α), max(1,α)].",
        ]
        certified = [c for c in result.cases if c.certified]
        note = f"zero: below {HOLDS:g}; over the certified points ({len(certified)} of {len(result.cases)})"
        decided = len(certified) == len(result.cases)
        c_max = max((c.c_norm for c in certified), default=math.nan)
        b_max = max((c.balance_defect for c in certified), default=math.nan)
        outcomes = [
            Outcome("C̄_l = 0 at a positive KKT point (Lemma 9)", "0", f"max ‖C̄_2‖ = {fmt(c_max, 2)}",
                    bool(c_max < HOLDS) if decided else None, note),
            Outcome("every z-neuron balanced, p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖² (Lemma 9): small-in ⇔ small-out", "equal",
                    f"max defect {fmt(b_max, 2)}", bool(b_max < HOLDS) if decided else None, note),
        ]
        return ExperimentReport("\n".join(lines), [figure], outcomes,
                                data={"seeds": list(result.seeds), "setup": {"widths": list(widths), "delta": delta, "n": n},
                                      "cases": [{"sigma": c.name, "certified": c.certified, "value": c.value, "residual": c.residual,
                                                 "c_norm": c.c_norm, "balance_defect": c.balance_defect,
                                                 "carrying": [list(x) for x in c.carrying]} for c in result.cases]})


def _weights(partition, w_z: torch.Tensor) -> list[np.ndarray]:
    """|W_l| per layer for the w_z given (n-weights NaN)."""
    full = partition.join(torch.full((partition.n_wn,), math.nan, dtype=DTYPE), w_z)
    return [W.abs().numpy() for W in partition.net.split(full)]


def _figure(result: SparsityResult, path: Path) -> None:
    layers = len(result.cases[0].weights_point)
    ratios = [W.shape[1] for W in result.cases[0].weights_point]
    fig, axes = plt.subplots(2 * len(result.cases), layers, figsize=(12, 2.6 * 2 * len(result.cases)),
                             gridspec_kw={"width_ratios": ratios})
    for row, case in enumerate(result.cases):
        point = "KKT point" if case.certified else "best restart, not certified"
        for k, (label, Ws) in enumerate((("random unit w_z", case.weights_start),
                                         (f"{point} (residual {fmt(case.residual, 1)})", case.weights_point))):
            top = max(float(np.nanmax(W)) for W in Ws if np.isfinite(W).any())
            for l, W in enumerate(Ws, start=1):
                ax = axes[2 * row + k, l - 1]
                im = ax.imshow(W, cmap="viridis", vmin=0, vmax=top, interpolation="nearest")
                ax.set_title(f"σ = {case.name}, {label}: |W_{l}|", fontsize=8)
                ax.set_xticks([])
                ax.set_yticks([])
            fig.colorbar(im, ax=list(axes[2 * row + k]), fraction=0.02)
    save_figure(fig, path, dpi=90, bbox_inches="tight", tight=False)
