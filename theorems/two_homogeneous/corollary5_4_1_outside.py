"""Experiment dc2.corollary5_4_1_outside: a separable net with blocks that violate non-branching — what happens, no verdict.

dc2 Corollary 5.4.1 (checked by dc2.corollary5_4_1; digest ../shared/spec/two_homogeneous.md COR-5.4.1, DEF-4.1,
LEM-E.1, LEM-E.2, §3.3) assumes the start w0 non-branching for the NCF inclusion u̇ ∈ ∂N(u). Here the separable net
H(x; w) = Σ_k a_k|b_k x| (a two-layer net with σ(s) = max(s, −s) = |s|, each hidden neuron (a_k, b_k) a block) on one
sample x = 1 with label y = 1 has the blockwise NCF N_k(a, b) = a|b| — dc2 Appendix E's f(u1, u2) = u1|u2| — so:

* a block started on {b = 0, a > 0} is branching (Lemma E.1): u(t) = (c, 0) until any escape time, then
  c(cosh(t − T), ±sinh(t − T)); autograd's |·|′(0) = 0 picks the solution that never escapes;
* blocks started there plus a tiny b = τ ≠ 0 are non-branching, and escape at once (ḃ = a·sign b = c: Lemma E.1's escape
  time T = 0, the sign of τ choosing the branch): the direction at any later time jumps from 0° to ±45° as τ crosses 0,
  so which solution the training flow follows is decided by rounding-sized perturbations of w0;
* a block with a < 0 and |b| < |a| reaches the kink b = 0 at t̄ = artanh(|b|/|a|) and stays there (Lemma E.2 case 3:
  the path passes through a kink, non-branching);
* a generic block (|b| > |a|, or 0 < |b| ≤ |a| with a > 0) grows and converges in direction to (1, ±1)/√2.

Shown per block: its start and Lemma E.2 case, the direction angle atan2(b, a) and the norm along the NCF flow (δ = 0)
and along the training flow rescaled by δ (verify.flow.rescaled_training_flow: s = w/δ, the same time for L = 2), at a
grid of times, whether the direction has settled (its change over the last interval), and for non-branching blocks the
distance of the integrated NCF flow from Lemma E.2's closed form; for the branching block the spread of Lemma E.1's
solutions at each time. The corollary claims nothing here: the report decides nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.two_homogeneous.abs_product import case, hitting_time, solution
from verify.activations import Activation
from verify.experiments import Experiment, ExperimentReport, check_scale, register_experiment
from verify.flow import integrate_batch, loss_flow, ncf_flow, rescaled_start, rescaled_training_flow
from verify.nets import DTYPE, FeedForward
from verify.plots import plt, save_figure
from verify.tables import fmt, markdown_table

ABS = Activation(-1.0, 1)  # σ(s) = max(s, −s) = |s|
TIMES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 16.0)  # NCF time; ‖u‖ grows at most like e^t (N_k ≤ ‖u_k‖²/2)
DELTAS = {"ci": (1e-2, 1e-4), "dev": (1e-2, 1e-3, 1e-4, 1e-6), "paper": (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)}
# the branching block's perturbations τ (b = τ at a = c): 0 is the branching start itself
TAUS = {"ci": (0.0, 1e-12, 1e-6), "dev": (0.0, 1e-15, 1e-12, 1e-9, 1e-6, -1e-6, 1e-3),
        "paper": (0.0, 1e-15, 1e-12, 1e-9, 1e-6, -1e-6, 1e-3)}
GENERIC = {"ci": 1, "dev": 2, "paper": 4}  # generic (non-branching, growing) blocks drawn from the seed
SETTLED = 1e-6  # a block's direction has settled when its angle moved by less than this (radians) over the last interval
RTOL = 1e-10
MAIN_STEPS = 20_000  # step budget of the rows of the blocks that do not slide
KINK_STEPS = 500  # step budget of the sliding block's own rows (it chatters at the kink: they end there)


@dataclass(frozen=True)
class Block:
    """One block's start (a, b) (before the common normalisation of w0), its kind and Lemma E.2 case (0: branching)."""

    kind: str
    a: float
    b: float

    @property
    def case(self) -> int:
        return case((self.a, self.b))


