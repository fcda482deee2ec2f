"""Experiment ``edc.figs1_2``: edc §4.1.2, Figures 1–2 — early training of a two-layer squared-ReLU net from δ = 0.05.

The paper (digest ../shared/spec/early_directional_convergence.md §4.1, T12): H(x; v, U) = vᵀmax(Ux, 0)², v ∈ R^20,
U ∈ R^{20×10} (k = 220, three-homogeneous), labels from a teacher v*ᵀmax(U*x, 0)² with v* ∈ R², U* ∈ R^{2×10} i.i.d.
N(0, 1) (the printed max(U*, x, 0) reads max(U*x, 0)), n = 100 inputs uniform on S⁹, square loss, gradient descent with
step 2·10⁻² for 50360 iterations from w(0) = δw0, δ = 0.05, w0 a random unit vector. Stated outcomes: (Fig. 1a) the loss
over its initial value stays about 1 and ‖w‖ grows by a constant factor but stays small; (Fig. 1b) the alignment
∇N(w̃)ᵀw̃/‖∇N(w̃)‖ approaches 1 (Theorem 1); (Fig. 2) at iteration 50360 U has a single non-zero row (rank one) and v a
single non-zero entry; at initialisation the weights look unstructured.

Here: the paper's sizes, step, δ and iteration count at scales dev and paper; the teacher, data and w0 drawn from the
seed. The loss normalisation is not stated (edc eq. 1 prints the sum): with ½Σ the run escapes the small-initialisation
regime after about a thousand iterations, so the per-sample mean (1/n)Σ is used, and the printed sum is run beside it
(training_dynamics.py). The paper's 50360 is tied to its draw (it stops "when the weights have approximately converged
in direction"); the outcomes are therefore read at the end of the small-initialisation phase, the last checkpoint
before the loss leaves ±5% of L(0) (the paper's last iteration when it never does; checkpoints refined around it). The
gradient flow from the same start (verify.flow.rescaled_training_flow, scipy DOP853) checks that GD with the paper's
step follows the flow, and the NCF flow's blow-up from the phase's end direction gives the KKT point the weights are
heading to (verify.flow.blow_up).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.early_directional.kkt_points import kappa
from theorems.early_directional.training_dynamics import (
    ZERO_ROW,
    FlowReference,
    LimitPoint,
    PhaseEnd,
    TrainingCurves,
    descend_recorded,
    draw_curves,
    draw_weights,
    dynamics_outcomes,
    flow_reference,
    limit_point,
    nonzero,
    phase_end,
    refine_phase_end,
    sphere_inputs,
)
from verify.activations import Activation
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.nets import DTYPE, FeedForward, single_threaded
from verify.tables import fmt, markdown_table

SQUARED_RELU = Activation(0.0, 2)
PRINTED_SHARE = 10  # the printed-sum run covers the first 1/PRINTED_SHARE of the iterations (it leaves the regime sooner)


@dataclass(frozen=True)
class Figs12Settings:
    """n inputs on S^{d−1}, the student's and the teacher's hidden widths, δ, GD step and iterations, checkpoints per
    grid (log and even), those of the printed-sum run, and the flow reference's rtol."""

    n: int
    d: int
    width: int
    teacher_width: int
    delta: float
    step: float
    steps: int
    points: int
    printed_points: int
    rtol: float


SCALES = {
    "ci": Figs12Settings(n=30, d=5, width=6, teacher_width=2, delta=0.05, step=0.2, steps=2000, points=20, printed_points=6,
                         rtol=1e-6),
    "dev": Figs12Settings(n=100, d=10, width=20, teacher_width=2, delta=0.05, step=2e-2, steps=50360, points=100,
                          printed_points=20, rtol=1e-8),
    "paper": Figs12Settings(n=100, d=10, width=20, teacher_width=2, delta=0.05, step=2e-2, steps=50360, points=200,
                            printed_points=40, rtol=1e-10),
}


@dataclass(frozen=True)
class WeightShape:
    """Sorted row norms of U and |v| (largest first), how many are non-zero (≥ ZERO_ROW of the largest), κ(U)."""

    rows: np.ndarray
    entries: np.ndarray
    nonzero_rows: int
    nonzero_entries: int
    kappa: float


def _shape(net: FeedForward, w: np.ndarray) -> WeightShape:
    U, v = net.split(torch.as_tensor(w, dtype=DTYPE))
    rows = np.sort(U.norm(dim=1).numpy())[::-1]
    entries = np.sort(np.abs(v.numpy().ravel()))[::-1]
    return WeightShape(rows, entries, nonzero(rows), nonzero(entries), kappa([U]))


