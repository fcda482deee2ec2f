"""Experiment ``dc2.figs1_3_4``: dc2 Figures 1, 3 and 4 — squared-ReLU neurons near the origin and near the D.3 saddle.

The paper (digest ../shared/spec/two_homogeneous.md §4 "Figure 1" to "Figure 4 / Appendix D.3", §3.6, T20, errata §7):
H(x; {u_i}) = Σ_{i≤20} max(0, u_iᵀx)² in d = 2 (k = 40), 50 unit inputs (sampling not stated), labels
y = 5max(0, x1)² + 4max(0, −x1)², square loss, full-batch GD with step 5·10⁻⁵ for 50000 iterations.

* Figure 1: from each coordinate i.i.d. N(0, δ²), δ = 10⁻⁵: the weight norm stays small and the loss barely changes,
  yet every neuron's direction arctan(u_2i/u_1i) changes substantially and converges.
* Figure 3: the same angles beside the per-neuron constrained NCF on the circle N(θ) = Σ_i y_i max(0, (cos θ, sin θ)ᵀx_i)²;
  each neuron converges in direction to a KKT point (local maximum) of it (Corollary 5.4.1).
* Figure 4 / App. D.3: from the saddle ū (ū_i = (√½, 0), i ≤ 10; ū_i = 0, i > 10) plus i.i.d. N(0, 10⁻¹⁰) on all 40
  coordinates: the weights stay near the saddle, the loss barely changes, and the ten small neurons converge in direction
  to KKT points of the residual NCF N_ȳ (ȳ = y − H(X; ū) = 4max(0, −x1)²), which has a flat set of zero KKT points where
  neurons initialised inside it stay.

Here: the paper's sizes, step and iteration count at every scale (they are small); inputs at angles i.i.d. uniform on
(−π, π) drawn from the seed first (seed 0 gives the digest's sample, whose NCF maxima the digest quotes: 14.48° and
175.08°), the initialisation from the seed after them. The outcomes are read at the end of the phase where the loss barely changes
(|L/L(0) − 1| ≤ 5%; the paper's last iteration when the loss stays in that band), since the draw decides how long the
regime lasts. The loss normalisation is not stated: with eq. 2's plain sum the
run leaves both regimes (the digest: not reproduced, T20), so the per-sample mean (1/n)Σ(H − y)² is used, and the sum is
run beside it. GD with a step of 5·10⁻⁵ on the mean loss is the gradient flow of ½Σ(H − y)² (squared_relu.py's
loss_flow) to time 50000·5·10⁻⁵·2/n = 0.1, integrated with DOP853 (verify.flow.integrate_batch: both figures' runs and
the two plain-sum runs as the rows of one batch, with purely relative error control so that the 10⁻⁵-sized neurons keep
their directions; for L = 2 verify.flow.rescaled_training_flow has no time change to offer). Angles by atan2 (T20:
arctan folds θ and θ + π). The per-neuron NCF's KKT points are enumerated exactly (edc.flows' circle_kkt_points), and
each neuron's NCF flow on the circle (edc.flows' circle_flow) is integrated from its initial direction to the same time
and to its limit, to say where each neuron should be heading and whether the horizon suffices for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.early_directional.flows import T_ATOL, circle_flow, circle_kkt_points
from theorems.two_homogeneous.lemma5_6 import SaddleInstance, residual_ncf
from theorems.two_homogeneous.squared_relu import SquaredReLULayer, labels
from verify.experiments import Experiment, ExperimentReport, Outcome, check_scale, register_experiment
from verify.flow import integrate_batch
from verify.nets import DTYPE, EPS, single_threaded
from verify.tables import fmt, markdown_table

N_INPUTS, WIDTH, KEPT = 50, 20, 10
STEP, STEPS = 5e-5, 50_000  # the paper's GD (both figures)
DELTA = 1e-5  # Figure 1's initial standard deviation per coordinate; Figure 4's perturbation of the saddle
TEACHER = (5.0, 4.0)  # y = a·max(0, x1)² + b·max(0, −x1)² (squared_relu.labels "fig1")
BARELY = 0.05  # "the loss barely changes": |L(T)/L(0) − 1| at most this
SMALL_OUTPUT = 0.1  # "the weight norm stays small": ‖H(X; w(T))‖ at most this fraction of ‖y‖
NEAR = 0.1  # "stays near the saddle": ‖w(T) − w̄‖ at most this fraction of ‖w̄‖
ARRIVED = 5.0  # degrees: a neuron's direction has converged to a point when within this of it
QUOTED = (14.48, 175.08)  # the digest's NCF maxima for the default_rng(0) sample (§7 errata; not in the paper)
QUOTED_DIGITS = 0.005  # the digest quotes two decimals
LIMIT_SPAN = 40.0  # the NCF flows are run to 40/max N: the direction has converged (the norm grew by e^{80·N/max N})


@dataclass(frozen=True)
class Fig134Settings:
    """Checkpoints per grid (log and even), the flows' rtol."""

    points: int
    rtol: float


