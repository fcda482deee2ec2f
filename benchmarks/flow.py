"""H gradient-flow trajectories: verify.flow.integrate_batch (one tensor program) vs the scipy reference in a loop.

Both integrate the training flow dW/dt = −∇L(W) of the squared loss of a small squared-ReLU net (verify.flow.loss_flow)
from the same H small initialisations δ·w0 (δ = 0.5, w0 uniform on the unit sphere) to the same horizon with DOP853 at
the same tolerances (a loss flow stays bounded, so every row runs to the horizon and the end states are comparable);
accuracy is the largest relative difference of the end states between the two, and each one's error against scipy at
1/100 of the tolerance. The ratio is loop time / batched time.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from verify.flow import integrate, integrate_batch, loss_flow
from verify.nets import Activation, FeedForward

SIZES = (1, 16, 256)
RTOL, ATOL = 1e-10, 1e-12
HORIZON = 2.0
DELTA = 0.5


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(device: torch.device, sizes: tuple[int, ...] = SIZES) -> tuple[str, dict]:
    rng = np.random.default_rng(0)
    X, z = rng.standard_normal((20, 4)), rng.standard_normal(20)
    net = FeedForward((4, 6, 1), Activation(0.0, 2))
    flow = loss_flow(net, X, z, scale=1 / 20, device="cpu")
    batch_flow = loss_flow(net, X, z, scale=1 / 20, device=device)
    rows, data = [], {}
    integrate_batch(batch_flow, net.random_unit(2, torch.Generator().manual_seed(0), device), 0.01)  # warm-up
    for H in sizes:
        starts = DELTA * net.random_unit(H, torch.Generator().manual_seed(H), device)
        batched_s, batch = _timed(lambda: integrate_batch(batch_flow, starts, HORIZON, rtol=RTOL, atol=ATOL, device=device))
        cpu = starts.cpu()
        loop_s, refs = _timed(lambda: [integrate(flow, cpu[i], HORIZON, rtol=RTOL, atol=ATOL).u[-1] for i in range(H)])
        fine = [integrate(flow, cpu[i], HORIZON, rtol=RTOL / 100, atol=ATOL / 100).u[-1] for i in range(min(H, 16))]
        ends = batch.u_end.cpu().numpy()
        refs_a = np.stack(refs)
        agree = float(np.max(np.linalg.norm(ends - refs_a, axis=1) / np.linalg.norm(refs_a, axis=1)))
        err_b = float(max(np.linalg.norm(ends[i] - f) / np.linalg.norm(f) for i, f in enumerate(fine)))
        err_s = float(max(np.linalg.norm(refs_a[i] - f) / np.linalg.norm(f) for i, f in enumerate(fine)))
        ok = sum(s.value == "success" for s in batch.status)
        data[H] = {"batched_s": batched_s, "loop_s": loop_s, "ratio": loop_s / batched_s, "max_rel_difference": agree,
                   "batched_error": err_b, "scipy_error": err_s, "successes": ok,
                   "steps_min": int(batch.steps.min()), "steps_max": int(batch.steps.max())}
        rows.append(f"| {H} | {batched_s:.3f} | {loop_s:.3f} | **{loop_s / batched_s:.1f}×** | {agree:.1e} | {err_b:.1e} | "
                    f"{err_s:.1e} | {int(batch.steps.min())}–{int(batch.steps.max())} |")
    md = "\n".join([
        "## Gradient flow: batched torch DOP853 (per-row step control) vs scipy solve_ivp DOP853 in a loop",
        "",
        f"Squared-loss training flow (mean over n = 20 Gaussian samples, Gaussian targets) of {net} from H starts δ·w0, "
        f"δ = {DELTA}, ‖w0‖ = 1, horizon t = {HORIZON}, rtol = {RTOL:g}, "
        f"atol = {ATOL:g}, float64, batched on device `{device}` (the scipy loop on the CPU). Accuracy: the largest relative "
        "difference of the end states between the two, and each one's error against scipy at 1/100 of the tolerance "
        "(first 16 starts). Ratio = loop time / batched time, measured in this run.",
        "",
        "| H | batched (s) | scipy loop (s) | ratio | batched vs scipy | batched error | scipy error | batched steps per row |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    return md, {"flow": data}


if __name__ == "__main__":
    import sys

    torch.set_num_threads(1)
    print(run(torch.device("cpu"), tuple(int(a) for a in sys.argv[1:]) or SIZES)[0])
