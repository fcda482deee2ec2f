"""np Lemma 5: for feed-forward nets, the zero neurons of the escape direction stay O(δ^β) until the first saddle.

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 5, quoted from Kumar & Haupt 2025b
(../shared/spec/neuron_pursuit.md, [L5], [L4], §1.3–1.6; errata 6.3: the time shifts use the degree D). Numerics shared
with np.lemma4 (theorems/neuron_pursuit/escape_path.py).

Statement. Let H be an L-layer feed-forward net (eq. 3), σ = max(x, αx)^p with p = 1, α = 1 or integer p ≥ 2, W⁰ in the
stable set of a second-order positive KKT point W̄ of the constrained NCF N = yᵀH, and w_z the incoming and outgoing
weights of the hidden neurons j with ‖W̄_l[j,:]‖ = 0 (= ‖W̄_{l+1}[:,j]‖, Lemma 3). Then (10)–(11) hold as in Lemma 4
(tracking of p(t) to O(δ^β) on [−T̃, T̃], ε-closeness to the saddle p* at T_ε + T_δ), and

    (12) ‖p_{w_z}(t)‖ = 0 for all t, and ‖ψ_{w_z}(t + T_δ, δW⁰)‖ = O(δ^β) on [−T̃, T̃];

hence p*_{w_z} = 0 and ‖ψ_{w_z}(T_ε + T_δ, δW⁰)‖ ≤ ε: the sparsity of W̄ persists from the escape to the first saddle.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import strategies as st

from theorems.neuron_pursuit.escape_path import zero_neurons
from theorems.neuron_pursuit.lemma4 import BETA_MIN, RESOLVED, SLACK, EscapeMeasurements, EscapeRun, EscapeTracking
from verify.activations import Activation
from verify.checker import Context, Entry, Evidence, Mutant, register
from verify.evidence import FittedOrder, at_most, fitted_order, order_at_least
from verify.nets import FeedForward
from verify.strategies import datasets, ncf_problems, seeds


def zero_block(net: FeedForward, zero: tuple[int, ...], w: np.ndarray) -> np.ndarray:
    """The w_z part of weights w (…, k) of a two-layer net: the incoming rows and outgoing columns of the ``zero`` neurons."""
    W1, W2 = net.split(torch.as_tensor(w))
    idx = list(zero)
    return torch.cat([W1[..., idx, :].flatten(-2), W2[..., :, idx].flatten(-2)], dim=-1).numpy()


@register
class SparsityUntilSaddle(EscapeTracking):
    """np Lemma 5: (10)–(11) as np Lemma 4, and the zero neurons of W̄ stay O(δ^β) up to the first saddle (eq. 12)."""

    id = "np.lemma5"
    title = "The zero neurons of the escape direction stay O(δ^β) from the escape until the first saddle"
    source = "np Lemma 5 (from Kumar & Haupt 2025b; digest [L5], [L4], §1.6, errata 6.3)"
    statement = (
        "For a feed-forward net with σ = max(x, αx)^p (p = 1, α = 1, or p ≥ 2) and W⁰ in the stable set of a second-order "
        "positive KKT point W̄ of the constrained NCF: ψ(t + T_δ, δW⁰) = p(t) + O(δ^β) on [−T̃, T̃] and ψ(T_ε + T_δ) is ε-close "
        "to the saddle p* (as np Lemma 4); with w_z the incoming and outgoing weights of W̄'s zero neurons, p_{w_z}(t) = 0 "
        "for all t and ‖ψ_{w_z}(t + T_δ, δW⁰)‖ = O(δ^β) on the window, so p*_{w_z} = 0 and ‖ψ_{w_z}(T_ε + T_δ)‖ ≤ ε."
    )
    hypotheses_text = (
        "Two-layer nets with one output, σ = max(x, αx)², α ∈ {0, 0.5} (D = 3), hidden width 2–3, d = 2; w0's outgoing signs "
        "make every neuron's NCF term positive, so every neuron's NCF flow blows up and W̄ keeps the first to blow up "
        "(np Lemma 11): the others are W̄'s zero neurons (set exactly to 0 once below 1e-10, then certified); Gaussian or "
        "sphere data, n 6–10; y from the teacher or Gaussian targets; ε = f·‖p*‖, f ∈ [0.1, 0.3]; δ as np.lemma4."
    )
    method = (
        EscapeTracking.method + " Eq. (12): sup over the window of ‖p_{w_z}‖ (both δ' rows) is 0 (≤ 1e-12‖p*‖); the fitted "
        "order of sup_window‖ψ_{w_z}(t + T_δ)‖ in δ is ≥ "
        f"{BETA_MIN} (slack {SLACK} + 3 standard errors, over the δ whose sup is above 10× its two-tolerance change); "
        "‖p*_{w_z}‖ = 0 (then ‖ψ_{w_z}(T_ε + T_δ)‖ ≤ ‖ψ(T_ε + T_δ) − p(T_ε)‖, the tracking gap: not decided again). "
        "An instance whose W̄ has no zero neuron is undecided."
    )

    zero_claim = BETA_MIN  # the order claimed for the zero block in (12)
    mutants = [
        Mutant("zero block O(δ²)", "‖ψ_{w_z}‖ = O(δ²) on the window (it is O(δ): the zero neurons' own NCF flows are finite "
               "when the first neuron blows up)", zero_claim=2.0),
        Mutant("no time shift", "T_δ = T_esc(δ), with no shift for W⁰ ≠ W̄", shift_kind="none"),
        Mutant("another KKT point", "W̄ with two hidden neurons swapped (a KKT point of the same value whose zero neurons "
               "include the active one)", limit_kind="permuted"),
    ]

    def hypotheses(self):
        data = datasets(kinds=("gaussian", "sphere"), n=(6, 10), d=(2, 2))
        squared = ncf_problems(data=data, depths=(2,), widths=(2, 3),
                               activation=st.builds(Activation, st.sampled_from((0.0, 0.5)), st.just(2)),
                               targets=("teacher", "gaussian"))
        return st.tuples(squared, seeds(), st.floats(0.1, 0.3))

    def claim(self, instance, ctx: Context) -> Evidence:
        text = f"{instance[0]}; seed={instance[1]}; f={instance[2]:.3g}"
        run = self._run(instance)
        if isinstance(run, str):
            return Evidence.undecided(run, instance=text)
        zero = zero_neurons(run.net, run.limit)
        if not zero:
            return Evidence.undecided("W̄ has no zero neuron: w_z is empty", instance=text)
        checked, m = self.tracking_entries(run)
        z_entries, m = self.sparsity_entries(run, zero, m)
        return Evidence(checked + z_entries, m, instance=text, note=self.note(run, m) + f"; zero neurons {zero}, zero-block "
                        f"order {m.zero_order:.3f} ± {m.zero_stderr:.3f}")

    def sparsity_entries(self, run: EscapeRun, zero: tuple[int, ...], m: EscapeMeasurements) -> tuple[list[Entry], EscapeMeasurements]:
        """Eq. (12) and its consequences."""
        net, tr = run.net, run.tracking
        p_scale = max(float(np.linalg.norm(tr.p_star)), 1e-300)
        p_z = float(np.linalg.norm(zero_block(net, zero, tr.p), axis=-1).max())
        checked = [at_most(p_z / p_scale, 0.0, 0.0, "(12) p_{w_z}(t) = 0 on the window (both δ' rows)", scale=1e-12)]
        sups, floors = [], []
        for i in range(len(tr.deltas)):
            s_f = float(np.linalg.norm(zero_block(net, zero, tr.psi[i]), axis=-1).max())
            s_c = float(np.linalg.norm(zero_block(net, zero, tr.psi_coarse[i]), axis=-1).max())
            sups.append(s_f)
            floors.append(abs(s_f - s_c))
        resolved = [i for i in range(len(sups)) if sups[i] > 0 and sups[i] > RESOLVED * floors[i]]
        fit = FittedOrder(math.nan, math.inf, 0)
        label = f"(12) sup_window ‖ψ_{{w_z}}(t + T_δ, δW⁰)‖ = O(δ^β): fitted order ≥ {self.zero_claim:g}"
        if tr.finished and len(resolved) >= 3:
            fit = fitted_order([tr.deltas[i] for i in resolved], [sups[i] for i in resolved])
            checked.append(order_at_least(fit, self.zero_claim, SLACK, label + f" ({len(resolved)} resolved δ)"))
        else:
            checked.append(Entry(math.nan, math.nan, False, label + ": fewer than 3 sups above 10× their floors"))
        checked.append(at_most(float(np.linalg.norm(zero_block(net, zero, tr.p_star))) / p_scale, 0.0, 0.0,
                               "(12) p*_{w_z} = 0", scale=1e-12))
        m = EscapeMeasurements(**{**m.__dict__, "zero_sups": tuple(sups), "zero_order": fit.slope, "zero_stderr": fit.stderr})
        return checked, m
