"""dc2 Appendix G: the closed-form NCFs, KKT points and NCF flows of one neuron on mirrored data.

Source: Kumar & Haupt, "Directional Convergence Near Small Initializations and Saddles in Two-Homogeneous Neural
Networks", Appendix G.1 and G.2 (../shared/spec/two_homogeneous.md §3.1–3.2, typos T-G1 and the v*² typo).

Statement (G.1, corrected reading). Data {(x_i, y_i)} ∪ {(−x_i, +y_i)}, i ≤ n/2 (mirrored points keep their labels),
H(x; u) = σ(xᵀu) with σ(s) = max(s, αs)², z = y. Then N(u) = (1 + α²)uᵀMu with M = Σ_{i≤n/2} y_i x_i x_iᵀ, the unit
eigenvectors q_j of M are KKT points of max_{‖u‖=1} N(u) with λ* = 2(1 + α²)μ_j and value (1 + α²)μ_j, and the NCF flow
is u(t) = expm(2(1 + α²)Mt)u0. As printed (labels flipped on the mirrored points, "σ(s) − σ(−s) = (1 + α²)s²") the
identity is false: that reading is a mutant that must fail.

Statement (G.2). Data {(x_i, y_i)} ∪ {(−x_i, −y_i)}, H(x; v, u) = v·σ(xᵀu) with σ(s) = max(s, αs), α ≠ −1, z = y,
q = Σ_{i≤n/2} y_i x_i ≠ 0. Then N(v, u) = (1 + α)v qᵀu; the KKT points of max_{v²+‖u‖²=1} with λ* ≠ 0 are
(s1/√2, s2 q/(√2‖q‖)) (v*² = 1/2, printed "1/√2"), value (1 + α)s1s2‖q‖/2, the global maximum |1 + α|‖q‖/2; with
r = |1 + α|‖q‖, q̂ = sign(1 + α)q/‖q‖ and a = q̂ᵀu the NCF flow is

    v(t) = v0 cosh(rt) + a0 sinh(rt),   a(t) = a0 cosh(rt) + v0 sinh(rt),   u(t) = u0 + (a(t) − a0)q̂,

and v² − ‖u‖² is conserved (derived in the digest).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.activations import Activation
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.flow import FlowStatus, gradient_flow, integrate, ncf_flow, two_tolerances
from verify.kkt import kkt_points
from verify.ncf import ncf, ncf_and_grad
from verify.nets import DTYPE, EPS, FeedForward
from verify.strategies import seeds
from verify.symbolic import is_zero

TIMES = (0.25, 0.5, 0.75, 1.0)  # fractions of the horizon at which the flow is compared with its closed form
ALPHAS = (0.0, 0.1, 0.5, -0.3, 2.0)  # the leaky slopes drawn (G.2 needs α ≠ −1)
GROWTH = 2.0  # the horizon: r·T = 2 (G.2), 2(1 + α²)·max|μ|·T = 2 (G.1)
RTOL = 1e-10  # the coarse tolerance of the flow; the fine one is 100× smaller (verify.flow.two_tolerances)


@dataclass(frozen=True)
class MirroredData:
    """n/2 Gaussian points x_i ∈ R^d with Gaussian labels y_i (from ``seed``), mirrored as G.1 or G.2 says."""

    case: str  # "G.1" or "G.2"
    half: int
    d: int
    alpha: float
    seed: int

    def arrays(self, mirrored_label_sign: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(X, y, x_half, y_half): the full data with y(−x_i) = sign·y_i, and its first half."""
        rng = np.random.default_rng(self.seed)
        x, y = rng.standard_normal((self.half, self.d)), rng.standard_normal(self.half)
        return np.concatenate([x, -x]), np.concatenate([y, mirrored_label_sign * y]), x, y

    def __str__(self) -> str:
        return f"{self.case}: n = {2 * self.half} mirrored points in R^{self.d}, α = {self.alpha:g}, data seed {self.seed}"