SCALES = {"ci": Fig134Settings(points=15, rtol=1e-8), "dev": Fig134Settings(points=80, rtol=1e-10),
          "paper": Fig134Settings(points=200, rtol=1e-12)}


@dataclass(frozen=True)
class NeuronPaths:
    """Angles (degrees, atan2) of a set of neurons: trained at the checkpoints (m, K), and under each neuron's own NCF
    flow on the circle at the time of the checkpoint ``at`` (the end of the phase; (K,)) and at its limit (K,); the KKT
    point of the limit (index into the NCF's enumerated points, −1 inside a flat arc of zero KKT points)."""

    trained: np.ndarray
    ncf_at_end: np.ndarray
    ncf_limit: np.ndarray
    limit_point: np.ndarray
    at: int

    @property
    def end(self) -> np.ndarray:
        return self.trained[self.at]

    def moved(self) -> np.ndarray:
        return _gap(self.end, self.trained[0])

    def arrived(self) -> np.ndarray:
        return _gap(self.end, self.ncf_limit) <= ARRIVED

    def ncf_arrived(self) -> np.ndarray:
        return _gap(self.ncf_at_end, self.ncf_limit) <= ARRIVED

    def verdict(self) -> bool | None:
        """True: every neuron within ARRIVED of its NCF limit; False: one is not although its NCF flow is by then;
        None: the ones that are not have not arrived in their NCF flow either (the horizon is too short for them)."""
        if self.arrived().all():
            return True
        return False if (~self.arrived() & self.ncf_arrived()).any() else None


@dataclass(frozen=True)
class CircleNCF:
    """An NCF on the circle: θ grid (degrees) and N(θ); its enumerated KKT points (degrees, value, local max) and flat
    arcs (degrees)."""

    theta: np.ndarray
    values: np.ndarray
    points: tuple[tuple[float, float, bool], ...]
    flats: tuple[tuple[float, float], ...]

    def maxima(self) -> list[tuple[float, float]]:
        return sorted((th, v) for th, v, is_max in self.points if is_max and v > 0)


@dataclass(frozen=True)
class Run:
    """A training run at the checkpoint iterations: the mean loss (1/n)Σ(H − y)², ‖w‖ (or ‖w − w̄‖), ‖H(X; w)‖/‖y‖, the
    integration's status and accepted steps (``nfev``)."""

    loss: np.ndarray
    norm: np.ndarray
    output: np.ndarray
    status: str
    nfev: int

    def phase_end(self) -> int:
        """The last checkpoint before the loss first leaves |L/L(0) − 1| ≤ BARELY (the last one when it never does)."""
        out = np.abs(self.loss / self.loss[0] - 1) > BARELY
        return int(np.argmax(out)) - 1 if out.any() else len(self.loss) - 1


