"""np Lemma 13: descent when Neuron Pursuit adds a neuron in a later iteration (np §5.1, Algorithm 1 lines 18–32).

Statement: with residual ȳ = y − H(X;W̄), the dominant (â, b̂) of ȳᵀH_{1,l}(X; b, a) over layers l with
ζ = ȳᵀH_{1,l*}(X; b̂, â) > 0, and Ŵ(δ) = W̄ with the neuron (δâ, δb̂) appended to layer l*,
L(Ŵ(δ)) < L(W̄) for small δ > 0 (L = ‖y − H‖², Algorithm 1's convention), under σ = max(x,αx)^p with
p >= 1 if α = 1 and p >= 4 otherwise. The proof's expansion gives L(W̄) − L(Ŵ(δ)) = 2ζδ^{p+1} + o(δ^{p+1}):
the decrease has order p+1 and leading coefficient 2ζ (ζ under the ½‖y − H‖² convention).
The numerics (training W̄, the dominant neuron, the decrease in mpmath) are in
:mod:`theorems.neuron_pursuit.neuron_addition`; the experiment ``np.lemma13_outside`` draws the decrease and
measures the same quantities outside the hypotheses (α ≠ 1, p <= 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from theorems.neuron_pursuit.neuron_addition import MP_DIGITS, local_orders, study_neuron_addition, trained_networks
from verify.checker import Checker, Context, Entry, Evidence, Mutant, entries, register
from verify.nets import Activation
from verify.strategies import DEFAULT_FAMILIES, activations, seeds


def lemma13_activations() -> st.SearchStrategy[Activation]:
    """The lemma's hypothesis on σ = max(x,αx)^p: p >= 1 if α = 1, else p >= 4."""
    return st.one_of(activations(alphas=(1.0,), ps=(1, 2, 3)), activations(alphas=(0.0, 0.1, 0.5, -0.3), ps=(4,)))


@dataclass(frozen=True)
class NeuronAdditionMeasurements:
    """What np.lemma13 measured on one instance (the fit fields are NaN when fewer than 3 δ were resolved)."""

    zeta: float
    predicted_slope: float
    gradient_norm_at_Wbar: float
    first_order_term: float
    kkt_residual: float
    resolved_deltas: int
    fitted_slope: float = math.nan
    coefficient_over_zeta: float = math.nan


