"""Experiment ``edc.fig3``: edc Figure 3, |weights| of a KKT point of (10) for L = 3, ReLU against squared ReLU.

The paper (Fig. 3 and its caption; n = 100, x_i ~ N(0, I_10), y_i ~ N(0, 1)): for ReLU the non-zero
rows/columns of the hidden weights are multiples of each other (rank one) and several rows/columns are
zero; for squared ReLU each hidden weight matrix has a single non-zero row (and W̄_2 a single non-zero
column). Here: the best of several projected ascents per activation, its rank-one and sparsity
measures, and W̄ rebuilt by Theorems 3/4 from the same directions and the exact reduced KKT point
next to its b_1, to show the found point has the theorems' form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.early_directional.kkt_points import balanced_factors, ncf_ascent, table_measures
from theorems.early_directional.rank_one_template import THEOREM, kkt_certificate, rank_one_point, theorem_factors
from theorems.early_directional.reduced_problem import exact_reduced_point
from verify.activations import Activation
from verify.experiments import Experiment, ExperimentReport, Outcome, register_experiment
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, FeedForward, single_threaded
from verify.tables import fmt, markdown_table

THRESHOLD = 1e-5  # rank one: κ at most this
ZERO = 1e-3  # a row or column counts as zero when its norm is at most this fraction of the matrix's largest one
ACTIVATIONS = (Activation(0.0, 1), Activation(0.0, 2))


@dataclass(frozen=True)
class Fig3Settings:
    """n, d as in the caption; hidden width, restarts and steps are ours (the paper does not state them)."""

    n: int
    d: int
    width: int
    restarts: int
    kinked_steps: int
    smooth_steps: int
    step_size: float = 0.3
    final_step_size: float = 1e-7


SCALES = {
    "ci": Fig3Settings(n=30, d=5, width=5, restarts=2, kinked_steps=400, smooth_steps=200),
    "dev": Fig3Settings(n=100, d=10, width=12, restarts=8, kinked_steps=8000, smooth_steps=2000),
    "paper": Fig3Settings(n=100, d=10, width=20, restarts=16, kinked_steps=12000, smooth_steps=3000),
}


@dataclass(frozen=True)
class Fig3Panel:
    """One activation: |W̄_1|, |W̄_2|, |w̄_3|ᵀ of the best ascent end point (``found``) and of the W̄ the theorem
    builds from its directions (``built``; None when the reduced problem gave no exact point), the value N,
    κ, ρ, the certified (Clarke) KKT residual, non-zero rows of W̄_1 and rows/columns of W̄_2 (out of the
    width) and max |found − built|."""

    activation: str
    found: tuple[np.ndarray, ...]
    built: tuple[np.ndarray, ...] | None
    value: float
    kappa: float
    rho: float
    residual: float
    rows_1: int
    rows_2: int
    columns_2: int
    difference: float


@dataclass(frozen=True)
class Fig3Result:
    scale: str
    seed: int
    settings: Fig3Settings
    panels: tuple[Fig3Panel, ...]


def _nonzero(norms: torch.Tensor) -> int:
    return int((norms > ZERO * norms.max()).sum())


def _panel(activation: Activation, X: torch.Tensor, y: torch.Tensor, s: Fig3Settings, seed: int) -> Fig3Panel:
    net = FeedForward((s.d, s.width, s.width, 1), activation)
    steps = s.kinked_steps if activation.kinked else s.smooth_steps
    u0 = net.random_unit(s.restarts, torch.Generator().manual_seed(seed))
    ends = ncf_ascent(net, X, y, u0, steps=steps, step_size=s.step_size, hold=2 * steps // 3, final_step_size=s.final_step_size)
    values, _ = ncf_and_grad(net, ends, X, y)
    found = ends[int(torch.argmax(values))]
    Ws = net.split(found)
    factors = [balanced_factors(W) for W in Ws[:-1]]
    q = 1.0 if float(Ws[-1][0] @ factors[-1].a) >= 0 else -1.0  # N = q·(positive)·g(b_1) > 0: b_1 is a KKT point of q·g
    b1 = exact_reduced_point(activation, 3, X, y, THEOREM.reduced_radius(3, activation.p), factors[0].b / factors[0].b.norm(), q)
    built, difference = None, float("nan")
    if b1 is not None:
        built_u = rank_one_point(net, theorem_factors(net, b1.u, [f.a.clamp_min(0) for f in factors], [1.0, q]))
        built = tuple(W.abs().numpy() for W in (*net.split(built_u)[:2], net.split(built_u)[2].T))
        difference = float((built_u - found).abs().max())
    kappa, rho = table_measures(net, found)
    return Fig3Panel(str(activation), tuple(W.abs().numpy() for W in (Ws[0], Ws[1], Ws[2].T)), built, float(values.max()),
                     kappa, rho, kkt_certificate(net, found, X, y).residual, _nonzero(Ws[0].norm(dim=1)),
                     _nonzero(Ws[1].norm(dim=1)), _nonzero(Ws[1].norm(dim=0)), difference)


@register_experiment
class Figure3(Experiment):
    name = "edc.fig3"
    title = "Figure 3: a KKT point of the constrained NCF for L = 3, ReLU against squared ReLU"
    source = "edc Figure 3 (§5)"
    settings_text = (
        "L = 3, x_i ~ N(0, I_d), y_i ~ N(0, 1) as in the caption (n = 100, d = 10 at scales dev and paper), the same data "
        "for both activations. **Assumptions of ours** (not stated in the paper): hidden widths, the number of random "
        "starts (the best end point by N is shown), full-batch projected ascent with a normalised step held for 2/3 of the "
        f"steps and then decaying geometrically (the engine's scheduled_ascent), float64; a row or column counts as zero "
        f"when its norm is at most {ZERO:g} of the largest in its matrix; rank one means κ ≤ {THRESHOLD:g}. The bottom "
        "row of each figure is W̄ as Theorem 3 (ReLU) / Theorem 4 (squared ReLU) builds it from the found point's "
        "directions and the exact KKT point of the reduced problem next to its b_1. Scale `ci` decides nothing."
    )

    def run(self, scale: str, seed: int, device) -> Fig3Result:
        s = SCALES[scale]
        rng = np.random.default_rng(seed)
        X = torch.as_tensor(rng.standard_normal((s.n, s.d)), dtype=DTYPE)
        y = torch.as_tensor(rng.standard_normal(s.n), dtype=DTYPE)
        with single_threaded():
            panels = tuple(_panel(act, X, y, s, int(rng.integers(2**31))) for act in ACTIVATIONS)
        return Fig3Result(scale, seed, s, panels)

    def report(self, result: Fig3Result, figure_dir: Path) -> ExperimentReport:
        s, decide = result.settings, result.scale != "ci"
        relu, squared = result.panels
        outcomes = [
            Outcome("ReLU: the hidden weights are rank one (non-zero rows/columns are multiples of each other)", "rank one",
                    f"κ = {fmt(relu.kappa)}", relu.kappa <= THRESHOLD if decide else None,
                    f"certified KKT residual of the shown point {fmt(relu.residual)}"),
            Outcome("ReLU: several rows/columns of the hidden weights are zero", "several zero rows/columns",
                    f"zero rows: W̄_1 {s.width - relu.rows_1}, W̄_2 {s.width - relu.rows_2}; zero columns: W̄_2 "
                    f"{s.width - relu.columns_2} (of {s.width})",
                    s.width - min(relu.rows_1, relu.rows_2, relu.columns_2) >= 2 if decide else None,
                    "several: at least two zero rows or columns in one matrix"),
            Outcome("squared ReLU: the hidden weights are rank one", "rank one", f"κ = {fmt(squared.kappa)}",
                    squared.kappa <= THRESHOLD if decide else None,
                    f"certified KKT residual of the shown point {fmt(squared.residual)}"),
            Outcome("squared ReLU: a single non-zero row of W̄_1 and a single non-zero row and column of W̄_2",
                    "one non-zero row/column", f"non-zero rows: W̄_1 {squared.rows_1}, W̄_2 {squared.rows_2}; non-zero columns: "
                    f"W̄_2 {squared.columns_2}",
                    (squared.rows_1, squared.rows_2, squared.columns_2) == (1, 1, 1) if decide else None),
        ]
        md = ["## The KKT points shown", "",
              markdown_table(["σ", "N", "κ", "ρ", "certified KKT residual", "non-zero rows W̄_1", "non-zero rows W̄_2",
                              "non-zero columns W̄_2", "max |found − theorem's W̄|"],
                             [[p.activation, fmt(p.value), fmt(p.kappa), fmt(p.rho), fmt(p.residual), f"{p.rows_1}/{s.width}",
                               f"{p.rows_2}/{s.width}", f"{p.columns_2}/{s.width}", fmt(p.difference)] for p in result.panels]),
              "", f"Hidden width {s.width}, n = {s.n}, d = {s.d}, best of {s.restarts} starts; {s.kinked_steps} steps for ReLU, "
              f"{s.smooth_steps} for squared ReLU."]
        figures = [_draw(p, figure_dir / f"edc.fig3-{p.activation.replace('^', '-pow')}.png", s.d) for p in result.panels]
        return ExperimentReport("\n".join(md), figures=figures, outcomes=outcomes,
                                data={"settings": s, "panels": [{k: v for k, v in vars(p).items() if k not in ("found", "built")}
                                                                for p in result.panels]})


def _draw(panel: Fig3Panel, path: Path, d: int) -> Path:
    """Heat maps of |W̄_1|, |W̄_2|, |w̄_3|ᵀ: the found point (top) and the theorem's W̄ (bottom)."""
    from verify.plots import plt, save_figure

    rows = [("found by ascent", panel.found)] + ([("theorem's W̄ (same directions, exact b_1)", panel.built)] if panel.built else [])
    width = panel.found[1].shape[0]
    fig, axes = plt.subplots(len(rows), 3, figsize=(10, 3.2 * len(rows)), squeeze=False,
                             gridspec_kw={"width_ratios": [d, width, width]})
    for r, (label, mats) in enumerate(rows):
        for c, (name, W) in enumerate(zip(("|W̄_1|", "|W̄_2|", "|w̄_3|ᵀ"), mats)):
            im = axes[r, c].imshow(W, cmap="viridis", aspect="auto")
            axes[r, c].set_title(name, fontsize=8)
            if c == 0:
                axes[r, c].set_ylabel(label, fontsize=8)
            fig.colorbar(im, ax=axes[r, c], fraction=0.046)
    fig.suptitle(f"σ = {panel.activation}: KKT point of (10), L = 3 (|weights|); max |found − built| = {panel.difference:.1e}",
                 fontsize=9)
    return save_figure(fig, path, dpi=100)