@dataclass(frozen=True)
class BlockPath:
    """One block along one row (δ = 0: the NCF flow): angle atan2(b, a) and norm at TIMES (NaN once the row stopped)."""

    angle: tuple[float, ...]
    norm: tuple[float, ...]

    @property
    def settled(self) -> bool | None:
        """The angle's change over the last interval is below SETTLED (None: the row did not reach the end)."""
        if not (math.isfinite(self.angle[-1]) and math.isfinite(self.angle[-2])):
            return None
        return abs(self.angle[-1] - self.angle[-2]) < SETTLED


@dataclass(frozen=True)
class OutsideResult:
    """Per row (δ = 0 first, then each δ) its status and steps and per block its path; per block the NCF row's distance
    from Lemma E.2's closed form at TIMES (max over times, relative to the norm; NaN for the branching start) and, for
    the branching start, the spread of Lemma E.1's solutions at each time (the largest angle any of them reaches); the
    case-3 block's hitting time t̄ = artanh(|b|/|a|) (Lemma E.2) and the time its own rows reached (per row)."""

    scale: str
    seed: int
    blocks: tuple[Block, ...]
    deltas: tuple[float, ...]
    status: tuple[str, ...]
    steps: tuple[int, ...]
    paths: tuple[tuple[BlockPath, ...], ...]  # [row][block]
    closed_form_error: tuple[float, ...]
    branch_spread: tuple[float, ...]
    kink_time: float
    kink_reached: tuple[float, ...]


def blocks_for(scale: str, rng: np.random.Generator) -> tuple[Block, ...]:
    """The branching start (c, 0) and its perturbations, a start that reaches the kink b = 0 (case 3), and generic ones."""
    c = float(rng.uniform(0.5, 1.0))
    out = [Block("branching" if tau == 0 else f"branching + τ = {tau:g}", c, tau) for tau in TAUS[scale]]
    a3 = -float(rng.uniform(0.5, 1.0))
    out.append(Block("reaches the kink b = 0 (case 3)", a3, float(rng.uniform(0.2, 0.8)) * abs(a3)))
    for _ in range(GENERIC[scale]):
        a, b = rng.normal(size=2)
        out.append(Block("generic", float(abs(a)), float(b)))  # a > 0, b ≠ 0: cases 1 or 2, growing
    return tuple(out)


def _paths(W: np.ndarray, K: int, norm0: float) -> tuple[BlockPath, ...]:
    """Per block (a_k, b_k) = (W[:, K + k], W[:, k]) from states W (times, 2K) of the unnormalised start's scale."""
    out = []
    for k in range(K):
        a, b = W[:, K + k] * norm0, W[:, k] * norm0
        out.append(BlockPath(tuple(float(x) for x in np.arctan2(b, a)), tuple(float(x) for x in np.hypot(a, b))))
    return tuple(out)