@dataclass(frozen=True)
class AppendixGMeasurements:
    """What dc2.appendixG measured on one instance: the NCF identity's defect (G.1: also on the printed data, the
    reading the digest corrects, side by side), the flow's largest relative deviation
    from its closed form and that comparison's floor, the worst KKT residual of the closed-form points, the best value
    kkt_points certified against the closed-form maximum (G.2), the drift of v² − ‖u‖² (G.2)."""

    case: str
    identity_defect: float
    printed_identity_defect: float  # G.1 only: the same defect on the printed data (labels flipped on the mirror)
    flow_deviation: float
    flow_floor: float
    kkt_residual: float
    best_certified: float
    closed_form_max: float
    conserved_drift: float


@register
class MirroredDataClosedForms(Checker):
    """dc2 Appendix G.1 (corrected reading) and G.2: NCF, KKT points and NCF flow in closed form."""

    id = "dc2.appendixG"
    title = "Closed-form NCF, KKT points and NCF flow of one neuron on mirrored data"
    source = "dc2 Appendix G.1 (corrected: mirrored points keep their labels), G.2 (v*² = 1/2)"
    statement = (
        "G.1: on {(x_i, y_i)} ∪ {(−x_i, y_i)} with σ(s) = max(s, αs)², N(u) = (1 + α²)uᵀMu (M = Σ y_i x_i x_iᵀ), the unit "
        "eigenvectors of M are KKT points with λ* = 2(1 + α²)μ_j, and u(t) = expm(2(1 + α²)Mt)u0. G.2: on {(x_i, y_i)} ∪ "
        "{(−x_i, −y_i)} with H = v·max(s, αs), N = (1 + α)v qᵀu, the KKT points (s1/√2, s2q/(√2‖q‖)) have value "
        "(1 + α)s1s2‖q‖/2 and the global maximum is |1 + α|‖q‖/2, the flow is v = v0 cosh rt + a0 sinh rt, a = a0 cosh rt "
        "+ v0 sinh rt, u = u0 + (a − a0)q̂, and v² − ‖u‖² is conserved."
    )
    hypotheses_text = (
        "Each case with probability ½; n/2 ∈ {2, …, 6} Gaussian points in R^d, d ∈ {2, 3, 4}, Gaussian labels, "
        "α ∈ {0, 0.1, 0.5, −0.3, 2} (G.2: α ≠ −1 by construction), a Gaussian start u0 (G.1) or (v0, u0) (G.2) from the "
        "instance's seed."
    )
    method = (
        "Identity: N at 8 random points (G.1: Σ z_iσ(x_iᵀu) written out; G.2: the verify.nets network (d, 1, 1)) against "
        "the closed form, relative defect, floor 1e3·ε. KKT: at each closed-form point, ‖∇N − λu‖ with the claimed λ "
        "and the claimed value, relative to 2(1 + α²)‖M‖₂ (G.1) or ‖∇N‖ (G.2), floor 1e3·ε. Flow: the NCF flow integrated "
        "with verify.flow.integrate (DOP853) from u0 to "
        "T with growth factor e² (r·T = 2), compared with the closed form at T/4, T/2, 3T/4, T, relative error, tolerance "
        "1e-9, floor the change between rtol 1e-10 and 1e-12; G.2 also the drift of v² − ‖u‖² relative to ‖(v, u)‖². G.2 "
        "maximum: the best value verify.kkt_points certifies equals |1 + α|‖q‖/2 (relative, floor the certified residual)."
    )
    tolerance = 1e-9
    floor_factor = 10.0
    max_error_floor = 1e-7

    # the statement's knobs; each mutant replaces one
    mirrored_label_sign_g1 = 1.0  # corrected G.1: mirrored points keep their labels (printed: −1)
    g1_factor = staticmethod(lambda alpha: 1 + alpha**2)
    v_star_squared = 0.5  # G.2's |v*|² (printed: 1/√2)
    g2_time_factor = 1.0  # the rate r = |1 + α|‖q‖ in the hyperbolic solution
    mutants = [
        Mutant("G.1 as printed", "labels flipped on the mirrored points and σ(s) − σ(−s) = (1 + α²)s², as printed: N is "
               "then not (1 + α²)uᵀMu (digest §3.1)", mirrored_label_sign_g1=-1.0),
        Mutant("G.2 v*² = 1/√2 (printed)", "the KKT points have v*² = 1/√2, as printed (digest §3.2)",
               v_star_squared=1 / math.sqrt(2)),
        Mutant("G.1 factor 1 + α", "N(u) = (1 + α)uᵀMu", g1_factor=staticmethod(lambda alpha: 1 + alpha)),
        Mutant("G.2 rate 2r", "v(t) = v0 cosh(2rt) + a0 sinh(2rt), … (the 2-homogeneous factor of dc2's flows misplaced)",
               g2_time_factor=2.0),
    ]

    def hypotheses(self):
        return st.builds(MirroredData, st.sampled_from(("G.1", "G.2")), st.integers(2, 6), st.integers(2, 4),
                         st.sampled_from(ALPHAS), seeds())

    def claim(self, instance: MirroredData, ctx: Context) -> Evidence:
        return self._g1(instance) if instance.case == "G.1" else self._g2(instance)

    # -- G.1 -------------------------------------------------------------------------------------

    def _g1(self, data: MirroredData) -> Evidence:
        sigma = Activation(data.alpha, 2)
        c = self.g1_factor(data.alpha)
        gen = torch.Generator().manual_seed(data.seed)
        U = torch.randn(8, data.d, generator=gen, dtype=DTYPE)

        def ncf_of(label_sign: float) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor, float]:
            """(N, M, the identity's defect at U) on the data with y(−x_i) = label_sign·y_i."""
            X, z, x, y = (torch.as_tensor(a, dtype=DTYPE) for a in data.arrays(label_sign))

            def N(u: torch.Tensor) -> torch.Tensor:  # Σ_i z_i σ(x_iᵀu), batched over rows of u
                return (sigma(u @ X.T) * z).sum(-1)

            M = (x.T * y) @ x
            quadratic = c * ((U @ M) * U).sum(-1)
            return N, M, float(((N(U) - quadratic).abs() / (N(U).abs() + quadratic.abs())).max())

        N, M, identity = ncf_of(self.mirrored_label_sign_g1)
        printed = ncf_of(-1.0)[2]
        checked = [Entry(identity, 1e3 * EPS, True, f"N(u) = {c:g}·uᵀMu at 8 random points")]

        mu, Q = torch.linalg.eigh(M)
        flow = gradient_flow(N, degree=2.0, name="G.1 NCF")
        kkt = 0.0
        # relative to the operator's scale 2c‖M‖₂ (not to λ: M is singular when d > n/2, and a zero eigenvalue's λ is noise)
        scale = 2 * c * float(mu.abs().max())
        for j in range(data.d):
            q = Q[:, j]
            value, grad = flow.value_and_grad(q[None])
            lam = 2 * c * float(mu[j])
            kkt_defect = float((grad[0] - lam * q).norm()) / scale
            kkt = max(kkt, kkt_defect)
            checked += [Entry(kkt_defect, 1e3 * EPS, True, f"eigenvector q_{j + 1} (μ = {float(mu[j]):.4g}) is KKT, λ* = 2(1+α²)μ"),
                        Entry(abs(float(value[0]) - c * float(mu[j])) / scale, 1e3 * EPS, True, f"N(q_{j + 1}) = (1+α²)μ_{j + 1}")]

        u0 = torch.randn(data.d, generator=gen, dtype=DTYPE)
        T = GROWTH / (2 * c * float(mu.abs().max()))
        times = [f * T for f in TIMES]
        exact = np.stack([scipy.linalg.expm(2 * c * M.numpy() * t) @ u0.numpy() for t in times])
        deviation, floor, notes = self._compare_flow(flow, u0, T, times, exact)
        checked += [Entry(v, f, math.isfinite(v) and math.isfinite(f), f"u(t) = expm(2(1+α²)Mt)u0 at t = {t:.4g}")
                    for v, f, t in zip(deviation, floor, times)]
        m = AppendixGMeasurements("G.1", identity, printed, float(np.nanmax(deviation)), float(np.nanmax(floor)), kkt,
                                  math.nan, math.nan, math.nan)
        return Evidence(checked, m, instance=str(data), note=notes)

    # -- G.2 -------------------------------------------------------------------------------------

    def _g2(self, data: MirroredData) -> Evidence:
        X, z, x, y = (torch.as_tensor(a, dtype=DTYPE) for a in data.arrays(-1.0))
        net = FeedForward((data.d, 1, 1), Activation(data.alpha, 1))
        q = x.T @ y
        k = 1 + data.alpha
        gen = torch.Generator().manual_seed(data.seed)

        def closed(w: torch.Tensor) -> torch.Tensor:  # (1 + α)·v·qᵀu for rows w = (u, v) (the net's flat order: W1, then W2)
            return k * w[..., -1] * (w[..., :-1] @ q)

        W = net.random_unit(8, gen)
        Nw = ncf(net, W, X, z)
        identity = float(((Nw - closed(W)).abs() / (Nw.abs() + closed(W).abs()).clamp_min(1e-300)).max())
        checked = [Entry(identity, 1e3 * EPS, True, "N(v, u) = (1 + α)·v·qᵀu at 8 random points")]

        # the KKT points of family 2 (λ* ≠ 0) and their values; the global maximum, certified independently
        kkt = 0.0
        q_unit = q / q.norm()
        v_abs = math.sqrt(self.v_star_squared)
        for s1 in (1.0, -1.0):
            for s2 in (1.0, -1.0):
                # on the unit sphere by construction (‖u*‖² = 1 − v*²); whether it is a KKT point is what is decided
                point = torch.cat([s2 * math.sqrt(1 - self.v_star_squared) * q_unit, torch.tensor([s1 * v_abs], dtype=DTYPE)])
                value, grad = ncf_and_grad(net, point, X, z)
                lam = 2 * float(value)  # λ* = 2N(u*) on ‖u‖ = 1 for a 2-homogeneous N (Euler)
                defect = float((grad - lam * point).norm()) / max(float(grad.norm()), 1e-300)
                kkt = max(kkt, defect)
                claimed = k * s1 * s2 * float(q.norm()) / 2
                checked += [
                    Entry(defect, 1e3 * EPS, True, f"(s1, s2) = ({s1:+g}, {s2:+g}): a KKT point with v*² = "
                                                   f"{self.v_star_squared:.4g}"),
                    Entry(abs(float(value) - claimed) / max(abs(claimed), 1e-300), 1e3 * EPS, True,
                          f"(s1, s2) = ({s1:+g}, {s2:+g}): value (1 + α)s1s2‖q‖/2"),
                ]
        best_claimed = abs(k) * float(q.norm()) / 2
        found = kkt_points(net, X, z, restarts=8, steps=600, seed=data.seed, max_points=1)
        if found.points:
            best = found.points[0]
            checked.append(Entry(abs(best.value - best_claimed) / best_claimed, best.residual + 1e3 * EPS, True,
                                 f"the best certified KKT point has the global maximum |1 + α|‖q‖/2 ({found.summary()})"))
        else:
            checked.append(Entry(math.nan, math.nan, False, f"no certified KKT point: {found.summary()}"))

        # the flow from (u0, v0) against the hyperbolic closed form, and the conserved v² − ‖u‖²
        w0 = torch.randn(net.n_params, generator=gen, dtype=DTYPE)
        u0, v0 = w0[:-1], float(w0[-1])
        r = self.g2_time_factor * abs(k) * float(q.norm())
        q_hat = math.copysign(1.0, k) * q_unit
        a0 = float(q_hat @ u0)
        T = GROWTH / (abs(k) * float(q.norm()))
        times = [f * T for f in TIMES]
        exact = []
        for t in times:
            v = v0 * math.cosh(r * t) + a0 * math.sinh(r * t)
            a = a0 * math.cosh(r * t) + v0 * math.sinh(r * t)
            exact.append(np.concatenate([(u0 + (a - a0) * q_hat).numpy(), [v]]))
        flow = ncf_flow(net, X, z)
        deviation, floor, notes = self._compare_flow(flow, w0, T, times, np.stack(exact), conserved=True)
        drift, drift_floor = deviation[-1], floor[-1]
        deviation, floor = deviation[:-1], floor[:-1]
        checked += [Entry(v, f, math.isfinite(v) and math.isfinite(f), f"(v, u)(t) = hyperbolic closed form at t = {t:.4g}")
                    for v, f, t in zip(deviation, floor, times)]
        checked.append(Entry(drift, drift_floor, math.isfinite(drift) and math.isfinite(drift_floor),
                             "v² − ‖u‖² conserved along the flow (largest drift on the grid)"))
        m = AppendixGMeasurements("G.2", identity, math.nan, float(np.nanmax(deviation)), float(np.nanmax(floor)), kkt,
                                  found.points[0].value if found.points else math.nan, best_claimed, float(drift))
        return Evidence(checked, m, instance=str(data), note=notes)

    # -- the flow against its closed form, at two tolerances ----------------------------------------

    @staticmethod
    def _compare_flow(flow, u0: torch.Tensor, T: float, times: list[float], exact: np.ndarray,
                      conserved: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
        """Relative deviation of the integrated flow from ``exact`` at ``times`` (and, with ``conserved``, the drift of
        v² − ‖u‖², the last component being v), each with its two-tolerance floor."""
        ends: list[str] = []

        def measure(rtol: float, atol: float) -> np.ndarray:
            path = integrate(flow, u0, T, rtol=rtol, atol=atol * float(u0.norm()), t_eval=times)
            out = np.full(len(times) + conserved, math.nan)
            if path.status is not FlowStatus.SUCCESS:
                ends.append(f"{path.status}: {path.message}")
                return out
            out[:len(times)] = np.linalg.norm(path.u - exact, axis=1) / np.linalg.norm(exact, axis=1)
            if conserved:
                c = path.u[:, -1] ** 2 - (path.u[:, :-1] ** 2).sum(1)
                c0 = float(u0[-1]) ** 2 - float((u0[:-1] ** 2).sum())
                out[-1] = float(np.abs(c - c0).max() / (path.u**2).sum(1).max())
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        return tt.value, tt.floor, "; ".join(dict.fromkeys(ends))

    # -- obligations -----------------------------------------------------------------------------

    def obligations(self) -> list[Obligation]:
        """The one-neuron identities behind both cases (sympy, exact, for every α the hypotheses draw, s > 0 and s < 0):
        σ₂(s) + σ₂(−s) = (1 + α²)s² (G.1 with the mirrored labels kept), σ₁(s) − σ₁(−s) = (1 + α)s (G.2); and the
        hyperbolic solution solves v̇ = r·a, ȧ = r·v (G.2's reduced flow)."""
        m = sp.Symbol("m", positive=True)
        out = []
        for alpha in ALPHAS:
            a = sp.nsimplify(alpha)
            for s in (m, -m):
                g1 = Activation(alpha, 2).sympy(s) + self.mirrored_label_sign_g1 * Activation(alpha, 2).sympy(-s) \
                    - self.g1_factor(a) * s**2
                g2 = Activation(alpha, 1).sympy(s) - Activation(alpha, 1).sympy(-s) - (1 + a) * s
                where = f"α = {alpha:g}, s {'>' if s == m else '<'} 0"
                out += [Obligation(f"G.1 {where}", "σ(s) + σ(−s) = (1 + α²)s² for σ = max(s, αs)²", is_zero(g1), str(sp.simplify(g1))),
                        Obligation(f"G.2 {where}", "σ(s) − σ(−s) = (1 + α)s for σ = max(s, αs)", is_zero(g2), str(sp.simplify(g2)))]
        t, r, v0, a0 = sp.symbols("t r v0 a0", real=True)
        rate = self.g2_time_factor * r
        v = v0 * sp.cosh(rate * t) + a0 * sp.sinh(rate * t)
        av = a0 * sp.cosh(rate * t) + v0 * sp.sinh(rate * t)
        ode = sp.simplify(sp.diff(v, t) - r * av) == 0 and sp.simplify(sp.diff(av, t) - r * v) == 0
        out.append(Obligation("G.2 flow", "v = v0 cosh rt + a0 sinh rt, a = a0 cosh rt + v0 sinh rt solve v̇ = ra, ȧ = rv",
                              ode, "exact" if ode else "not a solution"))
        return out
