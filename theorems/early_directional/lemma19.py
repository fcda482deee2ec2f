"""edc Lemma 19: gradient ascent with rescaled iterates equals gradient ascent with adaptive steps, up to the scale ∏c.

Source: Kumar & Haupt, "Early Directional Convergence in Deep Homogeneous Neural Networks for Small Initializations",
Lemma 19 (App. E, eqs. 131–133) and its proof by induction; digest ../shared/spec/early_directional_convergence.md,
"edc.lemma19", claim C19, typo T8, verification item 7.

Statement (corrected). Let F be differentiable and positively q-homogeneous, q ≥ 2. For η > 0, c_t > 0 and w0, let

    v(t+1) = c_t·(v(t) + η∇F(v(t))),          v(0) = w0,                                        (131)
    u(t+1) = u(t) + η_t∇F(u(t)),              u(0) = w0,  η_t = η·(∏_{m=0}^{t−1} c_m)^{q−2}  (η_0 = η). (132)

Then v(T) = (∏_{t=0}^{T−1} c_t)·u(T) for all T ≥ 1. With c_t = 1/‖v(t) + η∇F(v(t))‖ the sequence v is projected gradient
ascent on the sphere with the fixed step η, so v(T) and u(T) have the same direction.

Proof (induction): with P = ∏_{m<t} c_m and v(t) = P·u(t), ∇F(Pu) = P^{q−1}∇F(u) (∇F is (q−1)-homogeneous), so
v(t+1) = c_t(Pu + ηP^{q−1}∇F(u)) = c_tP(u + ηP^{q−2}∇F(u)) = c_tP·u(t+1).

The extraction prints the exponent L − 2 (and L − 1 in the induction), with L the network depth of Part II, although the
lemma assumes a q-homogeneous F (typo T8); a feed-forward net of depth L with σ = max(x, αx)^p has q = p̂ = 1 + p + … +
p^{L−1}, which equals L only for p = 1. The printed reading is a mutant of this checker and fails, e.g. for the two-layer
squared-ReLU NCF (q = 3, L − 2 = 0 ≠ 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.neuron_pursuit.lemma6 import HomogeneousPolynomial
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.ncf import ncf_and_grad
from verify.nets import DTYPE, EPS, Activation, FeedForward
from verify.precise import mp_split, to_mp
from verify.strategies import NCFProblem, activations, datasets, ncf_problems, seeds
from verify.symbolic import is_zero, scaling_defect, symbolic_network

STEPS = 30  # iterations T = 1..30 (the digest measured 4e-15 after 30 steps)
DPS_LOW, DPS_HIGH = 30, 45  # mpmath digits of the checked run and of the reference (every floor is measured against it)
SCALE_PROBES = 16  # η = step/max ‖∇F‖ over w0 and this many random unit vectors (so η‖∇F(v)‖ ≲ step on the sphere)
RADII = (0.5, 2.0)  # the random sequence: c_t = r_t/‖v + η∇F(v)‖ with r_t log-uniform in this range


# ------------------------------------------------------------------------------------------------
# the homogeneous F of an instance, in float64 and in mpmath
# ------------------------------------------------------------------------------------------------

def mp_ncf_grad(net: FeedForward, u: np.ndarray, X: np.ndarray, z: np.ndarray) -> np.ndarray:
    """∇N(u), N = Σ z ⊙ H(X; u), in mpmath (object arrays: u (n_params,), X (n, d), z (n, m)) by backpropagation written out
    as :meth:`verify.nets.FeedForward.output_and_pullback` (same σ′ at a kink, from Activation.mp)."""
    sigma, prime = net.activation.mp()
    Ws = mp_split(net, u)
    acts, slopes = [X], []
    for W in Ws[:-1]:
        h = acts[-1].dot(W.T)
        acts.append(sigma(h))
        slopes.append(prime(h))
    delta = z
    grads = [None] * net.depth
    for l in range(net.depth, 0, -1):
        grads[l - 1] = delta.T.dot(acts[l - 1])
        if l > 1:
            delta = delta.dot(Ws[l - 1]) * slopes[l - 2]
    return np.concatenate([g.reshape(-1) for g in grads])


def polynomial_coefficients(g: HomogeneousPolynomial) -> np.ndarray:
    """The coefficients c_m of ``g`` in the order of g.monomials() (as HomogeneousPolynomial.flow draws them)."""
    return np.random.default_rng(g.seed).standard_normal(len(g.monomials()))


def mp_polynomial_grad(g: HomogeneousPolynomial, coefficients: np.ndarray, s: np.ndarray) -> np.ndarray:
    """∇g(s) = Σ_m c_m m_i s^{m − e_i} in mpmath (s an object array of length k)."""
    out = []
    for i in range(g.k):
        total = mpmath.mpf(0)
        for c, m in zip(coefficients, g.monomials()):
            if m[i]:
                term = mpmath.mpf(c) * m[i]
                for j, e in enumerate(m):
                    term *= s[j] ** (e - (j == i))
                total += term
        out.append(total)
    return np.array(out, dtype=object)


@dataclass(frozen=True)
class HomogeneousF:
    """F with its degree q, the printed reading's L (the net's depth; q for a polynomial, which has no depth), its
    float64 gradient (torch, autograd or backpropagation) and its mpmath gradient."""

    name: str
    k: int
    q: int
    printed_L: int
    grad64: Callable[[torch.Tensor], torch.Tensor]  # (k,) → (k,), float64
    grad_mp: Callable[[np.ndarray], np.ndarray]  # (k,) object array of mpmath numbers → the same


def homogeneous_f(F: NCFProblem | HomogeneousPolynomial) -> HomogeneousF:
    """The F of an instance: a net's NCF (q = p̂, printed L = depth) or a random polynomial (q its degree, printed L = q)."""
    if isinstance(F, HomogeneousPolynomial):
        flow = F.flow()
        coefficients = polynomial_coefficients(F)
        return HomogeneousF(str(F), F.k, F.q, F.q, lambda u: flow.value_and_grad(u[None])[1][0],
                            lambda s: mp_polynomial_grad(F, coefficients, s))
    net = F.net
    X, z = torch.as_tensor(F.X, dtype=DTYPE), torch.as_tensor(F.z, dtype=DTYPE)
    Xm, zm = to_mp(F.X), to_mp(F.z)
    return HomogeneousF(f"NCF of {F} (q = {net.degree}, depth {net.depth})", net.n_params, net.degree, net.depth,
                        lambda u: ncf_and_grad(net, u[None], X, z)[1][0], lambda u: mp_ncf_grad(net, u, Xm, zm))