@register
class NeuronAdditionDescent(Checker):
    """np Lemma 13: appending the dominant neuron (δâ, δb̂) decreases the loss, at order δ^{p+1} with coefficient 2ζ.

    W̄ is trained by GD and is only approximately stationary: its gradient norm is reported, and the
    first-order change of the loss along the added neuron is computed (it is exactly 0: the new
    coordinates enter H with degree >= 2), so the measured decrease is not a first-order effect of ∇L(W̄).
    """

    id = "np.lemma13"
    title = "Descent when Neuron Pursuit adds a neuron, with the δ-order of the decrease"
    source = "np Lemma 13 (Algorithm 1 lines 18–32)"
    statement = (
        "With ζ = ȳᵀH_{1,l*}(X; b̂, â) > 0 for the dominant (â, b̂) over layers and Ŵ(δ) = W̄ with the neuron (δâ, δb̂) "
        "appended to layer l*: L(Ŵ(δ)) < L(W̄) for small δ > 0, and L(W̄) − L(Ŵ(δ)) = 2ζδ^{p+1} + o(δ^{p+1}) with "
        "L = ‖y − H‖² (leading coefficient ζ under ½‖y − H‖²); σ = max(x,αx)^p with p ≥ 1 if α = 1, p ≥ 4 if α ≠ 1."
    )
    hypotheses_text = (
        "L ∈ {2,3}, hidden widths 1–4, σ = x^p (α = 1, p ∈ {1,2,3}) or max(x,αx)^4 (α ∈ {0, 0.1, 0.5, −0.3}); "
        "inputs: " + DEFAULT_FAMILIES + " (n 8–30, d 2–5) scaled by 1/√d, labels y ~ N(0, I). W̄: 25 or 300 "
        "steps of backtracking GD from a random init of norm 0.8√L. (â, b̂): best of 16 restarts per layer, polished. "
"Instances with ζ <= 1e-12·‖ȳ‖‖H_{1,l*}(X; b̂, â)‖ (not positive to float64 accuracy: the hypothesis ζ > 0 "
        "cannot be confirmed) are inconclusive, with a note giving ζ; smaller positive ζ are kept (the decrease is formed "
        "in mpmath)."
    )
    method = (
        "D(δ) = L(W̄) − L(Ŵ(δ)) is formed in mpmath at 50 digits on δ = δ_0·2^{−k/2}, k = 0..39, with "
        "δ_0 = min(1, (0.01ζ/‖H_{1,l*}‖²)^{1/(p+1)}) (where the δ^{2(p+1)} term is 1% of the leading one); δ with "
        "|D| <= 1e-40·‖ȳ‖² are unresolved. Claimed order: the last local log-log slope s of D; claimed coefficient: "
        "D/δ^{p+1} at the smallest resolved δ. Violations: |s − (p+1)|/(p+1), |D/δ^{p+1} − 2ζ|/(2ζ), and a wrong-signed "
        "D at each of the three smallest resolved δ (five entries per instance). Floors: the change of the same estimate "
        "between the last two resolved δ (the truncation error still present), the rounding of D, and for the coefficient "
        "the float64 rounding bound of ζ. Instances with fewer than three resolved δ, or with ζ not positive to float64 "
        "accuracy, are inconclusive."
    )
    tolerance = 1e-9
    floor_factor = 4.0
    max_error_floor = 1e-2
    order = staticmethod(lambda p: p + 1)
    coefficient = 2.0
    decrease_sign = 1.0
    mutants = [
        Mutant("slope p+2", "the decrease is of order δ^{p+2}", order=staticmethod(lambda p: p + 2)),
        Mutant("coefficient 4ζ", "the leading coefficient is doubled", coefficient=4.0),
        Mutant("loss increases", "L(Ŵ(δ)) > L(W̄) for small δ", decrease_sign=-1.0),
    ]

    def hypotheses(self):
        return st.tuples(trained_networks(lemma13_activations()), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        add = study_neuron_addition(problem, seed, ctx.device)
        label = f"{problem}; ascent seed={seed}; l*={add.layer}"
        p = problem.net.activation.p
        if not add.zeta > 1e-12 * math.sqrt(add.residual_norm2 * add.h1_norm2):
            # the hypothesis ζ > 0 cannot be confirmed to float64 accuracy of the ascent: nothing is decided
            return Evidence.undecided(f"ζ = {add.zeta:.3g} is not positive to float64 accuracy (hypothesis ζ > 0 unconfirmed)",
                                      measurements=NeuronAdditionMeasurements(add.zeta, float(p + 1), add.gradient_norm,
                                                                              add.first_order, add.kkt_residual, 0),
                                      instance=label)
        q = self.order(p)
        d, D, slopes, coefs = local_orders(add, q)
        measurements = NeuronAdditionMeasurements(add.zeta, float(p + 1), add.gradient_norm, add.first_order, add.kkt_residual, len(d))
        if len(d) < 3:
            return Evidence.undecided(f"only {len(d)} resolved δ (3 needed)", measurements=measurements, instance=label)
        rounding = 10.0 ** (2 - MP_DIGITS) * add.residual_norm2 / D.abs()  # relative rounding of each D(δ)
        # the order: last local log-log slope; floor: its change over the last step (truncation still present)
        slope_defect = abs(float(slopes[-1]) - q) / q
        slope_floor = abs(float(slopes[-1] - slopes[-2])) / q + float(rounding[-1])
        # the coefficient: D/δ^{p+1} at the smallest resolved δ; floor: its change, rounding, and the rounding of ζ
        target = self.coefficient * add.zeta
        coef_defect = abs(float(coefs[-1]) - target) / target
        coef_floor = abs(float(coefs[-1] - coefs[-2])) / abs(target) + float(rounding[-1]) + add.zeta_error / add.zeta
        # "for small δ": the sign of the decrease at the three smallest resolved δ, where the order is measured
        smallest, smallest_d = D[-3:], d[-3:]
        wrong_sign = (-self.decrease_sign * smallest).clamp_min(0) / smallest.abs()
        checked = [
            Entry(slope_defect, slope_floor, True, f"order δ^{q} (local slope between δ = {float(d[-2]):.3g} and {float(d[-1]):.3g})"),
            Entry(coef_defect, coef_floor, True, f"coefficient {self.coefficient:g}ζ (D/δ^{q} at δ = {float(d[-1]):.3g})"),
        ] + entries(wrong_sign, rounding[-3:], labels=[f"descent at δ = {float(x):.3g}" for x in smallest_d])
        measurements = replace(measurements, fitted_slope=float(slopes[-1]), coefficient_over_zeta=float(coefs[-1]) / add.zeta)
        return Evidence(checked, measurements, instance=label)