@dataclass(frozen=True)
class Figs12Result:
    """The mean-loss run (curves, its phase end, the weights' shape at the start and at the phase end, the flow
    reference, the NCF limit from the phase end and its shape) and the printed-sum run with its phase end."""

    scale: str
    seed: int
    settings: Figs12Settings
    curves: TrainingCurves
    phase: PhaseEnd
    start: WeightShape
    end: WeightShape
    reference: FlowReference
    limit: LimitPoint | None
    limit_shape: WeightShape | None
    printed: TrainingCurves
    printed_phase: PhaseEnd


@register_experiment
class Figures1And2(Experiment):
    name = "edc.figs1_2"
    title = "Figures 1–2: early training of a squared-ReLU net from δ = 0.05 (loss, ‖w‖, alignment, weights)"
    source = "edc §4.1.2, Figures 1–2 (digest §4.1, T12)"
    settings_text = (
        "The paper's sizes at scales dev and paper: H = vᵀmax(Ux, 0)², v ∈ R^20, U ∈ R^{20×10}; teacher v*ᵀmax(U*x, 0)², "
        "v* ∈ R², U* ∈ R^{2×10} i.i.d. N(0, 1); n = 100 inputs uniform on S⁹; GD step 0.02, 50360 iterations, δ = 0.05, w0 "
        "uniform on the unit sphere; float64. Scale ci: n = 30, d = 5, width 6, step 0.2 for 2000 iterations (the same "
        "time), deciding nothing. **Assumptions of ours**: the teacher, the data and w0 are drawn from the seed (the "
        "paper's draw is not available); the loss is the per-sample mean (1/n)Σ(H − y)² (the paper's normalisation is not "
        "stated; eq. 1's sum ½Σ, run beside it over the first tenth of the iterations, leaves the regime within a few per cent "
        "of them); the "
        "outcomes are read at the end of the small-initialisation phase, the last checkpoint before |L/L(0) − 1| > 5% "
        f"(the paper's last iteration when the loss never leaves that band); a row of U (entry of v) is non-zero when its "
        f"norm is at least {ZERO_ROW:g} of the largest (the eye on a heat map normalised to its largest entry); "
        "'approximately converged': alignment ≥ 0.95; 'grows by a constant factor but stays small': ‖w‖/‖w(0)‖ ≥ 2 and "
        "‖H(X; w)‖ ≤ 0.1‖y‖. Curves are read at log- and evenly spaced checkpoints, refined where the loss leaves the band."
    )

    def run(self, scale: str, seed: int, device) -> Figs12Result:
        s = SCALES[check_scale(scale)]
        rng = np.random.default_rng(seed)
        net = FeedForward((s.d, s.width, 1), SQUARED_RELU)
        teacher = FeedForward((s.d, s.teacher_width, 1), SQUARED_RELU)
        X = sphere_inputs(rng, s.n, s.d)
        y = teacher(torch.as_tensor(rng.standard_normal(teacher.n_params), dtype=DTYPE)[None], X)[0, :, 0]
        w0 = torch.as_tensor(rng.standard_normal(net.n_params), dtype=DTYPE)
        w0 = w0 / w0.norm()
        with single_threaded():
            curves = descend_recorded(net, X, y, s.delta * w0, scale=1.0 / s.n, step=s.step, steps=s.steps, points=s.points)
            curves = refine_phase_end(net, X, y, curves, s.points)
            phase = phase_end(curves)
            reference = flow_reference(net, X, y, w0, s.delta, curves, phase.index, rtol=s.rtol)
            limit = limit_point(net, X, y, curves.weights[phase.index])
            printed = descend_recorded(net, X, y, s.delta * w0, scale=0.5, step=s.step, steps=s.steps // PRINTED_SHARE,
                                       points=s.printed_points)
        return Figs12Result(scale, seed, s, curves, phase, _shape(net, curves.weights[0]), _shape(net, curves.weights[phase.index]),
                            reference, limit, _shape(net, limit.u) if limit else None, printed, phase_end(printed))

    def report(self, result: Figs12Result, figure_dir: Path) -> ExperimentReport:
        s, p, end = result.settings, result.phase, result.end
        decide = result.scale != "ci" and (p.escaped or p.alignment >= 0.95)
        lim, ls = result.limit, result.limit_shape
        limit_text = (f"; the NCF flow from there reaches a KKT point (residual {fmt(lim.residual)}, cos {fmt(lim.cosine, 4)}) "
                      f"with {ls.nonzero_rows} non-zero row(s) of U and {ls.nonzero_entries} entry(ies) of v, κ(U) = "
                      f"{fmt(ls.kappa)}" if lim and ls else "; N ≤ 0 at the end direction: no NCF limit")
        outcomes = dynamics_outcomes(p, s.steps, result.scale != "ci") + [
            Outcome("Fig. 2: at the end U has a single non-zero row (rank one) and v a single non-zero entry",
                    "one row of U, one entry of v",
                    f"at iteration {p.iteration}: {end.nonzero_rows} row(s) of U, {end.nonzero_entries} entry(ies) of v; "
                    f"second/largest row {fmt(end.rows[1] / end.rows[0], 3)}, entry {fmt(end.entries[1] / end.entries[0], 3)}; "
                    f"κ(U) = {fmt(end.kappa)}" + limit_text,
                    (end.nonzero_rows == 1 and end.nonzero_entries == 1) if decide else None,
                    f"non-zero: at least {ZERO_ROW:g} of the largest; at initialisation {result.start.nonzero_rows} of "
                    f"{s.width} rows and {result.start.nonzero_entries} entries are non-zero (unstructured)"),
        ]
        ref, pp = result.reference, result.printed_phase
        md = ["## Runs", "", markdown_table(
            ["loss", "phase end (iteration)", "left the ±5% band", "L/L(0) there", "‖w‖/‖w(0)‖ there", "alignment there",
             "L/L(0) at the run's last iteration", "overflow"],
            [["(1/n)Σ(H − y)² (ours)", p.iteration, fmt(p.escaped), fmt(p.loss_ratio, 4), fmt(p.norm_ratio, 3), fmt(p.alignment, 4),
              fmt(p.end_loss_ratio, 3), fmt(result.curves.overflow)],
             [f"½Σ(H − y)² (eq. 1 as printed; {result.printed.iterations[-1]} iterations)", pp.iteration, fmt(pp.escaped),
              fmt(pp.loss_ratio, 4), fmt(pp.norm_ratio, 3),
              fmt(pp.alignment, 4), fmt(pp.end_loss_ratio, 3), fmt(result.printed.overflow)]]), "",
              f"Gradient flow reference from the same start up to the phase end (rescaled time τ = tδ, rtol {s.rtol:g}, "
              f"{ref.nfev} field evaluations, {ref.status}): max ‖w_GD − w_GF‖/‖w_GF‖ = "
              f"{fmt(ref.gap)}, max |alignment difference| = {fmt(ref.alignment_gap)}.", "",
              "Largest row norms of U / entries of |v| at the phase end: "
              + ", ".join(fmt(float(r), 3) for r in end.rows[:4]) + " / " + ", ".join(fmt(float(e), 3) for e in end.entries[:4]), ""]
        figures = [self._curves(result, figure_dir / "edc.figs1_2-fig1.png"), self._weights(result, figure_dir)]
        data = {"settings": s, "phase": p, "printed_phase": pp, "flow_gap": ref.gap, "flow_alignment_gap": ref.alignment_gap,
                "rows_U": [float(r) for r in end.rows], "entries_v": [float(e) for e in end.entries], "kappa_U": end.kappa,
                "limit": None if lim is None else {"residual": lim.residual, "cosine": lim.cosine, "converged": lim.converged,
                                                   "rows": ls.nonzero_rows, "entries": ls.nonzero_entries}}
        return ExperimentReport("\n".join(md), figures, outcomes, data)

    @staticmethod
    def _curves(result: Figs12Result, path: Path) -> Path:
        from verify.plots import plt, save_figure

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        draw_curves(axes[0], axes[1], result.curves, result.phase, "(1/n)Σ loss")
        fig.suptitle(f"edc Figure 1: squared-ReLU net from δ = {result.settings.delta:g}, GD step {result.settings.step:g}", fontsize=10)
        return save_figure(fig, path, dpi=100)

    @staticmethod
    def _weights(result: Figs12Result, figure_dir: Path) -> Path:
        s = result.settings
        net = FeedForward((s.d, s.width, 1), SQUARED_RELU)
        mats = []
        phase = result.phase
        for label, w in (("init", result.curves.weights[0]), (f"iteration {phase.iteration}", result.curves.weights[phase.index])):
            U, v = net.split(torch.as_tensor(w, dtype=DTYPE))
            mats += [(f"|U| ({label})", U.numpy()), (f"|v| ({label})", v.numpy().T)]
        return draw_weights(figure_dir / "edc.figs1_2-fig2.png", mats, "edc Figure 2: |weights| / largest entry")
