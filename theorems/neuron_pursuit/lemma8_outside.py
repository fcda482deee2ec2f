"""Experiment np.lemma8_outside: np Lemma 8 (i) outside its hypotheses (α ≠ 1, p <= 3), measured, not a verdict.

Lemma 8 (i) assumes p >= 4 (its proof needs σ'' to be C¹; digest §5.2: ReLU, leaky ReLU, squared ReLU and p = 3
are not covered). This experiment measures the orders of the three remainders of Assumption 1 exactly as the
checker np.lemma8 does (:func:`theorems.neuron_pursuit.saddle_expansion.remainder_fits`) on an L = 3 instance,
at a generic w_n (no n-pre-activation at a kink of σ) and at a w_n with an n-pre-activation exactly at 0 where
the z-perturbation reaches it. The paper states no outcome here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from theorems.neuron_pursuit.saddle_expansion import OrderFit, directions, outside_problem, remainder_fits
from verify.experiments import Experiment, ExperimentReport, register_experiment
from verify.plots import plt, save_figure
from verify.tables import fmt, markdown_table

#: (α values, p values) per scale; p = 4 (dev, paper) is inside the hypotheses, a contrast
GRID = {"ci": ((0.0, 0.5), (1, 2, 3)), "dev": ((0.0, 0.5, 2.0, -0.3), (1, 2, 3, 4)), "paper": ((0.0, 0.5, 2.0, -0.3), (1, 2, 3, 4))}


@dataclass
class OutsideCase:
    """One (α, p, point) case: the smallest |n-pre-activation| of layer 2 over the samples, the three fits, the orders
    the statement needs (> p+1 for the value and ∇_{w_n}, > p for ∇_{w_z}) and whether each remainder meets its need
    (at rounding level, or an order — fit or lower bound — above it by more than ½)."""

    alpha: float
    p: int
    kink: bool
    min_abs_h2: float
    fits: list[OrderFit]
    needs: tuple[int, int, int]
    meets: tuple[bool, bool, bool]


@dataclass
class Lemma8OutsideResult:
    scale: str
    seeds: tuple[int, int, int, int]  # data, w_n, z, direction
    cases: list[OutsideCase]


@register_experiment
class Lemma8Outside(Experiment):
    name = "np.lemma8_outside"
    title = "np Lemma 8 (i) outside its hypotheses: remainder orders for α ≠ 1, p <= 3"
    source = "np Lemma 8 (i), Assumption 1 (digest §5.2: not claimed for p < 4)"
    settings_text = (
        "L = 3, widths (2, 3, 3, 1), G_z = the last neuron of each hidden layer, 5 Gaussian samples; the two n-neurons of "
        "each hidden layer antipodal (no sample switches a whole n-layer off); z ~ N(0, I); w_z = δŵ along a random unit "
        "direction, δ = 10^{-1} … 10^{-4} in quarter decades, remainders in mpmath at 80 digits, orders fitted over the "
        "smallest resolved decade (as np.lemma8). 'kink': N_2[0,:] ⟂ g_1(x_i) at the sample where the layer-1 z-neuron is "
        "most active, so h_2 = N_2 g_1(x_i) = 0 there; H1 then uses the Clarke element σ'(0) = (1+α)/2 for p = 1 (the "
        "engine's activation, mirrored in the mpmath reference). Data, w_n, z and the direction are drawn from the run's "
        "seed; the direction is redrawn until the layer-1 z-neuron is active on some sample (otherwise for α = 0 it never "
        "reaches the n-network and every remainder vanishes trivially). Scales: `ci` α ∈ {0, 0.5}, p ∈ {1, 2, 3}; `dev` "
        "and `paper` (the paper has no setting here) add α ∈ {2, −0.3} and p = 4, which is inside the hypotheses."
    )

    def run(self, scale: str, seed: int, device) -> Lemma8OutsideResult:
        rng = np.random.default_rng(seed)
        data_seed, wn_seed, z_seed = (int(s) for s in rng.integers(2**31 - 1, size=3))
        probe, _ = outside_problem(0.0, 1, False, (data_seed, wn_seed, z_seed, 0))
        while True:  # a direction along which the layer-1 z-neuron is active on some sample (else ReLU cases are vacuous)
            direction_seed = int(rng.integers(2**31 - 1))
            A_1 = probe.partition.blocks(directions(probe.partition, direction_seed)[0]).A[1]
            if bool((probe.X @ A_1.T > 0).any()):
                break
        seeds = (data_seed, wn_seed, z_seed, direction_seed)
        alphas, ps = GRID[scale]
        cases = []
        for alpha, p, kink in itertools.product(alphas, ps, (False, True)):
            problem, w_n = outside_problem(alpha, p, kink, seeds)
            n_net = problem.partition.n_net
            Ns = n_net.split(w_n)
            h2 = n_net.activation(problem.X @ Ns[0].T) @ Ns[1].T
            fits = remainder_fits(problem.partition, w_n, problem.X, problem.z, seeds[3]).fits
            needs = (p + 1, p, p + 1)
            meets = tuple(f.status == "exact" or (f.status in ("fit", "bound") and f.slope > need + 0.5) for f, need in zip(fits, needs))
            cases.append(OutsideCase(alpha, p, kink, float(h2.abs().min()), fits, needs, meets))
        return Lemma8OutsideResult(scale, seeds, cases)

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: Lemma8OutsideResult, figure_dir: Path) -> ExperimentReport:
        rows, short = [], []
        for case in result.cases:
            cells = [_cell(f) for f in case.fits]
            point = "kink" if case.kink else "generic"
            for f, cell, need, ok in zip(case.fits, cells, case.needs, case.meets):
                if not ok:
                    short.append(f"α = {fmt(case.alpha)}, p = {case.p}, {point}: {f.part} {cell} (needs > {need})")
            rows.append([fmt(case.alpha), case.p, point, fmt(case.min_abs_h2, 2), *cells, "yes" if all(case.meets) else "**no**"])
        generic = [c for c in result.cases if not c.kink]
        kinked = [c for c in result.cases if c.kink]
        figure = Path(figure_dir) / "np.lemma8_outside-remainders.png"
        _figure(result, figure)
        lines = [
            "## Remainder orders", "",
            f"Instance seeds (data, w_n, z, direction): {result.seeds}. min |h_2| is the smallest n-pre-activation of layer 2 "
            "over the samples. The statement needs value and ∇_{w_n} orders > p+1 and a ∇_{w_z} order > p (by more than ½: "
            "along a ray the remainder is piecewise polynomial in δ, so its order is an integer). 'exact' = at rounding level "
            "at every δ; '>= s' = a lower bound (the remainder drops below rounding within a decade).", "",
            markdown_table(["α", "p", "point", "min |h_2|", "value (a)", "∇_{w_z} (b)", "∇_{w_n} (c)", "orders of the statement?"], rows),
            "",
            f"Cases with every order the statement needs: generic points {sum(all(c.meets) for c in generic)} of {len(generic)}, "
            f"kink points {sum(all(c.meets) for c in kinked)} of {len(kinked)}.", "",
            "Orders below the statement's: " + ("; ".join(short) if short else "none") + ".", "",
            "## What to expect", "",
            "At a kink met by an n-pre-activation h with a z-perturbation c = O(δ^{p+1}), σ(h + c) is expanded through 0. "
            "For p = 1, σ has a corner there and H1, built with one Clarke element of σ'(0), misses a term of the size of c: "
            "the value remainder is then of the order δ^{p+1} of H1 itself, the ∇_{w_z} remainder of order δ^p, and H1 is "
            "not differentiable in w_n (σ' of the n-network jumps), so (c) either cannot be formed ('undefined') or does not "
            "shrink with δ. For p = 2, σ' has a "
            "corner, which only the ∇_{w_n} remainder (through σ'' of the n-network) sees. For p >= 3 the kink is smooth "
            "enough for the orders of the statement. At generic points the Taylor argument needs no smoothness at 0, so "
            "the statement's orders are expected for every p; slopes between integers there are two orders mixing over "
            "the grid, the crossover set by how small min |h_2| is.",
        ]
        return ExperimentReport("\n".join(lines), [figure], [],
                                data={"seeds": list(result.seeds),
                                      "cases": [{"alpha": c.alpha, "p": c.p, "point": "kink" if c.kink else "generic",
                                                 "min_abs_h2": c.min_abs_h2, "meets_statement": list(c.meets),
                                                 **{f.part: {"status": f.status, "order": f.slope, "stderr": f.stderr} for f in c.fits}}
                                                for c in result.cases]})


def _cell(f: OrderFit) -> str:
    if f.status == "exact":
        return "exact"
    if f.status == "fit":
        return f"{fmt(f.slope, 3)} ± {fmt(f.stderr, 1)}"
    if f.status == "bound":
        return f">= {fmt(f.slope, 2)}"
    return "H1 not differentiable" if f.status == "undefined" else f.status


def _figure(result: Lemma8OutsideResult, path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True)
    shown = [c for c in result.cases if c.alpha == result.cases[0].alpha]
    for case in shown:
        for ax, f in zip(axes, case.fits):
            ax.loglog(f.deltas, np.maximum(f.remainders, 1e-300), "o-" if case.kink else "s--", ms=3,
                      label=f"p={case.p}, {'kink' if case.kink else 'generic'}")
    for ax, title in zip(axes, ("(a) value", "(b) ∇_{w_z}", "(c) ∇_{w_n}")):
        ax.set_title(f"{title} remainder, α = {fmt(result.cases[0].alpha)}")
        ax.set_xlabel("δ = ‖w_z‖")
        ax.grid(True, which="both", lw=0.3)
    axes[0].set_ylabel("remainder")
    axes[0].legend(fontsize=7)
    save_figure(fig, path, dpi=100)
