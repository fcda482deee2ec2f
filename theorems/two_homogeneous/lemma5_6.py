"""dc2 Lemma 5.6 at the saddle of Appendix D.3: stationarity in both blocks, the residual, and why it is a saddle.

Source: Kumar & Haupt (dc2), Lemma 5.6 and Appendix D.3; digest ../shared/spec/two_homogeneous.md LEM-5.6, §3.6 (the
exact saddle), claim C25, Figure 4 notes, T1 (D.3's "{u1, ..., u20} is a saddle point" reads {ū_i}: the over-bars were
lost in the extraction) and T18 (the block-wise reading is rigorous here: the loss is C¹).

Statement (Lemma 5.6). If {w̄_n, w̄_z} is a saddle point of the square loss with ‖w̄_n‖ ∈ [m, M] and w̄_z = 0, then
0 ∈ ∂_{w_n}L(w̄_n, 0); and ∂_{w_z}L(w̄_n, 0) = {0}, since H_z is two-homogeneous (its gradient vanishes at 0).

The D.3 saddle (§3.6). H(x; {u_i}) = Σ_{i ≤ 20} max(0, u_iᵀx)² in d = 2, labels y = 5max(0, x1)² + 4max(0, −x1)²,
ū_i = (√½, 0) for i ≤ 10 and ū_i = 0 for i > 10. Then H(x; ū) = 5max(0, x1)² = y on x1 ≥ 0, ‖w̄_n‖ = √5, the residual is
ȳ = y − H_n(X; w̄_n) = 4max(0, −x1)², and for the 50 angles φ_j = −π + 2πj/50 with the sum loss ½Σ(H − y)² the loss is
75.0, the residual NCF N_ȳ(θ) = Σ_j ȳ_j max(0, cos(θ − φ_j))² has N_ȳ(π) = 37.5 and vanishes exactly on |θ| ≤ 3.6°.

Generalised here [derived]: a teacher a·max(0, x1)² + b·max(0, −x1)² (a, b > 0), K kept neurons ū_i = s√π_i(1, 0)
(any split π on the simplex, s² the least-squares scale of the kept block along e1) and m − K zero neurons, any unit
inputs with points on both sides of x1 = 0, loss c·Σ(H − y)² with c = ½ (sum), 1/n (mean) or 1/(2n):
  * s² = a, so ‖w̄_n‖ = √a (the kept mass) and H_n = y on x1 ≥ 0, ȳ = b·max(0, −x1)²;
  * ∇_{w_n}L = 0 (the residual vanishes wherever a kept neuron is active) and ∇_{w_z}L = 0;
  * not a local minimum: a zero neuron moved to ε(cos θ*, sin θ*) changes the loss by −2cε²N_ȳ(θ*) + O(ε⁴) < 0 when
    N_ȳ(θ*) > 0; not a local maximum: scaling w̄_n by 1 + ε changes it by c(2ε + ε²)²a²Σ_j max(0, x_1j)⁴ > 0;
  * the flat arc: N_ȳ(θ) = 0 exactly iff every input with ȳ_j > 0 (x_1j < 0) has cos(θ − φ_j) ≤ 0, i.e. on
    [max_j φ_j − 3π/2, min_j φ_j − π/2] over those inputs (angles φ_j in (π/2, 3π/2)); for n evenly spaced angles
    φ_j = −π + 2πj/n it is |θ| ≤ (the gap from π/2 to the first grid angle above it): 3.6° for n = 50.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, at_most, two_resolutions
from verify.nets import DTYPE, EPS, Activation
from verify.strategies import seeds
from verify.symbolic import is_zero

SIGMA = Activation(0.0, 2)  # max(0, s)²: the squared ReLU of Figures 1 and 4
ANGLES = 3600  # grid for the residual NCF's maximiser and for bracketing the flat arc's ends
EPSILONS = (3e-4, 1.5e-4)  # step lengths of the escape and radial directions (two resolutions of a second-order term)
ARC_POINTS = 101  # points of the rule's arc where N_ȳ must vanish
INPUTS = ("even", "random", "clusters", "axis", "antipodal")
LOSSES = {"sum": lambda n: 0.5, "mean": lambda n: 1.0 / n, "half-mean": lambda n: 0.5 / n}


@dataclass(frozen=True)
class SaddleInstance:
    """A saddle of the D.3 kind: ``n`` unit inputs of the family ``inputs`` (even: φ_j = −π + 2πj/n, the paper's grid;
    random: i.i.d. uniform angles; clusters: around 0 and π; axis: random angles and the two inputs (0, ±1) exactly on
    the kept neurons' kink; antipodal: pairs ±x), ``kept`` neurons of ``width`` along e1 split ``split`` (equal or
    random), ``loss`` normalisation, teacher scales ``a`` (x1 ≥ 0) and ``b`` (x1 < 0), ``seed``."""

    inputs: str
    n: int
    kept: int
    width: int
    split: str
    loss: str
    a: float
    b: float
    seed: int

    def angles(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        n = self.n
        if self.inputs == "even":
            phi = -np.pi + 2 * np.pi * np.arange(n) / n
        elif self.inputs == "random":
            phi = rng.uniform(-np.pi, np.pi, n)
        elif self.inputs == "clusters":
            phi = rng.choice([0.0, np.pi], n) + rng.normal(0, 0.3, n)
        elif self.inputs == "axis":
            phi = np.concatenate([[np.pi / 2, -np.pi / 2], rng.uniform(-np.pi, np.pi, n - 2)])
        else:
            half = rng.uniform(-np.pi, np.pi, (n + 1) // 2)
            phi = np.stack([half, half + np.pi], 1).ravel()[:n]
        return phi

    def inputs_array(self) -> np.ndarray:
        """X (n, 2), unit rows; (0, ±1) exactly for the axis family; at least one input on each side of x1 = 0 (the
        first two inputs off the axis are reflected through x1 = 0 if a side is empty)."""
        phi = self.angles()
        X = np.stack([np.cos(phi), np.sin(phi)], 1)
        if self.inputs == "axis":
            X[:2] = [[0.0, 1.0], [0.0, -1.0]]
        free = [j for j in range(self.n) if X[j, 0] != 0]
        if not (X[:, 0] < 0).any():
            X[free[0], 0] *= -1
        if not (X[:, 0] > 0).any():
            X[free[-1], 0] *= -1
        return X

    def split_weights(self) -> np.ndarray:
        if self.split == "equal":
            return np.full(self.kept, 1.0 / self.kept)
        g = np.random.default_rng(self.seed + 1).exponential(size=self.kept)  # Dirichlet(1, ..., 1)
        return g / g.sum()

    def __str__(self) -> str:
        return (f"{self.inputs} inputs n={self.n}, {self.kept} of {self.width} neurons kept ({self.split} split), "
                f"{self.loss} loss, teacher {self.a:.4g}·max(0,x1)² + {self.b:.4g}·max(0,−x1)², seed={self.seed}")


D3 = SaddleInstance("even", 50, 10, 20, "equal", "sum", 5.0, 4.0, 0)  # the paper's Figure 4 / App. D.3 setting


@st.composite
def saddle_instances(draw) -> SaddleInstance:
    kept = draw(st.integers(1, 12))
    inputs = draw(st.sampled_from(INPUTS))
    return SaddleInstance(inputs, draw(st.integers(4 if inputs == "axis" else 2, 64)), kept,
                          kept + draw(st.integers(1, 12)), draw(st.sampled_from(("equal", "random"))),
                          draw(st.sampled_from(tuple(LOSSES))), draw(st.floats(0.5, 10.0)), draw(st.floats(0.5, 10.0)),
                          draw(seeds()))


def network(U: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """H(X; U) = Σ_i max(0, u_iᵀx)² for neurons U (..., m, 2): shape (..., n)."""
    return SIGMA(U @ X.T).sum(-2)


def saddle(instance: SaddleInstance, scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The lemma's point on ``instance``: inputs X, labels y = a·max(0, x1)² + b·max(0, −x1)² and neurons U (width × 2),
    the K kept ones ū_i = s√π_i(1, 0) with s² = Σy_jm_j/Σm_j² (m_j = max(0, x_1j)², the least-squares scale) times
    ``scale`` (1 at the saddle), the others 0."""
    X = torch.as_tensor(instance.inputs_array(), dtype=DTYPE)
    x1 = X[:, 0]
    y = instance.a * x1.clamp_min(0) ** 2 + instance.b * (-x1).clamp_min(0) ** 2
    mk = x1.clamp_min(0) ** 2
    s = scale * math.sqrt(float(y @ mk) / float(mk @ mk))
    U = torch.zeros(instance.width, 2, dtype=DTYPE)
    U[:instance.kept, 0] = s * torch.as_tensor(np.sqrt(instance.split_weights()), dtype=DTYPE)
    return X, y, U


