"""np Lemma 9 with the per-neuron separation of the H1-NCF (np §3.3): C̄_l = 0 and p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖².

Statement. Fix w_n and a non-zero z. (§3.3) The NCF of H1 (eq. 21) separates over the z-neurons,
zᵀH1(X; w_n, w_z) = Σ_l Σ_j zᵀH_{1,l}(X; B_{l+1}[:,j], A_l[j,:]), each term (p+1)-homogeneous in its own (b, a).
(Lemma 9) At a positive KKT point w̄_z of max_{‖w_z‖=1} zᵀH1 (Clarke sense for p = 1) the z→z blocks vanish,
C̄_l = 0, and every z-neuron is balanced, p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖². The KKT points come from
:mod:`theorems.neuron_pursuit.h1_ncf`; at its Clarke completions (p = 1, α ≠ 1) every block outside the dominant layer,
C̄ among them, is 0 by construction, so C̄ is decided only at the other points (completions are counted). The
experiment ``np.lemma9_sparsity`` shows the w_z weights at such a point (cf. np Figures 1–2, panels e–f).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
import torch
from hypothesis import strategies as st

from theorems.neuron_pursuit.h1_ncf import LEMMA9_CASES, KKTPoint, h1_kkt_points, lemma9_symbolic, value_and_grad, zz_display_term
from theorems.neuron_pursuit.sparse_saddle import saddle_problems
from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, register
from verify.nets import DTYPE, EPS
from verify.saddle import SaddleExpansion, SaddlePartition
from verify.strategies import seeds


@dataclass(frozen=True)
class SaddleKKTMeasurements:
    """What np.lemma9 measured on one instance: KKT points kept and their worst residual, the §3.3 separation defect,
    kinks at the points (Clarke), the fewest z-neurons carrying weight at a point, the z-neurons, the completion's zeroed weight,
    the points that are Clarke completions (C̄ = 0 by construction there: not counted for C̄), the points whose C̄ was measured."""

    kkt_points: int
    kkt_residual: float
    separation_defect: float
    kinks_at_kkt: int
    active_z_neurons: float
    z_neurons: int
    completion_zeroed: float
    completed_points: int
    c_measured_points: int


@register
class SaddleKKTBalance(Checker):
    """np Lemma 9 with the per-neuron separation of the H1-NCF (np §3.3): C̄_l = 0 and p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖²."""

    id = "np.lemma9"
    title = "Separation of the H1-NCF over z-neurons; vanishing C and balance at its positive KKT points"
    source = "np Lemma 9 (with §3.3, separation of the NCF)"
    statement = (
        "Fix w_n and a non-zero z. (§3.3) N_{z,H1}(w_z) = Σ_{l=1}^{L−1} Σ_j N_{z,H_{1,l}}(B_{l+1}[:,j], A_l[j,:]) with "
        "H_{1,l}(x; b, a) = ∇_s f_{L,l+2}(N_{l+1}g_l(x))ᵀ b σ(aᵀg_{l−1}(x)) (H_{1,L−1} = b σ(aᵀg_{L−2}(x))), each term "
        "(p+1)-homogeneous in its own (b, a). (Lemma 9) If w̄_z is a positive KKT point of max_{‖w_z‖=1} zᵀH1(X; w_n, w_z) "
        "(Clarke sense for p = 1), then C̄_l = 0 for 2 <= l <= L−1 and p‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖² for every z-neuron j "
        "of every layer l; hence p‖W̄_{l+1}[:,j]‖² = ‖W̄_l[j,:]‖² for the z-neurons."
    )
    hypotheses_text = (
        "σ = max(x,αx)^p, α ∈ {0, 0.1, 1}, p ∈ {1,2,3}; L ∈ {2,3,4}, hidden widths 2–4, every hidden layer split into a "
        "random non-empty proper subset G_z (any positions, np Remark 2) and the rest; scalar and 2-dimensional outputs "
        "(np Remark 3); Gaussian / sphere / hypercube data, n 5–12, d 2–3; w_n ~ N(0,1), n-neurons dead on every sample "
        "negated, each layer rescaled to unit-RMS pre-activations; z ~ N(0, I); 12 restarts uniform on the sphere of w_z, "
        "400 ascent steps. Symbolic: σ = x^p, p ∈ {1,2,3}, L ∈ {2,3,4}, d = 2, one n-neuron and two z-neurons per hidden "
        "layer."
    )
    method = (
        "Separation (§3.3): at 4 random w_z, eq. (21) in matrix form against the sum of the per-neuron terms, and each "
        "term at (cb, ca) against c^{p+1} times its value, as relative defects with floor 1e3·ε; ∂N/∂C of the maximised "
        "objective at a random w_z must vanish (H1 has no C). Symbolic (σ = x^p, exact): the same separation, the Euler "
        "identities ⟨a,∇_a T⟩ = p·T, ⟨b,∇_b T⟩ = T of every per-neuron term T (whence the balance at KKT points) and "
        "∂H1/∂C = 0. KKT points: batched projected gradient ascent on the sphere (verify.sphere.sphere_ascent); the "
        "best restarts with positive value are certified: as they are when the autograd residual is at rounding level, "
        "else by Newton's method on the KKT system (verify.sphere.sphere_newton) for smooth σ, or, for p = 1, α ≠ 1, "
        "where the ascent stalls on kinks of the z-neurons' own activations, by polishing the dominant layer block as "
        "the NCF of a two-layer net and certifying it in the Clarke sense (verify.clarke.polish_kkt, stationarity), the "
        "other blocks set to 0. Up to 3 points with residual below 1e-8 are kept. With g the (sub)gradient, "
        "λ = ⟨g, w̄_z⟩ and r = g − λw̄_z: λC̄_l = −r_{C_l} exactly when ∂N/∂C = 0, so ‖C̄_l‖ has floor "
        "(‖r_{C_l}‖ + 64ε‖g‖)/λ; Euler gives λ(‖Ā_l[j]‖² − p‖B̄_{l+1}[:,j]‖²) = −⟨Ā_l[j], r⟩ + p⟨B̄_{l+1}[:,j], r⟩, so the "
        "balance has floor (|⟨Ā_l[j], r⟩| + p|⟨B̄_{l+1}[:,j], r⟩| + (τ + 64ε)‖g‖)/λ (τ: the kink threshold of the Clarke "
        "certificate); the full-row/column balance adds the C̄ floors. Violations are absolute (‖w̄_z‖ = 1). Entries, each "
        "decided against its own bound: every separation and homogeneity defect and ∂N/∂C at each random w_z, and at each "
        "kept KKT point every ‖C̄_l‖ and both balances of every z-neuron, except at Clarke completions: those set every "
        "block outside the dominant layer, every C̄_l among them, to 0, so C̄ = 0 holds there by construction; they are "
        "counted (completed_points) and contribute only their (A, B) balances, and C̄ is decided at the other points "
        "(c_measured_points); an instance without a certified positive KKT "
        "point is inconclusive (its separation entries can still fail it)."
    )
    tolerance = 1e-12
    floor_factor = 2.0
    max_error_floor = 1e-7
    balance_factor = staticmethod(lambda p: p)
    term_degree = staticmethod(lambda p: p + 1)
    h1_has_zz_term = False
    restarts = 12
    steps = 400
    top_points = 3
    clarke_attempts = 2
    accept_residual = 1e-8
    mutants = [
        Mutant("factor p+1", "p+1 in place of p: (p+1)‖B̄_{l+1}[:,j]‖² = ‖Ā_l[j,:]‖²", balance_factor=staticmethod(lambda p: p + 1)),
        Mutant("terms p-homogeneous", "each per-neuron term N_{z,H_{1,l}} is p-homogeneous", term_degree=staticmethod(lambda p: p)),
        Mutant("C̄_l free", "H1 keeps the z→z term B_{l+1}(σ'(A_l g_{l−1}) ⊙ C_l σ(A_{l−1} g_{l−2})) of the informal §3.1 ReLU "
               "display, so C_l is not forced to 0", h1_has_zz_term=True),
    ]

    def hypotheses(self):
        return st.tuples(saddle_problems(alphas=(0.0, 0.1, 1.0), ps=(1, 2, 3)), seeds())

    def objective(self, expansion: SaddleExpansion, z: torch.Tensor):
        """w_z ↦ zᵀH1(X; w_n, w_z) (the mutant "C̄_l free" adds the §3.1 z→z display term)."""
        base = expansion.ncf_objective(z)
        if not self.h1_has_zz_term:
            return base
        extra = zz_display_term(expansion, z)
        return lambda w_z: base(w_z) + extra(w_z)

    def _separation(self, expansion: SaddleExpansion, z: torch.Tensor, objective, seed: int) -> list[Entry]:
        """Relative defects of the §3.3 separation, of the homogeneity of each term, and of ∂N/∂C = 0, at random w_z."""
        partition, p = expansion.partition, expansion.partition.net.activation.p
        gen = torch.Generator().manual_seed(seed)
        w_z = torch.randn(4, partition.n_wz, generator=gen, dtype=DTYPE)
        terms = expansion.neuron_terms(w_z)  # per layer (4, Δ_l, n, m)
        total = sum((z * t).sum(dim=(-3, -2, -1)) for t in terms)
        scale = sum((z.abs() * t.abs()).sum(dim=(-3, -2, -1)) for t in terms)  # what rounding is relative to
        separation = (expansion.ncf(z, w_z) - total).abs() / scale.clamp_min(1e-300)
        floor = 1e3 * EPS
        checked = [Entry(float(v), floor, label=f"§3.3 separation, random w_z {i + 1}") for i, v in enumerate(separation)]
        c = (0.5 + 1.5 * torch.rand(4, 1, 1, generator=gen, dtype=DTYPE))
        blocks = partition.blocks(w_z)
        degree = self.term_degree(p)
        for term in expansion.terms:
            b, a = blocks.B[term.layer + 1].transpose(-1, -2), blocks.A[term.layer]  # (4, Δ_l, ·)
            scaled, base = term(c * b, c * a), c[..., None] ** degree * term(b, a)  # c: (4, 1, 1, 1)
            defect = (scaled - base).abs().amax(dim=(-3, -2, -1)) / base.abs().amax(dim=(-3, -2, -1)).clamp_min(1e-300)
            checked += [Entry(float(v), floor, label=f"H_(1,{term.layer}) is {degree}-homogeneous, random w_z {i + 1}")
                        for i, v in enumerate(defect)]
        _, g = value_and_grad(objective, w_z[0])
        dN_dC = math.sqrt(sum(float(C.pow(2).sum()) for C in partition.blocks(g).C.values()))
        checked.append(Entry(dN_dC / max(float(g.norm()), 1e-300), floor, label="∂N/∂C = 0, random w_z 1"))
        return checked

    def kkt_points(self, expansion: SaddleExpansion, z: torch.Tensor, seed: int, clarke_attempts: int | None = None):
        """(certified positive KKT points of max_{‖w_z‖=1} zᵀH1 among the best restarts, best first; the ascent)."""
        return h1_kkt_points(expansion, z, self.objective(expansion, z), seed, restarts=self.restarts, steps=self.steps,
                             top_points=self.top_points, accept_residual=self.accept_residual,
                             clarke_attempts=self.clarke_attempts if clarke_attempts is None else clarke_attempts)

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, seed = instance
        partition, p = problem.partition, problem.net.activation.p
        expansion = SaddleExpansion(partition, problem.w_n, problem.X)
        checked = self._separation(expansion, problem.z, self.objective(expansion, problem.z), seed)
        separation_defect = max(e.violation for e in checked if e.label.startswith("§3.3"))
        points, _ = self.kkt_points(expansion, problem.z, seed)
        active = []
        completed = sum(q.completed for q in points)
        for k, point in enumerate(points, start=1):
            point_entries, carrying = self._kkt_defects(partition, p, point, f"KKT point {k}")
            checked += point_entries
            active.append(carrying)
        if not points:  # the separation was checked, Lemma 9 itself was not
            checked.append(Entry(math.nan, math.nan, converged=False, label="Lemma 9: no certified positive KKT point"))
        return Evidence(
            checked,
            measurements=SaddleKKTMeasurements(len(points), max((q.residual for q in points), default=math.nan), separation_defect,
                                               sum(q.n_kinks for q in points), min(active, default=math.nan), sum(partition.deltas),
                                               max((q.zeroed for q in points), default=0.0), completed,
                                               len(points) - completed),
            instance=f"{problem}; ascent seed={seed}",
            note=("no certified positive KKT point" if not points else
                  f"C̄ not measured at {completed} Clarke completion(s) (0 by construction)" if completed else ""),
        )

    def _kkt_defects(self, partition: SaddlePartition, p: int, point: KKTPoint, name: str) -> tuple[list[Entry], int]:
        """Entries of C̄_l = 0 (per layer), of the (A, B) balance and of the full-row/column balance (per z-neuron).

        At a Clarke completion every C̄_l is 0 by construction: no C̄ entries and no full-row/column balance (it would
        repeat the (A, B) balance), only the (A, B) balances.
        """
        blocks, r_blocks = partition.blocks(point.w_z), partition.blocks(point.grad - point.lam * point.w_z)
        rounding = 64 * EPS * float(point.grad.norm())
        c_floor = {l: (float(r_blocks.C[l].norm()) + rounding) / point.lam for l in blocks.C}
        checked = [] if point.completed else [Entry(float(blocks.C[l].norm()), c_floor[l], label=f"{name}: ‖C̄_{l}‖ = 0")
                                              for l in blocks.C]
        active = 0
        for l in range(1, partition.depth):
            A, B = blocks.A[l], blocks.B[l + 1]
            a_in, b_out = (A * A).sum(-1), (B * B).sum(-2)
            slack = ((A * r_blocks.A[l]).sum(-1).abs() + p * (B * r_blocks.B[l + 1]).sum(-2).abs()
                     + (point.tau + 64 * EPS) * point.grad.norm()) / point.lam
            balance = (a_in - self.balance_factor(p) * b_out).abs()
            # full rows and columns of the z-neurons: [A_l[j], C_l[j]] in, [B_{l+1}[:,j]; C_{l+1}[:,j]] out
            c_in = (blocks.C[l] ** 2).sum(-1) if l in blocks.C else torch.zeros_like(a_in)
            c_out = (blocks.C[l + 1] ** 2).sum(-2) if l + 1 in blocks.C else torch.zeros_like(b_out)
            full = (a_in + c_in - self.balance_factor(p) * (b_out + c_out)).abs()
            c_slack = c_floor.get(l, 0.0) ** 2 + p * c_floor.get(l + 1, 0.0) ** 2
            for j, neuron in enumerate(partition.z_neurons[l - 1]):
                where = f"{name}, layer {l}, z-neuron {neuron}"
                checked.append(Entry(float(balance[j]), float(slack[j]), label=f"{where}: ‖Ā_l[j]‖² = p‖B̄_(l+1)[:,j]‖²"))
                if not point.completed:
                    checked.append(Entry(float(full[j]), float(slack[j]) + c_slack, label=f"{where}: full row/column balance"))
            active += int(((a_in + b_out) > 1e-6).sum())
        return checked, active

    def obligations(self) -> list[Obligation]:
        out = []
        for L, p in LEMMA9_CASES:
            check = lemma9_symbolic(L, p)
            separation = check.separation_defect == 0
            euler_a = all(d == 0 for d in check.euler_a)
            euler_b = all(d == 0 for d in check.euler_b)
            balance = all(da - self.balance_factor(p) * db == 0 for da, db in zip(check.inner_a, check.inner_b))
            degree = all(da + db - self.term_degree(p) * T == 0 for da, db, T in zip(check.inner_a, check.inner_b, check.terms))
            holds = separation and euler_a and euler_b and balance and degree and check.c_free
            out.append(Obligation(
                f"L={L}, p={p}, widths {check.widths}, G_z {[list(zs) for zs in check.z_neurons]}",
                "H1 (eq. 21) = Σ_l Σ_j H_{1,l}(x; B_{l+1}[:,j], A_l[j,:]); per-neuron term T: ⟨a,∇_a T⟩ = p·T, ⟨b,∇_b T⟩ = T, "
                f"⟨a,∇_a T⟩ = {self.balance_factor(sp.Symbol('p'))}·⟨b,∇_b T⟩, T is ({self.term_degree(sp.Symbol('p'))})-homogeneous; "
                "∂H1/∂C_l = 0",
                holds,
                ", ".join(f"{name}: {'exact' if ok else 'FAILS'}" for name, ok in (
                    ("separation", separation), ("Euler in a", euler_a), ("Euler in b", euler_b),
                    ("balance mechanism", balance), ("term degree", degree), ("no C in H1", check.c_free))),
            ))
        return out
