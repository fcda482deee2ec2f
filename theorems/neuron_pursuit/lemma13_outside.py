"""Experiment np.lemma13_outside: the decrease when NP adds a neuron (np Lemma 13), drawn, and measured outside the hypotheses.

Inside the hypotheses (σ = x^p, or max(x,αx)^p with p >= 4) the decrease L(W̄) − L(Ŵ(δ)) is drawn against the
proof's leading term 2ζδ^{p+1}. Outside them (α ≠ 1, p <= 3: Lemma 13 inherits Lemma 8's p >= 4) the same
quantities are measured — descent at the smallest δ, the order, the coefficient — as the checker np.lemma13 measures
them (:mod:`theorems.neuron_pursuit.neuron_addition`). Not a verdict: the paper claims nothing outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.neuron_pursuit.neuron_addition import NeuronAddition, TrainedNetwork, local_orders, study_neuron_addition
from verify.experiments import Experiment, ExperimentReport, Outcome, register_experiment
from verify.nets import Activation, FeedForward
from verify.plots import plt, save_figure
from verify.strategies import Dataset
from verify.tables import fmt, markdown_table

INSIDE = (Activation(1.0, 2), Activation(0.1, 4), Activation(1.0, 1))
OUTSIDE = {"ci": (0.0,), "dev": (0.0, 0.5, -0.3), "paper": (0.0, 0.5, -0.3)}  # α; p ∈ {1, 2, 3}
MATCH = 1e-2  # relative agreement of the order and the coefficient counted as the lemma's


@dataclass
class AdditionCase:
    """One activation: the neuron added (its δ grid and decrease) and, on the resolved δ, the last local slope,
    D/(ζδ^{p+1}) at the smallest resolved δ and whether D > 0 at the three smallest (None: fewer than 3 resolved);
    matches_lemma: descent there, and the order p+1 and the coefficient 2 within :data:`MATCH` (relative)."""

    activation: Activation
    inside: bool
    addition: NeuronAddition
    resolved: int
    slope: float
    coefficient_over_zeta: float
    smallest_delta: float
    descends: bool | None
    matches_lemma: bool


@dataclass
class AdditionResult:
    scale: str
    seed: int
    cases: list[AdditionCase]


@register_experiment
class Lemma13Outside(Experiment):
    name = "np.lemma13_outside"
    title = "np Lemma 13: the decrease when a neuron is added, and outside the hypotheses (α ≠ 1, p <= 3)"
    source = "np Lemma 13 (digest §5.2: not claimed for α ≠ 1, p < 4)"
    settings_text = (
        "A three-layer net (d = 3, hidden widths 3, 2), 20 Gaussian samples scaled by 1/√d, labels y ~ N(0, I), W̄ after 25 "
        "backtracking GD steps from a random init of norm 0.8√L; the dominant neuron over both layers (16 restarts, "
        "polished); D(δ) = L(W̄) − L(Ŵ(δ)) in mpmath at 50 digits on δ = δ_0·2^{−k/2}, k = 0..39 (as np.lemma13). Data, "
        "labels, inits and ascents drawn from the run's seed. Inside: σ = x², max(x, 0.1x)⁴, x. Outside: max(x, αx)^p, "
        "p ∈ {1, 2, 3}, α ∈ {0} (`ci`) or {0, 0.5, −0.3} (`dev`, `paper`: the paper has no setting here). For p = 1 "
        f"H_{{1,l}} uses the slope (1+α)/2 at exact kinks. The order and coefficient count as the lemma's within {MATCH:g} (relative)."
    )

    def run(self, scale: str, seed: int, device) -> AdditionResult:
        rng = np.random.default_rng(seed)
        activations = [(a, True) for a in INSIDE] + [(Activation(alpha, p), False) for alpha in OUTSIDE[scale] for p in (1, 2, 3)]
        cases = []
        for act, inside in activations:
            problem = TrainedNetwork(FeedForward((3, 3, 2, 1), act), Dataset("gaussian", 20, 3, int(rng.integers(2**31 - 1))),
                                     int(rng.integers(2**31 - 1)), int(rng.integers(2**31 - 1)), 25)
            add = study_neuron_addition(problem, int(rng.integers(2**31 - 1)), torch.device("cpu"))
            d, D, slopes, coefs = local_orders(add, act.p + 1)
            if add.zeta <= 0 or len(d) < 3:
                cases.append(AdditionCase(act, inside, add, len(d), float("nan"), float("nan"), float("nan"), None, False))
                continue
            slope, coefficient, descends = float(slopes[-1]), float(coefs[-1]) / add.zeta, bool((D[-3:] > 0).all())
            matches = descends and abs(slope - (act.p + 1)) <= MATCH * (act.p + 1) and abs(coefficient - 2) <= 2 * MATCH
            cases.append(AdditionCase(act, inside, add, len(d), slope, coefficient, float(d[-1]), descends, matches))
        return AdditionResult(scale, seed, cases)

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: AdditionResult, figure_dir: Path) -> ExperimentReport:
        figure = Path(figure_dir) / "np.lemma13_outside-decrease.png"
        fig, ax = plt.subplots(figsize=(5.5, 4))
        for c in (c for c in result.cases if c.inside):
            add, q = c.addition, c.activation.p + 1
            positive = add.decrease > 0
            line = ax.loglog(add.deltas[positive], add.decrease[positive], "o", ms=3, label=f"σ={c.activation}, l*={add.layer}")[0]
            ax.loglog(add.deltas, 2 * add.zeta * add.deltas**q, "-", lw=0.8, color=line.get_color())
        ax.set_xlabel("δ")
        ax.set_ylabel("L(W̄) − L(Ŵ(δ))")
        ax.set_title("np Lemma 13: decrease vs δ (lines: 2ζδ^{p+1})")
        ax.legend(fontsize=7)
        save_figure(fig, figure, dpi=110)

        header = ["σ", "α", "p", "inside the hypotheses", "l*", "ζ", "resolved δ", "L(Ŵ(δ)) < L(W̄) at the 3 smallest δ",
                  "last local slope (p+1)", "D/(ζδ^{p+1}) (2)", "smallest δ"]
        rows = [[str(c.activation), fmt(c.activation.alpha), c.activation.p, "yes" if c.inside else "no", c.addition.layer,
                 fmt(c.addition.zeta), c.resolved, {True: "yes", False: "**no**", None: "–"}[c.descends],
                 f"{fmt(c.slope, 5)} ({c.activation.p + 1})", fmt(c.coefficient_over_zeta, 5), fmt(c.smallest_delta, 2)]
                for c in result.cases]
        inside = [c for c in result.cases if c.inside]
        outcomes = [Outcome("inside the hypotheses: L(Ŵ(δ)) < L(W̄) for small δ, decrease 2ζδ^{p+1} + o(δ^{p+1})",
                            "descent, order p+1, coefficient 2ζ",
                            "; ".join(f"σ={c.activation}: slope {fmt(c.slope, 4)}, D/(ζδ^{{p+1}}) {fmt(c.coefficient_over_zeta, 4)}"
                                      for c in inside),
                            all(c.matches_lemma for c in inside),
                            f"order and coefficient within {MATCH:g} (relative), descent at the 3 smallest δ")]
        md = "\n".join(["## The neuron added, inside and outside the hypotheses", "",
                        "For α ≠ 1 and p <= 3 the lemma is not claimed (its proof needs Lemma 8's p >= 4); these rows are "
                        "measured, not decided.", "", markdown_table(header, rows)])
        return ExperimentReport(md, [figure], outcomes,
                                data={"cases": [{"sigma": str(c.activation), "inside": c.inside, "layer": c.addition.layer,
                                                 "zeta": c.addition.zeta, "resolved": c.resolved, "descends": c.descends,
                                                 "slope": c.slope, "coefficient_over_zeta": c.coefficient_over_zeta}
                                                for c in result.cases]})