# ------------------------------------------------------------------------------------------------
# the two sequences
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sequences:
    """One run of (131) and (132) for T = 1..STEPS, compared at each T through ‖v(T) − P_T u(T)‖/‖v(T)‖ (P_T = ∏_{t<T} c_t)
    in float64 and in mpmath at DPS_LOW digits, each with its floor (that precision's error of v and of Pu against the
    DPS_HIGH-digit run, relative to ‖v‖, plus the final rounding); the c_t used (shared by all runs), ‖u(T)‖ and P at the
    end (float64)."""

    violation: np.ndarray
    floor: np.ndarray
    mp_violation: np.ndarray
    mp_floor: np.ndarray
    c: tuple[float, ...]
    u_norm_end: float
    P_end: float


def float64_run(F: HomogeneousF, w0: torch.Tensor, eta: float, radii: np.ndarray, exponent: float
                ) -> tuple[list[float], list[np.ndarray], list[np.ndarray], float]:
    """v by (131) with c_t = radii[t]/‖v(t) + η∇F(v(t))‖ and u by (132) with η_t = η·P_t^exponent, in float64: the c_t,
    v(T) and P_T·u(T) for T = 1..STEPS, and ‖u(STEPS)‖."""
    v, u, P = w0.clone(), w0.clone(), 1.0
    cs, vs, Pus = [], [], []
    for t in range(STEPS):
        y = v + eta * F.grad64(v)
        c = float(radii[t]) / float(y.norm())
        v = c * y
        u = u + (eta * P**exponent) * F.grad64(u)
        P *= c
        cs.append(c), vs.append(v.numpy().copy()), Pus.append((P * u).numpy().copy())
    return cs, vs, Pus, float(u.norm())


