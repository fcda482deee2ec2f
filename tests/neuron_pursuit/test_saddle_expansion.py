"""The numerics behind np.lemma8 / np.lemma9: the exact and measured expansion near a sparse saddle, the H1-NCF's KKT points."""

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
import torch

from theorems.neuron_pursuit.h1_ncf import zz_display_term
from theorems.neuron_pursuit.lemma8 import SaddleDecomposition
from theorems.neuron_pursuit.lemma9 import SaddleKKTBalance
from theorems.neuron_pursuit.saddle_expansion import DELTAS, OrderFit, lemma8_expansion, outside_problem, remainder_fits
from theorems.neuron_pursuit.sparse_saddle import SaddleProblem, symbolic_saddle
from verify.checker import Context, Verdict
from verify.nets import DTYPE, Activation, FeedForward
from verify.saddle import SaddleExpansion
from verify.strategies import Dataset


def _random(n, seed, shape=()):
    return torch.randn(*shape, n, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


@pytest.mark.parametrize("L,p", [(3, 2), (4, 1), (4, 3)])
def test_h1_equals_eq21_built_in_sympy(L, p):
    widths, z_neurons = (2,) + (3,) * (L - 1) + (1,), tuple((0, 2) if l % 2 else (1,) for l in range(1, L))
    sym = symbolic_saddle(widths, z_neurons, p)
    u, X = 0.7 * _random(sym.partition.net.n_params, L), _random(2, p, (4,))
    h1 = sp.lambdify(sym.symbols, sym.H1)
    expected = torch.tensor([[h1(*u.tolist(), *x.tolist())] for x in X], dtype=DTYPE)
    w_n, w_z = sym.partition.split(u)
    torch.testing.assert_close(SaddleExpansion(sym.partition, w_n, X).h1(w_z), expected, rtol=1e-11, atol=1e-12)




def _problem(widths, z_neurons, alpha, p, n=5, seed=3):
    return SaddleProblem(FeedForward(widths, Activation(alpha, p)), z_neurons, Dataset("gaussian", n, widths[0], seed), seed + 1, seed + 2)


def test_lemma8_remainder_orders_are_those_of_the_proof():
    # np §B.2 / digest item 23: 2p+1 (value), 2p (∇_{w_z}), 2p+1 (∇_{w_n}) for α ≠ 1, p >= 4
    problem = _problem((3, 3, 2, 2), ((0, 1), (1,)), 0.5, 4, seed=5)
    measured = remainder_fits(problem.partition, problem.w_n, problem.X, problem.z, 7)
    assert [round(f.slope, 2) for f in measured.fits] == [9.0, 8.0, 9.0]
    assert max(f.stderr for f in measured.fits) < 1e-3 and measured.library_defect < 1e-12
    doubled = remainder_fits(problem.partition, problem.w_n, problem.X, problem.z, 7, h1_coefficient=2.0)
    assert abs(doubled.fits[0].slope - 5.0) < 1e-3  # the mutant 2·H1 leaves H1 itself as the remainder


def test_order_fit_statuses():
    deltas, scales = np.array(DELTAS), np.ones(len(DELTAS))
    assert abs(OrderFit("value", deltas, 3 * deltas**7, scales).fit().slope - 7) < 1e-12
    assert OrderFit("value", deltas, 1e-70 * scales, scales).fit().status == "exact"
    steep = np.where(deltas > 0.05, deltas**40, 1e-70)  # resolved at two δ only, then below rounding
    bound = OrderFit("value", deltas, steep, scales).fit()
    assert bound.status == "bound" and bound.slope > 7
    ragged = np.where(np.isin(np.arange(len(DELTAS)), [0, 2]), 1e-20, 1e-70)  # two points, not contiguous
    assert OrderFit("value", deltas, ragged, scales).fit().status == "unresolved"
    assert OrderFit("value", deltas, np.full(len(DELTAS), np.nan), scales).fit().status == "undefined"


def test_lemma8_two_layers_have_no_remainder():
    problem = _problem((2, 3, 1), ((2,),), -0.3, 5)
    measured = remainder_fits(problem.partition, problem.w_n, problem.X, problem.z, 8)
    assert [f.status for f in measured.fits] == ["exact", "exact", "exact"]


def test_outside_hypotheses_a_relu_kink_breaks_assumption_1():
    seeds = (11, 12, 13, 14)  # data, w_n, z, direction
    generic, kink = (remainder_fits(pr.partition, w_n, pr.X, pr.z, seeds[3]).fits for pr, w_n in
                     (outside_problem(0.5, 1, False, seeds), outside_problem(0.5, 1, True, seeds)))
    assert round(generic[0].slope, 2) == 3.0 and round(kink[0].slope, 2) == 2.0  # 2p+1 vs p+1
    assert kink[2].status == "undefined"  # σ' of the n-network jumps: H1 is not differentiable in w_n


def test_lemma8_every_library_comparison_and_every_remainder_is_an_entry():
    checker = SaddleDecomposition()
    problem = _problem((3, 3, 2, 2), ((0, 1), (1,)), 0.5, 4, seed=5)
    evidence = checker.claim((problem, 7), Context())
    labels = [e.label for e in evidence.entries]
    assert len(labels) == len(set(labels)) == 3 * len(DELTAS) + 4
    assert "leading-term slope (H − H(w_n,0))" in labels
    assert sum(label.startswith("library") for label in labels) == 3 * len(DELTAS)
    assert [label for label in labels if label.startswith("remainder")] == [
        "remainder slope, part (a) value", "remainder slope, part (b) ∇_{w_z}", "remainder slope, part (c) ∇_{w_n}"]
    assert all(e.violation >= 0 for e in evidence.entries) and checker.decide(evidence) is Verdict.PASS


class _NumericOnly(SaddleDecomposition):
    """np.lemma8 with the symbolic obligations switched off: only the numeric part (α ≠ 1, p >= 4) decides."""

    def obligations(self):
        return []


@pytest.mark.parametrize("name", ["lowest degree p+2", "coefficient 2·H1", "remainder order 2p+2"])
def test_lemma8_numeric_part_alone_kills_the_mutants(name):
    # issue 12: with slopes accepted down to p + 1.5, a plugin claiming 'lowest degree p+2' without sympy obligations
    # passed; the numeric part now decides against the proof's orders 2p+1, 2p, 2p+1 and the leading order p+1
    problem = _problem((3, 3, 2, 2), ((0, 1), (1,)), 0.5, 4, seed=5)
    assert _NumericOnly().obligations() == []
    mutant = next(m for m in SaddleDecomposition.mutants if m.name == name).apply(_NumericOnly())
    evidence = mutant.claim((problem, 7), Context())
    assert mutant.decide(evidence) is Verdict.FAIL
    assert _NumericOnly().decide(_NumericOnly().claim((problem, 7), Context())) is Verdict.PASS


def test_lemma8_slope_tolerance_is_the_bias_of_the_next_order_term():
    # a remainder cδ^9(1 + aδ): the fitted slope misses 9 by the bias of the aδ term, ≈ 5.3 standard errors of the fit
    checker, deltas, scales = SaddleDecomposition(), np.array(DELTAS), np.ones(len(DELTAS))
    for a in (-30.0, 30.0):
        fit = OrderFit("value", deltas, deltas**9 * (1 + a * deltas), scales).fit()
        assert abs(fit.bias_ratio - 5.3) < 0.05 and abs(abs(9 - fit.slope) / (fit.bias_ratio * fit.stderr) - 1) < 0.05
        assert checker.decide_entry(checker.order_entry(fit, 9)) is Verdict.PASS
        assert checker.decide_entry(checker.order_entry(fit, 10)) is Verdict.FAIL  # one order above the measured one


def test_lemma8_order_entries_say_nothing_where_no_order_was_measured():
    checker, deltas, scales = SaddleDecomposition(), np.array(DELTAS), np.ones(len(DELTAS))
    fitted = checker.order_entry(OrderFit("value", deltas, deltas**5, scales).fit(), 6.5)
    assert fitted.violation == pytest.approx(1.5) and checker.decide_entry(fitted) is Verdict.FAIL
    assert checker.order_entry(OrderFit("value", deltas, 1e-70 * scales, scales).fit(), 6.5).violation == 0.0
    steep = OrderFit("value", deltas, np.where(deltas > 0.05, deltas**40, 1e-70), scales).fit()  # a lower bound > 7
    assert checker.order_entry(steep, 6.5).violation == 0.0
    low = checker.order_entry(steep, 1e3)  # a lower bound below the requirement decides nothing
    undefined = checker.order_entry(OrderFit("value", deltas, np.full(len(DELTAS), np.nan), scales).fit(), 6.5)
    for entry in (low, undefined):
        assert math.isnan(entry.violation) and not entry.converged and checker.decide_entry(entry) is Verdict.INCONCLUSIVE
    assert "lower bound" in low.label and "not differentiable" in undefined.label


@pytest.mark.parametrize("L,degrees", [(3, {1: [0, 2, 3], 2: [0, 3, 5, 6, 7], 3: [0, 4, 7, 8, 10, 12, 13]})])
def test_t_degrees_of_the_three_layer_expansion_match_the_digest(L, degrees):
    for p, expected in degrees.items():
        ex = lemma8_expansion(L, p)
        assert sorted(k for k, c in ex.coefficients.items() if c) == expected
        assert ex.coefficients[p + 1] == ex.H1 and ex.layout_exact


def test_lemma9_kkt_points_are_balanced_with_the_np_norms():
    # a single active z-neuron at a positive KKT point: ‖â‖² = p/(p+1), ‖b̂‖² = 1/(p+1) (digest item 16)
    checker = SaddleKKTBalance()
    for act in (Activation(1.0, 2), Activation(0.1, 3)):
        problem = _problem((3, 3, 3, 1), ((1,), (0, 2)), act.alpha, act.p, n=8)
        expansion = SaddleExpansion(problem.partition, problem.w_n, problem.X)
        points, _ = checker.kkt_points(expansion, problem.z, seed=1)
        assert points
        blocks = problem.partition.blocks(points[0].w_z)
        a2 = torch.cat([(blocks.A[l] ** 2).sum(-1) for l in (1, 2)])
        b2 = torch.cat([(blocks.B[l + 1] ** 2).sum(-2) for l in (1, 2)])
        j = int(a2.argmax())
        assert abs(float(a2[j]) - act.p / (act.p + 1)) < 1e-10 and abs(float(b2[j]) - 1 / (act.p + 1)) < 1e-10
        assert all(float(C.norm()) < 1e-10 for C in blocks.C.values())


def test_lemma9_entries_cover_every_kkt_point_layer_and_z_neuron():
    checker = SaddleKKTBalance()
    problem = _problem((3, 3, 3, 1), ((1,), (0, 2)), 1.0, 2, n=8)
    evidence = checker.claim((problem, 1), Context())
    labels = [e.label for e in evidence.entries]
    points = evidence.measurements.kkt_points
    # 4 random w_z × (separation + one homogeneity check per layer) + ∂N/∂C; per point: ‖C̄_2‖ and 2 balances per z-neuron
    assert points >= 1 and len(labels) == len(set(labels)) == 4 * 3 + 1 + points * (1 + 2 * 3)
    assert "KKT point 1, layer 2, z-neuron 2: ‖Ā_l[j]‖² = p‖B̄_(l+1)[:,j]‖²" in labels and "KKT point 1: ‖C̄_2‖ = 0" in labels
    assert all(e.violation >= 0 for e in evidence.entries) and checker.decide(evidence) is Verdict.PASS


def test_lemma9_without_a_kkt_point_is_undecided_but_a_broken_separation_still_fails():
    problem = _problem((3, 3, 3, 1), ((1,), (0, 2)), 1.0, 2, n=8)
    checker = SaddleKKTBalance()
    checker.kkt_points = lambda *args, **kwargs: ([], None)
    evidence = checker.claim((problem, 1), Context())
    assert evidence.entries[-1].label == "Lemma 9: no certified positive KKT point"
    assert checker.decide(evidence) is Verdict.INCONCLUSIVE
    mutant = next(m for m in SaddleKKTBalance.mutants if m.name == "terms p-homogeneous").apply(checker)
    assert mutant.decide(mutant.claim((problem, 1), Context())) is Verdict.FAIL


def test_lemma9_relu_kink_points_are_clarke_certified():
    checker = SaddleKKTBalance()
    problem = SaddleProblem(FeedForward((2, 2, 1), Activation(0.0, 1)), ((0,),), Dataset("hypercube", 5, 2, 0), 0, 0)
    expansion = SaddleExpansion(problem.partition, problem.w_n, problem.X)
    points, ascent = checker.kkt_points(expansion, problem.z, seed=0)
    assert float(ascent.kkt_residual[0]) > 1e-3  # autograd sees a kink, not a KKT point
    assert points and points[0].n_kinks > 0 and points[0].residual < 1e-12 and points[0].completed
    blocks = problem.partition.blocks(points[0].w_z)
    assert abs(float((blocks.A[1] ** 2).sum()) - float((blocks.B[2] ** 2).sum())) < 1e-10


def test_lemma9_does_not_count_c_at_clarke_completions():
    # issue 12: the Clarke completion zeroes every non-dominant block, so C̄ = 0 holds there by construction. Such
    # points give no C̄ entry (and no full-row/column balance) and are counted; a non-completed point gives both
    checker = SaddleKKTBalance()
    problem = _problem((3, 3, 3, 1), ((1,), (0, 2)), 1.0, 2, n=8)
    expansion = SaddleExpansion(problem.partition, problem.w_n, problem.X)
    point = checker.kkt_points(expansion, problem.z, seed=1)[0][0]
    assert not point.completed
    measured, _ = checker._kkt_defects(problem.partition, 2, point, "P")
    completed, _ = checker._kkt_defects(problem.partition, 2, dataclasses.replace(point, completed=True), "P")
    assert any("‖C̄_2‖" in e.label for e in measured) and not any("C̄" in e.label or "full" in e.label for e in completed)
    relu = SaddleProblem(FeedForward((2, 3, 3, 1), Activation(0.0, 1)), ((2,), (2,)), Dataset("hypercube", 6, 2, 0), 0, 0)
    evidence = checker.claim((relu, 0), Context())
    m = evidence.measurements
    assert m.completed_points + m.c_measured_points == m.kkt_points
    assert sum("‖C̄" in e.label for e in evidence.entries) == m.c_measured_points  # one C block (l = 2) per measured point
    if m.completed_points:
        assert "Clarke completion" in evidence.note


def test_the_zz_display_term_depends_on_c():
    problem = _problem((2, 3, 3, 1), ((2,), (2,)), 0.0, 2)
    expansion = SaddleExpansion(problem.partition, problem.w_n, problem.X)
    w_z = _random(problem.partition.n_wz, 5).requires_grad_(True)
    (g,) = torch.autograd.grad(zz_display_term(expansion, problem.z)(w_z.unsqueeze(0)).sum(), w_z)
    assert float(problem.partition.blocks(g).C[2].norm()) > 0
    (g0,) = torch.autograd.grad(expansion.ncf_objective(problem.z)(w_z.unsqueeze(0)).sum(), w_z)
    assert float(problem.partition.blocks(g0).C[2].norm()) == 0


def test_order_fit_uses_the_smallest_resolved_decade():
    # 1e3·δ^9 + δ^7 has local slope near 9 at δ = 0.1 and tends to 7 as δ → 0 (crossover at δ ≈ 0.03): the fit over
    # the smallest resolved decade measures the asymptotic order, a fit over the whole grid mixes both
    deltas, scales = np.array(DELTAS), np.ones(len(DELTAS))
    bent = 1e3 * deltas**9 + deltas**7
    fit = OrderFit("value", deltas, bent, scales).fit()
    whole = np.polyfit(np.log10(deltas), np.log10(bent), 1)[0]
    assert abs(fit.slope - 7) < abs(whole - 7) and abs(fit.slope - 7) < 0.05
    # only the resolved points of the last decade count
    cut = np.where(deltas < 3e-3, 1e-70, deltas**7)
    assert abs(OrderFit("value", deltas, cut, scales).fit().slope - 7) < 1e-9
