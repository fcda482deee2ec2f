"""Scale/time rescaling of the gradient flow of a homogeneous function (np Lemma 6, eq. 18, proved in §D.1).

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 6 (../shared/spec/neuron_pursuit.md, [L6]).

Statement. Let g be q-homogeneous, q ≥ 2, s(t) the solution of ṡ = ∇g(s), s(0) = s0 ≠ 0, and s_δ(t) the solution of
the same ODE from δ·s0, δ > 0. Then, on the existence interval,

    s(t) = (1/δ)·s_δ(t/δ^{q−2}).

So a δ-times smaller start follows the same path, δ times smaller, 1/δ^{q−2} times slower. Proof: ∇g is
(q−1)-homogeneous, so r(t) := δ·s(δ^{q−2}t) has ṙ = δ^{q−1}∇g(s(δ^{q−2}t)) = ∇g(r(t)) and r(0) = δs0; by uniqueness r = s_δ.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.errors import InputError
from verify.flow import Flow, FlowStatus, blow_up_time_bound, gradient_flow, integrate, ncf_flow, probe_horizon, two_tolerances
from verify.nets import DTYPE
from verify.strategies import activations, datasets, ncf_problems, seeds
from verify.symbolic import is_zero

RTOL = 1e-9  # the coarse tolerance; the fine one is RTOL/100 (verify.flow.two_tolerances)
POINTS = 5  # comparison times t_j = j·T/POINTS, j = 1..POINTS


@dataclass(frozen=True)
class HomogeneousPolynomial:
    """g(s) = Σ_m c_m s^m over the monomials m of degree q in k variables, coefficients N(0, 1) from ``seed``."""

    k: int
    q: int
    seed: int

    def monomials(self) -> list[tuple[int, ...]]:
        return [m for m in itertools.product(range(self.q + 1), repeat=self.k) if sum(m) == self.q]

    def flow(self) -> Flow:
        ms = torch.as_tensor(self.monomials(), dtype=DTYPE)  # (M, k)
        c = torch.as_tensor(np.random.default_rng(self.seed).standard_normal(len(ms)), dtype=DTYPE)

        def g(u: torch.Tensor) -> torch.Tensor:  # (B, k) → (B,)
            return (u[:, None, :] ** ms[None]).prod(-1) @ c

        return gradient_flow(g, ascent=True, degree=self.q, name=str(self))

    def __str__(self) -> str:
        return f"random {self.q}-homogeneous polynomial in {self.k} variables, seed={self.seed}"


@dataclass(frozen=True)
class RescalingMeasurements:
    """What np.lemma6 measured on one instance: q, δ, the horizon T, ‖s(T)‖/‖s0‖, the worst relative difference between
    s(t_j) and (1/δ)s_δ(t_j/δ^{q−2}) and the worst two-tolerance floor (fine tolerance), right-hand-side evaluations."""

    degree: float
    delta: float
    horizon: float
    norm_growth: float
    worst_difference: float
    worst_floor: float
    nfev: int


@register
class FlowRescaling(Checker):
    """np Lemma 6: s(t) = (1/δ)s_δ(t/δ^{q−2}) for the gradient flow of a q-homogeneous g, from s0 and from δs0."""

    id = "np.lemma6"
    title = "Scale/time rescaling of the gradient flow of a q-homogeneous function"
    source = "np Lemma 6 (eq. 18, proof in §D.1)"
    statement = (
        "If g is q-homogeneous (q ≥ 2), ṡ = ∇g(s) with s(0) = s0 ≠ 0 and s_δ solves the same ODE from δs0 (δ > 0), then "
        "s(t) = (1/δ)·s_δ(t/δ^{q−2}) on the existence interval."
    )
    hypotheses_text = (
        "Two families of q-homogeneous g: (a) the NCF g(u) = zᵀH(X; u) of smooth nets σ(x) = max(x, αx)^p — depth 2 with "
        "p ∈ {2, 3} (q = 3, 4) or linear (α = 1, p = 1: q = 2), widths 1–4, n 4–10 samples in d 2–4 from the default "
        "data families, z Gaussian or structured (verify.flow.ncf_flow); (b) random q-homogeneous polynomials in k ∈ {2, 3} "
        "variables, q ∈ {2, 3, 4}, all monomials with N(0, 1) coefficients (verify.flow.gradient_flow, autograd gradient). "
        "Start s0: a random unit vector (instance seed) scaled to ‖s0‖ ∈ [0.5, 2]; δ = 10^{−e}, e ∈ [0.3, 2]."
    )
    method = (
        "A horizon T is fixed once (the first time ‖s‖ changes by a factor e, capped at 3× the flow's time scale "
        "‖s0‖^{2−q}/‖∇g(s0/‖s0‖)‖ and at 0.9× the a-priori blow-up bound ‖s0‖²/(q(q−2)g(s0)) when g(s0) > 0). Then s is "
        "integrated from s0 on [0, T] and s_δ from δs0 on [0, T/δ^{q−2}] (verify.flow.integrate: scipy DOP853, dense output; "
        "atol scaled with ‖δs0‖), and at t_j = jT/5, j = 1..5, each entry is the relative difference "
        "‖s(t_j) − (1/δ)s_δ(t_j/δ^{q−2})‖/‖s(t_j)‖. Both integrations run at rtol 1e-9 and 1e-11 (verify.flow.two_tolerances): "
        "the value is the fine one, the error floor its change between the two. A time the claim needs beyond the a-priori "
        "blow-up bound of the flow from δs0 (possible only for a wrong time scale) is a failing entry (the left side exists "
        "there, the right side cannot); an integration that stops early (step-size underflow, non-finite field, ‖u‖ ≥ "
        "1e12) leaves its entries undecided. Symbolic obligations: the exponent matching δ^{1+e}∇g(s) = ∇g(δs) = "
        "δ^{q−1}∇g(s) ⇔ e = q − 2 (q symbolic); the 1-D closed forms s(t) = (s0^{2−q} − (q−2)t)^{−1/(q−2)} (q = 3, 4, 5, "
        "compared as (q−2)-th powers) and s0e^t (q = 2) satisfy the rescaling; ∇g is (q−1)-homogeneous for a generic "
        "2-variable q-homogeneous polynomial (q = 2, 3, 4)."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-6

    # the statement's knob: s(t) = (1/δ)s_δ(t/δ^{time_exponent(q)})
    time_exponent = staticmethod(lambda q: q - 2)
    mutants = [
        Mutant("time scale δ^{q−1}", "s(t) = (1/δ)s_δ(t/δ^{q−1}) (one power of δ too many in the time scale)",
               time_exponent=staticmethod(lambda q: q - 1)),
        Mutant("time multiplied by δ^{q−2}", "s(t) = (1/δ)s_δ(t·δ^{q−2}) (the small start runs faster, not slower)",
               time_exponent=staticmethod(lambda q: 2 - q)),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 10), d=(2, 4))
        nets = ncf_problems(data=data, depths=(2,), widths=(1, 4),
                            activation=st.one_of(activations(alphas=(0.0, 0.1, 0.5, -0.3), ps=(2, 3)), activations((1.0,), (1,))))
        polys = st.builds(HomogeneousPolynomial, k=st.integers(2, 3), q=st.integers(2, 4), seed=seeds())
        return st.tuples(st.one_of(nets, polys), seeds(), st.floats(0.5, 2.0), st.floats(0.3, 2.0))

    def claim(self, instance, ctx: Context) -> Evidence:
        g, start_seed, radius, log_delta = instance
        delta = 10.0 ** (-log_delta)
        if isinstance(g, HomogeneousPolynomial):
            flow = g.flow()
            k = g.k
            scale = 1.0
        else:
            flow = ncf_flow(g.net, g.X, g.z)
            k = g.net.n_params
            scale = float(np.abs(g.z).sum()) * max(1.0, float(np.abs(g.X).max())) ** g.net.degree
        q = float(flow.degree)
        u = torch.randn(k, generator=torch.Generator().manual_seed(start_seed), dtype=DTYPE)
        s0 = radius * u / u.norm()
        text = f"{g}; start seed={start_seed}, ‖s0‖={radius:.4g}, δ={delta:.4g} (q = {q:g})"
        _, grad0 = flow.potential(s0[None])
        if not float(grad0.norm()) > 1e-10 * scale * radius ** (q - 1):
            return Evidence.undecided(f"‖∇g(s0)‖ = {float(grad0.norm()):.2g}: g vanishes near s0 (e.g. Xᵀz = 0 for a linear "
                                      "net), the flow does not move", instance=text)
        T = probe_horizon(flow, s0)
        times = np.arange(1, POINTS + 1) * T / POINTS
        T = float(times[-1])
        e = self.time_exponent(q)
        claimed = times / delta**e  # where the claim reads s_δ
        bound = blow_up_time_bound(flow, delta * s0)
        beyond = claimed >= bound
        checked: list[Entry] = []
        for j in np.nonzero(beyond)[0]:
            checked.append(Entry((claimed[j] - bound) / claimed[j], 0.0, True,
                                 f"t_{j + 1}/δ^{e:g} = {claimed[j]:.6g} lies beyond the a-priori blow-up bound {bound:.6g} "
                                 "of the flow from δs0 (the right side does not exist, the left does)"))
        inside = ~beyond
        nfev = [0]
        ends: list[str] = []
        growth = [math.nan]

        def measure(rtol: float, atol: float) -> np.ndarray:
            a = integrate(flow, s0, T, rtol=rtol, atol=atol * radius, t_eval=times)
            out = np.full(POINTS, math.nan)
            nfev[0] += a.nfev
            if a.status is not FlowStatus.SUCCESS:
                ends.append(f"s: {a.status} ({a.message})")
                return out
            growth[0] = float(np.linalg.norm(a.u[-1])) / radius
            if not inside.any():
                return out
            try:
                b = integrate(flow, delta * s0, float(claimed[inside].max()), rtol=rtol, atol=atol * radius * delta,
                              t_eval=claimed[inside])
            except InputError as exc:  # e.g. a horizon the a-priori bound refuses: undecided, never a pass
                ends.append(f"s_δ: {exc}")
                return out
            nfev[0] += b.nfev
            if b.status is not FlowStatus.SUCCESS:
                ends.append(f"s_δ: {b.status} ({b.message})")
            idx = np.nonzero(inside)[0][: len(b.t)]
            diff = a.u[idx] - b.u / delta
            out[idx] = np.linalg.norm(diff, axis=1) / np.linalg.norm(a.u[idx], axis=1)
            return out

        tt = two_tolerances(measure, rtol=RTOL, atol=RTOL / 100)
        for j in np.nonzero(inside)[0]:
            v, f = float(tt.value[j]), float(tt.floor[j])
            label = f"s(t_{j + 1}) = (1/δ)s_δ(t_{j + 1}/δ^{e:g}), t_{j + 1} = {times[j]:.4g}"
            if math.isfinite(v) and math.isfinite(f):
                checked.append(Entry(v, f, True, label))
            else:
                checked.append(Entry(math.nan, math.nan, False, label + ": not reached (" + "; ".join(ends) + ")"))
        finite = tt.value[np.isfinite(tt.value)]
        floors = tt.floor[np.isfinite(tt.floor)]
        m = RescalingMeasurements(q, delta, T, growth[0], float(finite.max()) if finite.size else math.nan,
                                  float(floors.max()) if floors.size else math.nan, nfev[0])
        return Evidence(checked, m, instance=text, note="; ".join(ends))

    def obligations(self) -> list[Obligation]:
        q, t, s0, d = sp.symbols("q t s0 delta", positive=True)
        e = self.time_exponent(q)
        out = []
        ok = is_zero(sp.simplify(1 + e - (q - 1)))
        out.append(Obligation("exponents (q symbolic)", f"d/dt[δ·s(δ^e t)] = δ^(1+e)∇g(s) equals ∇g(δs) = δ^(q−1)∇g(s), e = {e}",
                              ok, "1 + e − (q − 1) = 0" if ok else f"1 + e − (q − 1) = {sp.simplify(1 + e - (q - 1))}"))
        for qq in (3, 4, 5):
            ee = sp.sympify(self.time_exponent(qq))
            # s(t)^{−(q−2)} = s0^{2−q} − (q−2)t; the rescaled s_δ, raised to the same power
            direct = s0 ** (2 - qq) - (qq - 2) * t
            rescaled = d ** (qq - 2) * ((d * s0) ** (2 - qq) - (qq - 2) * t / d**ee)
            ode = sp.diff(direct ** sp.Rational(-1, qq - 2), t) - (direct ** sp.Rational(-1, qq - 2)) ** (qq - 1)
            holds = is_zero(sp.expand(rescaled - direct)) and sp.simplify(ode) == 0
            out.append(Obligation(f"1-D closed form, q = {qq}", f"s(t) = (s0^(2−q) − (q−2)t)^(−1/(q−2)) solves ṡ = s^(q−1) and "
                                  f"equals (1/δ)s_δ(t/δ^{ee})", holds, "the (q−2)-th powers agree" if holds else "they differ"))
        e2 = sp.sympify(self.time_exponent(2))
        holds = sp.simplify(d * s0 * sp.exp(t / d**e2) / d - s0 * sp.exp(t)) == 0
        out.append(Obligation("1-D closed form, q = 2", f"s0·e^t = (1/δ)·δs0·e^(t/δ^{e2})", holds, "" if holds else "they differ"))
        x, y = sp.symbols("x y")
        for qq in (2, 3, 4):
            cs = sp.symbols(f"c0:{qq + 1}")
            gpoly = sum(c * x**i * y ** (qq - i) for i, c in enumerate(cs))
            grad = [sp.diff(gpoly, v) for v in (x, y)]
            scaled = [gi.subs({x: d * x, y: d * y}, simultaneous=True) for gi in grad]
            holds = all(is_zero(a - d ** (qq - 1) * b) for a, b in zip(scaled, grad, strict=True))
            out.append(Obligation(f"∇g is (q−1)-homogeneous, q = {qq}", "∇g(δx) = δ^(q−1)∇g(x) for a generic 2-variable "
                                  "q-homogeneous polynomial", holds))
        return out
