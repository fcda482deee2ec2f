"""np Algorithm 1 (Neuron Pursuit) as the system under test: descent per iteration and NP = OMP (§D.5).

One checker, ``np.algorithm1``, with two claims evaluated on every instance:

  descent   (np §5.1, Lemmas 12/13, digest X8): along every NP run the loss after each stage of every
            iteration — adding the neuron(s) at the δ the algorithm used (its §C.1.1 schedule, as recorded in
            the run; no search over other δ), then gradient descent — is <= the loss before it, read from the
            loss values the run computed. A GD stage that overflowed is a loss increase (FAIL);
  OMP       (np §D.5, digest X6/§4.7): on two-layer diagonal linear networks, whenever OMP's path does not flip
            the sign of a selected coefficient, NP selects the same atoms in the same order as scikit-learn's
            OrthogonalMatchingPursuit with the same coefficients, and every selected neuron's NCF value is
            |X[:,j]ᵀȳ|/2 (digest correction 18); on §D.5's instance it reproduces the paper's products 1.77,
            then 1.876 and 1.188 to one unit of the last printed digit (the least-squares values are 1.7715,
            1.875, 1.1875) — not the minimum-ℓ1 solution (cvxpy). Instances where OMP's path flips a sign are
            drawn too (not filtered): balanced GD keeps the sign of v_ju_j, so there NP ≠ OMP from the flip on;
            they are counted (measurements omp_sign_flip, np_differs_from_omp), and only the iterations before
            the flip are compared.

Figure 6 (recovery of its target, iterations and widths over seeds) is the experiment np.fig6, not a claim here.
The identities behind the addition stage (Lemmas 12/13 themselves) are the checkers np.lemma12 and np.lemma13.
Instances and runs: :mod:`theorems.neuron_pursuit.descent_problems`, :mod:`theorems.neuron_pursuit.diagonal`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from theorems.neuron_pursuit.descent_problems import DescentProblem, descent_problems, descent_run
from theorems.neuron_pursuit.diagonal import (
    D5,
    D5_PAPER,
    SIGN_FLIP,
    RecoveryRun,
    SparseRecovery,
    first_sign_flip,
    recovery_problems,
    recovery_run,
    support_order,
)
from verify.checker import Checker, Context, Entry, Evidence, Mutant, register
from verify.nets import EPS
from verify.plots import plt, save_figure
from verify.strategies import DEFAULT_FAMILIES
from verify.tables import fmt, markdown_table


@dataclass(frozen=True)
class PursuitInstance:
    descent: DescentProblem
    recovery: SparseRecovery

    def __str__(self) -> str:
        return f"{self.descent}; {self.recovery}"


@dataclass(frozen=True)
class IterationRow:
    """One NP iteration as the report shows it (fields of :class:`verify.pursuit.PursuitIteration`)."""

    iteration: int
    layer: int
    ncf_max: float
    delta: float
    delta_shrinks: int  # how often the schedule multiplied δ by 0.8 before the loss at the saddle decreased
    loss_saddle: float
    loss_added: float
    loss_gd: float
    gd_steps: int
    gd_loss_increases: int
    hidden_widths: tuple[int, ...]

    @classmethod
    def of(cls, h: dict) -> IterationRow:
        return cls(h["iteration"], h["layer"], h["ncf_max"], h["delta"], h["delta_shrinks"], h["loss_saddle"], h["loss_added"],
                   h["loss_gd"],
                   h["gd_steps"], h["gd_loss_increases"], tuple(h["hidden_widths"]))


@dataclass(frozen=True)
class D5Values:
    """§D.5's instance: NP's products after every iteration, OMP's path, basis pursuit, supports (0-based) and ℓ1 norms."""

    np_path: tuple[tuple[float, ...], ...]
    omp: tuple[tuple[float, ...], ...]
    basis_pursuit: tuple[float, ...]
    np_support: tuple[int, ...]
    omp_support: tuple[int, ...]
    np_l1: float
    min_l1: float

    @classmethod
    def of(cls, run: RecoveryRun) -> D5Values:
        return cls(tuple(tuple(map(float, c)) for c in run.np_path), tuple(tuple(map(float, c)) for c in run.omp),
                   tuple(map(float, run.basis_pursuit)), tuple(run.np_support), tuple(support_order(run.omp)),
                   float(np.abs(run.np_path[-1]).sum()), float(np.abs(run.basis_pursuit).sum()))