@register_experiment
class Corollary541Outside(Experiment):
    name = "dc2.corollary5_4_1_outside"
    title = "dc2 Corollary 5.4.1 outside its hypotheses: separable blocks at a branching point, measured without a verdict"
    source = "dc2 Corollary 5.4.1 (hypothesis: w0 non-branching, Definition 4.1; Lemmas E.1, E.2)"
    settings_text = (
        "H(x; w) = Σ_k a_k|b_k x| (verify.nets.FeedForward((1, K, 1)) with σ = max(s, −s)), one sample x = 1, y = 1, loss "
        "½(H − y)² (so z = y and N_k = a_k|b_k|). Blocks: the branching start (c, 0), c ~ U[0.5, 1] from the seed, and the "
        "same with b = τ for τ in " + "; ".join(f"{k}: {v}" for k, v in TAUS.items()) + "; a start (a, b) with a ~ −U[0.5, 1], "
        "|b| ~ U[0.2, 0.8]|a| (case 3: reaches the kink b = 0); generic starts (|a|, b) with a, b ~ N(0, 1) ("
        + ", ".join(f"{k} {v}" for k, v in GENERIC.items()) + "). w0 is the blocks stacked and normalised (the table "
        "shows the blocks before normalisation: the directions are the same). Rows: δ = 0 (the NCF flow) and δ in "
        + "; ".join(f"{k} {v}" for k, v in DELTAS.items()) + ", one tensor program (verify.flow.rescaled_training_flow, "
        f"integrate_batch, DOP853 rtol {RTOL:g}, kink sliding monitored but not stopping a row), read at t ∈ {TIMES}. "
        "The paper runs no such experiment: the scales differ only in blocks and δ."
    )

    def run(self, scale: str, seed: int, device) -> OutsideResult:
        check_scale(scale)
        rng = np.random.default_rng(seed)
        blocks = blocks_for(scale, rng)
        deltas = DELTAS[scale]
        # the case-3 block slides along its kink once it reaches b = 0 (a < 0 pulls b back to 0 from both sides): the
        # explicit integrator chatters there with ever smaller steps, so it runs as a net of its own, with its own step
        # budget, and the kink stops only its rows (its coupling with the others through the residual H − y is lost)
        groups = [[k for k, blk in enumerate(blocks) if blk.case != 3], [k for k, blk in enumerate(blocks) if blk.case == 3]]
        status: list[list[str]] = [[] for _ in range(len(deltas) + 1)]
        steps = [0] * (len(deltas) + 1)
        paths: list[dict[int, BlockPath]] = [{} for _ in range(len(deltas) + 1)]
        reached: tuple[float, ...] = ()
        for group, budget in zip(groups, (MAIN_STEPS, KINK_STEPS)):
            if not group:
                continue
            K = len(group)
            net = FeedForward((1, K, 1), ABS)
            w = np.concatenate([[blocks[k].b for k in group], [blocks[k].a for k in group]])
            norm0 = float(np.linalg.norm(w))
            X, Y = torch.ones((1, 1), dtype=DTYPE), torch.ones(1, dtype=DTYPE)
            flow = rescaled_training_flow(loss_flow(net, X, Y, scale=0.5), ncf_flow(net, X, Y))
            b = integrate_batch(flow, rescaled_start(torch.as_tensor(w / norm0, dtype=DTYPE), (0.0, *deltas)), TIMES[-1],
                                rtol=RTOL, atol=RTOL * 1e-3, t_eval=TIMES, max_steps=budget, kink_steps=10**9)
            states = b.u_eval[:, :, :-1].numpy()  # (rows, times, 2K), NaN after a row stopped
            for i in range(len(deltas) + 1):
                status[i].append(b.status[i].value)
                steps[i] += int(b.steps[i] + b.rejected[i])
                paths[i].update(zip(group, _paths(states[i], K, norm0)))
            if budget == KINK_STEPS:
                reached = tuple(float(t) for t in b.t_reached)
        errors = []
        for k, blk in enumerate(blocks):
            if blk.case == 0:
                errors.append(math.nan)
                continue
            exact = np.array([solution((blk.a, blk.b), t) for t in TIMES])
            p = paths[0][k]
            got = np.stack([np.asarray(p.norm) * np.cos(p.angle), np.asarray(p.norm) * np.sin(p.angle)], axis=1)
            with np.errstate(invalid="ignore"):
                errors.append(float(np.nanmax(np.linalg.norm(got - exact, axis=1) / np.linalg.norm(exact, axis=1))))
        # Lemma E.1: from (c, 0) every escape time T ≤ t and sign gives a solution; its angle at t is atan(tanh(t − T)),
        # so the solutions at time t fill the angles [−atan(tanh t), atan(tanh t)]
        spread = [float(math.atan(math.tanh(t))) for t in TIMES]
        kink = next(blk for blk in blocks if blk.case == 3)
        return OutsideResult(scale, seed, blocks, deltas, tuple(" / ".join(x) for x in status), tuple(steps),
                             tuple(tuple(p[k] for k in range(len(blocks))) for p in paths), tuple(errors), tuple(spread),
                             hitting_time((kink.a, kink.b)), reached)

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: OutsideResult, figure_dir: Path) -> ExperimentReport:
        figure = Path(figure_dir) / "dc2.corollary5_4_1_outside-angles.png"
        rows_names = ["δ = 0 (NCF)"] + [f"δ = {d:g}" for d in result.deltas]
        fig, axes = plt.subplots(1, len(rows_names), figsize=(3.2 * len(rows_names), 3.4), sharey=True)
        for ax, name, paths in zip(np.atleast_1d(axes), rows_names, result.paths):
            for k, (blk, p) in enumerate(zip(result.blocks, paths)):
                ax.plot(TIMES, np.degrees(p.angle), "o-", ms=3, lw=0.8, color=f"C{k % 10}", label=blk.kind)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("t")
        np.atleast_1d(axes)[0].set_ylabel("block angle atan2(b, a) (degrees)")
        np.atleast_1d(axes)[-1].legend(fontsize=6)
        save_figure(fig, figure, dpi=110)

        blocks = markdown_table(
            ["block", "kind", "start (a, b)", "Lemma E.2 case (0: branching)",
             "NCF row vs Lemma E.2's closed form (max relative error over the times the row reached)"],
            [[k, blk.kind, f"({fmt(blk.a, 4)}, {fmt(blk.b, 3)})", blk.case, fmt(result.closed_form_error[k], 2)]
             for k, blk in enumerate(result.blocks)])
        rows = markdown_table(["row", "status (the blocks' net / the case-3 block's own net)", "steps (accepted + rejected)"],
                              [[n, s, st] for n, s, st in zip(rows_names, result.status, result.steps)])
        header = ["row", "block", "kind"] + [f"angle° at t = {fmt(t)}" for t in TIMES] + ["‖block‖ at the end", "settled"]
        per_block = []
        for name, paths in zip(rows_names, result.paths):
            for k, (blk, p) in enumerate(zip(result.blocks, paths)):
                per_block.append([name, k, blk.kind] + [fmt(math.degrees(a), 5) for a in p.angle]
                                 + [fmt(p.norm[-1], 4), {True: "yes", False: "no", None: "–"}[p.settled]])
        md = "\n".join([
            "## Blocks", "",
            "Each neuron (a_k, b_k) of H = Σ_k a_k|b_k x| is a block; its NCF is N_k = a_k|b_k| (dc2 Appendix E's f). The "
            "corollary assumes w0 non-branching; the first block violates it.", "", blocks, "",
            "## Rows", "", rows, "",
            "## Per-block directions along each row", "",
            "The angle of each block's direction at each time; 'settled': its angle moved by less than "
            f"{SETTLED:g} rad over the last interval. A direction of ±45° is Lemma E.1/E.2's limit (1, ±1)/√2; 0° the "
            "branching point's own direction; 180° the stationary set b = 0, a < 0.", "", markdown_table(header, per_block), "",
            "## The branching block's other solutions", "",
            "From (c, 0) Lemma E.1's solutions (escape at any T ≤ t, either sign) reach every angle in ±atan(tanh t) at time t: "
            + ", ".join(f"t = {fmt(t)}: ±{fmt(math.degrees(s), 4)}°" for t, s in zip(TIMES, result.branch_spread))
            + ". The integrated rows follow one of them (autograd's |·|′(0) = 0 keeps b = 0 for ever); any perturbation "
            "τ ≠ 0 selects the escape at T = 0 on the side of its sign.", "",
            "## The block that reaches the kink", "",
            f"Lemma E.2 (case 3): b reaches 0 at t̄ = {fmt(result.kink_time, 5)} and stays (Filippov: a < 0 pulls b back from "
            "both sides). The explicit integrator chatters there; its rows (a net of their own) stopped at t = "
            + ", ".join(f"{fmt(t, 5)} ({n})" for t, n in zip(result.kink_reached, rows_names)) + ".",
        ])
        data = {"blocks": [{"kind": blk.kind, "a": blk.a, "b": blk.b, "case": blk.case} for blk in result.blocks],
                "deltas": list(result.deltas), "status": list(result.status), "steps": list(result.steps),
                "angles": [[list(p.angle) for p in paths] for paths in result.paths],
                "settled": [[p.settled for p in paths] for paths in result.paths],
                "closed_form_error": list(result.closed_form_error), "kink_time": result.kink_time,
                "kink_reached": list(result.kink_reached)}
        return ExperimentReport(md, [figure], [], data)
