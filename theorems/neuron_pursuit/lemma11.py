"""Gradient flow on a sum of decoupled q-homogeneous functions, q > 2: the blocks that blow up first win (np Lemma 11).

Source: Kumar & Haupt, "Learning Neural Networks by Neuron Pursuit", Lemma 11 (eqs. 25–28, proof in §D.4);
../shared/spec/neuron_pursuit.md, [L11], with [Def 2.1] and §1.5 (KKT points, stable set). The paper's L (degree of
homogeneity) is q here.

Statement. Let G_1, …, G_m be q-homogeneous, q > 2, and maximise Σ_i G_i(w_i) by gradient flow ẇ_i = ∇G_i(w_i),
w_i(0) = w_i0 (eq. 25), with G_i(w_i0) > 0, ‖w_i0‖ = 1, and w_i0 in the stable set of a positive KKT point w_i* of
max_{‖w_i‖=1} G_i (eq. 26): there is T_i with ‖w_i(t)‖ → ∞ and w_i(t)/‖w_i(t)‖ → w_i* as t → T_i. Then

    T_i ∈ [ 1/(q(q−2)G_i(w_i*)) , 1/(q(q−2)G_i(w_i0)) ]                                   (eq. 27)

and, with T* = min_i T_i, Σ_i ‖w_i(t)‖² → ∞ as t → T*, and

    lim_{t→T*} ‖w_i(t)‖ / sqrt(Σ_j ‖w_j(t)‖²)  > 0  if T_i = T*,   = 0  if T_i > T*.         (eq. 28)

The proof: G_i(w_i/‖w_i‖) is non-decreasing, which brackets ‖w_i‖ between the blow-ups of d‖w‖/dt = qG‖w‖^{q−1} for
G = G_i(w_i0) and G = G_i(w_i*); and ‖w_i(t)‖ = a_i(t)/(T_i − t)^{1/(q−2)} with a_i(t) ∈ [κ_1, κ_2].
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.evidence import at_least, at_most
from verify.flow import BlowUp, Flow, blow_up, ncf_flow, positive_ncf_start
from verify.kkt import certify_kkt
from verify.nets import DTYPE
from verify.strategies import NCFProblem, activations, datasets, ncf_problems, seeds

RTOL = 1e-7  # the coarse tolerance of verify.flow.blow_up; the fine one is RTOL/100
TIE = 1e-9  # blow-up times within this relative distance of T* are T* (exact copies are equal to the last bit)
MATCH = 1e-9  # a limit direction matches a KKT point when 1 − cos ≤ MATCH
DECADE_STEP = 2  # the shares are compared at the decades j_top − 4, j_top − 2, j_top (T* − t ≈ 10^{−j}·T*)
RHO_SPAN = 60.0  # each run goes on until ρ − ρ0 ≥ RHO_SPAN (and the direction has converged): room for deep decades
START_TRIES = 8  # NCF starts drawn (seed, seed + 1, …) until N(u0) > 0
TAIL_ROOM = 7.0  # j_top: the deepest even decade where the first blow-up's runs leave (q−2)(ρ_end − ρ_j) ≥ 7 (as edc.lemma2)


# ------------------------------------------------------------------------------------------------
# the blocks
# ------------------------------------------------------------------------------------------------

def _product_flow(q: int) -> Flow:
    """G(w) = w_1·w_2·…·w_q (q-homogeneous), gradient written out: ∂_k G = Π_{j≠k} w_j."""

    def value_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ones = torch.ones_like(u[..., :1])
        before = torch.cumprod(torch.cat([ones, u[..., :-1]], dim=-1), dim=-1)
        after = torch.flip(torch.cumprod(torch.cat([ones, torch.flip(u[..., 1:], (-1,))], dim=-1), dim=-1), (-1,))
        return u.prod(-1), before * after

    return Flow(value_and_grad, 1.0, float(q), None, f"w1·…·w{q}")


def _monomial_flow(q: int, c: float) -> Flow:
    """G(w) = c·w^q in one dimension (q-homogeneous); from w0 = 1 (a KKT ray) w(t) = (1 − q(q−2)ct)^{−1/(q−2)}."""

    def value_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return c * u[..., 0] ** q, q * c * u ** (q - 1)

    return Flow(value_and_grad, 1.0, float(q), None, f"{c:.6g}·w^{q}")


def tau_integral(bu: BlowUp, q_fn, tau: float, drho: float = 0.1, nodes: int = 8) -> float:
    """∫_τ^{τ_end} q_fn(s(τ′), ρ(τ′)) dτ′ on a blow-up run, by Gauss–Legendre on pieces over which ρ changes by ≤ ``drho``.

    BlowUp.tau_integral puts its nodes on the integration's steps; once the direction has converged DOP853's steps grow
    tenfold per step and one step spans many e-folds of e^{−(q−2)ρ}, where 8 nodes lose digits (measured: 1e-6 relative
    on T* − t at ‖w‖^{q−2} = 1e30 for the 1-D flow). Subdividing each step so that ρ (monotone in τ) moves by ≤ ``drho``
    keeps every piece's integrand within a factor e^{(q−2)·drho}. A candidate for verify.flow.
    """
    edges = np.concatenate([[tau], bu.tau[bu.tau > tau]])
    if len(edges) < 2:
        return 0.0
    rho_edges = np.concatenate([[float(bu.state(tau)[1])], bu.rho[bu.tau > tau]])
    pieces = np.maximum(1, np.ceil(np.abs(np.diff(rho_edges)) / drho)).astype(int)
    grid = np.concatenate([np.linspace(a, b, n + 1)[:-1] for a, b, n in zip(edges[:-1], edges[1:], pieces)] + [edges[-1:]])
    x, w = np.polynomial.legendre.leggauss(nodes)
    a, b = grid[:-1, None], grid[1:, None]
    pts = ((a + b) / 2 + (b - a) / 2 * x[None, :]).ravel()
    weights = ((b - a) / 2 * w[None, :]).ravel()
    S, rho, _ = bu.state(pts)
    return float(weights @ np.asarray(q_fn(S.T, rho), dtype=np.float64))


def remaining_time(bu: BlowUp, tau: float) -> float:
    """T* − t(τ) = ∫_τ^{τ_end} e^{−(q−2)ρ} dτ′ + the run's closed-form tail, accurate relative to itself (:func:`tau_integral`)."""
    L = bu.degree
    rho_tau = float(bu.state(tau)[1])
    scaled = tau_integral(bu, lambda _s, rho: np.exp(-(L - 2) * (rho - rho_tau)), tau)
    return scaled * math.exp(-(L - 2) * rho_tau) + bu.tail


