"""edc Lemma 18: the NCF flow of a two-homogeneous net stays finite, with the Gronwall envelope ‖u0‖²e^{4Tβ‖z‖}.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 18 (App. E, eq. 130) and its proof; digest ../shared/spec/early_directional_convergence.md, "edc.lemma18", claim
C18 and typo T9.

Statement (corrected). Let H(x; w) be two-homogeneous in w and satisfy items 1 and 3 of Assumption 1 (definable,
differentiable with a locally Lipschitz gradient), N(u) = zᵀH(X; u) and du/dt = ∇N(u) = J(X; u)ᵀz, u(0) = u0. Then for
every finite T ≥ 0, ‖u(T)‖ is finite; indeed, with β = sup_{‖w‖=1} ‖H(X; w)‖ (eq. 19, ‖·‖ the Euclidean/Frobenius norm
of the n (× m) outputs),

    ‖u(T)‖² ≤ ‖u0‖²·exp(4Tβ‖z‖)      for all T ≥ 0.

Proof: ½ d‖u‖²/dt = uᵀJᵀz = 2H(X; u)ᵀz (Euler, degree 2) ≤ 2‖H(X; u)‖‖z‖ ≤ 2β‖u‖²‖z‖ (H(X; u) = ‖u‖²H(X; u/‖u‖)),
then Gronwall. The extraction prints ‖u0‖² + e^{4Tβ‖z‖} (typo T9); that form is false: for N(u) = u1u2 (β = ½, ‖z‖ = 1),
u0 = (10, 10), T = 1 the flow is u(t) = 10e^t(1, 1), ‖u(1)‖² = 200e² ≈ 1478 > 200 + e² ≈ 207, while the corrected bound
200e² is attained.

Relation to dc2.lemmaC3 (dc2 Lemma C.3, theorems/two_homogeneous/lemmaC3.py). dc2 states the two-sided envelope
‖u0‖²e^{−4tβ‖z‖} ≤ ‖u(t)‖² ≤ ‖u0‖²e^{4tβ‖z‖} for u̇ ∈ ∂N(u), with the same N = zᵀH(X; u), the same
β = sup_{‖w‖=1}‖H(X; w)‖ and the same rate 4β‖z‖ (= 2·degree·β‖z‖): its upper side *is* this lemma's corrected bound,
constant for constant — the two papers share their conventions here. The differences: dc2 allows Clarke flows of non-smooth
nets (it checks leaky-ReLU nets in d = 2 with β bracketed on a grid), while edc Lemma 18 assumes item 3 of Assumption 1,
which excludes ReLU (digest §1.2); and edc's conclusion is finiteness, with the envelope as its proof. So this checker
draws only smooth two-homogeneous nets, on which β is known in closed form (no bracket needed):

* the dense two-layer linear net H(x; W1, W2) = W2W1x (m = 1 or 2 outputs): β = ‖X‖₂/2. Upper bound: ‖XW1ᵀW2ᵀ‖_F ≤
  ‖X‖₂‖W1‖_F‖W2‖_F ≤ ‖X‖₂(‖W1‖²_F + ‖W2‖²_F)/2 (AM–GM); attained by W1 = a rᵀ, W2 = q aᵀ with r the top right singular
  vector of X and ‖a‖² = ½, ‖q‖ = 1 — so the AM–GM bound is the exact β, not merely an upper bound;
* the diagonal linear net H(x; a, b) = xᵀ(a ⊙ b): β = ½ max_j ‖Xe_j‖ (the largest column norm): ‖X(a ⊙ b)‖ ≤
  max_j‖Xe_j‖·Σ|a_jb_j| ≤ max_j‖Xe_j‖(‖a‖² + ‖b‖²)/2, attained at a = b = e_j/√2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_most
from verify.flow import Flow, FlowStatus, integrate, ncf_flow, random_start, two_tolerances
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.strategies import NCFProblem, datasets, ncf_problems, seeds
from verify.symbolic import euler_defect, is_zero, symbolic_network

EXPONENTS = (0.5, 1.0, 2.0, 4.0)  # the horizons T are where 4Tβ‖z‖ takes these values (‖u‖² may grow by e⁴)
RADIUS = 10.0  # ‖u0‖ of every start (the digest's witness has ‖u0‖² = 200); see hypotheses_text
RTOL = 1e-10  # coarse tolerance; the fine one is 100× smaller (verify.flow.two_tolerances)
BLOW_UP_NORM = 1e12  # ‖u‖ at which the integrator reports a blow-up (far above every bound checked here)
LINEAR = Activation(1.0, 1)
DENSE, DIAGONAL = "dense", "diagonal"


@dataclass(frozen=True)
class TwoHomogeneousNet:
    """One smooth two-homogeneous NCF of an instance: its flow, β = sup_{‖w‖=1}‖H(X; w)‖ (exact), and a unit maximiser
    w_β of ‖H(X; w)‖ on the sphere with its output H(X; w_β) (shape (n, m)); ``kind`` says which β formula was used."""

    flow_for: Callable[[torch.Tensor], Flow]  # z (n, m) → the NCF flow of N = zᵀH(X; ·)
    beta: float
    w_beta: torch.Tensor
    H_beta: torch.Tensor
    n_params: int
    kind: str


def dense_linear(net: FeedForward, X: torch.Tensor) -> TwoHomogeneousNet:
    """The two-layer linear net W2W1x: β = ‖X‖₂/2, attained at W1 = a rᵀ, W2 = q aᵀ (a = 1/√(2k), q = 1/√m)."""
    _, S, Vh = torch.linalg.svd(X, full_matrices=False)
    k, m = net.widths[1], net.widths[2]
    a = torch.full((k,), 1 / math.sqrt(2 * k), dtype=DTYPE)
    q = torch.full((m,), 1 / math.sqrt(m), dtype=DTYPE)
    w = net.flatten([torch.outer(a, Vh[0]), torch.outer(q, a)])
    return TwoHomogeneousNet(lambda z: ncf_flow(net, X, z), 0.5 * float(S[0]), w, net(w, X), net.n_params,
                             "dense two-layer linear W2W1x: β = ‖X‖₂/2")


def diagonal_linear(X: torch.Tensor) -> TwoHomogeneousNet:
    """The diagonal linear net xᵀ(a ⊙ b), parameters (a, b) ∈ R^{2d}: β = ½max_j‖Xe_j‖, attained at a = b = e_j/√2."""
    d = X.shape[1]
    cols = X.norm(dim=0)
    j = int(cols.argmax())
    w = torch.zeros(2 * d, dtype=DTYPE)
    w[j] = w[d + j] = 1 / math.sqrt(2)

    def flow_for(z: torch.Tensor) -> Flow:
        c = X.T @ z.reshape(X.shape[0], -1)[:, 0]  # N(a, b) = cᵀ(a ⊙ b), c = Xᵀz

        def value_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            a, b = u[:, :d], u[:, d:]
            return (a * b) @ c, torch.cat([b * c, a * c], dim=1)

        return Flow(value_and_grad, 1.0, 2.0, None, "N (diagonal linear net)")

    return TwoHomogeneousNet(flow_for, 0.5 * float(cols[j]), w, (X @ (w[:d] * w[d:]))[:, None], 2 * d,
                             "diagonal linear xᵀ(a⊙b): β = ½max_j‖Xe_j‖")


@dataclass(frozen=True)
class FinitenessMeasurements:
    """What edc.lemma18 measured on one instance: the architecture, β (exact) and ‖z‖; the horizons T_j and the
    exponents 4T_jβ‖z‖; per start (random, tight) the growth ‖u(T_j)‖²/‖u0‖² at each horizon (fine tolerance); the
    corrected bound's ratio e^{4Tβ‖z‖} and the printed (T9) bound's ratio (‖u0‖² + e^{4Tβ‖z‖})/‖u0‖² at ‖u0‖ = 10; the
    smallest relative slack (B − ‖u(T)‖²)/B of the checked bound B (negative: violated) and the largest floor."""

    architecture: str
    beta: float
    z_norm: float
    horizons: tuple[float, ...]
    exponents: tuple[float, ...]
    random_growth: tuple[float, ...]
    tight_growth: tuple[float, ...]
    corrected_ratio: tuple[float, ...]
    printed_ratio: tuple[float, ...]
    worst_slack: float
    worst_floor: float


@register
class TwoHomogeneousFinite(Checker):
    """edc Lemma 18: two-homogeneous NCF flows stay finite, ‖u(T)‖² ≤ ‖u0‖²e^{4Tβ‖z‖} (corrected, typo T9)."""

    id = "edc.lemma18"
    title = "Two-homogeneous NCF flows stay finite: ‖u(T)‖² ≤ ‖u0‖²e^(4Tβ‖z‖)"
    source = "edc Lemma 18 (App. E, eq. 130; bound corrected per digest T9, claim C18)"
    statement = (
        "For H two-homogeneous with a locally Lipschitz gradient (items 1, 3 of Assumption 1) and du/dt = ∇N(u) = J(X; u)ᵀz, "
        "u(0) = u0: ‖u(T)‖ is finite for every finite T ≥ 0, and ‖u(T)‖² ≤ ‖u0‖²·exp(4Tβ‖z‖) with β = sup_{‖w‖=1}‖H(X; w)‖ "
        "(the printed ‖u0‖² + exp(4Tβ‖z‖) is a typo)."
    )
    hypotheses_text = (
        "Smooth two-homogeneous nets with β in closed form: (a) the dense two-layer linear net W2W1x (σ = identity), hidden "
        "width 1–4, 1–2 outputs, β = ‖X‖₂/2; (b) the diagonal linear net xᵀ(a ⊙ b), β = ½max_j‖Xe_j‖ (module docstring "
        "derives both, attained, so β is exact). Data: n 3–10 samples in d 2–5 from the default families, z Gaussian or "
        "structured (an orthogonal z gives Xᵀz = 0 and a flow at rest). Two starts of norm 10 per instance: a random "
        "direction (instance seed) with the instance's z, and the tight start — the β-maximiser w_β with z replaced by "
        "‖z‖·H(X; w_β)/‖H(X; w_β)‖, so that N(u0) = β‖z‖‖u0‖² and the flow runs radially along the bound. ‖u(T)‖²/‖u0‖² "
        "is scale-free (∇N is 1-homogeneous), so the norm 10 changes nothing for the statement; it is where the printed "
        "additive form ‖u0‖² + e^{4Tβ‖z‖} is visibly false (it is implied by the true bound when ‖u0‖ ≤ 1). ReLU-type "
        "nets are left out: item 3 excludes them (dc2.lemmaC3 checks the same envelope for them)."
    )
    method = (
        "The NCF flow (verify.flow.ncf_flow for the dense net; the hand-written gradient (b ⊙ c, a ⊙ c), c = Xᵀz, for the "
        "diagonal one) integrated with verify.flow.integrate (scipy DOP853) to the horizons T_j with 4T_jβ‖z‖ ∈ {0.5, 1, 2, "
        "4}, at rtol 1e-10 and 1e-12 (atol scaled by ‖u0‖; verify.flow.two_tolerances: the value is the fine run, the floor "
        "the change of ‖u(T_j)‖²). Entries per start and horizon: the bound ‖u(T_j)‖² ≤ B_j = ‖u0‖²e^{4T_jβ‖z‖} as the "
        "relative excess max(0, ‖u(T_j)‖² − B_j)/B_j (floor: the two-tolerance change over B_j plus 8ε(1 + 4T_jβ‖z‖) for "
        "B_j's own rounding); and finiteness — the integration reached T_j with a finite state (violation 0), ‖u‖ reached "
        "1e12 before T_j (violation 1: a resolved blow-up) or it stopped otherwise (undecided). On the tight start the "
        "bound holds with equality, so it is decided at the integration's precision. Symbolic obligations: the witness "
        "u(t) = 10e^t(1, 1) solves the flow of N = u1u2, β = ½ there, and ‖u(1)‖² = 200e² is within the bound; the bound "
        "solves the Gronwall comparison B′ = 4β‖z‖B, B(0) = ‖u0‖²; Euler uᵀ∇N = 2N for the dense and diagonal linear nets."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knobs; each mutant replaces one
    rate = 4.0  # B = ‖u0‖²·exp(rate·Tβ‖z‖)
    additive = False  # True: B = ‖u0‖² + exp(rate·Tβ‖z‖), the printed form (T9)
    mutants = [
        Mutant("printed additive form (T9)", "‖u(T)‖² ≤ ‖u0‖² + e^{4Tβ‖z‖}, as the extraction prints it", additive=True),
        Mutant("exponent 2Tβ‖z‖", "‖u(T)‖² ≤ ‖u0‖²e^{2Tβ‖z‖} (the degree's factor 2 dropped)", rate=2.0),
    ]

    def envelope(self, norm0_sq, exponent):
        """The checked bound B from ‖u0‖² and the argument Tβ‖z‖ (floats or sympy expressions)."""
        e = sp.exp(self.rate * exponent) if isinstance(exponent, sp.Basic) else math.exp(self.rate * exponent)
        return norm0_sq + e if self.additive else norm0_sq * e

    def hypotheses(self):
        data = datasets(n=(3, 10), d=(2, 5))
        dense = ncf_problems(data=data, depths=(2,), widths=(1, 4), activation=st.just(LINEAR), outputs=(1, 2))
        scalar = ncf_problems(data=data, depths=(2,), widths=(1, 1), activation=st.just(LINEAR))
        return st.one_of(st.tuples(dense, st.just(DENSE), seeds()), st.tuples(scalar, st.just(DIAGONAL), seeds()))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, architecture, seed = instance
        X = torch.as_tensor(problem.X, dtype=DTYPE)
        z = torch.as_tensor(problem.z, dtype=DTYPE)
        net = dense_linear(problem.net, X) if architecture == DENSE else diagonal_linear(X)
        shown = str(problem) if architecture == DENSE else f"diagonal linear net xᵀ(a⊙b); {problem.data}; z {problem.z_kind} "\
                                                           f"seed={problem.z_seed}"
        text = f"{shown}; start seed={seed}"
        zn = float(z.norm())
        if not (net.beta > 0 and zn > 0):
            return Evidence.undecided(f"β‖z‖ = {net.beta * zn:.3g}: H or z vanishes, there is no time scale", instance=text)
        horizons = np.array(EXPONENTS) / (4 * net.beta * zn)
        z_tight = zn * net.H_beta / net.H_beta.norm()
        starts = (("random start", random_start(net.n_params, seed, RADIUS), z.reshape(z_tight.shape)),
                  ("tight start", RADIUS * net.w_beta, z_tight))
        checked: list[Entry] = []
        growths, slacks, floors, notes = [], [], [], []
        for name, u0, zs in starts:
            entries, growth, slack, floor, note = self.along(net.flow_for(zs), u0, horizons, net.beta * zn, name)
            checked += entries
            growths.append(growth), slacks.append(slack), floors.append(floor)
            notes += [f"{name}: {note}"] if note else []
        args = horizons * net.beta * zn
        r2 = RADIUS**2
        m = FinitenessMeasurements(net.kind, net.beta, zn, tuple(horizons.tolist()), tuple((4 * args).tolist()),
                                   tuple(growths[0]), tuple(growths[1]), tuple(np.exp(4 * args).tolist()),
                                   tuple(((r2 + np.exp(4 * args)) / r2).tolist()), float(np.nanmin(slacks)),
                                   float(np.nanmax(floors)))
        return Evidence(checked, m, instance=text, note="; ".join(notes))

    def along(self, flow: Flow, u0: torch.Tensor, horizons: np.ndarray, beta_z: float, name: str
               ) -> tuple[list[Entry], list[float], float, float, str]:
        """Entries of one start u0 of the flow: the bound and finiteness at each horizon (``beta_z`` = β‖z‖), the growth
        ‖u(T_j)‖²/‖u0‖², the smallest relative slack, the largest floor and a note on how the integration ended."""
        n0 = float(u0 @ u0)
        runs = {}

        def measure(rtol: float, atol: float) -> np.ndarray:
            path = integrate(flow, u0, float(horizons[-1]), rtol=rtol, atol=atol * RADIUS, t_eval=horizons,
                             blow_up_norm=BLOW_UP_NORM)
            runs[rtol] = path
            out = np.full(len(horizons), math.nan)
            out[:len(path.t)] = (path.u**2).sum(1)
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        fine = runs[RTOL / 100]
        checked: list[Entry] = []
        slacks, floors = [], []
        for j, T in enumerate(horizons):
            arg = float(T) * beta_z
            value, change = float(tt.value[j]), float(tt.floor[j])
            B = self.envelope(n0, arg)
            where = f"{name}: at T = {T:.4g} (4Tβ‖z‖ = {4 * arg:g})"
            if math.isfinite(value) and math.isfinite(change):
                floor = change / B + 8 * EPS * (1 + 4 * arg)
                checked.append(at_most(value, B, floor, f"{where}: ‖u(T)‖² = {value:.9g} ≤ B = {B:.9g}", scale=B))
                checked.append(Entry(0.0, 0.0, True, f"{where}: finite, the integration reached T"))
                slacks.append((B - value) / B), floors.append(floor)
            elif fine.status is FlowStatus.BLOW_UP:
                checked.append(Entry(math.nan, math.nan, False, f"{where}: bound not reached ({fine.message})"))
                checked.append(Entry(1.0, 0.0, True, f"{where}: not finite — {fine.message}"))
            else:
                checked.append(Entry(math.nan, math.nan, False, f"{where}: not reached ({fine.status}: {fine.message})"))
                checked.append(Entry(math.nan, math.nan, False, f"{where}: finiteness undecided ({fine.status})"))
        note = "" if fine.status is FlowStatus.SUCCESS else f"{fine.status}: {fine.message}"
        growth = (tt.value / n0).tolist()
        return checked, growth, min(slacks, default=math.nan), max(floors, default=math.nan), note

    def obligations(self) -> list[Obligation]:
        t, T, r0, b, zeta = sp.symbols("t T r0 beta zeta", positive=True)
        u1, u2, th = sp.symbols("u1 u2 theta", real=True)
        out = []
        # the digest's witness N(u) = u1u2 (two-layer linear net with d = k = m = 1, x = 1, z = 1)
        N = u1 * u2
        path = {u1: 10 * sp.exp(t), u2: 10 * sp.exp(t)}
        solves = all(is_zero(sp.diff(path[v], t) - sp.diff(N, v).subs(path)) for v in (u1, u2))
        beta = sp.maximum(sp.sin(th) * sp.cos(th), th, sp.Interval(0, 2 * sp.pi))
        out.append(Obligation("witness: flow and β", "u(t) = 10e^t(1, 1) solves u̇ = ∇(u1u2); β = max_{‖u‖=1} u1u2 = ½",
                              bool(solves and sp.simplify(beta - sp.Rational(1, 2)) == 0), f"β = {beta}"))
        exact = 200 * sp.exp(2 * T)
        B = self.envelope(sp.Integer(200), T * sp.Rational(1, 2))
        at1 = sp.simplify((B - exact).subs(T, 1))
        out.append(Obligation("witness: ‖u(1)‖² = 200e² within the bound", f"B(1) − 200e² = {at1} ≥ 0",
                              bool(at1.is_nonnegative), "tight: equality for all T" if is_zero(sp.simplify(B - exact)) else ""))
        Bg = self.envelope(r0**2, t * b * zeta)
        ode = sp.simplify(sp.diff(Bg, t) - 4 * b * zeta * Bg)
        start = sp.simplify(Bg.subs(t, 0) - r0**2)
        out.append(Obligation("Gronwall", "B(t) solves B′ = 4β‖z‖B with B(0) = ‖u0‖² (the comparison for d‖u‖²/dt ≤ 4β‖z‖‖u‖²)",
                              ode == 0 and start == 0, f"B′ − 4β‖z‖B = {ode}, B(0) − ‖u0‖² = {start}"))
        net = symbolic_network((2, 2, 1), 1)
        zs = sp.symbols("z0:1")
        Nd = zs[0] * net.output[0]
        a, bb, c = sp.symbols("a0:2"), sp.symbols("b0:2"), sp.symbols("c0:2")
        Ng = sum(a[i] * bb[i] * c[i] for i in range(2))  # cᵀ(a ⊙ b), c = Xᵀz
        diag_vars = [*a, *bb]
        ok = is_zero(euler_defect(Nd, net.symbols, 2)) and is_zero(euler_defect(Ng, diag_vars, 2))
        out.append(Obligation("Euler, degree 2", "uᵀ∇N = 2N for the dense (2-2-1) and diagonal (d = 2) linear nets", ok))
        return out


def witness() -> NCFProblem:
    """The digest's witness as an instance's problem: N(u) = u1u2 (two-layer linear net, d = k = m = 1, x = 1, z = 1)."""
    from verify.strategies import ArrayData

    return NCFProblem(FeedForward((1, 1, 1), LINEAR), ArrayData("x = 1", np.ones((1, 1))), 0, "given", np.ones((1, 1)))