def mp_run(F: HomogeneousF, w0: torch.Tensor, eta: float, cs: list[float], exponent: float, dps: int
           ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The same two sequences with the given c_t (and η, w0, all exactly converted) in mpmath at ``dps`` digits:
    v(T) and P_T·u(T) for T = 1..STEPS (object arrays, valid at that precision)."""
    vs, Pus = [], []
    with mpmath.workdps(dps):
        v, u, P, e = to_mp(w0.numpy()), to_mp(w0.numpy()), mpmath.mpf(1), mpmath.mpf(eta)
        for c in cs:
            c = mpmath.mpf(c)
            v = c * (v + e * F.grad_mp(v))
            u = u + e * P**exponent * F.grad_mp(u)
            P *= c
            vs.append(v), Pus.append(P * u)
    return vs, Pus


def _distance(a, b) -> float:
    with mpmath.workdps(DPS_HIGH):
        return float(mpmath.sqrt(sum((mpmath.mpf(x) - mpmath.mpf(y)) ** 2 for x, y in zip(a, b))))


def run_sequences(F: HomogeneousF, w0: torch.Tensor, eta: float, radii: np.ndarray, exponent: float) -> Sequences:
    """Both sequences in float64 (which fixes the c_t), then with those c_t at DPS_LOW and DPS_HIGH digits; the
    comparisons and floors of :class:`Sequences`."""
    cs, vs, Pus, u_end = float64_run(F, w0, eta, radii, exponent)
    lo_v, lo_Pu = mp_run(F, w0, eta, cs, exponent, DPS_LOW)
    hi_v, hi_Pu = mp_run(F, w0, eta, cs, exponent, DPS_HIGH)
    viol, floor, mp_viol, mp_floor = (np.empty(STEPS) for _ in range(4))
    for t in range(STEPS):
        norm = _distance(hi_v[t], np.zeros(len(hi_v[t])))
        with np.errstate(over="ignore", invalid="ignore"):  # a wrong exponent can overflow u in float64 (then undecided)
            viol[t] = float(np.linalg.norm(vs[t] - Pus[t]) / np.linalg.norm(vs[t]))
        floor[t] = (_distance(vs[t], hi_v[t]) + _distance(Pus[t], hi_Pu[t])) / norm + 2 * EPS
        mp_viol[t] = _distance(lo_v[t], lo_Pu[t]) / _distance(lo_v[t], np.zeros(len(lo_v[t])))
        mp_floor[t] = (_distance(lo_v[t], hi_v[t]) + _distance(lo_Pu[t], hi_Pu[t])) / norm + 2 * 10.0**-DPS_LOW
    return Sequences(viol, floor, mp_viol, mp_floor, tuple(cs), u_end, float(np.prod(cs)))


@dataclass(frozen=True)
class RescalingMeasurements:
    """What edc.lemma19 measured on one instance: q, the printed reading's L, η; per c-sequence (projected GA, random
    radii) the worst relative difference ‖v − (∏c)u‖/‖v‖ over T = 1..30 in float64 and its worst floor, the same at 30
    digits and its worst floor, ‖u(30)‖ and ∏c at T = 30 (float64)."""

    degree: int
    printed_L: int
    eta: float
    worst_float64: tuple[float, float]
    worst_floor: tuple[float, float]
    worst_mp: tuple[float, float]
    worst_mp_floor: tuple[float, float]
    u_norm_end: tuple[float, float]
    product_end: tuple[float, float]


@register
class ProjectedAscentRescaling(Checker):
    """edc Lemma 19: v(T) = (∏c_t)u(T) for rescaled and adaptive-step gradient ascent on a q-homogeneous F."""

    id = "edc.lemma19"
    title = "Rescaled gradient ascent = adaptive-step gradient ascent up to the scale ∏c_t (η_t = η(∏c)^(q−2))"
    source = "edc Lemma 19 (App. E, eqs. 131–133; exponent corrected per digest T8, claim C19)"
    statement = (
        "For F differentiable and positively q-homogeneous (q ≥ 2), c_t > 0: if v(t+1) = c_t(v(t) + η∇F(v(t))), "
        "u(t+1) = u(t) + η_t∇F(u(t)), v(0) = u(0) = w0, η_t = η(∏_{m<t} c_m)^{q−2}, then v(T) = (∏_{t<T} c_t)u(T) for all "
        "T ≥ 1 (the printed exponent L − 2, L the depth, is a typo)."
    )
    hypotheses_text = (
        "q-homogeneous F of three kinds: (a) NCFs N = zᵀH(X; u) of two-layer nets σ = max(x, αx)^p, p ∈ {2, 3} (q = 3, 4 ≠ "
        "depth 2), α ∈ {0, 0.1, 0.5, −0.3, 1}, widths 1–4; (b) three-layer nets, σ = max(x, αx)² (q = 7 ≠ depth 3) or linear "
        "(q = 3 = depth), widths 1–3; n 4–8 samples in d 2–4 from the default data families, z Gaussian or structured; "
        "(c) random q-homogeneous polynomials (np.lemma6's HomogeneousPolynomial, all monomials, N(0, 1) coefficients) in "
        "k 2–4 variables, q 2–5. w0: a random unit vector (instance seed); η = s/max‖∇F‖ over w0 and 16 random unit "
        "vectors, s ∈ [0.05, 0.25] (η‖∇F(v)‖ stays about s on the sphere: projected GA moves but does not jump). "
        "Two c-sequences: projected GA c_t = 1/‖v + η∇F(v)‖, and c_t = r_t/‖v + η∇F(v)‖ with r_t log-uniform in [½, 2] "
        "(random positive scales; tied to ‖v + η∇F(v)‖ so that v stays O(1) for q up to 7). An F with ∇F(w0) = 0 is undecided."
    )
    method = (
        "Both sequences iterated for T = 1..30 in float64 (gradients: verify.ncf.ncf_and_grad / autograd), the c_t computed "
        "from v; then both again with the same c_t, η, w0 (exactly converted) in mpmath at 30 and at 45 digits "
        "(verify.precise; NCF gradient by backpropagation written out in mpmath, polynomial gradient from its monomials). "
        "Two entries per sequence and T: the relative difference ‖v(T) − P_T u(T)‖/‖v(T)‖, P_T = ∏_{t<T} c_t, computed in "
        "float64 (claim C19) and at 30 digits; the floor of each is (‖v − v₄₅‖ + ‖Pu − P₄₅u₄₅‖)/‖v₄₅‖ plus the final "
        "rounding — by the triangle inequality, how far that precision's difference can be from the exact one, so an "
        "identity that holds leaves each violation within its floor however much the iteration amplifies rounding "
        "(float64 floors reach ~1e-9 where u grows to 1e5, 30-digit floors ~1e-24), while a wrong step-size exponent "
        "leaves an O(1) difference. Symbolic obligations: the induction step with symbolic c, P, η, q (and the depth L of "
        "the printed reading); ∇F(Pu) = P^{q−1}∇F(u) for generic 2-variable polynomials (q = 2, 3, 4) and for the NCF of a "
        "2-layer σ = x² net (q = 3, depth 2); two full steps for F(a, b) = ab² (one σ = x² neuron, q = 3, depth 2) with "
        "symbolic c0, c1, η, w0."
    )
    tolerance = 1e-12
    floor_factor = 10.0
    max_error_floor = 1e-6  # float64 entries where u grows large reach ~1e-9 (the 30-digit ones ~1e-24)

    # the statement's knob: η_t = η·P_t^{step_exponent(q, L)}, L the printed reading's depth
    step_exponent = staticmethod(lambda q, L: q - 2)
    mutants = [
        Mutant("printed exponent L − 2 (T8)", "η_t = η(∏c)^{L−2} with L the network depth, as the extraction prints it",
               step_exponent=staticmethod(lambda q, L: L - 2)),
        Mutant("exponent q − 1", "η_t = η(∏c)^{q−1} (the gradient's degree in place of q − 2)",
               step_exponent=staticmethod(lambda q, L: q - 1)),
    ]

    def hypotheses(self):
        data = datasets(n=(4, 8), d=(2, 4))
        shallow = ncf_problems(data=data, depths=(2,), widths=(1, 4),
                               activation=activations(alphas=(0.0, 0.1, 0.5, -0.3, 1.0), ps=(2, 3)))
        deep = ncf_problems(data=data, depths=(3,), widths=(1, 3),
                            activation=st.one_of(activations(alphas=(0.0, 0.1, -0.3, 1.0), ps=(2,)), st.just(Activation(1.0, 1))))
        polys = st.builds(HomogeneousPolynomial, k=st.integers(2, 4), q=st.integers(2, 5), seed=seeds())
        return st.tuples(st.one_of(shallow, deep, polys), seeds(), st.floats(0.05, 0.25))

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed, step = instance
        F = homogeneous_f(problem)
        gen = torch.Generator().manual_seed(seed)
        w0 = torch.randn(F.k, generator=gen, dtype=DTYPE)
        w0 = w0 / w0.norm()
        g0 = float(F.grad64(w0).norm())
        e = self.step_exponent(F.q, F.printed_L)
        text = f"{F.name}; w0 seed={seed}, step {step:.3g} (η = step/max‖∇F‖ on probes), exponent {e}"
        if not g0 > 1e-12:
            return Evidence.undecided(f"‖∇F(w0)‖ = {g0:.2g}: both sequences stay at w0", instance=text)
        probes = torch.randn(SCALE_PROBES, F.k, generator=gen, dtype=DTYPE)
        scale = max([g0] + [float(F.grad64(w / w.norm()).norm()) for w in probes])  # ~ the size of ∇F on the unit sphere
        eta = step / scale
        rng = np.random.default_rng(seed)
        sequences = {"projected GA (c_t = 1/‖v + η∇F(v)‖)": np.ones(STEPS),
                     "random c_t = r_t/‖v + η∇F(v)‖": np.exp(rng.uniform(*np.log(RADII), STEPS))}
        checked: list[Entry] = []
        runs = []
        for name, radii in sequences.items():
            s = run_sequences(F, w0, eta, radii, e)
            runs.append(s)
            for t in range(STEPS):
                checked.append(Entry(float(s.violation[t]), float(s.floor[t]), True,
                                     f"{name}: ‖v(T) − (∏c)u(T)‖/‖v(T)‖ at T = {t + 1}, float64"))
                checked.append(Entry(float(s.mp_violation[t]), float(s.mp_floor[t]), True,
                                     f"{name}: ‖v(T) − (∏c)u(T)‖/‖v(T)‖ at T = {t + 1}, {DPS_LOW} digits"))
        worst = [(s.violation.max(), s.floor.max(), s.mp_violation.max(), s.mp_floor.max(), s.u_norm_end, s.P_end) for s in runs]
        m = RescalingMeasurements(F.q, F.printed_L, eta, *(tuple(float(x) for x in col) for col in zip(*worst)))
        return Evidence(checked, m, instance=text)

    def obligations(self) -> list[Obligation]:
        c, P, eta, q, L, u, g = sp.symbols("c P eta q L u g", positive=True)
        e = sp.sympify(self.step_exponent(q, L))
        out = []
        # one induction step: v(t) = P·u(t) ⇒ v(t+1) = cP·u(t+1), with ∇F(Pu) = P^{q−1}∇F(u) =: P^{q−1}g (per component)
        step = c * (P * u + eta * P ** (q - 1) * g) - c * P * (u + eta * P**e * g)
        ok = is_zero(sp.powsimp(sp.expand(step), force=True))
        out.append(Obligation("induction step (q, L symbolic)", f"c(Pu + ηP^(q−1)g) = cP(u + ηP^({e})g)", ok,
                              "" if ok else f"difference {sp.factor(step)}"))
        base = sp.simplify(c * (u + eta * g) - c * (u + eta * P**e * g).subs(P, 1))
        out.append(Obligation("base case T = 1", "v(1) = c0(w0 + η∇F(w0)) = c0·u(1), η_0 = η·(empty product)^e = η",
                              base == 0))
        x, y = sp.symbols("x y")
        for qq in (2, 3, 4):
            cs = sp.symbols(f"a0:{qq + 1}")
            poly = sum(a * x**i * y ** (qq - i) for i, a in enumerate(cs))
            holds = all(is_zero(scaling_defect(sp.diff(poly, v), [x, y], qq - 1, P)) for v in (x, y))
            out.append(Obligation(f"∇F is (q−1)-homogeneous, polynomial q = {qq}", "∇F(Px) = P^(q−1)∇F(x), generic 2-variable "
                                  "q-homogeneous polynomial", holds))
        net = symbolic_network((2, 2, 1), 2)
        N = sp.Symbol("z") * net.output[0]
        grads = [sp.diff(N, w) for w in net.symbols]
        holds = all(is_zero(scaling_defect(gr, net.symbols, 2, P)) for gr in grads)
        out.append(Obligation("∇N of a depth-2 σ = x² net is 2-homogeneous", "q = p̂ = 3 (not the depth 2): ∇N(Pu) = P^2∇N(u)",
                              holds))
        # two full steps of F(a, b) = a·b² (one σ = x² neuron, x = z = 1: q = 3, depth 2), everything symbolic
        a0, b0, c0, c1 = sp.symbols("a0 b0 c0 c1", positive=True)
        e3 = sp.sympify(self.step_exponent(3, 2))

        def grad(w):
            return sp.Matrix([w[1] ** 2, 2 * w[0] * w[1]])

        w0 = sp.Matrix([a0, b0])
        v1 = c0 * (w0 + eta * grad(w0))
        v2 = c1 * (v1 + eta * grad(v1))
        u1 = w0 + eta * grad(w0)
        u2 = u1 + eta * c0**e3 * grad(u1)
        holds = all(is_zero(d) for d in (v1 - c0 * u1)) and all(is_zero(d) for d in (v2 - c0 * c1 * u2))
        out.append(Obligation("two steps, F = ab² (q = 3, depth 2)", f"v(1) = c0u(1), v(2) = c0c1u(2) with η_1 = ηc0^{e3}", holds))
        return out
