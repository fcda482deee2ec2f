"""np Lemma 12: descent at the first Neuron Pursuit iteration (np §5.1).

Statement (np Lemma 12, with the degree p̂ = p^{L-1}+…+p+1 in place of the paper's δ^L, which is right
only for p = 1; np digest part 6 item 3): if Ŵ is the most dominant KKT point of max yᵀH(X;W) on
Σ‖W_l‖²_F = 1 with ζ = yᵀH(X;Ŵ) > 0, then L(δŴ) < L(0) for all small δ > 0, with Algorithm 1's loss
L(W) = ‖y − H(X;W)‖² (no ½). The proof's identity is exact,

    L(δŴ) = ‖y‖² − 2δ^{p̂}ζ + δ^{2p̂}‖H(X;Ŵ)‖²,

so the paper's sufficient condition δ^{p̂} < ζ/‖H(X;Ŵ)‖² can be sharpened: L(δŴ) < L(0) exactly for
0 < δ^{p̂} < 2ζ/‖H(X;Ŵ)‖², with equality at the boundary (derived, a sharp checkable prediction).

The identity uses only ‖Ŵ‖ = 1 and ζ > 0 (H(X; δŴ) = δ^{p̂}H(X; Ŵ)): in effect the lemma holds for ANY unit Ŵ with
ζ > 0, dominance and stationarity play no role. The checker states it so: it decides (i)–(iii) at the unpolished
best unit point of the projected ascent (any unit point with ζ > 0), and again at the lemma's own Ŵ, NP's dominant
KKT point: the best restart of the ascent that np Algorithm 1 lines 3–11 runs, polished and certified
(verify.kkt.certify_kkt: polished, KKT residual <= 1e-10 recomputed from the certificate; the next-best of the top 3 restarts if it fails).
The decrease along δ is drawn by the experiment ``np.lemma12_decrease``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import sympy as sp
import torch
from hypothesis import strategies as st
from scipy.optimize import brentq

from verify.checker import Checker, Context, Entry, Evidence, Mutant, Obligation, entries, register
from verify.kkt import certify_kkt, constrained_ncf_max
from verify.nets import DTYPE, EPS, homogeneity_degree
from verify.pursuit import squared_loss
from verify.strategies import DEFAULT_FAMILIES, ncf_problems, seeds
from verify.symbolic import is_zero, scaling_defect, symbolic_network


@dataclass(frozen=True)
class FirstIterationMeasurements:
    """What np.lemma12 measured on one instance (NaN where undecided): at the certified dominant KKT point Ŵ, ζ, the
    worst expansion defect and descent violation, the located root over the paper's threshold, the boundary defect and
    Ŵ's KKT residual; at the unpolished best unit point of the ascent, its ζ and worst expansion defect."""

    zeta: float
    expansion_defect: float = math.nan
    descent_violation: float = math.nan
    root_over_paper_threshold: float = math.nan
    boundary_defect: float = math.nan
    kkt_residual: float = math.nan
    any_unit_zeta: float = math.nan
    any_unit_expansion_defect: float = math.nan


