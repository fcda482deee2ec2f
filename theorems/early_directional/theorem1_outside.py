"""Experiment edc.theorem1_outside: edc Theorem 1's measurements on nets outside its hypotheses — what happens, no verdict.

edc Theorem 1 (checked by edc.theorem1, digest ../shared/spec/early_directional_convergence.md "edc.theorem1", claim
C14) assumes an L-homogeneous net with L > 2 and a locally Lipschitz gradient. Here the same measurements — the rescaled
training flow s(t) = w(t/δ^{L−2})/δ beside the NCF flow u from the same unit w0, read at the NCF time T — are made on

* ReLU nets (σ = max(x, αx), p = 1: kinked, no locally Lipschitz gradient) of depth 3, so L = 3 > 2;
* degree-2 nets (two-layer: linear, leaky ReLU, ReLU), where the theorem's time scale T_ε/δ^{L−2} = T_ε no longer grows
  as δ → 0 (the NCF flow does not blow up in finite time either: it grows like e^{2N t});
* and, as a reference inside the hypotheses, the two-layer relu² net (L = 3) of edc.theorem1.

Shown per δ: sup‖w‖/δ on [0, T̄], ‖w(T̄)‖/δ, cos(w(T̄), u*), ‖s(T) − u(T)‖ with its two-tolerance floor, the integrator's
status per row (a kinked flow that slides along a kink is stopped: verify.flow) and its steps; the fitted orders in δ of
the gap ‖s(T) − u(T)‖ (inside: ≥ L, claim C14) and of ‖∇L(δw0)‖ (L − 1), with standard errors; beside them the bounds
Theorem 1 would give inside its hypotheses (B̃_ε = sup‖u‖ + ε, η/2, 1 − (1 + 3/η)ε). The paper claims nothing here:
the report states what happens and decides nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from theorems.early_directional.theorem1 import ETA, HORIZON_NORM, LOSS_SCALE, sweep_rows
from verify.activations import Activation
from verify.evidence import FittedOrder, fitted_order
from verify.experiments import Experiment, ExperimentReport, check_scale, register_experiment
from verify.flow import FlowStatus, integrate_batch, ncf_flow, positive_ncf_start
from verify.nets import DTYPE, FeedForward
from verify.plots import plt, save_figure
from verify.pursuit import loss_and_grad
from verify.strategies import Dataset, NCFProblem
from verify.tables import fmt, markdown_table

DELTAS = {"ci": (0.05, 0.025, 0.0125, 0.00625), "dev": (0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625),
          "paper": (0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625)}
STARTS = {"ci": 1, "dev": 3, "paper": 8}  # instances (data, labels, w0) per net setting
# the nets run at each scale (indices into SETTINGS): ci leaves out the kinked nets whose flows are slowest to integrate
NETS = {"ci": (0, 1, 3), "dev": (0, 1, 2, 3, 4, 5), "paper": (0, 1, 2, 3, 4, 5)}
FAR_NORMS = (1e2, 1e3)  # u*'s estimate: the NCF flow's direction at ‖u‖ = 10³; its drift from ‖u‖ = 10² is reported
NCF_STEPS = 3_000  # step budget of each NCF run (a flow sliding along a kink chatters with shrinking steps: it ends here)
NEVER = 10**9  # kink_steps: sliding is not a reason to stop here (what the explicit integrator then does is reported)


@dataclass(frozen=True)
class NetSetting:
    """A net: its layer widths, activation, whether edc Theorem 1's hypotheses hold, and which one fails if not."""

    name: str
    widths: tuple[int, ...]
    activation: Activation
    inside: bool
    why: str


SETTINGS = (
    NetSetting("relu² depth 2 (reference)", (3, 3, 1), Activation(0.0, 2), True, "inside: L = 3, C¹ with Lipschitz gradient"),
    NetSetting("ReLU depth 3", (3, 3, 3, 1), Activation(0.0, 1), False, "L = 3 but σ = ReLU is kinked"),
    NetSetting("leaky ReLU depth 3", (3, 3, 3, 1), Activation(0.5, 1), False, "L = 3 but σ = max(x, 0.5x) is kinked"),
    NetSetting("linear depth 2", (3, 3, 1), Activation(1.0, 1), False, "smooth but L = 2"),
    NetSetting("leaky ReLU depth 2", (3, 3, 1), Activation(0.5, 1), False, "L = 2 and kinked"),
    NetSetting("ReLU depth 2", (3, 3, 1), Activation(0.0, 1), False, "L = 2 and kinked"),
)