@dataclass(frozen=True)
class PursuitMeasurements:
    """What np.algorithm1 measured on one instance, with the per-iteration histories and §D.5's numbers for the report."""

    descent_worst_increase: float
    descent_iterations: int
    gd_loss_increasing_steps: int
    delta_shrinks: int  # δ reductions the schedule made in the descent run (0: the first δ already descended)
    omp_coefficient_error: float
    omp_sign_flip: float  # 1.0 when OMP's path flips the sign of a selected coefficient (outside the claim)
    np_differs_from_omp: float  # 1.0 when NP's final coefficients differ from OMP's (relative gap > 1e-6)
    sign_flip_instance_gap: float  # ‖z_NP − z_OMP‖/‖z_OMP‖ at the end on the fixed sign-flip instance
    omp_gd_converged: float  # 1.0 when every GD stage of the recovery run converged
    omp_equals_min_l1: float  # 1.0 when OMP's final coefficients are the minimum-ℓ1 solution
    d5_v3u3_iter1: float
    d5_v3u3_iter2: float
    d5_v1u1_iter2: float
    descent_run: str
    descent_history: tuple[IterationRow, ...]
    d5: D5Values


def descent_rows(history: list[dict]) -> list[tuple[int, str, float, float]]:
    """(iteration, stage, loss before, loss after) for both stages of every NP iteration."""
    rows = []
    for h in history:
        rows.append((h["iteration"], "add neuron" if h["layer"] else "add first neurons", h["loss_saddle"], h["loss_added"]))
        rows.append((h["iteration"], "gradient descent", h["loss_added"], h["loss_gd"] if h["gd_finite"] else math.inf))
    return rows