@register
class FirstIterationDescent(Checker):
    """np Lemma 12: descent along the most dominant KKT point at the first NP iteration.

    Checks (i) the exact expansion L(δŴ) = ‖y‖² − 2δ^{p̂}ζ + δ^{2p̂}‖H(X;Ŵ)‖² on a δ grid (sympy in δ, and
    numerically), (ii) L(δŴ) < L(0) for δ^{p̂} sampled densely in (0, ζ/‖H‖²) (the paper's condition)
    and up to just below the derived sharp boundary 2ζ/‖H‖², and (iii) the boundary itself: the root of
    L(δŴ) = L(0) located numerically (brentq) against 2ζ/‖H(X;Ŵ)‖².
    """

    id = "np.lemma12"
    title = "Descent at the first Neuron Pursuit iteration"
    source = "np Lemma 12 (exponent p̂ per np digest part 6 item 3)"
    statement = (
        "With ζ = yᵀH(X;Ŵ) > 0 at the most dominant KKT point Ŵ of the constrained NCF and L(W) = ‖y − H(X;W)‖²: "
        "L(δŴ) = ‖y‖² − 2δ^{p̂}ζ + δ^{2p̂}‖H(X;Ŵ)‖², hence L(δŴ) < L(0) whenever δ^{p̂} < ζ/‖H(X;Ŵ)‖² (paper) and in "
        "fact exactly when 0 < δ^{p̂} < 2ζ/‖H(X;Ŵ)‖² (derived), p̂ = p^{L−1}+…+p+1. The identity, hence both conclusions, holds "
        "for any unit Ŵ with ζ > 0 (checked at the ascent's best unit point and at the certified dominant KKT point)."
    )
    hypotheses_text = (
        "L ∈ {2,3,4}, hidden widths 1–6, σ = max(x,αx)^p with α ∈ {0, 0.1, 0.5, 1, −0.3}, p ∈ {1,2,3} (the lemma needs "
        "no smoothness); " + DEFAULT_FAMILIES + ", n 5–30, d 2–6; labels Gaussian or a structured target. Two points Ŵ: the "
        "best of 16 projected-ascent restarts as it is (not polished: the identity holds at any unit point with ζ > 0), "
        "and NP's dominant KKT point: the first of the top 3 restarts by value that verify.kkt.certify_kkt polishes and "
        "certifies (KKT residual <= 1e-10 recomputed from its certificate, λ > 0); an instance with no certified positive KKT "
        "point is inconclusive (the entries at the ascent point are still decided), one with no positive value at all "
        "is inconclusive."
    )
    method = (
        "All three parts are evaluated in float64 with the network's own forward pass, at each of the two points "
        "(entries labelled by the point). (i) relative defect "
        "|L(δŴ) − formula| / (‖y‖² + 2δ^{p̂}ζ + δ^{2p̂}‖H‖²) over 40 δ with δ^{p̂} log-spaced in [1e-6, 2]·ζ/‖H‖²; "
        "(ii) the violation max(0, L(δŴ) − L(0)) / ‖y‖² over δ with δ^{p̂}/(ζ/‖H‖²) in a dense grid of (1e-6, 1) and "
        "(1, boundary·(1 − 1e-6)); (iii) relative distance of the located root t* = δ*^{p̂} from 2ζ/‖H‖² (1 when no root is found in "
        "[1e-3, 1e3]·ζ/‖H‖²). Every δ of (i) and (ii) and the boundary (iii) is its own entry. Floors: 64ε plus, for (iii), "
        "the rounding-limited resolution of the root, 64ε‖y‖² / |d L/d t| at t* (at the claimed root when none is found). "
        "The KKT residual of the certified point is recorded."
    )
    tolerance = 1e-12
    floor_factor = 4.0
    max_error_floor = 1e-8
    degree = staticmethod(homogeneity_degree)
    boundary_factor = 2.0
    decrease_sign = 1.0
    certified_residual = 1e-10
    top_points = 3
    mutants = [
        Mutant("degree = depth", "the paper's printed δ^L (wrong for p ≥ 2)", degree=staticmethod(lambda L, p: L)),
        Mutant("boundary 3ζ/‖H‖²", "descent holds up to δ^{p̂} = 3ζ/‖H‖²", boundary_factor=3.0),
        Mutant("loss increases", "L(δŴ) > L(0) for small δ", decrease_sign=-1.0),
    ]

    def hypotheses(self):
        return st.tuples(ncf_problems(widths=(1, 6)), seeds())

    def claim(self, instance, ctx: Context) -> Evidence:
        problem, ascent_seed = instance
        net = problem.net
        X = torch.as_tensor(problem.X, dtype=DTYPE, device=ctx.device)
        y = torch.as_tensor(problem.z, dtype=DTYPE, device=ctx.device)
        instance_text = f"{problem}; ascent seed={ascent_seed}"
        # the identity needs only ζ > 0 and ‖Ŵ‖ = 1: at the best unit point of the ascent, not polished
        found = constrained_ncf_max(net, X, y, restarts=16, steps=600, seed=ascent_seed, device=ctx.device, certify=False)
        any_unit = self._parts(net, found.u[0] / found.u[0].norm(), X, y, ctx, "unit point (ascent)")
        # the lemma's Ŵ: NP's dominant KKT point (its best restart, np Algorithm 1 lines 3–11), polished and certified
        W_kkt, residual, rejected = self.dominant_kkt_point(net, found, X, y)
        dominant = self._parts(net, W_kkt, X, y, ctx, "certified dominant KKT point") if W_kkt is not None else None
        if any_unit is None and dominant is None:
            return Evidence.undecided(f"dominant NCF value ζ = {float(found.value[0]):.3g} is not positive",
                                      measurements=FirstIterationMeasurements(float(found.value[0])), instance=instance_text)
        checked = (any_unit[0] if any_unit else []) + (dominant[0] if dominant else [])
        if dominant is None:  # the identity was checked, the lemma at its own Ŵ was not
            why = f"no certified positive KKT point among the top {self.top_points} restarts ({rejected} not certified)"
            checked.append(Entry(math.nan, math.nan, False, why))
        m = dominant[1] if dominant else FirstIterationMeasurements(math.nan)
        m = replace(m, kkt_residual=residual,
                    any_unit_zeta=any_unit[1].zeta if any_unit else math.nan,
                    any_unit_expansion_defect=any_unit[1].expansion_defect if any_unit else math.nan)
        return Evidence(checked, measurements=m, instance=instance_text, note="" if dominant else why)

    def dominant_kkt_point(self, net, found, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor | None, float, int]:
        """(Ŵ, its KKT residual, how many positive restarts were not certified): the best of the top restarts (by value)
        that verify.kkt.certify_kkt certifies (residual <= ``certified_residual``, λ > 0); (None, NaN, n) if none."""
        rejected = 0
        for i in range(min(self.top_points, len(found.value))):
            if float(found.value[i]) <= 0:
                break
            cert = certify_kkt(net, found.u[i], X, y, max_residual=self.certified_residual)
            if cert is not None:
                return cert.u, cert.residual, rejected
            rejected += 1
        return None, math.nan, rejected

    def _parts(self, net, W_hat: torch.Tensor, X: torch.Tensor, y: torch.Tensor, ctx: Context, where: str):
        """(entries of (i)–(iii) at the unit point W_hat, labelled with ``where``; measurements), None if ζ <= 0 there."""
        D = self.degree(net.depth, net.activation.p)
        H_hat = net(W_hat, X)
        zeta, h2, y2 = float((y * H_hat).sum()), float((H_hat**2).sum()), float((y**2).sum())
        if not zeta > 1e-12 * math.sqrt(y2 * h2):
            return None
        t_paper = zeta / h2  # the paper's sufficient threshold on δ^{p̂}

        def loss_at(t: torch.Tensor) -> torch.Tensor:  # L(δŴ) with δ = t^{1/D}, batched over t
            delta = t ** (1.0 / D)
            return squared_loss(net, delta[:, None] * W_hat, X, y, 1.0)

        # (i) the exact expansion, one entry per δ
        t_grid = torch.logspace(-6, math.log10(2.0), 40, dtype=DTYPE, device=ctx.device) * t_paper
        expansion = y2 - 2 * t_grid * zeta + t_grid**2 * h2
        scale = y2 + 2 * t_grid * zeta + t_grid**2 * h2
        identity = (loss_at(t_grid) - expansion).abs() / scale
        checked = entries(identity, 64 * EPS, labels=[f"{where}: expansion at δ^p̂ = {float(x):.3g}·ζ/‖H‖²" for x in t_grid / t_paper])

        # (ii) strict descent below the (claimed) boundary, sampled densely and up to it, one entry per δ
        fractions = torch.cat([torch.logspace(-6, 0, 60, dtype=DTYPE), torch.linspace(1, self.boundary_factor * (1 - 1e-6), 60,
                                                                                       dtype=DTYPE)[1:]]).to(ctx.device)
        decrease = self.decrease_sign * (y2 - loss_at(fractions * t_paper))
        descent = (-decrease).clamp_min(0) / y2
        checked += entries(descent, 64 * EPS, labels=[f"{where}: descent at δ^p̂ = {float(x):.7g}·ζ/‖H‖²" for x in fractions])

        # (iii) the boundary L(δŴ) = L(0), located numerically; for t > 0, L(t) − L(0) = t(t‖H‖² − 2ζ)
        def excess(t: float) -> float:
            return float(loss_at(torch.tensor([t], dtype=DTYPE, device=ctx.device))[0]) - y2

        def root_resolution(t: float) -> float:  # rounding-limited relative resolution of a root at t: 64ε‖y‖²/|dL/dt|/t_claimed
            slope = abs(2 * t * h2 - 2 * zeta)  # |dL/dt| of the exact expansion
            return 64 * EPS * y2 / (slope * t_claimed) if slope > 0 else math.inf

        t_claimed = self.boundary_factor * t_paper
        scan = torch.logspace(-3, 3, 61, dtype=DTYPE, device=ctx.device) * t_paper
        signs = torch.sign(loss_at(scan) - y2)
        change = ((signs[:-1] < 0) & (signs[1:] > 0)).nonzero()
        if len(change):  # the first crossing from descent to ascent
            i = int(change[0])
            t_root = brentq(excess, float(scan[i]), float(scan[i + 1]), xtol=1e-15 * t_paper, rtol=4 * EPS)
            boundary, root_floor = abs(t_root - t_claimed) / t_claimed, root_resolution(t_root)
            found = f"located root δ*^p̂ = {t_root / t_paper:.7g}·ζ/‖H‖²"
        else:  # no boundary at all in [1e-3, 1e3]·ζ/‖H‖²: a failure unless a root at t_claimed is below rounding
            t_root, boundary, root_floor = math.nan, 1.0, root_resolution(t_claimed)
            found = "no root in [1e-3, 1e3]·ζ/‖H‖²"
        checked.append(Entry(boundary, root_floor + 64 * EPS, True,
                             f"{where}: boundary δ^p̂ = {self.boundary_factor:g}ζ/‖H‖² ({found})"))
        return checked, FirstIterationMeasurements(zeta, float(identity.max()), float(descent.max()), t_root / t_paper, boundary)

    def obligations(self) -> list[Obligation]:
        t, delta = sp.symbols("t delta", positive=True)
        ys, hs = sp.symbols("y1:4"), sp.symbols("h1:4")
        zeta = sum(a * b for a, b in zip(ys, hs))
        h2, y2 = sum(h**2 for h in hs), sum(a**2 for a in ys)
        out = []
        # L(δŴ) with H(X; δŴ) = t·H(X; Ŵ), t = δ^{p̂}: the expansion and the boundary, for symbolic y, H
        loss = sum((a - t * h) ** 2 for a, h in zip(ys, hs))
        holds = is_zero(loss - (y2 - 2 * t * zeta + t**2 * h2))
        out.append(Obligation("expansion in t = δ^p̂", "Σ(y_i − t h_i)² = ‖y‖² − 2tζ + t²‖h‖²", holds,
                              "exact polynomial identity (n = 3, symbolic y and h)"))
        roots = sp.solve(sp.Eq(loss, y2), t)
        boundary = self.boundary_factor * zeta / h2
        holds = any(is_zero(sp.together(r - boundary).as_numer_denom()[0]) for r in roots)
        out.append(Obligation("sharp boundary", f"L(t) = L(0) at t = {self.boundary_factor:g}ζ/‖h‖² (t > 0)", holds,
                              f"positive root(s) of L(t) = L(0): {', '.join(map(str, roots))}"))
        # H(X; δŴ) = δ^{p̂} H(X; Ŵ) for polynomial activations (α = 1): what makes t = δ^{p̂}
        for L, p in itertools.product((2, 3), (1, 2)):
            net = symbolic_network((1,) + (1,) * (L - 1) + (1,), p)
            D = self.degree(L, p)
            holds = is_zero(scaling_defect(net.output[0], net.symbols, D, delta))
            out.append(Obligation(f"H(x; δW) = δ^{D} H(x; W), L={L}, p={p}", "the δ-exponent of the expansion is p̂", holds,
                                  "expanded difference is the zero polynomial" if holds else "expanded difference is non-zero"))
        return out