@dataclass(frozen=True)
class OutsideRun:
    """One start w0 on one net: the NCF side (t_far: the time ‖u‖ reached 10³; T; ε = 1 − cos(u(T), u*), u* the direction
    at ‖u‖ = 10³; drift: 1 − cos between the directions at ‖u‖ = 10² and 10³; sup‖u‖ on the grid of [0, T]);
    per δ the training horizon T̄ = T/δ^{L−2}, the fine run's status, sup‖w‖/δ, ‖w(T̄)‖/δ, cos(w(T̄), u*), the gap
    ‖s(T) − u(T)‖ and its floor, ‖∇L(δw0)‖, the steps; the fitted orders (gap: 3 smallest δ and all δ; gradient: 3
    smallest δ); the seconds of the δ sweep. ``failure``: why nothing was swept (the NCF flow did not reach the norms)."""

    setting: str
    instance: str
    degree: int
    failure: str
    t_far: float
    T: float
    eps: float
    drift: float
    sup_u: float
    horizons: tuple[float, ...]
    status: tuple[str, ...]
    sup_w: tuple[float, ...]
    norm_w: tuple[float, ...]
    cos_w: tuple[float, ...]
    gap: tuple[float, ...]
    gap_floor: tuple[float, ...]
    grad_norm: tuple[float, ...]
    steps: tuple[int, ...]
    gap_order: FittedOrder
    gap_order_all: FittedOrder
    grad_order: FittedOrder
    sweep_seconds: float


@dataclass(frozen=True)
class OutsideResult:
    scale: str
    seed: int
    deltas: tuple[float, ...]
    runs: tuple[OutsideRun, ...]


def _no_sweep(setting: NetSetting, text: str, L: int, reason: str) -> OutsideRun:
    nan_order = FittedOrder(math.nan, math.inf, 0)
    return OutsideRun(setting.name, text, L, reason, math.nan, math.nan, math.nan, math.nan, math.nan, (), (), (), (), (), (),
                      (), (), (), nan_order, nan_order, nan_order, 0.0)


def ncf_until(ncf, w0: torch.Tensor, N0: float, L: int, norm: float) -> tuple[float, np.ndarray, str]:
    """The NCF flow from w0 (N(w0) = N0 > 0) until ‖u‖ ≥ ``norm``: the time, u there, the integrator's status. Its horizon is
    the bound (norm² − 1)/(2L·N0) (d‖u‖²/dt = 2L·N(u) ≥ 2L·N0: N is non-decreasing along the flow), so a row that does not
    stop at ``norm`` stopped for another reason (its status says which); kink sliding is monitored but never stops it."""
    b = integrate_batch(ncf, w0[None], 1.01 * (norm**2 - 1) / (2 * L * N0), rtol=1e-10, atol=1e-12, blow_up_norm=norm,
                        max_steps=NCF_STEPS, kink_steps=NEVER)
    return float(b.t_reached[0]), b.u_end[0].numpy(), b.status[0].value


def measure_start(setting: NetSetting, problem: NCFProblem, w0_seed: int, deltas: tuple[float, ...]) -> OutsideRun:
    """edc.theorem1's measurements on one start (N(w0) > 0: its case (a)), whatever the net."""
    net = problem.net
    L = int(net.degree)
    X, Y = torch.as_tensor(problem.X, dtype=DTYPE), torch.as_tensor(problem.z, dtype=DTYPE)
    z = 2 * LOSS_SCALE * Y
    text = f"{problem}; w0 seed={w0_seed}"
    ncf = ncf_flow(net, X, z)
    w0 = positive_ncf_start(net, X, z, w0_seed)
    if w0 is None:
        return _no_sweep(setting, text, L, "N(w0) = 0")
    N0 = float(ncf.potential(w0[None])[0][0])
    T, u_T, reached = ncf_until(ncf, w0, N0, L, HORIZON_NORM)
    far = [ncf_until(ncf, w0, N0, L, r) for r in FAR_NORMS]
    if reached != FlowStatus.BLOW_UP.value or any(f[2] != FlowStatus.BLOW_UP.value for f in far):
        last = far[-1] if reached == FlowStatus.BLOW_UP.value else (T, u_T, reached)
        return _no_sweep(setting, text, L, f"the NCF flow did not reach ‖u‖ = {HORIZON_NORM:g}, "
                         f"{', '.join(f'{r:g}' for r in FAR_NORMS)} ({reached}; {', '.join(f[2] for f in far)}): it stopped "
                         f"at t = {last[0]:.4g} with ‖u‖ = {float(np.linalg.norm(last[1])):.4g}")
    u_star = far[-1][1] / np.linalg.norm(far[-1][1])  # the direction at the largest norm: u*'s estimate
    drift = 1 - float(far[0][1] @ u_star) / float(np.linalg.norm(far[0][1]))
    horizons = T * np.asarray(deltas) ** (2.0 - L)  # the training flow's T̄ = T/δ^{L−2}: s is read at NCF time T
    sweep = sweep_rows(net, X, Y, w0, np.full(len(deltas) + 1, T), deltas, kink_steps=NEVER)
    value, coarse = sweep.measured.value, sweep.measured.coarse
    u_T, sup_u = value[0, :-1], float(value[0, -1])
    eps = 1 - float(u_T @ u_star) / float(np.linalg.norm(u_T))
    gap, floors, sup_w, norm_w, cos_w, grads = [], [], [], [], [], []
    for i, delta in enumerate(deltas, start=1):
        s_T = value[i, :-1]
        gap.append(float(np.linalg.norm(s_T - u_T)))
        floors.append(abs(gap[-1] - float(np.linalg.norm(coarse[i, :-1] - coarse[0, :-1]))))
        sup_w.append(float(value[i, -1]))
        norm_w.append(float(np.linalg.norm(s_T)))
        cos_w.append(float(s_T @ u_star) / norm_w[-1])
        grads.append(float(loss_and_grad(net, delta * w0, X, Y, LOSS_SCALE)[1].norm()))
    smallest = sorted(range(len(deltas)), key=lambda i: deltas[i])[:3]
    return OutsideRun(setting.name, text, L, "", far[-1][0], T, eps, drift, sup_u, tuple(float(h) for h in horizons),
                      tuple(s.value for s in sweep.status[1:]), tuple(sup_w), tuple(norm_w), tuple(cos_w), tuple(gap),
                      tuple(floors), tuple(grads), sweep.steps[1:],
                      fitted_order([deltas[i] for i in smallest], [gap[i] for i in smallest]),
                      fitted_order(deltas, gap), fitted_order([deltas[i] for i in smallest], [grads[i] for i in smallest]),
                      sweep.seconds)