@register
class NeuronPursuitAlgorithm(Checker):
    """np Algorithm 1 (Neuron Pursuit): descent per iteration, NP = OMP on diagonal nets (§D.5).

    See the module docstring; the system under test is :class:`verify.pursuit.NeuronPursuitRegressor`
    (and :func:`verify.pursuit.diagonal_neuron_pursuit` for §D.5).
    """

    id = "np.algorithm1"
    title = "Neuron Pursuit: descent per iteration, equivalence with OMP"
    source = "np Algorithm 1 (with Lemmas 12/13, §5.1, §D.5)"
    statement = (
        "(i) Descent: in every NP iteration the training loss after adding the neuron(s) at the δ the algorithm uses "
        "(§C.1.1's schedule) is <= the loss at the saddle (np Lemmas 12/13) and the loss after gradient descent is <= "
        "the loss after adding (§5.1: assumed by the paper); a GD stage that overflows increases the loss. (ii) §D.5: on "
        "two-layer diagonal linear networks, whenever OMP's path does not flip the sign of a selected coefficient, NP "
        "selects the atoms of scikit-learn's OrthogonalMatchingPursuit in the same order with the same coefficients (not "
        "the minimum-ℓ1 solution), each selected neuron's NCF value is |X[:,j]ᵀȳ|/2, and §D.5's instance gives the "
        "products 1.77, then 1.876 and 1.188 (to one unit of the last printed digit). Where OMP's path flips a sign NP ≠ "
        "OMP (balanced GD keeps the sign of v_ju_j: NP's coefficients never change sign along its path); those instances "
        "are counted, not excluded."
    )
    hypotheses_text = (
        "Each instance has two parts. Descent: NP (R = 4, 300 ascent steps, GD 2000 steps of 0.02 on the mean loss, at "
        "most 4 iterations, §C.1.1's δ schedule) on " + DEFAULT_FAMILIES + ", n 20–60, d 2–5, targets from a "
        "random teacher with 2 neurons per hidden layer, σ ∈ {ReLU, leaky ReLU 0.5 (L ∈ {2,3}), x² (L = 2)}. §D.5: b = "
        "Xz₀, X ∈ R^{n×d} Gaussian N(0,1/n), n 10–24, d n–2n, z₀ s-sparse (s 1–3) with entries ±U[1,2], NP for s "
        "iterations (δ = 0.01, GD step 0.02 until ‖∇‖ <= 1e-11); every drawn instance is kept, including those whose OMP "
        "path flips the sign of a selected coefficient (rare: none of 960 draws at n 10–24, so a fixed instance whose OMP "
        "path flips at step 3, n = 3, d = 6, s = 3, seed 31, is checked with every instance); §D.5's own instance (δ = "
        "0.01, step 0.001) is checked with every instance."
    )
    method = (
        "Every claim is checked as entries with a normalised violation (0 = holds), each decided against its own bound. "
        "Descent: one entry per stage of every NP iteration of the descent run, max(0, L_after − L_before)/L_before with the "
        "losses the run computed (the loss after adding is the first GD loss, at the δ recorded in the run); floor 1e3·ε "
        "(rounding of a converged loss); a GD stage that overflowed is an unbounded increase (violation = the largest "
        "float: FAIL). OMP: ‖z_NP(t) − z_OMP(t)‖/‖z_OMP(t)‖ for every iteration t before OMP's first sign flip (all of "
        "them when there is none), with the floor ‖X_Sᵀr‖/(λ_min(X_SᵀX_S)‖z_OMP(t)‖) that bounds how far GD's answer can be "
        "from the least-squares fit on its support, the largest over iterations ≤ t (a GD stage that did not converge shows "
        "as a floor too large to decide, not as a failure, and the comparisons after it, whose atoms were selected from "
        "its residual, are undecided), and an entry that fails when NP stops before OMP's s atoms (no sign flip); every "
        "selected neuron's NCF value against |X[:,j]ᵀȳ|/2 (floor 1e-9: the ascent stops at KKT residual 1e-12); the same "
        "for §D.5's instance, and each of §D.5's three printed numbers as (units of the last printed digit between our "
        "rounded value and the paper's − 1)⁺, floor GD's distance to the fit in those units (the paper prints 1.876 where "
        "the least-squares value is 1.875, one unit off). Sign-flip instances: measured whether NP's final coefficients "
        "differ from OMP's (relative gap > 1e-6), counted in the measurements. On every diagonal run: NP's coefficients "
        "keep their signs along its path, violation the largest min(|z_j(t−1)|, |z_j(t)|)/‖z(t)‖ over sign changes, "
        "floor 1e-9."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    # statement attributes (mutants override them)
    descent_sign = 1.0  # +1: loss after <= loss before
    diagonal_reference = "omp"  # or "omp_normalised", "min_l1"
    compare_after_flip = False  # the claim stops at OMP's first sign flip
    ncf_closed_form = staticmethod(lambda c: abs(c) / 2)

    mutants = [
        Mutant("loss increases", "NP's loss after each stage is >= the loss before it", descent_sign=-1.0),
        Mutant("NP equals the minimum-ℓ1 solution", "on diagonal linear nets NP returns the basis-pursuit solution "
               "(what gradient flow from vanishing initialisation converges to)", diagonal_reference="min_l1"),
        Mutant("OMP on normalised columns", "NP selects by correlation with unit-norm columns", diagonal_reference="omp_normalised"),
        Mutant("NP = OMP also through sign flips", "NP equals OMP after every iteration, also where OMP's path flips a "
               "coefficient's sign", compare_after_flip=True),
        Mutant("§D.5 value |X[:,j]ᵀȳ|/√2", "the paper's printed second-iteration closed form (digest correction 18)",
               ncf_closed_form=staticmethod(lambda c: abs(c) / math.sqrt(2))),
    ]

    def hypotheses(self):
        return st.builds(PursuitInstance, descent_problems(), recovery_problems())

    # -- the claims -----------------------------------------------------------------------------------

    def _descent(self, history: list[dict], run: str) -> list[Entry]:
        """One entry per stage of every NP iteration: the relative increase of the loss over the stage.

        The loss after adding is the one at the δ the run used (its first GD loss). A GD stage that overflowed
        increased the loss without bound: its violation is the largest float (FAIL, not INCONCLUSIVE).
        """
        out = []
        for iteration, stage, before, after in descent_rows(history):
            if math.isinf(after):
                out.append(Entry(sys.float_info.max, 1e3 * EPS, True, f"{run}: NP iteration {iteration} {stage} overflowed "
                                                                       "(the loss increased without bound)"))
                continue
            increase = max(0.0, self.descent_sign * (after - before))
            out.append(Entry(increase / before if before > 0 else increase, 1e3 * EPS, True,
                             f"{run}: NP iteration {iteration} {stage}"))
        return out

    def _diagonal(self, run: RecoveryRun) -> tuple[list[Entry], list[Entry]]:
        """(coefficient entries, NCF entries): NP's coefficients vs the reference after every iteration (OMP) or at
        the end (minimum ℓ1), and every selected neuron's NCF value vs the closed form.

        The floor of the coefficients after iteration t is the largest of run.floors[:t] (each bounds how far GD's
        answer is from the least-squares fit on its support) relative to the reference: a GD stage that did not
        converge shows as a floor too large to decide (INCONCLUSIVE). A later iteration selects its atom from the
        residual that stage left, so when an earlier stage is too far from its fit to decide, the comparison after
        it is undecided (NaN) rather than a failure: a different atom there would be the numerics', not NP's.
        From OMP's first sign flip on (if its path has one) the iterations are outside the claim and not compared
        (unless ``compare_after_flip``, a mutant); they are counted by :meth:`claim`.
        """
        name, s = str(run.problem), run.problem.s
        flip_step = first_sign_flip(run.omp) if self.diagonal_reference != "min_l1" else None
        flip = None if self.compare_after_flip else flip_step
        if self.diagonal_reference == "min_l1":
            steps = [(len(run.np_path), run.np_path[-1], run.basis_pursuit, "the minimum-ℓ1 solution")] if len(run.np_path) else []
        else:
            refs = run.omp if self.diagonal_reference == "omp" else run.omp_normalised
            what = "OMP" if self.diagonal_reference == "omp" else "OMP on normalised columns"
            steps = [(t, coef, ref, f"{what} step {t}") for t, (coef, ref) in enumerate(zip(run.np_path, refs), start=1)
                     if flip is None or t < flip]
        coefficients = []
        for t, coef, ref, what in steps:
            scale = float(np.linalg.norm(ref)) or 1.0
            label = f"{name}: NP iteration {t} vs {what}"
            # past OMP's flip (the mutant only) GD's distance to a least-squares fit is no floor: NP is not at one
            decided_floors = run.floors[: t if flip_step is None or t < flip_step else flip_step - 1]
            earlier = max(decided_floors[: t - 1], default=0.0) / scale
            if earlier > self.max_error_floor:
                coefficients.append(Entry(math.nan, earlier, False, f"{label} (undecided: an earlier GD stage did not reach "
                                                                   "its least-squares fit)"))
            else:
                coefficients.append(Entry(float(np.linalg.norm(coef - ref)) / scale,
                                          max([earlier, *(f / scale for f in decided_floors[t - 1: t])]),
                                          True, label))
        if len(run.np_path) < s and flip is None:  # NP stopped early (dominant NCF value not positive) where OMP went on
            coefficients.append(Entry(1.0, 0.0, True, f"{name}: NP stopped after {len(run.np_path)} of {s} iterations"))
        ncf = []
        for t, (value, c) in enumerate(zip(run.ncf_max, run.correlations), start=1):
            expected = self.ncf_closed_form(c)
            ncf.append(Entry(abs(value - expected) / max(expected, np.finfo(float).tiny), 1e-9, True,
                             f"{name}: NP iteration {t} NCF value vs closed form in X[:,j]ᵀȳ"))
        return coefficients, ncf

    def _signs_kept(self, run: RecoveryRun) -> Entry:
        """NP's coefficient path never flips the sign of a coefficient (balanced GD keeps the sign of v_ju_j, Lemma 21):
        violation = the largest min(|z_j(t−1)|, |z_j(t)|)/‖z(t)‖ over sign changes, floor 1e-9 (GD stops at ‖∇‖ <= 1e-11)."""
        path = np.asarray(run.np_path)
        worst = 0.0
        for before, after in zip(path[:-1], path[1:]):
            changed = before * after < 0
            if changed.any():
                worst = max(worst, float(np.minimum(np.abs(before), np.abs(after))[changed].max() / np.linalg.norm(after)))
        return Entry(worst, 1e-9, True, f"{run.problem}: NP's coefficients keep their signs along its path")

    def _d5_paper(self, run: RecoveryRun) -> list[Entry]:
        """One entry per product §D.5 prints: (units of the last printed digit between our rounded value and the
        paper's − 1)⁺, with GD's distance to the least-squares fit (run.floors) in those units as floor; undecided
        when NP did not reach that iteration (its early stop is an entry of :meth:`_diagonal`)."""
        out = []
        for iteration, j, printed, decimals in D5_PAPER:
            label = f"§D.5 iteration {iteration}: v{j + 1}u{j + 1} printed {printed}"
            if len(run.np_path) < iteration:
                out.append(Entry(math.nan, math.nan, False, f"{label}: NP did not reach iteration {iteration}"))
                continue
            units_off = abs(round(run.np_path[iteration - 1][j] * 10**decimals) - round(printed * 10**decimals))
            out.append(Entry(float(max(0, units_off - 1)), max(run.floors[:iteration]) * 10**decimals, True, label))
        return out

    def claim(self, instance: PursuitInstance, ctx: Context) -> Evidence:
        device = str(ctx.device)
        descent = descent_run(instance.descent, device)
        recovery, d5 = recovery_run(instance.recovery, device), recovery_run(D5, device)
        flipping = recovery_run(SIGN_FLIP, device)

        checked_descent = self._descent(descent.history_, "descent run")
        coefficients, ncf = self._diagonal(recovery)
        d5_coefficients, d5_ncf = self._diagonal(d5)
        flip_coefficients, flip_ncf = self._diagonal(flipping)
        signs = [self._signs_kept(r) for r in (recovery, d5, flipping)]
        flip = first_sign_flip(recovery.omp)
        final_gap = (float(np.linalg.norm(recovery.np_path[-1] - recovery.omp[-1]) / (np.linalg.norm(recovery.omp[-1]) or 1.0))
                     if len(recovery.np_path) else 1.0)
        notes = [] if descent.history_ else [f"descent run: {descent.stop_reason_}"]
        if flip is not None:
            notes.append(f"{recovery.problem}: OMP's path flips a sign at step {flip}; NP {'≠' if final_gap > 1e-6 else '='} "
                         "OMP at the end (outside the claim, counted)")
        return Evidence(
            checked_descent + coefficients + ncf + d5_coefficients + d5_ncf + self._d5_paper(d5) + flip_coefficients + flip_ncf
            + signs,
            measurements=PursuitMeasurements(
                descent_worst_increase=max((e.violation for e in checked_descent), default=0.0),
                descent_iterations=descent.n_iter_,
                gd_loss_increasing_steps=sum(h["gd_loss_increases"] for h in descent.history_),
                delta_shrinks=sum(h["delta_shrinks"] for h in descent.history_),
                omp_coefficient_error=max((e.violation for e in coefficients if math.isfinite(e.violation)), default=0.0),
                omp_sign_flip=float(flip is not None),
                np_differs_from_omp=float(final_gap > 1e-6),
                sign_flip_instance_gap=float(np.linalg.norm(flipping.np_path[-1] - flipping.omp[-1]) / np.linalg.norm(flipping.omp[-1])),
                omp_gd_converged=float(recovery.converged),
                omp_equals_min_l1=float(np.allclose(recovery.omp[-1], recovery.basis_pursuit, atol=1e-6)),
                d5_v3u3_iter1=float(d5.np_path[0][2]),
                d5_v3u3_iter2=float(d5.np_path[1][2]),
                d5_v1u1_iter2=float(d5.np_path[1][0]),
                descent_run=str(instance.descent),
                descent_history=tuple(IterationRow.of(h) for h in descent.history_),
                d5=D5Values.of(d5),
            ),
            instance=str(instance),
            note="; ".join(notes),
        )

    # -- report (formats the records' measurements only) ----------------------------------------------------

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        """Per-iteration descent table and plot for the longest random run; sign-flip counts; §D.5 numbers."""
        measured = [r.measurements for r in result.records if r.measurements]
        if not measured:
            return "", []
        runs = {}
        longest = max(measured, key=lambda m: (m["descent_iterations"], m["descent_run"]))
        runs[longest["descent_run"]] = longest["descent_history"]
        lines = ["## Descent per NP iteration", "",
                 "Losses as computed by the runs (mean squared error, no ½). Stage 1 adds the neuron(s) at scale δ "
                 "(np Lemmas 12/13), stage 2 is gradient descent; 'GD increasing steps' counts single GD steps whose loss "
                 "rose (reported, not hidden: for ReLU the GD loss is not monotone step by step near kinks).", ""]
        rows = []
        fig, ax = plt.subplots(figsize=(7, 4))
        for label, history in runs.items():
            xs, ys = [], []
            for h in history:
                rows.append([label, h["iteration"], h["layer"] or "all (one each)", fmt(h["ncf_max"], 4), fmt(h["delta"]),
                             h["delta_shrinks"], fmt(h["loss_saddle"], 6), fmt(h["loss_added"], 6), fmt(h["loss_gd"], 6), h["gd_steps"],
                             h["gd_loss_increases"], str(tuple(h["hidden_widths"]))])
                xs += [h["iteration"] - 1, h["iteration"] - 0.5, h["iteration"]]
                ys += [h["loss_saddle"], h["loss_added"], h["loss_gd"]]
            ax.plot(xs, ys, marker="o", ms=3, label=label[:60])
        lines.append(markdown_table(["run", "iteration", "layer l*", "N_max", "δ", "δ reductions", "loss at saddle",
                                     "after adding", "after GD",
                                     "GD steps", "GD increasing steps", "hidden widths"], rows))
        ax.set_yscale("log")
        ax.set_xlabel("NP iteration (x.5: after adding the neuron, integer: after GD)")
        ax.set_ylabel("training loss")
        ax.set_title("np.algorithm1: loss at each stage of each NP iteration")
        ax.legend(fontsize=6)
        path = Path(figure_dir) / "np.algorithm1-descent.png"
        save_figure(fig, path, dpi=110)

        flips = [m for m in measured if m["omp_sign_flip"]]
        lines += ["", "## Instances where OMP's path flips a sign", "",
                  f"{len(flips)} of {len(measured)} instances: OMP's path flips the sign of a selected coefficient; in "
                  f"{sum(1 for m in flips if m['np_differs_from_omp'])} of them NP's final coefficients differ from OMP's "
                  "(NP ≠ OMP: balanced GD keeps the sign of v_ju_j). Their iterations from the flip on are outside the claim."]
        d5 = measured[0]["d5"]
        np_path, omp = d5["np_path"], d5["omp"]
        lines += ["", "## §D.5: NP on a diagonal linear network vs OMP and minimum ℓ1", "",
                  markdown_table(["quantity", "paper", "NP (ours)", "OMP (scikit-learn)", "minimum ℓ1 (cvxpy)"],
                                 [[f"iteration {iteration}: v{j + 1}u{j + 1}", f"{printed:.{decimals}f}",  # as printed
                                   fmt(np_path[iteration - 1][j], 7) if iteration <= len(np_path) else None,
                                   fmt(omp[iteration - 1][j], 7), fmt(d5["basis_pursuit"][j], 7) if iteration == 2 else None]
                                  for iteration, j, printed, decimals in D5_PAPER])]
        lines += ["", f"NP's support order {[j + 1 for j in d5['np_support']]} (1-based), OMP's "
                  f"{[j + 1 for j in d5['omp_support']]}; ℓ1 norms: NP {fmt(d5['np_l1'], 5)}, minimum ℓ1 {fmt(d5['min_l1'], 5)}. "
                  "§D.5 prints products of factors it rounded to two decimals (e.g. 1.37 and 1.09 after iteration 2), so its "
                  "last printed digit can differ by one unit from the least-squares value that NP and OMP reach."]
        return "\n".join(lines), [str(path)]