def residual_ncf(theta: torch.Tensor, X: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """N_ȳ(θ) = ȳᵀH_z(X; (cos θ, sin θ)) for one zero-block neuron, batched over θ."""
    return network(torch.stack([theta.cos(), theta.sin()], -1)[..., None, :], X) @ residual


@dataclass(frozen=True)
class SaddleMeasurements:
    """What dc2.lemma5_6 measured: the loss at the saddle, ‖w̄_n‖ and √a, the two blocks' gradient norms relative to the
    gradient scale S = ‖∇L‖ at a random point of the same norm, the residual's largest defect, N_ȳ(π) and the
    maximiser θ* of N_ȳ with its value, the second-order coefficients of the escape (measured, claimed −2cN_ȳ(θ*)) and
    radial (measured, claimed 4ca²Σmax(0, x1)⁴) directions, and the flat arc's ends (measured, rule; degrees)."""

    loss: float
    norm_wn: float
    sqrt_a: float
    grad_n: float
    grad_z: float
    gradient_scale: float
    residual_defect: float
    N_at_pi: float
    theta_star_deg: float
    N_max: float
    escape_coefficient: float
    escape_claimed: float
    radial_coefficient: float
    radial_claimed: float
    arc_measured_deg: tuple[float, float]
    arc_rule_deg: tuple[float, float]


@register
class SaddleStationarity(Checker):
    """dc2 Lemma 5.6 at the D.3 saddle and its generalisations: stationary in both blocks, a genuine saddle."""

    id = "dc2.lemma5_6"
    title = "The D.3 saddle: ∇_{w_n}L = ∇_{w_z}L = 0, residual 4max(0,−x1)², ‖w̄_n‖ = √5, an escape direction and a flat arc"
    source = "dc2 Lemma 5.6 at the saddle of App. D.3 (digest LEM-5.6, §3.6, C25, T1, T18)"
    statement = (
        "At a saddle {w̄_n, w̄_z = 0} of the square loss, 0 ∈ ∂_{w_n}L(w̄_n, 0) and ∂_{w_z}L(w̄_n, 0) = {0}. At the D.3 saddle "
        "(ū_i = (√½, 0), i ≤ 10, ū_i = 0 else; y = 5max(0,x1)² + 4max(0,−x1)²) and its generalisations: ‖w̄_n‖ = √(kept "
        "mass a), ȳ = b·max(0,−x1)², the loss falls as −2cε²N_ȳ(θ*) along a zero neuron moved to εe_θ* and rises along "
        "w̄_n's scale, and N_ȳ = 0 exactly on [max φ_j − 3π/2, min φ_j − π/2] over the inputs with x1 < 0 (|θ| ≤ 3.6° for "
        "50 evenly spaced angles)."
    )
    hypotheses_text = (
        "The D.3 instance itself (n = 50 angles φ_j = −π + 2πj/50, 10 of 20 neurons, sum loss, a = 5, b = 4), and: n 2–64 "
        "unit inputs (even: the paper's grid; random i.i.d. angles; two clusters around 0 and π; axis: random angles plus "
        "(0, ±1) exactly on the kept neurons' kink; antipodal pairs), at least one on each side of x1 = 0; K 1–12 kept "
        "neurons and 1–12 zero ones; an equal or random (Dirichlet) split of the kept mass; loss ½Σ, (1/n)Σ or "
        "(1/(2n))Σ of (H − y)²; teacher scales a, b in [0.5, 10]."
    )
    method = (
        "The kept block's scale s² is the least-squares fit Σy_j m_j/Σm_j² (m_j = max(0, x_1j)²) along e1, split as ū_i = s√π_i(1, 0). "
        "Gradients by autograd of L(U) = c·Σ(H(X; U) − y)², H = Σ_i max(0, u_iᵀx)² (float64): each block's norm relative to S = ‖∇L‖ at a"
        " random point of the same norm, floor a rounding bound 16n·ε·cΣ_j(|H_j| + |y_j|)Σ_i|u_iᵀx_j|/S. Residual y − H_n(X; w̄_n) "
        "against b·max(0, −x1)² (relative to max|y|), ‖w̄_n‖ against √a. Residual NCF N_ȳ(θ) = ȳᵀH_z(X; (cos θ, sin θ)), with entries of "
        "ȳ within 16ε·max|y| of 0 set to 0 (H_n = y on x1 ≥ 0 up to rounding; otherwise the zero set of N_ȳ is decided by noise). Escape:"
        " θ* the best of 3600 angles for N_ȳ; a zero neuron moved to εe_θ*, the loss change computed as c·ΣΔH(ΔH + 2(H − y)) (a "
        "difference of squares, free of cancellation) at ε = 3e-4 and 1.5e-4, divided by ε², against −2cN_ȳ(θ*) (two resolutions: the "
        "floor is the change, i.e. the O(ε²) remainder, plus the rounding bound), and the change must be negative (not a local minimum). "
        "Radial: the symmetric second difference (ΔL(ε) + ΔL(−ε))/2 along (1 ± ε)w̄_n, over ε², against 4ca²Σmax(0, x_1j)⁴ > 0 (not a "
        "local maximum). Flat arc: its ends measured by scanning N_ȳ on 3600 angles outwards from θ = 0 and bisecting the predicate "
        "N_ȳ(θ) > 0 to about 1e-15, against the rule [max φ_j − 3π/2, min φ_j − π/2] over inputs with x1 < 0 (floor 1e-12 relative to "
        "π/2); N_ȳ = 0 at 101 points of the rule's arc (relative to N_ȳ(θ*)). The D.3 numbers (loss 75, ‖w̄_n‖ = √5, N_ȳ(π) = 37.5, arc "
        "±3.6°) are among the measurements."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    saddle_scale = 1.0  # mutant: the kept block off the saddle by a factor
    claims_local_minimum = False  # mutant: "w̄ is a local minimum" (the loss never decreases nearby)
    residual_coefficient = staticmethod(lambda a, b: b)  # ȳ = coefficient·max(0, −x1)²
    mutants = [
        Mutant("w̄ off the saddle", "ū_i scaled by 1 + 10⁻³ (then H_n ≠ H* on x1 ≥ 0 and ∇_{w_n}L ≠ 0)", saddle_scale=1 + 1e-3),
        Mutant("w̄ is a local minimum", "the loss does not decrease in any direction near w̄ (killed by the escape "
               "direction of the residual NCF's maximiser)", claims_local_minimum=True),
        Mutant("residual 5max(0,−x1)²", "ȳ = a·max(0, −x1)², the teacher's x1 ≥ 0 coefficient (5 in D.3) in place of b (4)",
               residual_coefficient=staticmethod(lambda a, b: a)),
    ]

    def hypotheses(self):
        return st.one_of(st.just(D3), saddle_instances())

    def claim(self, instance: SaddleInstance, ctx: Context) -> Evidence:
        X, y, U = saddle(instance, self.saddle_scale)
        x1, mk = X[:, 0], X[:, 0].clamp_min(0) ** 2
        a, b, K, m, n = instance.a, instance.b, instance.kept, instance.width, instance.n
        c = LOSSES[instance.loss](n)

        def loss(W: torch.Tensor) -> torch.Tensor:
            return c * ((network(W, X) - y) ** 2).sum(-1)

        def gradient(W: torch.Tensor) -> torch.Tensor:
            W = W.clone().requires_grad_(True)
            return torch.autograd.grad(loss(W), W)[0]

        checked: list[Entry] = []
        # stationarity in both blocks, relative to the gradient's scale at a random point of the same norm
        g = gradient(U)
        W_random = torch.randn(m, 2, generator=torch.Generator().manual_seed(instance.seed), dtype=DTYPE)
        scale = float(gradient(W_random * float(U.norm()) / float(W_random.norm())).norm())
        H = network(U, X)
        rounding = 16 * n * EPS * c * float(((H.abs() + y.abs()) * (U @ X.T).abs().sum(0)).sum()) / scale
        grad_n, grad_z = float(g[:K].norm()) / scale, float(g[K:].norm()) / scale
        checked += [Entry(grad_n, rounding, True, f"∇_{{w_n}}L(w̄_n, 0) = 0 (relative to ‖∇L‖ = {scale:.4g} at a random point)"),
                    Entry(grad_z, rounding, True, "∇_{w_z}L(w̄_n, 0) = 0 (H_z has zero gradient at 0)")]

        # the residual and the kept mass
        residual = y - network(U[:K], X)
        claimed = self.residual_coefficient(a, b) * (-x1).clamp_min(0) ** 2
        defect = float((residual - claimed).abs().max()) / float(y.abs().max())
        norm_wn = float(U[:K].norm())
        checked += [Entry(defect, 16 * EPS, True, f"ȳ = y − H_n(X; w̄_n) = {self.residual_coefficient(a, b):.4g}·max(0, −x1)²"),
                    Entry(abs(norm_wn - math.sqrt(a)) / math.sqrt(a), 16 * EPS, True, f"‖w̄_n‖ = √a = {math.sqrt(a):.6g}")]

        # not a local minimum: a zero neuron moved along e_θ*, the maximiser of the residual NCF N_ȳ (entries of ȳ within
        # rounding of 0, i.e. H_n = y on x1 ≥ 0 to 16ε·max|y|, count as 0: else N_ȳ's zero set is decided by noise)
        residual = torch.where(residual.abs() <= 16 * EPS * y.abs().max(), 0.0, residual)
        thetas = torch.arange(ANGLES, dtype=DTYPE) * (2 * math.pi / ANGLES) - math.pi
        values = residual_ncf(thetas, X, residual)
        theta_star = float(thetas[int(values.argmax())])
        N_star = float(values.max())
        if not N_star > 0:  # no input with a positive residual: w̄ is a global minimum, not a saddle (outside the hypotheses)
            return Evidence.undecided("N_ȳ ≤ 0 on the circle: no escape direction", instance=str(instance))
        L0 = float(loss(U))
        direction = torch.tensor([math.cos(theta_star), math.sin(theta_star)], dtype=DTYPE)

        def change(W: torch.Tensor, changed: slice) -> tuple[float, float]:
            """L(W) − L(U) for W differing from U in the neurons ``changed``, as c·Σ ΔH(ΔH + 2(H − y)) with ΔH the
            changed neurons' outputs' difference (a difference of squares, free of the cancellation of L(W) − L(U)),
            and its rounding bound."""
            dH = network(W[changed], X) - network(U[changed], X)
            terms = dH * (dH + 2 * (H - y))
            bound = 64 * n * EPS * c * float((dH.abs() * (dH.abs() + 2 * (H.abs() + y.abs()))).sum())
            return c * float(terms.sum()), bound

        def escape(eps: float) -> tuple[float, float]:
            W = U.clone()
            W[K] = eps * direction
            return change(W, slice(K, K + 1))

        def radial(eps: float) -> tuple[float, float]:  # the symmetric second difference (odd orders cancel)
            W_up, W_down = U.clone(), U.clone()
            W_up[:K] *= 1 + eps
            W_down[:K] *= 1 - eps
            (up, b_up), (down, b_down) = change(W_up, slice(0, K)), change(W_down, slice(0, K))
            return 0.5 * (up + down), 0.5 * (b_up + b_down)

        e_c, e_f = EPSILONS
        (d_c, _), (d_f, b_f) = escape(e_c), escape(e_f)
        escape_claimed = -2 * c * N_star
        entry = two_resolutions(d_c / e_c**2, d_f / e_f**2, escape_claimed, f"escape along θ* = {math.degrees(theta_star):.2f}°: "
                                f"ΔL/ε² → −2cN_ȳ(θ*) = {escape_claimed:.6g}")
        checked.append(Entry(entry.violation, entry.error_floor + b_f / abs(d_f), True, entry.label))
        if self.claims_local_minimum:
            checked.append(at_least(d_f, 0.0, b_f / abs(d_f), "w̄ is a local minimum: L(w̄ + δ) ≥ L(w̄) along the escape "
                                    f"direction (ε = {e_f:g})", scale=abs(d_f)))
        else:
            checked.append(at_most(d_f, 0.0, b_f / abs(d_f), f"not a local minimum: L decreases along εe_θ* (ε = {e_f:g})",
                                   scale=abs(d_f)))
        (r_c, _), (r_f, rb_f) = radial(e_c), radial(e_f)
        radial_claimed = 4 * c * a**2 * float((mk**2).sum())
        entry = two_resolutions(r_c / e_c**2, r_f / e_f**2, radial_claimed, "not a local maximum: along (1 ± ε)w̄_n, "
                                f"ΔL/ε² → 4ca²Σmax(0, x1)⁴ = {radial_claimed:.6g} > 0")
        checked.append(Entry(entry.violation, entry.error_floor + rb_f / abs(r_f), True, entry.label))
        down_f, up_f = d_f / e_f**2, r_f / e_f**2

        # the flat arc of N_ȳ around θ = 0
        rule = flat_arc_rule(X)
        measured = flat_arc_measured(X, residual)
        for side, got, want in (("upper", measured[1], rule[1]), ("lower", measured[0], rule[0])):
            checked.append(Entry(abs(got - want) / (math.pi / 2), 1e-12, True,
                                 f"the flat arc's {side} end: measured {math.degrees(got):.6f}° = rule {math.degrees(want):.6f}°"))
        arc = torch.linspace(rule[0], rule[1], ARC_POINTS, dtype=DTYPE)
        checked.append(Entry(float(residual_ncf(arc, X, residual).abs().max()) / N_star, 64 * EPS, True,
                             "N_ȳ = 0 on the rule's arc (101 points, ends included)"))

        m_out = SaddleMeasurements(
            L0, norm_wn, math.sqrt(a), grad_n, grad_z, scale, defect,
            float(residual_ncf(torch.tensor([math.pi], dtype=DTYPE), X, residual)[0]), math.degrees(theta_star), N_star,
            down_f, escape_claimed, up_f, radial_claimed, (math.degrees(measured[0]), math.degrees(measured[1])),
            (math.degrees(rule[0]), math.degrees(rule[1])))
        return Evidence(checked, m_out, instance=str(instance))

    def obligations(self) -> list[Obligation]:
        """Sympy, for the teacher a·max(0,x1)² + b·max(0,−x1)² and K neurons s√π_i(1, 0) with Σπ_i = 1: the least-squares
        scale is s² = a and the residual vanishes on x1 > 0 and equals b·x1² on x1 < 0; the escape and radial expansions
        of c·Σ(r + ΔH)² − c·Σr²; the flat-arc rule cos(θ − π − δ) = −cos(θ − δ)."""
        a, b, c, eps, x, h, yb, m = sp.symbols("a b c epsilon x h ybar m", positive=True)
        s2 = sp.Symbol("s2", positive=True)
        # on x1 = x > 0 the kept block gives s²x² (Σπ_i = 1); the 1-D least squares Σ(s²m − y)m = 0 with y = a·m there
        scale_ok = is_zero(sp.solve(sp.Eq((s2 * m - a * m) * m, 0), s2)[0] - a)
        def residual_at(x1):  # y − H_n at an input with first coordinate x1, H_n = s²max(0, x1)² with s² = a
            return a * sp.Max(0, x1) ** 2 + b * sp.Max(0, -x1) ** 2 - a * sp.Max(0, x1) ** 2

        residual_pos, residual_neg = is_zero(residual_at(x)), is_zero(residual_at(-x) - b * x**2)
        escape = sp.expand(c * (-yb + eps**2 * h) ** 2 - c * yb**2 - (-2 * c * eps**2 * yb * h + c * eps**4 * h**2))
        radial = sp.expand(c * (((1 + eps) ** 2 - 1) * a * m) ** 2 - c * (2 * eps + eps**2) ** 2 * a**2 * m**2)
        theta, delta = sp.symbols("theta delta", real=True)
        arc = sp.simplify(sp.cos(theta - sp.pi - delta) + sp.cos(theta - delta))
        return [
            Obligation("kept mass", "the least-squares scale of the kept block along e1 is s² = a", scale_ok),
            Obligation("residual", "y − H_n = 0 on x1 > 0 and b·x1² on x1 < 0", residual_pos and residual_neg),
            Obligation("escape", "c(−ȳ + ε²h)² − cȳ² = −2cε²ȳh + cε⁴h² (sums of these give −2cε²N_ȳ + O(ε⁴))", is_zero(escape),
                       str(escape)),
            Obligation("radial", "ΔH_n = ((1+ε)² − 1)a·m where ȳ = 0: ΔL = c(2ε + ε²)²a²Σm²", is_zero(radial), str(radial)),
            Obligation("flat arc", "cos(θ − (π + δ)) = −cos(θ − δ): an input at φ = π + δ is inactive iff |θ − δ| ≤ π/2",
                       is_zero(arc), str(arc)),
        ]


def flat_arc_rule(X: torch.Tensor) -> tuple[float, float]:
    """[max φ_j − 3π/2, min φ_j − π/2] over the inputs with x_1j < 0, angles φ_j in (π/2, 3π/2): the set of θ near 0
    where every input with a positive residual has cos(θ − φ_j) ≤ 0."""
    left = X[X[:, 0] < 0]
    phi = torch.atan2(left[:, 1], left[:, 0]) % (2 * math.pi)
    return float(phi.max()) - 1.5 * math.pi, float(phi.min()) - 0.5 * math.pi


def flat_arc_measured(X: torch.Tensor, residual: torch.Tensor) -> tuple[float, float]:
    """The ends of the zero set of N_ȳ containing θ = 0: scan 3600 angles outwards from 0, then bisect the predicate
    N_ȳ(θ) > 0 inside the bracket (to about 1e-15)."""
    step = 2 * math.pi / ANGLES

    def positive(theta: float) -> bool:
        return float(residual_ncf(torch.tensor([theta], dtype=DTYPE), X, residual)[0]) > 0

    ends = []
    for sign in (-1.0, 1.0):
        grid = sign * step * torch.arange(1, ANGLES // 2 + 1, dtype=DTYPE)
        hit = (residual_ncf(grid, X, residual) > 0).nonzero()
        if not len(hit):
            ends.append(sign * math.pi)
            continue
        k = int(hit[0])
        inside, outside = (float(grid[k - 1]) if k > 0 else 0.0), float(grid[k])
        for _ in range(64):
            mid = 0.5 * (inside + outside)
            if mid in (inside, outside):
                break
            inside, outside = (inside, mid) if positive(mid) else (mid, outside)
        ends.append(inside)
    return ends[0], ends[1]
