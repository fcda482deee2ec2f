"""Experiment np.figs14_15: gradient descent near saddles whose H1-NCF vanishes identically (np §D.3, Figures 14–15).

np §D.3 ([X4], [X5] in the digest): (Fig. 14) the deep linear net W_3W_2W_1, 10×10 each, fitting S with i.i.d. N(0, 1)
entries (input = identity), near the saddle eq. (55) W̄_1 = [s_1^{1/3}v_1ᵀ; 0], W̄_2 = [[s_1^{1/3}, 0], [0, 0]],
W̄_3 = [s_1^{1/3}u_1, 0]; (Fig. 15) the squared-ReLU net W_3σ(W_2σ(W_1x)), W_1, W_2 10×10, W_3 1×10 (the caption's
10×10 is a typo, digest §6.8), two samples (±1/d·1, 1), near eq. (56) W̄_1 = [1ᵀ; 0], W̄_2 = [[1, 0], [0, 0]],
W̄_3 = [1, 0]. At both saddles ∇L = 0 and N_{ȳ,H̄1} ≡ 0. Stated outcomes (iterations 56 000 and 5 007 500): the loss stays
≈ constant, the weights near the saddle, w_z small, and w_z aligned with a KKT point of the constrained NCF of the
second-order term: ⟨S̄, H̄2⟩ with H̄2 = B_3C_2A_1 (degree 3), and ȳ_2H̄2(x_2; ·) with H̄2 = σ(b_2ᵀσ(A_1x)) (degree 6).

How: GD of ½‖H − Y‖² from (w̄_n + δn, δz) with η = 1/λ_max(∇²L̃(w̄_n)) (δ, step and run length are not given by the paper:
ours), tracking cos_KKT of the H̄2-NCF. Independent of δ: with w_z = δs the direction of s follows, as δ → 0, the projected
gradient flow on the sphere of the leading potential, which does not depend on δ; its KKT point reached by projected
ascent from z (verify.sphere.sphere_ascent) is compared with the H̄2-NCF's KKT condition. [DERIVED] for the squared-ReLU
saddle the loss has a second term of the same degree 6 in w_z, ½H̄1(x_1; w_z)² (ȳ_1 = 0 but H̄1(x_1; ·) ≠ 0), so as δ → 0
w_z follows the flow of ȳ_2H̄2(x_2; ·) − ½H̄1(x_1; ·)², not of the H̄2-NCF alone; the report gives both cosines.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.neuron_pursuit.saddle_dynamics import (
    hessian_extremes,
    kkt_cosines,
    loss_gradient_norm,
    loss_value,
    relative_distance,
    saddle_start,
    track_descent,
    weight_panels,
)
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.nets import DTYPE, Activation, FeedForward, single_threaded
from verify.plots import plt, save_figure
from verify.saddle import SaddleExpansion, SaddlePartition
from verify.sphere import sphere_ascent
from verify.tables import fmt, markdown_table

FLAT = 0.01  # loss ≈ constant: within 1% of the saddle's
KKT_COS = 0.99
NEAR = 0.1
EXACT = 1e-12  # ‖∇L(w̄)‖ and max |N_{ȳ,H̄1}| relative to their scales: zero to rounding


@dataclass(frozen=True)
class Plan:
    """One scale: δ, step caps and record spacing per case, and the growth of ‖w_z‖ (× δ) at which a run stops.

    delta_n: the size of the n-part of the start (δ_n = δ for the deep linear net; smaller for the squared ReLU, whose
    δ must be large, so that the n-part's transient alone does not move the loss by more than FLAT)."""

    delta: dict[str, float]
    max_steps: dict[str, int]
    record_every: dict[str, int]
    delta_n: dict[str, float]
    growth: float = 20.0


PLANS = {
    "ci": Plan({"deep linear": 0.01, "squared ReLU": 1.0}, {"deep linear": 3000, "squared ReLU": 1000},
               {"deep linear": 10, "squared ReLU": 10}, {"deep linear": 0.01, "squared ReLU": 0.01}),
    "dev": Plan({"deep linear": 1e-3, "squared ReLU": 1.0}, {"deep linear": 80_000, "squared ReLU": 20_000},
                {"deep linear": 50, "squared ReLU": 100}, {"deep linear": 1e-3, "squared ReLU": 0.01}),
    "paper": Plan({"deep linear": 1e-3, "squared ReLU": 1.0}, {"deep linear": 2_000_000, "squared ReLU": 5_007_500},
                  {"deep linear": 200, "squared ReLU": 5000}, {"deep linear": 1e-3, "squared ReLU": 0.01}),
}
D = 10


@dataclass
class ZeroNCFCase:
    name: str
    delta: float
    step: float
    saddle_grad: float  # ‖∇L(w̄)‖ / ‖∇L‖ scale
    h1_ncf_max: float  # max |N_{ȳ,H̄1}(u)| over random unit u, relative
    iterations: np.ndarray
    times: np.ndarray  # gradient-flow time kη
    loss_ratio: np.ndarray
    distance: np.ndarray
    wz_growth: np.ndarray  # ‖w_z‖/δ
    kkt_cos: np.ndarray  # of the H̄2-NCF
    kkt_cos_full: np.ndarray | None  # of ȳ_2H̄2(x_2) − ½H̄1(x_1)² (squared ReLU)
    limit_value: float  # the δ → 0 potential at the KKT point its projected ascent reaches from z
    limit_residual: float  # that point's KKT residual for the potential
    limit_kkt_cos: float  # cos_KKT of the H̄2-NCF there
    limit_cos_end: float  # cos(w_z(end), that point)
    params: np.ndarray
    end: int  # the last record with the loss within FLAT of the saddle's
    finite: bool
    seconds: float
    widths: tuple[int, ...]
    act: Activation


@dataclass
class Figs1415Result:
    scale: str
    seed: int
    plan: Plan
    seeds: tuple[int, ...]
    cases: list[ZeroNCFCase]


def deep_linear(seed: int):
    """Fig. 14: net, X = I, Y = Sᵀ (rows = samples), w̄ of eq. (55), the H̄2-NCF ⟨S̄, B_3C_2A_1⟩."""
    S = np.random.default_rng(seed).standard_normal((D, D))
    U, s, Vt = np.linalg.svd(S)
    net = FeedForward((D, D, D, D), Activation(1.0, 1))
    c = s[0] ** (1 / 3)
    W1, W2, W3 = np.zeros((D, D)), np.zeros((D, D)), np.zeros((D, D))
    W1[0], W2[0, 0], W3[:, 0] = c * Vt[0], c, c * U[:, 0]
    w_bar = net.flatten([torch.as_tensor(W, dtype=DTYPE) for W in (W1, W2, W3)])
    partition = SaddlePartition.from_counts(net, (D - 1, D - 1))
    S_bar = torch.as_tensor(S - s[0] * np.outer(U[:, 0], Vt[0]), dtype=DTYPE)

    def h2_ncf(w_z: torch.Tensor) -> torch.Tensor:
        b = partition.blocks(w_z)
        return (S_bar * (b.B[3] @ b.C[2] @ b.A[1])).sum(dim=(-2, -1))

    return net, torch.eye(D, dtype=DTYPE), torch.as_tensor(S.T, dtype=DTYPE), w_bar, partition, h2_ncf, None


def squared_relu():
    """Fig. 15: net, X = (±1/d·1), y = (1, 1), w̄ of eq. (56), the H̄2-NCF ȳ_2σ(b_2ᵀσ(A_1x_2)) and the degree-6 limit
    potential ȳ_2H̄2(x_2) − ½H̄1(x_1)² (module docstring)."""
    act = Activation(0.0, 2)
    net = FeedForward((D, D, D, 1), act)
    X = torch.stack([torch.full((D,), 1 / D, dtype=DTYPE), torch.full((D,), -1 / D, dtype=DTYPE)])
    Y = torch.ones(2, 1, dtype=DTYPE)
    W1, W2, W3 = torch.zeros(D, D, dtype=DTYPE), torch.zeros(D, D, dtype=DTYPE), torch.zeros(1, D, dtype=DTYPE)
    W1[0], W2[0, 0], W3[0, 0] = 1.0, 1.0, 1.0
    w_bar = net.flatten([W1, W2, W3])
    partition = SaddlePartition.from_counts(net, (D - 1, D - 1))
    ybar = (Y - net(w_bar, X))[:, 0]
    w_n_bar = partition.split(w_bar)[0]
    h1 = SaddleExpansion(partition, w_n_bar, X)

    def h2_ncf(w_z: torch.Tensor) -> torch.Tensor:
        b = partition.blocks(w_z)
        inner = act(act(X @ b.A[1].transpose(-1, -2)) @ b.B[2].transpose(-1, -2))  # σ(b_2ᵀσ(A_1x_i)): (*B, n, 1)
        return (ybar[:, None] * inner).sum(dim=(-2, -1))

    def limit_potential(w_z: torch.Tensor) -> torch.Tensor:
        return h2_ncf(w_z) - 0.5 * h1.h1(w_z)[..., 0, 0] ** 2

    return net, X, Y, w_bar, partition, h2_ncf, limit_potential


@register_experiment
class Figs14To15(Experiment):
    name = "np.figs14_15"
    title = "np Figures 14–15: gradient descent near saddles with an identically zero H1-NCF (§D.3)"
    source = "np §D.3 (Figures 14–15)"
    settings_text = (
        "The paper's sizes at every scale: d = 10, deep linear W_3W_2W_1 (10×10 each), S i.i.d. N(0, 1) from the run's seed; "
        "squared ReLU (10, 10, 10, 1) on the two samples (±1/10·1, 1). Saddles eqs. (55), (56); G_z = the last 9 neurons of "
        "each hidden layer. Assumptions of ours (not stated by the paper): loss ½‖H − Y‖² (sum); start (w̄_n + δn, δz) with "
        "n, z uniform unit vectors (z's B blocks negated if the H̄2-NCF at z is <= 0); start (w̄_n + δ_n·n, δz); GD step "
        "η = 1/λ_max(∇²L̃(w̄_n)); (δ, δ_n) deep linear = (0.01, 0.01) ci, (1e-3, 1e-3) dev and paper; squared ReLU (1, 0.01) "
        "at every scale; a run stops when ‖w_z‖ reaches 20δ, the loss leaves 1% of the saddle's, or at its cap (ci 3000/1000, "
        "dev 80 000/20 000, paper 2·10^6/5 007 500 steps). The squared-ReLU plateau lasts ~δ^{−4} in gradient-flow time "
        "(degree 6), so δ cannot be small there: δ = 1 is 1/‖w̄‖ = 0.58 relative, and even so w_z barely moves within a dev "
        "budget. Gradient-flow time t = kη; the paper's counts (56 000, 5 007 500) are for its unknown step."
    )

    def run(self, scale: str, seed: int, device) -> Figs1415Result:
        plan = PLANS[check_scale(scale)]
        seeds = tuple(int(s) for s in np.random.default_rng(seed).integers(2**31 - 1, size=4))
        cases = []
        with single_threaded():
            for name, build in (("deep linear", lambda: deep_linear(seeds[0])), ("squared ReLU", squared_relu)):
                cases.append(self._case(name, build(), plan, seeds))
        return Figs1415Result(scale, seed, plan, seeds, cases)

    def _case(self, name: str, problem, plan: Plan, seeds: tuple[int, ...]) -> ZeroNCFCase:
        t0 = time.perf_counter()
        net, X, Y, w_bar, partition, h2_ncf, limit = problem
        w_n_bar = partition.split(w_bar)[0]
        ybar = Y - net(w_bar, X)
        grad = loss_gradient_norm(net, w_bar, X, Y) / max(1.0, float(ybar.norm()) * float(w_bar.norm()) ** 2)
        h1 = SaddleExpansion(partition, w_n_bar, X).ncf_objective(ybar)
        u = torch.randn(64, partition.n_wz, generator=torch.Generator().manual_seed(seeds[1]), dtype=DTYPE)
        u = u / u.norm(dim=-1, keepdim=True)
        h1_max = float(h1(u).abs().max()) / (float(ybar.norm()) * max(1.0, float(w_n_bar.norm())) ** 2)
        delta = plan.delta[name]
        w0, _, z = saddle_start(partition, w_n_bar, delta, seeds[2 if name == "deep linear" else 3], h2_ncf, plan.delta_n[name])
        _, lam = hessian_extremes(partition.n_net, w_n_bar, X, Y)
        step = 1.0 / lam
        loss_saddle = loss_value(net, w_bar, X, Y)
        every = plan.record_every[name]

        def stop(_its: np.ndarray, losses: np.ndarray, w: torch.Tensor) -> bool:
            return abs(losses[-1] / loss_saddle - 1) > FLAT or float(partition.split(w)[1].norm()) >= plan.growth * delta

        track = track_descent(net, X, Y, w0, step=lambda _losses: step, max_steps=plan.max_steps[name], record_every=every, stop=stop)
        P = torch.as_tensor(track.params, dtype=DTYPE)
        W_z = partition.split(P)[1]
        # the δ → 0 limit (w_z = δs, time δ^{q−2}t): s's direction follows the projected gradient flow of the potential on
        # the sphere (H̄2-NCF, or ȳ_2H̄2 − ½H̄1(x_1)² for the squared ReLU), whatever δ; its monotone projected ascent from z
        # (verify.sphere.sphere_ascent) stands in for it
        potential = limit or h2_ncf
        ascent = sphere_ascent(potential, z[None], steps=5000)
        star = ascent.u[0]
        ratio = track.losses / loss_saddle
        flat = np.nonzero(np.abs(ratio - 1) > FLAT)[0]
        end = int(flat[0]) - 1 if flat.size else len(ratio) - 1
        return ZeroNCFCase(name, delta, step, grad, h1_max, track.iterations, track.times, ratio, relative_distance(track.params, w_bar),
                           W_z.norm(dim=-1).numpy() / delta, kkt_cosines(h2_ncf, W_z),
                           None if limit is None else kkt_cosines(limit, W_z), float(ascent.value[0]),
                           float(ascent.kkt_residual[0]), float(kkt_cosines(h2_ncf, star[None])[0]),
                           float(W_z[max(end, 0)] @ star / W_z[max(end, 0)].norm()), track.params, max(end, 0), track.finite,
                           time.perf_counter() - t0, net.widths, net.activation)

    # -- report: formatting only ----------------------------------------------------------------------------------

    def report(self, result: Figs1415Result, figure_dir: Path) -> ExperimentReport:
        figures, outcomes, rows = [], [], []
        for case in result.cases:
            fig = "Fig. 14" if case.name == "deep linear" else "Fig. 15"
            paper_it = "56 000" if case.name == "deep linear" else "5 007 500"
            k = case.end
            path = Path(figure_dir) / f"np.figs14_15-{case.name.replace(' ', '_')}.png"
            _figure(case, path)
            figures.append(path)
            outcomes.append(Outcome(f"{fig}: ∇L = 0 and N_(ȳ,H̄1) ≡ 0 at the saddle (§D.3)", "0 and 0",
                                    f"‖∇L(w̄)‖ = {fmt(case.saddle_grad, 2)}, max |N_(ȳ,H̄1)| = {fmt(case.h1_ncf_max, 2)} (relative)",
                                    bool(case.saddle_grad <= EXACT and case.h1_ncf_max <= EXACT), f"zero: <= {EXACT:g}"))
            grew = case.wz_growth[k]
            outcomes.append(Outcome(
                f"{fig}(a–c): loss ≈ constant, weights near the saddle, w_z small ({case.name})",
                f"so at iteration {paper_it}",
                f"loss within {FLAT:.0%} for {case.iterations[k]} iterations (t = {fmt(case.times[k], 4)}); "
                f"‖w − w̄‖/‖w̄‖ = {fmt(case.distance[k], 3)}; ‖w_z‖ grew ×{fmt(grew, 3)} from δ",
                bool(case.distance[k] <= NEAR) if grew >= 2 else None,
                f"near: ‖w − w̄‖/‖w̄‖ <= {NEAR}; undecided when ‖w_z‖ has not grown ×2 (nothing happened yet)"))
            cos = case.kkt_cos[k]
            outcomes.append(Outcome(
                f"{fig}(d): w_z aligned with a KKT point of the constrained H̄2-NCF ({case.name})", "cos_KKT → 1 (≈ 1 for Fig. 15)",
                f"cos_KKT = {fmt(float(cos), 6)} at iteration {case.iterations[k]}; cos(w_z, the δ → 0 limit potential's KKT "
                f"point reached from z) = {fmt(case.limit_cos_end, 6)}"
                + ("" if case.kkt_cos_full is None else f"; of the degree-6 limit potential: {fmt(float(case.kkt_cos_full[k]), 6)}"),
                bool(cos >= KKT_COS) if grew >= 2 else None, f"aligned: >= {KKT_COS}; undecided before ‖w_z‖ grew ×2"))
            converged = case.limit_residual <= 1e-8
            if case.kkt_cos_full is not None:  # squared ReLU only: for the deep linear net the potential is the H̄2-NCF itself
                outcomes.append(Outcome(
                    f"{fig}(d) as δ → 0: the direction w_z takes is a KKT point of the constrained H̄2-NCF ({case.name})",
                    "cos_KKT → 1",
                    f"the δ → 0 potential's projected ascent from z reaches value {fmt(case.limit_value, 6)} (KKT residual "
                    f"{fmt(case.limit_residual, 2)}), where cos_KKT of the H̄2-NCF = {fmt(case.limit_kkt_cos, 10)}; "
                    f"cos(w_z(end), it) = {fmt(case.limit_cos_end, 6)}",
                    (bool(case.limit_kkt_cos >= KKT_COS) if case.limit_value > 0 else None) if converged else None,
                    "δ-independent: decided at the ascent's limit (converged: residual <= 1e-8; value > 0, so the limit flow escapes); "
                    "the ascent stands in for the projected flow and may end in another basin"))
            rows.append([case.name, fmt(case.delta), fmt(case.step, 4), case.iterations[-1], fmt(case.times[-1], 4),
                         case.iterations[k], fmt(case.loss_ratio[k], 6), fmt(case.distance[k], 3), fmt(grew, 3),
                         fmt(float(cos), 6), "–" if case.kkt_cos_full is None else fmt(float(case.kkt_cos_full[k]), 6),
                         "yes" if case.finite else "no", fmt(case.seconds, 3)])
        text = ["## Runs", "", markdown_table(
            ["case", "δ", "step η", "iterations run", "GF time", "last flat record", "L/L̄ there", "‖w − w̄‖/‖w̄‖", "‖w_z‖/δ",
             "cos_KKT (H̄2-NCF)", "cos_KKT (ȳ_2H̄2 − ½H̄1(x_1)²)", "finite", "seconds"], rows), "",
            "The last column pair: for the squared-ReLU saddle the loss near the saddle is L̄ − δ^6[ȳ_2H̄2(x_2; s) − "
            "½H̄1(x_1; s)²] + o(δ^6) (w_z = δs, [DERIVED] here, not in the paper), so the degree-6 potential that drives w_z "
            "as δ → 0 has the extra term; the paper's Figure 15 reports the H̄2-NCF alone."]
        data = {"seeds": list(result.seeds), "cases": [
            {"case": c.name, "delta": c.delta, "step": c.step, "iterations": int(c.iterations[-1]), "end": int(c.iterations[c.end]),
             "kkt_cos": float(c.kkt_cos[c.end]), "growth": float(c.wz_growth[c.end]), "saddle_grad": c.saddle_grad,
             "h1_ncf_max": c.h1_ncf_max} for c in result.cases]}
        return ExperimentReport("\n".join(text), figures, outcomes, data)


def _figure(case: ZeroNCFCase, path: Path) -> None:
    partition = SaddlePartition.from_counts(FeedForward(case.widths, case.act), (D - 1, D - 1))
    fig = plt.figure(figsize=(12, 8))
    grid = fig.add_gridspec(3, 3)
    it = np.maximum(case.iterations, 1)
    ax = fig.add_subplot(grid[0, 0:2])
    ax.semilogx(it, case.loss_ratio, label="loss / loss at saddle")
    ax.semilogx(it, case.distance, label="‖w − w̄‖/‖w̄‖")
    ax.legend(fontsize=8)
    ax.set_title(f"{case.name}: (a)", fontsize=9)
    ax = fig.add_subplot(grid[0, 2])
    ax.semilogx(it, case.kkt_cos, label="H̄2-NCF")
    if case.kkt_cos_full is not None:
        ax.semilogx(it, case.kkt_cos_full, label="ȳ₂H̄2 − ½H̄1(x₁)²")
    ax.legend(fontsize=7)
    ax.set_title("(d) cos_KKT", fontsize=9)
    for row, (title, k) in enumerate((("(e) w_z at init", 0), (f"(f) w_z at {case.iterations[case.end]}", case.end)), start=1):
        weight_panels([fig.add_subplot(grid[row, c]) for c in range(3)], partition, case.params[k], title, z_only=True)
    save_figure(fig, path, dpi=80)