@dataclass(frozen=True)
class Far:
    """The first block, started away from its KKT point: ``kind`` 'product' (G = w_1⋯w_q on R^q, start |g|/‖g‖ with g
    Gaussian from ``seed`` and an even number of signs flipped; positive KKT points s/√q, s ∈ {±1}^q with Π s = 1,
    G* = q^{−q/2}) or 'ncf' (the NCF zᵀH(X; u) of ``problem``, a smooth depth-2 net with p = q − 1, start
    verify.flow.positive_ncf_start from ``seed``; KKT points certified with verify.kkt.certify_kkt)."""

    kind: str
    q: int
    seed: int
    problem: NCFProblem | None = None

    def flow_and_start(self) -> tuple[Flow, torch.Tensor] | None:
        if self.kind == "product":
            rng = np.random.default_rng(self.seed)
            w = np.abs(rng.standard_normal(self.q))
            flips = rng.permutation(self.q)[: 2 * int(rng.integers(0, self.q // 2 + 1))]
            w[flips] *= -1
            return _product_flow(self.q), torch.as_tensor(w / np.linalg.norm(w), dtype=DTYPE)
        net, X, z = self.problem.net, torch.as_tensor(self.problem.X, dtype=DTYPE), torch.as_tensor(self.problem.z, dtype=DTYPE)
        for k in range(START_TRIES):  # a start where every neuron is off has N = 0 for both signs: draw again
            u0 = positive_ncf_start(net, X, z, self.seed + k)
            if u0 is not None:
                return ncf_flow(net, X, z), u0
        return None

    def kkt_point(self, direction: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The positive KKT point the limit ``direction`` is (1 − cos ≤ MATCH) and its value G(w*); None if none is."""
        if self.kind == "product":
            s = np.where(direction >= 0, 1.0, -1.0)
            star = s / math.sqrt(self.q)
            if np.prod(s) < 0 or 1 - float(direction @ star) > MATCH:
                return None
            return star, self.q ** (-self.q / 2)
        net = self.problem.net
        X, z = torch.as_tensor(self.problem.X, dtype=DTYPE), torch.as_tensor(self.problem.z, dtype=DTYPE)
        cert = certify_kkt(net, torch.as_tensor(direction, dtype=DTYPE), X, z)
        if cert is None or 1 - float(cert.u @ torch.as_tensor(direction, dtype=DTYPE)) > MATCH:
            return None
        return cert.u.numpy(), cert.lam / self.q

    def __str__(self) -> str:
        what = f"w1·…·w{self.q}" if self.kind == "product" else f"NCF of {self.problem}"
        return f"{what}, start seed={self.seed}"


@dataclass(frozen=True)
class BlowUpBlocks:
    """An instance: q ∈ {3, 4}; the block ``far`` (A) started away from its KKT point and a 1-D block B, G = c·w^q from
    w0 = 1 (on its KKT ray, so T_B = 1/(q(q−2)c) exactly), with c placed from A's measured T_A and θ ∈ [0.25, 0.75]:

    * mode 'start': c = G_A(w_A0)^{1−θ}·(1/(q(q−2)T_A))^θ, so G_B(w_B0) = c > G_A(w_A0) but T_B > T_A: A wins although B
      has the larger starting value;
    * mode 'kkt': c = (1/(q(q−2)T_A))^{1−θ}·G_A(w_A*)^θ, so G_B(w_B*) = c < G_A(w_A*) but T_B < T_A: B wins although A has
      the larger KKT value.

    The winner is repeated ``copies`` times (exact copies: same G and start, T_i = T*). The placement needs T_A strictly
    inside its bracket (27), which the statement says; an A at an end of it leaves the instance undecided."""

    far: Far
    mode: str
    theta: float
    copies: int

    def __str__(self) -> str:
        return f"q={self.far.q}; A: {self.far}; B: c·w^{self.far.q}, mode {self.mode}, θ={self.theta:.3g}; winner ×{self.copies}"


# ------------------------------------------------------------------------------------------------
# the checker
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlowUpSelectionMeasurements:
    """What np.lemma11 measured on one instance (fine tolerance): q, the construction mode, blocks m (with copies),
    T_A, T_B and their brackets (27), the first blow-up T*, the decades j used (T* − t = 10^{−j}T*), the measured decay
    power of the loser's share (claimed 1/(q−2)), the winners' share at the deepest decade and its limit, whether the
    largest G_i(w_i0) and the largest G_i(w_i*) belong to a loser (the instance tells the statement from those
    selections), the largest two-tolerance floor and the right-hand-side evaluations."""

    q: int
    mode: str
    blocks: int
    T_A: float
    T_A_lower: float
    T_A_upper: float
    T_B: float
    T_B_bracket: float
    T_star: float
    decades: str
    loser_power: float
    winner_share: float
    winner_limit: float
    largest_start_value_lost: bool
    largest_kkt_value_lost: bool
    worst_floor: float
    nfev: int


@register
class BlowUpTimeSelection(Checker):
    """np Lemma 11: q > 2: T_i ∈ [1/(q(q−2)G_i*), 1/(q(q−2)G_i(w_i0))], and only the first blocks to blow up keep a share."""

    id = "np.lemma11"
    title = "Sum of decoupled q-homogeneous maximisations, q > 2: blow-up time bracket and selection by blow-up time"
    source = "np Lemma 11 (eqs. 25–28, proof in §D.4; digest [L11], [Def 2.1], §1.5)"
    statement = (
        "For ẇ_i = ∇G_i(w_i), each G_i q-homogeneous with q > 2, ‖w_i0‖ = 1, G_i(w_i0) > 0, w_i0 in the stable set of a "
        "positive KKT point w_i* (w_i blows up at T_i with w_i/‖w_i‖ → w_i*): T_i ∈ [1/(q(q−2)G_i(w_i*)), 1/(q(q−2)G_i(w_i0))]; "
        "with T* = min_i T_i, Σ_i‖w_i(t)‖² → ∞ as t → T*, and ‖w_i(t)‖/sqrt(Σ_j‖w_j(t)‖²) tends to a positive limit if "
        "T_i = T* and to 0 if T_i > T*."
    )
    hypotheses_text = (
        "q ∈ {3, 4}. Block A (started away from its KKT point): G = w_1⋯w_q (2 in 3 instances; start: a Gaussian direction "
        "made positive, an even number of signs flipped; positive KKT points s/√q, Π s = 1, G* = q^{−q/2}) or the NCF "
        "zᵀH(X; u) of a smooth two-layer net σ = max(x, αx)^{q−1}, α ∈ {0, 0.1, 0.5, −0.3, 1}, width 1–2, n 4–8 samples in "
        "d 2–4 (default data and target families), start verify.flow.positive_ncf_start (unit, N(u0) > 0; up to 8 seeds "
        "tried). Block B: the 1-D "
        "G = c·w^q from w0 = 1 (its KKT ray), c placed from A's measured T_A with θ ∈ [0.25, 0.75] (BlowUpBlocks): mode "
        "'start' makes A win although G_B(w_B0) > G_A(w_A0), mode 'kkt' makes B win although G_B* < G_A*, so every instance "
        "tells the statement from one of the two wrong selections. The winner is repeated 1–2 times (exact copies: T_i = T*). "
        "The stable-set hypothesis is checked, not assumed: A's blow-up direction must match a positive KKT point at both "
        "tolerances (analytic for the product, certified by verify.kkt.certify_kkt for the NCF) and B must stay on its "
        "ray, else the instance is undecided."
    )
    method = (
        "Each distinct block is integrated to its blow-up on the sphere (verify.flow.blow_up: direction s, ρ = log‖w‖ and t "
        "in dt/dτ = ‖w‖^{−(q−2)}, scipy DOP853, until ρ − ρ0 ≥ 60 and the direction's KKT residual ≤ 10·rtol; T_i = t(τ_end) + "
        "closed-form tail) at rtol 1e-7 and 1e-9 (atol = rtol/100); a quantity's tolerance floor is its change between the "
        "two. Copies reuse their block's run (the same ODE from the same start). Entries: (27) T_i ≥ the bracket's lower end "
        "and T_i ≤ its upper end, relative, G_i* the value of the matched KKT point, floor the change of T_i; (28) the total "
        "norm blows up at T*: the first block's run reached ρ − ρ0 ≥ 60 before T*; (28) selection at three times t_j where "
        "the first block has ‖w‖^{q−2} = 10^j (T* − t_j ≈ 10^{−j}T*), j = j_top − 4, j_top − 2, j_top, j_top the deepest even "
        "decade the run leaves room for ((q−2)(ρ_end − ρ_j) ≥ 7): T* − t_j by a Gauss–Legendre quadrature of e^{−(q−2)ρ} over "
        "pieces where ρ moves ≤ 0.1 (tau_integral here: BlowUp.remaining_time puts its nodes on the steps, which lost "
        "1e-6 at 1e30), the other blocks' norms at t_j by BlowUp.norm_at. A block predicted to vanish: the log-log slope of "
        "its share against T* − t between the last two decades, against 1/(q−2) (‖w_i‖ → ‖w_i(T*)‖ while the first "
        "blocks grow like (T* − t)^{−1/(q−2)}), relative; when T_i > T* its floor is a bound on everything else: the change "
        "of log‖w_i‖, q·D(τ_j) with D = ∫_τ^∞ (G* − G(s)) dτ′ of the first block (1 ≤ (T* − t)‖w‖^{q−2}q(q−2)G* ≤ "
        "e^{q(q−2)D}, edc Lemma 2), and the later blocks' part of the total norm, over the span of log(T* − t), plus the "
        "tolerance floor; for a block with T_i = T* (only a wrong selection predicts it to vanish) the floor is the slope's "
        "change from the previous pair of decades. A block predicted to keep a share: its share at j_top against "
        "a_i/sqrt(Σ_{predicted} a_j²), a_j = (q(q−2)G_j*)^{−1/(q−2)} (the limit of ‖w_j‖(T* − t)^{1/(q−2)}, edc Lemma 2 P5), "
        "floor its change from j_top − 2 plus the tolerance floor. The statement predicts {i: T_i ≤ (1 + 1e-9)T*}. "
        "Symbolic obligations: the 1-D closed form w = (1 − q(q−2)ct)^{−1/(q−2)} and its blow-up time equal to both ends of "
        "the bracket (q = 3, 4, 5); a KKT ray is invariant with ṙ = qG*r^{q−1} (generic 2-variable q-homogeneous G), so T = "
        "1/(q(q−2)G*) = both ends; a later 1-D block's share/(T_1 − t)^{1/(q−2)} has a finite positive limit (q = 3, 4)."
    )
    tolerance = 1e-8
    floor_factor = 10.0
    max_error_floor = 1e-4

    # the statement's knobs
    @staticmethod
    def bracket(q: float, G_star: float, G0: float) -> tuple[float, float]:
        """eq. (27): (lower, upper) ends of the blow-up time's bracket."""
        return 1 / (q * (q - 2) * G_star), 1 / (q * (q - 2) * G0)

    @staticmethod
    def winners(T: np.ndarray, G0: np.ndarray, G_star: np.ndarray) -> set[int]:
        """eq. (28): the blocks whose share tends to a positive limit: those with T_i = T*."""
        return set(np.nonzero(T <= T.min() * (1 + TIE))[0].tolist())

    mutants = [
        Mutant("bracket reversed", "T_i ∈ [1/(q(q−2)G_i(w_i0)), 1/(q(q−2)G_i(w_i*))] (the ends swapped)",
               bracket=staticmethod(lambda q, G_star, G0: (1 / (q * (q - 2) * G0), 1 / (q * (q - 2) * G_star)))),
        Mutant("bracket with q(q−1)", "T_i ∈ [1/(q(q−1)G_i(w_i*)), 1/(q(q−1)G_i(w_i0))]",
               bracket=staticmethod(lambda q, G_star, G0: (1 / (q * (q - 1) * G_star), 1 / (q * (q - 1) * G0)))),
        Mutant("largest G_i(w_i0) wins", "the blocks with the largest starting value G_i(w_i0) keep a positive share",
               winners=staticmethod(lambda T, G0, G_star: set(np.nonzero(G0 >= G0.max() * (1 - TIE))[0].tolist()))),
        Mutant("selection by G_i(w_i*)", "the blocks with the largest KKT value G_i(w_i*) keep a positive share (as for q = 2)",
               winners=staticmethod(lambda T, G0, G_star: set(np.nonzero(G_star >= G_star.max() * (1 - TIE))[0].tolist()))),
    ]

    def hypotheses(self):
        @st.composite
        def far(draw) -> Far:
            q = draw(st.sampled_from((3, 4)))
            if draw(st.sampled_from(("product", "product", "ncf"))) == "product":  # NCF flows cost 5× more to integrate
                return Far("product", q, draw(seeds()))
            problem = draw(ncf_problems(data=datasets(n=(4, 8), d=(2, 4)), depths=(2,), widths=(1, 2),
                                        activation=activations(alphas=(0.0, 0.1, 0.5, -0.3, 1.0), ps=(q - 1,))))
            return Far("ncf", q, draw(seeds()), problem)

        return st.builds(BlowUpBlocks, far=far(), mode=st.sampled_from(("start", "kkt")), theta=st.floats(0.25, 0.75),
                         copies=st.integers(1, 2))

    def claim(self, instance: BlowUpBlocks, ctx: Context) -> Evidence:
        text = str(instance)
        q = instance.far.q
        made = instance.far.flow_and_start()
        if made is None:
            return Evidence.undecided("N(u0) = 0 for both signs of the last layer: no start with G(w0) > 0", instance=text)
        flow_A, w_A0 = made
        G_A0 = float(flow_A.potential(w_A0[None])[0][0])
        runs: dict[tuple[str, float], BlowUp] = {}

        def run(name: str, flow: Flow, w0: torch.Tensor, rtol: float) -> BlowUp:
            if (name, rtol) not in runs:
                runs[name, rtol] = blow_up(flow, w0, rtol=rtol, atol=rtol / 100, rho_span=RHO_SPAN)
            return runs[name, rtol]

        # A at both tolerances; its limit must be a positive KKT point (the stable-set hypothesis)
        A = {rtol: run("A", flow_A, w_A0, rtol) for rtol in (RTOL, RTOL / 100)}
        if not all(bu.converged for bu in A.values()):
            return Evidence.undecided(f"A's blow-up did not converge: {A[RTOL / 100].message}", instance=text)
        matched = instance.far.kkt_point(A[RTOL / 100].direction)
        if matched is None or 1 - float(matched[0] @ A[RTOL].direction) > MATCH:
            return Evidence.undecided("A's blow-up direction is not a positive KKT point (or not the same at both tolerances): "
                                      "the start is not in a stable set the lemma covers", instance=text)
        w_A_star, G_A_star = matched
        # place B from A's measured T_A (the instance's construction; the claims below are measured)
        inner = 1 / (q * (q - 2) * A[RTOL / 100].T_star)  # G_A0 < inner < G_A* when T_A is strictly inside its bracket
        if not G_A0 * (1 + 1e-6) < inner < G_A_star * (1 - 1e-6):
            return Evidence.undecided(f"T_A = {A[RTOL / 100].T_star:.9g} is at an end of its bracket: B cannot be placed",
                                      instance=text)
        th = instance.theta
        c = G_A0 ** (1 - th) * inner**th if instance.mode == "start" else inner ** (1 - th) * G_A_star**th
        flow_B, w_B0 = _monomial_flow(q, c), torch.ones(1, dtype=DTYPE)
        distinct = [("A", flow_A, w_A0, G_A0), ("B", flow_B, w_B0, c)]
        kkt_values = {"A": G_A_star, "B": c}  # the 1-D block's positive KKT point is w = 1 with G = c
        T_coarse, T_fine = (np.array([run(name, flow, w0, rtol).T_star for name, flow, w0, _ in distinct])
                            for rtol in (RTOL, RTOL / 100))
        for rtol in (RTOL, RTOL / 100):
            B = runs["B", rtol]
            if not B.converged or abs(B.direction[0]) < 1 - MATCH:
                return Evidence.undecided(f"B's blow-up did not converge on its KKT ray: {B.message}", instance=text)
        # the blocks with copies of the winner (exact copies of the same block, same run)
        first = int(np.argmin(T_fine))
        names = [n for n, *_ in distinct] + [distinct[first][0]] * (instance.copies - 1)
        T = np.array([T_fine[0 if n == "A" else 1] for n in names])
        T_floor = np.array([abs(T_fine[k] - T_coarse[k]) / T_fine[k] for k in (0 if n == "A" else 1 for n in names)])
        G0 = np.array([G_A0 if n == "A" else c for n in names])
        G_star = np.array([kkt_values[n] for n in names])
        if abs(T_fine[0] - T_fine[1]) <= TIE * T_fine.min():
            return Evidence.undecided("A and B blow up at the same time to 1e-9: the selection cannot be resolved", instance=text)
        checked: list[Entry] = []
        for i, n in enumerate(names):
            lower, upper = self.bracket(q, G_star[i], G0[i])
            floor = T_floor[i] + 1e-12
            checked.append(at_least(T[i], lower, floor, f"(27) block {n}#{i}: T = {T[i]:.9g} ≥ {lower:.9g}"))
            checked.append(at_most(T[i], upper, floor, f"(27) block {n}#{i}: T = {T[i]:.9g} ≤ {upper:.9g}"))
        lead = distinct[first][0]
        lead_run = {rtol: runs[lead, rtol] for rtol in (RTOL, RTOL / 100)}
        grew = float(lead_run[RTOL / 100].rho[-1] - lead_run[RTOL / 100].rho[0])
        checked.append(Entry(0.0, 0.0, True, f"(28) Σ‖w_i‖² → ∞ at T* = {T.min():.9g}: block {lead}'s ‖w‖ grew by e^{grew:.3g}"))

        # the selection: shares at the times t_j where the first block's ‖w‖^{q−2} = 10^j‖w0‖^{q−2} (T* − t_j ≈ 10^{−j}T*)
        T_star = float(T.min())
        lead_flow, lead_G = (flow_A, G_A_star) if lead == "A" else (flow_B, c)
        room = min(runs[lead, rtol].rho[-1] - runs[lead, rtol].rho[0] for rtol in (RTOL, RTOL / 100))
        top = 2 * int(((q - 2) * room - TAIL_ROOM) / math.log(10) / 2)
        decades = [top - 2 * DECADE_STEP, top - DECADE_STEP, top]
        if decades[0] < 2:
            return Evidence.undecided(f"the first blow-up's run leaves no room for the decades (ρ − ρ0 = {room:.3g})", instance=text)

        def gap(S: np.ndarray, _rho: np.ndarray) -> np.ndarray:  # G(w*) − G(s) of the first block, all nodes at once
            return lead_G - lead_flow.potential(torch.as_tensor(S, dtype=DTYPE))[0].numpy()

        def at_decades(rtol: float) -> np.ndarray | None:
            """Per decade: T* − t_j, q·D(τ_j) (D = ∫_τ^∞ (G* − G(s)) dτ′ of the first block), and every block's norm."""
            lead_bu = runs[lead, rtol]
            out = []
            for j in decades:
                rho = float(lead_bu.rho[0]) + j * math.log(10) / (q - 2)
                tau, _, t_j = lead_bu.at_log_norm(rho)
                delta = remaining_time(lead_bu, tau)
                D = max(0.0, tau_integral(lead_bu, gap, tau))
                norms = []
                for n in names:
                    if n == lead:
                        norms.append(math.exp(rho))
                    elif t_j < runs[n, rtol].t[-1]:
                        norms.append(runs[n, rtol].norm_at(t_j))
                    else:
                        return None
                out.append([delta, q * D, *norms])
            return np.array(out)

        M_fine, M_coarse = at_decades(RTOL / 100), at_decades(RTOL)
        if M_fine is None or M_coarse is None:
            return Evidence.undecided(f"a later block's run does not reach the decades {decades}", instance=text)
        norms_f, norms_c = M_fine[:, 2:], M_coarse[:, 2:]
        share_f = norms_f / np.linalg.norm(norms_f, axis=1, keepdims=True)
        share_c = norms_c / np.linalg.norm(norms_c, axis=1, keepdims=True)
        log_delta = np.log(M_fine[:, 0])
        predicted = self.winners(T, G0, G_star)
        a = (q * (q - 2) * G_star) ** (-1 / (q - 2))
        norm_W = math.sqrt(sum(a[k] ** 2 for k in predicted))
        power = 1 / (q - 2)
        first_blocks = [k for k in range(len(names)) if T[k] <= T_star * (1 + TIE)]
        loser_power = winner_share = winner_limit = math.nan
        for i, n in enumerate(names):
            tol_floor = float(np.max(np.abs(share_f[:, i] - share_c[:, i]) / np.maximum(share_f[:, i], 1e-300)))
            if i in predicted:
                limit = a[i] / norm_W
                fine_v = share_f[2, i]
                checked.append(Entry(abs(fine_v - limit) / limit, abs(fine_v - share_f[1, i]) / limit + tol_floor, True,
                                     f"(28) block {n}#{i} predicted to keep a share: share at decade {decades[2]} is "
                                     f"{fine_v:.9g}, limit a_i/sqrt(Σ a_j²) = {limit:.9g}"))
                if n == lead:
                    winner_share, winner_limit = fine_v, limit
                continue
            slopes = [(math.log(share_f[k + 1, i] / share_f[k, i])) / (log_delta[k + 1] - log_delta[k]) for k in (0, 1)]
            span = log_delta[2] - log_delta[1]
            if T[i] > T_star * (1 + TIE):
                # share_i = ‖w_i‖/sqrt(Σ_W‖w_W‖² + Σ_later‖w_k‖²), ‖w_W‖^{q−2}(T* − t)q(q−2)G_W* = R ∈ [1, e^{q(q−2)D}]
                # (edc Lemma 2, P5): the slope differs from 1/(q−2) by at most the change of log‖w_i‖, q·D/(q−2)·(q−2)
                # of log R/(q−2), and the later blocks' part ½·Σ_later‖w_k‖²/Σ_W‖w_W‖², over the span of log(T* − t)
                later_part = sum(norms_f[1, k] ** 2 for k in range(len(names)) if k not in first_blocks) / \
                    sum(norms_f[1, k] ** 2 for k in first_blocks)
                bound = (abs(math.log(norms_f[2, i] / norms_f[1, i])) + M_fine[1, 1] + later_part) / abs(span)
                floor = bound + 2 * tol_floor / abs(span)
                loser_power = slopes[1]
            else:
                floor = abs(slopes[1] - slopes[0]) + 2 * tol_floor / abs(span)
            checked.append(Entry(abs(slopes[1] - power) / power, floor / power, True,
                                 f"(28) block {n}#{i} predicted to vanish: share ~ (T* − t)^p, p = {slopes[1]:.9g} between "
                                 f"decades {decades[1]} and {decades[2]}, vs 1/(q−2) = {power:.6g}"))
        winners_true = set(np.nonzero(T <= T_star * (1 + TIE))[0].tolist())
        floors = [e.error_floor for e in checked if math.isfinite(e.error_floor)]
        m = BlowUpSelectionMeasurements(
            q, instance.mode, len(names), float(T_fine[0]), *self.bracket(q, G_A_star, G_A0), float(T_fine[1]), 1 / (q * (q - 2) * c),
            T_star, ",".join(map(str, decades)), loser_power, winner_share, winner_limit,
            not set(np.nonzero(G0 >= G0.max() * (1 - TIE))[0].tolist()) <= winners_true,
            not set(np.nonzero(G_star >= G_star.max() * (1 - TIE))[0].tolist()) <= winners_true,
            max(floors), sum(bu.nfev for bu in runs.values()))
        return Evidence(checked, m, instance=text)

    def obligations(self) -> list[Obligation]:
        t, c = sp.symbols("t c", positive=True)
        out = []
        for q in (3, 4, 5):
            s = 1 - q * (q - 2) * c * t  # w^{−(q−2)}
            w = s ** sp.Rational(-1, q - 2)
            solves = sp.powsimp(sp.expand(sp.diff(w, t) - q * c * w ** (q - 1))) == 0 and w.subs(t, 0) == 1
            T = 1 / (q * (q - 2) * c)
            lower, upper = self.bracket(q, c, c)
            holds = solves and s.subs(t, T) == 0 and sp.simplify(T - lower) == 0 and sp.simplify(T - upper) == 0
            out.append(Obligation(f"1-D closed form, q = {q}", "w(t) = (1 − q(q−2)ct)^(−1/(q−2)) solves ẇ = qc·w^(q−1), w(0) = 1, "
                                  "and blows up at T = 1/(q(q−2)c) (w^(−(q−2)) = 0 there), both ends of the bracket "
                                  "(G(w0) = G(w*) = c)", holds, f"T = {T}, bracket ({lower}, {upper})"))
        return out + [dataclasses.replace(o) for o in _fixed_obligations(self.bracket)]


def _ray_obligation(bracket) -> Obligation:
    """Along a KKT ray the flow is 1-D: for a generic q-homogeneous G(x, y) = Σ_i c_i x^i y^{q−i} with a KKT point at e1
    (∂_yG(e1) = c_{q−1} = 0), ∇G(r·e1) = (q·c_q·r^{q−1}, 0) with G(e1) = c_q, so w(t) = r(t)e1 with ṙ = qG*r^{q−1}."""
    x, y, r = sp.symbols("x y r", positive=True)
    holds = True
    for q in (3, 4, 5):
        cs = sp.symbols(f"c0:{q + 1}")
        G = sum(ci * x**i * y ** (q - i) for i, ci in enumerate(cs) if i != q - 1)
        grad = [sp.diff(G, v).subs({x: r, y: 0}) for v in (x, y)]
        G_star = G.subs({x: 1, y: 0})
        holds = holds and sp.simplify(grad[0] - q * G_star * r ** (q - 1)) == 0 and sp.simplify(grad[1]) == 0
        lower, upper = bracket(q, G_star, G_star)
        holds = holds and sp.simplify(lower - 1 / (q * (q - 2) * G_star)) == 0 and sp.simplify(upper - lower) == 0
    return Obligation("KKT ray", "from w0 = w* (a KKT point, G(w*) = G*) the flow stays on the ray with ṙ = qG*r^(q−1), so "
                      "T = 1/(q(q−2)G*), which is both ends of the bracket (q = 3, 4, 5)", holds)


def _fixed_obligations(bracket) -> tuple[Obligation, ...]:
    return (_ray_obligation(bracket), *_share_obligations())


@functools.cache
def _share_obligations() -> tuple[Obligation, ...]:
    """A later block's share ~ (T* − t)^{1/(q−2)}: two 1-D blocks from w0 = 1 with T_1 < T_2, δ = T_1 − t."""
    d, T1, gap = sp.symbols("delta T1 gap", positive=True)
    out = []
    for q in (3, 4):
        e = sp.Rational(1, q - 2)
        w1 = (d / T1) ** (-e)  # (1 − t/T_1)^{−1/(q−2)}
        w2 = ((gap + d) / (T1 + gap)) ** (-e)  # T_2 = T_1 + gap
        share2 = w2 / sp.sqrt(w1**2 + w2**2)
        scaled = sp.limit(share2 / d**e, d, 0, "+")
        expected = (T1 + gap) ** e / (gap ** e * T1**e)
        out.append(Obligation(f"loser's share, q = {q}", "share_2/(T_1 − t)^(1/(q−2)) → ((T_2/(T_2 − T_1))^(1/(q−2)))/T_1^(1/(q−2)) "
                              "> 0 as t → T_1", sp.simplify(scaled - expected) == 0, f"limit {scaled}"))
    return tuple(out)
