"""Experiment np.figs1_4: gradient descent near a sparse saddle and beyond it (np §3.4 Figures 1–2, §4 Figures 3–4).

np trains W_3σ(W_2σ(W_1x)), W_1 10×20, W_2 10×10, W_3 1×10 (the captions' 1×20 is a typo, digest §6.7), σ = x² (Figs 1, 3)
and ReLU (Figs 2, 4), from (w̄_n + δn, δz) next to a saddle (w̄_n, 0) whose last 9 neurons per hidden layer have zero
incoming and outgoing weights. Stated outcomes (digest §4.1): the loss stays nearly constant and the weights near the
saddle for a long plateau while w_z stays small and aligns with a KKT point of the constrained H̄1-NCF (cos_KKT → 1);
at the end of the plateau only one first-layer z-neuron is large for x² (several for ReLU), and a z-neuron's incoming
weights are small iff its outgoing ones are (np Lemma 9); continuing (Figs 3–4), the loss drops and plateaus at a new
saddle, and the z-neurons that were small stay small.

How (the paper does not give its data, labels, saddle, δ or step; digest §4.1's recommended reproduction): Gaussian
inputs; w̄_n a local minimum of L̃ found by L-BFGS on the 1-1-1 network from random starts (gradient and Hessian reported),
embedded with zero z-blocks; GD with step η = c/λ_max(∇²L̃(w̄_n)) on the first plateau and a quarter of it after.
As δ → 0 w_z follows the NCF flow of H̄1 from δz (np
Theorem 7): for x² (degree 3) its blow-up on the sphere (verify.flow.blow_up, independent of δ) gives the limit direction
z* and the time T*(z)/δ, which are compared with the run's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.optimize as so
import torch
from threadpoolctl import threadpool_limits

from theorems.neuron_pursuit.saddle_dynamics import (
    Plateaus,
    clarke_h1_cosine,
    hessian_extremes,
    kkt_cosines,
    large_neurons,
    loss_gradient_norm,
    loss_value,
    plateaus,
    relative_distance,
    saddle_start,
    track_descent,
    weight_panels,
    z_neuron_energies,
)
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.flow import blow_up, gradient_flow
from verify.nets import DTYPE, Activation, FeedForward, single_threaded
from verify.plots import plt, save_figure
from verify.pursuit import loss_and_grad
from verify.saddle import SaddleExpansion, SaddlePartition
from verify.tables import fmt, markdown_table

FLAT = 0.01  # a plateau: the loss within 1% of its level
FIRST = 1e-3  # the first plateau ends when the loss leaves 0.1% of the saddle's (the paper's i1: just before the escape)
LARGE = 0.1  # a z-neuron is large when its energy is >= 10% of the largest z-neuron's
SMALL = 0.01  # ... and small when it is < 1% of it (between the two: neither)
KKT_COS = 0.99  # "aligned": cos_KKT >= this
NEAR = 0.1  # "near the saddle": ‖w − w̄‖/‖w̄‖ <= this
CLARKE_TAU = 1e-2  # kink threshold of the Clarke cosine, relative to the layer's scale (DESIGN.md used 3e-2)
AFTER_ESCAPE = 0.25  # the step is cut to this fraction once the loss leaves the first plateau (the curvature grows)


@dataclass(frozen=True)
class Plan:
    """One scale: widths, samples, δ per σ, GD step factor c (η = c/λ_max), step caps and record spacing per σ."""

    widths: tuple[int, ...]
    n: int
    delta: dict[str, float]
    step_factor: float
    max_steps: dict[str, int]
    record_every: dict[str, int]
    restarts: int = 10


PLANS = {
    "ci": Plan((20, 10, 10, 1), 30, {"x²": 0.2, "ReLU": 1e-8}, 1.0, {"x²": 1000, "ReLU": 1500}, {"x²": 20, "ReLU": 5}, 3),
    "dev": Plan((20, 10, 10, 1), 50, {"x²": 0.03, "ReLU": 1e-20}, 1.0, {"x²": 60_000, "ReLU": 8000}, {"x²": 20, "ReLU": 5}),
    "paper": Plan((20, 10, 10, 1), 50, {"x²": 0.01, "ReLU": 1e-40}, 1.0, {"x²": 1_000_000, "ReLU": 50_000},
                  {"x²": 100, "ReLU": 10}),
}
CASES = (("x²", Activation(1.0, 2)), ("ReLU", Activation(0.0, 1)))


@dataclass
class Saddle:
    """w̄_n (a local minimum of L̃ on the 1-1-1 net) and its checks: L̃(w̄_n)/L(0), ‖∇L̃‖, Hessian extremes, restarts
    that converged (‖∇L̃‖ <= 1e-6)."""

    w_n: torch.Tensor
    loss_ratio_origin: float
    grad_norm: float
    hessian_min: float
    hessian_max: float
    converged: int
    restarts: int


@dataclass
class Case:
    """One σ: the saddle, the GD track and what was measured on it (indices into the records)."""

    name: str
    delta: float
    step: float  # η on the first plateau (AFTER_ESCAPE·η after it)
    saddle: Saddle
    loss_saddle: float
    saddle_grad: float
    ncf_z: float  # N_{ȳ,H̄1}(z) at the unit start direction
    iterations: np.ndarray
    times: np.ndarray  # gradient-flow time Σ η_k
    loss_ratio: np.ndarray
    distance: np.ndarray
    wz_norm: np.ndarray
    kkt_cos: np.ndarray
    params: np.ndarray
    finite: bool
    phases: Plateaus
    clarke_cos_i1: float | None
    large_i1: tuple
    small_i1: tuple
    large_in_i1: tuple
    large_out_i1: tuple
    large_i2: tuple
    flow_T_star: float | None  # T*(z) of the H̄1-NCF flow (degree 3); the flow from δz blows up at T*(z)/δ
    flow_cos_i1: float | None  # cos(w_z(i1), z*) with z* the flow's limit direction
    flow_converged: bool | None
    flow_kkt_cos: float | None  # cos_KKT at z* (1 at a KKT point)
    loss_increases: int  # records after i1 at which the loss went up (GD overshooting)
    seconds: float


@dataclass
class Figs1To4Result:
    scale: str
    seed: int
    plan: Plan
    seeds: tuple[int, ...]
    cases: list[Case]


def _labels(act: Activation, X: torch.Tensor, seed: int) -> torch.Tensor:
    """Labels (ours): σ = x² i.i.d. N(0, 1); ReLU the output of a random ReLU teacher with widths (d, 5, 5, 1), standardised
    (on i.i.d. labels the 1-1-1 ReLU fit ends on a kink, where the saddle is not a critical point in the classical sense)."""
    rng = np.random.default_rng(seed)
    if act.p == 2:
        return torch.as_tensor(rng.standard_normal((X.shape[0], 1)), dtype=DTYPE)
    teacher = FeedForward((X.shape[1], 5, 5, 1), act)
    y = teacher(torch.as_tensor(rng.standard_normal(teacher.n_params), dtype=DTYPE), X)
    return y / y.std()


def local_min_saddle(n_net: FeedForward, X: torch.Tensor, Y: torch.Tensor, seed: int, restarts: int) -> Saddle:
    """w̄_n: the lowest local minimum of L̃ = ½‖H(X; w_n, 0) − y‖² over L-BFGS runs from random unit starts that converged."""
    rng = np.random.default_rng(seed)

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = loss_and_grad(n_net, torch.as_tensor(w, dtype=DTYPE), X, Y, 0.5)
        return float(value), grad.numpy()

    runs = []
    for _ in range(restarts):
        w0 = rng.standard_normal(n_net.n_params)
        with threadpool_limits(1):  # BLAS threads only slow down a 22-parameter L-BFGS on a shared machine
            runs.append(so.minimize(f, w0 / np.linalg.norm(w0), jac=True, method="L-BFGS-B",
                                    options=dict(maxiter=20_000, gtol=1e-13, ftol=0.0)))
    good = [r for r in runs if np.linalg.norm(r.jac) <= 1e-6]
    converged = len(good)
    best = min(good or runs, key=lambda r: r.fun)  # none converged: the best run, flagged by converged = 0
    w = torch.as_tensor(best.x, dtype=DTYPE)
    lo, hi = hessian_extremes(n_net, w, X, Y)
    origin = 0.5 * float((Y**2).sum())
    return Saddle(w, float(best.fun) / origin, float(np.linalg.norm(best.jac)), lo, hi, converged, restarts)


@register_experiment
class Figs1To4(Experiment):
    name = "np.figs1_4"
    title = "np Figures 1–4: gradient descent near a sparse saddle (σ = x², ReLU) and beyond it"
    source = "np §3.4 (Figures 1–2) and §4 (Figures 3–4)"
    settings_text = (
        "Network W_3σ(W_2σ(W_1x)) with widths (20, 10, 10, 1) at every scale (np §3.4; captions' W_3 ∈ R^{1×20} read as 1×10); "
        "G_z = the last 9 neurons of each hidden layer. Assumptions of ours (the paper states none of these): inputs i.i.d. "
        "N(0, I/20), n = 30 (ci) or 50 (dev, paper); labels i.i.d. N(0, 1) for x², a random ReLU teacher (20, 5, 5, 1) "
        "standardised for ReLU; w̄_n = the lowest converged L-BFGS local minimum of L̃ on the 1-1-1 net (3 starts at ci, 10 otherwise); loss "
        "½‖H − y‖² (sum); n, z uniform unit vectors (z's B blocks negated if N_{ȳ,H̄1}(z) <= 0); GD with "
        "η = 1/λ_max(∇²L̃(w̄_n)), η/4 once the loss has left the first plateau; "
        "δ (x², ReLU) = (0.2, 1e-8) ci, (0.03, 1e-20) dev, (0.01, 1e-40) paper — the ReLU plateau grows like log(1/δ), the "
        "x² one like 1/δ, so small δ is affordable only for ReLU; step caps (x², ReLU) = (1000, 1500) ci, (60 000, 8000) dev, "
        "(10^6, 50 000) paper; a run stops once the second plateau is seen. Plateau: loss within 1% of its level; i1 = the "
        "last record with the loss within 0.1% of the saddle's, i2 = the first record after the loss made half its drop "
        "from which it changes "
        "by <= 1% of the saddle's loss over half the first plateau's length. Large z-neuron: energy "
        "‖W_l[j,:]‖² + p‖W_{l+1}[:,j]‖² >= 10% of the "
        "largest; small: < 1%. The paper's iteration counts (180 000 for x², 6 000 for ReLU) are for its unknown step and δ: "
        "ours are reported with the gradient-flow time t = Σ η_k. Clarke cos_KKT (ReLU): slopes of pre-activations within 1% of the "
        "layer scale free in [0, 1]."
    )

    def run(self, scale: str, seed: int, device) -> Figs1To4Result:
        plan = PLANS[check_scale(scale)]
        seeds = tuple(int(s) for s in np.random.default_rng(seed).integers(2**31 - 1, size=4))
        d = plan.widths[0]
        X = torch.as_tensor(np.random.default_rng(seeds[0]).standard_normal((plan.n, d)) / math.sqrt(d), dtype=DTYPE)
        cases = []
        with single_threaded():
            for name, act in CASES:
                cases.append(self._case(name, act, plan, X, seeds))
        return Figs1To4Result(scale, seed, plan, seeds, cases)

    def _case(self, name: str, act: Activation, plan: Plan, X: torch.Tensor, seeds: tuple[int, ...]) -> Case:
        t0 = time.perf_counter()
        net = FeedForward(plan.widths, act)
        partition = SaddlePartition.from_counts(net, tuple(k - 1 for k in plan.widths[1:-1]))
        Y = _labels(act, X, seeds[1])
        saddle = local_min_saddle(partition.n_net, X, Y, seeds[2], plan.restarts)
        w_bar = partition.join(saddle.w_n, torch.zeros(partition.n_wz, dtype=DTYPE))
        ybar = (Y - net(w_bar, X))[:, 0]
        expansion = SaddleExpansion(partition, saddle.w_n, X)
        objective = expansion.ncf_objective(ybar)
        delta = plan.delta[name]
        w0, _, z = saddle_start(partition, saddle.w_n, delta, seeds[3], objective)
        loss_saddle = loss_value(net, w_bar, X, Y)
        step = plan.step_factor / saddle.hessian_max

        def schedule(losses: np.ndarray) -> float:
            return step if losses[-1] >= (1 - FLAT) * loss_saddle else AFTER_ESCAPE * step

        def stop(_its: np.ndarray, losses: np.ndarray, _w: torch.Tensor) -> bool:
            return plateaus(losses, loss_saddle, FLAT, FIRST).second is not None

        track = track_descent(net, X, Y, w0, step=schedule, max_steps=plan.max_steps[name], record_every=plan.record_every[name],
                              stop=stop)
        P = torch.as_tensor(track.params, dtype=DTYPE)
        W_z = partition.split(P)[1]
        cos = kkt_cosines(objective, W_z)
        phases = plateaus(track.losses, loss_saddle, FLAT, FIRST)
        i1, i2 = phases.first_end, phases.second
        clarke = large = small = lin = lout = large2 = None
        if i1 is not None:
            e = z_neuron_energies(partition, P[i1])
            large, lin, lout = large_neurons(e.total, LARGE), large_neurons(e.incoming, LARGE), large_neurons(e.outgoing, LARGE)
            top = max(float(v.max()) for v in e.total)
            small = tuple((l, j) for l, v in enumerate(e.total, start=1) for j in range(v.size) if v[j] < SMALL * top)
            if act.kinked:
                clarke = clarke_h1_cosine(expansion, ybar, W_z[i1], CLARKE_TAU)
        if i2 is not None:
            large2 = large_neurons(z_neuron_energies(partition, P[i2]).total, LARGE)
        T_star = flow_cos = flow_ok = flow_kkt = None
        if act.p == 2:  # degree q = 3: the H̄1-NCF flow from z blows up; its time and direction, independent of δ
            flow = blow_up(gradient_flow(objective, degree=3, name="H̄1-NCF"), z)
            T_star, flow_ok = flow.T_star, flow.converged
            zs = torch.as_tensor(flow.direction, dtype=DTYPE)
            flow_kkt = float(kkt_cosines(objective, zs[None])[0])
            if i1 is not None:
                flow_cos = float(W_z[i1] @ zs / (W_z[i1].norm() * zs.norm()))
        return Case(name, delta, step, saddle, loss_saddle, loss_gradient_norm(net, w_bar, X, Y), float(objective(z[None])[0]),
                    track.iterations, track.times, track.losses / loss_saddle, relative_distance(track.params, w_bar),
                    W_z.norm(dim=-1).numpy() / float(w_bar.norm()), cos, track.params, track.finite, phases, clarke,
                    large or (), small or (), lin or (), lout or (), large2 or (), T_star, flow_cos, flow_ok, flow_kkt,
                    int((np.diff(track.losses[i1 or 0:]) > 0).sum()),
                    time.perf_counter() - t0)

    # -- report: formatting only ----------------------------------------------------------------------------------

    def report(self, result: Figs1To4Result, figure_dir: Path) -> ExperimentReport:
        figures, outcomes, rows = [], [], []
        plan = result.plan
        partition = SaddlePartition.from_counts(FeedForward(plan.widths, CASES[0][1]), tuple(k - 1 for k in plan.widths[1:-1]))
        for case in result.cases:
            path = Path(figure_dir) / f"np.figs1_4-{'square' if case.name == 'x²' else 'relu'}.png"
            figures += _figure(case, partition, path)
            outcomes += _outcomes(case)
            ph = case.phases
            i1, i2 = ph.first_end, ph.second
            it = case.iterations
            rows.append([
                case.name, fmt(case.delta), fmt(case.step, 4), f"{fmt(case.saddle.loss_ratio_origin, 4)}",
                f"{fmt(case.saddle.grad_norm, 2)} / {fmt(case.saddle_grad, 2)}",
                f"[{fmt(case.saddle.hessian_min, 2)}, {fmt(case.saddle.hessian_max, 4)}]",
                f"{case.saddle.converged}/{case.saddle.restarts}", fmt(case.ncf_z, 3),
                "–" if i1 is None else f"{it[i1]} (t = {fmt(case.times[i1], 4)})",
                "–" if ph.half is None else f"{it[ph.half]}",
                "–" if i2 is None else f"{it[i2]} (t = {fmt(case.times[i2], 4)})",
                f"{it[-1]}" + ("" if case.finite else " (overflow)"), case.loss_increases, fmt(case.seconds, 3),
            ])
        text = [
            "## Runs", "",
            markdown_table(["σ", "δ", "step η", "L̃(w̄_n)/L(0)", "‖∇L̃(w̄_n)‖ / ‖∇L(w̄)‖", "Hessian of L̃ at w̄_n [min, max]",
                            "L-BFGS converged", "N_{ȳ,H̄1}(z)", "i1 (end of plateau 1)", "half drop", "i2 (plateau 2)",
                            "iterations run", "loss increases after i1", "seconds"], rows), "",
            f"η = 1/λ_max on the first plateau, {AFTER_ESCAPE}·η once the loss has left it (the curvature grows after the "
            "escape; 'loss increases' counts records where GD still overshot).", "",
            "A Hessian minimum ≈ 0 is the rescaling symmetry of the 1-1-1 net (a non-strict minimum, as Assumption 2 allows).", "",
            "## At the records i1 and i2", "",
            markdown_table(["σ", "record", "L/L̄", "‖w − w̄‖/‖w̄‖", "‖w_z‖/‖w̄‖", "cos_KKT (autograd)", "cos_KKT (Clarke)",
                            "large z-neurons (layer, index in G_z)"],
                           [r for c in result.cases for r in _record_rows(c)]), "",
            "## The δ → 0 prediction for x² (np Theorem 7 with Lemma 4's time scale)", "",
        ]
        sq = next(c for c in result.cases if c.name == "x²")
        if sq.flow_T_star is not None:
            half = sq.phases.half
            text += [markdown_table(
                ["T*(z) of the H̄1-NCF flow", "predicted escape T*(z)/δ", "GD time at the half drop", "ratio",
                 "cos_KKT(z*)", "cos(w_z(i1), z*)", "flow converged"],
                [[fmt(sq.flow_T_star, 4), fmt(sq.flow_T_star / sq.delta, 4),
                  "–" if half is None else fmt(sq.times[half], 4),
                  "–" if half is None else fmt(sq.times[half] * sq.delta / sq.flow_T_star, 3),
                  fmt(sq.flow_kkt_cos, 10), fmt(sq.flow_cos_i1, 6), fmt(sq.flow_converged)]]), "",
                     "z* is the limit direction of the NCF flow from z on the sphere (verify.flow.blow_up); the flow from δz "
                     "blows up at T*(z)/δ, which GD's escape approaches as δ → 0 (w_n's relaxation and the higher-order terms "
                     "shift it at finite δ). No such number is stated by the paper: reported, not an outcome."]
        data = {"seeds": list(result.seeds), "cases": [
            {"sigma": c.name, "delta": c.delta, "step": c.step, "i1": _it(c, c.phases.first_end), "half": _it(c, c.phases.half),
             "i2": _it(c, c.phases.second), "iterations": int(c.iterations[-1]), "kkt_cos_i1": _at(c.kkt_cos, c.phases.first_end),
             "clarke_cos_i1": c.clarke_cos_i1, "large_i1": [list(x) for x in c.large_i1], "large_i2": [list(x) for x in c.large_i2],
             "flow_T_star": c.flow_T_star, "flow_cos_i1": c.flow_cos_i1} for c in result.cases]}
        return ExperimentReport("\n".join(text), figures, outcomes, data)


def _it(case: Case, k: int | None) -> int | None:
    return None if k is None else int(case.iterations[k])


def _at(values: np.ndarray, k: int | None) -> float | None:
    return None if k is None else float(values[k])


def _record_rows(case: Case) -> list[list]:
    out = []
    for label, k, large in (("init", 0, None), ("i1", case.phases.first_end, case.large_i1), ("i2", case.phases.second, case.large_i2)):
        if k is None:
            out.append([case.name, label, "not reached", "–", "–", "–", "–", "–"])
            continue
        clarke = case.clarke_cos_i1 if label == "i1" else None
        out.append([case.name, f"{label}: iteration {case.iterations[k]}", fmt(case.loss_ratio[k], 5), fmt(case.distance[k], 3),
                    fmt(case.wz_norm[k], 3), fmt(case.kkt_cos[k], 5), fmt(clarke, 5),
                    "–" if large is None else ", ".join(f"({l}, {j})" for l, j in large)])
    return out


def _outcomes(case: Case) -> list[Outcome]:
    ph = case.phases
    i1, i2, half = ph.first_end, ph.second, ph.half
    square = case.name == "x²"
    fig = "Fig. 1" if square else "Fig. 2"
    later = "Fig. 3" if square else "Fig. 4"
    out = []
    if i1 is None or half is None:
        note = "the run did not leave the first plateau within its step cap"
        return [Outcome(f"{fig}: plateau, cos_KKT, sparsity, Lemma 9 ({case.name})", "see §3.4", note, None, note),
                Outcome(f"{later}: escape to a new saddle, sparsity preserved ({case.name})", "see §4", note, None, note)]
    share = case.iterations[i1] / case.iterations[half]
    near = case.distance[i1]
    out.append(Outcome(
        f"{fig}(a–c): loss ≈ constant and weights near the saddle for a long plateau ({case.name})",
        "loss nearly constant, weights near the saddle up to iteration " + ("180 000" if square else "6 000"),
        f"loss within {FIRST:.1%} of the saddle's for {case.iterations[i1]} iterations (t = {fmt(case.times[i1], 4)}), "
        f"{fmt(share, 3)} of the time to the half drop; ‖w − w̄‖/‖w̄‖ = {fmt(near, 3)} and ‖w_z‖/‖w̄‖ = {fmt(case.wz_norm[i1], 3)} at i1",
        bool(near <= NEAR and share >= 0.5),
        f"reproduced when ‖w − w̄‖/‖w̄‖ <= {NEAR} at i1 and the plateau is at least half the time to the half drop"))
    cos = float(case.kkt_cos[i1] if square else case.clarke_cos_i1)
    rising = bool(case.kkt_cos[i1] > case.kkt_cos[i1 // 2])
    limit_is_kkt = case.flow_kkt_cos is not None and case.flow_converged and case.flow_kkt_cos >= 1 - 1e-6
    aligned = True if cos >= KKT_COS else (None if rising and limit_is_kkt else False)
    out.append(Outcome(
        f"{fig}(d): w_z aligns with a KKT point of the constrained H̄1-NCF ({case.name})", "cos_KKT → 1",
        f"cos_KKT at i1 = {fmt(cos, 6)}" + ("" if square else f" (Clarke, τ = {CLARKE_TAU:g}; autograd {fmt(case.kkt_cos[i1], 6)})")
        + ("" if case.flow_kkt_cos is None else f"; δ → 0 limit z* of the H̄1-NCF flow from z: cos_KKT(z*) = "
           f"{fmt(case.flow_kkt_cos, 10)}, cos(w_z(i1), z*) = {fmt(case.flow_cos_i1, 6)}"),
        aligned, f"reproduced when >= {KKT_COS}; undecided when below it but rising along the plateau while the δ → 0 limit "
                 "is a KKT point (then δ is too large at this scale to get closer while w_z is small)"))
    layer1 = [j for l, j in case.large_i1 if l == 1]
    if square:
        ok = len(case.large_i1) == 1 and len(layer1) == 1
        paper = "only one first-layer z-neuron (the 2nd neuron) has large incoming and outgoing weights"
    else:
        ok = len(layer1) >= 2 and len(layer1) == len(case.large_i1)
        paper = "several first-layer z-neurons large (rows/columns 5 and 8 small)"
    out.append(Outcome(
        f"{fig}(f): sparsity of w_z at the end of the plateau ({case.name})", paper,
        f"{len(case.large_i1)} large z-neuron(s): " + ", ".join(f"layer {l} #{j + 1}" for l, j in case.large_i1),
        bool(ok), "which neuron is random (the paper's index comes from its own initialisation); large: >= 10% of the largest "
                  "z-neuron energy"))
    out.append(Outcome(
        f"{fig}(f), Lemma 9: small incoming ⇔ small outgoing weights ({case.name})", "holds for every z-neuron",
        f"large incoming: {list(case.large_in_i1)}; large p·outgoing: {list(case.large_out_i1)}",
        bool(case.large_in_i1 == case.large_out_i1), "the two sets of z-neurons (>= 10% of the largest) must agree"))
    if i2 is None:
        note = "no second plateau within the step cap"
        out.append(Outcome(f"{later}(a): after escape the loss drops and plateaus at a new saddle ({case.name})",
                           "rapid drop, then a new plateau", note, None, note))
        out.append(Outcome(f"{later}(b): the sparsity pattern of w_z is preserved until the new saddle ({case.name})",
                           "small z-neurons stay small", note, None, note))
        return out
    drop = case.loss_ratio[i2]
    out.append(Outcome(
        f"{later}(a): after escape the loss drops and plateaus at a new saddle ({case.name})", "rapid drop, then a new plateau",
        f"L/L̄ = {fmt(drop, 4)} at i2 = {case.iterations[i2]}, flat within {FLAT:.0%} over the next "
        f"{ph.window * (case.iterations[1] - case.iterations[0])} iterations",
        bool(drop <= 1 - 10 * FLAT), "reproduced when the new plateau lies at least 10% below the first"))
    grown = [n for n in case.small_i1 if n in case.large_i2]
    out.append(Outcome(
        f"{later}(b): the sparsity pattern of w_z is preserved until the new saddle ({case.name})", "small z-neurons stay small",
        f"{len(case.small_i1)} z-neurons small at i1 (< {SMALL:.0%}); of them large at i2: {grown or 'none'}; large at i2: "
        + ", ".join(f"layer {l} #{j + 1}" for l, j in case.large_i2), not grown, "small at i1: energy < 1% of the largest"))
    return out


def _figure(case: Case, partition: SaddlePartition, path: Path) -> list[Path]:
    ph = case.phases
    fig = plt.figure(figsize=(13, 11))
    grid = fig.add_gridspec(5, 3, height_ratios=[1.3, 1, 1, 1, 1])
    ax = fig.add_subplot(grid[0, 0:2])
    it = np.maximum(case.iterations, 1)
    ax.semilogx(it, case.loss_ratio, label="loss / loss at saddle")
    ax.semilogx(it, case.distance, label="‖w − w̄‖/‖w̄‖")
    for k, label in ((ph.first_end, "i1"), (ph.second, "i2")):
        if k is not None:
            ax.axvline(it[k], color="grey", ls=":")
            ax.text(it[k], ax.get_ylim()[1] * 0.9, label, fontsize=8)
    ax.set_xlabel("iteration")
    ax.legend(fontsize=8)
    ax.set_title(f"σ = {case.name}: (a) loss and distance from the saddle", fontsize=9)
    ax = fig.add_subplot(grid[0, 2])
    ax.semilogx(it, case.kkt_cos)
    ax.set_title("(d) cos_KKT of w_z (H̄1-NCF, autograd)", fontsize=9)
    ax.set_xlabel("iteration")
    panels = [("(b) init", 0, False), ("(c) i1", ph.first_end, False), ("(e) w_z at init", 0, True),
              ("(f) w_z at i1", ph.first_end, True)]
    for row, (title, k, z_only) in enumerate(panels, start=1):
        if k is None:
            continue
        axes = [fig.add_subplot(grid[row, c]) for c in range(3)]
        weight_panels(axes, partition, case.params[k], title, z_only=z_only)
    save_figure(fig, path, dpi=80)
    paths = [path]
    if ph.second is not None:  # Figures 3–4 (b): all weights at i2
        fig, axes = plt.subplots(1, 3, figsize=(12, 3))
        weight_panels(axes, partition, case.params[ph.second], f"σ = {case.name}, i2 = {case.iterations[ph.second]}", z_only=False)
        paths.append(path.with_name(path.stem + "-i2.png"))
        save_figure(fig, paths[-1], dpi=80, bbox_inches="tight", tight=False)
    return paths