@dataclass(frozen=True)
class Fig134Result:
    scale: str
    seed: int
    settings: Fig134Settings
    iterations: np.ndarray
    input_angles: np.ndarray
    fig1: Run
    fig1_neurons: NeuronPaths
    ncf: CircleNCF
    even_ncf: CircleNCF
    fig4: Run
    fig4_neurons: NeuronPaths
    residual_ncf: CircleNCF
    saddle_norm: float
    flat_starts: np.ndarray
    printed: tuple[Run, Run]


def _gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a − b| in degrees on the circle."""
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def _angles(W: torch.Tensor) -> np.ndarray:
    """atan2 angles (degrees) of the neurons of W (..., K·2)."""
    U = W.reshape(*W.shape[:-1], -1, 2)
    return np.degrees(torch.atan2(U[..., 1], U[..., 0]).numpy())


def _wrap(theta: float) -> float:
    """An angle in degrees as a value in (−180, 180]."""
    out = (theta + 180.0) % 360.0 - 180.0
    return 180.0 if out <= -180.0 + 1e-9 else out


def _in_arcs(theta: float, arcs: tuple[tuple[float, float], ...]) -> bool:
    return any(_gap(theta, (a + b) / 2) <= (b - a) / 2 for a, b in arcs)


def _merge(arcs: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """circle_kkt_points' flat arcs (radians, a in [0, 2π), b > a, one per activation pattern) joined where they touch,
    across 2π too; in degrees, each starting in (−180, 180]."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted(arcs):
        if merged and a - merged[-1][1] <= 1e-12:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    if len(merged) > 1 and merged[-1][1] - 2 * math.pi >= merged[0][0] - 1e-12:
        merged = [(merged[-1][0], merged[0][1] + 2 * math.pi)] + merged[1:-1]
    return tuple((_wrap(math.degrees(a)), _wrap(math.degrees(a)) + math.degrees(b - a)) for a, b in merged)


def _circle(X: torch.Tensor, z: torch.Tensor) -> CircleNCF:
    theta = np.linspace(-np.pi, np.pi, 1441)
    values = residual_ncf(torch.as_tensor(theta, dtype=DTYPE), X, z).numpy()
    found, flats = circle_kkt_points(X.numpy(), z.numpy())
    return CircleNCF(np.degrees(theta), values, tuple((_wrap(math.degrees(th)), v, m) for th, v, m in found), _merge(flats))


def _ncf_paths(X: torch.Tensor, z: torch.Tensor, starts: np.ndarray, times: np.ndarray, at: int, ncf: CircleNCF,
               trained: np.ndarray, rtol: float) -> NeuronPaths:
    """Each neuron's NCF flow on the circle from its start direction (degrees): its angle at times[at] and at its limit."""
    T = float(times[at])
    rad = np.radians(starts)
    U0 = torch.as_tensor(np.stack([np.cos(rad), np.sin(rad)], 1), dtype=DTYPE)
    scale = max(abs(v) for _, v, _ in ncf.points)
    horizon = max(LIMIT_SPAN / scale, 2 * T)
    bt = integrate_batch(circle_flow(X, z), U0, horizon, rtol=rtol, atol=T_ATOL, t_eval=[T] if T > 0 else None,
                         blow_up_norm=1e300)
    at_end = _angles(bt.u_eval[:, 0].reshape(-1)) if T > 0 else starts
    limit = _angles(bt.u_end.reshape(-1))
    points = np.array([th for th, _, _ in ncf.points])
    in_flat = np.array([_in_arcs(lim, ncf.flats) for lim in limit], dtype=bool)
    nearest = np.array([int(np.argmin(_gap(points, lim))) if len(points) else -1 for lim in limit])
    return NeuronPaths(trained, at_end, limit, np.where(in_flat, -1, nearest), at)


def _run(layer: SquaredReLULayer, X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, reference: torch.Tensor | None,
         status: str, nfev: int) -> Run:
    H, _ = layer.outputs_and_pullback(W, X)
    loss = (((H - y) ** 2).sum(1) / len(y)).numpy()
    norm = (W - reference if reference is not None else W).norm(dim=1).numpy()
    return Run(loss, norm, (H.norm(dim=1) / y.norm()).numpy(), status, nfev)


