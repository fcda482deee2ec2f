"""dc2 Corollary 5.4.1: directional convergence near small initialisation, block by block, for separable networks.

Source: Kumar & Haupt (dc2), Corollary 5.4.1 and its proof (App. C, eq. 48); digest ../shared/spec/two_homogeneous.md
COR-5.4.1, THM-5.1, §1.9 (β, β̃), §1.10 (η), LEM-C.7, Figure 3 notes.

Statement. Let w = [w_1, …, w_H] and H(x; w) = Σ_i H_i(x; w_i) for all x, otherwise as in Theorem 5.1 (square loss:
−ℓ′(0, y) = y). There is η > 0 such that for every ε ∈ (0, η) there are C > 1 and δ̄ > 0 with: for δ ∈ (0, δ̄) and the
gradient flow w(t) of the loss from δw0, and for EVERY block i, either

    √C·δ ≥ ‖w_i(T)‖ ≥ δη  and  w_i(T)ᵀû_i/‖w_i(T)‖ ≥ 1 − (1 + 3/(2η))ε,
        û_i a non-negative KKT point of max_{‖u‖=1} yᵀH_i(X; u)                                   (block i grows), or
    ‖w_i(T)‖ ≤ 2δε                                                                                (block i vanishes),

with T = ln C/(4ββ̃), β and β̃ those of the FULL network.

The proof is constructive, and so is the checker: the NCF flow decouples blockwise (u̇_i = ∇N_i(u_i), N_i = yᵀH_i);
Z = the blocks whose u_i → 0; η = min(1, min_{i∉Z} η_i) with 2η_i a lower bound on ‖u_i(t)‖ (Lemma C.7); T is the
first time every block is within ε of its limit (cos(u_i(T), û_i) ≥ 1 − ε, or ‖u_i(T)‖ ≤ ε), C = e^{4ββ̃T}; then
Lemma 5.2 and Theorem 5.1's inequality chain, block by block. Here each neuron of dc2 Figure 1's net is a block.
The whole-vector reading (the full w(T) aligned with one KKT point of the full NCF at this T) is false when two blocks
grow at different rates — the digest's caveat — and is a mutant.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.two_homogeneous.beta import squared_beta_bracket
from theorems.two_homogeneous.squared_relu import SquaredReLULayer, labels
from theorems.two_homogeneous.theorem5_1 import (
    REGIME,
    T_LIMIT,
    NCFLimit,
    SmallInitialisationDirections,
    _first_time,
    ncf_limit,
)
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, at_most, integrated
from verify.flow import Flow, FlowStatus, direction_flow, integrate, integrate_batch, random_start, rescaled_start, rescaled_training_flow
from verify.nets import DTYPE
from verify.strategies import datasets, seeds
from verify.sweep_tables import sweep_section

RTOL = 1e-8  # the coarse tolerance of the training rows; the fine one is RTOL/100
HALVINGS = 4  # δ = δ_max·4^{−j}, j = 0..3, δ_max = min(0.1, 1/√C)/2 (the regime gap is O(δ²): ÷16 per step)
LABEL_KINDS = ("fig1",)  # one-signed (y > 0), with sharp maxima: the blocks converge within the horizon
PATIENCE = 1  # the NCF flows are followed PATIENCE× as long as in dc2.theorem5_1 (longer: T and C explode)
POINTS = 20  # grid times on [0, T] for ‖w(t)‖ ≤ √Cδ
DATA = ("gaussian", "sphere", "circle")  # inputs in general position: no direction dead to every input


def signed_blocks_polar_flow(base: Flow, signs: tuple[int, ...]) -> Flow:
    """The separable flow u̇_k = p_k∇G(u_k), one block per sign p_k of a two-homogeneous ``base`` flow (of G), in polar
    form block by block (verify.flow.direction_flow): a state row is (s_1, ρ_1, s_2, ρ_2, …), each block's field is
    p_k times the polar field of ``base`` at (s_k, ρ_k) (it is linear in ∇G), all blocks in one batched call; the
    potential reported is Σ_k p_kG(s_k). Nothing over- or underflows however the blocks grow or vanish."""
    polar = direction_flow(base)
    p = torch.as_tensor(signs, dtype=DTYPE)

    def value_and_grad(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = y.reshape(*y.shape[:-1], len(signs), -1)
        value, grad = polar.potential(rows)
        return (p * value).sum(-1), (p[:, None] * grad).reshape(y.shape)

    return Flow(value_and_grad, 1.0, None, None, f"blockwise polar form of {base.name}, signs {signs}")


@dataclass(frozen=True)
class SeparableDirectionsMeasurements:
    """What dc2.corollary5_4_1 measured on one instance: per block its case ("A" grows, "B" vanishes), η_i, N_i(û_i),
    ‖w0_i‖; the common η, ε, T, C, β's upper bracket; per δ the largest ‖w(t)‖/(√Cδ) on [0, T], the regime gap
    ‖w(T)/δ − u(T)‖, and per block ‖w_i(T)‖/δ and cos(w_i(T), û_i) (NaN for a B-block); the whole vector's best cosine with
    a KKT point of the full NCF built from the top-valued blocks' û_k (the whole-vector reading); the integration cost:
    accepted + rejected steps per δ row and of the δ = 0 row (fine tolerance), and the wall seconds of the batched
    integrations (both tolerances). No order in δ is fitted: the corollary states none."""

    cases: tuple[str, ...]
    block_eta: tuple[float, ...]
    N_hat: tuple[float, ...]
    start_norms: tuple[float, ...]
    eta: float
    eps: float
    T: float
    C: float
    beta: float
    deltas: tuple[float, ...]
    norm_ratio: tuple[float, ...]
    gap: tuple[float, ...]
    block_norm_T: tuple[tuple[float, ...], ...]
    block_cosine: tuple[tuple[float, ...], ...]
    whole_cosine: tuple[float, ...]
    steps: tuple[int, ...]
    ncf_steps: int
    integration_s: float


@register
class SeparableDirections(Checker):
    """dc2 Corollary 5.4.1: at T = ln C/(4ββ̃) every block of a separable net is aligned with its own û_i or ≤ 2δε."""

    id = "dc2.corollary5_4_1"
    title = "Directional convergence for separable networks: every block aligned with its own KKT point or ≤ 2δε"
    source = "dc2 Corollary 5.4.1 (proof App. C, eq. 48; η from Lemma C.7; digest COR-5.4.1, THM-5.1, §1.10)"
    statement = (
        "For separable H(x; w) = Σ_i H_i(x; w_i), unit w0 and the square loss: there is η > 0 such that for every "
        "ε ∈ (0, η) there are C > 1 and δ̄ with, for δ < δ̄, w(t) the gradient flow from δw0 and EVERY block i: either "
        "√Cδ ≥ ‖w_i(T)‖ ≥ δη and cos(w_i(T), û_i) ≥ 1 − (1 + 3/(2η))ε with û_i a non-negative KKT point of "
        "max_{‖u‖=1} yᵀH_i(X; u), or ‖w_i(T)‖ ≤ 2δε; T = ln C/(4ββ̃) with β, β̃ of the full network."
    )
    hypotheses_text = (
        "The single-layer squared (leaky) ReLU net of dc2 Figure 1, H = Σ_k p_kσ(xᵀu_k)², each neuron u_k a block "
        "H_k (C¹: every start is non-branching), σ = max(s, αs), α ∈ {−0.4, 0.5} "
        "(leaky: a vanishing block has N_k < 0 on the whole circle), 3–4 neurons, 1–2 with p = −1 then 2–3 with p = +1; "
        "d = 2 (β exact up to its bracket), n 5–20 inputs from the Gaussian, sphere and circle families (in "
        "general position); dc2 Figure 1's labels y = 5σ(x₁)² + 4σ(−x₁)² > 0 (sharp NCF maxima; one sign, so the p = +1 "
        "blocks grow and the p = −1 blocks vanish: both kinds, and at least two growing blocks, in every instance; "
        "w0 a random unit vector of R^{2K} "
        "split over the neurons; ε = f·η with f ∈ [0.1, 0.4] from the instance."
    )
    method = (
        "Per block, the NCF flow u̇_k = ∇N_k(u_k), N_k = p_k yᵀσ(Xu_k)², from w0_k in polar form "
        "(dc2.theorem5_1's ncf_limit: scipy DOP853 rtol 1e-11) until its direction's KKT residual is ≤ 1e-9 (case A: "
        "û_k its limit, η_k = ½min(1, min_t‖u_k(t)‖), certified only if N_k(û_k) > 1e-8) or ‖u_k‖ ≤ 1e-3 (case B); "
        f"undecided otherwise (within {PATIENCE * T_LIMIT:g}/(ββ̃)). η = min(1, min over A-blocks η_k), ε = f·η; T = the first time "
        "(on the blocks' joint polar flow, rtol 1e-8, a 2 000-point scan and bisection; undecided if not reached) at "
        "which every A-block has "
        "cos(u_k(T), û_k) ≥ 1 − ε and every B-block ‖u_k(T)‖ ≤ ε; C = e^{4ββ̃T}, β the upper end of its bracket (so T "
        f"and √C are the statement's or weaker). δ = δ_max·4^{{−j}}, j = 0..{HALVINGS - 1}, δ_max = min(0.1, 1/√C)/2, "
        "with a row δ = 0 (the NCF flow) in one tensor program (verify.flow.rescaled_training_flow, integrate_batch) on "
        f"[0, T] ({POINTS + 1} grid times) at rtol {RTOL:g} and {RTOL / 100:g}. Entries: per A-block û_k a KKT point (residual ≤ "
        "1e-7) with N_k(û_k) ≥ 0; per δ, max over the grid of ‖w(t)‖/(√Cδ) ≤ 1 (whole net); per δ in the regime "
        f"max_k ‖w_k(T)/δ − u_k(T)‖/max(1, ‖u_k(T)‖) ≤ {REGIME:g}ε (relative per block: growing blocks reach norms "
        "far above 1; δ̄ is not computable; none in the regime leaves the alternative undecided) and "
        "per block: A: √C ≥ ‖w_k(T)‖/δ ≥ η (on a log scale) and cos(w_k(T), û_k) ≥ 1 − (1 + 3/(2η))ε; B: ‖w_k(T)‖/δ ≤ 2ε. An "
        "integration entry's floor is 10× its change between the two tolerances (undecided above 1e-4). Symbolic: "
        "Theorem 5.1's inequality chain (dc2.theorem5_1's obligation)."
    )
    tolerance = 1e-9
    floor_factor = 1.0
    max_error_floor = 1e-3

    # the statement's knobs; each mutant replaces one
    cosine_bound = staticmethod(lambda eps, eta: 1 - (1 + 3 / (2 * eta)) * eps)
    small_power = 1.0  # B-blocks: ‖w_k(T)‖ ≤ 2δε^{small_power}
    per_block = True  # False: the alternative read on the whole vector w(T) (a KKT point of the full NCF)
    joint: Callable[[list[float]], float] = staticmethod(max)  # T: the first time joint(block gaps) ≤ 0 (max: all)
    mutants = [
        Mutant("cos ≥ 1 − ε²", "the alignment bound 1 − ε² in place of 1 − (1 + 3/(2η))ε",
               cosine_bound=staticmethod(lambda eps, eta: 1 - eps**2)),
        Mutant("whole vector", "the whole w(T) (norm ≥ δη, cosine ≥ bound) aligned with a KKT point of the full NCF (the "
               "best aligned: c_kû_k on the growing blocks of the largest N_k(û_k), zero elsewhere) at this T",
               per_block=False),
        Mutant("T from one block", "T the first time SOME block is within ε of its limit (not every block)",
               joint=staticmethod(min)),
        Mutant("‖w_k(T)‖ ≤ 2δε²", "vanishing blocks with ε squared: ‖w_k(T)‖ ≤ 2δε²", small_power=2.0),
    ]

    def hypotheses(self):
        # v vanishing (p = −1) then g ≥ 2 growing (p = +1) neurons: both labels make y > 0 ("opposed" from p₁ = −1)
        signs = st.tuples(st.integers(1, 2), st.integers(2, 3)).filter(lambda a: sum(a) <= 4).map(
            lambda a: (-1,) * a[0] + (1,) * a[1])
        nets = st.builds(SquaredReLULayer, signs=signs, d=st.just(2), alpha=st.sampled_from((-0.4, 0.5)))
        return st.tuples(nets, st.sampled_from(LABEL_KINDS), datasets(DATA, n=(5, 20), d=(2, 2)), st.floats(0.1, 0.4),
                         seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        net, label_kind, data, f, seed = instance
        y, _ = labels(label_kind, data.X, net, seed)
        text = f"{net}; {data}; labels {label_kind}, seed={seed}; ε = {f:.3g}η"
        Xt, yt = torch.as_tensor(data.X, dtype=DTYPE), torch.as_tensor(y, dtype=DTYPE)
        beta = squared_beta_bracket(Xt, net.alpha).upper
        rate = 4 * beta * (beta + float(np.linalg.norm(y)))  # 4ββ̃ of the full network
        K, d = len(net.signs), net.d
        w0 = random_start(net.n_params, seed, 1.0)
        blocks = [SquaredReLULayer((p,), d, net.alpha) for p in net.signs]
        ncfs = [b.ncf_flow(Xt, yt) for b in blocks]
        limits: list[NCFLimit] = []
        for k, ncf in enumerate(ncfs):
            lim = ncf_limit(ncf, w0[k * d:(k + 1) * d], f, rate / PATIENCE)  # only its horizon and C use the rate
            if isinstance(lim, str):
                return Evidence.undecided(f"block {k}: {lim}", instance=text)
            limits.append(lim)
        grows = [lim.case == "A" for lim in limits]
        if not any(grows):
            return Evidence.undecided("no block grows (η = 1, nothing to align)", instance=text)
        eta = min(1.0, *(lim.eta for lim in limits if lim.case == "A"))
        eps = f * eta

        # T: the first time every block is within ε of its limit, on the blocks' joint polar flow
        polar = signed_blocks_polar_flow(SquaredReLULayer((1,), d, net.alpha).ncf_flow(Xt, yt), net.signs)
        y0 = torch.cat([torch.cat([w0[k * d:(k + 1) * d] / w0[k * d:(k + 1) * d].norm(),
                                   w0[k * d:(k + 1) * d].norm().log()[None]]) for k in range(K)])

        def gap(y: np.ndarray) -> float:
            out = []
            for k, lim in enumerate(limits):
                s, rho = y[k * (d + 1):k * (d + 1) + d], y[k * (d + 1) + d]
                out.append((1 - eps) - float(s @ lim.u_hat) / float(np.linalg.norm(s)) if lim.case == "A"
                           else rho - math.log(eps))
            return self.joint(out)

        def reached(_t: float, y: np.ndarray) -> float:
            return gap(y)

        reached.terminal, reached.direction = True, -1.0  # type: ignore[attr-defined]
        if gap(y0.numpy()) <= 0:
            return Evidence.undecided("every block starts within ε of its limit: T = 0 and C = 1", instance=text)
        path = integrate(polar, y0, PATIENCE * T_LIMIT * 4 / rate, rtol=1e-8, atol=1e-10, events={"reached": reached})
        if not len(path.events["reached"]):
            return Evidence.undecided(f"the blocks were not all within ε of their limits by t = {path.t_reached:.4g}",
                                      instance=text)
        try:
            T = _first_time(path, gap)
        except StopIteration:  # the scan stepped over the event's root: the event time is the first crossing
            T = float(path.events["reached"][0])
        sqrtC = math.exp(rate * T / 2)

        deltas = [min(0.1, 1 / sqrtC) / 2 / 4**j for j in range(HALVINGS)]
        times = np.linspace(0.0, T, POINTS + 1)
        rows = rescaled_start(w0, [0.0, *deltas])
        flow = rescaled_training_flow(net.loss_flow(Xt, yt), net.ncf_flow(Xt, yt))

        cost: dict[float, list[int]] = {}  # per tolerance: accepted + rejected steps per row (the integration cost per δ)

        def measure(rtol: float) -> np.ndarray:
            b = integrate_batch(flow, rows, T, rtol=rtol, atol=rtol / 100, t_eval=times)
            cost[rtol] = (b.steps + b.rejected).tolist()
            ok = np.array([s is FlowStatus.SUCCESS for s in b.status])
            return np.where(ok[:, None, None], b.u_eval[:, :, :-1].numpy(), np.nan)

        started = time.perf_counter()
        coarse, fine = measure(RTOL), measure(RTOL / 100)
        seconds = time.perf_counter() - started
        steps = cost[RTOL / 100]
        checked: list[Entry] = []
        for k, lim in enumerate(limits):
            if lim.case == "A":
                checked.append(at_most(lim.residual, 1e-7, 0.0, f"block {k}: û_k a KKT point (residual ≤ 1e-7)", scale=1.0))
                checked.append(at_least(lim.N_hat, 0.0, 0.0, f"block {k}: û_k non-negative, N_k(û_k) ≥ 0", scale=1.0))
        # the whole-vector reading's KKT points of the full NCF: c_kû_k on the growing blocks of the top value N_k(û_k)
        # (a KKT point needs one multiplier, N_k(û_k), for every non-zero block), zero elsewhere
        top = max(lim.N_hat for lim in limits if lim.case == "A")
        level = [k for k in range(K) if grows[k] and limits[k].N_hat >= top * (1 - 1e-6)]

        def whole_cosine(state: np.ndarray) -> float:
            parts = state.reshape(K, d)
            best = math.sqrt(sum(max(0.0, float(parts[k] @ limits[k].u_hat)) ** 2 for k in level))
            return best / float(np.linalg.norm(state))  # the best cosine with such a point (c_k ∝ ⟨w_k, û_k⟩)
        bound = self.cosine_bound(eps, eta)
        small = 2 * eps**self.small_power
        u_T = fine[0, -1]
        scale_T = np.maximum(1.0, np.linalg.norm(u_T.reshape(K, d), axis=1))  # the regime gap is relative per block
        ratio, gaps, norms_T, cosines, whole = [], [], [], [], []
        in_regime = 0

        def block_stats(state: np.ndarray) -> tuple[list[float], list[float]]:
            parts = state.reshape(K, d)
            nrm = np.linalg.norm(parts, axis=1)
            cos = [float(parts[k] @ limits[k].u_hat) / nrm[k] if grows[k] else math.nan for k in range(K)]
            return nrm.tolist(), cos

        for j, delta in enumerate(deltas, start=1):
            if not (np.isfinite(fine[j]).all() and np.isfinite(coarse[j]).all() and np.isfinite(fine[0]).all()
                    and np.isfinite(coarse[0]).all()):
                checked.append(Entry(math.nan, math.nan, False, f"δ = {delta:.3g}: the integration stopped before T"))
                continue
            r_f = float(np.linalg.norm(fine[j], axis=1).max()) / sqrtC
            r_c = float(np.linalg.norm(coarse[j], axis=1).max()) / sqrtC
            ratio.append(r_f)
            checked.append(integrated(max(0.0, r_f - 1), abs(r_f - r_c), f"δ = {delta:.3g}: max_t ‖w(t)‖/(√Cδ) ≤ 1"))
            g_f = float((np.linalg.norm((fine[j, -1] - u_T).reshape(K, d), axis=1) / scale_T).max())
            gaps.append(g_f)
            nf, cf = block_stats(fine[j, -1])
            nc, cc = block_stats(coarse[j, -1])
            norms_T.append(tuple(nf))
            cosines.append(tuple(cf))
            wf, wc = whole_cosine(fine[j, -1]), whole_cosine(coarse[j, -1])
            whole.append(wf)
            if not g_f <= REGIME * eps:  # outside the regime δ < δ̄ the corollary says nothing about the alternative
                continue
            in_regime += 1
            if not self.per_block:  # the whole-vector reading (a mutant)
                n_f, n_c = (float(np.linalg.norm(s)) for s in (fine[j, -1], coarse[j, -1]))
                checked.append(integrated(max(0.0, math.log(eta / n_f)), abs(math.log(n_f / n_c)),
                                          f"δ = {delta:.3g}, whole w: ‖w(T)‖/δ ≥ η"))
                checked.append(integrated(max(0.0, bound - wf), abs(wf - wc),
                                          f"δ = {delta:.3g}, whole w: cos(w(T), û) ≥ bound"))
                continue
            for k in range(K):
                label = f"δ = {delta:.3g}, block {k}"
                if grows[k]:
                    change = abs(math.log(nf[k] / nc[k]))  # the norms span many decades: decided on a log scale
                    checked.append(integrated(max(0.0, math.log(eta / nf[k])), change, f"{label} (A): ‖w_k(T)‖/δ ≥ η"))
                    checked.append(integrated(max(0.0, math.log(nf[k] / sqrtC)), change,
                                              f"{label} (A): ‖w_k(T)‖/δ ≤ √C"))
                    checked.append(integrated(max(0.0, bound - cf[k]), abs(cf[k] - cc[k]),
                                              f"{label} (A): cos(w_k(T), û_k) ≥ 1 − (1 + 3/(2η))ε"))
                else:
                    checked.append(integrated(max(0.0, nf[k] - small) / eps, abs(nf[k] - nc[k]) / eps,
                                              f"{label} (B): ‖w_k(T)‖/δ ≤ 2ε^{self.small_power:g}"))
        if not in_regime:
            checked.append(Entry(math.nan, math.nan, False, f"no δ in the regime ‖w(T)/δ − u(T)‖ ≤ {REGIME:g}ε"))
        m = SeparableDirectionsMeasurements(
            tuple(lim.case for lim in limits), tuple(lim.eta for lim in limits),
            tuple(lim.N_hat if lim.case == "A" else math.nan for lim in limits),
            tuple(float(w0[k * d:(k + 1) * d].norm()) for k in range(K)), eta, eps, T, sqrtC**2, beta, tuple(deltas),
            tuple(ratio), tuple(gaps), tuple(norms_T), tuple(cosines), tuple(whole), tuple(steps[1:]), steps[0], seconds)
        note = f"blocks {''.join(m.cases)}, {in_regime}/{len(deltas)} δ in the regime"
        return Evidence(checked, m, instance=text, note=note)

    def report_section(self, result, figure_dir) -> tuple[str, list[str]]:
        """Formats the records only: the integration cost per δ (the corollary states no order in δ to fit)."""
        return sweep_section(result.records, []), []

    def obligations(self) -> list[Obligation]:
        # Theorem 5.1's chain, block by block: (1 − ε)(1 − ε/(2η)) − ε/η = bound + ε²/(2η), under this checker's bound
        return SmallInitialisationDirections.obligations(self)  # type: ignore[arg-type]