@register_experiment
class Theorem1Outside(Experiment):
    name = "edc.theorem1_outside"
    title = "edc Theorem 1 outside its hypotheses: ReLU nets (kinked) and degree-2 nets, measured without a verdict"
    source = "edc Theorem 1 (hypotheses L > 2, locally Lipschitz gradient; digest edc.theorem1, C14)"

    settings_text = (
        "Nets (one output, biasless): " + "; ".join(f"{s.name} widths {s.widths}, σ = {s.activation} ({s.why})"
                                                    for s in SETTINGS) + ". Per net and start: Gaussian inputs "
        "(n = 10, d = 3) and Gaussian labels Y, loss ‖Y − H‖²_F (z = 2Y), w0 a random unit vector with N(w0) > 0 "
        "(verify.flow.positive_ncf_start), all seeds drawn from the run's seed. The NCF flow from w0 (integrate_batch, DOP853 "
        f"rtol 1e-10, {NCF_STEPS} steps at most) to ‖u‖ = {HORIZON_NORM:g} gives T (edc.theorem1's horizon), to ‖u‖ = 10³ the "
        "direction u* (an estimate of its limit: for L = 2 the flow grows like e^{2N t} and never blows up; for kinked nets "
        "the limit is not certified — edc.theorem1's blow-up run stalls at their kinks — and the drift of the direction "
        "between ‖u‖ = 10² and 10³ is shown instead). Then edc.theorem1's rows (its sweep_rows: the rescaled training "
        "flow, all δ and δ = 0 in one batch, DOP853 at rtol 1e-9 and 1e-11), with kink sliding monitored but not stopping "
        "a row. Nets per scale: " + "; ".join(f"{k}: {', '.join(SETTINGS[i].name for i in v)}" for k, v in NETS.items())
        + ". Instances per net: " + ", ".join(f"{k} {v}" for k, v in STARTS.items()) + "; δ grids: "
        + "; ".join(f"{k} {v}" for k, v in DELTAS.items()) + ". The paper runs no such experiment (no scale is "
        "the paper's): the scales differ only in instances and δ."
    )

    def run(self, scale: str, seed: int, device) -> OutsideResult:
        check_scale(scale)
        rng = np.random.default_rng(seed)
        deltas = DELTAS[scale]
        runs = []
        for setting in (SETTINGS[i] for i in NETS[scale]):
            for _ in range(STARTS[scale]):
                data = Dataset("gaussian", 10, 3, int(rng.integers(2**31 - 1)))
                problem = NCFProblem(FeedForward(setting.widths, setting.activation), data, int(rng.integers(2**31 - 1)))
                runs.append(measure_start(setting, problem, int(rng.integers(2**31 - 1)), deltas))
        return OutsideResult(scale, seed, deltas, tuple(runs))

    # -- report: formatting only ----------------------------------------------------------------------------

    def report(self, result: OutsideResult, figure_dir: Path) -> ExperimentReport:
        figure = Path(figure_dir) / "edc.theorem1_outside-gap.png"
        fig, ax = plt.subplots(figsize=(6, 4.2))
        colours = {s.name: f"C{i}" for i, s in enumerate(SETTINGS)}
        for r in result.runs:
            if r.failure:
                continue
            d = np.asarray(result.deltas)
            g = np.asarray(r.gap)
            ok = np.isfinite(g) & (g > 0)
            ax.loglog(d[ok], g[ok], "o-", ms=3, lw=0.8, color=colours[r.setting], label=f"{r.setting} (L = {r.degree})")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=7)
        ax.set_xlabel("δ")
        ax.set_ylabel("‖s(T) − u(T)‖")
        ax.set_title("edc Theorem 1 inside and outside its hypotheses")
        save_figure(fig, figure, dpi=110)

        def order(o: FittedOrder) -> str:
            if not math.isfinite(o.slope):
                return "not fitted"
            return f"{fmt(o.slope, 4)} ± {fmt(o.stderr, 2)}" if math.isfinite(o.stderr) else f"{fmt(o.slope, 4)} (2 points)"

        settings = {s.name: s for s in SETTINGS}
        overview = markdown_table(
            ["net", "inside", "L", "instance", "t at ‖u‖ = 10³", "T", "ε = 1 − cos(u(T), u*)", "direction drift 10² → 10³",
             "gap order, 3 smallest δ (inside: ≥ L)",
             "gap order, all δ", "‖∇L(δw0)‖ order (L − 1)", "rows not finished", "sweep s", "note"],
            [[r.setting, "yes" if settings[r.setting].inside else "no", r.degree, r.instance, fmt(r.t_far, 4), fmt(r.T, 4),
              fmt(r.eps, 3), fmt(r.drift, 2), order(r.gap_order), order(r.gap_order_all), order(r.grad_order),
              sum(s != FlowStatus.SUCCESS.value for s in r.status), fmt(r.sweep_seconds, 3), r.failure or "–"]
             for r in result.runs])
        per_delta = []
        for r in result.runs:
            bound_sup, bound_cos = r.sup_u + r.eps, 1 - (1 + 3 / ETA) * r.eps
            for j, delta in enumerate(result.deltas[:len(r.gap)]):
                per_delta.append([r.setting, r.instance, fmt(delta, 4), fmt(r.horizons[j], 4), r.status[j],
                                  f"{fmt(r.sup_w[j], 5)} (B̃_ε = {fmt(bound_sup, 4)})", f"{fmt(r.norm_w[j], 5)} (η/2 = {fmt(ETA / 2)})",
                                  f"{fmt(r.cos_w[j], 6)} ({fmt(bound_cos, 4)})", f"{fmt(r.gap[j], 3)} ± {fmt(r.gap_floor[j], 2)}",
                                  fmt(r.grad_norm[j], 4), r.steps[j]])
        md = "\n".join([
            "## What happens, per net and start", "",
            "No verdict: the theorem assumes L > 2 and a locally Lipschitz gradient. The gap's fitted order is the slope of "
            "log‖s(T) − u(T)‖ against log δ, with its standard error; inside the hypotheses it is ≥ L (claim C14). 'rows "
            "not finished': δ rows the integrator stopped (e.g. sliding along a kink, or the step limit).", "",
            overview, "",
            "## Per δ", "",
            "T̄ = T/δ^{L−2} is the training time read (for L = 2 it is T for every δ: the time scale no longer grows as δ → 0). "
            "In brackets, what Theorem 1 would bound inside its hypotheses (sup‖w‖/δ ≤ B̃_ε = sup‖u‖ + ε, ‖w(T̄)‖/δ ≥ η/2, "
            "cos ≥ 1 − (1 + 3/η)ε with η = 1); here they are only printed beside the measurements.", "",
            markdown_table(["net", "instance", "δ", "T̄", "status", "sup‖w‖/δ", "‖w(T̄)‖/δ", "cos(w(T̄), u*)",
                            "‖s(T) − u(T)‖ ± floor", "‖∇L(δw0)‖", "steps"], per_delta),
        ])
        data = {"deltas": list(result.deltas), "runs": [
            {"net": r.setting, "degree": r.degree, "instance": r.instance, "failure": r.failure, "T": r.T, "eps": r.eps,
             "gap": list(r.gap), "gap_order": r.gap_order.slope, "gap_order_stderr": r.gap_order.stderr,
             "gap_order_all": r.gap_order_all.slope, "gap_order_all_stderr": r.gap_order_all.stderr,
             "grad_order": r.grad_order.slope, "grad_order_stderr": r.grad_order.stderr, "status": list(r.status),
             "steps": list(r.steps), "sweep_seconds": r.sweep_seconds} for r in result.runs]}
        return ExperimentReport(md, [figure], [], data)