def _plot_angles(ax, angles: np.ndarray, iterations: np.ndarray, swap: bool) -> None:
    """One line per neuron (columns of ``angles``, degrees), broken where it wraps across ±180°; against the
    iterations on the x axis, or on the y axis when ``swap`` (Figure 3's layout)."""
    for k in range(angles.shape[1]):
        th = angles[:, k]
        cut = np.nonzero(np.abs(np.diff(th)) > 180)[0] + 1
        th, its = np.insert(th, cut, np.nan), np.insert(iterations.astype(float), cut, np.nan)
        ax.plot(th, its, lw=0.8) if swap else ax.plot(its, th, lw=0.8)


@register_experiment
class Figures1_3_4(Experiment):
    name = "dc2.figs1_3_4"
    title = "Figures 1, 3, 4: squared-ReLU neurons from a small initialisation and near the D.3 saddle"
    source = "dc2 Figures 1, 3, 4 and App. D.3 (digest §4, §3.6, T20, errata §7)"
    settings_text = (
        "The paper's sizes at every scale: 20 neurons max(0, u_iᵀx)² in d = 2, 50 unit inputs, y = 5max(0, x1)² + "
        "4max(0, −x1)², GD step 5e-5 for 50000 iterations, δ = 1e-5 (Figure 1: each coordinate N(0, δ²); Figure 4: the "
        "saddle ū plus N(0, δ²) on all 40 coordinates), float64; scales differ only in checkpoints and tolerance (ci "
        "decides nothing). **Assumptions of ours**: input angles i.i.d. uniform on (−π, π) from the seed (the sampling is "
        "not stated; seed 0 gives the digest's sample), the initialisation from the seed after them; the loss is the "
        "per-sample mean (1/n)Σ(H − y)² (not stated; eq. 2's sum is run beside it), so GD is the gradient flow of "
        "½Σ(H − y)² to time 0.1, integrated (DOP853) instead of stepped; the outcomes are read at the end of the phase where "
        "the loss barely changes, |L/L(0) − 1| ≤ 5% (the paper's last iteration when the loss never leaves that band: the "
        "draw decides how long the regime lasts); 'stays small': ‖H(X; w)‖ ≤ 0.1‖y‖; 'near the saddle': ‖w − w̄‖ ≤ 0.1‖w̄‖; "
        "a direction has converged to a point "
        f"when within {ARRIVED:g}° of it; a neuron is judged against the limit of its own NCF flow on the circle from its "
        "start (undecided when that flow itself has not arrived by the paper's horizon). Residual entries within 16ε·max|y| "
        "of 0 count as 0 (as in dc2.lemma5_6)."
    )

    def run(self, scale: str, seed: int, device) -> Fig134Result:
        s = SCALES[check_scale(scale)]
        instance = SaddleInstance("random", N_INPUTS, KEPT, WIDTH, "equal", "mean", *TEACHER, seed)
        Xn = instance.inputs_array()
        layer = SquaredReLULayer((1,) * WIDTH, 2)
        X = torch.as_tensor(Xn, dtype=DTYPE)
        y = torch.as_tensor(labels("fig1", Xn, layer, seed)[0], dtype=DTYPE)
        rng = np.random.default_rng([seed, 1])
        log = np.round(np.geomspace(1, STEPS, s.points))
        iterations = np.unique(np.concatenate([[0], log, np.linspace(0, STEPS, s.points).round()])).astype(int)
        times = iterations * STEP * 2 / N_INPUTS  # GD on (1/n)Σ = the flow of ½Σ at time step·2/n per iteration
        T = float(times[-1])
        g = torch.as_tensor(rng.standard_normal(layer.n_params), dtype=DTYPE)
        noise = torch.as_tensor(rng.standard_normal(layer.n_params), dtype=DTYPE)
        # the D.3 saddle ū: the kept block along e1 at the least-squares scale (s² = a, dc2.lemma5_6), the rest 0
        m = X[:, 0].clamp_min(0) ** 2
        saddle = torch.zeros(WIDTH, 2, dtype=DTYPE)
        saddle[:KEPT, 0] = math.sqrt(float(y @ m) / float(m @ m) / KEPT)
        saddle = saddle.reshape(-1)
        residual = y - layer.outputs_and_pullback(saddle[None], X)[0][0]
        residual = torch.where(residual.abs() <= 16 * EPS * y.abs().max(), 0.0, residual)
        # four rows of one batched integration (verify.flow.integrate_batch, DOP853, per-row step control, purely
        # relative error control so that the 1e-5 neurons keep their directions): Figure 1 from δ·g and Figure 4 from
        # ū + δ·noise to T, and the same two starts under eq. 2's plain sum (GD's step on ½Σ: time 50000·5e-5)
        T_sum = STEPS * STEP
        starts = torch.stack([DELTA * g, saddle + DELTA * noise] * 2)
        with single_threaded():
            bt = integrate_batch(layer.loss_flow(X, y), starts, torch.tensor([T, T, T_sum, T_sum], dtype=DTYPE), rtol=s.rtol,
                                 atol=T_ATOL, t_eval=times)
            ncf, res_ncf = _circle(X, y), _circle(X, residual)
            even = torch.as_tensor(SaddleInstance("even", N_INPUTS, KEPT, WIDTH, "equal", "mean", *TEACHER, seed).inputs_array(),
                                   dtype=DTYPE)
            even_ncf = _circle(even, torch.as_tensor(labels("fig1", even.numpy(), layer, seed)[0], dtype=DTYPE))
            W1, W4 = bt.u_eval[0], bt.u_eval[1]
            fig1 = _run(layer, X, y, W1, None, str(bt.status[0]), int(bt.steps[0]))
            fig4 = _run(layer, X, y, W4, saddle, str(bt.status[1]), int(bt.steps[1]))
            fig1_neurons = _ncf_paths(X, y, _angles(g), times, fig1.phase_end(), ncf, _angles(W1), s.rtol)
            fig4_neurons = _ncf_paths(X, residual, _angles(noise[2 * KEPT:]), times, fig4.phase_end(), res_ncf, _angles(W4[:, 2 * KEPT:]),
                                      s.rtol)
        flat_starts = np.array([_in_arcs(a, res_ncf.flats) for a in _angles(noise[2 * KEPT:])], dtype=bool)
        printed = tuple(_run(layer, X, y, torch.stack([starts[i], bt.u_end[i]]), saddle if i == 3 else None, str(bt.status[i]),
                             int(bt.steps[i])) for i in (2, 3))
        return Fig134Result(scale, seed, s, iterations, np.degrees(np.arctan2(Xn[:, 1], Xn[:, 0])), fig1, fig1_neurons, ncf,
                            even_ncf, fig4, fig4_neurons, res_ncf, float(saddle.norm()), flat_starts, printed)  # type: ignore[arg-type]

    def report(self, result: Fig134Result, figure_dir: Path) -> ExperimentReport:
        decide = result.scale != "ci"
        f1, n1, f4, n4 = result.fig1, result.fig1_neurons, result.fig4, result.fig4_neurons
        r1, r4 = f1.loss[-1] / f1.loss[0], f4.loss[-1] / f4.loss[0]
        i1, i4 = n1.at, n4.at
        maxima = result.ncf.maxima()
        even = result.even_ncf.maxima()
        fit_norm = result.printed[0].norm[-1]

        def phase(run: Run, i: int) -> str:
            its = int(result.iterations[i])
            return (f"loss within {BARELY:.0%} of L(0) up to iteration {its} of {STEPS}"
                    + (" (the horizon)" if i == len(run.loss) - 1 else f" (L/L(0) = {fmt(run.loss[-1] / run.loss[0], 3)} at {STEPS})"))

        def neurons_text(n: NeuronPaths) -> str:
            arrived, moving = n.arrived(), ~n.arrived() & ~n.ncf_arrived()
            return (f"there {int(arrived.sum())}/{len(arrived)} neurons are within {ARRIVED:g}° of the limit of their own NCF "
                    f"flow (max gap {fmt(float(_gap(n.end, n.ncf_limit).max()), 3)}°), {int(moving.sum())} are still moving in "
                    f"their NCF flow too; max |trained − NCF flow| {fmt(float(_gap(n.end, n.ncf_at_end).max()), 3)}°; moved by "
                    f"{fmt(float(np.median(n.moved())), 3)}° (median), {fmt(float(n.moved().max()), 3)}° (max)")

        stay = n4.moved()[result.flat_starts]
        quoted_ok = (len(maxima) == len(QUOTED) and all(abs(th - q) <= QUOTED_DIGITS for (th, _), q in zip(maxima, QUOTED)))
        outcomes = [
            Outcome("Fig. 1a/1b/3: the loss barely changes while every neuron's direction changes substantially and converges "
                    "to a local maximum of the per-neuron NCF", "converges, L ≈ L(0)", f"{phase(f1, i1)}; {neurons_text(n1)}",
                    n1.verdict() if decide else None,
                    "each neuron against the limit of its own NCF flow on the circle from its initial direction; undecided "
                    "when the ones off their limit are still moving in their own NCF flow at that time; the digest's run: "
                    "loss 7.5584 → 7.4796"),
            Outcome("Fig. 1a: the weight norm stays small", "stays small",
                    f"‖w‖: {fmt(f1.norm[0], 3)} → {fmt(f1.norm[i1], 4)}, ‖H(X; w)‖/‖y‖ = {fmt(f1.output[i1], 3)} at iteration "
                    f"{int(result.iterations[i1])}; the printed-sum run ends fitted at ‖w‖ = {fmt(fit_norm, 4)}",
                    bool(f1.output[i1] <= SMALL_OUTPUT) if decide else None, f"small: ‖H(X; w)‖ ≤ {SMALL_OUTPUT:g}‖y‖"),
            Outcome("Fig. 3: the per-neuron NCF's local maxima for the digest's sample (default_rng(0), seed 0)",
                    "14.48°, 175.08° (digest, not the paper)", ", ".join(f"{th:.2f}° (N = {v:.4g})" for th, v in maxima),
                    bool(quoted_ok) if decide and result.seed == 0 else None,
                    "decided at seed 0 only (other seeds draw other inputs); exact enumeration of the KKT points"),
            Outcome("Fig. 3 [derived, digest]: for 50 evenly spaced inputs the maxima are at 0° and 180° with N = 46.875 and 37.5",
                    "0°, 180°; 46.875, 37.5", ", ".join(f"{th:.6f}° (N = {v:.10g})" for th, v in even),
                    bool(len(even) == 2 and all(_gap(th, e) <= 1e-9 and abs(v - w) <= 1e-9 for (th, v), e, w in
                                            zip(sorted(even, key=lambda p: -p[1]), (0.0, 180.0), (46.875, 37.5))))
                    if decide else None, "exact enumeration"),
            Outcome("Fig. 4a: the weights stay near the saddle", "stay near",
                    f"‖w − w̄‖: {fmt(f4.norm[0], 3)} → {fmt(f4.norm[i4], 4)} at iteration {int(result.iterations[i4])} (‖w̄‖ = "
                    f"{fmt(result.saddle_norm, 5)})",
                    bool(f4.norm[i4] <= NEAR * result.saddle_norm) if decide else None,
                    f"near: ‖w − w̄‖ ≤ {NEAR:g}‖w̄‖; the digest's run: 6.5e-5 → 0.109"),
            Outcome("Fig. 4a/4b: the loss barely changes while the small neurons converge in direction to KKT points of the "
                    "residual NCF N_ȳ", "converge, L ≈ L(0)", f"{phase(f4, i4)}; {neurons_text(n4)}", n4.verdict() if decide else None,
                    f"N_ȳ's positive local maxima: {', '.join(f'{th:.2f}°' for th, _ in result.residual_ncf.maxima())}; flat "
                    f"arcs of zero KKT points: {', '.join(f'[{a:.2f}°, {b:.2f}°]' for a, b in result.residual_ncf.flats) or 'none'}; "
                    "the digest's run: loss 3.4587 → 3.4379"),
            Outcome("Fig. 4b: neurons initialised inside the flat set of N_ȳ stay there", "stay",
                    f"{int(result.flat_starts.sum())} of {KEPT} small neurons start in a flat arc"
                    + (f"; by iteration {int(result.iterations[i4])} they moved at most {fmt(float(stay.max()), 3)}°" if len(stay) else ""),
                    bool((stay <= ARRIVED).all()) if decide and len(stay) else None,
                    "undecided when no neuron starts in a flat arc (the draw decides)"),
        ]
        p1, p4 = result.printed
        md = ["## Runs", "", markdown_table(
            ["run", "loss", "L(T)/L(0)", "‖w(T)‖ (Fig. 1) or ‖w(T) − w̄‖ (Fig. 4)", "‖H‖/‖y‖ at T", "integration"],
            [["Figure 1", "(1/n)Σ (ours)", fmt(r1, 5), fmt(f1.norm[-1], 4), fmt(f1.output[-1], 3), f"{f1.status}, {f1.nfev} steps"],
             ["Figure 1", "½Σ (eq. 2 as printed)", fmt(p1.loss[-1] / p1.loss[0], 3), fmt(p1.norm[-1], 4), fmt(p1.output[-1], 3),
              f"{p1.status}, {p1.nfev} steps"],
             ["Figure 4", "(1/n)Σ (ours)", fmt(r4, 5), fmt(f4.norm[-1], 4), fmt(f4.output[-1], 3), f"{f4.status}, {f4.nfev} steps"],
             ["Figure 4", "½Σ (eq. 2 as printed)", fmt(p4.loss[-1] / p4.loss[0], 3), fmt(p4.norm[-1], 4), fmt(p4.output[-1], 3),
              f"{p4.status}, {p4.nfev} steps"]]), "",
              "## Neurons (degrees)", "", markdown_table(
                  ["figure", "neuron", "start", "end of the phase (trained)", "NCF flow then", "NCF flow's limit", "arrived"],
                  [[fig, i + 1, fmt(float(n.trained[0, i]), 4), fmt(float(n.end[i]), 4), fmt(float(n.ncf_at_end[i]), 4),
                    fmt(float(n.ncf_limit[i]), 4), fmt(bool(n.arrived()[i]))]
                   for fig, n in (("1", n1), ("4", n4)) for i in range(n.trained.shape[1])]), ""]
        figures = [self._fig1(result, figure_dir / "dc2.figs1_3_4-fig1.png"), self._fig3(result, figure_dir / "dc2.figs1_3_4-fig3.png"),
                   self._fig4(result, figure_dir / "dc2.figs1_3_4-fig4.png")]
        data = {"settings": result.settings, "fig1_loss_ratio": float(r1), "fig1_norm": float(f1.norm[-1]),
                "fig4_loss_ratio": float(r4), "fig4_distance": float(f4.norm[-1]),
                "ncf_maxima_deg": [th for th, _ in maxima], "residual_maxima_deg": [th for th, _ in result.residual_ncf.maxima()],
                "fig1_arrived": int(n1.arrived().sum()), "fig4_arrived": int(n4.arrived().sum()),
                "printed_fig1_loss_ratio": float(p1.loss[-1] / p1.loss[0]), "printed_fig4_loss_ratio": float(p4.loss[-1] / p4.loss[0])}
        return ExperimentReport("\n".join(md), figures, outcomes, data)

    @staticmethod
    def _fig1(result: Fig134Result, path: Path) -> Path:
        from verify.plots import plt, save_figure

        its = np.maximum(result.iterations, 1)
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
        a.plot(its, result.fig1.loss, "C0")
        a.set_xscale("log")
        a.set_xlabel("iteration")
        a.set_ylabel("(1/n)Σ(H − y)²", color="C0")
        twin = a.twinx()
        twin.plot(its, result.fig1.norm, "C1")
        twin.set_yscale("log")
        twin.set_ylabel("‖w‖", color="C1")
        a.set_title("(a) loss and ‖w‖", fontsize=9)
        _plot_angles(b, result.fig1_neurons.trained, its, swap=False)
        b.plot(np.full(WIDTH, its[result.fig1_neurons.at]), result.fig1_neurons.end, "r.", ms=6)
        b.set_xscale("log")
        b.set_xlabel("iteration")
        b.set_ylabel("atan2(u_2i, u_1i) (degrees)")
        b.set_title("(b) neuron angles; red: at the end of the phase", fontsize=9)
        fig.suptitle("dc2 Figure 1: 20 squared-ReLU neurons from δ = 1e-5", fontsize=10)
        return save_figure(fig, path, dpi=100)

    @staticmethod
    def _angles_over_ncf(fig, ncf: CircleNCF, neurons: NeuronPaths, iterations: np.ndarray, label: str):
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (1, 2)})
        top.plot(ncf.theta, ncf.values / N_INPUTS, "k", lw=1)
        for th, v in ncf.maxima():
            top.plot(th, v / N_INPUTS, "r*", ms=9)
            top.annotate(f"{th:.2f}°", (th, v / N_INPUTS), fontsize=7, xytext=(3, 3), textcoords="offset points")
        for a, b in ncf.flats:
            top.axvspan(a, b, color="0.85")
        top.set_ylabel(f"{label}/n")
        _plot_angles(bottom, neurons.trained, np.maximum(iterations, 1), swap=True)
        bottom.plot(neurons.end, np.full(neurons.trained.shape[1], iterations[neurons.at]), "r.", ms=6)
        bottom.set_yscale("log")
        bottom.invert_yaxis()
        bottom.set_xlim(-180, 180)
        bottom.set_xlabel("θ (degrees, atan2)")
        bottom.set_ylabel("iteration")

    def _fig3(self, result: Fig134Result, path: Path) -> Path:
        from verify.plots import plt, save_figure

        fig = plt.figure(figsize=(8, 6))
        self._angles_over_ncf(fig, result.ncf, result.fig1_neurons, result.iterations, "N(θ)")
        fig.suptitle("dc2 Figure 3: per-neuron NCF on the circle (★ local maxima) and the neuron angles", fontsize=10)
        return save_figure(fig, path, dpi=100, tight=False)

    def _fig4(self, result: Fig134Result, path: Path) -> Path:
        from verify.plots import plt, save_figure

        fig = plt.figure(figsize=(13, 5))
        left, right = fig.subfigures(1, 2, width_ratios=(1, 1.2))
        a = left.subplots()
        its = np.maximum(result.iterations, 1)
        a.plot(its, result.fig4.loss, "C0")
        a.set_xscale("log")
        a.set_xlabel("iteration")
        a.set_ylabel("(1/n)Σ(H − y)²", color="C0")
        twin = a.twinx()
        twin.plot(its, result.fig4.norm, "C1")
        twin.set_yscale("log")
        twin.set_ylabel("‖w − w̄‖", color="C1")
        a.set_title("(a) loss and distance from the saddle", fontsize=9)
        self._angles_over_ncf(right, result.residual_ncf, result.fig4_neurons, result.iterations, "N_ȳ(θ)")
        right.suptitle("dc2 Figure 4 (b): the 10 small neurons over the residual NCF (grey: flat arcs)", fontsize=9)
        left.suptitle("dc2 Figure 4 (a): near the D.3 saddle", fontsize=9)
        return save_figure(fig, path, dpi=100, tight=False)
